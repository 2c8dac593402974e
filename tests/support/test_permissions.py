"""Only support staff see the support pages; everyone else gets the same plain 404 as a missing page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from tests.console.login_helpers import log_in
from tests.support.conftest import call_row, make_user, support_group

pytestmark = pytest.mark.django_db


def support_urls(pk: int) -> list[str]:
    return [
        "/support/",
        "/support/?q=req-12345678",
        f"/support/calls/{pk}/",
        f"/support/calls/{pk}/export.json",
        "/support/export.json",
        "/support/calls/999999/",
    ]


def assert_plain_not_found(response) -> None:
    body = response.content.decode()
    assert response.status_code == 404
    assert "Location" not in response  # no login redirect
    assert "There is nothing here" in body  # the console's ordinary 404 page
    for hint in ("API call", "request log", "Support", "support staff", "permission"):
        assert hint not in body, hint


@override_settings(DEBUG=False)
def test_anonymous_gets_a_plain_404():
    call = call_row()
    client = Client()
    for url in support_urls(call.pk):
        assert_plain_not_found(client.get(url))
        assert_plain_not_found(client.post(url))  # not a 405 either: nothing says the page exists


@override_settings(DEBUG=False)
def test_staff_without_the_group_gets_a_plain_404(plain_client):
    call = call_row()
    for url in support_urls(call.pk):
        assert_plain_not_found(plain_client.get(url))
        assert_plain_not_found(plain_client.post(url))


@override_settings(DEBUG=False)
def test_a_cloud_user_outside_the_group_gets_a_plain_404(settings, emulator, account):
    settings.IDENTITY_URL = emulator.identity_url
    client = Client()
    assert log_in(client, account).status_code == 302
    call = call_row()
    for url in support_urls(call.pk):
        assert_plain_not_found(client.get(url))
    assert b'href="/support/"' not in client.get("/").content  # no Support item in the navigation


def test_group_members_and_superusers_see_the_pages(staff_client):
    call = call_row()
    for client in (staff_client, superuser_client()):
        for url in support_urls(call.pk)[:-1]:
            assert client.get(url).status_code == 200, url
        assert client.get("/support/calls/999999/").status_code == 404


def superuser_client() -> Client:
    """A superuser who logged in through the Django admin login form."""
    make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    response = client.post("/admin/login/?next=/support/", {"username": "root", "password": "root-Pa55word!"})
    assert response.status_code == 302
    return client


def test_admin_login_shows_the_search_without_the_cloud_frame():
    client = superuser_client()
    body = client.get("/support/").content.decode()
    assert "API calls" in body and "support-standalone" in body
    assert "Signed in as <strong>root</strong>" in body


def test_support_pages_only_answer_get(staff_client):
    call = call_row()
    for url in ("/support/", f"/support/calls/{call.pk}/", "/support/export.json"):
        assert staff_client.post(url).status_code == 405


def test_a_cloud_login_in_the_group_sees_support_in_the_navigation(settings, emulator, account):
    """Staff reach the pages with their normal console login, once an admin put them in the group."""
    settings.IDENTITY_URL = emulator.identity_url
    client = Client()
    assert log_in(client, account).status_code == 302
    user = get_user_model().objects.get(username=account["user_id"])
    user.groups.add(support_group())
    home = client.get("/").content.decode()
    assert 'href="/support/"' in home
    page = client.get("/support/")
    assert page.status_code == 200
    assert "support-standalone" not in page.content.decode()
