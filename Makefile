# SPDX-License-Identifier: Apache-2.0
# make test: rebuild the engine (incremental), run the C++ tests (ctest) and pytest.
VENV ?= .venv
PY := $(VENV)/bin/python
JOBS ?= 2
CPP_BUILD := build/cpp
# The same bundle built against the official OpenFX headers (tests/python/ofx runs on both);
# CI has ../shared beside the clone, elsewhere that build is skipped with a message.
CPP_OFFICIAL_BUILD := build/cpp-official
OFX_SHARED ?= ../shared/third_party/openfx
OFX_OFFICIAL_HEADERS ?= $(OFX_SHARED)/include

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
	  -DSYNTHFX_BUILD_TESTS=ON -DSYNTHFX_BUILD_PYTHON=OFF -DCMAKE_BUILD_TYPE=Release \
	  -DSYNTHFX_HOSTSUPPORT_DIR=$(abspath $(OFX_SHARED))/HostSupport
	cmake --build $(CPP_BUILD) -j $(JOBS)
	@if [ -d "$(OFX_OFFICIAL_HEADERS)" ]; then \
	  cmake -S . -B $(CPP_OFFICIAL_BUILD) -G Ninja \
	    -DCMAKE_MAKE_PROGRAM=$(abspath $(VENV))/bin/ninja -DSYNTHFX_BUILD_TESTS=OFF \
	    -DSYNTHFX_BUILD_PYTHON=OFF -DSYNTHFX_ENABLE_CUDA=OFF -DCMAKE_BUILD_TYPE=Release \
	    -DSYNTHFX_OFX_HEADERS=$(abspath $(OFX_OFFICIAL_HEADERS)) && \
	  cmake --build $(CPP_OFFICIAL_BUILD) -j $(JOBS) --target synthfx_ofx_bundle; \
	else \
	  echo "cpp-test: no official OpenFX headers at $(OFX_OFFICIAL_HEADERS)" \
	    "(../shared beside the clone): the official-header bundle is not built"; \
	fi
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
