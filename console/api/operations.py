"""One function per API operation (spec 4.1, Cinder v3's additions, and the server and image listings
of Compute), for every dialect.

Each takes the CloudContext first and keyword-only arguments after the resource ids, and returns
records. The context says which dialect its endpoint speaks (CloudContext.dialect, found at login by
console.api.dialects.discover); the dialect sends the calls through console.api.http.request: one
call (plus its retries, for reads), or one per page of a paginated list.
"""

from __future__ import annotations

from collections.abc import Mapping

from console.api.context import CloudContext
from console.api.dialects import dialect_of
from console.api.dialects.base import UNSET, _Unset
from console.api.records import (
    Attachment,
    AvailabilityZone,
    Backup,
    Image,
    Limits,
    Restore,
    Server,
    Snapshot,
    Volume,
    VolumeType,
)

__all__ = ["UNSET"]

# --- limits, zones, types -------------------------------------------------------------------------


def limits_get(ctx: CloudContext) -> Limits:
    return dialect_of(ctx).limits_get(ctx)


def availability_zone_list(ctx: CloudContext) -> list[AvailabilityZone]:
    """The zones a volume can be created in (the seed's API: its three fixed zones, no call)."""
    return dialect_of(ctx).availability_zone_list(ctx)


def volume_type_list(ctx: CloudContext) -> list[VolumeType]:
    """The cloud's volume types (the seed's API has none: an empty list, no call)."""
    return dialect_of(ctx).volume_type_list(ctx)


# --- volumes --------------------------------------------------------------------------------------


def volume_list(ctx: CloudContext, *, detail: bool = True) -> list[Volume]:
    """Every volume of the project: GET /volumes/detail (every page); detail=False: GET /volumes."""
    return dialect_of(ctx).volume_list(ctx, detail=detail)


def volume_get(ctx: CloudContext, volume_id: str) -> Volume:
    return dialect_of(ctx).volume_get(ctx, volume_id)


def volume_create(
    ctx: CloudContext,
    *,
    size: int,
    availability_zone: str | None = None,
    display_name: str | None = None,
    display_description: str | None = None,
    snapshot_id: str | None = None,
    source_volid: str | None = None,
    image_ref: str | None = None,
    metadata: Mapping[str, str] | None = None,
    volume_type: str | None = None,
) -> Volume:
    """Create a volume (blank, or from one of a snapshot, a volume or an image). Never retried:
    after a Timeout, look at volume_list before trying again. `display_name` and
    `display_description` are the volume's name and description in any dialect."""
    return dialect_of(ctx).volume_create(
        ctx,
        size=size,
        availability_zone=availability_zone,
        display_name=display_name,
        display_description=display_description,
        snapshot_id=snapshot_id,
        source_volid=source_volid,
        image_ref=image_ref,
        metadata=metadata,
        volume_type=volume_type,
    )


def volume_update(
    ctx: CloudContext,
    volume_id: str,
    *,
    display_name: str | None | _Unset = UNSET,
    display_description: str | None | _Unset = UNSET,
    metadata: Mapping[str, str] | _Unset = UNSET,
) -> Volume:
    """Change a volume's name, description or metadata; fields left UNSET are not sent."""
    return dialect_of(ctx).volume_update(
        ctx, volume_id, display_name=display_name, display_description=display_description, metadata=metadata
    )


def volume_delete(ctx: CloudContext, volume_id: str) -> None:
    dialect_of(ctx).volume_delete(ctx, volume_id)


def volume_extend(ctx: CloudContext, volume_id: str, *, new_size: int) -> None:
    """Grow a volume to `new_size` GB (os-extend). Raises Unsupported, sending nothing, where the
    dialect has no extend (see Dialect.extend_refusal)."""
    dialect_of(ctx).volume_extend(ctx, volume_id, new_size=new_size)


# --- snapshots ------------------------------------------------------------------------------------


def snapshot_list(ctx: CloudContext, *, detail: bool = True) -> list[Snapshot]:
    """GET /snapshots/detail (every page); detail=False: GET /snapshots."""
    return dialect_of(ctx).snapshot_list(ctx, detail=detail)


def snapshot_get(ctx: CloudContext, snapshot_id: str) -> Snapshot:
    return dialect_of(ctx).snapshot_get(ctx, snapshot_id)


def snapshot_create(
    ctx: CloudContext,
    *,
    volume_id: str,
    force: bool = False,
    display_name: str | None = None,
    display_description: str | None = None,
) -> Snapshot:
    return dialect_of(ctx).snapshot_create(
        ctx,
        volume_id=volume_id,
        force=force,
        display_name=display_name,
        display_description=display_description,
    )


def snapshot_delete(ctx: CloudContext, snapshot_id: str) -> None:
    dialect_of(ctx).snapshot_delete(ctx, snapshot_id)


# --- backups --------------------------------------------------------------------------------------


def backup_list(ctx: CloudContext, *, detail: bool = True) -> list[Backup]:
    """GET /backups/detail (every page); detail=False: GET /backups (only id and name are known then)."""
    return dialect_of(ctx).backup_list(ctx, detail=detail)


def backup_get(ctx: CloudContext, backup_id: str) -> Backup:
    return dialect_of(ctx).backup_get(ctx, backup_id)


def backup_create(
    ctx: CloudContext,
    *,
    volume_id: str,
    container: str | None = None,
    name: str | None = None,
    description: str | None = None,
) -> Backup:
    """Start a backup. The answer only carries the new backup's id and name."""
    return dialect_of(ctx).backup_create(
        ctx, volume_id=volume_id, container=container, name=name, description=description
    )


def backup_delete(ctx: CloudContext, backup_id: str) -> None:
    dialect_of(ctx).backup_delete(ctx, backup_id)


def backup_restore(ctx: CloudContext, backup_id: str, *, volume_id: str | None = None) -> Restore:
    """Restore into `volume_id` (overwritten), or into a new volume when None (the seed's API puts
    it in az2)."""
    return dialect_of(ctx).backup_restore(ctx, backup_id, volume_id=volume_id)


# --- attachments (Compute os-volume_attachments) --------------------------------------------------


def attachment_list(ctx: CloudContext, server_id: str) -> list[Attachment]:
    return dialect_of(ctx).attachment_list(ctx, server_id)


def attachment_get(ctx: CloudContext, server_id: str, volume_id: str) -> Attachment:
    return dialect_of(ctx).attachment_get(ctx, server_id, volume_id)


def attachment_create(
    ctx: CloudContext, server_id: str, *, volume_id: str, device: str | None = None
) -> Attachment:
    """Attach a volume. `device` is only advisory: the guest names it (see Attachment.guest_path)."""
    return dialect_of(ctx).attachment_create(ctx, server_id, volume_id=volume_id, device=device)


def attachment_delete(ctx: CloudContext, server_id: str, volume_id: str) -> None:
    dialect_of(ctx).attachment_delete(ctx, server_id, volume_id)


# --- servers and images (Compute) -----------------------------------------------------------------


def server_list(ctx: CloudContext) -> list[Server]:
    return dialect_of(ctx).server_list(ctx)


def image_list(ctx: CloudContext) -> list[Image]:
    return dialect_of(ctx).image_list(ctx)
