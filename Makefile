# Two commands on a fresh clone:
#   make demo   bootstrap .venv, install the project, run the Masamba demo into out/masamba
#   make test   bootstrap .venv with the test extras, lint (ruff, mypy), run every test (unit, doctests,
#               notebooks, real clients)
# Both are idempotent: the install step reruns only when pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= out/masamba
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test bench data lint clean

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

bench: $(VENV)/.installed-test
	$(PIP) install -e '.[test,bench]'
	$(BIN)/python bench/run_all.py --quick

data: $(VENV)/.installed-core
	$(BIN)/python scripts/make_masamba_data.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests
	$(BIN)/mypy src

clean:
	rm -rf out .pytest_cache
