"""The volumes section in a real browser: live badges without reloads, forms with and without JS."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.login import log_in

pytestmark = pytest.mark.browser

BADGE_TIMEOUT = 20_000  # ms: lifecycles take seconds here, on purpose


@pytest.fixture
def volumes_url(live_server, settings, slow_emulator) -> str:
    settings.IDENTITY_URL = slow_emulator.identity_url
    settings.INVENTORY_ACTIVE_INTERVAL = 1.0
    settings.BADGE_POLL_INTERVAL = 1.0
    return live_server.url


def new_page(browser, base_url: str, *, javascript: bool = True) -> Page:
    context = browser.new_context(
        base_url=base_url, viewport={"width": 1280, "height": 900}, java_script_enabled=javascript
    )
    return context.new_page()


def badge_of(page: Page, volume_id: str):
    return page.locator(f"#status-volumes-{volume_id} .badge")


def test_create_watch_the_badge_without_reload_then_delete(browser, volumes_url, slow_account, screenshots):
    page = new_page(browser, volumes_url)
    try:
        log_in(page, slow_account, "/volumes/")
        expect(page.get_by_test_id("empty")).to_contain_text("No volumes")
        page.screenshot(path=screenshots / "volumes-empty.png", full_page=True)

        page.get_by_test_id("empty").get_by_role("link", name="Create volume").click()
        page.get_by_label("Name", exact=True).fill("browser-volume")
        page.get_by_label("Size (GB)").fill("20")
        expect(page.get_by_test_id("quota-gigabytes")).to_contain_text("after: 20 of 3000 GB")
        page.evaluate("window.__form = 'same'")
        page.get_by_role("button", name="Add row").click()
        expect(page.get_by_label("Key 3")).to_be_visible()
        assert page.evaluate("window.__form") == "same"  # htmx swapped the rows, no reload
        expect(page.get_by_label("Name", exact=True)).to_have_value("browser-volume")
        page.get_by_label("Key 1").fill("team")
        page.get_by_label("Value 1").fill("storage")
        page.screenshot(path=screenshots / "volumes-create.png", full_page=True)
        page.get_by_role("button", name="Create volume").click()

        expect(page.get_by_role("heading", name="browser-volume")).to_be_visible()
        url = page.url
        volume_id = page.get_by_test_id("volume-id").inner_text()
        page.evaluate("window.__stayed = 'yes'")
        expect(badge_of(page, volume_id)).to_have_text("Creating")
        expect(page.get_by_test_id("action-backup")).to_contain_text(
            "Only an available volume can be backed up"
        )
        page.screenshot(path=screenshots / "volumes-detail-creating.png", full_page=True)
        expect(badge_of(page, volume_id)).to_have_text("Available", timeout=BADGE_TIMEOUT)
        # No reload: same document (the marker survived), same URL; the actions panel followed.
        assert page.evaluate("window.__stayed") == "yes"
        assert page.url == url
        expect(page.get_by_test_id("action-backup").get_by_role("link", name="Back up")).to_be_visible()
        expect(page.locator(".timeline-entry")).to_have_count(2)
        page.screenshot(path=screenshots / "volumes-detail.png", full_page=True)

        page.get_by_role("link", name="Volumes", exact=True).first.click()
        expect(badge_of(page, volume_id)).to_have_text("Available")
        page.screenshot(path=screenshots / "volumes-list.png", full_page=True)

        page.goto(f"/volumes/{volume_id}/")
        page.get_by_test_id("action-delete").get_by_role("link", name="Delete").click()
        expect(page.get_by_role("heading", name="Delete volume “browser-volume”")).to_be_visible()
        page.screenshot(path=screenshots / "volumes-delete.png", full_page=True)
        page.get_by_role("button", name="Delete volume").click()
        expect(page.get_by_text("is being deleted")).to_be_visible()
        page.evaluate("window.__stayed = 'list'")
        expect(badge_of(page, volume_id)).to_have_text("Deleted", timeout=BADGE_TIMEOUT)
        assert page.evaluate("window.__stayed") == "list"
    finally:
        page.context.close()


def test_create_without_javascript(browser, volumes_url, slow_account, screenshots):
    page = new_page(browser, volumes_url, javascript=False)
    try:
        log_in(page, slow_account, "/volumes/")
        page.goto("/volumes/create/")
        page.get_by_label("Name", exact=True).fill("no-js-volume")
        page.get_by_label("Size (GB)").fill("1.5")
        page.get_by_role("button", name="Create volume").click()
        expect(page.get_by_text("is not a whole number of GB")).to_be_visible()
        page.screenshot(path=screenshots / "volumes-create-errors.png", full_page=True)
        # "Add row" is a plain submit button: the form comes back with one more row and its values.
        page.get_by_role("button", name="Add row").click()
        expect(page.get_by_label("Key 3")).to_be_visible()
        expect(page.get_by_label("Name", exact=True)).to_have_value("no-js-volume")
        page.get_by_label("Key 3").fill("env")
        page.get_by_label("Value 3").fill("test")
        page.get_by_role("button", name="Remove row 1").click()
        expect(page.get_by_label("Key 2")).to_have_value("env")
        page.get_by_label("Size (GB)").fill("2")
        page.get_by_role("button", name="Create volume").click()
        expect(page.get_by_role("heading", name="no-js-volume")).to_be_visible()
        expect(page.get_by_test_id("metadata")).to_contain_text("env")
        volume_id = page.get_by_test_id("volume-id").inner_text()
        for _ in range(40):
            if page.locator(f"#status-volumes-{volume_id} .badge").inner_text() == "Available":
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(badge_of(page, volume_id)).to_have_text("Available")
        page.goto("/volumes/?q=NO-JS")
        expect(page.locator("tbody tr")).to_have_count(1)
        page.screenshot(path=screenshots / "volumes-list-nojs.png", full_page=True)
    finally:
        page.context.close()


def test_html_in_names_never_runs(browser, volumes_url, slow_account, screenshots):
    page = new_page(browser, volumes_url)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        log_in(page, slow_account, "/volumes/")
        page.goto("/volumes/create/")
        evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
        page.get_by_label("Name", exact=True).fill(evil)
        page.get_by_label("Description").fill(evil)
        page.get_by_label("Key 1").fill("<b>k</b>")
        page.get_by_label("Value 1").fill(evil)
        page.get_by_role("button", name="Create volume").click()
        expect(page.locator("h1 .title-text")).to_have_text(evil)
        expect(page.get_by_test_id("description")).to_have_text(evil)
        page.goto("/volumes/")
        expect(page.get_by_role("link", name=re.compile("onerror"))).to_be_visible()
        page.wait_for_timeout(500)
        assert dialogs == []
        assert page.locator("img[src=x]").count() == 0
    finally:
        page.context.close()


def test_bulk_delete_with_a_result_for_each_volume(
    browser, volumes_url, slow_account, slow_emulator, screenshots
):
    page = new_page(browser, volumes_url)
    try:
        log_in(page, slow_account, "/volumes/")
        for name in ("bulk-a", "bulk-b"):
            page.goto("/volumes/create/")
            page.get_by_label("Name", exact=True).fill(name)
            page.get_by_role("button", name="Create volume").click()
            expect(page.get_by_role("heading", name=name)).to_be_visible()
            volume_id = page.get_by_test_id("volume-id").inner_text()
            expect(badge_of(page, volume_id)).to_have_text("Available", timeout=BADGE_TIMEOUT)
        page.goto("/volumes/")
        # Filtering and sorting swap the list region only, and the URL follows.
        page.evaluate("window.__list = 'same'")
        page.get_by_label("Name or id").fill("bulk-a")
        expect(page.locator("tbody tr")).to_have_count(1)
        expect(page).to_have_url(re.compile(r"q=bulk-a"))
        page.get_by_label("Name or id").fill("")
        expect(page.locator("tbody tr")).to_have_count(2)
        page.get_by_role("link", name="Name").click()
        expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Name")
        expect(page.locator("tbody tr").first).to_contain_text("bulk-a")
        page.locator("th[aria-sort=ascending] a").click()
        expect(page.locator("th[aria-sort=descending]")).to_contain_text("Name")
        expect(page.locator("tbody tr").first).to_contain_text("bulk-b")
        # The next filter keeps the order the header chose (the form learnt it out of band).
        page.get_by_label("Name or id").fill("bulk")
        page.get_by_label("Name or id").blur()  # its change event reloads the list once more
        page.wait_for_load_state("networkidle")
        expect(page).to_have_url(re.compile(r"q=bulk&.*sort=-name"))
        expect(page.locator("tbody tr").first).to_contain_text("bulk-b")
        assert page.evaluate("window.__list") == "same"
        page.get_by_label("Select bulk-a").check()
        page.get_by_label("Select bulk-b").check()
        page.get_by_role("button", name="Delete selected…").click()
        expect(page.get_by_role("heading", name="Delete 2 volumes?")).to_be_visible()
        page.screenshot(path=screenshots / "volumes-bulk-confirm.png", full_page=True)
        page.get_by_role("button", name="Delete 2 volumes").click()
        expect(page.get_by_role("heading", name="Result of the deletion")).to_be_visible()
        expect(page.get_by_test_id("result")).to_have_count(2)
        expect(page.get_by_text("2 of 2 volumes are being deleted.")).to_be_visible()
        page.screenshot(path=screenshots / "volumes-bulk-result.png", full_page=True)
    finally:
        page.context.close()


def test_snapshot_then_a_volume_from_it(browser, volumes_url, slow_account, screenshots):
    page = new_page(browser, volumes_url)
    try:
        log_in(page, slow_account, "/volumes/")
        page.goto("/volumes/create/")
        page.get_by_label("Name", exact=True).fill("origin")
        page.get_by_label("Size (GB)").fill("3")
        page.get_by_role("button", name="Create volume").click()
        volume_id = page.get_by_test_id("volume-id").inner_text()
        expect(badge_of(page, volume_id)).to_have_text("Available", timeout=BADGE_TIMEOUT)
        page.get_by_test_id("action-snapshot").get_by_role("link", name="Take snapshot").click()
        page.get_by_role("textbox", name=re.compile("^Name")).fill("origin-snap")
        page.get_by_role("button", name="Take snapshot").click()
        use = page.get_by_role("link", name="Create a volume from this snapshot")
        for _ in range(40):
            if use.count():
                break
            page.wait_for_timeout(500)
            page.reload()
        use.click()
        expect(page.get_by_label("From a snapshot")).not_to_have_value("")
        expect(page.get_by_label("Size (GB)")).to_have_value("3")
        expect(page.get_by_test_id("quota-count")).to_contain_text("after: 3 of 10")
        page.get_by_label("Name", exact=True).fill("from-snapshot")
        page.get_by_role("button", name="Create volume").click()
        expect(page.get_by_role("heading", name="from-snapshot")).to_be_visible()
        expect(page.get_by_role("link", name="origin-snap")).to_be_visible()
        page.screenshot(path=screenshots / "volumes-from-snapshot.png", full_page=True)
        # The origin cannot be deleted while its snapshot exists: the page says so and links to it.
        page.goto(f"/volumes/{volume_id}/delete/")
        expect(page.get_by_test_id("delete-blocked")).to_contain_text("The volume has snapshots")
        expect(page.get_by_role("link", name="origin-snap")).to_be_visible()
        expect(page.get_by_role("button", name="Delete volume")).to_have_count(0)
        page.screenshot(path=screenshots / "volumes-delete-blocked.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto("/volumes/")
        page.screenshot(path=screenshots / "volumes-list-narrow.png", full_page=True)
    finally:
        page.context.close()
