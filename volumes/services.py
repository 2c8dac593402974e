"""Writes of the volumes section: create (once), update, delete (one or many).

Every mutation puts its result into the shared inventory (listing_apply / listing_set_status), so
the list and the badges show it at once and the timeline records it with the action's request id.

Creating exactly once: the create form carries an idempotency key (a uuid4 made when the form is
rendered). `volume_create` first takes `cache.add("create:<region>:<project>:<key>")`; a second
submit of the same form finds the key taken and is answered with the first one's outcome, without
calling the API again. The key is also written into the volume's metadata (CREATE_KEY_METADATA), so
when a create times out (or the connection drops, or the cloud answers 5xx) the console looks for
a volume carrying that key before it reports a failure: a timed-out create is never retried blindly.
A key is used once: after a definite failure the form is shown again with a fresh key.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.cache import cache

from console import api
from console.api.context import CloudContext
from console.api.dialects import dialect_of
from console.api.errors import ApiError
from console.api.records import Volume
from console.inventory import listing_apply, listing_get, listing_set_status
from volumes.selectors import CREATE_KEY_METADATA, volume_delete_blockers, volume_snapshots

# How long the outcome of a create form is remembered (a tab left open overnight is still answered).
CREATE_KEY_SECONDS = 24 * 3600
# After an ambiguous create: how many fresh listings to look through, and the pause between them.
CONFIRM_LOOKS = 3
CONFIRM_PAUSE = 1.0
# How long a second submit waits for the first one (still running) before answering "in progress".
PENDING_WAIT = 10.0

# States of a create key.
PENDING = "pending"  # the first submit is talking to the cloud
CREATED = "created"  # done: volume_id
FAILED = "failed"  # the cloud refused, or it was not created: nothing exists
UNCONFIRMED = "unconfirmed"  # no answer and the volume was not seen (yet): look again before retrying

# Failures after which the cloud may have created the volume anyway.
AMBIGUOUS = (api.Timeout, api.ConnectionFailed, api.ServerError, api.MalformedResponse)


@dataclass(frozen=True)
class CreateOutcome:
    state: str  # CREATED, FAILED, PENDING or UNCONFIRMED
    volume_id: str = ""
    volume: Volume | None = None
    request_id: str = ""
    error: ApiError | None = None
    duplicate: bool = False  # this submit did not call the API: an earlier one with the same key did
    message: str = ""  # for a duplicate: what the earlier submit's outcome was


def _key(ctx: CloudContext, key: str) -> str:
    return f"create:{ctx.region}:{ctx.project_id}:{key}"


def _remember(ctx: CloudContext, key: str, **state: str) -> None:
    cache.set(_key(ctx, key), state, CREATE_KEY_SECONDS)


def _record_created(ctx: CloudContext, key: str, volume: Volume, request_id: str, note: str) -> CreateOutcome:
    _remember(ctx, key, state=CREATED, volume_id=volume.id, request_id=request_id)
    listing_apply(ctx, "volumes", volume, request_id=request_id, note=note)
    return CreateOutcome(CREATED, volume_id=volume.id, volume=volume, request_id=request_id)


def volume_create(
    ctx: CloudContext,
    *,
    key: str,
    size: int,
    availability_zone: str,
    name: str | None = None,
    description: str | None = None,
    snapshot_id: str | None = None,
    source_volid: str | None = None,
    image_id: str | None = None,
    metadata: Mapping[str, str] | None = None,
    volume_type: str | None = None,
) -> CreateOutcome:
    """Create a volume once per form key (see the module's docstring)."""
    deadline = time.monotonic() + PENDING_WAIT
    while not cache.add(_key(ctx, key), {"state": PENDING}, CREATE_KEY_SECONDS):
        if cache.get(_key(ctx, key)) is not None:
            return volume_create_outcome(ctx, key=key, wait=max(0.0, deadline - time.monotonic()))
        # Taken but not readable: the other writer has not committed yet, or the cache failed.
        if time.monotonic() > deadline:
            return CreateOutcome(PENDING, duplicate=True)
        time.sleep(0.1)
    request_ids: list[str] = []
    try:
        with api.capture_request_ids() as request_ids:
            volume = api.volume_create(
                ctx,
                size=size,
                availability_zone=availability_zone or None,  # "": the cloud chooses
                display_name=name or None,
                display_description=description or None,
                snapshot_id=snapshot_id or None,
                source_volid=source_volid or None,
                image_ref=image_id or None,
                metadata={**(metadata or {}), CREATE_KEY_METADATA: key},
                volume_type=volume_type or None,
            )
    except AMBIGUOUS as error:
        return _confirm(ctx, key=key, error=error, looks=CONFIRM_LOOKS)
    except ApiError as error:
        _remember(ctx, key, state=FAILED, message=error.message, request_id=error.request_id)
        if isinstance(error, api.Unauthorized):
            raise  # the login ended: CloudSessionMiddleware sends the user to log in again
        return CreateOutcome(FAILED, error=error, request_id=error.request_id)
    request_id = request_ids[-1] if request_ids else ""
    return _record_created(ctx, key, volume, request_id, note="created by the console")


def volume_create_outcome(ctx: CloudContext, *, key: str, wait: float = 0.0) -> CreateOutcome:
    """What became of the create form with this key, without creating anything.

    Waits up to `wait` seconds for a submit that is still running; looks through a fresh listing
    once when the outcome was left unconfirmed.
    """
    deadline = time.monotonic() + wait
    state = cache.get(_key(ctx, key))
    while state is not None and state.get("state") == PENDING and time.monotonic() < deadline:
        time.sleep(0.2)
        state = cache.get(_key(ctx, key))
    if state is None:
        return CreateOutcome(
            FAILED, duplicate=True, message="This form's submission is not known (any more)."
        )
    if state["state"] == CREATED:
        return CreateOutcome(
            CREATED, volume_id=state["volume_id"], request_id=state.get("request_id", ""), duplicate=True
        )
    if state["state"] == FAILED:
        return CreateOutcome(FAILED, duplicate=True, message=state.get("message", ""))
    if state["state"] == UNCONFIRMED:
        return _confirm(ctx, key=key, error=None, looks=1)
    return CreateOutcome(PENDING, duplicate=True)


def _confirm(ctx: CloudContext, *, key: str, error: ApiError | None, looks: int) -> CreateOutcome:
    """After an ambiguous create: look for the volume carrying `key` in fresh listings (user priority).

    Found: created. Every look answered and none had it: not created (FAILED). No look answered:
    UNCONFIRMED, and the key stays reserved so that nobody creates a second volume meanwhile.
    """
    answered = False
    last_error = error
    for look in range(looks):
        if look:
            time.sleep(CONFIRM_PAUSE)
        try:
            with api.capture_request_ids() as request_ids:
                volumes = api.volume_list(ctx)
        except api.Unauthorized:
            _remember(ctx, key, state=UNCONFIRMED)
            raise
        except ApiError as look_error:
            last_error = look_error
            continue
        answered = True
        for volume in volumes:
            if volume.metadata.get(CREATE_KEY_METADATA) == key:
                request_id = request_ids[-1] if request_ids else ""
                return _record_created(
                    ctx, key, volume, request_id, note="found after the create call got no answer"
                )
    if answered:
        message = (
            "The cloud did not answer the create call, and the volume did not appear: it was not created."
        )
        _remember(ctx, key, state=FAILED, message=message, request_id=error.request_id if error else "")
        return CreateOutcome(FAILED, error=error, message=message)
    _remember(ctx, key, state=UNCONFIRMED)
    return CreateOutcome(UNCONFIRMED, error=last_error)


def volume_update(
    ctx: CloudContext,
    *,
    volume: Volume,
    name: str,
    description: str,
    metadata: Mapping[str, str],
) -> tuple[Volume, str]:
    """Change name, description and metadata (the console's own create key is kept). Returns the
    updated volume and the request id."""
    kept = {k: v for k, v in volume.metadata.items() if k == CREATE_KEY_METADATA}
    with api.capture_request_ids() as request_ids:
        updated = api.volume_update(
            ctx,
            volume.id,
            display_name=name,
            display_description=description,
            metadata={**metadata, **kept},
        )
    request_id = request_ids[-1] if request_ids else ""
    listing_apply(ctx, "volumes", updated, request_id=request_id, note="edited in the console")
    return updated, request_id


def volume_delete(ctx: CloudContext, *, volume_id: str) -> str:
    """Delete a volume; returns the request id. The listing shows it "deleting" at once."""
    with api.capture_request_ids() as request_ids:
        api.volume_delete(ctx, volume_id)
    request_id = request_ids[-1] if request_ids else ""
    listing_set_status(
        ctx, "volumes", volume_id, "deleting", request_id=request_id, note="deleted in the console"
    )
    return request_id


def volume_extend(ctx: CloudContext, *, volume: Volume, new_size: int) -> str:
    """Grow a volume to `new_size` GB; returns the request id. The listing shows it "extending" at
    once (Cinder answers 202 and works on), so its badge follows it to available."""
    with api.capture_request_ids() as request_ids:
        api.volume_extend(ctx, volume.id, new_size=new_size)
    request_id = request_ids[-1] if request_ids else ""
    listing_set_status(
        ctx,
        "volumes",
        volume.id,
        "extending",
        request_id=request_id,
        note=f"extended in the console from {volume.size} to {new_size} GB",
    )
    return request_id


NOT_FOUND = "Not found in this project."


@dataclass(frozen=True)
class DeleteResult:
    volume_id: str
    name: str
    deleted: bool
    reason: str = ""  # why not
    request_id: str = ""
    error: ApiError | None = None

    @property
    def exists(self) -> bool:
        """Whether the volume is still there to be linked to (not deleted, not unknown, not gone)."""
        if self.deleted or self.reason == NOT_FOUND:
            return False
        return not isinstance(self.error, api.NotFound)


def volume_delete_many(ctx: CloudContext, *, volume_ids: Iterable[str]) -> list[DeleteResult]:
    """Delete each volume; a result for each. Volumes the inventory shows as blocked are refused by
    the console without a call; the others go to the API, whose answer (and request id) is kept."""
    volumes = listing_get(ctx, "volumes")
    snapshots = listing_get(ctx, "snapshots")
    results = []
    for volume_id in volume_ids:
        volume = volumes.by_id.get(volume_id)
        if volume is None:
            results.append(DeleteResult(volume_id, volume_id, False, NOT_FOUND))
            continue
        has_snapshots = bool(volume_snapshots(snapshots.items, volume_id=volume_id))
        dialect = dialect_of(ctx)
        blockers = volume_delete_blockers(
            volume,
            has_snapshots=has_snapshots,
            deletable=dialect.deletable_volume_statuses,
            deletable_rule=dialect.deletable_volume_rule,
        )
        if blockers:
            reason = " ".join(blocker.text for blocker in blockers)
            results.append(DeleteResult(volume_id, volume.name, False, reason))
            continue
        try:
            request_id = volume_delete(ctx, volume_id=volume_id)
        except api.Unauthorized:
            raise
        except ApiError as error:
            results.append(
                DeleteResult(volume_id, volume.name, False, error.message, error.request_id, error=error)
            )
        else:
            results.append(DeleteResult(volume_id, volume.name, True, request_id=request_id))
    return results
