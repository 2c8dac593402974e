"""In-memory runtime state around the API: rate limiter, injected faults, call statistics, call log."""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from typing import Any

from .config import FAULT_KEYS
from .wire import bad_request

MAX_TIMES = 10_000
MAX_LOG = 10_000


class RateLimiter:
    """GCRA per key: `rate` calls per second, `burst` at once, `tolerance` seconds of jitter forgiven.

    A client pacing itself exactly at the rate is never refused for arriving a few ms early.
    """

    def __init__(self, rate: float, burst: int, tolerance: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.tau = (max(1, burst) - 1) * self.interval + tolerance
        self._tat: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(self, key: str, now: float | None = None) -> int | None:
        """None when the call may go ahead (and is counted), else the whole seconds to wait (>= 1)."""
        if not self.interval:
            return None
        now = time.monotonic() if now is None else now
        with self._lock:
            tat = max(self._tat.get(key, now), now)
            wait = tat - now - self.tau
            if wait > 0:
                return max(1, math.ceil(wait))
            self._tat[key] = tat + self.interval
            return None


class Faults:
    """Fault injection settings (PUT /_emulator/faults), optionally restricted to one project."""

    def __init__(self, initial: dict[str, Any]) -> None:
        self._lock = threading.Lock()
        self._settings = self.validate(initial)

    @staticmethod
    def validate(data: dict[str, Any]) -> dict[str, Any]:
        unknown = set(data) - set(FAULT_KEYS) - {"project"}
        if unknown:
            raise bad_request(
                f"Unknown fault keys: {', '.join(sorted(unknown))}; known: {', '.join(FAULT_KEYS)}."
            )
        settings: dict[str, Any] = dict.fromkeys(FAULT_KEYS, 0.0)
        settings["latency_ms"] = 0
        for key in FAULT_KEYS:
            value = data.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
                raise bad_request(f"Invalid {key}: it must be a number.")
            if key == "latency_ms":
                if not 0 <= value <= 60_000:
                    raise bad_request("Invalid latency_ms: it must be between 0 and 60000.")
            elif not 0 <= value <= 1:
                raise bad_request(f"Invalid {key}: it is a probability between 0 and 1.")
            settings[key] = value if key == "latency_ms" else float(value)
        project = data.get("project")
        if project is not None and not isinstance(project, str):
            raise bad_request("Invalid project: it must be a project id string.")
        settings["project"] = project or None
        return settings

    def get(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._settings)

    def set(self, data: dict[str, Any]) -> dict[str, Any]:
        settings = self.validate(data)
        with self._lock:
            self._settings = settings
        return dict(settings)

    def for_project(self, project_id: str | None) -> dict[str, Any] | None:
        """The settings that apply to a call of this project, or None when no fault is on."""
        settings = self._settings
        if settings["project"] and settings["project"] != project_id:
            return None
        if not any(settings[key] for key in FAULT_KEYS):
            return None
        return settings

    @staticmethod
    def roll(probability: float) -> bool:
        return probability > 0 and random.random() < probability


APIS = ("volume", "compute")


def _api_entry() -> dict[str, Any]:
    return {"total": 0, "overlimit": 0, "times": deque(maxlen=MAX_TIMES)}


def _project_entry() -> dict[str, Any]:
    return {
        "total": 0,
        "overlimit": 0,
        "by_method": {},
        "by_status": {},
        "by_path": {},
        "by_api": {api: _api_entry() for api in APIS},
        "times": deque(maxlen=MAX_TIMES),
    }


class Stats:
    """Counters of API calls per project (GET /_emulator/stats). Identity calls are counted apart."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.overlimit = 0
            self.identity = 0
            self.projects: dict[str, dict[str, Any]] = {}

    def record(
        self, project_id: str, api: str, method: str, path: str, status: int | str, when: float
    ) -> None:
        """Count one call of `api` ("volume" or "compute"): each API is metered on its own."""
        with self._lock:
            entry = self.projects.get(project_id)
            if entry is None:
                entry = self.projects[project_id] = _project_entry()
            by_api = entry["by_api"][api]
            self.total += 1
            entry["total"] += 1
            by_api["total"] += 1
            if status == 413:
                self.overlimit += 1
                entry["overlimit"] += 1
                by_api["overlimit"] += 1
            for key, value in (("by_method", method), ("by_status", str(status)), ("by_path", path)):
                entry[key][value] = entry[key].get(value, 0) + 1
            entry["times"].append(round(when, 6))
            by_api["times"].append(round(when, 6))

    def record_identity(self) -> None:
        with self._lock:
            self.identity += 1

    def snapshot(self, project_id: str | None = None) -> dict[str, Any]:
        with self._lock:

            def dump(entry: dict[str, Any]) -> dict[str, Any]:
                return {
                    "total": entry["total"],
                    "overlimit": entry["overlimit"],
                    "by_method": dict(entry["by_method"]),
                    "by_status": dict(entry["by_status"]),
                    "by_path": dict(entry["by_path"]),
                    "by_api": {
                        api: {"total": a["total"], "overlimit": a["overlimit"], "times": list(a["times"])}
                        for api, a in entry["by_api"].items()
                    },
                    "times": list(entry["times"]),
                }

            if project_id is not None:
                entry = dump(self.projects.get(project_id) or _project_entry())
                return {
                    "total": entry["total"],
                    "overlimit": entry["overlimit"],
                    "identity": {"total": self.identity},
                    "projects": {project_id: entry},
                }
            return {
                "total": self.total,
                "overlimit": self.overlimit,
                "identity": {"total": self.identity},
                "projects": {pid: dump(entry) for pid, entry in self.projects.items()},
            }


class CallLog:
    """The emulator's own log of calls, newest last (GET /_emulator/log answers newest first)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=MAX_LOG)

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def recent(self, project_id: str | None, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._entries)
        found = []
        for entry in reversed(entries):
            if project_id is None or entry["project"] == project_id:
                found.append(entry)
                if len(found) >= limit:
                    break
        return found
