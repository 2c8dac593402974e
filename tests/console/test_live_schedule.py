"""When badges poll again: on their listing's refresh beat, and a poll that comes while another tab's
refresh is in flight answers with what that refresh saw (console.live, console.inventory)."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from html import unescape

import pytest
from django.core.cache import cache
from django.test import Client

from console import api, inventory
from console.inventory import listing_get, listing_key
from tests.console.login_helpers import context_of, log_in
from tests.emulator_process import EmulatorProcess

pytestmark = pytest.mark.django_db(transaction=True)

POLLER = re.compile(r'id="status-poller-volumes"[^>]*?hx-get="([^"]+)"[^>]*?data-interval="([0-9.]+)"')


@pytest.fixture(scope="module")
def emulator_slow():
    """Volumes stay `creating` for a minute unless the test waits that long (it never does)."""
    proc = EmulatorProcess(
        env={"EMULATOR_RATE": "0", "EMULATOR_SPEED": "1", "EMULATOR_CREATE_SECONDS": "60"}
    ).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def emulator_quick():
    """Volumes are `creating` for 2 s."""
    proc = EmulatorProcess(
        env={"EMULATOR_RATE": "0", "EMULATOR_SPEED": "1", "EMULATOR_CREATE_SECONDS": "2"}
    ).start()
    yield proc
    proc.stop()


def logged_in(settings, emulator: EmulatorProcess) -> tuple[Client, dict]:
    settings.IDENTITY_URL = emulator.identity_url
    settings.API_RATE_PER_PROJECT = 1  # the spec's limit: a moving listing is refreshed every 1.155 s
    settings.INVENTORY_ACTIVE_INTERVAL = 1.0
    settings.BADGE_POLL_INTERVAL = 2.0
    settings.BADGE_POLL_MIN_INTERVAL = 0.5
    name = f"sched{time.monotonic_ns()}"
    account = {"user": name, "password": f"{name}-password", "project": name, **emulator.new_account(name)}
    client = Client()
    assert log_in(client, account).status_code == 302
    return client, account


def poller(html: str) -> tuple[str, float]:
    match = POLLER.search(html)
    assert match, "the page has no poller"
    return unescape(match.group(1)), float(match.group(2))


def test_a_poller_comes_back_when_its_listing_is_next_refreshed_not_on_a_fixed_beat(settings, emulator_slow):
    client, _ = logged_in(settings, emulator_slow)
    # The page's first loads of its listings go at once (no pacing), so that the page's own time for
    # the cloud (INVENTORY_PAGE_WAIT) is not spent waiting for turns.
    settings.API_RATE_PER_PROJECT = 0
    ctx = context_of(client)
    volume = api.volume_create(ctx, size=1, display_name="moving")
    page = client.get("/volumes/")
    url, interval = poller(page.content.decode())
    # The page loaded the listing just now; it is next due INVENTORY_ACTIVE_INTERVAL (1 s) later:
    # the poller comes then (and a little after), not BADGE_POLL_INTERVAL (2 s) later.
    assert interval < settings.BADGE_POLL_INTERVAL
    settings.API_RATE_PER_PROJECT = 1
    listing = listing_get(ctx, "volumes", refresh=False)
    assert volume.id in listing.by_id
    # A poll that finds its listing overdue (its refresh found no turn: the turnstile is closed by
    # a call that just went) comes back after the shortest pause.
    key = listing_key(ctx, "volumes")
    cache.set(key, dataclasses.replace(listing, fetched_at=time.time() - 30), 3600)
    cache.set(f"budget:volume:{ctx.project_id}:last", time.time() + 60, 120)  # Block Storage's budget
    answer = client.get(url, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    _, retry = poller(answer.content.decode())
    assert retry == settings.BADGE_POLL_MIN_INTERVAL


def test_a_poll_during_another_tabs_refresh_answers_with_that_refresh(settings, emulator_quick, monkeypatch):
    # The bound on the wait is long here so that a busy machine cannot end it before the test does.
    monkeypatch.setattr(inventory, "REFRESH_WAIT", 60.0)
    client, _ = logged_in(settings, emulator_quick)
    settings.API_RATE_PER_PROJECT = 0  # the test's own look at the volume must not take the turn
    ctx = context_of(client)
    volume = api.volume_create(ctx, size=1, display_name="soon-available")
    url, _ = poller(client.get("/volumes/").content.decode())
    key = listing_key(ctx, "volumes")
    lock = key + ":lock"
    # Another tab starts refreshing the listing (it holds the listing's lock) ...
    assert cache.add(lock, time.time(), 30)
    deadline = time.monotonic() + 30
    while api.volume_get(ctx, volume.id).status != "available":
        assert time.monotonic() < deadline, "the volume never became available"
        time.sleep(0.2)
    while not listing_get(ctx, "volumes", refresh=False).due(time.time()):
        time.sleep(0.05)
    # ... and meanwhile this tab's poll comes, its listing due.
    answers: list = []
    poll = threading.Thread(target=lambda: answers.append(client.get(url, HTTP_HX_REQUEST="true")))
    poll.start()
    poll.join(timeout=1.0)
    assert poll.is_alive(), "the poll answered with the listing it had instead of waiting for the refresh"
    # The other tab's refresh lands.
    inventory._refresh(ctx, "volumes", listing_get(ctx, "volumes", refresh=False))
    cache.delete(lock)
    poll.join(timeout=30)
    (answer,) = answers
    assert answer.status_code == 286  # nothing it follows moves any more
    assert f'id="status-volumes-{volume.id}"' in answer.content.decode()
    assert "Available" in answer.content.decode()
