# Block Storage Console: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CLIENTS_VENV := .venv-clients
KEYSTONE_VENV := .venv-keystone
CINDER_VENV := .venv-cinder

.PHONY: run run-prod test venv clients openstack-venvs openstack axe system-deps services services-stop migrate lint bench clean

## run: set up, then start the emulator (:8776), the console (:8000) and a Celery worker with beat
## (embedded filesystem broker); Ctrl-C stops everything.
run: venv migrate
	@scripts/run-dev.sh

## run-prod: the production profile on this machine: PostgreSQL and Redis (Debian packages, loopback),
## gunicorn (2 workers x 4 threads), a Celery worker and beat, the emulator; Ctrl-C stops everything.
run-prod: venv
	@scripts/run-prod.sh

## test: set up everything the suite needs (PostgreSQL and Redis for tests/integration too), then
## run the whole suite, TEST_WORKERS processes at once (pytest-xdist: most tests wait on the cloud's
## lifecycles and the 1 call/s budget, not on the CPU). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 4
test: venv clients openstack-venvs system-deps axe services
	$(PY) -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadgroup) $(PYTEST_ARGS)

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

## openstack-venvs: real Keystone 30 and Cinder 29, each in its own virtualenv, for tests/openstack
## (started on loopback per test session by tests/openstack/cloud.py) and `make openstack`.
openstack-venvs: $(KEYSTONE_VENV)/.installed $(CINDER_VENV)/.installed

$(KEYSTONE_VENV)/.installed: requirements-openstack-keystone.txt
	@test -x $(KEYSTONE_VENV)/bin/python || $(PYTHON) -m venv $(KEYSTONE_VENV)
	$(KEYSTONE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(KEYSTONE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-openstack-keystone.txt
	@touch $@

$(CINDER_VENV)/.installed: requirements-openstack-cinder.txt
	@test -x $(CINDER_VENV)/bin/python || $(PYTHON) -m venv $(CINDER_VENV)
	$(CINDER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(CINDER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-openstack-cinder.txt
	@touch $@

## openstack: Keystone (:5000) and Cinder (:8786) on loopback in the foreground, with throw-away
## state; prints the IDENTITY_URL, users and passwords for `IDENTITY_URL=... make run`. Ctrl-C stops.
openstack: venv openstack-venvs
	@scripts/openstack/run.sh $(OPENSTACK_ARGS)

## axe: axe-core (the accessibility checker the browser tests inject), pinned by
## tests/browser/package-lock.json, installed with npm ci.
AXE := tests/browser/node_modules/axe-core/axe.min.js
axe: $(AXE)

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

## system-deps: Debian packages the tests need (chromium for the browser suite, PostgreSQL and Redis
## for the integration suite, node and npm for axe-core).
system-deps:
	@scripts/ensure-system-packages.sh chromium postgresql redis-server nodejs npm

## services: start the private PostgreSQL cluster and Redis on loopback (var/pg, var/redis); without
## the packages it warns, and the integration tests skip loudly (in CI they fail).
services:
	@scripts/services.sh start || echo "!!! PostgreSQL/Redis not started: tests/integration will skip (CI fails)." >&2

services-stop:
	@scripts/services.sh stop

migrate: venv
	@mkdir -p var
	$(PY) manage.py migrate --noinput

## bench: the console's benchmarks (API budget vs a Horizon-style poller, badge freshness, page latency,
## poll throughput, 20 projects at once, the fair budget, 10,000 volumes in one project, and the budget
## and freshness benches again against real Keystone + Cinder) on loopback, ~20 minutes; writes
## docs/performance.md. Longer runs: BENCH_ARGS, e.g. BENCH_ARGS="--projects-seconds 300" (the
## many-projects run for 5 minutes) or "--seconds 300 --sessions 20"; some sections only: "--only big"
## (see .venv/bin/python bench/console_bench.py --help).
bench: venv openstack-venvs services
	@scripts/ensure-system-packages.sh wrk
	$(PY) bench/console_bench.py $(BENCH_ARGS)

lint: venv
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) $(CLIENTS_VENV) $(KEYSTONE_VENV) $(CINDER_VENV) var .pytest_cache tests/browser/node_modules
