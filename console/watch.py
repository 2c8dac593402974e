"""Lifecycle watchers: after every console action, follow the project until nothing is moving.

One *watch* (console.models.Watch) per project and region, not one per resource. The inventory's
mutation helpers (`listing_apply`, `listing_set_status`, `listing_invalidate`) call `watch_start()`,
so every section's action starts or extends its project's watch without knowing about it.

A *step* (`watch_step`, run by the Celery task of the same name) refreshes the project's volumes,
snapshots and backups through `console.inventory.listing_get`: single-flight per listing and
BACKGROUND priority, so the watcher and every open page together still make at most one call per
listing per interval and never queue ahead of a user. Each observed change becomes a LifecycleEvent
(the inventory records them, skipping duplicates). While nothing changes, steps back off from
INVENTORY_ACTIVE_INTERVAL to WATCH_MAX_INTERVAL. The watch ends when all three listings are fresh
and nothing in them is transitional, when its user's session has ended, when the cloud refuses the
token, or after WATCH_MAX_SECONDS (it then records that it gave up).

THE TOKEN stays in the server-side session. The watch keeps the session key; a step loads the
session (SessionStore) and builds the CloudContext there. Task messages carry the watch id only.

Beat runs `watches_drive` every WATCH_TICK seconds: it sends a step for each due watch, so a killed
worker, a lost message or a restart loses nothing (the rows are the state). A step claims its watch
with a conditional UPDATE on `next_run_at`, so two deliveries of the same step never both run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from console.api.context import CloudContext
from console.api.errors import Unauthorized
from console.inventory import RESOURCE_TYPES, listing_get
from console.models import Watch
from console.session import cloud_context_from_session
from console.watch_settings import watch_setting

log = logging.getLogger(__name__)

# The listings a watch follows: the kinds whose items have a lifecycle.
WATCHED_KINDS = tuple(RESOURCE_TYPES)
# The console request id of a watcher's calls in the request log: watch-<id>.
WATCH_REQUEST_PREFIX = "watch-"
# How long a running step holds its watch; a step killed mid-way is retried after this.
STEP_LEASE_SECONDS = 30
# Each quiet step (no change seen) waits this much longer than the one before.
BACKOFF_FACTOR = 1.5


def watch_start(ctx: CloudContext, *, kind: str) -> Watch | None:
    """Start (or extend) the watch of ctx's project and region after an action on a `kind` listing.

    Never raises: an action has already happened, and the listing refresh of the next page view
    would see its outcome anyway. Returns the active watch, or None when nothing was started.
    """
    if kind not in RESOURCE_TYPES or not ctx.session_key:
        return None
    try:
        # A savepoint: a failure here never spoils the caller's transaction.
        with transaction.atomic():
            watch = _watch_upsert(ctx)
    except Exception:  # the database is unreachable or locked: the action itself succeeded
        log.warning("could not start the watch of project %s", ctx.project_id, exc_info=True)
        return None
    transaction.on_commit(lambda: watch_kick(watch_id=watch.id))
    return watch


def _watch_upsert(ctx: CloudContext) -> Watch:
    now = timezone.now()
    changes = {
        "session_key": ctx.session_key,
        "expires_at": now + timedelta(seconds=watch_setting("WATCH_MAX_SECONDS")),
        "next_run_at": now,
        "quiet_runs": 0,
    }
    active = Watch.objects.filter(project_id=ctx.project_id, region=ctx.region, ended_at__isnull=True)
    for _ in range(3):
        if active.update(**changes):
            return active.get()
        try:
            with transaction.atomic():
                return Watch.objects.create(
                    project_id=ctx.project_id, region=ctx.region, started_at=now, **changes
                )
        except IntegrityError:
            continue  # another request created it just now: extend that one
    raise RuntimeError("could not register the watch")


def watch_kick(*, watch_id: int) -> None:
    """Send the first step now instead of at beat's next tick. Best effort: a broker that is down
    costs only the delay until beat finds the watch due."""
    from console.tasks import watch_step_task

    try:
        watch_step_task.apply_async((watch_id,), expires=STEP_LEASE_SECONDS)
    except Exception:
        log.warning("could not send the first step of watch %s; beat will send it", watch_id, exc_info=True)


def watches_due(*, now=None) -> QuerySet[Watch]:
    """Active watches whose next step is due."""
    return Watch.objects.filter(ended_at__isnull=True, next_run_at__lte=now or timezone.now())


def watch_step(*, watch_id: int) -> str:
    """Run one step of a watch; returns what happened ("not due", "moving", or the end reason)."""
    now = timezone.now()
    claimed = Watch.objects.filter(id=watch_id, ended_at__isnull=True, next_run_at__lte=now).update(
        next_run_at=now + timedelta(seconds=STEP_LEASE_SECONDS)
    )
    if not claimed:
        return "not due"
    watch = Watch.objects.get(id=watch_id)
    if now >= watch.expires_at:
        log.warning(
            "watch %s of project %s gave up after %.0f s with resources still moving",
            watch.id,
            watch.project_id,
            (now - watch.started_at).total_seconds(),
        )
        return _watch_end(watch, Watch.End.GAVE_UP, gave_up=True)
    try:
        ctx = cloud_context_from_session(_session_load(watch.session_key), region=watch.region)
    except Unauthorized:
        return _watch_end(watch, Watch.End.SESSION_ENDED)
    if ctx.project_id != watch.project_id:
        return _watch_end(watch, Watch.End.SESSION_ENDED)
    # The request log ties the watcher's calls to it, as it ties a page's calls to the page.
    ctx = dataclasses.replace(ctx, console_request_id=f"{WATCH_REQUEST_PREFIX}{watch.id}")
    try:
        listings = [listing_get(ctx, kind) for kind in WATCHED_KINDS]
    except Unauthorized:
        return _watch_end(watch, Watch.End.TOKEN_REFUSED)
    moving = any(not item.loaded or item.stale or item.has_transitional for item in listings)
    if not moving:
        return _watch_end(watch, Watch.End.SETTLED)
    signature = _signature(listings)
    quiet_runs = watch.quiet_runs + 1 if signature == watch.signature else 0
    pause = min(
        watch_setting("WATCH_MAX_INTERVAL"),
        float(settings.INVENTORY_ACTIVE_INTERVAL) * BACKOFF_FACTOR**quiet_runs,
    )
    Watch.objects.filter(id=watch.id, ended_at__isnull=True).update(
        next_run_at=timezone.now() + timedelta(seconds=pause),
        last_run_at=now,
        runs=watch.runs + 1,
        quiet_runs=quiet_runs,
        signature=signature,
    )
    return "moving"


def _session_load(session_key: str):
    """The session store of this key, read server-side (cache, cached_db or database alike)."""
    engine = import_module(settings.SESSION_ENGINE)
    return engine.SessionStore(session_key=session_key)


def _signature(listings) -> str:
    """A digest of every status in the listings, to tell a quiet step from one that saw a change."""
    digest = hashlib.sha256()
    for listing in listings:
        for item in listing.items:
            digest.update(f"{listing.kind}:{item.id}:{item.status};".encode())
    return digest.hexdigest()[:64]


def _watch_end(watch: Watch, reason: str, *, gave_up: bool = False) -> str:
    now = timezone.now()
    Watch.objects.filter(id=watch.id, ended_at__isnull=True).update(
        ended_at=now,
        end_reason=reason,
        gave_up_at=now if gave_up else None,
        last_run_at=now,
        runs=watch.runs + 1,
    )
    log.info("watch %s of project %s ended: %s", watch.id, watch.project_id, reason)
    return str(reason)


def watches_prune(*, days: float | None = None) -> int:
    """Delete watches that ended more than `days` (WATCH_KEEP_DAYS) ago; returns how many."""
    keep = watch_setting("WATCH_KEEP_DAYS") if days is None else days
    cutoff = timezone.now() - timedelta(days=keep)
    deleted, _ = Watch.objects.filter(ended_at__lt=cutoff).delete()
    return deleted
