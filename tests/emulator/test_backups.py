"""Backups (spec 4.5.4): create, list vs detail, delete, restore to an existing or a new volume."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import assert_fault

FORMATS = ["json", "xml"]
DETAIL_KEYS = {
    "availability_zone",
    "container",
    "created_at",
    "description",
    "fail_reason",
    "id",
    "name",
    "object_count",
    "size",
    "status",
    "volume_id",
}


def _check_links(backup: dict, project_id: str) -> None:
    rels = {link["rel"]: link["href"] for link in backup["links"]}
    assert rels["self"].endswith(f"/v1/{project_id}/backups/{backup['id']}"), rels
    assert rels["bookmark"].endswith(f"/{project_id}/backups/{backup['id']}"), rels
    assert "/v1/" not in rels["bookmark"], rels


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_is_202_with_id_and_name_then_available(api, fmt):
    vol = api.create_volume(size=2, availability_zone="az3")
    r = api.vol(
        "POST",
        "/backups",
        {"backup": {"volume_id": vol["id"], "name": "weekly", "description": "full copy"}},
        fmt,
    )
    assert r.status == 202, r
    created = r.body["backup"]
    assert created["name"] == "weekly"
    assert created["id"]
    if fmt == "json":
        _check_links(created, api.project_id)
    backup = api.wait("backups", created["id"], "available")
    assert set(backup) >= DETAIL_KEYS, DETAIL_KEYS - set(backup)
    assert backup["volume_id"] == vol["id"]
    assert backup["size"] == 2
    assert backup["availability_zone"] == "az3"
    assert backup["container"] == "volumebackups"
    assert (backup["name"], backup["description"], backup["fail_reason"]) == ("weekly", "full copy", None)
    assert isinstance(backup["object_count"], int)
    _check_links(backup, api.project_id)
    assert api.show("volumes", vol["id"])["status"] == "available"


def test_container_can_be_named(api):
    vol = api.create_volume()
    backup = api.create_backup(vol["id"], container="my-backups")
    assert backup["container"] == "my-backups"


def test_volume_is_backing_up_meanwhile(slow_api):
    vol = slow_api.create_volume()
    backup = slow_api.create_backup(vol["id"], wait=None)
    assert slow_api.show("volumes", vol["id"])["status"] == "backing-up"
    assert slow_api.show("backups", backup["id"])["status"] == "creating"
    slow_api.wait("backups", backup["id"], "available")
    assert slow_api.wait("volumes", vol["id"], "available")["status"] == "available"


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_has_only_id_links_and_name_detail_has_everything(api, fmt):
    vol = api.create_volume()
    backup = api.create_backup(vol["id"], name="b1")
    plain = api.vol("GET", "/backups", fmt=fmt)
    assert plain.status == 200, plain
    assert len(plain.body["backups"]) == 1
    item = plain.body["backups"][0]
    assert (item["id"], item["name"]) == (backup["id"], "b1")
    assert set(item) - {"links"} == {"id", "name"}
    if fmt == "json":
        _check_links(item, api.project_id)

    detail = api.vol("GET", "/backups/detail", fmt=fmt)
    assert detail.status == 200, detail
    (full,) = detail.body["backups"]
    assert set(full) >= DETAIL_KEYS
    assert (full["id"], full["status"], full["volume_id"]) == (backup["id"], "available", vol["id"])


def test_delete_passes_through_deleting_then_gone(slow_api):
    vol = slow_api.create_volume()
    backup = slow_api.create_backup(vol["id"])
    r = slow_api.vol("DELETE", f"/backups/{backup['id']}")
    assert r.status == 202, r
    assert slow_api.show("backups", backup["id"])["status"] == "deleting"
    assert slow_api.wait("backups", backup["id"], "gone") is None
    assert slow_api.listing("backups") == []


def test_fail_create_word_ends_in_error_with_a_reason(api):
    vol = api.create_volume()
    backup = api.create_backup(vol["id"], name="b fail-create", wait="error")
    assert isinstance(backup["fail_reason"], str) and backup["fail_reason"].strip()
    assert api.wait("volumes", vol["id"], "available")["status"] == "available"


def test_fail_delete_word_ends_in_error(api):
    vol = api.create_volume()
    backup = api.create_backup(vol["id"], name="b fail-delete")
    assert api.vol("DELETE", f"/backups/{backup['id']}").status == 202
    assert api.wait("backups", backup["id"], "error")["status"] == "error"


def test_backup_only_of_an_available_volume(api):
    errored = api.create_volume(display_name="x fail-create", wait="error")
    assert_fault(api.vol("POST", "/backups", {"backup": {"volume_id": errored["id"]}}), 400)
    attached = api.create_volume()
    api.attach(api.server_in("az2"), attached["id"])
    assert_fault(api.vol("POST", "/backups", {"backup": {"volume_id": attached["id"]}}), 400)
    assert api.listing("backups") == []
    assert api.show("volumes", attached["id"])["status"] == "in-use"


def test_unknown_or_missing_volume(api):
    assert_fault(api.vol("POST", "/backups", {"backup": {"volume_id": "no-such-volume"}}), 404)
    assert_fault(api.vol("POST", "/backups", {"backup": {"name": "orphan"}}), 400)
    assert api.listing("backups") == []
    for method in ("GET", "DELETE"):
        assert_fault(api.vol(method, "/backups/no-such-backup"), 404)
    assert_fault(api.vol("POST", "/backups/no-such-backup/restore", {"restore": {}}), 404)


def test_backup_outlives_its_volume(api):
    vol = api.create_volume(size=2)
    backup = api.create_backup(vol["id"])
    assert api.vol("DELETE", f"/volumes/{vol['id']}").status == 202
    api.wait("volumes", vol["id"], "gone")
    assert api.show("backups", backup["id"])["status"] == "available"
    r = api.vol("POST", f"/backups/{backup['id']}/restore", {"restore": {}})
    assert r.status == 202, r
    assert api.wait("volumes", r.body["restore"]["volume_id"], "available")["size"] == 2


# --- restore ------
def test_restore_into_an_existing_volume(slow_api):
    """JSON here; the XML restore body is in test_wire_format.py."""
    api = slow_api
    vol = api.create_volume(size=2)
    backup = api.create_backup(vol["id"])
    target = api.create_volume(size=2, display_name="target")
    r = api.vol("POST", f"/backups/{backup['id']}/restore", {"restore": {"volume_id": target["id"]}})
    assert r.status == 202, r
    assert r.body["restore"] == {"backup_id": backup["id"], "volume_id": target["id"]}
    assert api.show("volumes", target["id"])["status"] == "restoring-backup"
    assert api.show("backups", backup["id"])["status"] == "restoring"
    assert api.wait("volumes", target["id"], "available")["display_name"] == "target"
    assert api.wait("backups", backup["id"], "available")["status"] == "available"
    assert api.count() == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_restore_without_volume_creates_a_new_az2_volume(api, fmt):
    vol = api.create_volume(size=3, availability_zone="az1")
    backup = api.create_backup(vol["id"])
    body = {"restore": {}} if fmt == "json" else {"restore": {"volume_id": None}}
    r = api.vol("POST", f"/backups/{backup['id']}/restore", body, fmt)
    assert r.status == 202, r
    new_id = r.body["restore"]["volume_id"]
    assert r.body["restore"]["backup_id"] == backup["id"]
    assert new_id != vol["id"]
    new = api.wait("volumes", new_id, "available")
    assert (new["availability_zone"], new["size"]) == ("az2", 3)
    assert api.count() == 2


def test_restore_into_an_attached_volume_is_400(api):
    vol = api.create_volume()
    backup = api.create_backup(vol["id"])
    api.attach(api.server_in("az2"), vol["id"])
    r = api.vol("POST", f"/backups/{backup['id']}/restore", {"restore": {"volume_id": vol["id"]}})
    assert_fault(r, 400)
    assert api.show("volumes", vol["id"])["status"] == "in-use"
    assert api.show("backups", backup["id"])["status"] == "available"


def test_restore_into_an_unknown_volume_is_404(api):
    vol = api.create_volume()
    backup = api.create_backup(vol["id"])
    r = api.vol("POST", f"/backups/{backup['id']}/restore", {"restore": {"volume_id": "no-such-volume"}})
    assert_fault(r, 404)
    assert api.count() == 1


@pytest.mark.parametrize("where", ["backup", "volume"])
def test_fail_restore_word_ends_in_error_restoring(api, where):
    vol = api.create_volume()
    backup = api.create_backup(vol["id"], name="b fail-restore" if where == "backup" else "b")
    target = api.create_volume(display_name="t fail-restore" if where == "volume" else "t")
    r = api.vol("POST", f"/backups/{backup['id']}/restore", {"restore": {"volume_id": target["id"]}})
    assert r.status == 202, r
    assert api.wait("volumes", target["id"], "error_restoring")["status"] == "error_restoring"
    # Spec 4.5.4: an error during any operation sets the backup to error (Cinder: back to available)
    failed = api.wait("backups", backup["id"], "error", "available")
    assert failed["status"] == "error", failed
    assert "restore failed" in failed["fail_reason"]
    assert_fault(api.vol("POST", f"/backups/{backup['id']}/restore", {"restore": {}}), 400)
    assert api.vol("DELETE", f"/backups/{backup['id']}").status == 202
    assert api.wait("backups", backup["id"], "gone") is None


def test_a_failed_restore_into_a_new_volume_sets_both_to_their_error_states(api):
    vol = api.create_volume()
    backup = api.create_backup(vol["id"], name="b fail-restore")
    r = api.vol("POST", f"/backups/{backup['id']}/restore", {"restore": {}}, "xml")
    assert r.status == 202, r
    new = api.wait("volumes", r.body["restore"]["volume_id"], "error_restoring", "available")
    assert new["status"] == "error_restoring"
    assert api.wait("backups", backup["id"], "error", "available")["status"] == "error"
    assert api.vol("DELETE", f"/volumes/{new['id']}").status == 202  # error_restoring can be deleted


def test_another_projects_backup_is_404(api, other_api):
    vol = other_api.create_volume()
    backup = other_api.create_backup(vol["id"])
    mine = api.create_volume()
    assert_fault(api.vol("GET", f"/backups/{backup['id']}"), 404)
    assert_fault(api.vol("DELETE", f"/backups/{backup['id']}"), 404)
    assert_fault(
        api.vol("POST", f"/backups/{backup['id']}/restore", {"restore": {"volume_id": mine["id"]}}), 404
    )
    assert api.listing("backups") == []
    # and the other way round: my backup cannot be restored into their volume
    my_backup = api.create_backup(mine["id"])
    r = api.vol("POST", f"/backups/{my_backup['id']}/restore", {"restore": {"volume_id": vol["id"]}})
    assert_fault(r, 404)
    assert other_api.show("volumes", vol["id"])["status"] == "available"
    assert other_api.show("backups", backup["id"])["status"] == "available"


def test_a_volume_being_backed_up_is_busy(slow_api):
    api = slow_api
    vol = api.create_volume()
    other = api.create_volume()
    old = api.create_backup(other["id"])
    api.create_backup(vol["id"], wait=None)
    assert api.show("volumes", vol["id"])["status"] == "backing-up"
    assert_fault(api.vol("POST", "/backups", {"backup": {"volume_id": vol["id"]}}), 400)
    assert_fault(api.vol("DELETE", f"/volumes/{vol['id']}"), 400)
    assert_fault(api.vol("POST", f"/backups/{old['id']}/restore", {"restore": {"volume_id": vol["id"]}}), 400)
    assert_fault(
        api.comp(
            "POST",
            f"/servers/{api.server_in('az2')}/os-volume_attachments",
            {"volumeAttachment": {"volumeId": vol["id"]}},
        ),
        400,
    )
    assert len(api.listing("backups")) == 2
    assert api.wait("volumes", vol["id"], "available")["attachments"] == []


def test_a_backup_still_creating_cannot_be_restored_or_deleted(slow_api):
    api = slow_api
    vol = api.create_volume()
    target = api.create_volume()
    backup = api.create_backup(vol["id"], wait=None)
    assert api.show("backups", backup["id"])["status"] == "creating"
    r = api.vol("POST", f"/backups/{backup['id']}/restore", {"restore": {"volume_id": target["id"]}})
    assert_fault(r, 400)
    assert api.show("volumes", target["id"])["status"] == "available"
    assert_fault(api.vol("DELETE", f"/backups/{backup['id']}"), 400)
    assert api.wait("backups", backup["id"], "available")["status"] == "available"


def test_an_errored_backup_cannot_be_restored(api):
    vol = api.create_volume()
    bad = api.create_backup(vol["id"], name="b fail-create", wait="error")
    assert_fault(api.vol("POST", f"/backups/{bad['id']}/restore", {"restore": {}}), 400)
    assert_fault(api.vol("POST", f"/backups/{bad['id']}/restore", {"restore": {"volume_id": vol["id"]}}), 400)
    assert api.count() == 1
    assert api.show("volumes", vol["id"])["status"] == "available"
    assert api.vol("DELETE", f"/backups/{bad['id']}").status == 202  # but it can be deleted
    assert api.wait("backups", bad["id"], "gone") is None
