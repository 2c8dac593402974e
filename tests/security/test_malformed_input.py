"""Oversized and malformed input on the login form and the region switch: clear messages next to the
fields, no Identity call for what the form can refuse itself, never a 500."""

from __future__ import annotations

import pytest

from console.views import CREDENTIALS_REFUSED
from tests.console.login_helpers import cloud_session

pytestmark = pytest.mark.django_db

TEN_KB = "a" * 10_240
REFUSED_REGION = "That region is not in your project&#x27;s catalog."


def identity_calls(emulator) -> int:
    return emulator.stats()["identity"]["total"]


def login_data(account, **changes) -> dict:
    return {
        "username": account["user"],
        "password": account["password"],
        "project": account["project"],
        **changes,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", TEN_KB, "Ensure this value has at most 255 characters (it has 10240)."),
        ("project", TEN_KB, "Ensure this value has at most 255 characters (it has 10240)."),
        ("password", TEN_KB, "Ensure this value has at most 1024 characters (it has 10240)."),
        ("username", "de\x00mo", "Null characters are not allowed."),
        ("password", "pass\x00word", "Null characters are not allowed."),
        ("project", "\x00", "Null characters are not allowed."),
        ("username", "   ", "This field is required."),
    ],
)
def test_login_refuses_before_calling_identity(client, account, emulator, field, value, message):
    before = identity_calls(emulator)
    response = client.post("/login/", login_data(account, **{field: value}))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert identity_calls(emulator) == before
    if field == "password":
        assert value not in html  # a password is never sent back
    assert 'name="password"' in html


@pytest.mark.parametrize(
    "username", ["ユーザー", "d\u00e9mo\u202e", "😀" * 60, "<script>alert(1)</script>", "demo' OR '1'='1"]
)
def test_login_with_unicode_and_markup_is_just_refused(client, account, username):
    response = client.post("/login/", login_data(account, username=username))
    html = response.content.decode()
    assert response.status_code == 200
    assert CREDENTIALS_REFUSED in html
    assert "<script>alert(1)</script>" not in html


def test_login_with_bytes_that_are_not_utf8(client):
    body = b"username=%ff%fe%00x&password=%c3%28&project=%80"
    response = client.post("/login/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


@pytest.mark.parametrize("region", [TEN_KB, "region-a.geo-1\x00", "régión-ä", "", "region-b.geo-1 "])
def test_region_switch_refuses_unknown_regions_with_a_message(client_in, region):
    response = client_in.post("/region/", {"region": region, "next": "/volumes/"}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert REFUSED_REGION in html
    assert TEN_KB not in html
    assert cloud_session(client_in)["region"] == "region-a.geo-1"


@pytest.mark.parametrize("next_url", ["/" + TEN_KB, "/vol\u00fcmes/\u202e", "/%00//evil.example"])
def test_region_switch_with_odd_next_urls_stays_on_the_console(client_in, next_url):
    response = client_in.post("/region/", {"region": "region-b.geo-1", "next": next_url})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and location[1:2] not in {"/", "\\"}
    assert cloud_session(client_in)["region"] == "region-b.geo-1"


def test_region_switch_with_a_nul_in_next_switches_and_stays_on_the_console(client_in):
    response = client_in.post("/region/", {"region": "region-b.geo-1", "next": "/\x00//evil.example"})
    # The valid region choice is honoured; the odd `next` stays a path on this console (NUL encoded).
    assert response.status_code == 302 and response["Location"] == "/%00//evil.example"
    assert cloud_session(client_in)["region"] == "region-b.geo-1"
