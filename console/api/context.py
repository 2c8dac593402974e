"""Who is calling the cloud, where, and on behalf of which console request."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Priority(enum.Enum):
    """How a call competes for the project's call budget (see console.api.budget)."""

    USER = "user"  # a person is waiting: queue for a slot, up to API_BUDGET_MAX_WAIT
    BACKGROUND = "background"  # a refresh: take a slot that is free now, never queue ahead of users


@dataclass(frozen=True)
class CloudContext:
    token: str = field(repr=False)  # never rendered, never logged
    user_id: str
    user_name: str
    project_id: str
    project_name: str
    region: str
    volume_url: str  # .../volume/region-a.geo-1/v1/<project_id>, or .../v3/<project_id>
    compute_url: str  # .../compute/region-a.geo-1/v2/<project_id>; "" when the region has no Compute
    console_request_id: str = ""  # X-Request-Id of the console request that caused the calls
    priority: Priority = Priority.USER
    # The Block Storage dialect the endpoint speaks (console.api.dialects: "cinder-v1", "cinder-v3")
    # and, for a microversioned API, the microversion the console asks for ("" = the API's base).
    dialect: str = "cinder-v1"
    microversion: str = ""
    # The server-side session the token came from ("" when none): after a mutation the background
    # watcher keeps this key (never the token) and loads the session itself (console.watch).
    session_key: str = field(default="", repr=False, compare=False)
    # The project's other regions in the catalog, (region, volume_url, compute_url): quotas count the
    # whole project, so the quota gauges add what the console knows of them (console.quota).
    other_regions: tuple[tuple[str, str, str], ...] = field(default=(), repr=False, compare=False)
