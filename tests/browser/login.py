"""Logging in: through the login form in the real browser, as a person does, and through the API
client to prepare an account's data."""

from __future__ import annotations

from urllib.parse import urlencode

from playwright.sync_api import Page, expect

from console import api
from console.api.context import CloudContext


def submit_login(
    page: Page, account: dict, next_url: str | None = None, *, password: str | None = None
) -> None:
    """Fill in and send the login form; the caller checks what comes back."""
    page.goto("/login/" + (f"?{urlencode({'next': next_url})}" if next_url else ""))
    page.get_by_label("User name").fill(account["user"])
    page.get_by_label("Password").fill(password or account["password"])
    page.get_by_label("Project", exact=True).fill(account["project"])
    page.get_by_role("button", name="Log in").click()


def log_in(page: Page, account: dict, next_url: str | None = None) -> None:
    """Log in and wait for the logged-in frame (on `next_url` when given)."""
    submit_login(page, account, next_url)
    expect(page.get_by_test_id("user")).to_contain_text(account["user"])


def cloud_of(account: dict, region: str = "region-a.geo-1") -> CloudContext:
    """A context of the account's own login, to prepare data through the API client."""
    auth = api.authenticate(
        username=account["user"], password=account["password"], project=account["project"]
    )
    endpoints = auth.regions[region]
    return CloudContext(
        token=auth.token,
        user_id=auth.user_id,
        user_name=auth.user_name,
        project_id=auth.project_id,
        project_name=auth.project_name,
        region=region,
        volume_url=endpoints.volume_url,
        compute_url=endpoints.compute_url,
    )
