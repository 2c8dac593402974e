"""Fixtures of the security tests: the console pointed at the session's emulator, logged-in clients,
and a volume with hostile text in every field the API stores."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from console import api
from console.api.context import CloudContext
from tests.console.login_helpers import context_of, log_in

# Text a user could put in a volume's name, description and metadata: none of it may ever run.
HOSTILE_NAME = '<script>alert("name")</script><img src=x onerror=alert(1)>'
HOSTILE_DESCRIPTION = '<div hx-get="/logout/" hx-trigger="load" hx-swap="outerHTML">{{ 7*7 }}</div>'
HOSTILE_METADATA = {"<b>key</b>": '"><svg onload=alert(1)>', "hx-post": "'; alert(1); '"}


@pytest.fixture(autouse=True)
def cloud(settings, emulator):
    settings.IDENTITY_URL = emulator.identity_url
    settings.INVENTORY_ACTIVE_INTERVAL = 0.2
    # The session's emulator has no rate limit: the console need not pace itself.
    settings.API_RATE_PER_PROJECT = 0
    cache.clear()  # inventory listings and login throttle tallies of earlier tests
    return emulator


@pytest.fixture
def client_in(client, account):
    assert log_in(client, account).status_code == 302
    return client


def wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def volume_available(ctx: CloudContext, **fields) -> api.Volume:
    """Create a volume straight through the API client (no console action, no watch) and wait for it."""
    volume = api.volume_create(ctx, size=1, **fields)
    return wait_for(lambda: (v := api.volume_get(ctx, volume.id)).status == "available" and v)


@pytest.fixture
def hostile_volume(client_in) -> api.Volume:
    return volume_available(
        context_of(client_in),
        display_name=HOSTILE_NAME,
        display_description=HOSTILE_DESCRIPTION,
        metadata=HOSTILE_METADATA,
    )
