"""The backups list's sort orders hold for records the API left fields out of (no 500 on a sort)."""

from __future__ import annotations

import pytest

from backups.selectors import SORTS, backup_filter
from console.api.records import Backup, Snapshot
from snapshots.selectors import SORTS as SNAPSHOT_SORTS
from snapshots.selectors import snapshot_filter

PARTIAL_BACKUPS = [
    Backup(id="b1", name="full", status="available", size=2),
    Backup(id="b2", name=None),  # a create's answer: id and name only
    Backup(id="b3", name="other", status="error", size=1),
]


@pytest.mark.parametrize("sort", [*SORTS, *(f"-{key}" for key in SORTS)])
def test_every_backup_sort_takes_records_with_missing_fields(sort):
    assert sorted(b.id for b in backup_filter(PARTIAL_BACKUPS, sort=sort)) == ["b1", "b2", "b3"]
    assert [b.id for b in backup_filter(PARTIAL_BACKUPS, sort="status")] == ["b2", "b1", "b3"]


@pytest.mark.parametrize("sort", [*SNAPSHOT_SORTS, *(f"-{key}" for key in SNAPSHOT_SORTS)])
def test_every_snapshot_sort_takes_a_record_without_a_status(sort):
    snapshots = [
        Snapshot("s1", None, 1, "v", display_name=None, display_description=None, created_at=None),
        Snapshot("s2", "available", 1, "v", display_name="named", display_description=None, created_at=None),
    ]
    assert sorted(s.id for s in snapshot_filter(snapshots, sort=sort)) == ["s1", "s2"]
