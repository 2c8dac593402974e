"""Snapshots (spec 4.5.3): operations, fields, lifecycle and the rules tying them to their volume."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import assert_fault, make_api
from tests.emulator_process import FAST, EmulatorProcess

FORMATS = ["json", "xml"]
SNAPSHOT_KEYS = {
    "created_at",
    "display_description",
    "display_name",
    "id",
    "metadata",
    "size",
    "status",
    "volume_id",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_answers_creating_then_available(api, fmt):
    vol = api.create_volume(size=5)
    r = api.vol(
        "POST",
        "/snapshots",
        {
            "snapshot": {
                "volume_id": vol["id"],
                "display_name": "nightly",
                "display_description": "before upgrade",
                "force": False,
            }
        },
        fmt,
    )
    assert r.status == 200, r
    snap = r.body["snapshot"]
    assert set(snap) >= SNAPSHOT_KEYS, SNAPSHOT_KEYS - set(snap)
    assert snap["status"] == "creating"
    assert (snap["size"], snap["volume_id"]) == (5, vol["id"])
    assert (snap["display_name"], snap["display_description"]) == ("nightly", "before upgrade")
    done = api.wait("snapshots", snap["id"], "available")
    assert (done["size"], done["volume_id"], done["display_name"]) == (5, vol["id"], "nightly")
    assert api.show("volumes", vol["id"])["status"] == "available"


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_and_detail_carry_the_same_information(api, fmt):
    vol = api.create_volume()
    ids = {api.create_snapshot(vol["id"], display_name=f"s{i}")["id"] for i in range(2)}
    plain = api.vol("GET", "/snapshots", fmt=fmt)
    detail = api.vol("GET", "/snapshots/detail", fmt=fmt)
    assert plain.status == detail.status == 200
    assert {s["id"] for s in plain.body["snapshots"]} == ids
    by_id = {s["id"]: s for s in detail.body["snapshots"]}
    for snap in plain.body["snapshots"]:
        assert set(snap) >= SNAPSHOT_KEYS
        assert snap == by_id[snap["id"]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_delete_is_202_then_gone(api, fmt):
    vol = api.create_volume()
    snap = api.create_snapshot(vol["id"])
    r = api.vol("DELETE", f"/snapshots/{snap['id']}", fmt=fmt)
    assert r.status == 202, r
    assert api.wait("snapshots", snap["id"], "gone") is None
    assert api.listing("snapshots") == []
    assert_fault(api.vol("GET", f"/snapshots/{snap['id']}"), 404)
    assert_fault(api.vol("DELETE", f"/snapshots/{snap['id']}"), 404)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("force", [None, False, True, "True"], ids=["absent", "false", "true", "string-True"])
def test_snapshot_of_an_attached_volume_is_refused_even_with_force(api, fmt, force):
    """Spec 4.5.3: "You can not create a snapshot from a volume that is attached to a server"."""
    vol = api.create_volume()
    assert api.attach(api.server_in("az2"), vol["id"]).status == 200
    fields = {"volume_id": vol["id"]} if force is None else {"volume_id": vol["id"], "force": force}
    detail = assert_fault(api.vol("POST", "/snapshots", {"snapshot": fields}, fmt), 400, "badRequest")
    assert "attached to a server" in detail["message"]
    assert api.listing("snapshots") == []
    assert api.show("volumes", vol["id"])["status"] == "in-use"


def test_cinders_force_is_a_compatibility_mode_that_is_off_by_default():
    """EMULATOR_SNAPSHOT_FORCE=1 gives force=true Cinder's meaning: the attached volume is snapshotted."""
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0", "EMULATOR_SNAPSHOT_FORCE": "1"}).start()
    try:
        api = make_api(proc, "f")
        vol = api.create_volume()
        assert api.attach(api.server_in("az2"), vol["id"]).status == 200
        assert_fault(api.vol("POST", "/snapshots", {"snapshot": {"volume_id": vol["id"]}}), 400)
        r = api.vol("POST", "/snapshots", {"snapshot": {"volume_id": vol["id"], "force": True}})
        assert r.status == 200, r
        assert api.wait("snapshots", r.body["snapshot"]["id"], "available")["volume_id"] == vol["id"]
        assert api.show("volumes", vol["id"])["status"] == "in-use"
    finally:
        proc.stop()


def test_snapshot_of_an_errored_volume_is_400(api):
    vol = api.create_volume(display_name="x fail-create", wait="error")
    assert_fault(api.vol("POST", "/snapshots", {"snapshot": {"volume_id": vol["id"]}}), 400)
    assert api.listing("snapshots") == []


def test_snapshot_of_a_volume_being_backed_up_is_400(slow_api):
    vol = slow_api.create_volume()
    slow_api.create_backup(vol["id"], wait=None)
    assert slow_api.show("volumes", vol["id"])["status"] == "backing-up"
    assert_fault(slow_api.vol("POST", "/snapshots", {"snapshot": {"volume_id": vol["id"]}}), 400)
    assert slow_api.listing("snapshots") == []


def test_volume_with_snapshots_cannot_be_deleted(api):
    vol = api.create_volume()
    snap = api.create_snapshot(vol["id"])
    assert_fault(api.vol("DELETE", f"/volumes/{vol['id']}"), 400)
    assert api.show("volumes", vol["id"])["status"] == "available"
    # a volume made from the snapshot does not hold the snapshot's volume hostage once the snapshot goes
    child = api.create_volume(snapshot_id=snap["id"])
    assert api.vol("DELETE", f"/snapshots/{snap['id']}").status == 202
    api.wait("snapshots", snap["id"], "gone")
    assert api.vol("DELETE", f"/volumes/{vol['id']}").status == 202
    api.wait("volumes", vol["id"], "gone")
    assert api.show("volumes", child["id"])["status"] == "available"


def test_fail_create_word_ends_in_error(api):
    vol = api.create_volume()
    snap = api.create_snapshot(vol["id"], display_name="s fail-create", wait="error")
    assert snap["status"] == "error"
    assert api.show("volumes", vol["id"])["status"] == "available"


def test_fail_delete_word_ends_in_error(api):
    vol = api.create_volume()
    snap = api.create_snapshot(vol["id"], display_name="s fail-delete")
    assert api.vol("DELETE", f"/snapshots/{snap['id']}").status == 202
    assert api.wait("snapshots", snap["id"], "error")["status"] == "error"


def test_unknown_volume_or_missing_volume_id(api):
    assert_fault(api.vol("POST", "/snapshots", {"snapshot": {"volume_id": "no-such-volume"}}), 404)
    assert_fault(api.vol("POST", "/snapshots", {"snapshot": {"display_name": "orphan"}}), 400)
    assert api.listing("snapshots") == []


def test_another_projects_snapshot_is_404(api, other_api):
    vol = other_api.create_volume()
    snap = other_api.create_snapshot(vol["id"])
    assert_fault(api.vol("GET", f"/snapshots/{snap['id']}"), 404)
    assert_fault(api.vol("DELETE", f"/snapshots/{snap['id']}"), 404)
    assert_fault(api.vol("POST", "/volumes", {"volume": {"snapshot_id": snap["id"]}}), 404)
    assert api.listing("snapshots") == []
    assert other_api.show("snapshots", snap["id"])["status"] == "available"


def test_volume_from_an_errored_snapshot_is_400(api):
    vol = api.create_volume()
    bad = api.create_snapshot(vol["id"], display_name="s fail-create", wait="error")
    assert_fault(api.vol("POST", "/volumes", {"volume": {"snapshot_id": bad["id"]}}), 400)
    assert api.count() == 1
