"""The backups section in a real browser: back a volume up and restore it into a new volume,
watching the badges of the backup and of both volumes move without a reload."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import expect

from console import api
from tests.browser.login import log_in
from tests.console.login_helpers import context_of
from tests.console.login_helpers import log_in as client_log_in
from tests.emulator_process import EmulatorProcess
from tests.snapshots.helpers import wait_for

pytestmark = pytest.mark.browser

BADGE_TIMEOUT = 30_000  # ms: lifecycles take seconds here, on purpose


@pytest.fixture(scope="module")
def slow_emulator():
    """Lifecycles at half their real length: a backup takes 6 s, a restore 4 s."""
    proc = EmulatorProcess(env={"EMULATOR_SPEED": "0.5", "EMULATOR_RATE": "0"}).start()
    yield proc
    proc.stop()


@pytest.fixture
def base_url(live_server, settings, slow_emulator) -> str:
    settings.IDENTITY_URL = slow_emulator.identity_url
    settings.INVENTORY_ACTIVE_INTERVAL = 1.0
    settings.BADGE_POLL_INTERVAL = 1.0
    # Each emulator numbers its projects from the same start: no listing of another run may remain.
    cache.clear()
    return live_server.url


def ready_volume(account: dict, *, name: str, size: int = 2) -> api.Volume:
    client = Client()
    assert client_log_in(client, account).status_code == 302
    ctx = context_of(client)
    volume = api.volume_create(ctx, size=size, display_name=name)
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "available", timeout=30)
    return volume


def test_back_up_and_restore_into_a_new_volume(browser, base_url, slow_account, screenshots):
    volume = ready_volume(slow_account, name="database")
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in(page, slow_account, f"/backups/create/?volume_id={volume.id}")
        expect(page.get_by_role("heading", name="Back up a volume")).to_be_visible()
        expect(page.get_by_label("Container")).to_have_value("volumebackups")
        page.get_by_label("Name", exact=False).first.fill("nightly <b>db</b>")
        page.screenshot(path=screenshots / "backups-create.png", full_page=True)
        page.get_by_role("button", name="Start backup").click()

        expect(page.get_by_role("heading", name="Backup nightly <b>db</b>")).to_be_visible()
        page.evaluate("window.__sameDocument = true")
        volume_badge = page.locator(f"#status-volumes-{volume.id} .badge")
        expect(volume_badge).to_have_text("Backing up")
        backup_id = page.url.rstrip("/").split("/")[-1]
        backup_badge = page.locator(f"#status-backups-{backup_id} .badge")
        expect(backup_badge).to_have_text("Creating")
        expect(page.get_by_test_id("backup-progress")).to_contain_text("running for")
        page.screenshot(path=screenshots / "backups-detail-creating.png", full_page=True)
        expect(backup_badge).to_have_text("Available", timeout=BADGE_TIMEOUT)
        expect(volume_badge).to_have_text("Available", timeout=BADGE_TIMEOUT)
        assert page.evaluate("window.__sameDocument") is True  # no reload
        # The panel reloaded itself on the status change: the actions now allow a restore.
        restore_link = page.get_by_role("link", name="Restore")
        expect(restore_link).to_be_visible()
        page.screenshot(path=screenshots / "backups-detail-available.png", full_page=True)

        restore_link.click()
        expect(page.get_by_role("heading", name="Restore backup nightly <b>db</b>")).to_be_visible()
        expect(page.get_by_text("created in az2")).to_be_visible()
        page.screenshot(path=screenshots / "backups-restore.png", full_page=True)
        page.get_by_role("button", name="Restore").click()

        expect(
            page.get_by_text("Restoring backup nightly <b>db</b> into a new volume in az2.")
        ).to_be_visible()
        page.evaluate("window.__sameDocument = true")
        target = page.get_by_test_id("restore-target")
        expect(target).to_contain_text(f"restore_backup_{backup_id}")
        expect(target.locator(".badge")).to_have_text("Restoring backup")
        page.screenshot(path=screenshots / "backups-restoring.png", full_page=True)
        expect(target.locator(".badge")).to_have_text("Available", timeout=BADGE_TIMEOUT)
        expect(backup_badge).to_have_text("Available", timeout=BADGE_TIMEOUT)
        assert page.evaluate("window.__sameDocument") is True

        # Restore into the existing volume: it must be typed by name first.
        page.get_by_role("link", name="Restore", exact=True).click()
        page.get_by_role("radio", name="An existing volume").check()
        page.get_by_label("database · 2 GB").check()
        page.get_by_role("textbox", name="Type the volume's name to confirm").fill("wrong")
        page.get_by_role("button", name="Restore").click()
        expect(page.get_by_text("Type the volume's name exactly, “database”")).to_be_visible()
        page.screenshot(path=screenshots / "backups-restore-refused.png", full_page=True)
        page.get_by_label("database · 2 GB").check()
        page.get_by_role("textbox", name="Type the volume's name to confirm").fill("database")
        page.get_by_role("button", name="Restore").click()
        expect(page.get_by_text("Restoring backup nightly <b>db</b> into volume database.")).to_be_visible()
        expect(volume_badge).to_have_text("Restoring backup")
        expect(volume_badge).to_have_text("Available", timeout=BADGE_TIMEOUT)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=screenshots / "backups-detail-narrow.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

        page.goto("/backups/")
        expect(page.get_by_role("link", name="nightly <b>db</b>")).to_be_visible()
        expect(page.get_by_role("cell", name="volumebackups")).to_be_visible()
        page.screenshot(path=screenshots / "backups-list.png", full_page=True)
    finally:
        context.close()


def test_delete_a_backup_without_javascript(browser, base_url, slow_account, screenshots):
    volume = ready_volume(slow_account, name="plain", size=1)
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, slow_account, "/backups/create/")
        page.get_by_label("Volume").select_option(volume.id)
        page.get_by_role("button", name="Start backup").click()
        expect(page.get_by_text("Backing up volume plain")).to_be_visible()
        backup_url = page.url
        for _ in range(60):
            page.goto(backup_url)
            if page.get_by_role("link", name="Delete").count():
                break
            page.wait_for_timeout(1000)
        page.get_by_role("link", name="Delete").click()
        expect(page.get_by_role("heading", name="Delete backup")).to_be_visible()
        page.screenshot(path=screenshots / "backups-delete.png", full_page=True)
        page.get_by_role("button", name="Delete backup").click()
        expect(page.get_by_text("Deleting backup")).to_be_visible()
        for _ in range(60):
            response = page.goto(backup_url)
            if response.status == 404:
                break
            page.wait_for_timeout(1000)
        expect(page.get_by_role("heading", name="This backup was deleted")).to_be_visible()
    finally:
        context.close()
