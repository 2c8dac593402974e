"""Reads of the servers section: servers and what is attached to them, from the shared listings only.

The servers page and a server's page never ask the API per server: attachments come from the
volumes listing (each volume lists its attachment while in-use, detaching or error_detaching).
While a volume is attaching the API's volume record does not name its server yet, so the console
remembers the attachments it made itself (`attachment_pending_set`) until the listing shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache

from console.api import Attachment, Server, Volume
from console.api.context import CloudContext
from console.api.errors import ApiError
from console.inventory import Listing, listing_get
from console.lists import sorted_by, text_matches
from console.statuses import StatusInfo, status_info

# Spec 4.5.5 business rule: KVM (virtio-blk) gives a guest at most 26 volumes.
MAX_ATTACHED = 26
# How long the console remembers an attachment it made that the volume listing does not show yet.
PENDING_SECONDS = 15 * 60
# Statuses in which the volume record does not carry the attachment the console made.
PENDING_STATUSES = ("attaching", "error_attaching")
# Statuses from which a volume can be detached (the API refuses the others).
DETACHABLE_STATUSES = ("in-use", "error_detaching")


@dataclass(frozen=True)
class AttachedVolume:
    """A volume attached (or being attached) to a server."""

    volume: Volume
    attachment: Attachment
    pending: bool = False  # known from the console's own attach call only

    @property
    def info(self) -> StatusInfo:
        return status_info(self.volume.status)

    @property
    def failed(self) -> bool:
        """The attach failed: the volume is not attached (shown so the user sees what happened)."""
        return self.volume.status == "error_attaching"

    @property
    def detachable(self) -> bool:
        return self.volume.status in DETACHABLE_STATUSES

    @property
    def sort_key(self) -> tuple[int, str]:
        device = self.attachment.device or ""
        return (len(device), device)  # /dev/vdz before /dev/vdaa, as the guest names them


@dataclass(frozen=True)
class ServerAttachments:
    server: Server
    attached: tuple[AttachedVolume, ...]

    @property
    def count(self) -> int:
        """Volumes attached or being attached (a failed attach takes no slot)."""
        return sum(1 for item in self.attached if not item.failed)

    @property
    def full(self) -> bool:
        return self.count >= MAX_ATTACHED

    @property
    def free(self) -> int:
        return max(0, MAX_ATTACHED - self.count)

    @property
    def percent(self) -> int:
        return min(100, round(self.count * 100 / MAX_ATTACHED))

    @property
    def statuses(self) -> dict[str, str]:
        return {item.volume.id: item.volume.status for item in self.attached}


@dataclass(frozen=True)
class ServersInventory:
    """The project's servers and volumes in the current region, as the shared listings hold them."""

    servers: Listing
    volumes: Listing
    pending: dict[str, Attachment]

    @property
    def loaded(self) -> bool:
        return self.servers.loaded and self.volumes.loaded

    @property
    def error(self) -> ApiError | None:
        """The last failed refresh of either listing, as an error the error component can show."""
        failure = self.servers.failure or self.volumes.failure
        return None if failure is None else failure.error()

    def server(self, server_id: str) -> Server | None:
        return self.servers.by_id.get(server_id)

    def volume(self, volume_id: str) -> Volume | None:
        return self.volumes.by_id.get(volume_id)

    def attachment_of(self, volume: Volume) -> Attachment | None:
        """Where the volume is attached (or being attached), if anywhere; a failed attach is nowhere."""
        if volume.attachments:
            return volume.attachments[0]
        return self.pending.get(volume.id) if volume.status == "attaching" else None

    def server_attachments(self, server: Server) -> ServerAttachments:
        attached = []
        for volume in self.volumes.items:
            for attachment in volume.attachments:
                if attachment.server_id == server.id:
                    attached.append(AttachedVolume(volume, attachment))
            pending = self.pending.get(volume.id)
            if pending is not None and pending.server_id == server.id and not volume.attachments:
                attached.append(AttachedVolume(volume, pending, pending=True))
        return ServerAttachments(server, tuple(sorted(attached, key=lambda item: item.sort_key)))

    def all_server_attachments(self) -> list[ServerAttachments]:
        return [
            self.server_attachments(server)
            for server in sorted(self.servers.items, key=lambda s: (s.availability_zone or "", s.name))
        ]


