# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/glance-emulator serve --host 127.0.0.1 --port 9292

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check emulator tests
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/bench.py

fuzz: $(STAMP)
	GLANCE_EMULATOR_FUZZ_EXAMPLES=200 $(BIN)/python -m pytest -q tests/fuzz

clean:
	rm -rf $(VENV) build *.egg-info
