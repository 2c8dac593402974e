"""Reads of the volumes section: rows of the list, a volume's detail, what its status allows.

Everything here reads the shared inventory (console.inventory); only `volume_find` may call the API,
for a volume the listing does not have (yet).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from backups.selectors import RESTORE_NOTE
from console import api
from console.api.context import CloudContext
from console.api.records import Attachment, Backup, Snapshot, Volume
from console.ids import id_is_plausible
from console.inventory import Listing, listing_find, listing_get
from console.lists import sort_key, sort_param, text_matches
from console.models import LifecycleEvent
from console.statuses import StatusInfo, status_info

# The seed's zones, default zone and largest volume (its dialect: console.api.dialects.cinder_v1).
AVAILABILITY_ZONES = ("az1", "az2", "az3")
DEFAULT_ZONE = "az2"
MIN_SIZE = 1
MAX_SIZE = 2047
MAX_TEXT = 255
# The spec's limit of volumes and snapshots made from one origin volume (4.5.2, Business Rules), and
# how close to it the pages start warning. A dialect without the rule has no derived_limit.
DERIVED_LIMIT = 10
DERIVED_MARGIN = 2
DERIVED_WARNING = DERIVED_LIMIT - DERIVED_MARGIN
# Statuses in which the API lets a volume be deleted (when it has no snapshots and no attachment).
DELETABLE = ("available", "error", "error_restoring", "error_attaching")
# Metadata key under which the console keeps the idempotency key of the form that created a volume.
CREATE_KEY_METADATA = "console-create-key"
# The name the cloud gives a new volume it restores a backup into (followed by the backup id).
RESTORED_NAME_PREFIX = "restore_backup_"
PAGE_SIZE = 25

_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AttachedTo:
    server_id: str
    server_name: str
    device: str | None


@dataclass(frozen=True)
class SourceRef:
    kind: str  # snapshot | volume | image | backup
    id: str
    label: str
    url: str


@dataclass(frozen=True)
class VolumeRow:
    volume: Volume
    info: StatusInfo
    attached: tuple[AttachedTo, ...]
    source: SourceRef | None


@dataclass(frozen=True)
class Lookups:
    """Names of the things volumes point to, from the other listings."""

    servers: dict[str, str]
    snapshots: dict[str, Snapshot]
    volumes: dict[str, Volume]
    # Volumes restored from a backup (volume id -> backup id), and the backups the console knows.
    restores: dict[str, str] = field(default_factory=dict)
    backups: dict[str, Backup] = field(default_factory=dict)


def lookups_from(
    *, volumes: Listing, servers: Listing, snapshots: Listing, ctx: CloudContext | None = None
) -> Lookups:
    """With `ctx`, also which volumes were restored from a backup (the console's lifecycle events),
    and the backups' names from the cached listing (read without refreshing it: no API call)."""
    restores: dict[str, str] = {}
    backups: dict[str, Backup] = {}
    if ctx is not None:
        restores = volume_restores(ctx)
        backups = dict(listing_get(ctx, "backups", refresh=False).by_id)
    return Lookups(
        servers={server.id: server.name for server in servers.items},
        snapshots=dict(snapshots.by_id),
        volumes=dict(volumes.by_id),
        restores=restores,
        backups=backups,
    )


def volume_restores(ctx: CloudContext) -> dict[str, str]:
    """volume id -> the backup last restored into it through the console (lifecycle event notes)."""
    prefix = RESTORE_NOTE.split("{", 1)[0]
    events = LifecycleEvent.objects.filter(
        project_id=ctx.project_id, region=ctx.region, resource_type="volume", note__startswith=prefix
    ).order_by("observed_at", "id")
    return {event.resource_id: event.note[len(prefix) :] for event in events.only("resource_id", "note")}


def volume_metadata_shown(volume: Volume) -> list[tuple[str, str]]:
    """The volume's metadata as pages show it: sorted, without the console's own bookkeeping (the
    create form's idempotency key stays in the API, out of sight)."""
    return sorted((key, value) for key, value in volume.metadata.items() if key != CREATE_KEY_METADATA)


def _attached_name(attachment: Attachment, lookups: Lookups) -> str:
    """The server's name (its id when Compute did not list it); a host for an attachment made
    without Compute (Cinder v3 names a host, no server)."""
    if attachment.server_id:
        return lookups.servers.get(attachment.server_id, attachment.server_id)
    return f"host {attachment.host_name}" if attachment.host_name else "a host (no server)"


def volume_attached(volume: Volume, lookups: Lookups) -> tuple[AttachedTo, ...]:
    return tuple(
        AttachedTo(
            server_id=attachment.server_id,
            server_name=_attached_name(attachment, lookups),
            device=attachment.device,
        )
        for attachment in volume.attachments
    )


def volume_source(volume: Volume, lookups: Lookups) -> SourceRef | None:
    """What the volume was made from, with a link (snapshots' and volumes' own pages; images: the
    list of volumes made from that image)."""
    if volume.snapshot_id:
        snapshot = lookups.snapshots.get(volume.snapshot_id)
        label = snapshot.name if snapshot else volume.snapshot_id
        return SourceRef(
            "snapshot", volume.snapshot_id, label, f"/snapshots/{quote(volume.snapshot_id, safe='')}/"
        )
    if volume.source_volid:
        origin = lookups.volumes.get(volume.source_volid)
        label = origin.name if origin else volume.source_volid
        return SourceRef(
            "volume", volume.source_volid, label, f"/volumes/{quote(volume.source_volid, safe='')}/"
        )
    if volume.image_id:
        label = volume.image_metadata.get("image_name") or volume.image_id
        return SourceRef(
            "image", volume.image_id, label, "/volumes/?" + urlencode({"source": volume.image_id})
        )
    backup_id = lookups.restores.get(volume.id) or _restored_name(volume.display_name or "")
    if backup_id:
        backup = lookups.backups.get(backup_id)
        label = backup.label if backup else backup_id
        return SourceRef("backup", backup_id, label, f"/backups/{quote(backup_id, safe='')}/")
    return None


def _restored_name(name: str) -> str:
    """The backup id in the name the cloud gives a volume it restores a backup into (Cinder and the
    emulator: "restore_backup_<backup id>"), so that restores made outside the console show too."""
    backup_id = name.removeprefix(RESTORED_NAME_PREFIX)
    return backup_id if backup_id != name and id_is_plausible(backup_id) else ""


def volume_row(volume: Volume, lookups: Lookups) -> VolumeRow:
    return VolumeRow(
        volume=volume,
        info=status_info(volume.status),
        attached=volume_attached(volume, lookups),
        source=volume_source(volume, lookups),
    )


# --- the list -------------------------------------------------------------------------------------


def _attached_key(volume: Volume, lookups: Lookups) -> tuple:
    names = sorted(_attached_name(a, lookups).lower() for a in volume.attachments)
    return (not names, names)  # attached volumes first (ascending), then the rest


def _source_key(volume: Volume, lookups: Lookups) -> tuple:
    source = volume_source(volume, lookups)
    return (source is None, source.kind if source else "", source.label.lower() if source else "")


SORT_KEYS: dict[str, Callable[[Volume, Lookups], Any]] = {
    "name": lambda v, _: v.name.lower(),
    "size": lambda v, _: v.size,
    "status": lambda v, _: status_info(v.status).label.lower(),
    "az": lambda v, _: v.availability_zone or "",
    "bootable": lambda v, _: v.bootable,
    "attached": _attached_key,
    "source": _source_key,
    "created": lambda v, _: v.created_at or _EPOCH,
}
DEFAULT_SORT = "-created"


@dataclass(frozen=True)
class VolumeQuery:
    q: str = ""
    status: str = ""
    az: str = ""
    source: str = ""
    sort: str = "created"
    direction: str = "desc"

    @classmethod
    def from_params(cls, params) -> VolumeQuery:
        """The list's query; `sort` as on every list ("-size": descending). A bookmark from before
        ("sort=size&dir=desc") still sorts the same."""
        value = params.get("sort", "")
        if params.get("dir") == "desc" and not value.startswith("-"):
            value = f"-{value}"
        sort, descending = sort_key(value, SORT_KEYS, DEFAULT_SORT)
        direction = "desc" if descending else "asc"
        return cls(
            q=params.get("q", "").strip()[:MAX_TEXT],
            status=params.get("status", "").strip()[:32],
            az=params.get("az", "").strip()[:32],
            source=params.get("source", "").strip()[:64],
            sort=sort,
            direction=direction,
        )

    @property
    def sort_value(self) -> str:
        return sort_param(self.sort, self.direction == "desc")

    def matches(self, volume: Volume) -> bool:
        if not text_matches(self.q, name=volume.display_name, resource_id=volume.id):
            return False
        if self.status and volume.status != self.status:
            return False
        if self.az and volume.availability_zone != self.az:
            return False
        return not self.source or self.source in (volume.snapshot_id, volume.source_volid, volume.image_id)

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.status or self.az or self.source)


