"""Polling a server's page stays within the API's limit of 1 call/s per project, however many tabs poll.

A rate-limited emulator of its own keeps a volume attaching for a minute, so the page's poller has
something to follow the whole time; several simulated tabs open the page and poll it as fast as they
like. The emulator's own statistics then show at most one call per second and no 413.
"""

from __future__ import annotations

import html as html_lib
import re
import time

import pytest
from django.core.cache import cache
from django.test import Client

from console import api
from tests.attachments.conftest import server_named, wait_for
from tests.console.login_helpers import context_of, log_in

pytestmark = pytest.mark.django_db

TABS = 5
POLL_SECONDS = 8.0


def test_many_tabs_polling_a_server_page_cost_at_most_one_call_per_second(settings, slow_attach_emulator):
    emulator = slow_attach_emulator
    settings.IDENTITY_URL = emulator.identity_url
    settings.API_RATE_PER_PROJECT = 1.0
    settings.INVENTORY_ACTIVE_INTERVAL = 0.2  # refreshers would call 5x per second if nothing held them
    cache.clear()
    account = {"user": "tabs", "password": "tabs-password", "project": "tabs"}
    account.update(emulator.new_account("tabs"))

    tabs = [Client() for _ in range(TABS)]
    for tab in tabs:
        assert log_in(tab, account).status_code == 302
    ctx = context_of(tabs[0])
    web = server_named(ctx, "web-01")
    volume = api.volume_create(ctx, size=1, availability_zone="az1", display_name="followed")
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "available")
    assert tabs[0].post(f"/servers/{web.id}/attach/", {"volume_id": volume.id}).status_code == 302

    emulator.reset_stats()
    start = time.time()
    pollers = []
    for tab in tabs:
        page = tab.get(f"/servers/{web.id}/").content.decode()
        match = re.search(r'id="status-poller-volumes"[^>]*hx-get="([^"]+)"', page)
        assert match, "the server page follows its attaching volume"
        pollers.append(html_lib.unescape(match.group(1)))
    polls = 0
    while time.time() - start < POLL_SECONDS:
        for tab, url in zip(tabs, pollers, strict=True):
            response = tab.get(url, headers={"HX-Request": "true"})
            assert response.status_code == 200  # still attaching: keep polling
            polls += 1
        time.sleep(0.05)
    elapsed = time.time() - start

    stats = emulator.stats(account["project_id"])
    project = stats["projects"].get(account["project_id"], {"total": 0, "overlimit": 0, "times": []})
    assert polls > 100
    assert project["overlimit"] == 0 and "413" not in project.get("by_status", {})
    # Each API (Block Storage, Compute) has its own limit, and the console a budget for each.
    per_api = [sorted(metered["times"]) for metered in project.get("by_api", {}).values()]
    assert all(len(api_times) <= elapsed + 1 for api_times in per_api)
    gaps = [
        later - earlier
        for api_times in per_api
        for earlier, later in zip(api_times, api_times[1:], strict=False)
    ]
    assert all(gap >= 0.9 for gap in gaps), gaps
