"""One breadcrumb trail on every page below a list, as a user reads it: links up the way, then the
page itself (marked current, not a link), never ending in "/"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from console import api
from tests.browser.login import cloud_of, log_in
from tests.snapshots.helpers import volume_ready, wait_for

pytestmark = pytest.mark.browser


def test_every_page_below_a_list_has_the_one_breadcrumb_trail(page: Page, account):
    ctx = cloud_of(account)
    server = api.server_list(ctx)[0]
    volume = volume_ready(ctx, name="crumbs", zone=server.availability_zone)
    snapshot = api.snapshot_create(ctx, volume_id=volume.id, display_name="crumb-snap")
    wait_for(lambda: api.snapshot_get(ctx, snapshot.id).status == "available")
    backup = api.backup_create(ctx, volume_id=volume.id, name="crumb-backup")
    wait_for(lambda: api.backup_get(ctx, backup.id).status == "available", timeout=30)
    attached = volume_ready(ctx, name="plugged", zone=server.availability_zone)
    api.attachment_create(ctx, server.id, volume_id=attached.id)
    wait_for(lambda: api.volume_get(ctx, attached.id).status == "in-use")
    pages = {
        f"/volumes/{volume.id}/": ["Volumes", "crumbs"],
        f"/volumes/{volume.id}/edit/": ["Volumes", "crumbs", "Edit"],
        f"/volumes/{volume.id}/delete/": ["Volumes", "crumbs", "Delete"],
        "/volumes/create/": ["Volumes", "Create"],
        f"/snapshots/{snapshot.id}/": ["Snapshots", "crumb-snap"],
        f"/snapshots/{snapshot.id}/delete/": ["Snapshots", "crumb-snap", "Delete"],
        "/snapshots/create/": ["Snapshots", "Take a snapshot"],
        f"/backups/{backup.id}/": ["Backups", "crumb-backup"],
        f"/backups/{backup.id}/restore/": ["Backups", "crumb-backup", "Restore"],
        f"/backups/{backup.id}/delete/": ["Backups", "crumb-backup", "Delete"],
        "/backups/create/": ["Backups", "Back up a volume"],
        f"/servers/{server.id}/": ["Servers", server.name],
        f"/servers/{server.id}/attach/": ["Servers", server.name, "Attach"],
        f"/servers/{server.id}/detach/{attached.id}/": ["Servers", server.name, "Detach"],
        f"/servers/attach/?volume_id={volume.id}": ["Servers", "Attach"],
    }
    log_in(page, account)
    for url, trail in pages.items():
        page.goto(url)
        crumbs = page.get_by_role("navigation", name="Breadcrumb")
        expect(crumbs, url).to_have_count(1)
        expect(crumbs.get_by_role("listitem"), url).to_have_text(trail)
        expect(crumbs.get_by_role("link"), url).to_have_count(len(trail) - 1)  # the page itself is no link
        expect(crumbs.locator("[aria-current=page]"), url).to_have_text(trail[-1])
        shown = crumbs.inner_text().strip()
        assert not shown.endswith("/"), (url, shown)
        # A "/" is drawn between the items, never after the last one.
        separators = crumbs.get_by_role("listitem").evaluate_all(
            "items => items.map(item => getComputedStyle(item, '::before').content)"
        )
        assert separators == ["none"] + ['"/"'] * (len(trail) - 1), (url, separators)
    # The trail leads up: the detach page's server link goes to the server's page.
    page.goto(f"/servers/{server.id}/detach/{attached.id}/")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=server.name).click()
    expect(page.get_by_role("heading", name=f"Server {server.name}")).to_be_visible()
