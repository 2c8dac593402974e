"""Background tasks of the console core. Each takes ids (never a token or a session) and calls a
service; see console.watch for the watchers and console.celery for the schedule."""

from __future__ import annotations

import io

from celery import shared_task
from django.core.management import call_command

from console.watch import STEP_LEASE_SECONDS, watch_step, watches_due, watches_prune
from console.watch_settings import watch_setting


@shared_task(ignore_result=True, soft_time_limit=STEP_LEASE_SECONDS - 5, time_limit=STEP_LEASE_SECONDS)
def watch_step_task(watch_id: int) -> str:
    """One step of a watch: refresh its project's listings, then end it or schedule the next step."""
    return watch_step(watch_id=watch_id)


@shared_task(ignore_result=True)
def watches_drive() -> int:
    """Send a step for every active watch that is due (beat, every WATCH_TICK seconds)."""
    expires = max(5.0, 2 * watch_setting("WATCH_TICK"))
    watch_ids = list(watches_due().values_list("id", flat=True))
    for watch_id in watch_ids:
        watch_step_task.apply_async((watch_id,), expires=expires)
    return len(watch_ids)


@shared_task(ignore_result=True)
def request_log_prune() -> str:
    """Delete request-log rows older than REQUEST_LOG_DAYS (support's `prune_request_log`)."""
    out = io.StringIO()
    call_command("prune_request_log", stdout=out)
    return out.getvalue().strip()


@shared_task(ignore_result=True)
def watches_prune_task() -> int:
    """Delete watches that ended more than WATCH_KEEP_DAYS ago."""
    return watches_prune()


@shared_task
def ping() -> str:
    """A round trip through the broker (and the result backend, when there is one)."""
    return "pong"
