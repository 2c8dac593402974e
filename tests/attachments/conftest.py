"""Fixtures of the servers and attachments tests: a logged-in console client against the real emulator."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from console import api
from tests.console.login_helpers import context_of, log_in
from tests.emulator_process import EmulatorProcess


def wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def make_volume(ctx, *, name: str, zone: str = "az1", size: int = 1) -> api.Volume:
    """A volume made through the API (not the console), once it is available."""
    volume = api.volume_create(ctx, size=size, availability_zone=zone, display_name=name)
    return wait_for(lambda: (v := api.volume_get(ctx, volume.id)).status == "available" and v)


def server_named(ctx, name: str) -> api.Server:
    return next(server for server in api.server_list(ctx) if server.name == name)


@pytest.fixture
def console(client, settings, emulator, account):
    """A client logged in to a fresh project; listings refresh quickly so tests see changes soon."""
    settings.IDENTITY_URL = emulator.identity_url
    settings.INVENTORY_ACTIVE_INTERVAL = 0.2
    settings.INVENTORY_IDLE_INTERVAL = 0.2
    settings.API_RATE_PER_PROJECT = 0  # the emulator's limit is off too: tests prepare data quickly
    cache.clear()
    assert log_in(client, account).status_code == 302
    return client


@pytest.fixture
def ctx(console):
    return context_of(console)


@pytest.fixture(scope="session")
def slow_attach_emulator():
    """A rate-limited emulator whose attaches take two minutes: a volume stays attaching."""
    proc = EmulatorProcess(
        env={
            "EMULATOR_RATE": "1",
            "EMULATOR_BURST": "1",
            "EMULATOR_CREATE_SECONDS": "0.1",
            "EMULATOR_ATTACH_SECONDS": "120",
        }
    ).start()
    yield proc
    proc.stop()
