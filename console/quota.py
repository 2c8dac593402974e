"""Quota usage: GET /limits gives the maxima, the inventory gives the usage.

The spec's /limits carries no totals, so usage is counted from the cached listings: volumes and
snapshots count together against maxTotalVolumes, and their gigabytes against
maxTotalVolumeGigabytes (resources in error count too, as in Cinder; deleted ones do not). Where
an API reports total*Used fields (modern Cinder), those win.

The quotas are the project's, in every region (spec 4.5.2 "per-project quotas"): the usage adds the
other regions' listings the console already has, without calling for them; a region never listed in
this cache is named in `uncounted_regions`, and the forms say its usage is left out.

One `QuotaUsage` serves the overview charts and the quota panels of the create-volume,
create-snapshot and restore forms (`usage.after(count=1, gigabytes=size)`). Reading it costs no
API call beyond the shared, single-refresher listings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from console.api.context import CloudContext
from console.inventory import Listing, RefreshFailure, listing_get

NEARLY_FULL = 0.8

COUNT_KEY = "maxTotalVolumes"
GIGABYTES_KEY = "maxTotalVolumeGigabytes"


@dataclass(frozen=True)
class Gauge:
    """Usage of one quota. `limit` is None when unknown (missing, invalid or /limits failed)."""

    label: str
    unit: str
    used: int
    limit: int | None

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

    def fits(self, extra: int) -> bool:
        """Whether `extra` more still fits (unknown limits do not block: the API will say)."""
        return self.limit is None or self.limit < 0 or self.used + extra <= self.limit


@dataclass(frozen=True)
class QuotaUsage:
    count: Gauge
    gigabytes: Gauge
    missing: tuple[str, ...] = ()  # /limits keys that were absent or invalid
    failure: RefreshFailure | None = None  # /limits (or a listing) could not be read
    counted: bool = True  # usage comes from complete listings
    uncounted_regions: tuple[str, ...] = ()  # other regions whose usage is not known here

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
            return f"The project uses {self.count.used} of {self.count.limit} volumes and snapshots."
        if self.gigabytes.state == "full":
            return f"The project uses {self.gigabytes.used} of {self.gigabytes.limit} GB."
        return ""


def _limit(absolute: dict[str, int], key: str, missing: list[str]) -> int | None:
    value = absolute.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < -1:
        missing.append(key)
        return None
    return value


def quota_usage(ctx: CloudContext) -> QuotaUsage:
    """The project's quota usage, from cached listings: the context's region (refreshed when due) and
    what the cache holds of the other regions (no call is made for them)."""
    limits_listing = listing_get(ctx, "limits")
    volumes = listing_get(ctx, "volumes")
    snapshots = listing_get(ctx, "snapshots")
    elsewhere = []
    for region, volume_url, compute_url in ctx.other_regions:
        other = dataclasses.replace(
            ctx, region=region, volume_url=volume_url, compute_url=compute_url, other_regions=()
        )
        cached = [listing_get(other, kind, refresh=False) for kind in ("volumes", "snapshots")]
        elsewhere.append((region, *cached))
    return quota_from(limits_listing, volumes, snapshots, elsewhere=elsewhere)


def quota_from(
    limits_listing: Listing,
    volumes: Listing,
    snapshots: Listing,
    *,
    elsewhere: Sequence[tuple[str, Listing, Listing]] = (),
) -> QuotaUsage:
    missing: list[str] = []
    limits = limits_listing.items[0] if limits_listing.items else None
    if limits is None:
        count_limit = gigabytes_limit = None
    else:
        count_limit = _limit(limits.absolute, COUNT_KEY, missing)
        gigabytes_limit = _limit(limits.absolute, GIGABYTES_KEY, missing)
    counted_volumes = [*volumes.items]
    counted_snapshots = [*snapshots.items]
    uncounted = []
    for region, other_volumes, other_snapshots in elsewhere:
        if other_volumes.loaded and other_snapshots.loaded:
            counted_volumes.extend(other_volumes.items)
            counted_snapshots.extend(other_snapshots.items)
        else:
            uncounted.append(region)
    used_count = len(counted_volumes) + len(counted_snapshots)
    used_gigabytes = sum(v.size for v in counted_volumes) + sum(s.size for s in counted_snapshots)
    if limits is not None:
        # Modern Cinder reports usage itself; prefer it to our count.
        reported_count = limits.absolute.get("totalVolumesUsed")
        if isinstance(reported_count, int):
            used_count = reported_count + (limits.absolute.get("totalSnapshotsUsed") or 0)
        reported_gb = limits.absolute.get("totalGigabytesUsed")
        if isinstance(reported_gb, int):
            used_gigabytes = reported_gb
    failure = limits_listing.failure or volumes.failure or snapshots.failure
    return QuotaUsage(
        count=Gauge("Volumes and snapshots", "", used_count, count_limit),
        gigabytes=Gauge("Storage", "GB", used_gigabytes, gigabytes_limit),
        missing=tuple(missing),
        failure=failure,
        counted=volumes.loaded and snapshots.loaded,
        uncounted_regions=tuple(uncounted),
    )
