"""Helpers of the snapshots and backups tests: a logged-in client against the real emulator, the
CloudContext of that login (to prepare volumes through console.api), and patient waiting."""

from __future__ import annotations

import re
import time

from console import api

SUBMISSION = re.compile(r'name="submission" value="([0-9a-f]{32})"')


def wait_for(predicate, timeout: float = 15.0, pause: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(pause)
    raise AssertionError("condition not met in time")


def volume_ready(ctx, *, size: int = 1, name: str = "vol", zone: str | None = None) -> api.Volume:
    """A new volume of the project, once available."""
    volume = api.volume_create(ctx, size=size, display_name=name, availability_zone=zone)
    return wait_for(lambda: _if_status(api.volume_get(ctx, volume.id), "available"))


def volume_attached(ctx, *, name: str = "attached") -> api.Volume:
    """A new volume attached to one of the project's seeded servers (in-use)."""
    server = api.server_list(ctx)[0]
    volume = volume_ready(ctx, name=name, zone=server.availability_zone)
    api.attachment_create(ctx, server.id, volume_id=volume.id)
    return wait_for(lambda: _if_status(api.volume_get(ctx, volume.id), "in-use"))


def _if_status(record, status: str):
    return record if record.status == status else None


def submission_of(response) -> str:
    """The one-time key a create form carries."""
    return SUBMISSION.search(response.content.decode()).group(1)


def calls(emulator, project_id: str, method: str, path_end: str) -> int:
    """How many `method` calls to a path ending in `path_end` the emulator logged for the project."""
    entries = emulator.hook("GET", f"/_emulator/log?project={project_id}&limit=10000")
    return sum(1 for row in entries["log"] if row["method"] == method and row["path"].endswith(path_end))
