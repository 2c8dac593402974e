# Block Storage Console: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CLIENTS_VENV := .venv-clients

.PHONY: run test venv clients system-deps migrate lint bench clean

## run: set up, then start the emulator (:8776) and the console (:8000); Ctrl-C stops everything.
run: venv migrate
	@scripts/run-dev.sh

## test: set up everything the suite needs, then run the whole suite.
test: venv clients system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

## clients: the third-party OpenStack clients that check the emulator, in their own virtualenv.
clients: $(CLIENTS_VENV)/.installed

$(CLIENTS_VENV)/.installed: requirements-clients.txt
	@test -x $(CLIENTS_VENV)/bin/python || $(PYTHON) -m venv $(CLIENTS_VENV)
	$(CLIENTS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(CLIENTS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-clients.txt
	@touch $@

## system-deps: Debian packages the tests need (chromium for the browser suite).
system-deps:
	@scripts/ensure-system-packages.sh chromium

migrate: venv
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

lint: venv
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) $(CLIENTS_VENV) var .pytest_cache
