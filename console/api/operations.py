"""One function per API operation (spec 4.1, plus the server and image listings of Compute).

Each takes the CloudContext first and keyword-only arguments after the resource ids, sends exactly
one call through console.api.http.request (plus its retries, for reads) and returns records.
The wire format is settings.BLOCK_STORAGE_FORMAT ("json" or "xml"), read at each call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

from django.conf import settings

from console.api import http
from console.api.context import CloudContext
from console.api.errors import CatalogError
from console.api.http import COMPUTE, VOLUME
from console.api.records import Attachment, Backup, Image, Limits, Restore, Server, Snapshot, Volume
from console.api.wire import WireFormat, wire_format


class _Unset:
    """The default of volume_update's fields: leave as it is (None would clear it)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


def _format() -> WireFormat:
    return wire_format(settings.BLOCK_STORAGE_FORMAT)


def _call(
    ctx: CloudContext,
    service: str,
    method: str,
    path: str,
    *,
    decode: http.Decoder | None = None,
    root: str = "",
    fields: Mapping[str, Any] | None = None,
) -> Any:
    fmt = _format()
    base_url = ctx.volume_url if service == VOLUME else ctx.compute_url
    if not base_url:
        raise CatalogError(None, f"Region {ctx.region} offers no {service} service.", fault="catalogError")
    body = None if fields is None else fmt.encode(root, fields)
    reply = http.request(
        ctx,
        service=service,
        method=method,
        url=base_url.rstrip("/") + path,
        fmt=fmt,
        body=body,
        decode=decode,
    )
    return reply.data


def _id(value: str) -> str:
    """A resource id as one path segment (an id can never reach another path)."""
    return quote(str(value), safe="")


def _present(**fields: Any) -> dict[str, Any]:
    """The fields that were given (the API treats a missing field as "not specified")."""
    return {key: value for key, value in fields.items() if value is not None}


# --- limits ---------------------------------------------------------------------------------------


def limits_get(ctx: CloudContext) -> Limits:
    return _call(ctx, VOLUME, "GET", "/limits", decode=WireFormat.limits)


# --- volumes --------------------------------------------------------------------------------------


def volume_list(ctx: CloudContext, *, detail: bool = True) -> list[Volume]:
    """GET /volumes/detail; detail=False: GET /volumes (no volume_image_metadata)."""
    return _call(ctx, VOLUME, "GET", "/volumes/detail" if detail else "/volumes", decode=WireFormat.volumes)


def volume_get(ctx: CloudContext, volume_id: str) -> Volume:
    return _call(ctx, VOLUME, "GET", f"/volumes/{_id(volume_id)}", decode=WireFormat.volume)


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
) -> Volume:
    """Create a volume (blank, or from one of a snapshot, a volume or an image). Never retried:
    after a Timeout, look at volume_list before trying again."""
    fields = _present(
        size=size,
        availability_zone=availability_zone,
        display_name=display_name,
        display_description=display_description,
        snapshot_id=snapshot_id,
        source_volid=source_volid,
        imageRef=image_ref,
        metadata=dict(metadata) if metadata else None,
    )
    return _call(ctx, VOLUME, "POST", "/volumes", decode=WireFormat.volume, root="volume", fields=fields)


def volume_update(
    ctx: CloudContext,
    volume_id: str,
    *,
    display_name: str | None | _Unset = UNSET,
    display_description: str | None | _Unset = UNSET,
    metadata: Mapping[str, str] | _Unset = UNSET,
) -> Volume:
    """Change a volume's name, description or metadata; fields left UNSET are not sent."""
    given = {"display_name": display_name, "display_description": display_description, "metadata": metadata}
    fields = {key: dict(value) if isinstance(value, Mapping) else value for key, value in given.items()}
    fields = {key: value for key, value in fields.items() if value is not UNSET}
    return _call(
        ctx,
        VOLUME,
        "PUT",
        f"/volumes/{_id(volume_id)}",
        decode=WireFormat.volume,
        root="volume",
        fields=fields,
    )


def volume_delete(ctx: CloudContext, volume_id: str) -> None:
    _call(ctx, VOLUME, "DELETE", f"/volumes/{_id(volume_id)}")


# --- snapshots ------------------------------------------------------------------------------------


