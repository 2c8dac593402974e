"""Reads of the request log for the support pages. Nothing here calls the cloud.

Search by request id is a prefix search that an ordinary B-tree index answers: the stored ids are
lower case (support.recorder), the query is normalised to lower case, and a prefix becomes the
range `prefix <= request_id < next(prefix)`. (`LIKE 'prefix%'` is case-insensitive in SQLite and
cannot use a normal index; `__istartswith` cannot either.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from console.api.context import CloudContext
from console.models import LifecycleEvent
from console.timeline import TimelineEntry, timeline_for
from support.models import ApiCall

REQUEST_ID_PREFIX = "req-"
# The shortest prefix worth searching for (without "req-"): shorter ones match too much.
MIN_PREFIX = 8
EXPORT_CAP = 10_000
PAGE_SIZE = 50
# How many resources a call's page shows the timeline of, when the call touched several.
TIMELINE_RESOURCES = 5

# The API resource types whose console pages exist, and the lifecycle kind of each.
CONSOLE_PAGES = {
    "volume": "/volumes/{id}/",
    "snapshot": "/snapshots/{id}/",
    "backup": "/backups/{id}/",
    "server": "/servers/{id}/",
}
# An attachment's id is the volume's: its lifecycle is the volume's.
LIFECYCLE_TYPES = {"volume": "volume", "snapshot": "snapshot", "backup": "backup", "attachment": "volume"}
STATUS_CLASSES = {
    "2xx": Q(status__gte=200, status__lt=300),
    "4xx": Q(status__gte=400, status__lt=500),
    "5xx": Q(status__gte=500, status__lt=600),
    "none": Q(status__isnull=True),
}
# The endpoint part of a logged path: anything up to the API version and the project id after it:
# /volume/<region>/v1/<project> and /compute/<region>/v2/<project> (the seed's cloud), /v3/<project>
# (Cinder), /compute/v2.1/<project> (Nova).
_ENDPOINT_PREFIX = re.compile(r"^(?:/[^/]+)*?/v[0-9]+(?:\.[0-9]+)?/[0-9a-fA-F]{8,64}(?=/)")
_SERVER_IN_PATH = re.compile(r"/servers/([^/]+)/os-volume_attachments(?:/|$)")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNSAFE_FILENAME = re.compile(r"[^a-z0-9._-]+")


def path_short(path: str) -> str:
    """The path after the endpoint (region and project show in their own columns)."""
    return _ENDPOINT_PREFIX.sub("", path) or path


def request_id_normalise(raw: str) -> str:
    """What support pasted, as stored: spaces trimmed, lower case."""
    return raw.strip().lower()


def request_id_core(request_id: str) -> str:
    """The part of a (normalised) request id after an optional "req-"."""
    return request_id.removeprefix(REQUEST_ID_PREFIX)


def _prefix_range(column: str, prefix: str) -> Q:
    """`column` starts with `prefix`, as a range an index can answer."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{column}__gte": prefix, f"{column}__lt": upper})


def request_id_condition(query: str) -> Q:
    """Calls whose cloud request id, or console request id, starts with the normalised `query`.

    "req-1a2b3c4d", "1a2b3c4d" and "REQ-1A2B3C4D" find the same calls; the console's own ids
    (shown when the cloud never answered) carry no "req-".
    """
    core = request_id_core(query)
    return (
        _prefix_range("request_id", REQUEST_ID_PREFIX + core)
        | _prefix_range("request_id", core)
        | _prefix_range("console_request_id", core)
    )


@dataclass(frozen=True)
class CallFilters:
    """A search of the request log; empty values do not filter."""

    q: str = ""
    project: str = ""
    user: str = ""
    region: str = ""
    status_class: str = ""
    method: str = ""
    service: str = ""
    resource_id: str = ""
    since: datetime | None = None
    until: datetime | None = None


