"""Live text stays true, as a user watching a page sees it: the server's slot count after a detach,
a backup's running time, a warning when moving badges can no longer be confirmed (the cloud failing),
and no "this page updates by itself" without JavaScript."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from console import api
from tests.browser.login import cloud_of, log_in
from tests.emulator_process import EmulatorProcess
from tests.snapshots.helpers import volume_ready, wait_for

pytestmark = pytest.mark.browser

WAIT = 30_000  # ms


@pytest.fixture(scope="module")
def live_emulator():
    """Volumes ready in a second, attach and detach in one and two, and backups that run for ten minutes."""
    proc = EmulatorProcess(
        env={
            "EMULATOR_RATE": "0",
            "EMULATOR_CREATE_SECONDS": "1",
            "EMULATOR_ATTACH_SECONDS": "1",
            "EMULATOR_DETACH_SECONDS": "2",
            "EMULATOR_BACKUP_SECONDS": "600",
        }
    ).start()
    yield proc
    proc.stop()


@pytest.fixture
def user(live_server, settings, live_emulator) -> dict:
    settings.IDENTITY_URL = live_emulator.identity_url
    settings.INVENTORY_ACTIVE_INTERVAL = 1.0
    settings.BADGE_POLL_INTERVAL = 1.0
    name = f"lt{time.time_ns() % 10**10}"
    info = live_emulator.new_account(name)
    return {"user": name, "password": f"{name}-password", "project": name, **info}


def running_backup(ctx, name: str = "nightly") -> tuple[api.Volume, api.Backup]:
    volume = volume_ready(ctx, name=f"{name}-data")
    backup = api.backup_create(ctx, volume_id=volume.id, name=name)
    return volume, backup


def test_the_server_page_counts_its_slots_again_after_a_detach(page: Page, user):
    ctx = cloud_of(user)
    server = api.server_list(ctx)[0]
    volume = volume_ready(ctx, name="data-disk", zone=server.availability_zone)
    api.attachment_create(ctx, server.id, volume_id=volume.id)
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "in-use")
    log_in(page, user, f"/servers/{server.id}/")
    expect(page.get_by_test_id("attached-count")).to_have_text("1")
    page.get_by_role("link", name="Detach").click()
    page.get_by_role("button", name="Detach").click()
    expect(page.locator(f"#status-volumes-{volume.id}")).to_contain_text("Detaching")
    page.evaluate("window.__notReloaded = true")
    expect(page.get_by_test_id("no-attachments")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("attached-count")).to_have_text("0")
    assert page.evaluate("window.__notReloaded") is True


def seconds_of(text: str) -> int:
    return int(re.fullmatch(r"(\d+) s", text).group(1))


def test_a_running_backup_counts_its_time(page: Page, user):
    _, backup = running_backup(cloud_of(user))
    log_in(page, user, f"/backups/{backup.id}/")
    running = page.get_by_test_id("backup-progress").get_by_test_id("running-for")
    expect(running).to_have_text(re.compile(r"^\d+ s$"))
    first = seconds_of(running.inner_text())
    page.evaluate("window.__notReloaded = true")
    expect(running).to_have_text(re.compile(r"^\d+ s$"))
    wait_for(lambda: seconds_of(running.inner_text()) >= first + 3, timeout=15)
    assert page.evaluate("window.__notReloaded") is True
    # The list says the same, and counts on too.
    page.goto("/backups/")
    row = page.get_by_role("row").filter(has_text="nightly").get_by_test_id("running-for")
    start = seconds_of(row.inner_text())
    wait_for(lambda: seconds_of(row.inner_text()) >= start + 2, timeout=15)


def test_moving_badges_warn_while_the_cloud_fails_and_recover(page: Page, user, live_emulator):
    ctx = cloud_of(user)
    volume, backup = running_backup(ctx)
    log_in(page, user, "/backups/")
    backup_badge = page.locator(f"#status-backups-{backup.id} .badge")
    expect(backup_badge).to_have_text("Creating")
    warning = page.get_by_test_id("live-warning")
    expect(warning).to_have_count(0)
    spinning = "element => getComputedStyle(element).animationName"
    assert backup_badge.locator(".badge__icon").evaluate(spinning) == "spin"

    live_emulator.hook("PUT", "/_emulator/faults", {"error_rate": 1.0, "project": user["project_id"]})
    try:
        expect(warning).to_be_visible(timeout=WAIT)
        expect(warning).to_contain_text("Statuses are not updating.")
        expect(warning).to_be_in_viewport()
        assert backup_badge.locator(".badge__icon").evaluate(spinning) == "none"
        # The volumes list (the volume is backing up) says it too, from its first render.
        page.goto("/volumes/")
        expect(page.locator(f"#status-volumes-{volume.id} .badge")).to_have_text("Backing up")
        expect(page.get_by_test_id("live-warning")).to_be_visible(timeout=WAIT)
    finally:
        live_emulator.hook("PUT", "/_emulator/faults", {})
    # The cloud answers again: the warning goes by itself and the badges move again.
    expect(page.get_by_test_id("live-warning")).to_have_count(0, timeout=90_000)
    badge = page.locator(f"#status-volumes-{volume.id} .badge")
    assert badge.locator(".badge__icon").evaluate(spinning) == "spin"


def test_without_javascript_no_page_says_it_updates_by_itself(browser, live_server, user):
    _, backup = running_backup(cloud_of(user))
    for javascript in (False, True):
        context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript)
        page = context.new_page()
        try:
            log_in(page, user, f"/backups/{backup.id}/")
            progress = page.get_by_test_id("backup-progress")
            expect(progress).to_contain_text("Backing up")
            shown = progress.inner_text()  # as rendered (a <noscript> is no text to Playwright's locators)
            if javascript:
                assert "this page updates by itself" in shown and "reload" not in shown, shown
            else:
                assert (
                    "this page updates by itself" not in shown and "reload the page to follow it" in shown
                ), shown
        finally:
            context.close()
