# gexnb: two commands for a fresh machine.
#   make demo   -> installs into .venv, runs every notebook (profile quick), prints the summary
#   make test   -> installs into .venv, runs the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.gexnb-installed
KERNEL := $(VENV)/share/jupyter/kernels/gexnb/kernel.json
PROFILE ?= quick
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install demo test test-browser lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,tensorflow]"
	touch $(STAMP)

$(KERNEL): | $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name gexnb --display-name "Python (gexnb)" >/dev/null

install: $(STAMP) $(KERNEL)

demo: install
	$(BIN)/gexnb run-all --profile $(PROFILE)

test: install
	$(BIN)/python -m pytest -q

test-browser: install
	bash tests/browser/setup.sh
	$(BIN)/python -m pytest -q -m browser tests/browser

lint: install
	$(BIN)/ruff check gexnb tests benchmarks
	$(BIN)/ruff format --check gexnb tests benchmarks

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf runs .pytest_cache .ruff_cache
