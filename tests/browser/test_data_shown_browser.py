"""Data shown right, as a user reads it: the console's own create key stays out of a volume's
metadata (it is still in the API), a volume restored from a backup names the backup as its source,
and the result of a bulk delete does not link to volumes that are gone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from console import api
from tests.browser.login import cloud_of, log_in
from tests.snapshots.helpers import volume_ready, wait_for

pytestmark = pytest.mark.browser


def test_the_create_key_stays_out_of_the_metadata(page: Page, account):
    log_in(page, account, "/volumes/create/")
    page.get_by_label("Name", exact=True).fill("with-owner")
    page.get_by_label("Key 1").fill("owner")
    page.get_by_label("Value 1").fill("alice")
    page.get_by_role("button", name="Create volume").last.click()
    expect(page.get_by_role("heading", name="with-owner")).to_be_visible()
    metadata = page.get_by_test_id("metadata")
    expect(metadata).to_contain_text("owner")
    expect(metadata).to_contain_text("alice")
    expect(page.locator("body")).not_to_contain_text("console-create-key")
    volume_id = page.get_by_test_id("volume-id").inner_text()
    # The API keeps it: a resent form still finds the volume it made.
    assert "console-create-key" in api.volume_get(cloud_of(account), volume_id).metadata
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Key 1")).to_have_value("owner")
    expect(page.locator("body")).not_to_contain_text("console-create-key")


def test_a_restored_volume_names_its_backup_as_its_source(page: Page, account):
    ctx = cloud_of(account)
    volume = volume_ready(ctx, name="precious")
    backup = api.backup_create(ctx, volume_id=volume.id, name="weekly")
    wait_for(lambda: api.backup_get(ctx, backup.id).status == "available", timeout=30)
    # One restore made outside the console (named by the cloud), one through the console's form.
    outside = api.backup_restore(ctx, backup.id)
    log_in(page, account, f"/backups/{backup.id}/restore/")
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_text("Restoring backup weekly into a new volume")).to_be_visible()
    wait_for(lambda: all(v.status == "available" for v in api.volume_list(ctx)), timeout=30)

    page.goto("/volumes/")
    restored = [row for row in api.volume_list(ctx) if row.id != volume.id]
    assert len(restored) == 2 and outside.volume_id in {v.id for v in restored}
    for made in restored:
        row = page.locator(f"tr[data-volume-id='{made.id}']")
        expect(row).to_contain_text("Backup weekly")
        expect(row).not_to_contain_text("Blank")
    page.goto(f"/volumes/{restored[0].id}/")
    source = page.locator(".facts div").filter(has_text="Source")
    expect(source).to_contain_text("Backup weekly")
    source.get_by_role("link", name="weekly").click()
    expect(page.get_by_role("heading", name="Backup weekly")).to_be_visible()


def test_a_bulk_delete_result_links_only_to_volumes_that_remain(page: Page, account):
    ctx = cloud_of(account)
    gone = [volume_ready(ctx, name=f"old-{n}") for n in range(2)]
    kept = volume_ready(ctx, name="kept")
    api.snapshot_create(ctx, volume_id=kept.id, display_name="pin")  # a snapshot blocks its delete
    log_in(page, account, "/volumes/")
    for volume in (*gone, kept):
        page.get_by_label(f"Select {volume.name}").check()
    page.get_by_role("button", name="Delete selected…").click()
    page.get_by_role("button", name="Delete").last.click()
    results = page.get_by_test_id("result")
    expect(results).to_have_count(3)
    for volume in gone:
        result = results.filter(has_text=volume.name)
        expect(result).to_contain_text("deleted")
        expect(result.get_by_role("link")).to_have_count(0)
    refused = results.filter(has_text="kept")
    expect(refused).to_contain_text("refused")
    expect(refused.get_by_role("link", name="kept")).to_have_attribute("href", f"/volumes/{kept.id}/")
