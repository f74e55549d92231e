# jwtlens: `make run` serves on http://127.0.0.1:8000, `make test` runs the whole suite.
# Both create .venv and install what they need; only Python 3.11+ and make are assumed.

PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8000
HOST   ?= 127.0.0.1
BIN    := $(VENV)/bin

.PHONY: run test lint typecheck check bench clean node-test-deps

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "jwtlens needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

# The OpenID Provider the OAuth tests start (node's oidc-provider, pinned major; tests/oauth/provider.py
# installs it on first use too). Outside the repo, so a checkout carries no node_modules.
NODE_CACHE ?= $(or $(JWTLENS_NODE_CACHE),$(HOME)/.cache/jwtlens-node)
OIDC_PROVIDER ?= oidc-provider@9

node-test-deps:
	test -f $(NODE_CACHE)/node_modules/oidc-provider/package.json || \
		npm install --prefix $(NODE_CACHE) --no-audit --no-fund $(OIDC_PROVIDER)

run: $(VENV)/.installed
	@echo "jwtlens: serving on http://$(HOST):$(PORT)"
	$(BIN)/jwtlens serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

check: lint typecheck test

# Benchmarks with budgets (docs/benchmarks.md); exits non-zero when a budget is missed.
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
