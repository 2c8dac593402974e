"""The overview's quota and limit charts against the emulator's real /limits, in JSON and XML."""

from __future__ import annotations

import re
import time

import pytest
from django.core.cache import cache
from django.test import Client

from console import api
from tests.attachments.conftest import wait_for
from tests.console.login_helpers import context_of, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["json", "xml"])
def wire(request, settings):
    settings.BLOCK_STORAGE_FORMAT = request.param
    return request.param


@pytest.fixture
def console(client, settings, emulator, account):
    settings.IDENTITY_URL = emulator.identity_url
    settings.API_RATE_PER_PROJECT = 0
    cache.clear()
    assert log_in(client, account).status_code == 302
    return client


def set_quota(emulator, account, **quota) -> None:
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", quota)


def chart(html: str, chart_id: str) -> str:
    match = re.search(
        rf'<section class="card ov-chart[^"]*"[^>]*data-testid="{chart_id}">.*?</section>', html, re.S
    )
    assert match, chart_id
    return match.group(0)


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def make_used(ctx, *, volumes: int, snapshots: int = 0, size: int = 1) -> list[api.Volume]:
    made = [api.volume_create(ctx, size=size, display_name=f"v{n}") for n in range(volumes)]
    wait_for(lambda: all(api.volume_get(ctx, v.id).status == "available" for v in made))
    for n in range(snapshots):
        api.snapshot_create(ctx, volume_id=made[n % len(made)].id, display_name=f"s{n}")
    return made


def test_empty_project(console, wire):
    html = console.get("/").content.decode()
    count = chart(html, "chart-count")
    assert "0 of 10 used (0%)" in text_of(count)
    assert "10 left." in text_of(count)
    gigabytes = chart(html, "chart-gigabytes")
    assert "0 of 3000 GB used (0%)" in text_of(gigabytes)
    # An SVG with its text alternative, and the 80% and 100% marks.
    svg = re.search(r"<svg[^>]*>.*?</svg>", count, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="chart-count-title chart-count-desc"' in svg
    assert '<title id="chart-count-title">Volumes and snapshots: 0 of 10 used (0%)</title>' in svg
    assert (
        '<desc id="chart-count-desc">' in svg and "Marks at 80% (nearly full) and 100% (full) of 10." in svg
    )
    assert svg.count('class="ov-mark') == 2 and 'x1="800.0"' in svg and 'x1="1000.0"' in svg
    assert "The API reports no rate limits." in html
    assert "The spec documents a limit of 1 call per second for each project." in html
    assert "[object Object]" not in html


def test_half_full_project(console, account, emulator, wire):
    set_quota(emulator, account, volumes=8, gigabytes=20)
    make_used(context_of(console), volumes=3, snapshots=1, size=2)
    html = console.get("/").content.decode()
    count = text_of(chart(html, "chart-count"))
    assert "4 of 8 used (50%)" in count and "Volumes: 3" in count and "Snapshots: 1" in count
    assert "4 left." in count
    gigabytes = text_of(chart(html, "chart-gigabytes"))
    assert (
        "8 of 20 GB used (40%)" in gigabytes
        and "Volumes: 6 GB" in gigabytes
        and "Snapshots: 2 GB" in gigabytes
    )
    svg = chart(html, "chart-count")
    # The volumes segment takes 3/8 of the bar, the snapshots one the next 1/8.
    assert re.search(r'class="ov-seg ov-seg--volumes" x="0.0" y="16" width="375.0"', svg)
    assert re.search(r'class="ov-seg ov-seg--snapshots" x="375.0" y="16" width="125.0"', svg)


def test_nearly_full_and_full_projects(console, account, emulator, wire):
    set_quota(emulator, account, volumes=5, gigabytes=4)
    make_used(context_of(console), volumes=4)
    html = console.get("/").content.decode()
    count = text_of(chart(html, "chart-count"))
    assert "4 of 5 used (80%)" in count and "Nearly full (80%). 1 left." in count
    gigabytes = text_of(chart(html, "chart-gigabytes"))
    assert "4 of 4 GB used (100%)" in gigabytes and "At the limit." in gigabytes
    assert 'class="card ov-chart ov-chart--full"' in chart(html, "chart-gigabytes")
    assert 'class="card ov-chart ov-chart--nearly-full"' in chart(html, "chart-count")


def test_unlimited_project(console, account, emulator, wire):
    set_quota(emulator, account, volumes=-1, gigabytes=-1)
    make_used(context_of(console), volumes=2, size=3)
    html = console.get("/").content.decode()
    for chart_id, used in (("chart-count", "2"), ("chart-gigabytes", "6")):
        text = text_of(chart(html, chart_id))
        assert f"{used} used" in text and "unlimited" in text.lower()
        assert "Unlimited: the API reports -1, no limit." in text
        assert 'class="ov-mark' not in chart(html, chart_id)
    assert "[object Object]" not in html and "-1 GB" not in html


def test_breakdown_links_to_filtered_lists(console, wire):
    ctx = context_of(console)
    volume = api.volume_create(ctx, size=5, availability_zone="az3", display_name="z")
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "available")
    api.snapshot_create(ctx, volume_id=volume.id, display_name="s")
    api.volume_create(ctx, size=2, availability_zone="az1", display_name="fail-create")
    wait_for(lambda: any(v.status == "error" for v in api.volume_list(ctx)))
    html = console.get("/").content.decode()
    zones = text_of(re.search(r'data-testid="chart-zones">.*?</section>', html, re.S).group(0))
    assert "az1: 2 GB; az2: 0 GB; az3: 10 GB" in zones  # the 5 GB snapshot counts in its volume's az3
    assert 'href="/volumes/?az=az3"' in html
    assert 'href="/volumes/?status=available"' in html and 'href="/volumes/?status=error"' in html
    assert 'href="/snapshots/?status=' in html
    statuses = re.search(r'data-testid="chart-status-volumes">.*?</section>', html, re.S).group(0)
    assert "<svg" in statuses and 'role="img"' in statuses and "Available: 1</title>" in statuses
    assert "Error: 1</title>" in statuses


