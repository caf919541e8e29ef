# SPDX-License-Identifier: Apache-2.0
# make test: rebuild the engine (incremental), run the C++ tests (ctest) and pytest.
VENV ?= .venv
PY := $(VENV)/bin/python
JOBS ?= 2
CPP_BUILD := build/cpp

.PHONY: build cpp-test py-test test lint format clean

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

lint:
	$(VENV)/bin/ruff check backend tests bench
	$(VENV)/bin/ruff format --check backend tests bench

format:
	$(VENV)/bin/ruff format backend tests bench

clean:
	rm -rf build
