"""The support console in a real browser: a staff login, search by a pasted id, the call page, the
copy buttons with JavaScript, and selectable ids without it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from console.models import LifecycleEvent
from tests.browser.login import log_in
from tests.support.conftest import P, call_row, make_user, support_group

pytestmark = pytest.mark.browser

REQUEST_ID = "req-5e1f0a77-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
CONSOLE_ID = "7c1e2d3f4a5b6c7d8e9f0a1b2c3d4e5f"
QUOTA = "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed Gigabytes quota"


def make_support_staff(account: dict) -> None:
    user = get_user_model().objects.get(username=account["user_id"])
    user.groups.add(support_group())


def a_customer_story() -> None:
    """What a customer's failed create left in the log: a listing, then the refused create."""
    now = timezone.now()
    for n in range(12):
        call_row(created_at=now - timedelta(minutes=30 + n), user_name="carol", project_name="shop")
    call_row(
        created_at=now - timedelta(seconds=3),
        console_request_id=CONSOLE_ID,
        request_id="req-0a0a0a0a-1111-2222-3333-444455556666",
        path=f"{P}/volumes/detail",
        resource_id="",
        user_name="carol",
        project_name="shop",
    )
    call_row(
        created_at=now - timedelta(seconds=2),
        console_request_id=CONSOLE_ID,
        request_id=REQUEST_ID,
        method="POST",
        path=f"{P}/volumes",
        status=413,
        fault="overLimit",
        message=QUOTA,
        duration_ms=41,
        resource_id="vol-quota",
        user_name="carol",
        project_name="shop",
    )
    for minutes, (before, after) in enumerate([("", "creating"), ("creating", "available")]):
        LifecycleEvent.objects.create(
            region="region-a.geo-1",
            project_id="10000000000001",
            resource_type="volume",
            resource_id="vol-quota",
            from_status=before,
            to_status=after,
            observed_at=now - timedelta(minutes=50 - minutes),
            request_id=f"req-life-{minutes}",
            source="refresh",
        )


def test_staff_find_a_call_by_a_pasted_id_and_copy_ids(
    page: Page, console_url, account, screenshots, transactional_db
):
    a_customer_story()
    log_in(page, account)
    expect(page.get_by_role("link", name="Support")).to_have_count(0)
    make_support_staff(account)
    page.reload()
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Support").click()
    expect(page.get_by_role("heading", name="API calls")).to_be_visible()
    page.screenshot(path=screenshots / "support-search.png", full_page=True)

    page.get_by_label("Request id").fill(f"  {REQUEST_ID[:13].upper()} ")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("table.support-table tbody tr")).to_have_count(1)
    assert "q=" in page.url  # htmx pushed the search into the address bar
    page.screenshot(path=screenshots / "support-search-result.png", full_page=True)

    page.get_by_role("link", name=REQUEST_ID).click()
    expect(page.get_by_test_id("call-status")).to_contain_text("413")
    expect(page.get_by_test_id("call-message")).to_have_text(QUOTA)
    expect(page.get_by_text("2 calls, in the order sent")).to_be_visible()
    page.screenshot(path=screenshots / "support-call.png", full_page=True)

    page.get_by_role("button", name="Copy request id").first.click()
    expect(page.locator(".copy-feedback").first).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == REQUEST_ID
    # Timeline entries copy their own ids.
    page.locator('button[data-copy="req-life-1"]').click()
    assert page.evaluate("navigator.clipboard.readText()") == "req-life-1"

    with page.expect_download() as info:
        page.get_by_role("link", name="Export JSON").click()
    assert info.value.suggested_filename == f"api-call-{REQUEST_ID}.json"


def test_pages_and_filters_with_htmx(page: Page, console_url, account, screenshots, transactional_db):
    a_customer_story()
    now = timezone.now()
    for n in range(60):
        call_row(
            created_at=now - timedelta(hours=2, seconds=n), method="DELETE", status=404, fault="itemNotFound"
        )
    log_in(page, account)
    make_support_staff(account)
    page.goto("/support/")
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Method").select_option("DELETE")
    page.get_by_role("button", name="Apply filters").click()
    rows = page.locator("table.support-table tbody tr")
    expect(page).to_have_url(re.compile(r"method=DELETE"))  # htmx pushed the search into the address bar
    expect(rows).to_have_count(50)
    expect(page.locator("td", has_text="DELETE")).to_have_count(50)
    page.get_by_role("link", name="Older →").click()
    expect(page).to_have_url(re.compile(r"method=DELETE.*before="))
    expect(rows).to_have_count(10)
    page.get_by_role("link", name="← Newer").click()
    expect(page).to_have_url(re.compile(r"after="))
    expect(rows).to_have_count(50)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/support/?status_class=4xx")
    page.screenshot(path=screenshots / "support-search-narrow.png")


def test_without_javascript_the_search_works_and_ids_stay_selectable(
    browser, console_url, transactional_db, screenshots
):
    a_customer_story()
    make_user("root", is_staff=True, is_superuser=True)
    context = browser.new_context(
        base_url=console_url, java_script_enabled=False, viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    try:
        page.goto("/admin/login/?next=/support/")
        page.get_by_label("Username").fill("root")
        page.get_by_label("Password").fill("root-Pa55word!")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="API calls")).to_be_visible()
        expect(page.get_by_text("Signed in as")).to_be_visible()

        page.get_by_label("Request id").fill(REQUEST_ID)
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page.locator("table.support-table tbody tr")).to_have_count(1)
        page.get_by_role("link", name=REQUEST_ID).click()

        request_id = page.locator("code.request-id").first
        expect(request_id).to_have_text(REQUEST_ID)
        expect(request_id).to_be_visible()
        assert request_id.evaluate("node => getComputedStyle(node).userSelect") == "all"
        expect(page.get_by_role("button", name="Copy request id")).to_have_count(0)  # hidden without JS
        page.screenshot(path=screenshots / "support-call-no-js.png", full_page=True)

        page.goto("/support/?q=short")
        expect(page.get_by_text("Type at least 8 characters")).to_be_visible()
    finally:
        context.close()
