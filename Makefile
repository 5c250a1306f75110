# Two commands on a fresh machine:
#   make run   — set up and serve the app on http://127.0.0.1:5000 (SQLite, jobs inline, demo data)
#   make test  — set up and run the whole suite on SQLite and PostgreSQL (Redis, rq, chromium)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup setup-test assets translations messages services clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

core/static/vendor/.copied: node_modules/.installed tools/copy_assets.py
	$(BIN)/python tools/copy_assets.py
	touch $@

translations: $(BIN)/.installed
	$(BIN)/pybabel compile -d core/translations 2>&1 | grep -v "^compiling" || true

# Extract the core's messages (not the plugins': each keeps its own catalog) into the English
# catalog; then translate the new entries in core/translations/en/LC_MESSAGES/messages.po.
messages: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs ".* ._ plugins node_modules" \
		--sort-by-file -o /tmp/peyvand-core.pot .
	$(BIN)/pybabel update -i /tmp/peyvand-core.pot -d core/translations -l en --no-fuzzy-matching

setup: $(BIN)/.installed core/static/vendor/.copied translations

setup-test: setup $(BIN)/.installed-test

run: setup
	$(BIN)/peyvand db upgrade
	$(BIN)/peyvand demo --if-empty
	@$(BIN)/peyvand logins
	@echo "پیوند روی http://$(HOST):$(PORT) در دسترس است."
	$(BIN)/peyvand run --host $(HOST) --port $(PORT)

services:
	tools/ensure_services.sh

test: setup-test services
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules core/static/vendor
