"""No open redirects (OSSA-2012-012, OSSA-2020-008): every `next` and return URL of the console leads
only to a page of the console, whatever a link or a form carries."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from console.session import CLOUD_KEY
from tests.console.login_helpers import log_in
from tests.security.routes import route_paths

pytestmark = pytest.mark.django_db

OFFSITE = [
    "//evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "/\\evil.example",
    "\\\\evil.example",
    "http:/evil.example",
    "https:evil.example",
    "///evil.example",
    " //evil.example",
    "\n//evil.example",
    "/\n/evil.example",
    "/\t/evil.example",
    "//evil.example\n",
    "http://testserver@evil.example/",
    "data:text/html,<script>alert(1)</script>",
]


def is_local(location: str) -> bool:
    """A path on this console: no scheme, no host, nothing a browser could read as another site."""
    parts = urlsplit(location)
    return (
        not re.search(r"[\x00-\x1f\x7f]", location)
        and parts.scheme == ""
        and parts.netloc == ""
        and location.startswith("/")
        and location[1:2] not in {"/", "\\"}
        and "evil" not in parts.path
    )


@pytest.mark.parametrize("target", OFFSITE)
def test_login(client, account, target):
    page = client.get("/login/", {"next": target})
    assert page.status_code == 200 and "evil" not in page.content.decode()
    response = log_in(client, account, next_url=target)
    assert response.status_code == 302 and response["Location"] == "/"
    # Already logged in, the login page sends the user on: home, not to the target.
    again = client.get("/login/", {"next": target})
    assert again.status_code == 302 and again["Location"] == "/"


def test_login_next_with_a_header_break_stays_one_local_location(client, account):
    response = log_in(client, account, next_url="/volumes/\r\nSet-Cookie: evil=1")
    assert response.status_code == 302
    # The line break is percent-encoded: one header, a path on this console, no cookie set.
    assert response["Location"] == "/volumes/%0D%0ASet-Cookie:%20evil=1"
    assert "evil" not in response.cookies


@pytest.mark.parametrize("target", OFFSITE)
def test_logout(client_in, target):
    response = client_in.post(f"/logout/?next={target}", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/login/"


@pytest.mark.parametrize("target", OFFSITE)
def test_region_switch(client_in, target):
    response = client_in.post("/region/", {"region": "region-b.geo-1", "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


def end_token(client) -> None:
    """The console sees the token's expiry pass (as CloudSessionMiddleware checks before each view)."""
    stored = client.session
    stored[CLOUD_KEY]["expires_at"] = (timezone.now() - timedelta(seconds=1)).isoformat()
    stored.save()


@pytest.mark.parametrize("target", ["https://evil.example/volumes/", "//evil.example/", "/\\evil.example"])
def test_back_to_the_page_after_an_ended_session(client_in, account, target):
    """A session that ends sends the user to log in and back to where they were: never to the site a
    Referer or an HX-Current-URL names."""
    end_token(client_in)
    posted = client_in.post("/region/", {"region": "region-b.geo-1"}, headers={"Referer": target})
    assert posted.status_code == 302 and posted["Location"] == "/login/?next=/"

    log_in(client_in, account)
    end_token(client_in)
    fragment = client_in.get("/volumes/", headers={"HX-Request": "true", "HX-Current-URL": target})
    assert fragment["HX-Redirect"] == "/login/?next=/"


def test_no_url_of_the_project_redirects_off_site(client_in):
    """Every view, GET and POST (with the CSRF token), with every usual name of a return URL set to
    another site: whatever answers with a redirect (Location, HX-Redirect, HX-Location) stays local.
    Covers the sections' views, present and future."""
    client_in.raise_request_exception = False
    names = ["next", "return_to", "return_url", "success_url", "redirect_to", "back", "came_from"]
    query = dict.fromkeys(names, "//evil.example/")
    for route, url in route_paths():
        if route.name in {"logout", "admin:logout"}:
            continue  # tested above; it would end this client's session
        for response in (client_in.get(url, query), client_in.post(url, query)):
            for header in ("Location", "HX-Redirect", "HX-Location"):
                if header in response:
                    target = response[header]
                    if target.startswith("{"):
                        target = json.loads(target)["path"]
                    # The query may carry the page to come back to (login?next=...): the target is the path.
                    path = urlsplit(target)._replace(query="", fragment="").geturl()
                    assert is_local(path), f"{route.name}: {header} {target!r}"
