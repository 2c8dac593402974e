"""The issue's end-to-end flows in a real browser that no section's own browser test covers: a clone
and a bootable volume followed live, a failure on purpose with its request id, a quota refusal whose
request id is copied and found by support staff, and deleting (allowed and blocked) without JavaScript.

One emulator for the module, its lifecycles at half their real length (creating 1.5 s, downloading
4 s), so each transitional badge is on screen for a second or more.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect

from console import api
from console.api.context import CloudContext
from tests.browser.login import cloud_of, log_in
from tests.emulator_process import EmulatorProcess
from tests.support.conftest import support_group

pytestmark = pytest.mark.browser

BADGE_TIMEOUT = 20_000  # ms: generous; lifecycles take seconds here on purpose
REQUEST_ID = re.compile(r"^req-[0-9a-f-]{36}$")


@pytest.fixture(scope="module")
def flow_emulator() -> Iterator[EmulatorProcess]:
    """Lifecycles at half their real length: each transitional status lasts a second or more."""
    proc = EmulatorProcess(env={"EMULATOR_SPEED": "0.5", "EMULATOR_RATE": "0"}).start()
    yield proc
    proc.stop()


def new_account(emulator: EmulatorProcess, prefix: str) -> dict:
    name = f"{prefix}{os.getpid()}x{os.urandom(3).hex()}"
    info = emulator.new_account(name)
    return {"user": name, "password": f"{name}-password", "project": name, **info}


@pytest.fixture
def user(flow_emulator) -> dict:
    return new_account(flow_emulator, "fl")


@pytest.fixture
def base_url(live_server, settings, flow_emulator) -> str:
    settings.IDENTITY_URL = flow_emulator.identity_url
    settings.INVENTORY_ACTIVE_INTERVAL = 1.0
    settings.BADGE_POLL_INTERVAL = 1.0
    # Each emulator numbers its projects from the same start: no listing of another run may remain.
    cache.clear()
    return live_server.url


def open_page(browser: Browser, base_url: str, *, javascript: bool = True) -> Page:
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 800}, java_script_enabled=javascript
    )
    if javascript:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    return context.new_page()


def wait_status(ctx: CloudContext, volume_id: str, status: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while api.volume_get(ctx, volume_id).status != status:
        assert time.monotonic() < deadline, f"volume {volume_id} never became {status}"
        time.sleep(0.2)


def ready_volume(ctx: CloudContext, name: str, *, size: int = 2, zone: str = "az2") -> api.Volume:
    volume = api.volume_create(ctx, size=size, display_name=name, availability_zone=zone)
    wait_status(ctx, volume.id, "available")
    return volume


def badge(page: Page, kind: str, resource_id: str):
    return page.locator(f"#status-{kind}-{resource_id} .badge")


def watch_without_reload(page: Page, kind: str, resource_id: str, *labels: str) -> None:
    """The badge shows each label in turn while the document stays the same (no navigation)."""
    page.evaluate("window.__marker = 1")
    for label in labels:
        expect(badge(page, kind, resource_id)).to_have_text(label, timeout=BADGE_TIMEOUT)
    assert page.evaluate("window.__marker") == 1, "the page was reloaded"


def test_clone_then_bootable_volume_from_an_image_followed_live(browser, base_url, user):
    ctx = cloud_of(user)
    origin = ready_volume(ctx, "origin-data", size=3)
    page = open_page(browser, base_url)
    try:
        log_in(page, user, f"/volumes/{origin.id}/")
        page.get_by_test_id("action-clone").get_by_role("link", name="Create volume from it").click()
        expect(page.get_by_role("heading", name="Create volume")).to_be_visible()
        expect(page.get_by_label("Clone a volume")).to_have_value(origin.id)
        expect(page.get_by_label("Size (GB)")).to_have_value("3")
        page.get_by_label("Name", exact=True).fill("origin-clone")
        page.get_by_role("button", name="Create volume").click()

        expect(page.get_by_role("heading", name="origin-clone")).to_be_visible()
        clone_id = page.get_by_test_id("volume-id").inner_text()
        watch_without_reload(page, "volumes", clone_id, "Creating", "Available")
        expect(page.get_by_role("link", name="origin-data")).to_be_visible()  # its source, linked

        page.goto("/volumes/create/")
        # The size typed at once after choosing the image, while the panel reloads for the image:
        # the panel ends on both (the newer edit replaces the request in flight, none is lost).
        page.get_by_label("From an image (bootable)").select_option(
            label="ubuntu-12.04-server-amd64 (at least 5 GB)"
        )
        page.get_by_label("Size (GB)").fill("8")
        # 3 GB of origin-data and 3 of its clone, and these 8.
        expect(page.get_by_test_id("quota-gigabytes")).to_contain_text("after: 14 of 3000 GB")
        page.get_by_label("Name", exact=True).fill("ubuntu-boot")
        page.get_by_role("button", name="Create volume").click()
        expect(page.get_by_role("heading", name="ubuntu-boot")).to_be_visible()
        boot_id = page.get_by_test_id("volume-id").inner_text()
        watch_without_reload(page, "volumes", boot_id, "Downloading image", "Available")
        expect(page.locator(".facts div", has_text="Bootable")).to_contain_text("Yes")
        expect(page.get_by_test_id("image-metadata")).to_contain_text("ubuntu-12.04")
    finally:
        page.context.close()


def test_failure_on_purpose_shows_the_error_state_and_its_request_id(browser, base_url, user):
    page = open_page(browser, base_url)
    try:
        log_in(page, user, "/volumes/create/")
        page.get_by_label("Name", exact=True).fill("nightly fail-create")
        page.get_by_role("button", name="Create volume").click()
        expect(page.get_by_role("heading", name="nightly fail-create")).to_be_visible()
        flash = page.locator("#messages")
        expect(flash).to_contain_text(re.compile(r"is being created \(request req-[0-9a-f-]{36}\)"))
        volume_id = page.get_by_test_id("volume-id").inner_text()
        watch_without_reload(page, "volumes", volume_id, "Creating", "Error")
        # The panel reloaded on the change: what to do, and the timeline's last entry with its id.
        expect(page.locator(".status-hint")).to_be_visible()
        last = page.locator(".timeline-entry").last
        expect(last.locator(".badge").last).to_have_text("Error")
        expect(last.locator("code.request-id")).to_have_text(REQUEST_ID)
        expect(page.get_by_test_id("action-delete").get_by_role("link", name="Delete")).to_be_visible()
    finally:
        page.context.close()


def test_quota_refusal_copied_and_found_by_support_staff(browser, base_url, user, flow_emulator):
    ctx = cloud_of(user)
    ready_volume(ctx, "existing", size=1)
    page = open_page(browser, base_url)
    staff_page = open_page(browser, base_url)
    try:
        log_in(page, user, "/volumes/create/")
        expect(page.get_by_test_id("quota-count")).to_contain_text("after: 2 of 10")
        # Meanwhile the project's quota is lowered (an operator, another console): the form's view
        # of the limits is now stale, its own check passes, and the cloud refuses with 413.
        flow_emulator.hook("PUT", f"/_emulator/quotas/{user['project_id']}", {"volumes": 1})
        page.get_by_label("Name", exact=True).fill("one-too-many")
        page.get_by_role("button", name="Create volume").click()

        error = page.get_by_role("alert").filter(has_text="VolumeLimitExceeded")
        expect(error).to_contain_text("Maximum number of volumes allowed (1) exceeded")
        request_id = error.locator("code.request-id").inner_text()
        assert REQUEST_ID.match(request_id)
        expect(page.get_by_label("Name", exact=True)).to_have_value("one-too-many")  # nothing lost
        error.get_by_role("button", name="Copy").click()
        expect(error.locator(".copy-feedback")).to_have_text("Copied")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == request_id

        # A support engineer, in another browser, pastes the id the customer sent.
        staff = new_account(flow_emulator, "st")
        log_in(staff_page, staff)
        expect(staff_page.get_by_role("link", name="Support")).to_have_count(0)
        get_user_model().objects.get(username=staff["user_id"]).groups.add(support_group())
        staff_page.reload()
        staff_page.get_by_role("navigation", name="Sections").get_by_role("link", name="Support").click()
        staff_page.get_by_label("Request id").fill(copied)
        staff_page.get_by_role("button", name="Search", exact=True).click()
        rows = staff_page.locator("table.support-table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows).to_contain_text(user["user"])
        staff_page.get_by_role("link", name=copied).click()
        expect(staff_page.get_by_test_id("call-status")).to_contain_text("413")
        expect(staff_page.get_by_test_id("call-message")).to_contain_text("VolumeLimitExceeded")
    finally:
        page.context.close()
        staff_page.context.close()


def test_create_and_delete_without_javascript_and_the_blocked_delete(browser, base_url, user):
    ctx = cloud_of(user)
    origin = ready_volume(ctx, "has-snapshot", size=1)
    snapshot = api.snapshot_create(ctx, volume_id=origin.id, display_name="keep-me")
    page = open_page(browser, base_url, javascript=False)
    try:
        log_in(page, user, "/volumes/create/")
        page.get_by_label("Name", exact=True).fill("plain-no-js")
        page.get_by_role("button", name="Create volume").click()
        expect(page.get_by_role("heading", name="plain-no-js")).to_be_visible()
        volume_id = page.get_by_test_id("volume-id").inner_text()
        for _ in range(40):  # without JavaScript the person reloads
            if page.get_by_test_id("action-delete").get_by_role("link", name="Delete").count():
                break
            page.wait_for_timeout(500)
            page.reload()
        page.get_by_test_id("action-delete").get_by_role("link", name="Delete").click()
        expect(page.get_by_role("heading", name="Delete volume “plain-no-js”")).to_be_visible()
        page.get_by_role("button", name="Delete volume").click()
        expect(page).to_have_url(f"{base_url}/volumes/")
        expect(page.get_by_text("Volume “plain-no-js” is being deleted")).to_be_visible()
        for _ in range(40):
            if not page.locator(f"#status-volumes-{volume_id}").count():
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(page.get_by_role("link", name="plain-no-js")).to_have_count(0)

        # A volume with a snapshot: the page says why it cannot be deleted and links the snapshot.
        page.goto(f"/volumes/{origin.id}/delete/")
        expect(page.get_by_test_id("delete-blocked")).to_contain_text("The volume has snapshots")
        expect(page.get_by_role("link", name="keep-me")).to_have_attribute(
            "href", re.compile(f"/snapshots/{snapshot.id}/")
        )
        expect(page.get_by_role("button", name="Delete volume")).to_have_count(0)
    finally:
        page.context.close()
