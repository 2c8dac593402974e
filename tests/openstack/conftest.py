"""Fixtures for the suite against real Keystone 30 + Cinder 29 (tests/openstack/cloud.py).

`openstack` starts both once per test session, on free loopback ports with throw-away state, and
stops them at the end; every test in this folder is marked `openstack`. Without the virtualenvs
(`make openstack-venvs`, part of `make test`) the tests skip with a loud warning; with CI=true they
fail instead.

    def test_something(openstack, openstack_account):
        token, body = openstack.token_of(openstack_account)
        url = openstack.volume_url(next(iter(openstack_account.projects)))
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from tests.openstack.cloud import Account, HarnessError, OpenStackCloud, missing_venvs

HERE = Path(__file__).resolve().parent
NOT_RUN: list[str] = []
STARTED: list[OpenStackCloud] = []


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the group
def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.openstack)
            # One worker of pytest-xdist runs them all: one Keystone + Cinder per test run.
            item.add_marker(pytest.mark.xdist_group("openstack"))


@pytest.fixture(scope="session")
def openstack():
    """Keystone + Cinder on loopback for the whole session (see OpenStackCloud for the accounts,
    URLs and helpers: attach, detach, reset_status, set_quota, wait_for_status, new_account)."""
    missing = missing_venvs()
    if missing:
        message = (
            f"!!! The OpenStack virtualenvs are missing ({', '.join(missing)}): the tests against real "
            "Keystone and Cinder cannot run. Build them with `make openstack-venvs` (make test does)."
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        warnings.warn(message, stacklevel=1)
        NOT_RUN.append(message)
        pytest.skip(message)
    cloud = OpenStackCloud()
    try:
        cloud.start()
    except HarnessError as error:
        pytest.fail(f"Keystone + Cinder did not start: {error}", pytrace=False)
    STARTED.append(cloud)
    yield cloud
    cloud.stop()


@pytest.fixture
def openstack_account(openstack) -> Account:
    """A fresh project with a member user of its own: the test sees only its own volumes."""
    return openstack.new_account()


def pytest_terminal_summary(terminalreporter) -> None:
    if STARTED:
        cloud = STARTED[0]
        steps = ", ".join(f"{name} at {seconds:.1f} s" for name, seconds in cloud.timings.items())
        terminalreporter.write_line(f"OpenStack harness: started in {cloud.startup_seconds:.1f} s ({steps})")
    if NOT_RUN:
        terminalreporter.write_sep("!", "THE OPENSTACK TESTS DID NOT RUN", red=True, bold=True)
        terminalreporter.write_line(NOT_RUN[0], red=True, bold=True)


# --- the console against the harness (tests/openstack/test_*.py other than test_harness.py) ------


@pytest.fixture
def console_on_openstack(settings, openstack):
    """The console's settings pointed at the harness: Identity, no metering (the budget's own test
    turns it on), listings refreshed quickly, an empty shared cache."""
    from django.core.cache import cache

    settings.IDENTITY_URL = openstack.identity_url
    settings.API_RATE_PER_PROJECT = 0
    settings.INVENTORY_ACTIVE_INTERVAL = 0.2
    cache.clear()
    return openstack


@pytest.fixture
def member_client(client, console_on_openstack, openstack_account):
    """A Django test client logged in (through the login form) as a fresh project's member."""
    from tests.openstack.console import log_in

    response = log_in(client, openstack_account)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client
