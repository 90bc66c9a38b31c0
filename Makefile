# attest: `make run` serves the demo on http://127.0.0.1:5000; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres install install-dev system-deps lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when the package metadata changes.
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e ".[postgres]"
	touch $@

$(VENV)/.installed-dev: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian packages the tests use (pdftotext, pdffonts, pdftoppm). Installed only when missing.
system-deps:
	@command -v pdftotext >/dev/null && command -v pdffonts >/dev/null || { \
	  echo "Installing poppler-utils (pdftotext, pdffonts)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq poppler-utils >/dev/null; }

run: install
	$(BIN)/attest init
	$(BIN)/attest demo
	$(BIN)/attest serve

test: install-dev system-deps
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	@echo "== test suite on SQLite =="
	$(BIN)/pytest $(PYTEST_ARGS)

# Runs when PostgreSQL answers at 127.0.0.1:5432; otherwise says so loudly and skips.
test-postgres:
	@if $(BIN)/python -c "import psycopg; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=test', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== test suite on PostgreSQL =="; \
	  ATTEST_TEST_DATABASE_URL="$(PG_URL)" $(BIN)/pytest $(PYTEST_ARGS) -p no:cacheprovider; \
	else \
	  echo "!! PostgreSQL is not reachable at 127.0.0.1:5432: SKIPPING the PostgreSQL run !!"; \
	fi

lint: install-dev
	@echo "== lint =="
	$(BIN)/flake8 attest tests bench
	$(BIN)/isort --check-only --diff attest tests bench
	$(BIN)/black --check -q -l 100 attest tests bench

format: install-dev
	$(BIN)/isort -q attest tests bench
	$(BIN)/black -q -l 100 attest tests bench

bench: install-dev system-deps
	$(BIN)/python bench/bench_render.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