def snapshot_list(ctx: CloudContext, *, detail: bool = True) -> list[Snapshot]:
    """GET /snapshots/detail; detail=False: GET /snapshots (the same today, says the spec)."""
    path = "/snapshots/detail" if detail else "/snapshots"
    return _call(ctx, VOLUME, "GET", path, decode=WireFormat.snapshots)


def snapshot_get(ctx: CloudContext, snapshot_id: str) -> Snapshot:
    return _call(ctx, VOLUME, "GET", f"/snapshots/{_id(snapshot_id)}", decode=WireFormat.snapshot)


def snapshot_create(
    ctx: CloudContext,
    *,
    volume_id: str,
    force: bool = False,
    display_name: str | None = None,
    display_description: str | None = None,
) -> Snapshot:
    fields = _present(
        volume_id=volume_id, force=force, display_name=display_name, display_description=display_description
    )
    return _call(
        ctx, VOLUME, "POST", "/snapshots", decode=WireFormat.snapshot, root="snapshot", fields=fields
    )


def snapshot_delete(ctx: CloudContext, snapshot_id: str) -> None:
    _call(ctx, VOLUME, "DELETE", f"/snapshots/{_id(snapshot_id)}")


# --- backups --------------------------------------------------------------------------------------


def backup_list(ctx: CloudContext, *, detail: bool = True) -> list[Backup]:
    """GET /backups/detail; detail=False: GET /backups (only id and name are known then)."""
    return _call(ctx, VOLUME, "GET", "/backups/detail" if detail else "/backups", decode=WireFormat.backups)


def backup_get(ctx: CloudContext, backup_id: str) -> Backup:
    return _call(ctx, VOLUME, "GET", f"/backups/{_id(backup_id)}", decode=WireFormat.backup)


def backup_create(
    ctx: CloudContext,
    *,
    volume_id: str,
    container: str | None = None,
    name: str | None = None,
    description: str | None = None,
) -> Backup:
    """Start a backup. The answer only carries the new backup's id and name."""
    fields = _present(volume_id=volume_id, container=container, name=name, description=description)
    return _call(ctx, VOLUME, "POST", "/backups", decode=WireFormat.backup, root="backup", fields=fields)


def backup_delete(ctx: CloudContext, backup_id: str) -> None:
    _call(ctx, VOLUME, "DELETE", f"/backups/{_id(backup_id)}")


def backup_restore(ctx: CloudContext, backup_id: str, *, volume_id: str | None = None) -> Restore:
    """Restore into `volume_id` (overwritten), or into a new volume in az2 when None."""
    return _call(
        ctx,
        VOLUME,
        "POST",
        f"/backups/{_id(backup_id)}/restore",
        decode=WireFormat.restore,
        root="restore",
        fields=_present(volume_id=volume_id),
    )


# --- attachments (Compute os-volume_attachments) --------------------------------------------------


def attachment_list(ctx: CloudContext, server_id: str) -> list[Attachment]:
    return _call(
        ctx, COMPUTE, "GET", f"/servers/{_id(server_id)}/os-volume_attachments", decode=WireFormat.attachments
    )


def attachment_get(ctx: CloudContext, server_id: str, volume_id: str) -> Attachment:
    return _call(
        ctx,
        COMPUTE,
        "GET",
        f"/servers/{_id(server_id)}/os-volume_attachments/{_id(volume_id)}",
        decode=WireFormat.attachment,
    )


def attachment_create(
    ctx: CloudContext, server_id: str, *, volume_id: str, device: str | None = None
) -> Attachment:
    """Attach a volume. `device` is only advisory: the guest names it (see Attachment.guest_path)."""
    return _call(
        ctx,
        COMPUTE,
        "POST",
        f"/servers/{_id(server_id)}/os-volume_attachments",
        decode=WireFormat.attachment,
        root="volumeAttachment",
        fields=_present(volumeId=volume_id, device=device),
    )


def attachment_delete(ctx: CloudContext, server_id: str, volume_id: str) -> None:
    _call(ctx, COMPUTE, "DELETE", f"/servers/{_id(server_id)}/os-volume_attachments/{_id(volume_id)}")


# --- servers and images (Compute) -----------------------------------------------------------------


def server_list(ctx: CloudContext) -> list[Server]:
    return _call(ctx, COMPUTE, "GET", "/servers/detail", decode=WireFormat.servers)


def image_list(ctx: CloudContext) -> list[Image]:
    return _call(ctx, COMPUTE, "GET", "/images/detail", decode=WireFormat.images)
