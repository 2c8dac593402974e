"""Quota usage: GET /limits gives the maxima (and, on modern clouds, the usage), the inventory counts
the usage too.

Which quotas a project has is the dialect's business (console.api.dialects: `Dialect.quotas`): the
seed's Cinder v1 counts volumes and snapshots together against maxTotalVolumes and their gigabytes
against maxTotalVolumeGigabytes; Cinder v3 has volumes, snapshots, gigabytes (of volumes and
snapshots), backups and backup gigabytes, each against its own maximum. Usage is counted from the
cached listings (resources in error count too, as in Cinder; deleted ones do not), or taken from the
total*Used fields /limits reports: the seed's dialect prefers the reported figure, Cinder v3 the
count of its complete listings (it follows the console's own actions at once; /limits is read every
INVENTORY_STATIC_INTERVAL).

Where the dialect's quotas are the project's across regions (the seed's API, spec 4.5.2 "per-project
quotas"), the usage adds the other regions' listings the console already has, without calling for
them; a region never listed in this cache is named in `uncounted_regions`, and the forms say its
usage is left out. Cinder keeps quotas per deployment (in practice per region), and reports its own.

One `QuotaUsage` serves the overview charts (`gauges`: every quota) and the quota panels and checks
of the forms that create something (`count` and `gigabytes`: what one more resource of that kind
counts against, `usage.after(count=1, gigabytes=size)`). Reading it costs no API call beyond the
shared, single-refresher listings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from console.api.context import CloudContext
from console.api.dialects import QuotaSpec, dialect_of
from console.inventory import Listing, RefreshFailure, listing_get

NEARLY_FULL = 0.8

# The seed's two quotas (kept for the pages that name them).
COUNT_KEY = "maxTotalVolumes"
GIGABYTES_KEY = "maxTotalVolumeGigabytes"


@dataclass(frozen=True)
class Gauge:
    """Usage of one quota. `limit` is None when unknown (missing, invalid or /limits failed)."""

    label: str
    unit: str
    used: int
    limit: int | None
    key: str = ""  # the dialect's quota key ("" for a gauge that counts nothing)
    noun: str = ""  # what it counts, in a sentence ("volumes and snapshots")
    note: str = ""
    limit_key: str = ""  # the /limits field of the maximum

    @property
    def unlimited(self) -> bool:
        return self.limit is not None and self.limit < 0

    @property
    def known(self) -> bool:
        return self.limit is not None

    @property
    def fraction(self) -> float | None:
        """Used / limit (may exceed 1 when usage is over the maximum); None if unknown or unlimited."""
        if self.limit is None or self.limit < 0:
            return None
        if self.limit == 0:
            return 1.0 if self.used == 0 else float(self.used)
        return self.used / self.limit

    @property
    def percent(self) -> int | None:
        fraction = self.fraction
        return None if fraction is None else round(fraction * 100)

    @property
    def state(self) -> str:
        """ok, nearly-full (80%), full (100% or more), unlimited or unknown."""
        if self.limit is None:
            return "unknown"
        if self.limit < 0:
            return "unlimited"
        if self.used >= self.limit:
            return "full"
        if self.fraction is not None and self.fraction >= NEARLY_FULL:
            return "nearly-full"
        return "ok"

    @property
    def remaining(self) -> int | None:
        if self.limit is None or self.limit < 0:
            return None
        return max(0, self.limit - self.used)

    @property
    def chart_id(self) -> str:
        return "chart-" + self.key.replace("_", "-")

    def fits(self, extra: int) -> bool:
        """Whether `extra` more still fits (unknown limits do not block: the API will say)."""
        return self.limit is None or self.limit < 0 or self.used + extra <= self.limit


# What a kind without a quota of its own counts against: nothing the console knows of.
_NO_QUOTA = Gauge("", "", 0, None)


@dataclass(frozen=True)
class QuotaUsage:
    count: Gauge  # what one more resource of the kind asked for counts against
    gigabytes: Gauge  # what its gigabytes count against
    missing: tuple[str, ...] = ()  # /limits keys that were absent or invalid
    failure: RefreshFailure | None = None  # /limits (or a listing) could not be read
    counted: bool = True  # usage comes from complete listings
    gauges: tuple[Gauge, ...] = ()  # every quota of the project, in the dialect's order
    uncounted_regions: tuple[str, ...] = ()  # other regions whose usage is not known here
    parts: dict[str, tuple[tuple[str, int, str], ...]] = dataclasses.field(default_factory=dict)

    def after(self, *, count: int = 0, gigabytes: int = 0) -> QuotaUsage:
        """The usage if `count` more resources of `gigabytes` GB in all were created."""
        return dataclasses.replace(
            self,
            count=dataclasses.replace(self.count, used=self.count.used + count),
            gigabytes=dataclasses.replace(self.gigabytes, used=self.gigabytes.used + gigabytes),
        )

    @property
    def blocked_reason(self) -> str:
        """Why creating more is impossible now, in plain words; empty when it is not."""
        if self.count.state == "full":
            return f"The project uses {self.count.used} of {self.count.limit} {self.count.noun}."
        if self.gigabytes.state == "full":
            return f"The project uses {self.gigabytes.used} of {self.gigabytes.limit} GB."
        return ""

    def gauge(self, key: str) -> Gauge | None:
        return next((gauge for gauge in self.gauges if gauge.key == key), None)


def _limit(absolute: dict[str, int], key: str, missing: list[str]) -> int | None:
    value = absolute.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < -1:
        missing.append(key)
        return None
    return value


_PART_LABELS = {"volumes": "Volumes", "snapshots": "Snapshots", "backups": "Backups"}


def _counted(listing: Listing, measure: str) -> int:
    if measure == "count":
        return len(listing.items)
    return sum(getattr(item, "size", None) or 0 for item in listing.items)


def quota_usage(ctx: CloudContext, kind: str = "volume", *, every: bool = False) -> QuotaUsage:
    """The project's quota usage in the context's region, from cached listings; `count` and
    `gigabytes` are what one more `kind` (volume, snapshot or backup) counts against. Only those
    quotas are worked out (and only their listings read, so a form's page makes no call for the
    others), unless `every` (the overview's charts)."""
    dialect = dialect_of(ctx)
    charge = dialect.quota_for.get(kind)
    specs = tuple(spec for spec in dialect.quotas if every or (charge and spec.key in charge))
    limits = listing_get(ctx, "limits")
    listings: dict[str, Listing] = {}
    for spec in specs:
        for listing_kind, _ in spec.counted:
            if listing_kind not in listings:
                listings[listing_kind] = listing_get(ctx, listing_kind)
    elsewhere = []
    if dialect.quota_spans_regions:
        for region, volume_url, compute_url in ctx.other_regions:
            other = dataclasses.replace(
                ctx, region=region, volume_url=volume_url, compute_url=compute_url, other_regions=()
            )
            elsewhere.append((region, {kind: listing_get(other, kind, refresh=False) for kind in listings}))
    return quota_from(limits, listings, specs=specs, charge=charge, elsewhere=elsewhere)


def quota_from(
    limits_listing: Listing,
    listings: dict[str, Listing],
    *,
    specs: tuple[QuotaSpec, ...],
    charge: tuple[str, str] | None,
    elsewhere: Sequence[tuple[str, dict[str, Listing]]] = (),
) -> QuotaUsage:
    missing: list[str] = []
    uncounted = [region for region, others in elsewhere if not all(o.loaded for o in others.values())]
    counted_elsewhere = [others for region, others in elsewhere if region not in uncounted]
    limits = limits_listing.items[0] if limits_listing.items else None
    gauges = []
    parts: dict[str, tuple[tuple[str, int, str], ...]] = {}
    complete = all(listings[kind].loaded for spec in specs for kind, _ in spec.counted)
    for spec in specs:
        limit = None if limits is None else _limit(limits.absolute, spec.limit_key, missing)
        spec_parts = tuple(
            (
                _PART_LABELS.get(kind, kind),
                _counted(listings[kind], measure)
                + sum(_counted(o[kind], measure) for o in counted_elsewhere),
                kind,
            )
            for kind, measure in spec.counted
        )
        used = sum(value for _, value, _ in spec_parts)
        reported = None if limits is None else limits.absolute.get(spec.used_keys[0])
        spec_complete = all(listings[kind].loaded for kind, _ in spec.counted)
        if isinstance(reported, int) and (spec.reported_first or not spec_complete):
            used = reported + sum(limits.absolute.get(key) or 0 for key in spec.used_keys[1:])
        gauges.append(
            Gauge(spec.label, spec.unit, used, limit, spec.key, spec.noun, spec.note, spec.limit_key)
        )
        parts[spec.key] = spec_parts
    by_key = {gauge.key: gauge for gauge in gauges}
    count, gigabytes = (by_key[charge[0]], by_key[charge[1]]) if charge else (_NO_QUOTA, _NO_QUOTA)
    failure = limits_listing.failure or next(
        (listing.failure for listing in listings.values() if listing.failure), None
    )
    return QuotaUsage(
        count=count,
        gigabytes=gigabytes,
        missing=tuple(missing),
        failure=failure,
        counted=complete,
        gauges=tuple(gauges),
        parts=parts,
        uncounted_regions=tuple(uncounted),
    )