# Sorts by what each volume says of itself alone: a listing's copy keeps their order (console.inventory
# Listing.derived), worked out once per refresh. The others also read other listings and the
# console's own records (servers' names, backups restored): sorted on every page.
SELF_SORTS = frozenset({"name", "size", "status", "az", "bootable", "created"})


def _sorted(volumes: Iterable[Volume], lookups: Lookups, query: VolumeQuery) -> list[Volume]:
    key = SORT_KEYS[query.sort]
    ordered = sorted(volumes, key=lambda v: v.id)  # a stable order among equal keys
    ordered.sort(key=lambda v: key(v, lookups), reverse=query.direction == "desc")
    return ordered


def volume_list_filtered(*, volumes: Listing, lookups: Lookups, query: VolumeQuery) -> list[Volume]:
    """All matching volumes of the listing, sorted on the whole listing (pagination comes after).

    With 10,000 volumes sorting them is most of a page's time: the order of a sort by the volumes'
    own fields is kept with the listing's copy (one sort per refresh), and filtering keeps it."""
    if query.sort in SELF_SORTS:
        ordered = volumes.derived(
            ("volumes sorted", query.sort, query.direction),
            lambda: tuple(_sorted(volumes.items, lookups, query)),
        )
    else:
        ordered = _sorted(volumes.items, lookups, query)
    if not query.filtered:
        return list(ordered)
    return [volume for volume in ordered if query.matches(volume)]


