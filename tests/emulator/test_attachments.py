"""Compute os-volume_attachments (spec 4.5.5): attach, list, get, detach, zones, devices, limits."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import REGION_B, assert_fault, server_az

FORMATS = ["json", "xml"]
ATTACHMENT_KEYS = {"device", "id", "serverId", "volumeId"}


@pytest.mark.parametrize("region", ["region-a.geo-1", REGION_B])
def test_each_project_has_servers_in_every_zone(api, region):
    api = api.in_region(region)
    assert {server_az(s) for s in api.servers()} >= {"az1", "az2", "az3"}
    r = api.comp("GET", "/servers")
    assert r.status == 200, r
    assert {s["id"] for s in r.body["servers"]} == {s["id"] for s in api.servers()}


@pytest.mark.parametrize("fmt", FORMATS)
def test_attach_list_get_detach(api, fmt):
    server = api.server_in("az2")
    vol = api.create_volume()
    r = api.comp(
        "POST", f"/servers/{server}/os-volume_attachments", {"volumeAttachment": {"volumeId": vol["id"]}}, fmt
    )
    assert r.status == 200, r
    att = r.body["volumeAttachment"]
    assert set(att) >= ATTACHMENT_KEYS, att
    assert (att["volumeId"], att["serverId"], att["device"]) == (vol["id"], server, "/dev/vdc")
    assert att["id"] == vol["id"]  # as in every example of spec 4.5.5
    in_use = api.wait("volumes", vol["id"], "in-use")
    (vol_att,) = in_use["attachments"]
    assert (vol_att["server_id"], vol_att["volume_id"], vol_att["device"]) == (server, vol["id"], "/dev/vdc")
    assert vol_att["id"] == att["id"]

    listing = api.comp("GET", f"/servers/{server}/os-volume_attachments", fmt=fmt)
    assert listing.status == 200, listing
    assert [a["volumeId"] for a in listing.body["volumeAttachments"]] == [vol["id"]]
    assert listing.body["volumeAttachments"][0] == att

    one = api.comp("GET", f"/servers/{server}/os-volume_attachments/{vol['id']}", fmt=fmt)
    assert one.status == 200, one
    assert one.body["volumeAttachment"] == att

    gone = api.comp("DELETE", f"/servers/{server}/os-volume_attachments/{vol['id']}", fmt=fmt)
    assert gone.status == 202, gone
    assert not gone.text
    assert api.wait("volumes", vol["id"], "available")["attachments"] == []
    assert api.comp("GET", f"/servers/{server}/os-volume_attachments").body["volumeAttachments"] == []
    assert_fault(api.comp("GET", f"/servers/{server}/os-volume_attachments/{vol['id']}"), 404)


def test_attach_and_detach_pass_through_attaching_and_detaching(slow_api):
    api = slow_api
    server = api.server_in("az2")
    vol = api.create_volume()
    assert api.attach(server, vol["id"], wait=None).status == 200
    assert api.show("volumes", vol["id"])["status"] == "attaching"
    api.wait("volumes", vol["id"], "in-use")
    assert api.detach(server, vol["id"], wait=None).status == 202
    assert api.show("volumes", vol["id"])["status"] == "detaching"
    assert api.wait("volumes", vol["id"], "available")["attachments"] == []


def test_device_is_assigned_from_vdc_upward_whatever_was_asked(api):
    server = api.server_in("az2")
    first, second, third = (api.create_volume() for _ in range(3))
    a1 = api.attach(server, first["id"], device="/dev/vdz")
    a2 = api.attach(server, second["id"], device="/dev/vdb")
    assert a1.body["volumeAttachment"]["device"] == "/dev/vdc"
    assert a2.body["volumeAttachment"]["device"] == "/dev/vdd"
    api.detach(server, first["id"])
    a3 = api.attach(server, third["id"], device="/dev/vdq")
    assert a3.body["volumeAttachment"]["device"] == "/dev/vdc"
    devices = {
        a["volumeId"]: a["device"]
        for a in api.comp("GET", f"/servers/{server}/os-volume_attachments").body["volumeAttachments"]
    }
    assert devices == {second["id"]: "/dev/vdd", third["id"]: "/dev/vdc"}


def test_devices_are_counted_per_server(api):
    a, b = api.create_volume(availability_zone="az1"), api.create_volume(availability_zone="az3")
    assert api.attach(api.server_in("az1"), a["id"]).body["volumeAttachment"]["device"] == "/dev/vdc"
    assert api.attach(api.server_in("az3"), b["id"]).body["volumeAttachment"]["device"] == "/dev/vdc"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("vol_az", "server_az_"), [("az1", "az2"), ("az3", "az1"), ("az2", "az3")])
def test_attach_only_within_the_same_zone(api, fmt, vol_az, server_az_):
    vol = api.create_volume(availability_zone=vol_az)
    r = api.comp(
        "POST",
        f"/servers/{api.server_in(server_az_)}/os-volume_attachments",
        {"volumeAttachment": {"volumeId": vol["id"]}},
        fmt,
    )
    assert_fault(r, 400)
    now = api.show("volumes", vol["id"])
    assert (now["status"], now["attachments"]) == ("available", [])
    assert api.attach(api.server_in(vol_az), vol["id"]).status == 200


def test_attached_volume_cannot_be_attached_again_or_deleted(api):
    server = api.server_in("az2")
    vol = api.create_volume()
    api.attach(server, vol["id"])
    assert_fault(
        api.comp(
            "POST", f"/servers/{server}/os-volume_attachments", {"volumeAttachment": {"volumeId": vol["id"]}}
        ),
        400,
    )
    others = [s["id"] for s in api.servers() if server_az(s) == "az2" and s["id"] != server]
    for other in others:
        assert_fault(
            api.comp(
                "POST",
                f"/servers/{other}/os-volume_attachments",
                {"volumeAttachment": {"volumeId": vol["id"]}},
            ),
            400,
        )
    assert_fault(api.vol("DELETE", f"/volumes/{vol['id']}"), 400)
    now = api.show("volumes", vol["id"])
    assert now["status"] == "in-use" and len(now["attachments"]) == 1


def test_errored_volume_cannot_be_attached(api):
    vol = api.create_volume(display_name="x fail-create", wait="error")
    assert_fault(
        api.comp(
            "POST",
            f"/servers/{api.server_in('az2')}/os-volume_attachments",
            {"volumeAttachment": {"volumeId": vol["id"]}},
        ),
        400,
    )
    assert api.show("volumes", vol["id"])["status"] == "error"


def test_unknown_volume_server_or_attachment_is_404(api):
    server = api.server_in("az2")
    vol = api.create_volume()
    assert_fault(
        api.comp(
            "POST",
            f"/servers/{server}/os-volume_attachments",
            {"volumeAttachment": {"volumeId": "no-such-volume"}},
        ),
        404,
    )
    assert_fault(
        api.comp(
            "POST",
            "/servers/no-such-server/os-volume_attachments",
            {"volumeAttachment": {"volumeId": vol["id"]}},
        ),
        404,
    )
    assert_fault(api.comp("GET", "/servers/no-such-server/os-volume_attachments"), 404)
    assert_fault(api.comp("GET", f"/servers/{server}/os-volume_attachments/{vol['id']}"), 404)
    assert_fault(api.comp("DELETE", f"/servers/{server}/os-volume_attachments/{vol['id']}"), 404)
    assert api.show("volumes", vol["id"])["status"] == "available"


def test_missing_volume_id_is_400(api):
    server = api.server_in("az2")
    assert_fault(
        api.comp(
            "POST", f"/servers/{server}/os-volume_attachments", {"volumeAttachment": {"device": "/dev/vdc"}}
        ),
        400,
    )


def test_another_projects_volume_or_server_is_404(api, other_api):
    theirs = other_api.create_volume()
    their_server = other_api.server_in("az2")
    mine = api.create_volume()
    assert_fault(
        api.comp(
            "POST",
            f"/servers/{api.server_in('az2')}/os-volume_attachments",
            {"volumeAttachment": {"volumeId": theirs["id"]}},
        ),
        404,
    )
    assert_fault(
        api.comp(
            "POST",
            f"/servers/{their_server}/os-volume_attachments",
            {"volumeAttachment": {"volumeId": mine["id"]}},
        ),
        404,
    )
    assert_fault(api.comp("GET", f"/servers/{their_server}/os-volume_attachments"), 404)
    assert other_api.show("volumes", theirs["id"])["status"] == "available"
    assert api.show("volumes", mine["id"])["status"] == "available"


def test_server_of_the_other_region_is_404(api):
    server_a = api.server_in("az2")
    b = api.in_region(REGION_B)
    vol_b = b.create_volume()
    assert_fault(
        b.comp(
            "POST",
            f"/servers/{server_a}/os-volume_attachments",
            {"volumeAttachment": {"volumeId": vol_b["id"]}},
        ),
        404,
    )


def test_fail_attach_word_ends_in_error_attaching(api):
    vol = api.create_volume(display_name="v fail-attach")
    server = api.server_in("az2")
    r = api.attach(server, vol["id"], wait="error_attaching")
    assert r.status == 200, r
    assert api.show("volumes", vol["id"])["status"] == "error_attaching"
    # a failed attach leaves no attachment behind and frees its device
    assert api.comp("GET", f"/servers/{server}/os-volume_attachments").body["volumeAttachments"] == []
    other = api.create_volume()
    assert api.attach(server, other["id"]).body["volumeAttachment"]["device"] == "/dev/vdc"


def test_fail_detach_word_ends_in_error_detaching(api):
    server = api.server_in("az2")
    vol = api.create_volume(display_name="v fail-detach")
    api.attach(server, vol["id"])
    assert api.detach(server, vol["id"], wait="error_detaching").status == 202
    now = api.show("volumes", vol["id"])
    assert now["status"] == "error_detaching"
    # the detach failed, so the volume is still attached where it was
    assert [a["server_id"] for a in now["attachments"]] == [server]


def test_at_most_26_volumes_per_server(emulator, api):
    """Needs 27 volumes, so the project's quota is raised through the quotas hook first."""
    emulator.hook("PUT", f"/_emulator/quotas/{api.project_id}", {"volumes": 30})
    server = api.server_in("az2")
    vols = [api.create_volume(wait=None)["id"] for _ in range(27)]
    for vid in vols:
        api.wait("volumes", vid, "available")
    devices = []
    for vid in vols[:26]:
        r = api.attach(server, vid, wait=None)
        assert r.status == 200, r
        devices.append(r.body["volumeAttachment"]["device"])
    assert devices[:3] == ["/dev/vdc", "/dev/vdd", "/dev/vde"]
    assert len(set(devices)) == 26
    r = api.attach(server, vols[26], wait=None)
    assert_fault(r, 400)  # the spec gives no code; docs/emulator.md says 400
    assert api.show("volumes", vols[26])["status"] == "available"
    listed = api.comp("GET", f"/servers/{server}/os-volume_attachments").body["volumeAttachments"]
    assert len(listed) == 26
    # freeing one slot lets the 27th in, on the freed device
    api.wait("volumes", vols[5], "in-use")
    api.detach(server, vols[5])
    r = api.attach(server, vols[26])
    assert r.status == 200, r
    assert r.body["volumeAttachment"]["device"] == devices[5]
