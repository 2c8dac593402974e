"""The security header set on every response: every URL of the project (anonymous and logged in,
with a real volume's pages), static files, redirects, 403, 404, 405 and 500 pages."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import include, path

from tests.console.login_helpers import context_of
from tests.console.test_production_settings import PRODUCTION_ENV, manage
from tests.security.conftest import volume_available
from tests.security.routes import route_paths

pytestmark = pytest.mark.django_db

EXACT = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
CSP_REQUIRED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
DENIED_FEATURES = ["camera", "microphone", "geolocation", "payment", "usb"]


def header_problems(response) -> list[str]:
    """What is wrong with a response's security headers (empty when all is well)."""
    problems = [
        f"{name}: {response.get(name)!r}" for name, value in EXACT.items() if response.get(name) != value
    ]
    policy = response.get("Content-Security-Policy", "")
    directives = dict(part.strip().partition(" ")[::2] for part in policy.split(";") if part.strip())
    for name, value in CSP_REQUIRED.items():
        if directives.get(name) != value:
            problems.append(f"CSP {name}: {directives.get(name)!r}")
    if "unsafe" in policy:
        problems.append(f"CSP allows something unsafe: {policy!r}")
    permissions = response.get("Permissions-Policy", "")
    problems += [
        f"Permissions-Policy allows {feature}"
        for feature in DENIED_FEATURES
        if f"{feature}=()" not in permissions
    ]
    return problems


def check_every_route(client: Client, values: dict | None = None) -> dict[int, int]:
    """GET every route; fail naming each response without the header set or answered 500."""
    client.raise_request_exception = False
    problems, statuses = [], {}
    for route, url in route_paths(values):
        response = client.get(url)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        problems += [
            f"GET {url} ({route.name}) -> {response.status_code}: {p}" for p in header_problems(response)
        ]
        if response.status_code >= 500:
            problems.append(f"GET {url} ({route.name}) -> {response.status_code}: a server error page")
    assert not problems, "\n".join(problems)
    return statuses


def test_every_url_anonymous(client):
    statuses = check_every_route(client)
    # Anonymous visitors get pages (login, healthz), redirects to the login page, 404s and 405s.
    assert statuses.get(200) and statuses.get(302) and statuses.get(404)


def test_every_url_logged_in_with_a_volumes_pages(client_in):
    volume = volume_available(context_of(client_in), display_name="headers")
    statuses = check_every_route(client_in, {"volume_id": volume.id})
    assert statuses.get(200, 0) >= 10  # the sections' pages really rendered, not only redirects
    for url in (f"/volumes/{volume.id}/", f"/volumes/{volume.id}/edit/", f"/volumes/{volume.id}/delete/"):
        response = client_in.get(url)
        assert response.status_code == 200 and "headers" in response.content.decode()
        assert not header_problems(response)


def test_htmx_fragments_carry_the_headers(client_in):
    response = client_in.get("/volumes/", headers={"HX-Request": "true", "HX-Target": "volumes-region"})
    assert response.status_code == 200
    assert not header_problems(response)


def test_redirects_refusals_and_wrong_methods(client_in):
    responses = {
        "append-slash redirect": client_in.get("/volumes"),
        "login redirect": Client().get("/volumes/"),
        "405": client_in.get("/region/"),
        "CSRF 403": Client(enforce_csrf_checks=True).post("/login/", {"username": "x"}),
        "404": client_in.get("/no-such-page/"),
    }
    assert [r.status_code for r in responses.values()] == [301, 302, 405, 403, 404]
    for what, response in responses.items():
        assert not header_problems(response), what


def test_static_files(settings):
    settings.WHITENOISE_USE_FINDERS = True  # WhiteNoise serves straight from static/, as in development
    response = Client().get("/static/console/console.css")
    assert response.status_code == 200
    assert not header_problems(response)


def explode(request):
    raise RuntimeError("secret internals")


urlpatterns = [path("boom/", explode), path("", include("console.urls"))]


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_server_error_page(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert not header_problems(response)


@override_settings(ROOT_URLCONF=__name__)
def test_debug_error_pages_report_the_policy_instead_of_enforcing_it(client, settings):
    """Django's technical 500 page uses inline styles: in DEBUG only, it gets a report-only policy.
    A 404 is the console's own page, DEBUG or not (console.security.DebugNotFoundMiddleware)."""
    settings.DEBUG = True
    client.raise_request_exception = False
    crashed = client.get("/boom/")
    assert crashed.status_code == 500
    assert "Content-Security-Policy" not in crashed
    assert "script-src 'self'" in crashed["Content-Security-Policy-Report-Only"]
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert "script-src 'self'" in missing["Content-Security-Policy"]
    assert "script-src 'self'" in client.get("/login/")["Content-Security-Policy"]


def test_the_production_profile_keeps_the_headers_first_and_cookies_secure():
    code = (
        "from django.conf import settings as s;"
        "print(s.MIDDLEWARE[0], s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.LOGIN_THROTTLE_PER_USER, s.LOGIN_THROTTLE_PER_ADDRESS, repr(s.LOGIN_THROTTLE_ADDRESS_HEADER))"
    )
    result = manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "console.security.SecurityHeadersMiddleware",
        "True",
        "True",
        "True",
        "5",
        "20",
        "''",
    ]
