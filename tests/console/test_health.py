"""GET /healthz: every component's reachability as JSON, 200 or 503, no secrets, no session."""

from __future__ import annotations

import json

import pytest
from django.contrib.sessions.models import Session

from console.celery import app as celery_app
from tests.emulator_process import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def memory_broker():
    """An in-process broker, so the check does not depend on var/celery."""
    saved = celery_app.conf["broker_url"]
    celery_app.conf.update(broker_url="memory://")
    celery_app._pool = None
    yield
    celery_app.conf.update(broker_url=saved)
    celery_app._pool = None


@pytest.fixture
def healthy(settings, emulator, memory_broker):
    settings.IDENTITY_URL = emulator.identity_url


def test_all_components_ok(client, healthy):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "api": "ok",
    }
    assert "no-cache" in response["Cache-Control"]


def test_not_behind_login_and_creates_no_session(client, healthy):
    before = Session.objects.count()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert Session.objects.count() == before


def test_identity_unreachable_is_503_without_urls(client, settings, memory_broker):
    port = free_port()
    settings.IDENTITY_URL = f"http://user:hunter2@127.0.0.1:{port}/v3"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["api"]["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"
    raw = json.dumps(body)
    assert "hunter2" not in raw and str(port) not in raw and "127.0.0.1" not in raw


def test_cache_and_broker_down_are_503(client, settings, emulator):
    settings.IDENTITY_URL = emulator.identity_url
    port = free_port()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://:s3cret@127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    saved = celery_app.conf["broker_url"]
    celery_app.conf.update(broker_url=f"redis://:s3cret@127.0.0.1:{port}/0")
    celery_app._pool = None
    try:
        response = client.get("/healthz")
    finally:
        celery_app.conf.update(broker_url=saved)
        celery_app._pool = None
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"]["status"] == "fail" and checks["broker"]["status"] == "fail"
    assert checks["api"]["status"] == "ok"
    assert "s3cret" not in response.content.decode()


def test_only_get(client, healthy):
    assert client.post("/healthz").status_code == 405