def api_call_search(*, filters: CallFilters) -> QuerySet[ApiCall]:
    """The calls matching `filters`, newest first."""
    calls = ApiCall.objects.all()
    if filters.q:
        calls = calls.filter(request_id_condition(filters.q))
    if filters.project:
        calls = calls.filter(Q(project_id=filters.project) | Q(project_name=filters.project))
    if filters.user:
        calls = calls.filter(Q(user_id=filters.user) | Q(user_name=filters.user))
    if filters.region:
        calls = calls.filter(region=filters.region)
    if filters.status_class:
        calls = calls.filter(STATUS_CLASSES[filters.status_class])
    if filters.method:
        calls = calls.filter(method=filters.method)
    if filters.service:
        calls = calls.filter(service=filters.service)
    if filters.resource_id:
        calls = calls.filter(resource_id=filters.resource_id)
    if filters.since:
        calls = calls.filter(created_at__gte=filters.since)
    if filters.until:
        calls = calls.filter(created_at__lte=filters.until)
    return calls.order_by("-created_at", "-id")


# --- Keyset pagination ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A position in the newest-first order: (created_at, id) of a row."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        micros = (self.created_at - EPOCH) // timedelta(microseconds=1)
        return f"{micros}-{self.id}"

    @classmethod
    def of(cls, call: ApiCall) -> Cursor:
        return cls(call.created_at, call.pk)


def cursor_decode(raw: str | None) -> Cursor | None:
    """The cursor in a page link; None for anything else (which shows the newest page)."""
    if not raw or len(raw) > 64:
        return None
    micros, sep, pk = raw.partition("-")
    if not sep or not micros.isdigit() or not pk.isdigit():
        return None
    try:
        created_at = EPOCH + timedelta(microseconds=int(micros))
    except OverflowError:
        return None
    return Cursor(created_at, int(pk))


@dataclass(frozen=True)
class CallPage:
    calls: list[ApiCall] = field(default_factory=list)
    newer: Cursor | None = None  # link to the newer page: rows after this one
    older: Cursor | None = None  # link to the older page: rows before this one
    first: bool = True


