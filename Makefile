# SPDX-License-Identifier: Apache-2.0
# make test: rebuild the engine (incremental), run the C++ tests (ctest) and pytest.
VENV ?= .venv
PY := $(VENV)/bin/python
JOBS ?= 2
CPP_BUILD := build/cpp

PY_SOURCES := backend tests bench
# Our C++ (ofx_plugin/include, our C declarations of the OFX API, keeps the spec's layout).
CPP_SOURCES = $(shell find native ofx_plugin tests/cpp tests/ofx bench -path ofx_plugin/include \
  -prune -o -type f \( -name '*.c' -o -name '*.cpp' -o -name '*.h' -o -name '*.cu' \
  -o -name '*.cuh' \) -print | sort)

.PHONY: build cpp-test py-test test lint lint-py typecheck lint-cpp format format-py format-cpp \
  stubs-ref clean

build:
	CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) $(PY) -m pip install -q --no-build-isolation --no-deps -e .

cpp-test:
	cmake -S . -B $(CPP_BUILD) -G Ninja -DCMAKE_MAKE_PROGRAM=$(abspath $(VENV))/bin/ninja \
	  -DSYNTHFX_BUILD_TESTS=ON -DSYNTHFX_BUILD_PYTHON=OFF -DCMAKE_BUILD_TYPE=Release
	cmake --build $(CPP_BUILD) -j $(JOBS)
	ctest --test-dir $(CPP_BUILD) --output-on-failure

py-test: build
	$(PY) -m pytest tests/python -q

test: cpp-test py-test

# Every check CI runs besides the tests. typecheck reads the built stubs (synthfx._native,
# synthfx.v1): after make build.
lint: lint-py typecheck lint-cpp

lint-py:
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)

typecheck:
	$(VENV)/bin/mypy

lint-cpp:
	$(VENV)/bin/clang-format --dry-run -Werror $(CPP_SOURCES)

format: format-py format-cpp

format-py:
	$(VENV)/bin/ruff check --fix-only -q $(PY_SOURCES)
	$(VENV)/bin/ruff format $(PY_SOURCES)

format-cpp:
	$(VENV)/bin/clang-format -i $(CPP_SOURCES)

# After a binding change: take the stub the build generated as the new reference
# (tests/python/native/test_stubs.py compares them).
stubs-ref: build
	cp "$$($(PY) -c 'import pathlib, synthfx._native as m; \
	  print(pathlib.Path(m.__file__).with_name("_native.pyi"))')" native/python/_native.pyi.ref

clean:
	rm -rf build
