"""Writes the request log (support.models.ApiCall). console.api.http calls `api_call_record` once per
outbound call; a failure to write is logged and never reaches the caller."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from support.models import ApiCall

log = logging.getLogger(__name__)

# URL segments naming a collection, and the resource type of an id that follows them.
_COLLECTIONS = {
    "volumes": "volume",
    "snapshots": "snapshot",
    "backups": "backup",
    "servers": "server",
    "os-volume_attachments": "attachment",
    "images": "image",
}
_NOT_IDS = {"detail"}


def resource_from_path(path: str) -> tuple[str, str]:
    """(resource type, id) of an API path, for support search: the deepest collection with an id,
    else the deepest collection. /servers/S/os-volume_attachments/V -> ("attachment", V);
    /backups/B/restore -> ("backup", B); /volumes/detail -> ("volume", "")."""
    segments = [segment for segment in path.split("/") if segment]
    found: list[tuple[str, str]] = []
    for position, segment in enumerate(segments):
        if segment in _COLLECTIONS:
            following = segments[position + 1] if position + 1 < len(segments) else ""
            resource_id = "" if following in _NOT_IDS or following in _COLLECTIONS else following
            found.append((_COLLECTIONS[segment], resource_id))
    with_id = [item for item in found if item[1]]
    if with_id:
        return with_id[-1]
    return found[-1] if found else ("", "")


def api_call_record(
    *,
    created_at: datetime,
    request_id: str,
    console_request_id: str,
    user_id: str,
    user_name: str,
    project_id: str,
    project_name: str,
    region: str,
    service: str,
    method: str,
    path: str,
    status: int | None,
    duration_ms: int,
    attempt: int,
    priority: str,
    fault: str,
    message: str,
    created_id: str = "",
    waited_ms: int = 0,
) -> ApiCall | None:
    """Store one outbound call; None (and a logged error) when the database refuses.

    `created_id` is the id of what a create made (from its answer): a POST /volumes row is then
    found when support searches for the new volume's id.
    """
    resource_type, resource_id = resource_from_path(path)
    resource_id = resource_id or created_id
    call = ApiCall(
        created_at=created_at,
        # Ids are stored trimmed and lower case, so that support search is an exact, indexed match
        # whatever case a pasted id comes in (support.selectors normalises queries the same way).
        request_id=request_id.strip().lower()[:128],
        console_request_id=console_request_id.strip().lower()[:128],
        user_id=user_id[:64],
        user_name=user_name[:255],
        project_id=project_id[:64],
        project_name=project_name[:255],
        region=region[:64],
        service=service,
        method=method,
        path=path[:512],
        status=status,
        duration_ms=max(0, duration_ms),
        waited_ms=max(0, waited_ms),
        attempt=attempt,
        priority=priority,
        fault=fault[:64],
        message=message,
        resource_type=resource_type,
        resource_id=resource_id[:128],
    )
    try:
        if transaction.get_autocommit():
            # No transaction to protect: one INSERT (a listing of 11 pages is 11 rows; in a
            # transaction of its own each was BEGIN, INSERT and COMMIT, three round trips).
            call.save()
        else:
            # A savepoint, so that a failed write cannot break the caller's transaction.
            with transaction.atomic():
                call.save()
    except Exception:  # the log must never break the call it records
        log.exception("could not write the request log row for %s %s (request %s)", method, path, request_id)
        return None
    return call
