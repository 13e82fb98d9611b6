# Slotwise — `make run` starts the demo, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-fast lint format bench soak migrate clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Slotwise needs Python 3.12 or newer")'
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

# Web server and background worker side by side; Ctrl-C stops both.
run: migrate
	$(PY) manage.py seed_demo
	@echo "Slotwise is starting on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(PY) manage.py run_worker & \
	  $(PY) manage.py runserver --insecure --noreload $(HOST):$(PORT)

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

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
	rm -rf $(VENV) var/test_* .pytest_cache
