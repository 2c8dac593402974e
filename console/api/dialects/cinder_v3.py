"""OpenStack Cinder's block-storage v3 API (Keystone catalog type `block-storage`, alias `volumev3`).

What differs from the seed's Cinder v1 (measured against Cinder 29):
- `name` and `description` (a `display_name` filter or field is silently ignored); JSON only (XML
  answers 415);
- lists come in pages of at most `osapi_max_limit` (1,000 by default, with or without `limit`), with
  a `<collection>_links` next link: `list_all` follows every one, through console.api.http like any
  call (the budget, the request log and the token host checks apply to each page);
- microversions: every call says `OpenStack-API-Version: volume <v>`, the highest the console knows
  (MICROVERSION) that the cloud offers (its version document, read once per region at login);
- availability zones from GET /os-availability-zone, volume types from GET /types, no size cap but
  the quota, `os-extend` to grow a volume;
- volume attachments name a server only when Nova attached them (`server_id` may be null);
- /limits reports volumes, snapshots and backups each against their own quota; gigabytes count
  volumes and snapshots, backup gigabytes apart; `rate` is empty.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from console.api import http
from console.api.context import CloudContext, Priority
from console.api.dialects.base import VOLUME, Dialect, QuotaSpec, present, resource_id
from console.api.errors import MalformedResponse
from console.api.records import Attachment, AvailabilityZone, Volume, VolumeType
from console.api.wire import DecodeError, WireFormat, checked_id, checked_text, decoding

# The highest microversion the console is written for: 3.42 extends attached volumes; before 3.66
# a snapshot of an attached volume takes force=true, as the console sends it.
MICROVERSION = "3.60"
# Extending an attached (in-use) volume: from this microversion, with Compute to tell the guest.
EXTEND_ATTACHED = "3.42"
# A listing longer than this many pages is refused as a loop (1,000 per page: a million records).
MAX_PAGES = 1000
# Zone and type names are shown, stored and sent back (Cinder's columns are 255 characters).
MAX_ZONE_NAME = 255
MAX_TYPE_NAME = 255


def version_tuple(value: str) -> tuple[int, int]:
    """ "3.60" -> (3, 60); anything unreadable is (0, 0)."""
    major, _, minor = (value or "").partition(".")
    try:
        return int(major), int(minor or 0)
    except ValueError:
        return (0, 0)


def microversion_for(offered: str) -> str:
    """The microversion to ask for, given the highest one the cloud offers ("" when it has none)."""
    if version_tuple(offered) < (3, 0):
        return ""
    return min(offered, MICROVERSION, key=version_tuple)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_href: str  # "" on the last page


def _attachment(m: Mapping[str, Any]) -> Attachment:
    """One of a volume's attachments. Cinder names the server only when Compute attached it."""
    volume_id = m.get("volume_id") or m.get("id")
    if not volume_id:
        raise DecodeError("an attachment without a volume id")
    server_id = m.get("server_id")
    return Attachment(
        id=checked_id(m.get("attachment_id") or m.get("id") or volume_id, "attachment id"),
        server_id=checked_id(server_id, "server_id") if server_id else "",
        volume_id=checked_id(volume_id, "volume_id"),
        device=checked_text(m.get("device")),
        host_name=checked_text(m.get("host_name")),
    )


def _renamed(m: Mapping[str, Any]) -> dict[str, Any]:
    """A v3 volume or snapshot in the spec's field names."""
    return {**m, "display_name": m.get("name"), "display_description": m.get("description")}


