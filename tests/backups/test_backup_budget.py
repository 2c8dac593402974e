"""Polling stays within the project's call budget on the backups pages.

A rate-limited emulator (1 call/s per project, the spec's limit) with real-length lifecycles; a
backup runs for 12 s while several tabs of the same user poll the backups list, the backup's page
and the live badges. The emulator's own counters must show at most one call per second for the
project and not a single 413. Meanwhile the pages show how long the backup has been running, and
once one backup finished, a second one shows the typical duration of backups of its size.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from console import api
from tests.console.login_helpers import context_of, log_in
from tests.emulator_process import EmulatorProcess
from tests.snapshots.helpers import submission_of, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

TABS = 4


@pytest.fixture(scope="module")
def rate_limited_emulator():
    proc = EmulatorProcess(env={"EMULATOR_RATE": "1", "EMULATOR_BURST": "1", "EMULATOR_SPEED": "1"}).start()
    yield proc
    proc.stop()


@pytest.fixture
def tabs(settings, rate_limited_emulator):
    settings.IDENTITY_URL = rate_limited_emulator.identity_url
    # One cache shared by the threads below (every tab of a process shares it, as Redis would).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.API_RATE_PER_PROJECT = 1.0
    settings.BADGE_POLL_INTERVAL = 0.5
    cache.clear()
    name = f"budget{int(time.time() * 1000) % 10**8}"
    account = {"user": name, "password": f"{name}-password", "project": name}
    account.update(rate_limited_emulator.new_account(name))
    clients = []
    for _ in range(TABS):
        client = Client()
        assert log_in(client, account).status_code == 302
        clients.append(client)
    return account, clients


def start_backup(client: Client, volume_id: str, name: str) -> str:
    form = client.get(f"/backups/create/?volume_id={volume_id}")
    response = client.post(
        "/backups/create/",
        {"volume_id": volume_id, "container": "", "name": name, "submission": submission_of(form)},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return response["Location"].strip("/").split("/")[-1]


def poll_like_a_tab(
    client: Client, backup_id: str, volume_id: str, until: float, seen: list[str], errors: list[BaseException]
) -> None:
    """What an open tab does: the list and the detail page now and then, the live badges often."""
    try:
        round_number = 0
        while time.monotonic() < until:
            if round_number % 4 == 0:
                assert client.get("/backups/").status_code == 200
                assert client.get(f"/backups/{backup_id}/").status_code == 200
            badge = client.get(f"/live/backups/?s={backup_id}:creating", HTTP_HX_REQUEST="true")
            client.get(f"/live/volumes/?s={volume_id}:backing-up", HTTP_HX_REQUEST="true")
            if "Available" in badge.content.decode():
                seen.append("available")
            round_number += 1
            time.sleep(0.5)
    except BaseException as error:  # reported by the test below
        errors.append(error)
    finally:
        connection.close()


def test_tabs_polling_a_running_backup_stay_within_one_call_per_second(rate_limited_emulator, tabs):
    account, clients = tabs
    project_id = account["project_id"]
    ctx = context_of(clients[0])
    volume = api.volume_create(ctx, size=1, display_name="budgeted")
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "available", timeout=30, pause=1.0)

    backup_id = start_backup(clients[0], volume.id, "first")
    page = clients[1].get(f"/backups/{backup_id}/").content.decode()
    assert "running for" in page and "Backing up" in page

    rate_limited_emulator.reset_stats()
    started = time.time()
    seen: list[str] = []
    errors: list[BaseException] = []
    until = time.monotonic() + 20
    threads = [
        threading.Thread(target=poll_like_a_tab, args=(client, backup_id, volume.id, until, seen, errors))
        for client in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.time() - started
    assert not errors, errors

    stats = rate_limited_emulator.stats(project_id)["projects"][project_id]
    assert stats["overlimit"] == 0 and "413" not in stats["by_status"]
    times = sorted(stats["times"])
    assert times, "the listings were refreshed at least once"
    # Each API (Block Storage, Compute) has its own limit, and the console a budget for each.
    per_api = [sorted(metered["times"]) for metered in stats["by_api"].values()]
    gaps = [
        later - earlier
        for api_times in per_api
        for earlier, later in zip(api_times, api_times[1:], strict=False)
    ]
    assert all(gap >= 0.95 for gap in gaps), gaps
    assert all(len(api_times) <= elapsed + 1 for api_times in per_api)
    assert "available" in seen  # the badges still followed the backup to its end
    print(
        f"\n{TABS} tabs, {elapsed:.1f} s: {len(times)} API calls, min gap {min(gaps or [1]):.3f} s, 0 x 413"
    )

    # A second backup of the same size: the first one's lifecycle gives the typical duration.
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "available", timeout=30, pause=1.0)
    second = start_backup(clients[2], volume.id, "second")
    detail = clients[3].get(f"/backups/{second}/").content.decode()
    assert "running for" in detail and "typically about" in detail and "for 1–10 GB" in detail
