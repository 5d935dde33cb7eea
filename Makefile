# Two commands on a fresh clone:
#   make demo   bootstrap .venv, install the project, run the Masamba demo into out/masamba
#   make test   bootstrap .venv with the test extras, lint (ruff, mypy), run every test (unit, doctests,
#               notebooks, real clients)
#   make bench  every benchmark against its anchor library, one table: bench/RESULTS.md
# Both are idempotent: the install step reruns only when pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= out/masamba
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test bench bench-quick data lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-core: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	touch $@ $(VENV)/.installed-core

demo: $(VENV)/.installed-core
	$(BIN)/kotacerdas demo --out $(OUT)

test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests
	$(BIN)/mypy src
	$(BIN)/python -m pytest

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test,bench]'
	touch $@

# every workload against its anchor at the default sizes (< 15 min), writes bench/RESULTS.md
bench: $(VENV)/.installed-test $(VENV)/.installed-bench
	$(BIN)/python bench/run_all.py

# small sizes (a few minutes, run by CI after the tests), writes out/RESULTS-quick.md
bench-quick: $(VENV)/.installed-test $(VENV)/.installed-bench
	$(BIN)/python bench/run_all.py --quick

data: $(VENV)/.installed-core
	$(BIN)/python scripts/make_masamba_data.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests
	$(BIN)/mypy src

clean:
	rm -rf out .pytest_cache
