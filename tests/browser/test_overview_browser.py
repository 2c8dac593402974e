"""The overview in a real browser: the quota charts, their refresh without reload, and without JavaScript."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from console import api
from console.api.context import CloudContext
from tests.browser.login import cloud_of, log_in

pytestmark = pytest.mark.browser


def make_volumes(ctx: CloudContext, count: int, *, size: int, zone: str = "az1") -> None:
    made = [
        api.volume_create(ctx, size=size, availability_zone=zone, display_name=f"v{n}") for n in range(count)
    ]
    deadline = time.monotonic() + 15
    while any(api.volume_get(ctx, volume.id).status != "available" for volume in made):
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_quota_charts_and_their_refresh_without_reload(page: Page, account, emulator, settings, screenshots):
    settings.INVENTORY_IDLE_INTERVAL = 1.0
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": 6, "gigabytes": 100})
    ctx = cloud_of(account)
    make_volumes(ctx, 3, size=20)
    make_volumes(ctx, 1, size=5, zone="az3")
    api.volume_create(ctx, size=1, display_name="broken fail-create")

    log_in(page, account)
    count = page.get_by_test_id("chart-count")
    expect(count).to_contain_text("5 of 6 used (83%)")
    expect(count).to_contain_text("Nearly full (83%).")
    expect(page.get_by_test_id("chart-gigabytes")).to_contain_text("66 of 100 GB used (66%)")
    expect(count.get_by_role("img")).to_be_visible()
    expect(page.get_by_text("The API reports no rate limits.")).to_be_visible()
    page.screenshot(path=screenshots / "overview-charts.png", full_page=True)

    page.evaluate("window.__notReloaded = true")
    make_volumes(ctx, 1, size=10)
    # The chart region re-reads the cache every 10 s: the new volume appears without a reload.
    expect(count).to_contain_text("6 of 6 used (100%)", timeout=25000)
    expect(count).to_contain_text("At the limit.")
    assert page.evaluate("window.__notReloaded") is True
    page.get_by_test_id("chart-zones").get_by_role("link", name="az3").click()
    expect(page).to_have_url(f"{page.url.split('/volumes')[0]}/volumes/?az=az3")


def test_overview_without_javascript(browser, console_url, account, emulator, screenshots):
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": -1})
    context = browser.new_context(base_url=console_url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, account)
        expect(page.get_by_test_id("chart-count")).to_contain_text("Unlimited: the API reports -1, no limit.")
        expect(page.get_by_test_id("chart-gigabytes")).to_contain_text("0 of 3000 GB used (0%)")
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=screenshots / "overview-narrow-nojs.png", full_page=True)
    finally:
        context.close()
