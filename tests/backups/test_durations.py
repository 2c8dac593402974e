"""Typical backup durations from the stored lifecycle events (no API involved)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backups import selectors
from console.api.context import CloudContext
from console.api.records import Backup
from console.models import LifecycleEvent

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def ctx(project_id: str = "p1") -> CloudContext:
    return CloudContext(
        token="t",  # noqa: S106
        user_id="u",
        user_name="u",
        project_id=project_id,
        project_name="p",
        region="r1",
        volume_url="http://x",
        compute_url="http://x",
    )


def lifecycle(backup_id: str, *steps: tuple[str, int], project_id: str = "p1") -> None:
    for status, seconds in steps:
        LifecycleEvent.objects.create(
            region="r1",
            project_id=project_id,
            resource_type="backup",
            resource_id=backup_id,
            to_status=status,
            observed_at=T0 + timedelta(seconds=seconds),
        )


def test_median_of_finished_backups_of_a_similar_size():
    lifecycle("a", ("creating", 0), ("available", 600))
    lifecycle("b", ("creating", 0), ("available", 720))
    lifecycle("c", ("creating", 0), ("available", 900))
    lifecycle("big", ("creating", 0), ("available", 5000))
    lifecycle("failed", ("creating", 0), ("error", 30))
    lifecycle("running", ("creating", 0))
    lifecycle("foreign", ("creating", 0), ("available", 10), project_id="p2")
    sizes = {"a": 5, "b": 8, "c": 10, "big": 200, "failed": 5, "running": 5, "foreign": 5}
    durations = selectors.backup_durations(ctx(), sizes=sizes)
    typical = selectors.backup_typical(durations, size=3)
    assert typical.samples == 3 and typical.seconds == 720
    assert typical.words == "typically about 12 min for 1–10 GB"
    assert selectors.backup_typical(durations, size=50) is None  # no history for 11-100 GB
    assert selectors.backup_typical(durations, size=150).words == "typically about 1 h 23 min for 101–500 GB"


def test_no_history_says_nothing():
    assert selectors.backup_typical(selectors.backup_durations(ctx(), sizes={"x": 1}), size=1) is None


def test_running_for_counts_from_created_at():
    backup = Backup(id="x", name=None, status="creating", created_at=T0)
    assert selectors.running_for(backup, now=T0 + timedelta(seconds=42)) == "42 s"
    assert selectors.running_for(backup, now=T0 + timedelta(minutes=7, seconds=10)) == "7 min"
    assert selectors.running_for(Backup(id="y", name=None)) == ""
