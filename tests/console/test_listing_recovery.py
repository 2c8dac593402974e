"""After an outage every listing recovers within its interval: no listing starves.

Against a rate-limited emulator (1 call/s per project, the spec's limit), three tabs of a user keep
reading what a person looks at: the overview (`/`, which reloads its charts by itself), the volumes
list with a volume that stays `creating` (its badge polls), and the snapshots, backups and servers
lists and the create form (images). Then the cloud drops every connection of the project (the
emulator's faults hook) until the pages say it could not be reached, and comes back. From that
moment, every listing (volumes, snapshots, backups, servers, images, limits) must be fetched again
within its refresh interval (shortened here to keep the test short), and the pages must stop saying
the cloud could not be reached. Before the fix, the backups listing never got a background turn:
the listings read before it on every page took every free slot.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from console import api
from console.inventory import LOADERS, listing_get, listing_key
from tests.console.login_helpers import context_of, log_in
from tests.emulator_process import FAST, EmulatorProcess

pytestmark = pytest.mark.django_db(transaction=True)

UNREACHABLE = "could not be reached"
ACTIVE, IDLE, STATIC = 2.0, 12.0, 20.0


@pytest.fixture(scope="module")
def slow_creating_emulator():
    """The spec's rate limit, and volumes that stay `creating` for an hour (a badge keeps moving)."""
    proc = EmulatorProcess(
        env={
            "EMULATOR_RATE": "1",
            "EMULATOR_BURST": "1",
            "EMULATOR_SPEED": "1",
            "EMULATOR_CREATE_SECONDS": "3600",
        }
    ).start()
    yield proc
    proc.stop()


def reader(client: Client, plan: list[tuple[str, float]], stop: threading.Event, errors: list) -> None:
    """A tab: GET each of its URLs every so many seconds until told to stop."""
    due = dict.fromkeys((url for url, _ in plan), 0.0)
    try:
        while not stop.is_set():
            now = time.monotonic()
            for url, every in plan:
                if now >= due[url]:
                    answer = (
                        client.get(url, HTTP_HX_REQUEST="true")
                        if url.startswith("/live/")
                        else client.get(url)
                    )
                    if answer.status_code >= 500:
                        errors.append(f"{url}: {answer.status_code}")
                    due[url] = now + every
            time.sleep(0.2)
    except BaseException as error:  # reported by the test
        errors.append(repr(error))
    finally:
        connection.close()


