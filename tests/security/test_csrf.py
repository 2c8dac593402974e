"""CSRF: every URL of the project refuses a POST without the token, logged in, and nothing happens:
no API call in the request log, none at the emulator, the target volume untouched. Generic over the
URL patterns, so sections added later are covered without edits."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from console import api
from support.models import ApiCall
from tests.console.login_helpers import context_of
from tests.security.conftest import volume_available
from tests.security.routes import route_paths

pytestmark = pytest.mark.django_db


def csrf_login(account) -> tuple[Client, str]:
    """A client that enforces CSRF like a browser, logged in through the form; and its token."""
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = {"username": account["user"], "password": account["password"], "project": account["project"]}
    assert client.post("/login/", {**data, "csrfmiddlewaretoken": token}).status_code == 302
    page = client.get("/").content.decode()  # the token rotates at login
    return client, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def emulator_calls(emulator, project_id: str) -> int:
    return emulator.stats(project_id)["projects"].get(project_id, {}).get("total", 0)


def test_every_url_refuses_a_post_without_the_token(account, emulator):
    client, token = csrf_login(account)
    ctx = context_of(client)
    volume = volume_available(ctx, display_name="csrf-target")
    server = api.server_list(ctx)[0]
    # What a forged form would send: enough to act if the token were not checked.
    forged = {
        "confirm": "yes",
        "ids": [volume.id],
        "volume_id": volume.id,
        "server_id": server.id,
        "region": "region-b.geo-1",
        "size": "1",
        "name": "forged",
        "display_name": "forged",
        "next": "/",
    }
    log_rows, api_calls = ApiCall.objects.count(), emulator_calls(emulator, account["project_id"])

    refused = []
    for route, url in route_paths({"volume_id": volume.id, "server_id": server.id}):
        for headers in ({}, {"HX-Request": "true"}, {"X-CSRFToken": "forged-token-" + "x" * 20}):
            response = client.post(url, forged, headers=headers)
            assert response.status_code == 403, f"POST {url} ({route.name}) {headers}: {response.status_code}"
        refused.append(route.name)

    assert {"login", "logout", "switch_region", "volumes:delete", "volumes:edit"} <= set(refused)
    assert ApiCall.objects.count() == log_rows
    assert emulator_calls(emulator, account["project_id"]) == api_calls
    after = api.volume_get(ctx, volume.id)
    assert (after.status, after.display_name, after.attachments) == ("available", "csrf-target", ())
    assert "_auth_user_id" in client.session  # the forged logout did not log anyone out
    assert client.session["cloud"]["region"] == "region-a.geo-1"

    # The same client with the token is heard: the refusals above were about the token only.
    switched = client.post(
        "/region/", {"region": "region-b.geo-1", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert switched.status_code == 302
    assert client.session["cloud"]["region"] == "region-b.geo-1"


def test_htmx_requests_send_the_token_from_the_body(client, account):
    """htmx sends the token as X-CSRFToken from <body hx-headers>: that path is accepted."""
    client, _ = csrf_login(account)
    body = client.get("/").content.decode()
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', body).group(1)
    response = client.post(
        "/region/", {"region": "region-b.geo-1"}, headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert response.status_code == 302
    assert client.session["cloud"]["region"] == "region-b.geo-1"
