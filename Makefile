# NeuroTune: `make run` sets up and serves on http://127.0.0.1:8000; `make test` sets up and tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install only when the dependency list changes.
STAMP  := $(VENV)/.installed
NPM_STAMP := frontend/node_modules/.installed
WEB    := frontend/out/index.html
CHROMIUM := /usr/bin/chromium
# The bundled language model, downloaded (pinned sha256) and converted once.
MODEL  := data/models/smollm2-135m-instruct/neurotune-ready

.PHONY: setup run init-db test test-backend test-frontend lint format bench clean

setup: $(STAMP) $(NPM_STAMP) $(MODEL)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(NPM_STAMP): frontend/package.json frontend/package-lock.json
	# npm install, not npm ci: this registry mirror leaves other platforms' optional binaries out of
	# the lock file, which npm ci refuses; install still pins every version the lock names.
	cd frontend && npm install --no-audit --no-fund
	touch $(NPM_STAMP)

$(MODEL): $(STAMP)
	$(BIN)/neurotune prepare-model

# The web app, rebuilt when its sources change.
$(WEB): $(NPM_STAMP) $(shell find frontend/app frontend/components frontend/features frontend/lib frontend/stores frontend/styles frontend/public frontend/scripts -type f 2>/dev/null) frontend/next.config.js frontend/package.json
	cd frontend && npm run build

# Browser tests use Debian's Chromium (test tools cannot download browsers).
$(CHROMIUM):
	apt-get update -qq && apt-get install -y -qq chromium

init-db: setup
	$(BIN)/neurotune init-db

run: init-db $(WEB)
	$(BIN)/neurotune serve

lint: setup
	$(BIN)/ruff format --check backend bench scripts
	$(BIN)/ruff check backend bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	cd frontend && npx tsc --noEmit
	cd frontend && npx eslint .
	cd frontend && npm run check:api

format: setup
	$(BIN)/ruff format backend bench scripts
	$(BIN)/ruff check --fix backend bench scripts

test: lint test-backend test-frontend

test-backend: setup
	$(BIN)/pytest

test-frontend: $(WEB) $(CHROMIUM)
	cd frontend && npx vitest run
	cd frontend && node --test tests/e2e/

bench: setup
	$(BIN)/python -m bench.api
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.signups
	$(BIN)/python -m bench.ws
	$(BIN)/python -m bench.cluster
	$(BIN)/python -m bench.insights
	$(BIN)/python -m bench.analysis
	$(BIN)/python -m bench.library
	$(BIN)/python -m bench.llm
	node bench/web_budget.mjs --build

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis frontend/node_modules frontend/.next frontend/out
