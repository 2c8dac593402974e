"""A project's day in the console, as the README shows it: realistic data, some of it moving, and a
support engineer's view. Every step asserts what a person sees; with SCREENSHOTS set (e.g.
SCREENSHOTS=docs/screenshots) the test also saves the README's pictures at 1280x800: overview.png,
volumes.png, volume-detail.png, volume-create.png, backups.png, server.png, support.png.

The emulator runs as the spec says, with the rate limit of 1 call/s per project (which the console
meters) and the lifecycles at their real length (creating 3 s, downloading 8 s; backups take 20 s
instead of 12), so that the moving badges are on screen when the pictures are taken.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from playwright.sync_api import Page, expect

from console import api
from tests.browser.login import cloud_of, log_in
from tests.browser.test_flows_volumes import (
    BADGE_TIMEOUT,
    REQUEST_ID,
    badge,
    open_page,
    wait_status,
    watch_without_reload,
)
from tests.emulator_process import EmulatorProcess
from tests.support.conftest import support_group

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def real_time_emulator() -> Iterator[EmulatorProcess]:
    proc = EmulatorProcess(env={"EMULATOR_SPEED": "1", "EMULATOR_BACKUP_SECONDS": "20"}).start()
    yield proc
    proc.stop()


@pytest.fixture
def base_url(live_server, settings, real_time_emulator) -> str:
    settings.IDENTITY_URL = real_time_emulator.identity_url
    settings.BADGE_POLL_INTERVAL = 1.0
    cache.clear()
    return live_server.url


def account_named(emulator: EmulatorProcess, name: str) -> dict:
    info = emulator.new_account(name)
    return {"user": name, "password": f"{name}-password", "project": name, **info}


# What a picture for the README must not show. Under the spec's 1 call/s, a page that finds two
# listings due at once shows the one that missed its turn as a failure (var/browser-findings.md, 2).
TROUBLE = ".error-box, .alert--error, .alert--warning, .quota-note"


def goto_calm(page: Page, url: str, timeout: float = 30.0) -> None:
    """Open `url` until it shows no error or warning (the next turn of the budget clears them)."""
    deadline = time.monotonic() + timeout
    page.goto(url)
    trouble = page.locator(TROUBLE).filter(visible=True)
    while trouble.count():
        assert time.monotonic() < deadline, f"{url} kept showing {trouble.first.inner_text()}"
        page.wait_for_timeout(1000)
        page.goto(url)


def test_a_day_in_the_console(browser, base_url, real_time_emulator, readme_screenshot):
    team = account_named(real_time_emulator, "webshop")
    ctx = cloud_of(team)
    servers = {server.name: server for server in api.server_list(ctx)}
    images = {image.name: image for image in api.image_list(ctx)}

    # What the project already has: a database pair on db-01, an archive with a weekly backup.
    primary = api.volume_create(
        ctx, size=200, availability_zone="az3", display_name="postgres-primary", metadata={"role": "db"}
    )
    replica = api.volume_create(ctx, size=200, availability_zone="az3", display_name="postgres-replica")
    archive = api.volume_create(ctx, size=80, availability_zone="az2", display_name="logs-archive")
    for volume in (primary, replica, archive):
        wait_status(ctx, volume.id, "available")
    api.attachment_create(ctx, servers["db-01"].id, volume_id=primary.id)
    api.snapshot_create(ctx, volume_id=replica.id, display_name="replica-before-upgrade")
    weekly = api.backup_create(ctx, volume_id=archive.id, name="logs-weekly")
    wait_status(ctx, primary.id, "in-use")
    wait_status(ctx, archive.id, "available", timeout=40)  # its backup is written
    time.sleep(2.1)  # two budget slots: the console's first listings find their turn at once

    page = open_page(browser, base_url)
    staff_page = open_page(browser, base_url)
    try:
        # The create form with its quota panel, then the new volume followed live.
        log_in(page, team, "/volumes/create/")
        # Quotas count the project in both regions: a look at region-b first, so that the quota
        # panel counts it too (it says so until the console has seen a region).
        for region in ("region-b.geo-1", "region-a.geo-1"):
            page.get_by_label("Region", exact=True).select_option(region)
            page.get_by_role("button", name="Switch").click()
            expect(page.get_by_text(f"Now working in {region}.")).to_be_visible()
            if region == "region-b.geo-1":
                # Both listings the volume quota counts (volumes and snapshots) seen in region-b.
                goto_calm(page, "/volumes/")
                goto_calm(page, "/snapshots/")
        goto_calm(page, "/volumes/create/")
        page.get_by_label("Name", exact=True).fill("web-assets")
        page.get_by_label("Description").fill("Static files of the shop's front end")
        page.get_by_label("Availability zone").select_option("az1")
        page.get_by_label("Key 1").fill("team")
        page.get_by_label("Value 1").fill("frontend")
        page.get_by_label("Size (GB)").fill("40")
        expect(page.get_by_test_id("quota-gigabytes")).to_contain_text("after: 720 of 3000 GB")
        expect(page.get_by_test_id("quota-count")).to_contain_text("after: 5 of 10")
        page.get_by_label("Name", exact=True).focus()
        readme_screenshot(page, "volume-create")
        page.get_by_role("button", name="Create volume").click()
        expect(page.get_by_role("heading", name="web-assets")).to_be_visible()
        assets_id = page.get_by_test_id("volume-id").inner_text()
        watch_without_reload(page, "volumes", assets_id, "Creating", "Available")

        # Attach it to web-01: the server's page follows attaching -> in use.
        page.get_by_test_id("action-attach").get_by_role("link", name="Attach to a server").click()
        page.get_by_label("Server").select_option(label="web-01 (az1)")
        page.get_by_role("button", name="Attach").click()
        expect(page.get_by_role("heading", name="Server web-01")).to_be_visible()
        page.evaluate("window.__marker = 1")
        expect(page.locator(f"#status-volumes-{assets_id}")).to_contain_text("In use", timeout=BADGE_TIMEOUT)
        assert page.evaluate("window.__marker") == 1
        expect(page.get_by_text(f"/dev/disk/by-id/virtio-{assets_id[:20]}").first).to_be_visible()
        page.mouse.move(0, 0)
        readme_screenshot(page, "server")

        # The volume's page: facts, actions, and the timeline of what the console saw, with ids.
        goto_calm(page, f"/volumes/{assets_id}/")
        expect(badge(page, "volumes", assets_id)).to_have_text("In use")
        entries = page.locator(".timeline-entry")
        expect(entries).to_have_count(4)
        expect(entries.last).to_contain_text("In use")
        expect(entries.first.locator("code.request-id")).to_have_text(REQUEST_ID)
        page.get_by_role("heading", name="Timeline").scroll_into_view_if_needed()
        readme_screenshot(page, "volume-detail")

        # More work starts, through the forms: the list shows it moving.
        page.goto(f"/backups/create/?volume_id={replica.id}")
        page.get_by_label("Name", exact=False).first.fill("replica-nightly")
        page.get_by_role("button", name="Start backup").click()
        expect(page.get_by_role("heading", name="Backup replica-nightly")).to_be_visible()
        nightly_id = page.url.rstrip("/").split("/")[-1]
        ubuntu = images["ubuntu-12.04-server-amd64"]
        page.goto(f"/volumes/create/?image_id={ubuntu.id}")
        expect(page.get_by_label("Size (GB)")).to_have_value("5")  # the image's minimum disk
        page.get_by_label("Name", exact=True).fill("ubuntu-build-agent")
        page.get_by_label("Size (GB)").fill("10")
        page.get_by_role("button", name="Create volume").click()
        boot_id = page.get_by_test_id("volume-id").inner_text()
        page.goto("/volumes/create/")
        page.get_by_label("Name", exact=True).fill("scratch-ci")
        page.get_by_label("Size (GB)").fill("20")
        page.get_by_role("button", name="Create volume").click()
        scratch_id = page.get_by_test_id("volume-id").inner_text()
        goto_calm(page, "/volumes/")
        expect(badge(page, "volumes", boot_id)).to_have_text("Downloading image")
        expect(badge(page, "volumes", replica.id)).to_have_text("Backing up")
        expect(page.locator("tbody tr")).to_have_count(6)
        expect(page.get_by_role("link", name="postgres-primary")).to_be_visible()
        readme_screenshot(page, "volumes")

        goto_calm(page, "/backups/")
        expect(page.get_by_role("link", name="logs-weekly")).to_be_visible()
        expect(badge(page, "backups", weekly.id)).to_have_text("Available")
        expect(badge(page, "backups", nightly_id)).to_have_text("Creating")
        readme_screenshot(page, "backups")
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Volumes").click()
        page.evaluate("window.__marker = 1")
        expect(badge(page, "volumes", scratch_id)).to_have_text("Available", timeout=BADGE_TIMEOUT)
        expect(badge(page, "volumes", boot_id)).to_have_text("Available", timeout=BADGE_TIMEOUT)
        assert page.evaluate("window.__marker") == 1

        goto_calm(page, "/")
        expect(page.get_by_test_id("chart-count")).to_contain_text("7 of 10 used")
        expect(page.get_by_test_id("chart-gigabytes")).to_contain_text("750 of 3000 GB used")
        readme_screenshot(page, "overview")

        # A refused request the customer reports to support: the quota is lowered meanwhile.
        page.goto("/volumes/create/")
        page.get_by_label("Name", exact=True).fill("media-cache")
        page.get_by_label("Size (GB)").fill("100")
        expect(page.get_by_test_id("quota-gigabytes")).to_contain_text("after: 850 of 3000 GB")
        real_time_emulator.hook("PUT", f"/_emulator/quotas/{team['project_id']}", {"gigabytes": 800})
        page.get_by_role("button", name="Create volume").click()
        refusal = page.get_by_role("alert").filter(has_text="VolumeSizeExceedsAvailableQuota")
        request_id = refusal.locator("code.request-id").inner_text()
        assert REQUEST_ID.match(request_id)

        helpdesk = account_named(real_time_emulator, "helpdesk")
        log_in(staff_page, helpdesk)
        get_user_model().objects.get(username=helpdesk["user_id"]).groups.add(support_group())
        staff_page.goto("/support/")
        staff_page.get_by_label("Request id").fill(request_id)
        staff_page.get_by_role("button", name="Search", exact=True).click()
        expect(staff_page.locator("table.support-table tbody tr")).to_have_count(1)
        staff_page.get_by_role("link", name=request_id).click()
        expect(staff_page.get_by_test_id("call-status")).to_contain_text("413")
        expect(staff_page.get_by_test_id("call-message")).to_contain_text("VolumeSizeExceedsAvailableQuota")
        readme_screenshot(staff_page, "support")
    finally:
        page.context.close()
        staff_page.context.close()
