"""Logging in through Identity (the real emulator over HTTP), logging out, and where `next` may lead."""

from __future__ import annotations

import html
from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db.models.signals import post_save
from django.test import Client

from console.views import CREDENTIALS_REFUSED, PROJECT_NEEDED
from tests.console.login_helpers import cloud_session, cloud_token, log_in, session_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def identity(settings, emulator):
    settings.IDENTITY_URL = emulator.identity_url
    return emulator


def test_login_page_creates_no_session(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="password"' in response.content
    assert session_rows() == 0
    assert "no-store" in response["Cache-Control"]


def test_login_shows_the_frame_with_user_project_and_region(client, account):
    response = log_in(client, account)
    assert response.status_code == 302
    assert response["Location"] == "/"

    page = client.get("/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-testid="user"><span class="visually-hidden">Logged in as </span>{account["user"]}' in html
    assert f'data-testid="project">{account["project"]}<' in html
    assert '<option value="region-a.geo-1" selected>' in html
    assert '<option value="region-b.geo-1">' in html


def test_login_keeps_the_cloud_login_server_side(client, account):
    log_in(client, account)
    login = cloud_session(client)
    assert login["user_id"] == account["user_id"]
    assert login["user_name"] == account["user"]
    assert login["project_id"] == account["project_id"]
    assert login["project_name"] == account["project"]
    token = cloud_token(client)
    assert token and token not in str(login)
    assert set(login["regions"]) == {"region-a.geo-1", "region-b.geo-1"}
    for region, endpoints in login["regions"].items():
        assert f"/volume/{region}/v1/{account['project_id']}" in endpoints["volume"]
        assert f"/compute/{region}/v2/{account['project_id']}" in endpoints["compute"]
    # The cookie carries only the session key, never the token.
    assert token not in str(client.cookies)


def test_login_by_project_id(client, account):
    response = log_in(client, account, project=account["project_id"])
    assert response.status_code == 302
    assert cloud_session(client)["project_name"] == account["project"]


def test_a_local_user_per_cloud_user(client, account):
    log_in(client, account)
    client.post("/logout/")
    log_in(client, account)
    user = get_user_model().objects.get(username=account["user_id"])
    assert user.first_name == account["user"]
    assert not user.has_usable_password()
    assert get_user_model().objects.filter(username=account["user_id"]).count() == 1


def test_two_first_logins_of_one_user_at_once_both_stay_logged_in(client, account):
    """Two browsers log the same cloud user in for the first time at the same moment: the second
    login lands while the first is creating the local user. Both sessions must stay logged in (a
    password set on the local user after the other session logged in would end that session)."""
    other = Client()
    second_login = []

    def log_in_the_other_browser(sender, instance, created, **kwargs):
        if created and instance.username == account["user_id"] and not second_login:
            second_login.append(log_in(other, account).status_code)

    post_save.connect(log_in_the_other_browser, sender=get_user_model())
    try:
        assert log_in(client, account).status_code == 302
    finally:
        post_save.disconnect(log_in_the_other_browser, sender=get_user_model())
    assert second_login == [302]
    for browser in (client, other):
        page = browser.get("/volumes/")
        assert page.status_code == 200, page.get("Location")
    assert not get_user_model().objects.get(username=account["user_id"]).has_usable_password()


def test_inactive_local_user_may_not_log_in(client, account):
    log_in(client, account)
    client.post("/logout/")
    get_user_model().objects.filter(username=account["user_id"]).update(is_active=False)
    response = log_in(client, account)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "override",
    [{"password": "wrong-password"}, {"project": "no-such-project"}, {"username": "nobody-at-all"}],
    ids=["wrong password", "unknown project", "unknown user"],
)
def test_refused_credentials_get_one_plain_message(client, account, override):
    response = log_in(client, account, **override)
    assert response.status_code == 200
    assert CREDENTIALS_REFUSED in response.content.decode()
    assert session_rows() == 0
    assert not get_user_model().objects.filter(username=account["user_id"]).exists()


def test_login_form_requires_every_field(client, account):
    response = client.post("/login/", {"username": "demo", "password": "", "project": ""})
    assert response.status_code == 200
    assert response.content.decode().count("This field is required.") == 1
    # The project may be left empty by support staff with a console account only: a cloud user
    # without one is asked for it (and nothing is sent to Identity).
    response = log_in(client, account, project="")
    assert response.status_code == 200
    assert PROJECT_NEEDED in html.unescape(response.content.decode())
    assert session_rows() == 0


def test_password_is_marked_sensitive_for_error_reports(client, account):
    response = log_in(client, account, password="wrong")
    assert response.wsgi_request.sensitive_post_parameters == ("password",)


@pytest.mark.parametrize("target", ["/?tab=quota", "/admin/"])
def test_safe_next_is_honoured(client, account, target):
    page = client.get("/login/", {"next": target})
    assert f'name="next" value="{target}"' in page.content.decode().replace("&amp;", "&")
    response = log_in(client, account, next_url=target)
    assert response["Location"] == target


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example/", "javascript:alert(1)", "http://testserver.evil/"]
)
def test_unsafe_next_is_ignored(client, account, target):
    page = client.get("/login/", {"next": target})
    assert "evil" not in page.content.decode() and "javascript" not in page.content.decode()
    response = log_in(client, account, next_url=target)
    assert response["Location"] == "/"


def test_session_key_rotates_at_login(client, account):
    before = client.session
    before["visited"] = True
    before.save()
    old_key = before.session_key
    log_in(client, account)
    assert client.session.session_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()


def test_session_expiry_follows_the_token(client, account):
    log_in(client, account)
    expires_at = datetime.fromisoformat(cloud_session(client)["expires_at"])
    assert abs((client.session.get_expiry_date() - expires_at).total_seconds()) < 2


def test_logout_asks_on_a_visit_and_flushes_the_session_on_post(client, account):
    log_in(client, account)
    key = client.session.session_key

    asked = client.get("/logout/")  # a typed or bookmarked /logout/ changes nothing: it asks
    page = asked.content.decode()
    assert asked.status_code == 200
    assert "Log out?" in page and 'method="post" action="/logout/"' in page
    assert Session.objects.filter(session_key=key).exists()

    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert not Session.objects.filter(session_key=key).exists()
    assert "You have logged out." in client.get("/login/").content.decode()

    after = client.get("/")
    assert after.status_code == 302
    assert after["Location"].startswith("/login/?next=/")


def test_logout_needs_the_csrf_token(account):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    token = page.context["csrf_token"]
    client.post(
        "/login/",
        {
            "username": account["user"],
            "password": account["password"],
            "project": account["project"],
            "csrfmiddlewaretoken": str(token),
        },
    )
    assert "_auth_user_id" in client.session
    assert client.post("/logout/").status_code == 403
    assert "_auth_user_id" in client.session


def test_identity_unreachable_is_a_clear_message(client, account, settings):
    from tests.emulator_process import free_port

    settings.IDENTITY_URL = f"http://127.0.0.1:{free_port()}/v3"
    response = log_in(client, account)
    html = response.content.decode()
    assert response.status_code == 200
    assert "could not reach the cloud" in html
    assert 'class="request-id"' in html  # the console's own request id, for support
    assert session_rows() == 0


def test_login_page_sends_a_logged_in_user_on(client, account):
    log_in(client, account)
    assert client.get("/login/")["Location"] == "/"
    assert client.get("/login/", {"next": "/?a=1"})["Location"] == "/?a=1"
