"""Anonymous requests create no session rows (OSSA-2014-040): a visitor, a bot or a scanner cannot
fill the session table. Rotation at login, the flush at logout and expiry following the token are
tested in tests/console/test_login.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from console.celery import app as celery_app
from console.middleware import SESSION_ENDED
from console.session import CLOUD_KEY
from console.views import CREDENTIALS_REFUSED
from tests.console.login_helpers import log_in
from tests.security.routes import route_paths

pytestmark = pytest.mark.django_db


@pytest.fixture
def memory_broker():
    """/healthz also probes the broker: an in-process one, so the check does not depend on var/celery."""
    saved = celery_app.conf["broker_url"]
    celery_app.conf.update(broker_url="memory://")
    celery_app._pool = None
    yield
    celery_app.conf.update(broker_url=saved)
    celery_app._pool = None


def test_anonymous_get_of_every_url_creates_no_session(client, memory_broker):
    client.raise_request_exception = False
    visited = []
    for _route, url in route_paths():
        client.get(url)
        visited.append(url)
        assert Session.objects.count() == 0, f"GET {url} created a session row"
    assert "/login/" in visited and "/healthz" in visited


def test_anonymous_login_page_404_and_static_files_create_no_session(client, settings):
    settings.WHITENOISE_USE_FINDERS = True
    assert client.get("/login/?next=/volumes/").status_code == 200
    assert client.get("/no-such-page/").status_code == 404
    assert Client().get("/static/console/console.css").status_code == 200
    assert Session.objects.count() == 0


def test_failed_invalid_and_throttled_login_posts_create_no_session(client, account, settings):
    settings.LOGIN_THROTTLE_PER_USER = 1
    refused = log_in(client, account, password="wrong")
    assert CREDENTIALS_REFUSED in refused.content.decode()
    assert client.post("/login/", {"username": "", "password": "", "project": ""}).status_code == 200
    assert log_in(client, account, password="wrong").status_code == 429
    assert Session.objects.count() == 0


def test_anonymous_posts_create_no_session(client):
    assert client.post("/logout/").status_code == 302  # logging out when not logged in
    assert client.post("/region/", {"region": "region-b.geo-1"}).status_code == 302  # to the login page
    assert Client(enforce_csrf_checks=True).post("/login/", {}).status_code == 403
    # A long message that the cookie cannot hold would fall back to the session: none is sent here.
    assert "You have logged out." in client.get("/login/").content.decode()
    assert Session.objects.count() == 0


def test_exactly_one_session_row_per_login(client, account):
    assert log_in(client, account).status_code == 302
    client.get("/")
    assert Session.objects.count() == 1
    client.post("/logout/")
    assert Session.objects.count() == 0


def test_an_ended_session_leaves_no_row_behind(client, account):
    """The token's expiry passes: the user is sent to log in with a message, and no row is left."""
    assert log_in(client, account).status_code == 302
    stored = client.session
    stored[CLOUD_KEY]["expires_at"] = (timezone.now() - timedelta(seconds=1)).isoformat()
    stored.save()
    assert client.get("/volumes/")["Location"] == "/login/?next=/volumes/"
    assert SESSION_ENDED in client.get("/login/?next=/volumes/").content.decode()
    assert Session.objects.count() == 0
