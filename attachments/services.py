"""Writes of the servers section: attach and detach, each followed by the inventory update that makes
the page show the change at once (and the volume's timeline record it)."""

from __future__ import annotations

from attachments.selectors import attachment_pending_set
from console import api
from console.api import Attachment, Server, Volume
from console.api.context import CloudContext
from console.inventory import listing_set_status


def attachment_create(*, ctx: CloudContext, server: Server, volume: Volume, device: str = "") -> Attachment:
    """Attach `volume` to `server`; the volume's badge then follows attaching -> in-use."""
    with api.capture_request_ids() as request_ids:
        attachment = api.attachment_create(ctx, server.id, volume_id=volume.id, device=device or None)
    attachment_pending_set(ctx=ctx, attachment=attachment)
    listing_set_status(
        ctx,
        "volumes",
        volume.id,
        "attaching",
        request_id=request_ids[-1] if request_ids else "",
        note=f"attach to server {server.name} ({server.id})",
    )
    return attachment


def attachment_delete(*, ctx: CloudContext, server: Server, volume: Volume) -> None:
    """Detach `volume` from `server`; the volume's badge then follows detaching -> available."""
    with api.capture_request_ids() as request_ids:
        api.attachment_delete(ctx, server.id, volume.id)
    listing_set_status(
        ctx,
        "volumes",
        volume.id,
        "detaching",
        request_id=request_ids[-1] if request_ids else "",
        note=f"detach from server {server.name} ({server.id})",
    )
