"""Fixtures of the snapshots tests: a client logged in to the real emulator, and its context."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.console.login_helpers import context_of, log_in


@pytest.fixture
def client_in(client, settings, emulator, account):
    settings.IDENTITY_URL = emulator.identity_url
    settings.INVENTORY_ACTIVE_INTERVAL = 0.2
    settings.INVENTORY_IDLE_INTERVAL = 0.5
    settings.API_RATE_PER_PROJECT = 0  # the emulator has its limit off too: no pacing in tests
    cache.clear()
    assert log_in(client, account).status_code == 302
    return client


@pytest.fixture
def ctx(client_in):
    return context_of(client_in)
