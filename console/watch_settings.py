"""The watcher's settings (console.watch): Django settings when defined there, else the environment,
else these defaults. Kept apart from console.watch so that console.celery can read them before the
app registry is ready."""

from __future__ import annotations

from django.conf import settings

from console.env import env_float

DEFAULTS = {
    "WATCH_MAX_SECONDS": 3600.0,  # a watch gives up after an hour
    "WATCH_MAX_INTERVAL": 30.0,  # the longest pause between two steps (backoff while nothing changes)
    "WATCH_TICK": 2.0,  # how often beat looks for due watches
    "WATCH_KEEP_DAYS": 7.0,  # ended watches are deleted after this many days
}


def watch_setting(name: str) -> float:
    if hasattr(settings, name):
        return float(getattr(settings, name))
    return env_float(name, DEFAULTS[name])
