"""Reads of the snapshots section, from the shared per-project inventory (no API call of their own
beyond the inventory's single-flight refreshes and its bounded lookups of ids not listed).

A few helpers here are shared with the backups section (listing failures, the last status the
console observed of a resource). Sorting, searching and pages of every list: console.lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from console import api
from console.api.context import CloudContext
from console.api.errors import ApiError
from console.api.records import Snapshot, Volume
from console.ids import id_is_plausible
from console.inventory import Listing, listing_find
from console.lists import sorted_by, text_matches
from console.models import LifecycleEvent
from console.timeline import TimelineEntry
from volumes import selectors as volumes_selectors

# The spec's limit of snapshots + volumes made from one origin volume (4.5.2 Business Rules).
DERIVED_LIMIT = 10
DERIVED_WARNING = 8
DELETABLE = ("available", "error")

SORTS: dict[str, tuple[str, Any]] = {
    "name": ("Name", lambda s: (s.name.lower(), s.id)),
    "created": ("Created", lambda s: (s.created_at is None, s.created_at or 0)),
    "size": ("Size", lambda s: (s.size, s.id)),
    "status": ("Status", lambda s: (s.status or "", s.id)),
}
DEFAULT_SORT = "-created"


def listing_error(listing: Listing) -> ApiError | None:
    """The error to show when a listing could not be loaded at all (nothing to show instead)."""
    if listing.loaded or listing.failure is None:
        return None
    return listing.failure.error()


def status_observed(ctx: CloudContext, *, resource_type: str, resource_id: str) -> str | None:
    """The last status the console saw of a resource in this project (None: never seen)."""
    event = (
        LifecycleEvent.objects.filter(
            project_id=ctx.project_id,
            region=ctx.region,
            resource_type=resource_type,
            resource_id=resource_id,
        )
        .order_by("observed_at", "id")
        .last()
    )
    return event.to_status if event else None


def snapshot_filter(
    snapshots: Iterable[Snapshot], *, status: str = "", name: str = "", sort: str | None = None
) -> list[Snapshot]:
    """Snapshots with this status whose name or id matches `name` (console.lists.text_matches), sorted."""
    found = [
        snapshot
        for snapshot in snapshots
        if (not status or snapshot.status == status)
        and text_matches(name, name=snapshot.display_name, resource_id=snapshot.id)
    ]
    return sorted_by(found, sort, SORTS, DEFAULT_SORT)


def snapshot_find(ctx: CloudContext, *, snapshot_id: str) -> Snapshot:
    """The project's snapshot, from its listing (console.inventory.listing_find: no API call for an
    id a fresh listing lacks). NotFound when it is not ours."""
    if not id_is_plausible(snapshot_id):
        raise api.NotFound(404, f"Snapshot {snapshot_id[:64]} could not be found.")
    snapshot = listing_find(ctx, "snapshots", snapshot_id)
    if snapshot is None:
        raise api.NotFound(404, f"Snapshot {snapshot_id} could not be found.")
    return snapshot


def volume_find(ctx: CloudContext, *, volume_id: str) -> Volume:
    """The project's volume (volumes.selectors.volume_find). NotFound when it is not ours."""
    return volumes_selectors.volume_find(ctx, volume_id=volume_id)


@dataclass(frozen=True)
class Derived:
    """What the console knows was made from an origin volume (the cloud counts deleted ones too)."""

    snapshots: int
    volumes: int

    @property
    def count(self) -> int:
        return self.snapshots + self.volumes

    @property
    def at_limit(self) -> bool:
        return self.count >= DERIVED_LIMIT

    @property
    def near_limit(self) -> bool:
        return self.count >= DERIVED_WARNING


def volume_derived(*, volume_id: str, snapshots: Iterable[Snapshot], volumes: Iterable[Volume]) -> Derived:
    """Snapshots of the volume, clones of it and volumes made from its snapshots that exist now."""
    own = {snapshot.id for snapshot in snapshots if snapshot.volume_id == volume_id}
    made = sum(1 for volume in volumes if volume.source_volid == volume_id or volume.snapshot_id in own)
    return Derived(snapshots=len(own), volumes=made)


def volumes_from_snapshot(*, snapshot_id: str, volumes: Iterable[Volume]) -> list[Volume]:
    return [volume for volume in volumes if volume.snapshot_id == snapshot_id]


def failed_while(timeline: Sequence[TimelineEntry]) -> str:
    """The status a resource was in when it last went to error ("creating", "deleting"...), from its
    timeline; "" when the console did not see it happen."""
    for entry in reversed(timeline):
        if entry.to_info.status == "error":
            return entry.from_info.status if entry.from_info else ""
    return ""
