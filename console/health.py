"""GET /healthz: is every service the console needs reachable from here?

Answers JSON, 200 when every component is ok and 503 otherwise:

    {"status": "ok", "checks": {"database": {"status": "ok", "ms": 1}, "cache": {...},
     "broker": {...}, "api": {...}}}

A failing component says only `"status": "fail"` and the kind of error (e.g. "OperationalError"):
never a message, a host name or a URL, which could carry credentials. Not behind login, never
cached, and it creates no session (it touches neither request.session nor the user).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from console.api.identity import identity_probe
from console.celery import app as celery_app

# Seconds each probe may take before the component counts as down.
PROBE_TIMEOUT = 2.0


def database_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("unexpected answer")


def cache_check() -> None:
    key = "healthz:" + secrets.token_hex(8)
    cache.set(key, key, timeout=10)
    try:
        if cache.get(key) != key:
            raise RuntimeError("the cache lost a value")
    finally:
        cache.delete(key)


def broker_check() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=PROBE_TIMEOUT)


def api_check() -> None:
    if identity_probe(timeout=PROBE_TIMEOUT) >= 500:
        raise RuntimeError("Identity answered with a server error")


CHECKS: dict[str, Callable[[], None]] = {
    "database": database_check,
    "cache": cache_check,
    "broker": broker_check,
    "api": api_check,
}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict] = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:  # any failure means "not reachable": say which kind, nothing more
            results[name] = {"status": "fail", "error": type(exc).__name__}
        else:
            results[name] = {"status": "ok"}
        results[name]["ms"] = round((time.monotonic() - started) * 1000)
    healthy = all(result["status"] == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": results}, status=200 if healthy else 503
    )
