"""The emulator's settings, read once from the environment (see docs/emulator.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

REGIONS = ("region-a.geo-1", "region-b.geo-1")
ZONES = ("az1", "az2", "az3")
DEFAULT_ZONE = "az2"

# Keys accepted by PUT /_emulator/faults and by the EMULATOR_FAULT_<KEY> variables.
FAULT_KEYS = ("latency_ms", "error_rate", "drop_rate", "overlimit_rate", "malformed_rate")


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a number, not {raw!r}") from exc


def _flag(name: str) -> bool:
    """An on/off switch: 1/true/yes/on or 0/false/no/off (unset: off)."""
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SystemExit(f"{name} must be 1 or 0, not {raw!r}")


def _int(name: str, default: int) -> int:
    value = _float(name, default)
    if value != int(value):
        raise SystemExit(f"{name} must be an integer")
    return int(value)


@dataclass(frozen=True)
class Config:
    db_path: Path
    token_ttl: float = 43200
    rate: float = 1.0  # Block Storage calls per second per project (spec 4.5.x Rate Limits)
    burst: int = 1
    compute_rate: float = 1.0  # Compute calls (servers, images, os-volume_attachments): metered apart
    compute_burst: int = 1
    rate_tolerance: float = 0.05
    speed: float = 1.0
    durations: dict[str, float] = field(default_factory=dict)
    failure_rate: float = 0.0
    quota_volumes: int = 10
    quota_gigabytes: int = 3000
    derived_limit: int = 10
    faults: dict[str, float | str] = field(default_factory=dict)
    # Cinder compatibility, off by default: force=true snapshots a volume attached to a server, as
    # Cinder does; the spec (4.5.3) says such a snapshot cannot be created at all.
    snapshot_force: bool = False
    # The most items one list answer carries (Cinder's osapi_max_limit, 1000 by default).
    max_limit: int = 1000

    def duration(self, kind: str) -> float:
        """Seconds a lifecycle step of `kind` takes (already multiplied by EMULATOR_SPEED)."""
        return max(0.0, self.durations[kind] * self.speed)

    @classmethod
    def from_env(cls) -> Config:
        db = Path(os.environ.get("EMULATOR_DB", "").strip() or "var/emulator.sqlite3")
        if not db.is_absolute():
            db = ROOT / db
        durations = {
            "create": _float("EMULATOR_CREATE_SECONDS", 3),
            "download": _float("EMULATOR_DOWNLOAD_SECONDS", 8),
            "attach": _float("EMULATOR_ATTACH_SECONDS", 2),
            "detach": _float("EMULATOR_DETACH_SECONDS", 2),
            "backup": _float("EMULATOR_BACKUP_SECONDS", 12),
            "restore": _float("EMULATOR_RESTORE_SECONDS", 8),
            "delete": _float("EMULATOR_DELETE_SECONDS", 2),
        }
        faults: dict[str, float | str] = {}
        for key in FAULT_KEYS:
            value = _float(f"EMULATOR_FAULT_{key.upper()}", 0.0)
            if value:
                faults[key] = value
        if os.environ.get("EMULATOR_FAULT_PROJECT", "").strip():
            faults["project"] = os.environ["EMULATOR_FAULT_PROJECT"].strip()
        rate = _float("EMULATOR_RATE", 1.0)
        burst = max(1, _int("EMULATOR_BURST", 1))
        return cls(
            db_path=db,
            token_ttl=_float("EMULATOR_TOKEN_TTL", 43200),
            rate=rate,
            burst=burst,
            # Compute's own limit; unset, it takes Block Storage's values (EMULATOR_RATE=0 turns both off).
            compute_rate=_float("EMULATOR_COMPUTE_RATE", rate),
            compute_burst=max(1, _int("EMULATOR_COMPUTE_BURST", burst)),
            rate_tolerance=max(0.0, _float("EMULATOR_RATE_TOLERANCE", 0.05)),
            speed=max(0.0, _float("EMULATOR_SPEED", 1.0)),
            durations=durations,
            failure_rate=min(1.0, max(0.0, _float("EMULATOR_FAILURE_RATE", 0.0))),
            quota_volumes=_int("EMULATOR_QUOTA_VOLUMES", 10),
            quota_gigabytes=_int("EMULATOR_QUOTA_GIGABYTES", 3000),
            faults=faults,
            snapshot_force=_flag("EMULATOR_SNAPSHOT_FORCE"),
            max_limit=max(1, _int("EMULATOR_MAX_LIMIT", 1000)),
        )
