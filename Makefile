# Slotwise — `make run` starts the demo, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install messages run test test-clock test-slow-network lint format bench soak migrate clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Slotwise needs Python 3.12 or newer")'
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $(STAMP)

# The .mo files are built from the project's .po files (pure Python, no gettext needed).
install: $(STAMP)
	$(PY) manage.py translations compile

# After changing user-visible strings: collect them into every language's .po file (needs
# GNU gettext's xgettext/msgmerge), then translate the new entries (docs/translating.md).
messages: install
	$(PY) manage.py translations update

migrate: install
	$(PY) manage.py migrate --noinput

# Web server and background worker side by side; Ctrl-C stops both.
run: migrate
	$(PY) manage.py seed_demo
	@echo "Slotwise is starting on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(PY) manage.py run_worker & \
	  $(PY) manage.py runserver --insecure --noreload $(HOST):$(PORT)

# Measures line and branch coverage and fails below the floors (docs/testing.md, "Coverage").
# Two test processes (pytest-xdist): the suite runs in about half the time on 2 cores.
test: install
	$(PY) -m pytest -n 2 --cov --cov-report=
	$(PY) -m tests.support.coverage_gate

# The browser and time tests with the clock frozen late in the evening and just after
# midnight in the test businesses' zone (docs/testing.md); fails on any failure or skip.
CLOCK_INSTANTS ?= 2030-01-16T23:40:00+01:00 2030-01-17T00:05:00+01:00
test-clock: install
	@set -o pipefail; log=$$(mktemp); for instant in $(CLOCK_INSTANTS); do \
	  echo "=== browser and time tests at $$instant ==="; \
	  SLOTWISE_TEST_NOW=$$instant $(PY) -m pytest tests/browser tests/time -q -p no:cacheprovider \
	    2>&1 | tee $$log || exit 1; \
	  if tail -n 3 $$log | grep -Eq '[0-9]+ skipped'; then echo "tests were skipped"; exit 1; fi; \
	done

# The browser tests on a slow network (100 ms, 30 kB/s; docs/testing.md): a test that reads
# a page before the one it asked for has arrived fails here every time.
test-slow-network: install
	@set -o pipefail; log=$$(mktemp); \
	SLOTWISE_BROWSER_SLOW_NETWORK=1 $(PY) -m pytest tests/browser -n 2 -q -p no:cacheprovider \
	  2>&1 | tee $$log || exit 1; \
	if tail -n 3 $$log | grep -Eq '[0-9]+ skipped'; then echo "tests were skipped"; exit 1; fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	PYTHONPATH=src $(VENV)/bin/lint-imports
	$(PY) manage.py translations check

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmarks (never part of make test); BENCH_ARGS="--only engine --quick" narrows a run.
bench: install
	$(PY) -m bench $(BENCH_ARGS)

# Ten minutes of mixed traffic against gunicorn + worker + PostgreSQL (docs/reliability.md).
soak: install
	$(PY) -m bench.soak --database postgresql

clean:
	rm -rf $(VENV) var/test_* .pytest_cache .coverage .coverage.* htmlcov
