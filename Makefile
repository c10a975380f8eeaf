# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint format bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/glance-emulator serve --host 127.0.0.1 --port 9292

# Everything: unit, API, contract (real clients on a live server) and the fuzz run.
test: $(STAMP)
	$(BIN)/python -m pytest -q

# The edit-run loop: unit and API tests only (no live server, no real clients, no fuzz).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -x tests/unit tests/api

lint: $(STAMP)
	$(BIN)/ruff check emulator tests bench
	$(BIN)/ruff format --check emulator tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix emulator tests bench
	$(BIN)/ruff format emulator tests bench

bench: $(STAMP)
	$(BIN)/python bench/bench.py

fuzz: $(STAMP)
	GLANCE_EMULATOR_FUZZ_EXAMPLES=200 $(BIN)/python -m pytest -q tests/fuzz

clean:
	rm -rf $(VENV) build *.egg-info
