"""The cloud session: region switch, the CloudContext, expiry, 401s from the API, private responses."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from console import session
from console.middleware import SESSION_ENDED
from tests.console.login_helpers import cloud_session, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def identity(settings, emulator):
    settings.IDENTITY_URL = emulator.identity_url
    return emulator


@pytest.fixture
def logged_in(client, account):
    assert log_in(client, account).status_code == 302
    return client


def emulator_paths(emulator, account) -> list[str]:
    """The paths the emulator was called on for this account's project, newest first."""
    log = emulator.hook("GET", f"/_emulator/log?project={account['project_id']}&limit=50")["log"]
    return [entry["path"] for entry in log]


def test_every_response_carries_a_request_id(client):
    first = client.get("/login/")["X-Request-Id"]
    second = client.get("/login/")["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_private_pages_are_not_stored(logged_in):
    response = logged_in.get("/")
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control and "no-cache" in cache_control


def test_region_switch_changes_region_shown_and_endpoints_used(logged_in, account, emulator):
    response = logged_in.post("/region/", {"region": "region-b.geo-1", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert cloud_session(logged_in)["region"] == "region-b.geo-1"

    page = logged_in.get("/").content.decode()
    assert '<option value="region-b.geo-1" selected>' in page
    assert "Volumes in region-b.geo-1" in page
    region_b = f"/volume/region-b.geo-1/v1/{account['project_id']}/volumes"
    assert any(path.startswith(region_b) for path in emulator_paths(emulator, account))


def test_cloud_context_is_built_for_the_chosen_region(logged_in, account):
    logged_in.post("/region/", {"region": "region-b.geo-1"})
    request = RequestFactory().get("/")
    request.session = logged_in.session
    request.user = type("U", (), {"is_authenticated": True})()
    request.console_request_id = "abc123"
    ctx = session.cloud_context(request)
    assert ctx.region == "region-b.geo-1"
    assert ctx.volume_url.endswith(f"/volume/region-b.geo-1/v1/{account['project_id']}")
    assert ctx.compute_url.endswith(f"/compute/region-b.geo-1/v2/{account['project_id']}")
    assert ctx.project_id == account["project_id"] and ctx.user_id == account["user_id"]
    assert ctx.console_request_id == "abc123"
    assert ctx.token not in repr(ctx)


def test_unknown_region_is_refused(logged_in):
    response = logged_in.post("/region/", {"region": "region-z.geo-9"}, follow=True)
    assert "That region is not in your project&#x27;s catalog." in response.content.decode()
    assert cloud_session(logged_in)["region"] == "region-a.geo-1"


def test_region_switch_ignores_an_unsafe_next(logged_in):
    response = logged_in.post("/region/", {"region": "region-b.geo-1", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_region_switch_is_post_only(logged_in):
    assert logged_in.get("/region/").status_code == 405


def test_revoked_token_sends_the_user_to_login_and_back(logged_in, account, emulator):
    emulator.expire_tokens(account["user"])
    key = logged_in.session.session_key

    response = logged_in.get("/?from=test")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/%3Ffrom%3Dtest"
    assert "_auth_user_id" not in logged_in.session
    assert logged_in.session.session_key != key

    login_page = logged_in.get(response["Location"])
    assert SESSION_ENDED in login_page.content.decode()

    back = log_in(logged_in, account, next_url="/?from=test")
    assert back["Location"] == "/?from=test"
    assert logged_in.get(back["Location"]).status_code == 200


def test_a_session_that_ends_on_the_log_out_question_does_not_come_back_to_it(logged_in):
    stored = logged_in.session
    stored[session.CLOUD_KEY]["expires_at"] = (timezone.now() - timedelta(seconds=1)).isoformat()
    stored.save()
    response = logged_in.get("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"  # not back to "Log out?" after logging in


def test_revoked_token_on_an_htmx_request_redirects_the_whole_page(logged_in, account, emulator):
    emulator.expire_tokens(account["user"])
    response = logged_in.get(
        "/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/?tab=1"}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=/%3Ftab%3D1"
    assert "_auth_user_id" not in logged_in.session


def test_token_past_its_expiry_is_logged_out_before_any_call(logged_in, account, emulator):
    stored = logged_in.session
    stored[session.CLOUD_KEY]["expires_at"] = (timezone.now() - timedelta(seconds=1)).isoformat()
    stored.save()
    calls_before = len(emulator_paths(emulator, account))

    response = logged_in.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"
    assert "_auth_user_id" not in logged_in.session
    assert len(emulator_paths(emulator, account)) == calls_before
