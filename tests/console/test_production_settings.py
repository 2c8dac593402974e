"""The production profile: `check --deploy` is clean, required variables are required, and logs are
JSON lines carrying the console request id."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys

from django.http import HttpResponse
from django.test import RequestFactory

from console.jsonlog import JsonFormatter, RequestIdLogMiddleware
from tests.emulator_process import ROOT

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "console.settings_production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "console.example.com",
    "DATABASE_URL": "postgres://console:secret@127.0.0.1:5432/console",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SECURE_"))}
    for name in ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        clean.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_production_values():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD,"
        " s.SESSION_ENGINE, s.CACHES['default']['BACKEND'], s.CELERY_BROKER_URL,"
        " s.STORAGES['staticfiles']['BACKEND'], s.SECURE_PROXY_SSL_HEADER)"
    )
    result = manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "False",
        "True",
        "True",
        "True",
        "31536000",
        "True",
        "True",
        "django.contrib.sessions.backends.cached_db",
        "console.cache.RedisCache",
        "redis://127.0.0.1:6379/0",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "None",
    ]
    behind_proxy = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER)",
        env={**PRODUCTION_ENV, "DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO"},
    )
    assert behind_proxy.stdout.strip().splitlines()[-1] == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_missing_secrets_stop_the_start_naming_the_variable():
    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
        env = {key: value for key, value in PRODUCTION_ENV.items() if key != name}
        result = manage("check", env=env)
        assert result.returncode != 0
        assert f"Set the environment variable {name}" in result.stderr


def test_log_lines_are_json_with_the_console_request_id():
    formatter = JsonFormatter()
    lines: list[str] = []

    def view(request):
        record = logging.LogRecord("console.test", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
        lines.append(formatter.format(record))
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.console_request_id = "abc123"
    RequestIdLogMiddleware(view)(request)
    entry = json.loads(lines[0])
    assert entry["message"] == "hello world" and entry["level"] == "WARNING"
    assert entry["request_id"] == "abc123"
    # Outside a request there is no id.
    outside = logging.LogRecord("console.test", logging.INFO, __file__, 1, "idle", (), None)
    assert "request_id" not in json.loads(formatter.format(outside))


def test_gunicorn_access_lines_are_json_without_query_strings():
    atoms = {"m": "GET", "U": "/live/volumes/", "q": "s=secret", "s": 200, "M": 3, "B": 10, "h": "127.0.0.1"}
    atoms["{x-request-id}o"] = "rid-1"
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(m)s %(U)s?%(q)s", atoms, None)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert (entry["method"], entry["path"], entry["status"], entry["request_id"]) == (
        "GET",
        "/live/volumes/",
        200,
        "rid-1",
    )
    assert "secret" not in line


def test_access_lines_of_a_logged_in_request_keep_their_fields(settings):
    # A logged-in request notes its token and session key (console.redact): the secret filter on
    # the handler must not flatten the access line into its text (fields lost, query string shown).
    from console.redact import SecretLogFilter, secret_note, secrets_forget

    token = "gAAAAA-a-token-of-the-cloud"
    atoms = {"m": "GET", "U": "/live/volumes/", "q": "s=vol-1%3Acreating", "s": 200, "M": 7, "B": 10}
    atoms["{x-request-id}o"] = "rid-2"
    atoms["h"] = f"127.0.0.1 {token}"  # a secret where no secret belongs is still hidden
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(m)s %(U)s?%(q)s", atoms, None)
    secret_note(token)
    try:
        assert SecretLogFilter().filter(record)
    finally:
        secrets_forget()
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert (entry["path"], entry["status"], entry["duration_ms"], entry["request_id"]) == (
        "/live/volumes/",
        200,
        7,
        "rid-2",
    )
    assert "vol-1" not in line and token not in line
