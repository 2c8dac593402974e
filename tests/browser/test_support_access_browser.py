"""The README's recipe for support staff, in a real browser: a console account an administrator put
in the "Support staff" group logs in on the ordinary login page, and so does a cloud user granted
support access with `manage.py support_access grant NAME`."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.browser.login import log_in
from tests.support.conftest import call_row, make_user

pytestmark = pytest.mark.browser


def test_a_console_account_in_the_group_logs_in_on_the_login_page(page: Page):
    make_user("helpdesk", staff_group=True)  # the administrator's part, in the Django admin
    call = call_row(user_name="carol", project_name="shop")
    page.goto("/login/")
    page.get_by_label("User name").fill("helpdesk")
    page.get_by_label("Password").fill("helpdesk-Pa55word!")
    page.get_by_role("button", name="Log in").click()  # the project left empty
    expect(page.get_by_role("heading", name="API calls")).to_be_visible()
    expect(page.get_by_text("Signed in as helpdesk (console account)")).to_be_visible()
    page.get_by_label("Request id").fill(call.request_id)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=call.request_id)).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()


def test_a_cloud_user_granted_by_name_finds_support_after_logging_in(page: Page, account):
    call_command("support_access", "grant", account["user"])
    log_in(page, account)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Support").click()
    expect(page.get_by_role("heading", name="API calls")).to_be_visible()
    expect(page.get_by_test_id("user")).to_contain_text(account["user"])  # in the console's own frame
