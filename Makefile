# NeuroTune: `make run` sets up and serves on http://127.0.0.1:8000; `make test` sets up and tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install only when the dependency list changes.
STAMP  := $(VENV)/.installed

.PHONY: setup run init-db test lint format bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

init-db: setup
	$(BIN)/neurotune init-db

run: init-db
	$(BIN)/neurotune serve

lint: setup
	$(BIN)/ruff format --check backend bench scripts
	$(BIN)/ruff check backend bench scripts
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format backend bench scripts
	$(BIN)/ruff check --fix backend bench scripts

test: lint
	$(BIN)/pytest

bench: setup
	$(BIN)/python -m bench.api
	$(BIN)/python -m bench.ws

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
