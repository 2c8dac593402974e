"""Fixtures of the volumes section's tests: a Django test client logged in against the emulator."""

from __future__ import annotations

import re
import time

import pytest
from django.core.cache import cache

from tests.console.login_helpers import log_in


@pytest.fixture
def client_in(client, settings, emulator, account):
    settings.IDENTITY_URL = emulator.identity_url
    settings.INVENTORY_ACTIVE_INTERVAL = 0.2
    # The session's emulator has no rate limit: the console need not pace itself (the budget test does).
    settings.API_RATE_PER_PROJECT = 0
    cache.clear()
    assert log_in(client, account).status_code == 302
    return client


def wait_for(predicate, timeout=15.0, pause=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(pause)
    raise AssertionError("condition not met in time")


def create_key(html: str) -> str:
    return re.search(r'name="create_key" value="([0-9a-f]{32})"', html).group(1)


def create_form(client, **values) -> dict:
    """The create form's fields as a browser would post them (a fresh idempotency key)."""
    page = client.get("/volumes/create/")
    data = {
        "create_key": create_key(page.content.decode()),
        "snapshot_id": "",
        "source_volid": "",
        "image_id": "",
        "size": "1",
        "availability_zone": "az2",
        "name": "",
        "description": "",
        "meta_rows": "2",
        "meta_key_0": "",
        "meta_value_0": "",
        "meta_key_1": "",
        "meta_value_1": "",
    }
    data.update({key: str(value) for key, value in values.items()})
    return data


def calls(emulator, project_id: str, method: str | None = None) -> int:
    """API calls the emulator saw from a project (of one HTTP method, if given)."""
    entry = emulator.stats(project_id)["projects"][project_id]
    return entry["total"] if method is None else entry["by_method"].get(method, 0)
