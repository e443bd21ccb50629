# fpgacnn -- every target sets itself up on a fresh machine (Python >= 3.10, gcc/g++, perl, make).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed-dev
JOBS   ?= 2

.PHONY: all venv test test-all lint demo bench bench-classifier clean

all: test

# The install says what it does in one line and prints only errors (pip at -qq also
# hides setuptools' note on editable installs), so a newcomer's first screen is
# fpgacnn's own output.
$(PY):
	@echo "creating $(VENV) ($(PYTHON) -m venv)"
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) install -qq --upgrade pip

# Reinstall when the dependency list changes.
$(STAMP): pyproject.toml | $(PY)
	@echo "installing fpgacnn[dev] into $(VENV) (pip install -e '.[dev]'; a few minutes the first time)"
	@$(PIP) install -qq -e '.[dev]'
	@# yosys (resource estimates) is a Debian package; install it when we can.
	@command -v yosys >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	  (DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq yosys) > $(VENV)/apt.log 2>&1 || \
	  echo "note: yosys not installed (see $(VENV)/apt.log); resource benchmarks will say so"; }
	@touch $@

venv: $(STAMP)

## The test suite (what CI runs): unit tests, golden models, cocotb + Verilator testbenches.
test: $(STAMP)
	$(PY) -m pytest -n $(JOBS) --dist loadgroup

## Everything, including the slow sweeps.
test-all: $(STAMP)
	$(PY) -m pytest -n $(JOBS) --dist loadgroup -m 'not board and not vivado'

lint: $(STAMP)
	$(VENV)/bin/ruff check .

## The demo: runs the edge core (RTL, Verilated) on bundled images; outputs under build/demo.
demo: $(STAMP)
	$(VENV)/bin/fpgacnn -v demo --out build/demo

## Benchmarks: cycles, latency, harness speed, yosys resources -> build/bench/report.md
bench: $(STAMP)
	$(PY) -m fpgacnn.apps.bench_edge --out build/bench

## Classifier core (open RTL): generation, yosys, cycles -> build/bench/classifier_report.md
bench-classifier: $(STAMP)
	$(PY) -m fpgacnn.apps.bench_classifier --out build/bench

clean:
	rm -rf build hw/build sim/build boards/build
