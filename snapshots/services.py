"""Writes of the snapshots section: one API call each, then the shared inventory is told.

`submission_*` keep a form from creating twice (double click, resubmitted POST): every create form
carries a one-time key; the first POST claims it with `cache.add` (atomic in every cache backend),
a second POST with the same key finds the claim and is sent to what the first one created. The
backups section uses them too.
"""

from __future__ import annotations

import re

from django.core.cache import cache

from console import api
from console.api.context import CloudContext
from console.api.records import Snapshot
from console.inventory import listing_apply, listing_set_status

SUBMISSION_SECONDS = 3600
SUBMISSION_KEY = re.compile(r"[0-9a-f]{32}")
PENDING = "pending"


def _submission_key(ctx: CloudContext, key: str) -> str:
    return f"submission:{ctx.region}:{ctx.project_id}:{key}"


def submission_claim(ctx: CloudContext, *, key: str) -> str | None:
    """Claim a form's one-time key. None: claimed now, go ahead. Else what an earlier POST with the
    same key left: PENDING while it runs, then the id of what it created."""
    cache_key = _submission_key(ctx, key)
    if cache.add(cache_key, PENDING, SUBMISSION_SECONDS):
        return None
    return cache.get(cache_key) or PENDING


def submission_result(ctx: CloudContext, *, key: str) -> str | None:
    """What an earlier, finished POST of this form created (looked at before the form is checked
    again: the resource it made may have changed what the form would now accept)."""
    if not SUBMISSION_KEY.fullmatch(key or ""):
        return None
    value = cache.get(_submission_key(ctx, key))
    return value if value and value != PENDING else None


def submission_complete(ctx: CloudContext, *, key: str, resource_id: str) -> None:
    cache.set(_submission_key(ctx, key), resource_id, SUBMISSION_SECONDS)


def submission_release(ctx: CloudContext, *, key: str) -> None:
    """The call failed: the same form may be sent again (after the user fixed it)."""
    cache.delete(_submission_key(ctx, key))


def snapshot_create(ctx: CloudContext, *, volume_id: str, name: str, description: str) -> Snapshot:
    """Take a snapshot of an available volume (force stays false: the cloud never snapshots an
    attached one); the listing shows it (creating) at once."""
    with api.capture_request_ids() as ids:
        snapshot = api.snapshot_create(
            ctx,
            volume_id=volume_id,
            display_name=name or None,
            display_description=description or None,
        )
    listing_apply(ctx, "snapshots", snapshot, request_id=ids[-1] if ids else "")
    return snapshot


def snapshot_delete(ctx: CloudContext, *, snapshot_id: str) -> None:
    """Delete a snapshot; the listing shows it deleting until a refresh finds it gone."""
    with api.capture_request_ids() as ids:
        api.snapshot_delete(ctx, snapshot_id)
    listing_set_status(ctx, "snapshots", snapshot_id, "deleting", request_id=ids[-1] if ids else "")
