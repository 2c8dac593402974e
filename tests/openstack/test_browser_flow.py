"""The console in a real browser against real Keystone 30 + Cinder 29: log in, create a volume, watch
its badge reach Available without reloading, extend it and watch it grow."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from tests.openstack.console import project_of

# Playwright's sync API runs an event loop in the main thread (see tests/browser/conftest.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
SETTLE_MS = 60_000  # Cinder's fake driver is quick; a loaded machine is not


@pytest.fixture
def os_page(browser, live_server, settings, openstack):
    settings.IDENTITY_URL = openstack.identity_url
    settings.API_RATE_PER_PROJECT = 1  # the default budget, as an operator runs it
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()


def test_log_in_create_a_volume_see_it_become_available_and_extend_it(os_page, openstack_account):
    page = os_page
    page.goto("/login/")
    page.get_by_label("User name").fill(openstack_account.name)
    page.get_by_label("Password").fill(openstack_account.password)
    page.get_by_label("Project", exact=True).fill(project_of(openstack_account))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("user")).to_contain_text(openstack_account.name)
    expect(page.get_by_test_id("api-dialect")).to_have_text("Cinder v3 (microversion 3.60)")

    page.goto("/volumes/create/")
    page.get_by_label("Name", exact=True).fill("browser-volume")
    page.get_by_label("Size (GB)").fill("1")
    page.get_by_label("Availability zone").select_option("az2")
    page.get_by_label("Volume type").select_option("standard")
    page.get_by_role("button", name="Create volume", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("is being created")
    status = page.get_by_test_id("status-text")
    # The badge moves by itself (htmx polls the console, which reads Cinder): no reload.
    page.evaluate("window.__same_page = true")
    expect(status).to_contain_text("Available", timeout=SETTLE_MS)
    assert page.evaluate("window.__same_page") is True

    page.get_by_test_id("action-extend").get_by_role("link", name="Extend").click()
    expect(page.get_by_role("heading", name="Extend volume")).to_be_visible()
    page.get_by_label("New size (GB)").fill("2")
    page.get_by_role("button", name="Extend", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("is being extended to 2 GB")
    page.evaluate("window.__same_page = true")
    expect(page.get_by_test_id("status-text")).to_contain_text("Available", timeout=SETTLE_MS)
    expect(page.locator(".detail-facts")).to_contain_text(re.compile(r"Size\s*2 GB"), timeout=SETTLE_MS)
    assert page.evaluate("window.__same_page") is True
