"""Switching region on a resource's page, as a new user does: the console lands on the section's
list in the other region (the resource lives in one region only), never on a "not found" page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from console import api
from tests.browser.login import cloud_of, log_in
from tests.snapshots.helpers import volume_ready, wait_for

pytestmark = pytest.mark.browser


def switch_region(page: Page, region: str) -> None:
    """Choose the region and press Switch (the page is without JavaScript: the form as it is)."""
    page.get_by_label("Region", exact=True).select_option(region)
    page.get_by_role("button", name="Switch").click()


def test_switching_region_on_a_resource_page_lands_on_its_section_list(browser, console_url, account):
    ctx = cloud_of(account)
    volume = volume_ready(ctx, name="only-in-a")
    snapshot = api.snapshot_create(ctx, volume_id=volume.id, display_name="snap-in-a")
    wait_for(lambda: api.snapshot_get(ctx, snapshot.id).status == "available")
    server = api.server_list(ctx)[0]
    pages = [
        (f"/volumes/{volume.id}/", "Volumes"),
        (f"/volumes/{volume.id}/edit/", "Volumes"),
        (f"/snapshots/{snapshot.id}/", "Snapshots"),
        (f"/servers/{server.id}/", "Servers"),
    ]
    context = browser.new_context(base_url=console_url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, account)
        for url, section in pages:
            page.goto(url)
            switch_region(page, "region-b.geo-1")
            expect(page.get_by_text("Now working in region-b.geo-1.")).to_be_visible()
            expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()
            expect(page.get_by_text("There is nothing here")).to_have_count(0)
            assert page.url == f"{console_url}/{url.split('/')[1]}/", url
            switch_region(page, "region-a.geo-1")  # back, from a list: the list stays
            expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()
            assert page.url == f"{console_url}/{url.split('/')[1]}/", url
    finally:
        context.close()
