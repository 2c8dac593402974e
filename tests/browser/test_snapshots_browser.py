"""The snapshots section in a real browser: take a snapshot of a volume and delete it, the badge
moving without a reload; the list's filters through htmx."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import Page, expect

from console import api
from tests.browser.login import log_in
from tests.browser.test_backups_browser import ready_volume
from tests.console.login_helpers import context_of
from tests.console.login_helpers import log_in as client_log_in
from tests.snapshots.helpers import wait_for

pytestmark = pytest.mark.browser

BADGE_TIMEOUT = 30_000  # ms


@pytest.fixture
def base_url(live_server, settings, slow_emulator) -> str:
    settings.IDENTITY_URL = slow_emulator.identity_url
    settings.INVENTORY_ACTIVE_INTERVAL = 1.0
    settings.BADGE_POLL_INTERVAL = 1.0
    # Each emulator numbers its projects from the same start: no listing of another run may remain.
    cache.clear()
    return live_server.url


def test_take_a_snapshot_and_delete_it(browser, base_url, slow_account, screenshots):
    volume = ready_volume(slow_account, name="web-data", size=4)
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page: Page = context.new_page()
    try:
        log_in(page, slow_account, "/snapshots/")
        expect(page.get_by_text("No snapshots yet.")).to_be_visible()
        page.screenshot(path=screenshots / "snapshots-empty.png", full_page=True)
        page.get_by_role("link", name="Take a snapshot").first.click()
        # The volume picker: choosing a volume shows its facts and the quota after the snapshot.
        page.get_by_label("Volume", exact=True).select_option(volume.id)
        expect(page.locator("#snapshot-volume-info")).to_contain_text("web-data")
        expect(page.get_by_test_id("quota-gigabytes")).to_contain_text("after: 8 of 3000 GB")
        page.get_by_label("Name").fill("before-upgrade")
        page.get_by_label("Description").fill("<i>kept</i> for a week")
        page.screenshot(path=screenshots / "snapshots-create.png", full_page=True)
        page.get_by_role("button", name="Take snapshot").click()

        expect(page.get_by_role("heading", name="Snapshot before-upgrade")).to_be_visible()
        page.evaluate("window.__sameDocument = true")
        snapshot_id = page.url.rstrip("/").split("/")[-1]
        badge = page.locator(f"#status-snapshots-{snapshot_id} .badge")
        expect(badge).to_have_text("Creating")
        page.screenshot(path=screenshots / "snapshots-detail-creating.png", full_page=True)
        expect(badge).to_have_text("Available", timeout=BADGE_TIMEOUT)
        use = page.get_by_role("link", name="Create a volume from this snapshot")
        expect(use).to_be_visible()  # the panel reloaded on the status change
        assert use.get_attribute("href") == f"/volumes/create/?snapshot_id={snapshot_id}"
        assert page.evaluate("window.__sameDocument") is True
        expect(page.get_by_text("<i>kept</i> for a week")).to_be_visible()
        page.screenshot(path=screenshots / "snapshots-detail.png", full_page=True)

        page.goto("/snapshots/")
        expect(page.get_by_role("link", name="before-upgrade")).to_be_visible()
        expect(page.get_by_role("link", name="web-data")).to_have_attribute("href", f"/volumes/{volume.id}/")
        page.get_by_label("Status").select_option("error")
        expect(page.get_by_text("No snapshot matches these filters.")).to_be_visible()
        assert "status=error" in page.url
        page.get_by_label("Status").select_option("")
        expect(page.get_by_role("link", name="before-upgrade")).to_be_visible()
        page.screenshot(path=screenshots / "snapshots-list.png", full_page=True)

        page.get_by_role("link", name="before-upgrade").click()
        page.get_by_role("link", name="Delete").click()
        expect(page.get_by_role("heading", name="Delete snapshot before-upgrade?")).to_be_visible()
        page.screenshot(path=screenshots / "snapshots-delete.png", full_page=True)
        page.get_by_role("button", name="Delete snapshot").click()
        expect(page.get_by_text("Deleting snapshot before-upgrade.")).to_be_visible()
        page.evaluate("window.__sameDocument = true")
        expect(badge).to_have_text("Deleting")
        expect(badge).to_have_text("Deleted", timeout=BADGE_TIMEOUT)
        assert page.evaluate("window.__sameDocument") is True
    finally:
        context.close()


def test_snapshot_of_an_attached_volume_is_refused_without_javascript(
    browser, base_url, slow_account, screenshots
):
    client = Client()
    assert client_log_in(client, slow_account).status_code == 302
    ctx = context_of(client)
    server = api.server_list(ctx)[0]
    volume = api.volume_create(
        ctx, size=1, display_name="attached", availability_zone=server.availability_zone
    )
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "available", timeout=30)
    api.attachment_create(ctx, server.id, volume_id=volume.id)
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "in-use", timeout=30)

    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, slow_account, f"/snapshots/create/?volume_id={volume.id}")
        expect(page.get_by_label("Force")).to_have_count(0)  # the cloud refuses it: nothing to tick
        page.get_by_role("button", name="Take snapshot").click()
        refusal = page.locator(".field-error", has_text="cloud cannot take a snapshot of an attached volume")
        expect(refusal).to_be_visible()
        page.screenshot(path=screenshots / "snapshots-create-refused.png", full_page=True)
        expect(page.locator("h1")).to_have_text("Take a snapshot")
        assert api.snapshot_list(ctx) == []
    finally:
        context.close()


def test_a_header_sort_holds_through_the_next_filter_change(browser, base_url, slow_account):
    client = Client()
    assert client_log_in(client, slow_account).status_code == 302
    ctx = context_of(client)
    volume = ready_volume(slow_account, name="sorted", size=1)
    for name in ("bravo", "alpha", "charlie"):
        api.snapshot_create(ctx, volume_id=volume.id, display_name=name)
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page: Page = context.new_page()
    names = page.locator("#snapshot-results tbody tr td:first-child a")
    try:
        log_in(page, slow_account, "/snapshots/")
        expect(names).to_have_text(["charlie", "alpha", "bravo"])  # newest first
        page.locator("#snapshot-results").get_by_role("link", name="Name").click()  # htmx, results only
        expect(names).to_have_text(["alpha", "bravo", "charlie"])
        # The form's hidden order follows the header.
        expect(page.locator("#snapshot-sort-field input[name=sort]")).to_have_value("name")
        # The badge poller inside the list (the snapshots are creating) never takes over the URL.
        page.wait_for_timeout(2500)
        expect(page).to_have_url(re.compile(r"/snapshots/\?sort=name$"))
        page.get_by_label("Name or id").press_sequentially("a")  # the next filter keeps the order
        expect(page).to_have_url(re.compile(r"q=a"))
        expect(names).to_have_text(["alpha", "bravo", "charlie"])
    finally:
        context.close()
