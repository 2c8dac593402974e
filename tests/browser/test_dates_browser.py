"""Dates one way everywhere, as a user reads them: the date and time with its zone, and how long
ago, on every list, detail page and timeline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from console import api
from tests.browser.login import cloud_of, log_in
from tests.snapshots.helpers import volume_ready, wait_for

pytestmark = pytest.mark.browser

ABSOLUTE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC$")
AGO = re.compile(r"^\((just now|\d+\s(minute|hour|day)s? ago)\)$")


def test_every_date_says_when_with_its_zone_and_how_long_ago(page: Page, account):
    ctx = cloud_of(account)
    volume = volume_ready(ctx, name="dated")
    snapshot = api.snapshot_create(ctx, volume_id=volume.id, display_name="dated-snap")
    wait_for(lambda: api.snapshot_get(ctx, snapshot.id).status == "available")
    backup = api.backup_create(ctx, volume_id=volume.id, name="dated-backup")
    wait_for(lambda: api.backup_get(ctx, backup.id).status == "available", timeout=30)
    log_in(page, account)
    pages = [
        "/volumes/",
        f"/volumes/{volume.id}/",
        "/snapshots/",
        f"/snapshots/{snapshot.id}/",
        "/backups/",
        f"/backups/{backup.id}/",
    ]
    for url in pages:
        page.goto(url)
        moments = page.locator("main time")
        expect(moments.first, url).to_be_visible()
        for moment in moments.all():
            text = moment.inner_text().strip()
            assert ABSOLUTE.match(text), (url, text)
            ago = moment.locator("xpath=following-sibling::*[1]").inner_text().strip()
            assert AGO.match(ago), (url, text, ago)
