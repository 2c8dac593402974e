"""The seed's dialect: Cinder v1 as the spec describes it (docs/api/block-storage-api.md), which the
embedded emulator speaks.

`display_name` and `display_description`, JSON or XML (BLOCK_STORAGE_FORMAT), lists of at most
osapi_max_limit records paged by offset, three availability zones (az1, az2, az3; az2 when none is
given), no volume types, volumes of at most 2047 GB, at most 10 volumes and snapshots made from one
volume, volumes and snapshots counting together against one quota (over every region), and no
extend action.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

from console.api.context import CloudContext, Priority
from console.api.dialects.base import VOLUME, Dialect, QuotaSpec
from console.api.errors import MalformedResponse
from console.api.records import AvailabilityZone, Volume, VolumeType
from console.api.wire import WireFormat, wire_format

ZONES = ("az1", "az2", "az3")
# A listing longer than this many pages is refused as a loop.
MAX_PAGES = 1000
# A listing whose pages moved under it (records created or deleted meanwhile) starts again this often.
LIST_RESTARTS = 2


class CinderV1(Dialect):
    name = "cinder-v1"
    label = "Cinder v1 (the seed's API)"
    max_volume_size = 2047
    default_zone = "az2"
    restore_zone = "az2"
    derived_limit = 10
    deletable_volume_statuses = ("available", "error", "error_restoring", "error_attaching")
    deletable_volume_rule = "it must be available or in an error state other than detaching"
    name_field = "display_name"
    description_field = "display_description"
    quotas = (
        QuotaSpec(
            key="count",
            label="Volumes and snapshots",
            noun="volumes and snapshots",
            unit="",
            limit_key="maxTotalVolumes",
            used_keys=("totalVolumesUsed", "totalSnapshotsUsed"),
            counted=(("volumes", "count"), ("snapshots", "count")),
            note="Volumes and snapshots count together against maxTotalVolumes.",
        ),
        QuotaSpec(
            key="gigabytes",
            label="Storage",
            noun="gigabytes",
            unit="GB",
            limit_key="maxTotalVolumeGigabytes",
            used_keys=("totalGigabytesUsed",),
            counted=(("volumes", "gigabytes"), ("snapshots", "gigabytes")),
            note="Gigabytes of volumes and snapshots count together against maxTotalVolumeGigabytes.",
        ),
    )
    quota_spans_regions = True  # spec 4.5.2: per-project quotas
    quota_for = {
        "volume": ("count", "gigabytes"),
        "snapshot": ("count", "gigabytes"),
        "backup": None,  # the spec sets no backup quota
    }

    def wire(self) -> WireFormat:
        return wire_format(settings.BLOCK_STORAGE_FORMAT)

    def list_all(self, ctx: CloudContext, path: str, *, kind: str, root: str) -> list[Any]:
        """Every record of a collection. Cinder v1 answers at most osapi_max_limit records
        (BLOCK_STORAGE_MAX_LIMIT, 1,000) and pages by offset, without links: a full answer is
        continued with ?offset= until a shorter one. A project with fewer records costs one call.

        Offsets move when the collection changes between two pages (a volume created or deleted
        before the offset repeats one record or skips one: a skipped volume would look deleted). So
        each page after the first starts one record early, on the last record already read: if that
        record is not where it was, the listing starts again (at most LIST_RESTARTS times; after
        that, the records are kept once each by id). Same number of calls for an unchanged
        collection: the last full page is no longer followed by an empty one."""
        page_size = max(1, int(settings.BLOCK_STORAGE_MAX_LIMIT))
        decode = self.many_decoder(kind, root)
        first: list[Any] = self.call(ctx, VOLUME, "GET", path, decode=decode)
        call_ctx = dataclasses.replace(ctx, priority=Priority.USER)  # a listing that has begun is finished
        items, consistent = self._pages(call_ctx, path, decode, first, page_size)
        for _ in range(LIST_RESTARTS):
            if consistent:
                break
            first = self.call(call_ctx, VOLUME, "GET", path, decode=decode)
            items, consistent = self._pages(call_ctx, path, decode, first, page_size)
        return _once_each(items)

    def _pages(
        self, ctx: CloudContext, path: str, decode: Any, first: list[Any], page_size: int
    ) -> tuple[list[Any], bool]:
        """The pages after `first`, each overlapping the one before by a record; whether every
        overlap held (the collection did not move under the offsets)."""
        overlap = 1 if page_size > 1 else 0  # a page of one record has no room for it
        items = list(first)
        page = first
        for _ in range(MAX_PAGES):
            if len(page) < page_size:
                return items, True
            offset = len(items) - overlap
            page = self.call(ctx, VOLUME, "GET", f"{path}?{urlencode({'offset': offset})}", decode=decode)
            if overlap and (not page or _record_id(page[0]) != _record_id(items[-1])):
                return items + page, False
            items.extend(page[overlap:])
        raise MalformedResponse(200, "The cloud's list of resources never ended.", fault="malformedResponse")

    def extend_refusal(self, ctx: CloudContext, volume: Volume) -> str:
        return (
            "This cloud's Block Storage API (the seed's Cinder v1) has no extend action. To get a bigger "
            "volume, take a snapshot and create a larger volume from it."
        )

    def availability_zone_list(self, ctx: CloudContext) -> list[AvailabilityZone]:
        """The spec's three zones: the API has no call that lists them."""
        return [AvailabilityZone(zone) for zone in ZONES]

    def volume_type_list(self, ctx: CloudContext) -> list[VolumeType]:
        """The spec has no volume types."""
        return []


def _record_id(record: Any) -> Any:
    return getattr(record, "id", None)


def _once_each(records: list[Any]) -> list[Any]:
    """The records in their order, a record whose id came before left out."""
    seen: set[Any] = set()
    kept = []
    for record in records:
        key = _record_id(record)
        if key is not None and key in seen:
            continue
        seen.add(key)
        kept.append(record)
    return kept


CINDER_V1 = CinderV1()
