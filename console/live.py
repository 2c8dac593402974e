"""Live status badges: one poll per page region, answered from the shared inventory.

A page renders each resource's badge inside a stable slot (`status-<kind>-<id>`) and, when any of
them is transitional, one poller element. The poller asks `/live/<kind>/` for the ids it follows,
sending the status it currently shows for each (`s=<id>:<status>`). The console answers from the
cached listing (refreshing it at most once per interval, whoever asks), with out-of-band swaps for
the badges that changed only, and an `HX-Trigger: status-changed` event so that detail panels can
reload themselves. When nothing it follows is transitional (or unknown) any more it answers 286,
which stops htmx polling; a terminal badge is rendered without any hx- attribute at all.

Badges never call the API: however many tabs poll, the API sees one listing call per interval.

WHEN A POLLER POLLS AGAIN: just after its listing's next refresh is due (`poll_interval`), not on a
fixed beat. The first poll to come then makes the refresh; the others, arriving with it, wait the
few milliseconds it takes (console.inventory) and answer with it too. So every tab shows a change
as soon as the refresh that sees it has landed, instead of up to a poll interval later, and a tab
polls about once per refresh, not more. While a listing is moving it is refreshed as often as the
project's call budget allows (about once a second at 1 call/s), and its pollers follow that beat.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from console.inventory import RESOURCE_TYPES, Listing, listing_get
from console.session import cloud_context
from console.statuses import DELETED, is_followed, status_info

# htmx stops polling when it receives this status (htmx 2 and later).
STOP_POLLING = 286
# A poller follows at most this many resources (the URL stays short; a page shows at most a page).
MAX_FOLLOWED = 200
# A poll comes this long after its listing is due: the budget's turnstile has opened by then (the
# listing's age counts from just before its call went), so the refresh it triggers finds its turn.
POLL_LAG = 0.1
# ... and, each answer drawing anew, up to this much later: a project's tabs do not all come at the
# same instant, so the first makes the refresh and most others come once it has landed, instead of
# each holding a server thread while they wait for it (10 tabs of 20 projects held every thread).
POLL_SPREAD = 0.2


def parse_followed(values: list[str]) -> dict[str, str]:
    """`id:status` pairs from the query string; malformed or oversized values are ignored."""
    followed: dict[str, str] = {}
    for value in values[:MAX_FOLLOWED]:
        resource_id, _, status = value.partition(":")
        if resource_id and len(resource_id) <= 64 and len(status) <= 32:
            followed[resource_id] = status
    return followed


@login_required
@require_safe
def statuses(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in RESOURCE_TYPES:
        raise Http404
    followed = parse_followed(request.GET.getlist("s"))
    listing = listing_get(cloud_context(request), kind)
    current: dict[str, str] = {}
    for resource_id, shown in followed.items():
        if not listing.loaded:
            current[resource_id] = shown
        elif resource_id in listing.by_id:
            current[resource_id] = listing.by_id[resource_id].status
        else:
            current[resource_id] = DELETED
    changed = {rid: status for rid, status in current.items() if status != followed[rid]}
    still_moving = {rid: status for rid, status in current.items() if is_followed(status)}
    html = render_to_string(
        "components/status_update.html",
        {
            "kind": kind,
            "changed": [(rid, status_info(status)) for rid, status in changed.items()],
            # Re-rendered every time: it carries the statuses shown now, and its interval.
            "poller": poller_context(kind, still_moving, listing=listing),
        },
        # Without the request: the fragment needs nothing of the page frame, whose context processors
        # (navigation, permission queries) cost more than the rest of a poll (docs/performance.md).
    )
    response = HttpResponse(html, status=200 if still_moving else STOP_POLLING)
    if changed:
        response["HX-Trigger"] = json.dumps({"status-changed": {"kind": kind, "ids": sorted(changed)}})
    return response


def poller_context(kind: str, statuses: dict[str, str], *, listing: Listing | None = None) -> dict | None:
    """What the poller template needs, or None when nothing on the page is moving.

    Transitional statuses are followed every BADGE_POLL_INTERVAL; when only unknown statuses are
    left, at the idle pace of their listing (INVENTORY_IDLE_INTERVAL): an unknown status never
    freezes a badge, and never makes it poll fast for ever.

    `listing`: the listing the statuses come from. When its last refresh failed, the moving badges
    show statuses the console can no longer confirm: the poller backs off and says so (`stale`).
    """
    followed = {rid: status for rid, status in statuses.items() if is_followed(status)}
    if not followed:
        return None
    failure = listing.failure if listing is not None else None
    if any(status_info(status).transitional for status in followed.values()):
        # Back off while the inventory cannot be refreshed (the API failing): poll 4x less often.
        interval = settings.BADGE_POLL_INTERVAL * 4 if failure else poll_interval(listing)
    else:
        # Only unknown statuses: at the pace their (still) listing is refreshed.
        interval = max(settings.BADGE_POLL_INTERVAL, settings.INVENTORY_IDLE_INTERVAL)
    stale = None
    if failure is not None:
        stale = {
            "since": datetime.fromtimestamp(listing.fetched_at, tz=UTC) if listing.fetched_at else None,
            "message": failure.message,
        }
    return {
        "kind": kind,
        "follow": [f"{rid}:{status}" for rid, status in list(followed.items())[:MAX_FOLLOWED]],
        "interval": interval,
        "stale": stale,
    }


def poll_interval(listing: Listing | None) -> float:
    """Seconds until a poller's next poll: POLL_LAG (plus up to POLL_SPREAD) after its listing is
    next due, at least BADGE_POLL_MIN_INTERVAL and at most BADGE_POLL_INTERVAL. A listing overdue (its
    refresh found no turn in the call budget: a user's call went first) is tried again after the
    shortest pause."""
    longest = float(settings.BADGE_POLL_INTERVAL)
    shortest = min(longest, float(settings.BADGE_POLL_MIN_INTERVAL))
    if listing is None or not listing.loaded:
        return longest
    until = listing.next_refresh_at() - time.time()
    if until <= 0:
        return shortest
    lag = POLL_LAG + random.uniform(0.0, POLL_SPREAD)  # noqa: S311 - spreading polls, not a secret
    return round(min(longest, max(shortest, until + lag)), 2)
