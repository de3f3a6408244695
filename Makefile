# The two commands of the README: `make demo` and `make test`.  Each installs
# what it needs (Debian packages, a virtual environment, node's MicroPython)
# on a fresh Debian machine, run as root, and then does its work.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
MP_PKG := @micropython/micropython-webassembly-pyscript@1.27.0
MP_DIR := .mp
PYTEST_ARGS ?=

.PHONY: test demo bench soak screenshots system-deps clean

system-deps:
	@scripts/install-system-deps

$(VENV)/.stamp: setup.cfg pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

$(MP_DIR)/.stamp: | system-deps
	mkdir -p $(MP_DIR)
	npm install --silent --no-audit --no-fund --prefix $(MP_DIR) $(MP_PKG)
	touch $@

# pytest exits 5 when it collected nothing: that is a failed run, not a pass.
# The floors of docs/architecture.md (import-linter contracts in setup.cfg) first.
test: $(VENV)/.stamp $(MP_DIR)/.stamp
	@$(VENV)/bin/lint-imports --no-cache
	@$(PY) -m pytest -q -m "not soak" $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing the run" >&2; exit 1; fi; \
	exit $$rc

soak: $(VENV)/.stamp $(MP_DIR)/.stamp
	@$(PY) -m pytest -q -m soak $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no soak tests collected" >&2; exit 1; fi; exit $$rc

demo: $(VENV)/.stamp
	$(VENV)/bin/concentrator demo

# PNG screenshots of the LCD's main screens for the README (docs/screens/),
# taken with `concentrator lcd --keys ... --png` on simulated meters.
screenshots: $(VENV)/.stamp
	$(PY) scripts/lcd-screenshots docs/screens

# Benchmarks run in their own environment, with the comparison packages
# (dlt645, pyMeterBus) that the product itself never installs.
.venv-bench/.stamp: setup.cfg pyproject.toml | system-deps
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install -q --upgrade pip
	.venv-bench/bin/python -m pip install -q -e '.[test,bench]'
	touch $@

bench: .venv-bench/.stamp
	.venv-bench/bin/python -m bench --write docs/benchmarks.md

clean:
	rm -rf $(VENV) .venv-bench $(MP_DIR) .pytest_cache .hypothesis *.egg-info
