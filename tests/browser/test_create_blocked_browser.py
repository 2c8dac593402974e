"""A full quota shows before any form, the same way on every page: the buttons that would create a
volume or a snapshot are disabled, with the reason and what to do; with room they are links."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.login import cloud_of, log_in
from tests.snapshots.helpers import volume_ready, wait_for

pytestmark = pytest.mark.browser

REASON = "The quota is full: The project uses 2 of 2 volumes and snapshots."


def test_create_buttons_are_disabled_with_the_reason_while_the_quota_is_full(
    page: Page, account, emulator, settings
):
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": 2})
    ctx = cloud_of(account)
    volume = volume_ready(ctx, name="first")
    log_in(page, account, "/volumes/")
    expect(page.get_by_role("link", name="Create volume")).to_be_visible()  # room for one more

    volume_ready(ctx, name="second")
    settings.INVENTORY_IDLE_INTERVAL = 0  # the next page refreshes the volumes listing
    wait_for(lambda: page.goto("/volumes/") and page.locator("tbody tr").count() == 2, timeout=20)
    expect(page.get_by_role("link", name="Create volume")).to_have_count(0)
    blocked = page.get_by_test_id("create-blocked")
    expect(blocked).to_contain_text("Create volume")
    expect(blocked).to_contain_text(REASON)
    expect(blocked.locator("[aria-disabled=true]")).to_have_text("Create volume")

    page.goto("/snapshots/")
    expect(page.get_by_role("link", name="Take a snapshot")).to_have_count(0)
    expect(page.get_by_test_id("create-blocked").first).to_contain_text(REASON)

    page.goto(f"/volumes/{volume.id}/")
    for action in ("snapshot", "clone"):
        item = page.get_by_test_id(f"action-{action}")
        expect(item.get_by_role("link")).to_have_count(0)
        expect(item).to_contain_text("The quota is full")
