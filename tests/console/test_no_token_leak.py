"""The cloud token lives in the server-side session and nowhere else: not in pages, headers,
the request log or the logs."""

from __future__ import annotations

import logging
import sys

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.debug import ExceptionReporter

from console import session
from support.models import ApiCall
from tests.console.login_helpers import cloud_token, log_in

pytestmark = pytest.mark.django_db


def parameterless_paths(patterns=None, prefix: str = "") -> list[str]:
    """Every URL of the console that takes no parameters (the admin site aside)."""
    paths = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = str(pattern.pattern)
        if "<" in route or "(" in route or route.startswith(("admin/", "^admin")):
            continue
        if isinstance(pattern, URLResolver):
            paths += parameterless_paths(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            paths.append("/" + prefix + route)
    return sorted(set(paths))


def test_the_token_never_leaves_the_session(settings, emulator, account, caplog):
    settings.IDENTITY_URL = emulator.identity_url
    caplog.set_level(logging.DEBUG)
    client = Client(raise_request_exception=False)
    responses = [log_in(client, account)]
    token = cloud_token(client)
    assert len(token) >= 16

    for path in parameterless_paths():
        responses.append(client.get(path, follow=True))
    responses.append(client.post("/region/", {"region": "region-b.geo-1"}, follow=True))
    responses.append(client.get("/", follow=True))
    responses.append(client.post("/logout/", follow=True))

    for response in responses:
        assert token not in response.content.decode(errors="replace"), response.request["PATH_INFO"]
        for header, value in response.items():
            assert token not in value, header
        assert token not in str(response.cookies)
    assert token not in caplog.text

    assert ApiCall.objects.exists()
    for call in ApiCall.objects.all():
        for field in ApiCall._meta.concrete_fields:
            assert token not in str(getattr(call, field.attname)), field.name


def test_error_reports_leave_the_token_out(settings, emulator, account):
    """A crash while the token is in a local variable: the 500 report (debug page, admin e-mail)
    must not show it."""
    settings.IDENTITY_URL = emulator.identity_url
    client = Client()
    log_in(client, account)
    request = RequestFactory().get("/")
    request.session = client.session
    request.session[session.CLOUD_KEY]["region"] = "a-region-that-vanished"
    request.user = get_user_model().objects.get(username=account["user_id"])
    try:
        session.cloud_context(request)
    except KeyError:
        reporter = ExceptionReporter(request, *sys.exc_info())
        reports = reporter.get_traceback_html() + reporter.get_traceback_text()
    assert "cloud_context" in reports
    assert cloud_token(client) not in reports
