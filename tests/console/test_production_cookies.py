"""The production profile's cookies and scheme, under real gunicorn (gunicorn.conf.py) on loopback:

- `X-Forwarded-Proto: https` from a loopback peer is believed only when DJANGO_SECURE_PROXY_SSL_HEADER
  says a proxy is in front (gunicorn's own default believed it from any loopback peer, so plain HTTP
  could pass for HTTPS and skip the redirect);
- the session and CSRF cookies carry the `__Host-` prefix, are HttpOnly, Secure and SameSite=Lax.

The stack here needs no PostgreSQL or Redis: a login page touches neither (SQLite file, locmem cache).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.emulator_process import ROOT, free_port

BIN = Path(sys.executable).parent


def environment_of(tmp_path: Path, **env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "FORWARDED_"))}
    for name in ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        clean.pop(name, None)
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "console.settings_production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'console.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:9/0",  # never reached by a login page
        "CACHE_URL": "locmem://",
        "CONSOLE_VAR_DIR": str(tmp_path),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "GUNICORN_WORKERS": "1",
        **env,
    }


def start(tmp_path: Path, **env: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    environment = environment_of(tmp_path, GUNICORN_BIND=f"127.0.0.1:{port}", **env)
    log = open(tmp_path / f"gunicorn-{port}.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=ROOT, env=environment, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    # Until it answers: a busy machine may take gunicorn many seconds to load the application, and
    # meanwhile it accepts connections without answering them (a read timeout, not a refusal).
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            requests.get(url + "/healthz", timeout=5)
            return proc, url
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    proc.kill()
    raise AssertionError((tmp_path / f"gunicorn-{port}.log").read_text())


@pytest.fixture
def gunicorn_stack(tmp_path):
    # The login page names hashed static files: the production storage needs its manifest.
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=environment_of(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collected.returncode == 0, collected.stderr
    procs = []

    def run(**env: str) -> str:
        proc, url = start(tmp_path, **env)
        procs.append(proc)
        return url

    yield run
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_forwarded_proto_header_is_believed_only_behind_a_configured_proxy(gunicorn_stack):
    url = gunicorn_stack()
    claimed = requests.get(url + "/login/", headers={"X-Forwarded-Proto": "https"}, allow_redirects=False)
    assert claimed.status_code == 301
    assert claimed.headers["Location"] == url.replace("http://", "https://") + "/login/"

    proxied = gunicorn_stack(DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO")
    plain = requests.get(proxied + "/login/", allow_redirects=False)
    assert plain.status_code == 301
    through_proxy = requests.get(
        proxied + "/login/", headers={"X-Forwarded-Proto": "https"}, allow_redirects=False
    )
    assert through_proxy.status_code == 200
    cookie = through_proxy.headers["Set-Cookie"]
    assert cookie.startswith("__Host-csrftoken=")
    for attribute in ("HttpOnly", "Path=/", "SameSite=Lax", "Secure"):
        assert attribute in cookie
    assert "Domain=" not in cookie


def test_the_production_cookie_names():
    from tests.console.test_production_settings import PRODUCTION_ENV, manage

    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY)"
    )
    result = manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.stdout.strip().splitlines()[-1].split() == [
        "__Host-sessionid",
        "__Host-csrftoken",
        "True",
        "True",
    ]
    loopback = manage(
        "shell", "-c", code, env={**PRODUCTION_ENV, "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0"}
    )
    assert loopback.stdout.strip().splitlines()[-1].split() == ["sessionid", "csrftoken", "True", "True"]
