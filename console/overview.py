"""The overview (the landing page): quota and limit usage charts for the chosen region.

Everything comes from the shared, single-refresher listings (limits, volumes, snapshots, backups)
and from the console's own call budget: opening the overview in any number of tabs costs at most
one GET /limits per INVENTORY_STATIC_INTERVAL per project, and the chart region's periodic htmx
refresh reads the same cache.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from console import api
from console.api.budget import budget_rate
from console.api.context import CloudContext
from console.api.errors import ApiError
from console.charts import BarList, QuotaChart, bar_list, quota_chart
from console.inventory import Listing, listing_get
from console.quota import QuotaUsage, quota_usage
from console.session import cloud_context
from console.statuses import status_info

CHARTS_ID = "overview-charts"
# The chart region re-reads the cached listings this often (seconds); it never calls the API itself.
REFRESH_SECONDS = 10
# The spec's documented rate limit (4.5.2): worth saying even when /limits reports none.
SPEC_RATE_NOTE = "The spec documents a limit of 1 call per second for each project."
# Where each kind's list page lives (other sections' pages: literal paths, see the URL contract).
LIST_PATHS = {"volumes": "/volumes/", "snapshots": "/snapshots/", "backups": "/backups/"}
KIND_LABELS = {"volumes": "Volumes", "snapshots": "Snapshots", "backups": "Backups"}


@dataclass(frozen=True)
class Overview:
    usage: QuotaUsage
    charts: tuple[QuotaChart, ...]  # one per quota of the dialect (the seed's: count and gigabytes)
    zones: BarList
    statuses: tuple[tuple[str, BarList], ...]  # (kind, bars) for volumes, snapshots, backups
    rates: tuple[api.RateLimit, ...]
    limits_loaded: bool
    limits_request_id: str
    budget: api.BudgetUsage  # Block Storage's
    budget_rate: float
    compute_budget: api.BudgetUsage  # Compute's (metered on its own)
    compute_rate: float
    errors: tuple[ApiError, ...]
    volume_count: int
    volume_gigabytes: int
    volumes_loaded: bool
    api_label: str  # the Block Storage dialect the region speaks, for people

    @property
    def rates_text(self) -> tuple[str, str]:
        """The Block Storage and Compute rates as a person writes them (1, 0.5, 2)."""
        return f"{self.budget_rate:g}", f"{self.compute_rate:g}"

    @property
    def missing_labels(self) -> list[str]:
        nouns = {gauge.limit_key: gauge.noun for gauge in self.usage.gauges}
        return [f"{key} (the most {nouns.get(key, key)})" for key in self.usage.missing]


def _link(kind: str, **query: str) -> str:
    return f"{LIST_PATHS[kind]}?{urlencode(query)}"


def _errors(listings: tuple[Listing, ...]) -> tuple[ApiError, ...]:
    """The failed refreshes of these listings, as errors the error component shows (with request ids)."""
    errors: list[ApiError] = []
    seen: set[tuple[str, str]] = set()
    for listing in listings:
        failure = listing.failure
        if failure is None or (failure.message, failure.request_id) in seen:
            continue
        seen.add((failure.message, failure.request_id))
        errors.append(failure.error())
    return tuple(errors)


def _zones(volumes: Listing, snapshots: Listing, zones: Listing) -> BarList:
    """Gigabytes per availability zone: each volume in its zone, each snapshot in its volume's zone;
    every zone the cloud offers is listed, empty or not."""
    gigabytes: Counter[str] = Counter({zone.name: 0 for zone in zones.items})
    for volume in volumes.items:
        gigabytes[volume.availability_zone or "unknown"] += volume.size
    for snapshot in snapshots.items:
        origin = volumes.by_id.get(snapshot.volume_id)
        gigabytes[(origin.availability_zone if origin else None) or "unknown"] += snapshot.size
    rows = [(zone, gigabytes[zone], _link("volumes", az=zone), "zone") for zone in sorted(gigabytes)]
    return bar_list(chart_id="chart-zones", title="Gigabytes by availability zone", unit="GB", rows=rows)


def _statuses(kind: str, listing: Listing) -> BarList:
    counts = Counter(item.status or "unknown" for item in listing.items)
    rows = [
        (status_info(status).label, count, _link(kind, status=status), status_info(status).tone)
        for status, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    ]
    return bar_list(
        chart_id=f"chart-status-{kind}", title=f"{KIND_LABELS[kind]} by status", unit="", rows=rows
    )


def overview_get(*, ctx: CloudContext) -> Overview:
    """Everything the overview shows, from the cached listings and the console's budget.

    A listing refused with 401 raises Unauthorized (the login ended): CloudSessionMiddleware then
    sends the user to log in again.
    """
    usage = quota_usage(ctx, every=True)  # refreshes the limits listing and those the quotas count
    limits = listing_get(ctx, "limits", refresh=False)
    volumes = listing_get(ctx, "volumes", refresh=False)
    snapshots = listing_get(ctx, "snapshots", refresh=False)
    backups = listing_get(ctx, "backups")
    # Read last: the zones no volume is in yet are the first thing to go when the page's time is spent.
    zones = listing_get(ctx, "zones")
    volume_gigabytes = sum(volume.size for volume in volumes.items)
    record = limits.items[0] if limits.items else None
    charts = []
    for gauge in usage.gauges:
        parts = usage.parts.get(gauge.key, ())
        # Parts of their own colour when there are several; one part takes the gauge's state colour.
        tones = [(label, value, kind if len(parts) > 1 else "used") for label, value, kind in parts]
        charts.append(quota_chart(chart_id=gauge.chart_id, gauge=gauge, parts=tones))
    return Overview(
        usage=usage,
        charts=tuple(charts),
        zones=_zones(volumes, snapshots, zones),
        statuses=tuple(
            (kind, _statuses(kind, listing))
            for kind, listing in (("volumes", volumes), ("snapshots", snapshots), ("backups", backups))
        ),
        rates=record.rate if record else (),
        limits_loaded=limits.loaded,
        limits_request_id=limits.request_id,
        budget=api.budget_usage(project_id=ctx.project_id, api="volume"),
        budget_rate=budget_rate("volume"),
        compute_budget=api.budget_usage(project_id=ctx.project_id, api="compute"),
        compute_rate=budget_rate("compute"),
        errors=_errors((limits, volumes, snapshots, backups)),
        volume_count=len(volumes.items),
        volume_gigabytes=volume_gigabytes,
        volumes_loaded=volumes.loaded,
        api_label=api.dialect_of(ctx).describe(ctx),
    )


@login_required
@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    data = overview_get(ctx=cloud_context(request))
    context = {"overview": data, "charts_id": CHARTS_ID, "refresh_seconds": REFRESH_SECONDS}
    context["spec_rate_note"] = SPEC_RATE_NOTE
    if request.htmx and request.htmx.target == CHARTS_ID:
        return render(request, "console/_overview_charts.html", context)
    return render(request, "console/overview.html", context)