# The servers list's orders (console.lists): parameter -> (label, key of a ServerAttachments row).
SERVER_SORTS = {
    "name": ("Name", lambda row: (row.server.name.lower(), row.server.id)),
    "status": ("Status", lambda row: (row.server.status or "", row.server.name.lower())),
    "zone": ("Zone", lambda row: (row.server.availability_zone or "", row.server.name.lower())),
    "attached": ("Attached volumes", lambda row: (row.count, row.server.name.lower())),
}
DEFAULT_SERVER_SORT = "zone"


def server_rows_filtered(
    rows: list[ServerAttachments], *, q: str = "", status: str = "", zone: str = "", sort: str | None = None
) -> list[ServerAttachments]:
    """The servers list's rows whose name or id matches `q`, with this status and zone, sorted."""
    found = [
        row
        for row in rows
        if text_matches(q, name=row.server.name, resource_id=row.server.id)
        and (not status or row.server.status == status)
        and (not zone or row.server.availability_zone == zone)
    ]
    return sorted_by(found, sort, SERVER_SORTS, DEFAULT_SERVER_SORT)


def _pending_key(ctx: CloudContext, volume_id: str) -> str:
    return f"attachments:pending:{ctx.region}:{ctx.project_id}:{volume_id}"


def attachment_pending_set(*, ctx: CloudContext, attachment: Attachment) -> None:
    """Remember an attachment the console just made, until the volume listing shows it."""
    cache.set(_pending_key(ctx, attachment.volume_id), attachment, PENDING_SECONDS)


def attachments_pending(*, ctx: CloudContext, volumes: Listing) -> dict[str, Attachment]:
    """The console's own recent attachments of volumes whose record does not show them (yet)."""
    waiting = [v.id for v in volumes.items if v.status in PENDING_STATUSES and not v.attachments]
    if not waiting:
        return {}
    found = cache.get_many([_pending_key(ctx, volume_id) for volume_id in waiting])
    return {attachment.volume_id: attachment for attachment in found.values()}


def servers_inventory_get(*, ctx: CloudContext) -> ServersInventory:
    """Servers and volumes from the shared listings (at most one API call per listing per interval)."""
    servers = listing_get(ctx, "servers")
    volumes = listing_get(ctx, "volumes")
    return ServersInventory(servers, volumes, attachments_pending(ctx=ctx, volumes=volumes))


def attach_problem(*, inventory: ServersInventory, volume: Volume, server: Server) -> str:
    """Why `volume` cannot be attached to `server` now, in plain words; empty when it can."""
    attachment = inventory.attachment_of(volume)
    if attachment is not None:
        if attachment.server_id == server.id:
            return f"Volume {volume.name} is already attached to this server."
        other = inventory.server(attachment.server_id)
        return f"Volume {volume.name} is already attached to {other.name if other else 'another server'}."
    if volume.status != "available":
        label = status_info(volume.status).label.lower()
        return f"Volume {volume.name} is {label}: only available volumes can be attached."
    if (volume.availability_zone or "") != (server.availability_zone or ""):
        return (
            f"Volume {volume.name} is in {volume.availability_zone} and server {server.name} in "
            f"{server.availability_zone}: a volume can only be attached to a server in the same "
            "availability zone."
        )
    if inventory.server_attachments(server).full:
        return (
            f"Server {server.name} already has {MAX_ATTACHED} volumes attached, the most a server can "
            "take (a limit of KVM's virtio-blk). Detach one first."
        )
    return ""


def attachable_volumes(*, inventory: ServersInventory, server: Server) -> list[Volume]:
    """Volumes that can be attached to `server` now: available, unattached, in its zone."""
    volumes = inventory.volumes.items
    fit = [v for v in volumes if not attach_problem(inventory=inventory, volume=v, server=server)]
    return sorted(fit, key=lambda v: v.name.lower())


def attachable_servers(*, inventory: ServersInventory, volume: Volume) -> list[Server]:
    """Servers that `volume` can be attached to now: in its zone, with a free slot."""
    servers = inventory.servers.items
    fit = [s for s in servers if not attach_problem(inventory=inventory, volume=volume, server=s)]
    return sorted(fit, key=lambda s: s.name.lower())
