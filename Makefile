# attest: `make run` serves the demo on http://127.0.0.1:5000; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
# pytest-xdist: one worker per core (each with its own PostgreSQL database, free ports and
# Chromium); work-stealing keeps both busy while one runs a long test.
XDIST ?= -n auto --dist worksteal
# Some machines (these included) set PYTHONDONTWRITEBYTECODE=1: then every pytest worker and
# every `attest` subprocess a test starts compiles attest, the tests and pytest's rewritten
# assertions from source again (about 7 s of CPU per worker). The tests keep their bytecode.
unexport PYTHONDONTWRITEBYTECODE
COMPILE = $(BIN)/python -m compileall -q -j 0 attest tests bench >/dev/null
# Whether PostgreSQL answers at 127.0.0.1:5432 (the PostgreSQL pass runs only then).
PG_UP = $(BIN)/python -c "import psycopg; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=test', connect_timeout=3).close()" 2>/dev/null

.PHONY: serve run pdfjs test test-deps static test-fast test-sqlite test-postgres install install-dev system-deps e2e-deps eark-deps i18n lint check format bench clean

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

# Debian packages the tests use (pdftotext, pdffonts, pdftoppm; SoftHSM2 as the PKCS#11
# token of the HSM tests), and xmlsec1, which pysaml2 runs to sign and verify SAML messages
# (the app needs it too when SAML is configured). Installed only when missing.
system-deps:
	@command -v pdftotext >/dev/null && command -v pdffonts >/dev/null || { \
	  echo "Installing poppler-utils (pdftotext, pdffonts)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq poppler-utils >/dev/null; }
	@command -v xmlsec1 >/dev/null || { \
	  echo "Installing xmlsec1 (SAML signatures)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq xmlsec1 >/dev/null; }
	@command -v softhsm2-util >/dev/null || { \
	  echo "Installing softhsm2 (the PKCS#11 token of the HSM tests)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq softhsm2 >/dev/null; }
	@command -v softhsm2-util >/dev/null || { echo "!! softhsm2 is missing: the HSM tests cannot run !!"; exit 1; }

# The end-to-end tests' browser and accessibility checker (tests/e2e): Debian's Chromium
# headless shell (package chromium-headless-shell: the same Chromium release and engine as
# the package chromium, without the desktop browser around it; what Playwright runs for
# headless Chromium, at about half the CPU of the full browser), never a browser build that
# Playwright downloads, and axe-core pinned in package-lock.json. Installed only when
# missing; if it cannot be, this fails (the tests never skip).
e2e-deps: node_modules/.installed
	@test -x /usr/bin/chromium-headless-shell || { \
	  echo "Installing Debian's chromium-headless-shell for the end-to-end tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium-headless-shell >/dev/null; }
	@test -x /usr/bin/chromium-headless-shell || { echo "!! /usr/bin/chromium-headless-shell is missing: the e2e tests cannot run !!"; exit 1; }

# The E-ARK validator that tests/test_archive.py runs on exported packages, in a venv of its
# own: eark-validator 1.1.3 pins lxml 5.1.0, which pyHanko (lxml 5.4 or later) excludes.
eark-deps: .venv-eark/.installed

.venv-eark/.installed:
	$(PYTHON) -m venv .venv-eark
	.venv-eark/bin/pip install --quiet "eark-validator==1.1.3"
	touch $@

# npm packages, pinned in package-lock.json: pdf.js (the memo page draws the PDF with it)
# and axe-core (the e2e tests). .npmrc leaves out pdf.js's optional native canvas for Node.
node_modules/.installed: package.json package-lock.json .npmrc
	@command -v npm >/dev/null || { echo "!! npm is missing (apt-get install npm): pdf.js and axe-core come from npm !!"; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

# pdf.js for `make run`. Without npm the app still runs: the memo page then says that the
# PDF viewer is not installed and links to the PDF.
pdfjs:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory node_modules/.installed; \
	  else echo "!! npm is missing: the memo page cannot show the PDF (apt-get install npm, then make run) !!"; fi

# The server and, beside it, the outbox's worker (mails, webhooks, reminders): the worker
# stops when the server does.
run: install pdfjs
	$(BIN)/attest init
	$(BIN)/attest demo
	$(BIN)/attest worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/attest serve

# Everything: lint, bandit, mypy, pip-audit, then the whole suite on SQLite and again on
# PostgreSQL (tests marked `once` only on SQLite). Nothing is left out to be fast.
# The two passes run side by side (their workers share the cores; many tests wait on
# servers and subprocesses): each pass's output is printed whole when it ends.
# When both passes run, the tests that run once (marked `once`) are shared between them so
# that they end together (ATTEST_TEST_BOTH_PASSES: tests/support/passes.py says which go where);
# `make test-sqlite` alone runs them all.
test: test-deps
	@$(COMPILE)
	@echo "== static checks, the SQLite and the PostgreSQL pass run side by side; each prints when it ends =="
	@if $(PG_UP); then both=1; else both=0; fi; \
	ATTEST_TEST_BOTH_PASSES=$$both $(MAKE) --no-print-directory -j4 --output-sync=target static test-sqlite test-postgres

# What make test needs, installed when missing: the Debian packages first (one apt-get at a
# time), then the venv, the E-ARK validator's venv and the npm packages side by side.
test-deps:
	@$(MAKE) --no-print-directory system-deps
	@$(MAKE) --no-print-directory -j3 --output-sync=target install-dev eark-deps e2e-deps

# lint then check, as one job of make test
static: lint check

# The inner loop: every test but the `system` (servers, subprocesses, Chromium, faults) and
# `slow` ones, on SQLite, in parallel. Under two minutes.
test-fast: install-dev system-deps node_modules/.installed
	@$(COMPILE)
	@echo "== fast tests on SQLite (not system, not slow) =="
	$(BIN)/pytest $(XDIST) -p no:cacheprovider -m "not system and not slow" $(PYTEST_ARGS)

test-sqlite:
	@echo "== test suite on SQLite =="
	$(BIN)/pytest $(XDIST) $(PYTEST_ARGS)

# Runs when PostgreSQL answers at 127.0.0.1:5432; otherwise says so loudly and skips.
# Within `make test` (ATTEST_TEST_BOTH_PASSES=1) PostgreSQL answered a moment ago and this
# pass has tests of its own to run: then a PostgreSQL gone away fails the run.
test-postgres:
	@if $(PG_UP); then \
	  echo "== test suite on PostgreSQL =="; \
	  ATTEST_TEST_DATABASE_URL="$(PG_URL)" $(BIN)/pytest $(XDIST) $(PYTEST_ARGS) -p no:cacheprovider; \
	elif [ "$$ATTEST_TEST_BOTH_PASSES" = 1 ]; then \
	  echo "!! PostgreSQL stopped answering at 127.0.0.1:5432 during make test !!"; exit 1; \
	else \
	  echo "!! PostgreSQL is not reachable at 127.0.0.1:5432: SKIPPING the PostgreSQL run !!"; \
	fi

lint: install-dev
	@echo "== lint =="
	$(BIN)/flake8 attest tests bench
	$(BIN)/isort --check-only --diff attest tests bench
	$(BIN)/black --check -q -l 100 attest tests bench

# Static checks: bandit on our code (medium and high findings fail), mypy on attest/, and
# pip-audit on the installed packages (a known vulnerability fails). A package pip-audit cannot look up is
# counted loudly, never taken for clean; if pip-audit cannot reach the advisory data at
# all, that is said loudly and is not a finding (like the PostgreSQL run).
check: install-dev
	@echo "== bandit =="
	$(BIN)/bandit -q -r attest -ll
	@echo "== mypy =="
	$(BIN)/mypy attest
	@echo "== pip-audit =="
	@out=$$($(BIN)/pip-audit --local --skip-editable --progress-spinner off 2>&1); status=$$?; \
	echo "$$out" | grep -v "could not be audited"; \
	skipped=$$(echo "$$out" | grep -c "could not be audited"); \
	if [ "$$skipped" -gt 0 ]; then \
	  echo "!! pip-audit could not look up $$skipped packages: those are NOT audited !!"; \
	fi; \
	if [ $$status -ne 0 ] && ! echo "$$out" | grep -q "known vulnerabilit"; then \
	  echo "!! pip-audit did not finish (advisory data unreachable?): SKIPPED, not a finding !!"; \
	  status=0; \
	fi; \
	exit $$status

# Languages (Flask-Babel): Swedish source strings in the code and templates, English in
# translations/en/LC_MESSAGES/messages.po. This extracts the strings, merges them into the
# .po (translate what is new there, then run it again) and compiles messages.mo. The .po and
# the .mo are committed: a fresh checkout runs without this step.
i18n: install-dev
	$(BIN)/pybabel -q extract -F babel.cfg -o translations/messages.pot --no-wrap -k _l -k lazy_gettext \
	  --sort-by-file --add-location=file --project attest --version 0.1.0 \
	  --copyright-holder attest --ignore-dirs ".* ._ build instance keys node_modules tests" .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-wrap --ignore-obsolete
	$(BIN)/pybabel compile -d translations --statistics

format: install-dev
	$(BIN)/isort -q attest tests bench
	$(BIN)/black -q -l 100 attest tests bench

# Every page the browser tests look at, saved as PNG at 1280 and 390 px to tests/screenshots/
# (make test checks the same pages with axe but saves no pictures: they cost CPU).
screenshots: install-dev system-deps e2e-deps
	@$(COMPILE)
	ATTEST_SCREENSHOTS=1 $(BIN)/pytest $(XDIST) -p no:cacheprovider tests/e2e $(PYTEST_ARGS)

# Every benchmark (bench/*.py, each measuring against its baseline in the same run), then
# one table of the ratios, also written to bench/RESULTS.md. Needs PostgreSQL at
# 127.0.0.1:5432; under 10 minutes. BENCH_ARGS="--only bench_load" runs one of them.
BENCH_ARGS ?= --write bench/RESULTS.md
bench: install-dev system-deps
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Production: gunicorn with several workers; the settings come from ATTEST_* variables
# (README, "Running in production"), e.g. ATTEST_DATABASE_URL for PostgreSQL.
serve: install pdfjs
	$(BIN)/pip install --quiet -e ".[prod]"
	$(BIN)/attest init
	$(BIN)/attest serve --prod --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
