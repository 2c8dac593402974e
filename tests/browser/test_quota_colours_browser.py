"""Quota colours as a user sees them: a quota meter on the create, snapshot and restore forms is never
green when the quota is full or would go over it (red), amber when nearly full; the overview's
legend shows each part in the colour of its bar."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from console import api
from tests.browser.login import cloud_of, log_in
from tests.browser.pixels import only
from tests.snapshots.helpers import volume_ready, wait_for

pytestmark = pytest.mark.browser


def meter(page: Page, testid: str):
    return page.get_by_test_id(testid).locator(".quota-meter")


def test_quota_meters_are_red_at_or_over_the_limit_and_amber_when_nearly_full(page: Page, account, emulator):
    # 2 volumes of 8 GB: the count quota (2) is full, the gigabytes (20) nearly full.
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": 3, "gigabytes": 20})
    ctx = cloud_of(account)
    first = volume_ready(ctx, name="first", size=8)
    volume_ready(ctx, name="second", size=8)
    log_in(page, account, "/volumes/create/")

    # Creating a 1 GB volume: 3 of 3 volumes (full), 17 of 20 GB (85 %).
    expect(page.get_by_test_id("quota-count")).to_contain_text("after: 3 of 3")
    only(meter(page, "quota-count"), "red")
    only(meter(page, "quota-gigabytes"), "amber")
    # A bigger volume goes over the gigabytes limit: red too.
    page.get_by_label("Size (GB)").fill("5")
    expect(page.get_by_test_id("quota-gigabytes")).to_contain_text("Over the limit")
    only(meter(page, "quota-gigabytes"), "red")

    # The snapshot form: 3 of 3 after it, and 24 of 20 GB: over the limit.
    page.goto(f"/snapshots/create/?volume_id={first.id}")
    expect(page.get_by_test_id("quota-count")).to_contain_text("after: 3 of 3")
    only(meter(page, "quota-count"), "red")
    only(meter(page, "quota-gigabytes"), "red")

    # The restore form (into a new volume): the same.
    backup = api.backup_create(ctx, volume_id=first.id, name="nightly")
    wait_for(lambda: api.backup_get(ctx, backup.id).status == "available", timeout=30)
    page.goto(f"/backups/{backup.id}/restore/")
    expect(page.get_by_test_id("quota-count")).to_contain_text("after: 3 of 3")
    only(meter(page, "quota-count"), "red")


def test_a_quota_with_room_is_green(page: Page, account, emulator):
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": 10, "gigabytes": 100})
    log_in(page, account, "/volumes/create/")
    expect(page.get_by_test_id("quota-count")).to_contain_text("after: 1 of 10")
    only(meter(page, "quota-count"), "green")


def test_the_overview_legend_matches_its_bar_when_full(page: Page, account, emulator):
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": 1})
    volume_ready(cloud_of(account), name="only", size=1)
    log_in(page, account)
    chart = page.get_by_test_id("chart-count")
    expect(chart).to_contain_text("At the limit.")
    bar = chart.locator("svg rect.ov-seg--volumes")
    key = chart.locator(".ov-legend .ov-key.ov-seg--volumes")
    bar_colour = bar.evaluate("element => getComputedStyle(element).fill")
    key_colour = key.evaluate("element => getComputedStyle(element).backgroundColor")
    assert key_colour == bar_colour, (key_colour, bar_colour)
    only(key, "red")