class CinderV3(Dialect):
    name = "cinder-v3"
    label = "Cinder v3"
    deletable_volume_statuses = ("available", "error", "error_restoring", "error_extending", "error_managing")
    deletable_volume_rule = "it must be available, or in error after a create, restore or extend"
    quotas = (
        QuotaSpec(
            key="volumes",
            label="Volumes",
            noun="volumes",
            unit="",
            limit_key="maxTotalVolumes",
            used_keys=("totalVolumesUsed",),
            counted=(("volumes", "count"),),
            note="Every volume counts, whatever its status, against maxTotalVolumes.",
            reported_first=False,
        ),
        QuotaSpec(
            key="snapshots",
            label="Snapshots",
            noun="snapshots",
            unit="",
            limit_key="maxTotalSnapshots",
            used_keys=("totalSnapshotsUsed",),
            counted=(("snapshots", "count"),),
            note="Snapshots count against their own quota, maxTotalSnapshots.",
            reported_first=False,
        ),
        QuotaSpec(
            key="gigabytes",
            label="Storage",
            noun="gigabytes",
            unit="GB",
            limit_key="maxTotalVolumeGigabytes",
            used_keys=("totalGigabytesUsed",),
            counted=(("volumes", "gigabytes"), ("snapshots", "gigabytes")),
            note="Gigabytes of volumes and of snapshots count together against maxTotalVolumeGigabytes.",
            reported_first=False,
        ),
        QuotaSpec(
            key="backups",
            label="Backups",
            noun="backups",
            unit="",
            limit_key="maxTotalBackups",
            used_keys=("totalBackupsUsed",),
            counted=(("backups", "count"),),
            note="Backups count against maxTotalBackups.",
            reported_first=False,
        ),
        QuotaSpec(
            key="backup_gigabytes",
            label="Backup storage",
            noun="backup gigabytes",
            unit="GB",
            limit_key="maxTotalBackupGigabytes",
            used_keys=("totalBackupGigabytesUsed",),
            counted=(("backups", "gigabytes"),),
            note="Gigabytes of backups count against maxTotalBackupGigabytes, apart from the volumes'.",
            reported_first=False,
        ),
    )
    quota_for = {
        "volume": ("volumes", "gigabytes"),
        "snapshot": ("snapshots", "gigabytes"),
        "backup": ("backups", "backup_gigabytes"),
    }

    # --- transport --------------------------------------------------------------------------------

    def headers(self, ctx: CloudContext) -> dict[str, str]:
        return {"OpenStack-API-Version": f"volume {ctx.microversion}"} if ctx.microversion else {}

    def describe(self, ctx: CloudContext) -> str:
        return f"{self.label} (microversion {ctx.microversion or '3.0'})"

    def list_all(self, ctx: CloudContext, path: str, *, kind: str, root: str) -> list[Any]:
        """Every page of a collection, following the next links.

        Only the next link's query (marker, limit, sort) is used, on the catalog's own endpoint: a
        link naming another host, or a port the proxy in front of Cinder does not serve, never takes
        the token elsewhere. Later pages wait their turn in the budget like a user's call: a listing
        that has begun is finished (a background refresh would otherwise find no free slot for its
        second page, and a long listing would never refresh).
        """
        base = self.base_url(ctx, VOLUME) + path
        decode = self.page_decoder(kind, root)
        items: list[Any] = []
        url = base
        seen = {url}
        call_ctx = ctx
        for _ in range(MAX_PAGES):
            page: Page = self.send(call_ctx, VOLUME, "GET", url, decode=decode).data
            items.extend(page.items)
            if not page.next_href:
                return items
            query = urlencode(parse_qsl(urlsplit(page.next_href).query, keep_blank_values=True))
            url = f"{base}?{query}"
            if url in seen:
                break
            seen.add(url)
            call_ctx = dataclasses.replace(ctx, priority=Priority.USER)
        raise MalformedResponse(
            200,
            "The cloud's list of resources never ended (its next links go round).",
            fault="malformedResponse",
        )

    # --- records ----------------------------------------------------------------------------------

    def record(self, kind: str, mapping: Mapping[str, Any]) -> Any:
        if kind == "volume":
            volume: Volume = super().record(kind, {**_renamed(mapping), "attachments": ()})
            attachments = tuple(_attachment(a) for a in mapping.get("attachments") or ())
            return dataclasses.replace(volume, attachments=attachments)
        if kind == "snapshot":
            return super().record(kind, _renamed(mapping))
        if kind == "volume_type":
            return _volume_type(mapping)
        return super().record(kind, mapping)

    def page_decoder(self, kind: str, root: str) -> http.Decoder:
        @decoding
        def decode(fmt: WireFormat, body: bytes) -> Page:
            document = json.loads(body)
            if not isinstance(document, dict) or not isinstance(document.get(root), list):
                raise DecodeError(f"expected a JSON object with a {root!r} list")
            items = [self.record(kind, item) for item in document[root]]
            next_href = ""
            for link in document.get(f"{root}_links") or ():
                if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
                    next_href = str(link["href"])
            return Page(items, next_href)

        return decode

    # --- capabilities -----------------------------------------------------------------------------

    def extend_refusal(self, ctx: CloudContext, volume: Volume) -> str:
        if volume.status == "available":
            return ""
        if volume.status == "in-use":
            if version_tuple(ctx.microversion) < version_tuple(EXTEND_ATTACHED):
                return (
                    f"This cloud's Block Storage API (microversion {ctx.microversion or '3.0'}) extends "
                    "only volumes that are not attached: detach it first."
                )
            if not ctx.compute_url:
                return (
                    "An attached volume is extended with the help of Compute, which this region's catalog "
                    "lacks: detach it first."
                )
            return ""
        return "Only an available volume (or an attached one) can be extended."

    # --- zones and types --------------------------------------------------------------------------

    def availability_zone_list(self, ctx: CloudContext) -> list[AvailabilityZone]:
        @decoding
        def decode(fmt: WireFormat, body: bytes) -> list[AvailabilityZone]:
            zones = []
            for zone in fmt.many(body, "availabilityZoneInfo"):
                name = checked_text(zone["zoneName"]) or ""
                if not name or len(name) > MAX_ZONE_NAME:
                    raise DecodeError(f"not a zone name: {name[:80]!r}")
                state = zone.get("zoneState") or {}
                zones.append(AvailabilityZone(name=name, available=state.get("available", True) is not False))
            return zones

        return self.call(ctx, VOLUME, "GET", "/os-availability-zone", decode=decode)

    def volume_type_list(self, ctx: CloudContext) -> list[VolumeType]:
        return self.list_all(ctx, "/types", kind="volume_type", root="volume_types")

    # --- volumes ----------------------------------------------------------------------------------

    def volume_extend(self, ctx: CloudContext, volume_id: str, *, new_size: int) -> None:
        self.call(
            ctx,
            VOLUME,
            "POST",
            f"/volumes/{resource_id(volume_id)}/action",
            root="os-extend",
            fields=present(new_size=new_size),
        )


def _volume_type(m: Mapping[str, Any]) -> VolumeType:
    is_public = m.get("is_public", m.get("os-volume-type-access:is_public", True))
    name = checked_text(m.get("name")) or checked_id(m["id"], "volume type id")
    if len(name) > MAX_TYPE_NAME:
        raise DecodeError(f"not a volume type name: {name[:80]!r}")
    return VolumeType(
        id=checked_id(m["id"], "volume type id"),
        name=name,
        description=checked_text(m.get("description")),
        is_public=is_public is not False,
    )


CINDER_V3 = CinderV3()
