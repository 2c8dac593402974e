"""The page frame in a real browser: log in, switch region, log out, copy a request id."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.login import log_in, submit_login
from tests.emulator_process import free_port

pytestmark = pytest.mark.browser


def test_log_in_switch_region_log_out(page: Page, console_url, account, screenshots):
    log_in(page, account)
    expect(page).to_have_url(f"{console_url}/")
    expect(page.get_by_test_id("user")).to_contain_text(account["user"])
    expect(page.get_by_test_id("project")).to_have_text(account["project"])
    expect(page.get_by_label("Region", exact=True)).to_have_value("region-a.geo-1")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    assert page.evaluate("typeof htmx") == "object"
    # Choosing a region changes nothing until Switch is pressed (WCAG 3.2.2), with JavaScript too.
    expect(page.get_by_role("button", name="Switch")).to_be_visible()
    page.screenshot(path=screenshots / "overview.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_role("link", name="Overview")).to_be_visible()
    page.screenshot(path=screenshots / "overview-narrow.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_label("Region", exact=True).select_option("region-b.geo-1")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_text("Now working in region-b.geo-1.")).to_be_visible()
    expect(page.get_by_label("Region", exact=True)).to_have_value("region-b.geo-1")
    expect(page.get_by_role("heading", name="Volumes in region-b.geo-1")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    expect(page.get_by_role("heading", name="Log in to the cloud")).to_be_visible()

    # The back button shows nothing private: the overview was never stored.
    page.go_back()
    expect(page.get_by_role("heading", name="Log in to the cloud")).to_be_visible()
    expect(page.get_by_test_id("user")).to_have_count(0)


def test_copy_button_puts_the_request_id_on_the_clipboard(page: Page, account, settings, screenshots):
    settings.IDENTITY_URL = f"http://127.0.0.1:{free_port()}/v3"
    submit_login(page, account)
    error = page.get_by_role("alert")
    expect(error).to_contain_text("could not reach the cloud")
    request_id = page.locator("code.request-id").inner_text()
    assert len(request_id) == 32
    page.screenshot(path=screenshots / "login-error.png", full_page=True)

    page.get_by_role("button", name="Copy").click()
    expect(page.locator(".copy-feedback")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == request_id


def test_log_in_and_out_without_javascript(browser, console_url, account):
    context = browser.new_context(base_url=console_url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, account)
        expect(page.get_by_test_id("user")).to_contain_text(account["user"])
        # Without JavaScript the region switcher is a plain form with its button.
        page.get_by_label("Region", exact=True).select_option("region-b.geo-1")
        page.get_by_role("button", name="Switch").click()
        expect(page.get_by_label("Region", exact=True)).to_have_value("region-b.geo-1")
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_text("You have logged out.")).to_be_visible()
        page.goto("/")
        expect(page.get_by_role("heading", name="Log in to the cloud")).to_be_visible()
    finally:
        context.close()


def listings_due_now(settings) -> None:
    """The overview reads the shared inventory: a revoked token shows at its next refresh, so make
    every listing due now, and let the budget free a slot for that background refresh."""
    settings.INVENTORY_IDLE_INTERVAL = 0
    settings.INVENTORY_STATIC_INTERVAL = 0
    # A call sent late in its slot also holds the next one (console.api.budget): two slots clear
    # the way for a background refresh, which only ever takes a free slot.
    time.sleep(2.1)


def test_expired_session_returns_to_the_page_after_logging_in(
    page: Page, console_url, account, emulator, settings
):
    log_in(page, account)
    expect(page.get_by_test_id("user")).to_be_visible()
    emulator.expire_tokens(account["user"])
    listings_due_now(settings)
    page.goto("/?from=browser")
    expect(page.get_by_text("Your session with the cloud has ended. Please log in again.")).to_be_visible()
    page.get_by_label("User name").fill(account["user"])
    page.get_by_label("Password").fill(account["password"])
    page.get_by_label("Project", exact=True).fill(account["project"])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{console_url}/?from=browser")
    expect(page.get_by_test_id("user")).to_be_visible()


def test_htmx_requests_carry_the_csrf_token(page: Page, account):
    log_in(page, account)
    expect(page.get_by_test_id("user")).to_be_visible()
    # A POST made by htmx passes Django's CSRF check thanks to hx-headers on <body>.
    status = page.evaluate(
        """() => new Promise((resolve) => {
            document.body.addEventListener("htmx:afterRequest",
                (event) => resolve(event.detail.xhr.status), {once: true});
            htmx.ajax("POST", "/region/", {values: {region: "region-b.geo-1"}, swap: "none"});
        })"""
    )
    assert status == 200  # the redirect to the overview, followed
    page.reload()
    expect(page.get_by_label("Region", exact=True)).to_have_value("region-b.geo-1")


def test_htmx_request_after_the_token_ended_goes_to_login(
    page: Page, console_url, account, emulator, settings
):
    log_in(page, account)
    expect(page.get_by_test_id("user")).to_be_visible()
    emulator.expire_tokens(account["user"])
    listings_due_now(settings)
    page.evaluate('htmx.ajax("GET", "/", {swap: "none"})')
    expect(page).to_have_url(f"{console_url}/login/?next=/")
    expect(page.get_by_text("Your session with the cloud has ended. Please log in again.")).to_be_visible()
