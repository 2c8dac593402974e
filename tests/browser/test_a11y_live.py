"""Live badges as a screen reader hears them, in Debian's chromium: a polite live region that changes
once per status change, not once per poll; the notice of failing polls is said once when they start
failing and once when they recover, not at every retry. What a screen reader announces is what
changes in a live region, so the test records every change of every aria-live region of the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import a11y_context
from tests.browser.login import cloud_of, log_in
from tests.security.conftest import volume_available

pytestmark = pytest.mark.browser

BADGE_TIMEOUT = 30_000  # ms

# Every change of the text of a live region (aria-live, role=status/alert), as [region id, text].
RECORD = """
window.__said = [];
window.__failedPolls = 0;
document.addEventListener("DOMContentLoaded", () => {
    const regionOf = (node) => {
        const el = node.nodeType === 1 ? node : node.parentElement;
        return el && el.closest("[aria-live], [role=status], [role=alert]");
    };
    new MutationObserver((mutations) => {
        const changed = new Set(mutations.map((m) => regionOf(m.target)).filter(Boolean));
        for (const region of changed) window.__said.push([region.id, region.textContent.trim()]);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
    document.addEventListener("htmx:afterRequest", (event) => {
        const poller = event.detail.elt.classList.contains("status-poller");
        if (poller && !event.detail.successful) window.__failedPolls++;
    });
});
"""


@pytest.fixture
def live_page(browser, live_server, settings, slow_emulator):
    settings.IDENTITY_URL = slow_emulator.identity_url
    settings.INVENTORY_ACTIVE_INTERVAL = 1.0
    settings.BADGE_POLL_INTERVAL = 1.0
    settings.API_RATE_PER_PROJECT = 0
    context = a11y_context(browser, live_server.url)
    context.add_init_script(RECORD)
    page = context.new_page()
    yield page
    context.close()


def test_a_badge_is_announced_once_per_change_not_per_poll(live_page, slow_account):
    page = live_page
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/live/" in r.url else None)
    log_in(page, slow_account)
    page.goto("/volumes/create/")
    page.get_by_label("Name", exact=True).fill("said-once")
    page.get_by_role("button", name="Create volume", exact=True).click()
    volume_id = page.get_by_test_id("volume-id").inner_text()
    page.goto("/volumes/")
    slot = page.locator(f"#status-volumes-{volume_id}")
    expect(slot).to_have_attribute("aria-live", "polite")
    expect(slot.locator(".badge")).to_have_text("Creating")
    expect(slot.locator(".badge")).to_have_text("Available", timeout=BADGE_TIMEOUT)

    said = page.evaluate("window.__said")
    badge = [text for region, text in said if region == slot.get_attribute("id")]
    assert badge and badge[-1] == "Available"
    # One announcement per change: never the same text twice in a row, fewer than the polls.
    assert all(before != after for before, after in zip(["Creating", *badge[:-1]], badge, strict=True)), badge
    assert len(polls) > len(badge)
    # Nothing else on the page spoke while the badge moved.
    assert [region for region, _ in said if region != slot.get_attribute("id")] == []


def test_failing_polls_are_announced_once_and_so_is_the_recovery(live_page, slow_account):
    page = live_page
    volume = volume_available(cloud_of(slow_account), display_name="said-outage")
    log_in(page, slow_account)
    page.goto(f"/backups/create/?volume_id={volume.id}")
    page.get_by_label("Name").fill("said-backup")
    page.get_by_role("button", name="Start backup").click()
    expect(page.locator(".badge", has_text="Creating").first).to_be_visible()
    notice = page.locator("#live-notice")

    page.route("**/live/**", lambda route: route.abort())
    page.wait_for_function("() => window.__failedPolls >= 2", timeout=BADGE_TIMEOUT)
    expect(notice).to_be_visible()
    page.unroute("**/live/**")
    expect(notice).to_be_hidden(timeout=BADGE_TIMEOUT * 2)

    said = [text for region, text in page.evaluate("window.__said") if region == "live-notice"]
    assert said == ["Live status updates are interrupted; the page keeps retrying by itself.", ""]
