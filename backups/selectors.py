"""Reads of the backups section, from the shared per-project inventory and the lifecycle events."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from console import api
from console.api.context import CloudContext
from console.api.records import Backup, Volume
from console.ids import id_is_plausible
from console.inventory import listing_find
from console.lists import sorted_by, text_matches
from console.models import LifecycleEvent

DEFAULT_CONTAINER = "volumebackups"  # spec 4.5.4.4: the container used when none is given
DELETABLE = ("available", "error")
# Size buckets (GB) for "typically about N min for X GB": backups of similar size take similar time.
SIZE_BUCKETS = ((1, 10), (11, 100), (101, 500), (501, 2047))
# The note of the lifecycle event that shows a volume being restored from a backup.
RESTORE_NOTE = "restore of backup {backup_id}"


# The list's sort orders: parameter -> (label, key). "-created" (newest first) by default.
SORTS: dict[str, tuple[str, Any]] = {
    "name": ("Name", lambda b: ((b.name or "").lower(), b.id)),
    "created": ("Created", lambda b: (b.created_at is not None, b.created_at or 0, b.id)),
    "size": ("Size", lambda b: (b.size if b.size is not None else -1, b.id)),
    "status": ("Status", lambda b: (b.status or "", b.id)),
}
DEFAULT_SORT = "-created"


def backup_filter(
    backups: Iterable[Backup],
    *,
    status: str = "",
    volume_id: str = "",
    name: str = "",
    sort: str | None = None,
) -> list[Backup]:
    """Backups with this status, of this volume, whose name or id matches `name`
    (console.lists.text_matches), sorted."""
    found = [
        backup
        for backup in backups
        if (not status or backup.status == status)
        and (not volume_id or backup.volume_id == volume_id)
        and text_matches(name, name=backup.name, resource_id=backup.id)
    ]
    return sorted_by(found, sort, SORTS, DEFAULT_SORT)


def backup_find(ctx: CloudContext, *, backup_id: str) -> Backup:
    """The project's backup, from its listing (console.inventory.listing_find: no API call for an id
    a fresh listing lacks). NotFound when it is not ours."""
    if not id_is_plausible(backup_id):
        raise api.NotFound(404, f"Backup {backup_id[:64]} could not be found.")
    backup = listing_find(ctx, "backups", backup_id)
    if backup is None:
        raise api.NotFound(404, f"Backup {backup_id} could not be found.")
    return backup


def restore_refusal(*, backup: Backup, volume: Volume) -> str:
    """Why a backup cannot be restored into this volume ("" when it can)."""
    if volume.status != "available":
        return (
            f"Volume {volume.name} is {volume.status}: a backup can only be restored into an available "
            "volume (detach it, or wait until it is available)."
        )
    if backup.size is not None and volume.size < backup.size:
        return (
            f"Volume {volume.name} has {volume.size} GB, less than the backup's {backup.size} GB: "
            "choose a volume at least as large."
        )
    return ""


def restore_targets(*, backup: Backup, volumes: Iterable[Volume]) -> list[Volume]:
    """The volumes a backup can be restored into: available and at least as large."""
    return [volume for volume in volumes if not restore_refusal(backup=backup, volume=volume)]


def restored_into(ctx: CloudContext, *, backup_id: str) -> str | None:
    """The volume the latest restore of this backup (through the console) went into."""
    event = (
        LifecycleEvent.objects.filter(
            project_id=ctx.project_id,
            region=ctx.region,
            resource_type="volume",
            note=RESTORE_NOTE.format(backup_id=backup_id),
        )
        .order_by("observed_at", "id")
        .last()
    )
    return event.resource_id if event else None


def size_bucket(size: int) -> tuple[int, int]:
    return next((bucket for bucket in SIZE_BUCKETS if bucket[0] <= size <= bucket[1]), SIZE_BUCKETS[-1])


def duration_words(seconds: float) -> str:
    """A duration the way a person says it: "40 s", "3 min", "1 h 5 min"."""
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


@dataclass(frozen=True)
class Typical:
    seconds: float
    bucket: tuple[int, int]
    samples: int

    @property
    def words(self) -> str:
        low, high = self.bucket
        return f"typically about {duration_words(self.seconds)} for {low}–{high} GB"


def backup_durations(ctx: CloudContext, *, sizes: dict[str, int]) -> dict[tuple[int, int], list[float]]:
    """Seconds from creating to available of the project's finished backups, by size bucket.

    From the stored lifecycle events (the first `creating` of a backup and the first `available`
    after it); `sizes` gives each backup's size (backups no longer listed have none and are left out).
    """
    started: dict[str, datetime] = {}
    durations: dict[tuple[int, int], list[float]] = {}
    done: set[str] = set()
    events = LifecycleEvent.objects.filter(
        project_id=ctx.project_id,
        region=ctx.region,
        resource_type="backup",
        to_status__in=("creating", "available"),
        resource_id__in=list(sizes),
    ).order_by("observed_at", "id")
    for event in events.only("resource_id", "to_status", "observed_at"):
        backup_id = event.resource_id
        if event.to_status == "creating":
            started.setdefault(backup_id, event.observed_at)
        elif backup_id in started and backup_id not in done:
            done.add(backup_id)
            seconds = (event.observed_at - started[backup_id]).total_seconds()
            durations.setdefault(size_bucket(sizes[backup_id]), []).append(seconds)
    return durations


def backup_typical(durations: dict[tuple[int, int], list[float]], *, size: int | None) -> Typical | None:
    """The median duration of finished backups of a similar size; None without history."""
    if size is None:
        return None
    bucket = size_bucket(size)
    samples = durations.get(bucket)
    if not samples:
        return None
    return Typical(seconds=statistics.median(samples), bucket=bucket, samples=len(samples))


def running_seconds(backup: Backup, *, now: datetime | None = None) -> int | None:
    """Seconds a backup has been running, from its created_at (None when unknown)."""
    if backup.created_at is None:
        return None
    return max(0, round(((now or timezone.now()) - backup.created_at).total_seconds()))


def running_for(backup: Backup, *, now: datetime | None = None) -> str:
    """How long a backup has been running, in words ("" when unknown). Pages count on from
    `running_seconds` in the browser (static/console/live.js), in the same words."""
    seconds = running_seconds(backup, now=now)
    return "" if seconds is None else duration_words(seconds)
