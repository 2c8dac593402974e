"""Writes of the backups section: one API call each, then the shared inventory is told, so that the
pages show the backup and its volume moving at once (and their timelines record it)."""

from __future__ import annotations

import dataclasses

from django.utils import timezone

from backups.selectors import DEFAULT_CONTAINER, RESTORE_NOTE
from console import api
from console.api.context import CloudContext
from console.api.errors import ApiError
from console.api.records import Backup, Restore, Volume
from console.inventory import listing_apply, listing_invalidate, listing_set_status


def _last(ids: list[str]) -> str:
    return ids[-1] if ids else ""


def backup_create(
    ctx: CloudContext, *, volume: Volume, container: str, name: str, description: str
) -> Backup:
    """Back a volume up. The API answers with the id only: the listing gets what is known already
    (creating, the volume's size and zone), and the volume shows backing-up."""
    with api.capture_request_ids() as ids:
        created = api.backup_create(
            ctx,
            volume_id=volume.id,
            container=container or None,
            name=name or None,
            description=description or None,
        )
    backup = dataclasses.replace(
        created,
        status="creating",
        size=volume.size,
        volume_id=volume.id,
        availability_zone=volume.availability_zone,
        container=container or DEFAULT_CONTAINER,
        description=description or None,
        created_at=timezone.now(),
        object_count=0,
    )
    request_id = _last(ids)
    listing_apply(ctx, "backups", backup, request_id=request_id, note=f"backup of volume {volume.id}")
    listing_set_status(
        ctx, "volumes", volume.id, "backing-up", request_id=request_id, note=f"backup {backup.id}"
    )
    return backup


def backup_delete(ctx: CloudContext, *, backup_id: str) -> None:
    """Delete a backup; the listing shows it deleting until a refresh finds it gone."""
    with api.capture_request_ids() as ids:
        api.backup_delete(ctx, backup_id)
    listing_set_status(ctx, "backups", backup_id, "deleting", request_id=_last(ids))


def backup_restore(ctx: CloudContext, *, backup: Backup, volume: Volume | None) -> Restore:
    """Restore a backup into `volume` (overwritten), or into a new volume when None (the seed's API
    puts it in az2; Cinder v3 where its backup service says)."""
    with api.capture_request_ids() as ids:
        restore = api.backup_restore(ctx, backup.id, volume_id=volume.id if volume else None)
    request_id = _last(ids)
    note = RESTORE_NOTE.format(backup_id=backup.id)
    listing_set_status(
        ctx, "backups", backup.id, "restoring", request_id=request_id, note=f"into volume {restore.volume_id}"
    )
    if volume is not None:
        listing_set_status(ctx, "volumes", volume.id, "restoring-backup", request_id=request_id, note=note)
        return restore
    # A new volume: read it once, so that the pages can follow it from now on.
    try:
        with api.capture_request_ids() as read_ids:
            new_volume = api.volume_get(ctx, restore.volume_id)
    except ApiError:
        listing_set_status(
            ctx, "volumes", restore.volume_id, "restoring-backup", request_id=request_id, note=note
        )
        listing_invalidate(ctx, "volumes")
    else:
        listing_apply(ctx, "volumes", new_volume, request_id=_last(read_ids) or request_id, note=note)
    return restore
