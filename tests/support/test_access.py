"""Support access as the README describes it: a console account in the "Support staff" group logs in
at /login/ (project left empty); cloud users get it with `manage.py support_access grant NAME`."""

from __future__ import annotations

import html
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from console.views import CREDENTIALS_REFUSED, PROJECT_NEEDED
from tests.console.login_helpers import log_in, session_rows
from tests.support.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def identity(settings, emulator):
    settings.IDENTITY_URL = emulator.identity_url


def support_access(*args: str) -> str:
    out = StringIO()
    call_command("support_access", *args, stdout=out)
    return out.getvalue()


def calls_to_identity(emulator) -> int:
    return emulator.hook("GET", "/_emulator/stats")["identity"]["total"]


def test_a_console_account_in_the_group_logs_in_on_the_login_page(emulator):
    make_user("helpdesk", staff_group=True)  # what an administrator does in the Django admin
    client = Client()
    before = calls_to_identity(emulator)
    response = client.post(
        "/login/", {"username": "helpdesk", "password": "helpdesk-Pa55word!", "project": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == "/support/"
    assert calls_to_identity(emulator) == before  # a console account's password never goes to the cloud
    page = client.get("/support/").content.decode()
    assert "API calls" in page
    assert "Signed in as <strong>helpdesk</strong> (console account)" in page
    assert "Admin site" not in page
    # `next` is kept when it is a support page.
    client = Client()
    response = client.post(
        "/login/",
        {
            "username": "helpdesk",
            "password": "helpdesk-Pa55word!",
            "project": "",
            "next": "/support/?q=req-1",
        },
    )
    assert response["Location"] == "/support/?q=req-1"


@pytest.mark.parametrize(
    ("username", "password", "in_group"),
    [("helpdesk", "wrong", True), ("someone", "someone-Pa55word!", False)],
    ids=["wrong password", "not support staff"],
)
def test_other_console_accounts_cannot_log_in(username, password, in_group):
    make_user("helpdesk", staff_group=True)
    make_user("someone", staff_group=False)
    response = Client().post("/login/", {"username": username, "password": password, "project": ""})
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert CREDENTIALS_REFUSED in body and PROJECT_NEEDED in body
    assert session_rows() == 0


def test_a_grant_before_the_first_login_applies_at_login(account):
    assert "granted, not logged in yet" not in support_access("list")
    out = support_access("grant", account["user"])
    assert "they get it when they log in" in out
    assert f"{account['user']}" in support_access("list")
    assert "granted, not logged in yet" in support_access("list")

    client = Client()
    assert log_in(client, account).status_code == 302
    assert 'href="/support/"' in client.get("/").content.decode()
    page = client.get("/support/")
    assert page.status_code == 200 and "support-standalone" not in page.content.decode()
    listing = support_access("list")
    assert f"{account['user']}" in listing and "cloud user;" in listing and account["user_id"] in listing


def test_grant_and_revoke_take_effect_for_a_user_already_logged_in(account):
    client = Client()
    assert log_in(client, account).status_code == 302
    assert client.get("/support/").status_code == 404

    out = support_access("grant", account["user"])
    assert account["user_id"] in out
    assert client.get("/support/").status_code == 200  # no new login needed

    out = support_access("revoke", account["user"])
    assert "revoked" in out
    assert client.get("/support/").status_code == 404
    assert account["user"] not in support_access("list")
    # A later login does not bring it back.
    again = Client()
    assert log_in(again, account).status_code == 302
    assert again.get("/support/").status_code == 404


def test_the_grant_follows_the_cloud_user_name_not_a_console_account_of_that_name(account):
    # A console account named like the cloud user's display name is not the cloud user.
    make_user("Somebody", first_name=account["user"])
    support_access("grant", account["user"])
    assert not get_user_model().objects.get(username="Somebody").groups.exists()


def test_revoking_what_was_never_granted_says_so():
    with pytest.raises(CommandError, match="has no support access"):
        support_access("revoke", "nobody")
    with pytest.raises(CommandError, match="cloud user name"):
        support_access("grant", " ")
    assert "Nobody has support access" in support_access("list")
