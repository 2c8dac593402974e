"""Fixtures shared by the whole suite."""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.emulator_process import FAST, EmulatorProcess

# Property-based tests (hypothesis) keep modest example counts (each test sets its own). In CI they
# are derandomized: the same examples every run, so a red build is a real regression, never a new
# random draw; locally they explore (HYPOTHESIS_PROFILE=ci gives CI's draw).
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI", "").lower() == "true" else "dev")
)

_names = itertools.count(1)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory) -> None:
    """The test database is a file, as in production, never SQLite's in-memory database.

    With an in-memory database Django hands the live server's threads the test's own connection, so
    two requests at once (a page and its badge poll) share one transaction state and corrupt it
    (`IndexError: pop from empty list` in `transaction.atomic`, then every later query fails). With
    a file, every thread has its own connection, as every gunicorn thread does; WAL and IMMEDIATE
    transactions (console.settings) let them write in turn. PostgreSQL runs in tests/integration.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test-console.sqlite3")


@pytest.fixture(autouse=True)
def _fresh_shared_cache(request, django_db_blocker):
    """Every test that runs the console for real (a live server, or its own threads on a transactional
    database) starts with an empty shared cache: no listing, budget claim, lock or login throttle count
    of an earlier test, failed or not, reaches it. Other tests run inside a transaction that is rolled
    back, the database cache's rows with it."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        from django.core.cache import cache

        request.getfixturevalue("django_db_setup")  # the test database, never the real one
        with django_db_blocker.unblock():
            cache.clear()
    yield


@pytest.fixture(scope="session")
def emulator():
    """One real emulator process for the session, rate limit off, fast lifecycles."""
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0"}).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def limited_emulator():
    """A second emulator with the spec's rate limit on (1 call/s per project)."""
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "1", "EMULATOR_BURST": "1"}).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium driven by Playwright, one per test process, for every folder that drives a
    browser (tests/browser, the browser flow of tests/openstack). Defined here, once: a second
    definition would start a second Playwright in the same process, which refuses to run inside the
    first one's event loop."""
    if not CHROMIUM.exists():
        message = (
            f"!!! {CHROMIUM} is missing: the browser tests cannot run. "
            "Install it with `apt-get install chromium` (make test does this when run as root)."
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def account(emulator):
    """A fresh user and project in the session's emulator, so tests never see each other's data."""
    name = f"t{os.getpid()}x{next(_names)}"
    info = emulator.new_account(name)
    return {"user": name, "password": f"{name}-password", "project": name, **info}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Under `make test` (pytest-xdist, --dist loadgroup) the tests that share one stack, one cloud or
    one large fixture are marked `xdist_group` and must run on one worker: pytest-xdist marks them by
    suffixing their node ids with the group. A pytest that silently drops that (pytest 9.2 does) would
    start a stack per worker and race them, so refuse to run instead."""
    if not getattr(config.option, "loadgroup", False):
        return
    ungrouped = [
        item.nodeid for item in items if item.get_closest_marker("xdist_group") and "@" not in item.nodeid
    ]
    if ungrouped:
        raise pytest.UsageError(
            f"pytest-xdist did not group {len(ungrouped)} tests marked xdist_group (e.g. {ungrouped[0]}): "
            "this pytest version breaks --dist loadgroup; use the version pinned in requirements.txt."
        )