def api_call_page(
    *,
    calls: QuerySet[ApiCall],
    before: Cursor | None = None,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> CallPage:
    """One page of `calls` (newest first) in one query: older than `before`, or newer than `after`."""
    if after is not None:
        newer_rows = calls.filter(
            Q(created_at__gt=after.created_at) | Q(created_at=after.created_at, id__gt=after.id)
        ).order_by("created_at", "id")
        rows = list(newer_rows[: size + 1])
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        if not rows:
            return api_call_page(calls=calls, size=size)
        return CallPage(
            calls=rows,
            newer=Cursor.of(rows[0]) if more_newer else None,
            older=Cursor.of(rows[-1]),
            first=not more_newer,
        )
    if before is not None:
        calls = calls.filter(
            Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, id__lt=before.id)
        )
    rows = list(calls[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return CallPage(
        calls=rows,
        newer=Cursor.of(rows[0]) if before is not None and rows else None,
        older=Cursor.of(rows[-1]) if more_older else None,
        first=before is None,
    )


# --- One call and its story ----------------------------------------------------------------------


def api_call_get(*, pk: int) -> ApiCall | None:
    return ApiCall.objects.filter(pk=pk).first()


def api_call_siblings(*, call: ApiCall) -> list[ApiCall]:
    """Every call of the console request that made `call` (itself included), in the order sent."""
    if not call.console_request_id:
        return [call]
    return list(
        ApiCall.objects.filter(console_request_id=call.console_request_id).order_by("created_at", "id")
    )


@dataclass(frozen=True)
class ResourceLink:
    label: str
    resource_type: str
    resource_id: str
    url: str


def api_call_links(*, call: ApiCall) -> list[ResourceLink]:
    """The console pages of what the call touched (they show it only to users of its project)."""
    links = []
    server = _SERVER_IN_PATH.search(call.path)
    if call.resource_type == "attachment" and call.resource_id:
        links.append(ResourceLink("Volume", "volume", call.resource_id, f"/volumes/{call.resource_id}/"))
    elif call.resource_type in CONSOLE_PAGES and call.resource_id:
        page = CONSOLE_PAGES[call.resource_type].format(id=call.resource_id)
        links.append(
            ResourceLink(call.resource_type.capitalize(), call.resource_type, call.resource_id, page)
        )
    if server and not (call.resource_type == "server" and call.resource_id == server.group(1)):
        links.append(ResourceLink("Server", "server", server.group(1), f"/servers/{server.group(1)}/"))
    return links


@dataclass(frozen=True)
class Timeline:
    resource_type: str
    resource_id: str
    entries: list[TimelineEntry]
    url: str = ""


def _scope_of(call: ApiCall) -> CloudContext:
    """The project and region of `call`, in the shape console.timeline reads. It carries no token:
    the support pages read the local lifecycle events only and never call the cloud."""
    return CloudContext(
        token="",
        user_id=call.user_id,
        user_name=call.user_name,
        project_id=call.project_id,
        project_name=call.project_name,
        region=call.region,
        volume_url="",
        compute_url="",
    )


def api_call_timelines(*, call: ApiCall) -> list[Timeline]:
    """The lifecycle of what `call` touched: the resource it names, else the resources whose status
    changes this call showed (a listing that saw changes). At most TIMELINE_RESOURCES of them."""
    if not call.project_id or not call.region:
        return []
    lifecycle_type = LIFECYCLE_TYPES.get(call.resource_type, "")
    keys: list[tuple[str, str]] = []
    if lifecycle_type and call.resource_id:
        keys.append((lifecycle_type, call.resource_id))
    elif call.request_id:
        shown = LifecycleEvent.objects.filter(
            project_id=call.project_id, region=call.region, request_id=call.request_id
        ).order_by("observed_at", "id")
        for key in shown.values_list("resource_type", "resource_id"):
            if key not in keys and key[0] in CONSOLE_PAGES:
                keys.append(key)
    scope = _scope_of(call)
    return [
        Timeline(
            resource_type=resource_type,
            resource_id=resource_id,
            entries=timeline_for(scope, resource_type=resource_type, resource_id=resource_id),
            url=CONSOLE_PAGES[resource_type].format(id=resource_id),
        )
        for resource_type, resource_id in keys[:TIMELINE_RESOURCES]
    ]


# --- Export --------------------------------------------------------------------------------------

EXPORT_FIELDS = [
    "id",
    "created_at",
    "request_id",
    "console_request_id",
    "user_id",
    "user_name",
    "project_id",
    "project_name",
    "region",
    "service",
    "method",
    "path",
    "status",
    "duration_ms",
    "waited_ms",
    "attempt",
    "priority",
    "fault",
    "message",
    "resource_type",
    "resource_id",
]


def api_call_export_row(call: ApiCall) -> dict[str, Any]:
    """One call as plain JSON values (exactly the log's fields: it never holds a token)."""
    row = {name: getattr(call, name) for name in EXPORT_FIELDS}
    row["created_at"] = call.created_at.isoformat()
    return row


def api_call_export_rows(*, calls: QuerySet[ApiCall], cap: int = EXPORT_CAP) -> tuple[list[dict], bool]:
    """The newest `cap` calls as JSON rows, and whether more matched."""
    rows = [api_call_export_row(call) for call in calls[: cap + 1].iterator(chunk_size=2000)]
    return rows[:cap], len(rows) > cap


def lifecycle_export_rows(entries: Iterable[TimelineEntry]) -> list[dict[str, str]]:
    return [
        {
            "observed_at": entry.observed_at.isoformat(),
            "from_status": entry.from_info.status if entry.from_info else "",
            "to_status": entry.to_info.status,
            "request_id": entry.request_id,
            "source": entry.source,
            "note": entry.note,
        }
        for entry in entries
    ]


def export_filename(stem: str) -> str:
    """A safe download name: `stem` reduced to [a-z0-9._-]."""
    return _UNSAFE_FILENAME.sub("-", stem.lower()).strip("-")[:100] + ".json"