# --- one volume -----------------------------------------------------------------------------------


def volume_find(ctx: CloudContext, *, volume_id: str) -> Volume:
    """The project's volume, from its listing (console.inventory.listing_find: no API call for an
    id that is no id, nor for one a fresh listing lacks; at most a few listing refreshes a minute).

    Raises api.NotFound for unknown ids and other projects' ids.
    """
    if not id_is_plausible(volume_id):
        raise api.NotFound(404, f"Volume {volume_id[:64]} could not be found.")
    volume = listing_find(ctx, "volumes", volume_id)
    if volume is None:
        raise api.NotFound(404, f"Volume {volume_id} could not be found.")
    return volume


def volume_snapshots(snapshots: Iterable[Snapshot], *, volume_id: str) -> list[Snapshot]:
    return [snapshot for snapshot in snapshots if snapshot.volume_id == volume_id]


def volume_backups(backups: Iterable[Backup], *, volume_id: str) -> list[Backup]:
    return [backup for backup in backups if backup.volume_id == volume_id]


def volume_derived_count(*, volume_id: str, volumes: Iterable[Volume], snapshots: Iterable[Snapshot]) -> int:
    """Resources made from this origin volume that still exist: its snapshots, volumes made from
    those snapshots, and its clones. The API counts operations ever performed, so this is a floor."""
    snapshot_ids = {snapshot.id for snapshot in snapshots if snapshot.volume_id == volume_id}
    derived_volumes = [v for v in volumes if v.source_volid == volume_id or v.snapshot_id in snapshot_ids]
    return len(snapshot_ids) + len(derived_volumes)


@dataclass(frozen=True)
class Action:
    key: str
    label: str
    url: str
    allowed: bool
    reason: str = ""  # why not, when not allowed
    danger: bool = False


def volume_actions(
    volume: Volume,
    *,
    attached: tuple[AttachedTo, ...],
    edit_url: str,
    delete_url: str,
    has_snapshots: bool,
    quota_blocked: str = "",
    snapshot_quota_blocked: str | None = None,
    extend_url: str = "",
    extend_refusal: str = "",
    attach_refusal: str = "",
    read_only: bool = False,
    deletable: Collection[str] = DELETABLE,
    deletable_rule: str = "it must be available or in an error state other than detaching",
) -> list[Action]:
    """The actions of the detail page, each with why it is not possible now.

    `quota_blocked` (console.quota.QuotaUsage.blocked_reason of a volume) disables what a full quota
    would refuse; `snapshot_quota_blocked` the same for a snapshot (the seed's API counts both
    together: the same reason). `extend_refusal` and `attach_refusal`: why the cloud cannot extend or
    attach at all (its dialect, its catalog). `read_only`: the user's role can only read, so every
    action says so."""
    actions = _volume_actions(
        volume,
        attached=attached,
        edit_url=edit_url,
        delete_url=delete_url,
        extend_url=extend_url,
        has_snapshots=has_snapshots,
        quota_blocked=quota_blocked,
        snapshot_quota_blocked=quota_blocked if snapshot_quota_blocked is None else snapshot_quota_blocked,
        extend_refusal=extend_refusal,
        attach_refusal=attach_refusal,
        deletable=deletable,
        deletable_rule=deletable_rule,
    )
    if read_only:
        reason = "Your role in this project can only read."
        return [dataclasses.replace(action, allowed=False, reason=reason) for action in actions]
    return actions


