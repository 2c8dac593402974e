"""Volumes (spec 4.5.2): every operation, field, status and creation rule, in JSON and XML."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import REGION_B, assert_fault

FORMATS = ["json", "xml"]
VOLUME_KEYS = {
    "attachments",
    "availability_zone",
    "bootable",
    "created_at",
    "display_description",
    "display_name",
    "id",
    "metadata",
    "size",
    "snapshot_id",
    "source_volid",
    "status",
    "volume_type",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_answers_creating_then_becomes_available_in_az2(api, fmt):
    r = api.vol(
        "POST",
        "/volumes",
        {
            "volume": {
                "size": 3,
                "display_name": "data",
                "display_description": "for the db",
                "metadata": {"tier": "gold"},
            }
        },
        fmt,
    )
    assert r.status == 200, r
    assert r.fmt == fmt
    vol = r.body["volume"]
    assert vol["status"] == "creating"
    assert vol["size"] == 3
    assert vol["availability_zone"] == "az2"
    assert vol["display_name"] == "data"
    assert vol["display_description"] == "for the db"
    assert vol["metadata"] == {"tier": "gold"}
    assert vol["snapshot_id"] is None and vol["source_volid"] is None
    assert vol["attachments"] == []
    if fmt == "json":
        assert set(vol) >= VOLUME_KEYS, VOLUME_KEYS - set(vol)
        assert vol["bootable"] == "false"

    done = api.wait("volumes", vol["id"], "available")
    assert done["id"] == vol["id"]
    assert set(done) >= VOLUME_KEYS
    assert (done["size"], done["display_name"], done["metadata"]) == (3, "data", {"tier": "gold"})


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_and_detail_show_the_projects_volumes(api, fmt):
    ids = {api.create_volume(display_name=f"v{i}")["id"] for i in range(2)}
    for path in ("/volumes", "/volumes/detail"):
        r = api.vol("GET", path, fmt=fmt)
        assert r.status == 200, r
        listed = {v["id"]: v for v in r.body["volumes"]}
        assert set(listed) == ids
        for vol in listed.values():
            assert vol["status"] == "available"
            assert vol["size"] == 1
            assert vol["display_name"] in {"v0", "v1"}


def test_get_unknown_volume_is_404(api):
    for method in ("GET", "DELETE"):
        assert_fault(api.vol(method, "/volumes/00000000-0000-0000-0000-000000000000"), 404)
    assert_fault(
        api.vol("PUT", "/volumes/00000000-0000-0000-0000-000000000000", {"volume": {"display_name": "x"}}),
        404,
    )


@pytest.mark.parametrize("az", ["az1", "az2", "az3"])
def test_every_zone_can_be_chosen(api, az):
    vol = api.create_volume(availability_zone=az)
    assert vol["availability_zone"] == az


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("az", ["az4", "nova", "AZ1", ""])
def test_unknown_zone_is_400(api, fmt, az):
    assert_fault(api.vol("POST", "/volumes", {"volume": {"size": 1, "availability_zone": az}}, fmt), 400)
    assert api.count() == 0


@pytest.mark.parametrize("size", [1, 2047])
def test_size_bounds_are_accepted(api, size):
    assert api.create_volume(size=size, wait=None)["size"] == size


BAD_SIZES = [0, 2048, -1, 1.5, "abc", "", True]


@pytest.mark.parametrize(("fmt", "size"), [(f, s) for f in FORMATS for s in BAD_SIZES] + [("json", None)])
def test_bad_size_is_400(api, fmt, size):
    body = {"volume": {"display_name": "no size"}} if size is None else {"volume": {"size": size}}
    assert_fault(api.vol("POST", "/volumes", body, fmt), 400, "badRequest")
    assert api.count() == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_update_changes_name_description_and_metadata_only(api, fmt):
    vol = api.create_volume(display_name="old", display_description="d0", metadata={"a": "1"})
    r = api.vol(
        "PUT",
        f"/volumes/{vol['id']}",
        {"volume": {"display_name": "new", "display_description": "new description", "metadata": {"b": "2"}}},
        fmt,
    )
    assert r.status == 200, r
    assert r.body["volume"]["display_name"] == "new"
    assert r.body["volume"]["display_description"] == "new description"
    assert r.body["volume"]["metadata"]["b"] == "2"
    now = api.show("volumes", vol["id"])
    assert (now["display_name"], now["display_description"]) == ("new", "new description")
    assert now["metadata"]["b"] == "2"
    assert (now["size"], now["status"]) == (1, "available")
    assert now["availability_zone"] == vol["availability_zone"]


def test_update_of_one_field_keeps_the_others(api):
    vol = api.create_volume(display_name="keep", display_description="me")
    r = api.vol("PUT", f"/volumes/{vol['id']}", {"volume": {"display_description": "changed"}})
    assert r.status == 200, r
    now = api.show("volumes", vol["id"])
    assert (now["display_name"], now["display_description"]) == ("keep", "changed")


def test_update_cannot_change_size_zone_or_status(api):
    vol = api.create_volume(size=2)
    r = api.vol(
        "PUT", f"/volumes/{vol['id']}", {"volume": {"size": 9, "availability_zone": "az1", "status": "error"}}
    )
    assert r.status in (200, 400), r
    now = api.show("volumes", vol["id"])
    assert (now["size"], now["availability_zone"], now["status"]) == (2, "az2", "available")


@pytest.mark.parametrize("fmt", FORMATS)
def test_delete_is_202_then_the_volume_is_gone(api, fmt):
    vol = api.create_volume()
    r = api.vol("DELETE", f"/volumes/{vol['id']}", fmt=fmt)
    assert r.status == 202, r
    assert not r.text
    assert api.wait("volumes", vol["id"], "gone") is None
    assert api.count() == 0
    assert_fault(api.vol("DELETE", f"/volumes/{vol['id']}"), 404)


def test_delete_passes_through_deleting(slow_api):
    vol = slow_api.create_volume()
    assert slow_api.vol("DELETE", f"/volumes/{vol['id']}").status == 202
    assert slow_api.show("volumes", vol["id"])["status"] == "deleting"
    assert slow_api.wait("volumes", vol["id"], "gone") is None


def test_fail_create_word_ends_in_error_and_the_volume_can_be_deleted(api):
    vol = api.create_volume(display_name="db fail-create", wait="error")
    assert vol["status"] == "error"
    assert api.vol("DELETE", f"/volumes/{vol['id']}").status == 202
    assert api.wait("volumes", vol["id"], "gone") is None


def test_fail_delete_word_ends_in_error(api):
    vol = api.create_volume(display_name="keepme fail-delete")
    assert api.vol("DELETE", f"/volumes/{vol['id']}").status == 202
    assert api.wait("volumes", vol["id"], "error")["status"] == "error"


# --- volumes from snapshots, clones and images ------
def test_from_snapshot_size_is_optional_and_defaults_to_the_snapshots(api):
    src = api.create_volume(size=4)
    snap = api.create_snapshot(src["id"])
    r = api.vol("POST", "/volumes", {"volume": {"snapshot_id": snap["id"]}})
    assert r.status == 200, r
    vol = api.wait("volumes", r.body["volume"]["id"], "available")
    assert vol["size"] == 4
    assert vol["snapshot_id"] == snap["id"]
    bigger = api.create_volume(snapshot_id=snap["id"], size=6)
    assert (bigger["size"], bigger["snapshot_id"]) == (6, snap["id"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_from_snapshot_smaller_than_the_snapshot_is_400(api, fmt):
    src = api.create_volume(size=4)
    snap = api.create_snapshot(src["id"])
    assert_fault(api.vol("POST", "/volumes", {"volume": {"snapshot_id": snap["id"], "size": 3}}, fmt), 400)
    assert api.count() == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_clone_copies_the_source(api, fmt):
    src = api.create_volume(size=3, display_name="origin")
    r = api.vol("POST", "/volumes", {"volume": {"source_volid": src["id"], "size": 3}}, fmt)
    assert r.status == 200, r
    clone = api.wait("volumes", r.body["volume"]["id"], "available")
    assert clone["source_volid"] == src["id"]
    assert clone["size"] == 3
    assert api.show("volumes", src["id"])["status"] == "available"


@pytest.mark.parametrize("fmt", FORMATS)
def test_clone_without_size_is_400(api, fmt):
    """Spec 4.5.2.4: size is optional only if snapshot_id is given (Cinder v1 took the source's size)."""
    src = api.create_volume(size=3)
    r = api.vol("POST", "/volumes", {"volume": {"source_volid": src["id"]}}, fmt)
    assert "size" in assert_fault(r, 400, "badRequest")["message"]
    r = api.vol("POST", "/volumes", {"volume": {"source_volid": src["id"], "size": None}})
    assert_fault(r, 400)
    assert api.count() == 1


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("source", ["snapshot_id", "source_volid"])
def test_a_volume_from_a_snapshot_or_a_clone_stays_in_its_sources_zone(api, fmt, source):
    """The cloud makes such a volume in the source's zone (a snapshot's zone is its volume's, 4.5.3.4)."""
    src = api.create_volume(size=2, availability_zone="az1")
    source_id = api.create_snapshot(src["id"])["id"] if source == "snapshot_id" else src["id"]
    for zone in ("az2", "az3"):
        body = {"volume": {source: source_id, "size": 2, "availability_zone": zone}}
        detail = assert_fault(api.vol("POST", "/volumes", body, fmt), 400, "badRequest")
        assert "az1" in detail["message"] and "same availability zone" in detail["message"]
    assert api.count() == 1
    same = api.vol(
        "POST", "/volumes", {"volume": {source: source_id, "size": 2, "availability_zone": "az1"}}, fmt
    )
    assert same.status == 200, same
    assert same.body["volume"]["availability_zone"] == "az1"
    # no zone given: the source's zone, not the default az2
    unzoned = api.vol("POST", "/volumes", {"volume": {source: source_id, "size": 2}}, fmt)
    assert unzoned.status == 200, unzoned
    assert api.wait("volumes", unzoned.body["volume"]["id"], "available")["availability_zone"] == "az1"
    assert api.create_volume()["availability_zone"] == "az2"  # a blank volume still defaults to az2


def test_clone_smaller_than_the_source_is_400(api):
    src = api.create_volume(size=3)
    assert_fault(api.vol("POST", "/volumes", {"volume": {"source_volid": src["id"], "size": 2}}), 400)
    assert api.count() == 1


def test_clone_of_a_volume_that_is_not_available_is_400(slow_api):
    api = slow_api
    server = api.server_in("az2")
    src = api.create_volume()
    assert api.attach(server, src["id"], wait=None).status == 200  # attaching, then in-use
    assert_fault(api.vol("POST", "/volumes", {"volume": {"source_volid": src["id"], "size": 1}}), 400)
    api.wait("volumes", src["id"], "in-use")
    assert_fault(api.vol("POST", "/volumes", {"volume": {"source_volid": src["id"], "size": 1}}), 400)
    assert api.count() == 1


def test_clone_of_an_errored_volume_is_400(api):
    src = api.create_volume(display_name="x fail-create", wait="error")
    assert_fault(api.vol("POST", "/volumes", {"volume": {"source_volid": src["id"], "size": 1}}), 400)
    assert api.count() == 1


def _image(api, min_disk_at_least: int = 1) -> dict:
    images = [img for img in api.images() if int(img.get("minDisk") or 0) >= min_disk_at_least]
    assert images, "the seeded images should include one with a minDisk"
    return images[0]


def test_from_image_is_bootable_and_downloads_first(slow_api):
    image = _image(slow_api)
    size = int(image["minDisk"])
    r = slow_api.vol("POST", "/volumes", {"volume": {"imageRef": image["id"], "size": size}})
    assert r.status == 200, r
    assert r.body["volume"]["status"] in ("creating", "downloading")
    vid = r.body["volume"]["id"]
    assert slow_api.wait("volumes", vid, "downloading", "available")["status"] == "downloading"
    vol = slow_api.wait("volumes", vid, "available")
    assert vol["bootable"] == "true"
    meta = vol.get("volume_image_metadata") or {}
    assert meta.get("image_id") == image["id"]
    assert meta.get("image_name") == image["name"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_from_image_smaller_than_min_disk_is_400(api, fmt):
    image = _image(api, min_disk_at_least=2)
    body = {"volume": {"imageRef": image["id"], "size": int(image["minDisk"]) - 1}}
    assert_fault(api.vol("POST", "/volumes", body, fmt), 400)
    assert api.count() == 0


def test_from_unknown_image_is_refused(api):
    r = api.vol("POST", "/volumes", {"volume": {"imageRef": "no-such-image", "size": 10}})
    assert r.status in (400, 404), r
    assert_fault(r, r.status)
    assert api.count() == 0


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "pair", [("snapshot_id", "source_volid"), ("snapshot_id", "imageRef"), ("source_volid", "imageRef")]
)
def test_sources_are_mutually_exclusive(api, fmt, pair):
    src = api.create_volume(size=10)
    snap = api.create_snapshot(src["id"])
    ids = {"snapshot_id": snap["id"], "source_volid": src["id"], "imageRef": _image(api)["id"]}
    body = {"volume": {"size": 10, **{key: ids[key] for key in pair}}}
    assert_fault(api.vol("POST", "/volumes", body, fmt), 400)
    assert api.count() == 1


@pytest.mark.parametrize("field", ["snapshot_id", "source_volid"])
def test_unknown_source_is_404(api, field):
    r = api.vol("POST", "/volumes", {"volume": {"size": 1, field: "11111111-2222-3333-4444-555555555555"}})
    assert_fault(r, 404)
    assert api.count() == 0


# --- projects and regions ------
def test_another_projects_volume_is_404(api, other_api):
    theirs = other_api.create_volume(display_name="theirs")
    vid = theirs["id"]
    assert_fault(api.vol("GET", f"/volumes/{vid}"), 404)
    assert_fault(api.vol("PUT", f"/volumes/{vid}", {"volume": {"display_name": "mine"}}), 404)
    assert_fault(api.vol("DELETE", f"/volumes/{vid}"), 404)
    assert_fault(api.vol("POST", "/snapshots", {"snapshot": {"volume_id": vid}}), 404)
    assert_fault(api.vol("POST", "/backups", {"backup": {"volume_id": vid}}), 404)
    assert_fault(api.vol("POST", "/volumes", {"volume": {"size": 1, "source_volid": vid}}), 404)
    assert vid not in api.vol("GET", "/volumes/detail").text
    still = other_api.show("volumes", vid)
    assert (still["display_name"], still["status"]) == ("theirs", "available")


def test_each_region_has_its_own_state(api):
    vol = api.create_volume(display_name="in-a")
    b = api.in_region(REGION_B)
    assert b.listing("volumes") == []
    assert_fault(b.vol("GET", f"/volumes/{vol['id']}"), 404)
    vol_b = b.create_volume(display_name="in-b")
    assert [v["id"] for v in api.listing("volumes")] == [vol["id"]]
    assert [v["id"] for v in b.listing("volumes")] == [vol_b["id"]]


def test_volume_type_standard_is_the_only_type(api):
    vol = api.create_volume(volume_type="standard")
    assert vol["volume_type"] == "standard"
    assert_fault(api.vol("POST", "/volumes", {"volume": {"size": 1, "volume_type": "ssd"}}), 400)
    assert api.count() == 1


def test_image_volume_needs_a_size(api):
    image = _image(api)
    assert_fault(api.vol("POST", "/volumes", {"volume": {"imageRef": image["id"]}}), 400)
    assert api.count() == 0


def test_unicode_names_round_trip(api):
    vol = api.create_volume(display_name="données ✓ 数据", display_description="ünïcödé")
    assert (vol["display_name"], vol["display_description"]) == ("données ✓ 数据", "ünïcödé")