def wait_for(predicate, timeout: float, pause: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(pause)
    return predicate()


def test_every_listing_recovers_within_its_interval_after_an_outage(settings, slow_creating_emulator):
    emulator = slow_creating_emulator
    settings.IDENTITY_URL = emulator.identity_url
    settings.API_RATE_PER_PROJECT = 1.0
    settings.INVENTORY_ACTIVE_INTERVAL = ACTIVE
    settings.INVENTORY_IDLE_INTERVAL = IDLE
    settings.INVENTORY_STATIC_INTERVAL = STATIC
    name = f"rec{os.getpid()}x{os.urandom(2).hex()}"
    account = {"user": name, "password": f"{name}-password", "project": name, **emulator.new_account(name)}
    project_id = account["project_id"]
    tabs = []
    for _ in range(3):
        tab = Client()
        assert log_in(tab, account).status_code == 302
        tabs.append(tab)
    ctx = context_of(tabs[0])
    moving = api.volume_create(ctx, size=1, display_name="still-creating")
    plans = [
        [("/", 1.0)],
        [(f"/live/volumes/?s={moving.id}:creating", 0.5), ("/volumes/", 3.0)],
        [("/backups/", 2.0), ("/snapshots/", 2.0), ("/servers/", 3.0), ("/volumes/create/", 4.0)],
    ]

    def all_loaded() -> bool:
        # A page spends at most INVENTORY_PAGE_WAIT on its first loads: a few visits load them all.
        for plan in plans:
            for url, _ in plan:
                assert tabs[0].get(url).status_code == 200
        return all(listing_get(ctx, kind, refresh=False).loaded for kind in LOADERS)

    assert wait_for(all_loaded, timeout=60)

    stop = threading.Event()
    errors: list[str] = []
    threads = [
        threading.Thread(target=reader, args=(tab, plan, stop, errors))
        for tab, plan in zip(tabs, plans, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        emulator.set_faults(drop_rate=1.0, project=project_id)
        # The outage is seen: the overview and the backups list say the cloud could not be reached.
        assert wait_for(lambda: UNREACHABLE in tabs[0].get("/").content.decode(), timeout=60)
        assert wait_for(lambda: UNREACHABLE in tabs[0].get("/backups/").content.decode(), timeout=60)
        time.sleep(STATIC)  # a long outage: the failures back off
        emulator.set_faults()
        back = time.time()

        recovery: dict[str, float] = {}  # kind: seconds from the cloud's return to its first fetch
        deadline = time.monotonic() + STATIC + 30
        while len(recovery) < len(LOADERS) and time.monotonic() < deadline:
            for kind in LOADERS:
                listing = listing_get(ctx, kind, refresh=False)
                fetched = listing.fetched_at or 0.0
                if kind not in recovery and fetched > back and listing.failure is None:
                    recovery[kind] = fetched - back
            time.sleep(0.2)
        overview = tabs[0].get("/").content.decode()
        backups = tabs[0].get("/backups/").content.decode()
    finally:
        emulator.set_faults()
        stop.set()
        for thread in threads:
            thread.join(60)
        cache.clear()
    print(f"\nrecovered after (s): { {kind: round(after, 1) for kind, after in recovery.items()} }")
    assert not errors, errors
    intervals = {"volumes": IDLE, "snapshots": IDLE, "backups": IDLE, "servers": STATIC, "images": STATIC}
    for kind in LOADERS:
        assert kind in recovery, f"the {kind} listing was not fetched again: {recovery}"
        assert recovery[kind] <= intervals.get(kind, STATIC), (kind, recovery)
    assert UNREACHABLE not in overview
    assert UNREACHABLE not in backups


@pytest.fixture(scope="module")
def unmetered_emulator():
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0"}).start()
    yield proc
    proc.stop()


def test_the_first_listing_back_ends_the_back_off_of_the_others(settings, unmetered_emulator):
    """A listing that failed many times backs off for up to half its interval. Once another listing of
    the same API has succeeded again, the cloud is back: the backups list does not keep saying the
    cloud could not be reached for the rest of its back-off, it is fetched at its next read."""
    emulator = unmetered_emulator
    settings.IDENTITY_URL = emulator.identity_url
    settings.API_RATE_PER_PROJECT = 0
    settings.INVENTORY_IDLE_INTERVAL = 600.0  # a back-off of up to a minute
    name = f"back{os.getpid()}x{os.urandom(2).hex()}"
    account = {"user": name, "password": f"{name}-password", "project": name, **emulator.new_account(name)}
    client = Client()
    assert log_in(client, account).status_code == 302
    ctx = context_of(client)
    for kind in ("volumes", "backups"):
        assert listing_get(ctx, kind).loaded

    emulator.set_faults(drop_rate=1.0, project=account["project_id"])
    try:
        for kind in ("volumes", "backups"):
            # Both have failed often: their next try is a minute away.
            overdue = dataclasses.replace(
                listing_get(ctx, kind, refresh=False), fetched_at=time.time() - 3600
            )
            cache.set(listing_key(ctx, kind), dataclasses.replace(overdue, failures=9), 3600)
            failed = listing_get(ctx, kind)
            assert failed.failure is not None and failed.retry_at > time.time() + 50
    finally:
        emulator.set_faults()
    assert UNREACHABLE in client.get("/backups/").content.decode()

    volumes = listing_get(ctx, "volumes", refresh=False)
    cache.set(listing_key(ctx, "volumes"), dataclasses.replace(volumes, retry_at=0.0), 3600)  # its try now
    back = time.time()
    assert listing_get(ctx, "volumes").failure is None
    backups = listing_get(ctx, "backups")
    assert backups.failure is None and (backups.fetched_at or 0.0) >= back
    assert UNREACHABLE not in client.get("/backups/").content.decode()