def test_charts_refresh_from_the_cache_without_calls(console, account, emulator):
    console.get("/")
    emulator.reset_stats()
    response = console.get("/", headers={"HX-Request": "true", "HX-Target": "overview-charts"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="overview-charts"')
    assert "<html" not in html and 'hx-trigger="every 10s"' in html
    assert emulator.stats(account["project_id"])["total"] == 0


def test_the_budget_in_use_is_shown(console, settings):
    settings.API_RATE_PER_PROJECT = 1.0
    settings.API_COMPUTE_RATE_PER_PROJECT = 0.5  # each API has its own budget
    html = console.get("/").content.decode()
    assert re.search(r'data-testid="budget-used">\d+</span><span class="metric-label">of 60 calls', html)
    assert re.search(
        r'data-testid="compute-budget-used">\d+</span><span class="metric-label">of 30 Compute', html
    )
    assert "paces this project's calls to 1 per second to Block Storage and 0.5 per second to Compute" in html
    settings.API_RATE_PER_PROJECT = 0
    assert "The console does not meter its calls" in console.get("/").content.decode()


def test_many_tabs_cost_one_limits_call_per_interval(settings, emulator, account):
    settings.IDENTITY_URL = emulator.identity_url
    settings.API_RATE_PER_PROJECT = 0  # no budget to hide behind: the single refresher alone holds
    settings.INVENTORY_STATIC_INTERVAL = 1.0
    cache.clear()
    tabs = [Client() for _ in range(4)]
    for tab in tabs:
        assert log_in(tab, account).status_code == 302
    emulator.reset_stats()
    start = time.time()
    opened = 0
    # At least 40 overviews over at least five intervals, however fast or slow this machine is.
    while opened < 40 or time.time() - start < 5.0:
        for tab in tabs:
            assert tab.get("/").status_code == 200
            opened += 1
    elapsed = time.time() - start
    by_path = emulator.stats(account["project_id"])["projects"][account["project_id"]]["by_path"]
    assert 1 <= by_path["/limits"] <= elapsed / settings.INVENTORY_STATIC_INTERVAL + 1
