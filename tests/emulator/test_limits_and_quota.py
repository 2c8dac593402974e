"""Limits and quotas (spec 4.5.1, 4.5.2 Quota Limits and Business Rules, 4.5.4 Quota Limits)."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import assert_fault

FORMATS = ["json", "xml"]
TOO_MANY = "VolumeLimitExceeded: Maximum number of volumes allowed (10) exceeded"
TOO_BIG = "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed Gigabytes quota"


def over_limit(reply, message: str | None = None) -> dict:
    detail = assert_fault(reply, 413, "overLimit", message)
    if reply.fmt == "json":
        assert detail["retryAfter"] == 0, reply
    return detail


@pytest.mark.parametrize("fmt", FORMATS)
def test_limits_show_the_default_quotas(api, fmt):
    r = api.vol("GET", "/limits", fmt=fmt)
    assert r.status == 200, r
    limits = r.body["limits"]
    assert limits["absolute"]["maxTotalVolumes"] == 10
    assert limits["absolute"]["maxTotalVolumeGigabytes"] == 3000
    assert isinstance(limits["rate"], list)


def test_limits_are_json_and_xml_alike(api):
    j, x = api.vol("GET", "/limits"), api.vol("GET", "/limits", fmt="xml")
    assert (j.fmt, x.fmt) == ("json", "xml")
    assert x.body["limits"]["absolute"] == j.body["limits"]["absolute"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_eleventh_volume_is_over_limit(api, fmt):
    for _ in range(10):
        api.create_volume(wait=None)
    r = api.vol("POST", "/volumes", {"volume": {"size": 1}}, fmt)
    over_limit(r, TOO_MANY)
    assert api.count() == 10


def test_snapshots_count_with_volumes(api):
    vols = [api.create_volume() for _ in range(5)]
    for vol in vols:
        api.create_snapshot(vol["id"], wait=None)
    over_limit(api.vol("POST", "/volumes", {"volume": {"size": 1}}), TOO_MANY)
    over_limit(api.vol("POST", "/snapshots", {"snapshot": {"volume_id": vols[0]["id"]}}))
    assert api.count() == 5
    assert len(api.listing("snapshots")) == 5


def test_deleting_frees_quota(api):
    vols = [api.create_volume(wait=None) for _ in range(10)]
    over_limit(api.vol("POST", "/volumes", {"volume": {"size": 1}}), TOO_MANY)
    api.wait("volumes", vols[0]["id"], "available")
    assert api.vol("DELETE", f"/volumes/{vols[0]['id']}").status == 202
    api.wait("volumes", vols[0]["id"], "gone")
    assert api.vol("POST", "/volumes", {"volume": {"size": 1}}).status == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_gigabytes_quota_is_3000(api, fmt):
    api.create_volume(size=2047, wait=None)
    over_limit(api.vol("POST", "/volumes", {"volume": {"size": 954}}, fmt), TOO_BIG)
    assert api.vol("POST", "/volumes", {"volume": {"size": 953}}, fmt).status == 200
    over_limit(api.vol("POST", "/volumes", {"volume": {"size": 1}}, fmt), TOO_BIG)
    assert sum(v["size"] for v in api.listing("volumes")) == 3000


def test_snapshot_gigabytes_count_too(api):
    vol = api.create_volume(size=2000)
    over_limit(api.vol("POST", "/snapshots", {"snapshot": {"volume_id": vol["id"]}}), TOO_BIG)
    assert api.listing("snapshots") == []
    small = api.create_volume(size=500)
    api.create_snapshot(small["id"])  # 2000 + 500 + 500 = 3000
    over_limit(api.vol("POST", "/volumes", {"volume": {"size": 1}}), TOO_BIG)


def test_quota_is_per_project(api, other_api):
    for _ in range(10):
        api.create_volume(wait=None)
    over_limit(api.vol("POST", "/volumes", {"volume": {"size": 1}}), TOO_MANY)
    assert other_api.vol("POST", "/volumes", {"volume": {"size": 1}}).status == 200


def test_restore_into_a_new_volume_counts_against_quota(api):
    vol = api.create_volume()
    backup = api.create_backup(vol["id"])
    for _ in range(9):
        api.create_volume(wait=None)
    r = api.vol("POST", f"/backups/{backup['id']}/restore", {"restore": {}})
    over_limit(r, TOO_MANY)
    assert api.count() == 10
    assert api.show("backups", backup["id"])["status"] == "available"
    # restoring into an existing volume needs no new quota
    r = api.vol("POST", f"/backups/{backup['id']}/restore", {"restore": {"volume_id": vol["id"]}})
    assert r.status == 202, r
    api.wait("volumes", vol["id"], "available")


def test_restore_into_a_new_volume_counts_gigabytes(api):
    vol = api.create_volume(size=2000)
    backup = api.create_backup(vol["id"])
    api.create_volume(size=1000, wait=None)
    over_limit(api.vol("POST", f"/backups/{backup['id']}/restore", {"restore": {}}), TOO_BIG)
    assert api.count() == 2


def test_at_most_ten_derived_resources_per_origin_volume(api):
    origin = api.create_volume(size=1)
    other = api.create_volume(size=1)
    # 1: snapshot, 2: volume from that snapshot, 3: clone; then 7 snapshot create/delete cycles = 10
    keep = api.create_snapshot(origin["id"])
    from_snap = api.create_volume(snapshot_id=keep["id"])
    clone = api.create_volume(source_volid=origin["id"])
    for vol in (from_snap, clone):
        assert api.vol("DELETE", f"/volumes/{vol['id']}").status == 202
        api.wait("volumes", vol["id"], "gone")
    for _ in range(7):
        snap = api.create_snapshot(origin["id"])
        assert api.vol("DELETE", f"/snapshots/{snap['id']}").status == 202
        api.wait("snapshots", snap["id"], "gone")

    # the eleventh and later: accepted, then in error
    r = api.vol("POST", "/snapshots", {"snapshot": {"volume_id": origin["id"]}})
    assert r.status == 200, r
    assert api.wait("snapshots", r.body["snapshot"]["id"], "available", "error")["status"] == "error"
    r = api.vol("POST", "/volumes", {"volume": {"source_volid": origin["id"], "size": 1}})
    assert r.status == 200, r
    assert api.wait("volumes", r.body["volume"]["id"], "available", "error")["status"] == "error"
    r = api.vol("POST", "/volumes", {"volume": {"snapshot_id": keep["id"]}})
    assert r.status == 200, r
    assert api.wait("volumes", r.body["volume"]["id"], "available", "error")["status"] == "error"

    # another origin is not affected, and the origin itself is still fine
    assert api.create_snapshot(other["id"], wait="available")["status"] == "available"
    assert api.show("volumes", origin["id"])["status"] == "available"


@pytest.mark.parametrize("fmt", FORMATS)
def test_quota_is_per_project_across_regions(api, fmt):
    """Spec 4.5.2: "The default per-project quotas": what a project has in one region counts in the other."""
    b = api.in_region("region-b.geo-1")
    for _ in range(7):
        api.create_volume(wait=None)
    vol_b = b.create_volume(size=5)
    for _ in range(2):
        b.create_snapshot(vol_b["id"], wait=None)
    over_limit(b.vol("POST", "/volumes", {"volume": {"size": 1}}, fmt), TOO_MANY)
    over_limit(api.vol("POST", "/volumes", {"volume": {"size": 1}}, fmt), TOO_MANY)
    over_limit(
        api.vol("POST", "/snapshots", {"snapshot": {"volume_id": api.listing("volumes")[0]["id"]}}, fmt)
    )
    assert b.vol("GET", "/limits").body["limits"]["absolute"]["maxTotalVolumes"] == 10
    assert (api.count(), b.count()) == (7, 1)


def test_gigabytes_quota_is_per_project_across_regions(api):
    api.create_volume(size=2000, wait=None)
    b = api.in_region("region-b.geo-1")
    over_limit(b.vol("POST", "/volumes", {"volume": {"size": 1001}}), TOO_BIG)
    assert b.vol("POST", "/volumes", {"volume": {"size": 1000}}).status == 200
    over_limit(api.vol("POST", "/volumes", {"volume": {"size": 1}}), TOO_BIG)
