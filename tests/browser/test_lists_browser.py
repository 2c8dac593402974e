"""Every list works one way, as a user finds out by using them in turn: sorted by clicking a column
header (no separate "Sort by" field), the order kept through the next filter change, and a search
that takes a name or an id (whole, or cut short as the lists show it). The servers list too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from console import api
from tests.browser.login import cloud_of, log_in
from tests.snapshots.helpers import volume_ready, wait_for

pytestmark = pytest.mark.browser


def names_in(page: Page, table) -> list[str]:
    return [
        text.strip()
        for text in table.locator("tbody tr td:first-child a, tbody tr td.name-col > a").all_inner_texts()
    ]


def check_list(
    page: Page, url: str, *, search: str, table, names: list[str], target_id: str, target_name: str
):
    """Header sorting both ways, the order kept by a filter change, and the search by id."""
    page.goto(url)
    expect(page.get_by_label("Sort by")).to_have_count(0)  # one way: the headers
    header = table.locator("thead").get_by_role("link", name=re.compile(r"^Name"))
    header.click()
    expect(table.locator("th[aria-sort=ascending]")).to_contain_text("Name")
    wait_for(lambda: names_in(page, table) == sorted(names, key=str.lower), timeout=10)
    table.locator("thead").get_by_role("link", name=re.compile(r"^Name")).click()
    expect(table.locator("th[aria-sort=descending]")).to_contain_text("Name")
    wait_for(lambda: names_in(page, table) == sorted(names, key=str.lower, reverse=True), timeout=10)
    expect(page).to_have_url(re.compile(r"sort=-name"))
    # Searching by the id as the list shows it (cut short), any case: the order stays.
    page.get_by_label("Name or id").fill(target_id[:13].upper())
    page.get_by_label("Name or id").press("Enter")
    wait_for(lambda: names_in(page, table) == [target_name], timeout=10)
    expect(page).to_have_url(re.compile(r"sort=-name"))
    page.get_by_label(search).fill("")
    page.get_by_label(search).press("Enter")
    wait_for(lambda: len(names_in(page, table)) == len(names), timeout=10)
    expect(table.locator("th[aria-sort=descending]")).to_contain_text("Name")


def test_every_list_sorts_by_its_headers_and_finds_by_name_or_id(page: Page, account):
    ctx = cloud_of(account)
    volumes = [volume_ready(ctx, name=name) for name in ("bravo", "alpha", "charlie")]
    snapshots = [
        api.snapshot_create(ctx, volume_id=volume.id, display_name=f"snap-{volume.name}")
        for volume in volumes
    ]
    wait_for(lambda: all(s.status == "available" for s in api.snapshot_list(ctx)))
    backups = []
    for volume in volumes:  # one at a time: a volume being backed up cannot be snapshotted or backed up
        backups.append(api.backup_create(ctx, volume_id=volume.id, name=f"backup-{volume.name}"))
        wait_for(lambda: all(b.status == "available" for b in api.backup_list(ctx)), timeout=30)
    servers = api.server_list(ctx)
    log_in(page, account)

    check_list(
        page,
        "/volumes/",
        search="Name or id",
        table=page.locator("table.volume-table"),
        names=[v.name for v in volumes],
        target_id=volumes[0].id,
        target_name="bravo",
    )
    check_list(
        page,
        "/snapshots/",
        search="Name or id",
        table=page.locator("#snapshot-results table"),
        names=[s.display_name for s in snapshots],
        target_id=snapshots[0].id,
        target_name="snap-bravo",
    )
    check_list(
        page,
        "/backups/",
        search="Name or id",
        table=page.locator("#backup-results table"),
        names=[b.name for b in backups],
        target_id=backups[0].id,
        target_name="backup-bravo",
    )
    check_list(
        page,
        "/servers/",
        search="Name or id",
        table=page.get_by_test_id("servers"),
        names=[s.name for s in servers],
        target_id=servers[0].id,
        target_name=servers[0].name,
    )


def test_the_servers_list_filters_by_zone_and_status_without_javascript(browser, console_url, account):
    servers = api.server_list(cloud_of(account))
    zone = servers[0].availability_zone
    context = browser.new_context(base_url=console_url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, account, "/servers/")
        page.get_by_label("Zone").select_option(zone)
        page.get_by_role("button", name="Filter").click()
        table = page.get_by_test_id("servers")
        in_zone = sorted(s.name for s in servers if s.availability_zone == zone)
        expect(table.locator("tbody tr")).to_have_count(len(in_zone))
        page.get_by_role("link", name=re.compile(r"^Attached volumes")).click()
        expect(page).to_have_url(re.compile(rf"zone={zone}.*sort=attached"))
        expect(table.locator("tbody tr")).to_have_count(len(in_zone))
        page.get_by_label("Name or id").fill("no such server")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_text("No server matches these filters.")).to_be_visible()
    finally:
        context.close()
