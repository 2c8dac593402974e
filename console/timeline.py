"""The lifecycle timeline of one resource: the status changes the console observed, oldest first.

Reads `LifecycleEvent` rows of the context's project and region only (another project's resource id
shows an empty timeline, never its history). Rendered by templates/components/timeline.html:

    {% include "components/timeline.html" with entries=timeline %}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from console.api.context import CloudContext
from console.models import LifecycleEvent
from console.statuses import StatusInfo, status_info

# A timeline shows at most this many of the latest events (a resource flapping for days stays readable).
TIMELINE_LIMIT = 50


@dataclass(frozen=True)
class TimelineEntry:
    observed_at: datetime
    from_info: StatusInfo | None  # None: the console saw the resource for the first time
    to_info: StatusInfo
    source: str  # refresh | action | watcher
    source_label: str  # "inventory refresh", "console action", ...
    request_id: str
    note: str


def timeline_for(
    ctx: CloudContext, *, resource_type: str, resource_id: str, limit: int = TIMELINE_LIMIT
) -> list[TimelineEntry]:
    """The latest `limit` status changes of a resource of the context's project and region, oldest first."""
    events = LifecycleEvent.objects.filter(
        project_id=ctx.project_id,
        region=ctx.region,
        resource_type=resource_type,
        resource_id=resource_id,
    ).order_by("-observed_at", "-id")[:limit]
    labels = dict(LifecycleEvent.Source.choices)
    return [
        TimelineEntry(
            observed_at=event.observed_at,
            from_info=status_info(event.from_status) if event.from_status else None,
            to_info=status_info(event.to_status),
            source=event.source,
            source_label=labels.get(event.source, event.source),
            request_id=event.request_id,
            note=event.note,
        )
        for event in reversed(events)
    ]
