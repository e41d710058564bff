# KAM: the two commands a newcomer needs are `make run` and `make test` (see README.md).
# Only Python 3.11 and make are required; everything else goes into .venv.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
# The exact versions installed, resolved from pyproject.toml by `make lock` (uv): requirements.lock for
# production (the Dockerfile), requirements-dev.lock with the dev extra (make install, test, run, CI).
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
LOCK_OPTIONS := --python-version 3.11 --python-platform x86_64-manylinux_2_28 --no-header --quiet
# Reinstalled only when the lock file changes.
INSTALLED := $(VENV)/.installed-from-pyproject
BOOTSTRAP_PYTHON := $(shell command -v python3.11 || command -v python3)

.PHONY: help install run test lint format messages lock backup restore

help:
	@echo "make run     start KAM (web, worker, beat; embedded PostgreSQL/Redis unless DATABASE_URL/REDIS_URL are set)"
	@echo "make test    ruff, makemigrations --check, pytest"
	@echo "make lint    ruff check and ruff format --check"
	@echo "make format  ruff format and ruff check --fix"
	@echo "make messages  extract strings into the Chinese catalogue and compile it"
	@echo "make lock    re-resolve requirements*.lock from pyproject.toml (after changing dependencies)"
	@echo "make backup  back up the database to var/backups/ (or FILE=...)"
	@echo "make restore FILE=...  restore a backup into the database (NEW_DATABASE=name: into a new one)"

$(PYTHON):
	@test -n "$(BOOTSTRAP_PYTHON)" || { echo "KAM needs Python 3.11 (python3.11 or python3 on PATH)"; exit 1; }
	$(BOOTSTRAP_PYTHON) -m venv $(VENV)

$(INSTALLED): $(DEV_LOCK) pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --disable-pip-version-check --quiet -r $(DEV_LOCK)
	$(PYTHON) -m pip install --disable-pip-version-check --quiet --no-deps -e .
	@touch $@

# Run after changing dependencies in pyproject.toml, and commit both files (a test checks they agree).
lock: | $(PYTHON)
	test -x $(VENV)/bin/uv || $(PYTHON) -m pip install --disable-pip-version-check --quiet 'uv>=0.5,<1'
	$(VENV)/bin/uv pip compile pyproject.toml $(LOCK_OPTIONS) -o $(LOCK)
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev $(LOCK_OPTIONS) -o $(DEV_LOCK)

install: $(INSTALLED)

run: $(INSTALLED)
	$(PYTHON) -m kam.launcher

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(INSTALLED)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	DJANGO_SETTINGS_MODULE=kam.settings.test $(PYTHON) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

# The catalogue has no source locations, so parallel branches adding strings rarely touch the same lines.
messages: $(INSTALLED)
	$(PYTHON) manage.py makemessages -l zh_Hans --no-location --no-obsolete --ignore='.venv/*' --ignore='var/*' --ignore='tests/*'
	cd locale && ../$(PYTHON) ../manage.py compilemessages -l zh_Hans

# Backups (README, "Backups"): pg_dump custom format; the embedded server's own tools when it is in use.
backup: $(INSTALLED)
	$(PYTHON) manage.py backup $(if $(FILE),--output $(FILE))

restore: $(INSTALLED)
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/kam-....dump [NEW_DATABASE=name]"; exit 1; }
	$(PYTHON) manage.py restore $(FILE) $(if $(NEW_DATABASE),--new-database $(NEW_DATABASE))