def _volume_actions(
    volume: Volume,
    *,
    attached: tuple[AttachedTo, ...],
    edit_url: str,
    delete_url: str,
    extend_url: str,
    has_snapshots: bool,
    quota_blocked: str,
    snapshot_quota_blocked: str,
    extend_refusal: str,
    attach_refusal: str,
    deletable: Collection[str],
    deletable_rule: str,
) -> list[Action]:
    info = status_info(volume.status)
    status = volume.status
    label = info.label.lower()
    available = status == "available"

    def quota_full(blocked: str) -> str:
        return f"The quota is full: {blocked} Delete what you no longer need, or ask for more quota."

    def only_available(what: str) -> str:
        return "" if available else f"Only an available volume can be {what}; this one is {label}."

    def counted(what: str, blocked: str) -> tuple[bool, str]:
        """Allowed, and why not, of an action that makes a volume or a snapshot (quota-counted)."""
        if not available:
            return False, only_available(what)
        return (False, quota_full(blocked)) if blocked else (True, "")

    actions = [
        Action(
            "edit",
            "Edit",
            edit_url,
            status != "deleting",
            "" if status != "deleting" else "The volume is being deleted.",
        ),
        Action(
            "snapshot",
            "Take snapshot",
            "/snapshots/create/?" + urlencode({"volume_id": volume.id}),
            *counted("snapshotted", snapshot_quota_blocked),
        ),
        Action(
            "backup",
            "Back up",
            "/backups/create/?" + urlencode({"volume_id": volume.id}),
            available,
            only_available("backed up"),
        ),
        Action(
            "clone",
            "Create volume from it",
            "/volumes/create/?" + urlencode({"source_volid": volume.id}),
            *counted("cloned", quota_blocked),
        ),
        Action(
            "extend",
            "Extend",
            extend_url,
            bool(extend_url) and not extend_refusal,
            extend_refusal,
        ),
        Action(
            "attach",
            "Attach to a server",
            "/servers/attach/?" + urlencode({"volume_id": volume.id}),
            not attach_refusal and available and not volume.attachments,
            attach_refusal
            or only_available("attached")
            or ("It is already attached." if volume.attachments else ""),
        ),
    ]
    for server in attached:
        if not server.server_id:
            continue  # attached to a host, not a server: Compute did not make it, Compute cannot undo it
        can_detach = status in ("in-use", "error_detaching")
        actions.append(
            Action(
                "detach",
                f"Detach from {server.server_name}",
                f"/servers/{quote(server.server_id, safe='')}/detach/{quote(volume.id, safe='')}/",
                can_detach and not attach_refusal,
                attach_refusal
                or (
                    ""
                    if can_detach
                    else f"Wait until the volume is in use or failed to detach; it is {label}."
                ),
            )
        )
    blockers = volume_delete_blockers(
        volume, has_snapshots=has_snapshots, deletable=deletable, deletable_rule=deletable_rule
    )
    actions.append(
        Action("delete", "Delete", delete_url, not blockers, " ".join(b.text for b in blockers), danger=True)
    )
    return actions


@dataclass(frozen=True)
class Blocker:
    kind: str  # busy | attached | snapshots | status
    text: str


def volume_delete_blockers(
    volume: Volume,
    *,
    has_snapshots: bool,
    deletable: Collection[str] = DELETABLE,
    deletable_rule: str = "it must be available or in an error state other than detaching",
) -> list[Blocker]:
    """Why the API would refuse to delete this volume now (empty: it may be deleted). `deletable`
    and `deletable_rule`: the statuses the dialect deletes from (Dialect.deletable_volume_statuses)."""
    info = status_info(volume.status)
    blockers = []
    if info.transitional:
        blockers.append(
            Blocker("busy", f"The volume is {info.label.lower()}: wait until that finishes, then delete it.")
        )
    if volume.attachments:
        blockers.append(Blocker("attached", "The volume is attached to a server: detach it first."))
    if has_snapshots:
        blockers.append(Blocker("snapshots", "The volume has snapshots: delete them first."))
    if not blockers and volume.status not in deletable:
        blockers.append(
            Blocker("status", f"A volume that is {info.label.lower()} cannot be deleted ({deletable_rule}).")
        )
    return blockers
