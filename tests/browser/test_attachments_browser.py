"""Servers and attachments in a real browser: attach and detach, the badges following the lifecycle
without a reload of the page; and the same flows with JavaScript off."""

from __future__ import annotations

import dataclasses
import time

import pytest
from playwright.sync_api import Page, expect

from console import api
from console.api.context import CloudContext
from tests.browser.login import log_in
from tests.emulator_process import EmulatorProcess

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def slow_emulator():
    """Lifecycles slow enough to watch: attaching and detaching take a second each."""
    proc = EmulatorProcess(env={"EMULATOR_SPEED": "0.5"}).start()
    yield proc
    proc.stop()


@pytest.fixture
def cloud(console_url, settings, slow_emulator):
    """A fresh account on the slow emulator, and a CloudContext to prepare its data through the API."""
    settings.IDENTITY_URL = slow_emulator.identity_url
    name = f"b{time.time_ns() % 10**10}"
    slow_emulator.new_account(name)
    account = {"user": name, "password": f"{name}-password", "project": name}
    auth = api.authenticate(username=name, password=account["password"], project=name)
    endpoints = auth.regions["region-a.geo-1"]
    ctx = CloudContext(
        token=auth.token,
        user_id=auth.user_id,
        user_name=auth.user_name,
        project_id=auth.project_id,
        project_name=auth.project_name,
        region="region-a.geo-1",
        volume_url=endpoints.volume_url,
        compute_url=endpoints.compute_url,
    )
    return account, ctx


def make_volume(ctx: CloudContext, name: str, zone: str = "az1") -> api.Volume:
    volume = api.volume_create(ctx, size=2, availability_zone=zone, display_name=name)
    deadline = time.monotonic() + 15
    while api.volume_get(ctx, volume.id).status != "available":
        assert time.monotonic() < deadline
        time.sleep(0.3)
    return dataclasses.replace(volume, status="available")


def test_attach_and_detach_follow_the_lifecycle_without_reload(page: Page, cloud, screenshots):
    account, ctx = cloud
    volume = make_volume(ctx, "data-disk")
    make_volume(ctx, "elsewhere", zone="az2")
    log_in(page, account)

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Servers").click()
    expect(page.get_by_role("heading", name="Servers")).to_be_visible()
    expect(page.get_by_test_id("servers").get_by_role("row")).to_have_count(6)
    page.screenshot(path=screenshots / "servers.png", full_page=True)

    page.get_by_role("link", name="web-01").click()
    expect(page.get_by_role("heading", name="Server web-01")).to_be_visible()
    expect(page.get_by_test_id("no-attachments")).to_be_visible()
    page.get_by_role("link", name="Attach a volume").first.click()

    # Only the available volume of web-01's zone is offered.
    expect(page.get_by_label("Volume")).to_have_value(volume.id)
    expect(page.get_by_label("Volume").locator("option")).to_have_count(1)
    page.get_by_label("Device (advisory)").fill("<script>")
    page.get_by_role("button", name="Attach").click()
    expect(page.get_by_text("Enter a device like /dev/vdc")).to_be_visible()
    page.screenshot(path=screenshots / "attach-form-error.png", full_page=True)
    page.get_by_label("Device (advisory)").fill("/dev/vdc")
    page.get_by_role("button", name="Attach").click()

    badge = page.locator(f"#status-volumes-{volume.id}")
    expect(badge).to_contain_text("Attaching")
    expect(page.get_by_text(f"/dev/disk/by-id/virtio-{volume.id[:20]}").first).to_be_visible()
    page.evaluate("window.__notReloaded = true")
    expect(badge).to_contain_text("In use", timeout=15000)
    assert page.evaluate("window.__notReloaded") is True
    expect(page.get_by_test_id("attached-count")).to_have_text("1")
    page.screenshot(path=screenshots / "server-detail.png", full_page=True)

    page.get_by_role("link", name="Detach").click()
    expect(page.get_by_role("heading", name="Detach data-disk from web-01?")).to_be_visible()
    page.screenshot(path=screenshots / "detach-confirm.png", full_page=True)
    page.get_by_role("button", name="Detach").click()
    expect(page.locator(f"#status-volumes-{volume.id}")).to_contain_text("Detaching")
    page.evaluate("window.__notReloaded = true")
    # Detached: the panel reloads itself and the volume leaves the server's page.
    expect(page.get_by_test_id("no-attachments")).to_be_visible(timeout=15000)
    assert page.evaluate("window.__notReloaded") is True
    assert api.volume_get(ctx, volume.id).status == "available"


def test_error_attaching_shows_what_to_do(page: Page, cloud, screenshots):
    account, ctx = cloud
    volume = make_volume(ctx, "broken fail-attach")
    log_in(page, account)
    page.goto(f"/servers/attach/?volume_id={volume.id}")
    expect(page.get_by_role("heading", name="Attach volume broken fail-attach")).to_be_visible()
    page.get_by_label("Server").select_option(label="web-02 (az1)")
    page.screenshot(path=screenshots / "attach-for-volume.png", full_page=True)
    page.get_by_role("button", name="Attach").click()
    expect(page.get_by_role("heading", name="Server web-02")).to_be_visible()
    expect(page.locator(f"#status-volumes-{volume.id}")).to_contain_text("Error attaching", timeout=15000)
    expect(page.get_by_text("The volume could not be attached.")).to_be_visible()
    page.screenshot(path=screenshots / "server-error-attaching.png", full_page=True)


def test_attach_and_detach_without_javascript(browser, console_url, cloud):
    account, ctx = cloud
    volume = make_volume(ctx, "nojs")
    context = browser.new_context(base_url=console_url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, account)
        page.goto("/servers/")
        page.get_by_role("row", name="web-01").get_by_role("link", name="Attach a volume").click()
        page.get_by_role("button", name="Attach").click()
        expect(page.locator(f"#status-volumes-{volume.id}")).to_contain_text("Attaching")
        deadline = time.monotonic() + 15
        while "In use" not in page.locator(f"#status-volumes-{volume.id}").inner_text():
            assert time.monotonic() < deadline
            time.sleep(0.5)
            page.reload()
        page.get_by_role("link", name="Detach").click()
        page.get_by_role("button", name="Detach").click()
        expect(page.locator(f"#status-volumes-{volume.id}")).to_contain_text("Detaching")
    finally:
        context.close()
