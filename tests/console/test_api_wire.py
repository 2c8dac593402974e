"""The two wire formats decode the spec's documents into equal records (console.api.wire)."""

from datetime import UTC, datetime

import pytest

from console.api import records
from console.api.wire import JSON, XML, DecodeError, body_format, fault_parse

VOLUME_JSON = b"""{"volume": {"attachments": [{"device": "/dev/vdd",
  "id": "29b53979-c09d-4944-a170-5430aac864df", "server_id": "c31ae64f-03d4-4bc9-b2bf-06f80db0ff62",
  "volume_id": "29b53979-c09d-4944-a170-5430aac864df"}],
  "availability_zone": "az1", "bootable": "true", "created_at": "2013-01-21T16:36:19.000000",
  "display_description": null, "display_name": "testvol02",
  "id": "29b53979-c09d-4944-a170-5430aac864df", "metadata": {"tier": "gold"}, "size": 5,
  "snapshot_id": null, "source_volid": null, "status": "in-use",
  "volume_image_metadata": {"image_id": "62560ce2", "image_name": "precise-server-cloudimg-i386"},
  "volume_type": "None"}}"""

VOLUME_XML = b"""<?xml version="1.0" ?>
<volume xmlns="http://docs.openstack.org/volume/api/v1" xmlns:atom="http://www.w3.org/2005/Atom"
  availability_zone="az1" bootable="true" created_at="2013-01-21 16:36:19" display_description="None"
  display_name="testvol02" id="29b53979-c09d-4944-a170-5430aac864df" size="5" snapshot_id="None"
  source_volid="None" status="in-use" volume_type="None">
  <attachments>
    <attachment device="/dev/vdd" id="29b53979-c09d-4944-a170-5430aac864df"
      server_id="c31ae64f-03d4-4bc9-b2bf-06f80db0ff62" volume_id="29b53979-c09d-4944-a170-5430aac864df"/>
  </attachments>
  <metadata><meta key="tier">gold</meta></metadata>
  <volume_image_metadata>
    <meta key="image_id">62560ce2</meta>
    <meta key="image_name">precise-server-cloudimg-i386</meta>
  </volume_image_metadata>
</volume>"""


def test_volume_from_json_and_xml_are_equal():
    from_json, from_xml = JSON.volume(VOLUME_JSON), XML.volume(VOLUME_XML)
    assert from_json == from_xml
    assert from_json.created_at == datetime(2013, 1, 21, 16, 36, 19, tzinfo=UTC)
    assert from_json.bootable is True
    assert from_json.volume_type is None
    assert from_json.display_description is None
    assert from_json.metadata == {"tier": "gold"}
    assert from_json.source == records.SOURCE_IMAGE
    assert from_json.image_id == "62560ce2"
    (attachment,) = from_json.attachments
    assert attachment.server_id == "c31ae64f-03d4-4bc9-b2bf-06f80db0ff62"
    assert attachment.guest_path == "/dev/disk/by-id/virtio-29b53979-c09d-4944-a"


def test_volume_name_and_source_helpers():
    volume = JSON.volume(
        b'{"volume": {"id": "v1", "status": "available", "size": 1, "snapshot_id": "s1", "bootable": false}}'
    )
    assert volume.name == "v1"
    assert volume.source == records.SOURCE_SNAPSHOT
    assert volume.created_at is None
    clone = JSON.volume(b'{"volume": {"id": "v2", "status": "available", "size": 1, "source_volid": "v1"}}')
    assert clone.source == records.SOURCE_VOLUME
    blank = JSON.volume(b'{"volume": {"id": "v3", "status": "available", "size": 1, "display_name": "x"}}')
    assert (blank.source, blank.name, blank.bootable) == (records.SOURCE_BLANK, "x", False)


def test_lists_of_every_resource_are_equal_in_both_formats():
    snapshots_json = b"""{"snapshots": [{"created_at": "2013-01-30T16:44:13.000000",
      "display_description": null, "display_name": null, "id": "0500944b", "metadata": {}, "size": 1,
      "status": "available", "volume_id": "64f5d2fb"}]}"""
    snapshots_xml = b"""<?xml version='1.0' encoding='utf-8'?><snapshots>
      <snapshot status="available" display_name="None" created_at="2013-01-30 16:44:13"
       display_description="None" volume_id="64f5d2fb" id="0500944b" size="1"><metadata /></snapshot>
      </snapshots>"""
    assert JSON.snapshots(snapshots_json) == XML.snapshots(snapshots_xml) != []

    backups_json = b"""{"backups": [{"availability_zone": "az1", "container": "volumebackups",
      "created_at": "2013-04-02T10:35:27.000000", "description": null, "fail_reason": null, "id": "2ef47aee",
      "links": [{"href": "http://x/backups/2ef47aee", "rel": "self"}], "name": null, "object_count": 22,
      "size": 1, "status": "available", "volume_id": "e5185058"}]}"""
    backups_xml = b"""<?xml version='1.0' encoding='utf-8'?>
      <backups xmlns:backups="http://docs.openstack.org/volume/ext/backups/api/v1">
      <backup status="available" object_count="22" container="volumebackups" name="None"
       availability_zone="az1" created_at="2013-04-02 10:35:27" description="None" volume_id="e5185058"
       fail_reason="None" id="2ef47aee" size="1" /></backups>"""
    (backup,) = JSON.backups(backups_json)
    assert [backup] == XML.backups(backups_xml)
    assert (backup.object_count, backup.container, backup.fail_reason, backup.label) == (
        22,
        "volumebackups",
        None,
        "2ef47aee",
    )

    attachments_json = b"""{"volumeAttachments": [{"device": "/dev/vdb", "id": "795114e8",
      "serverId": "bb6a4f73", "volumeId": "795114e8"}]}"""
    attachments_xml = b"""<?xml version='1.0' encoding='utf-8'?><volumeAttachments>
      <volumeAttachment device="/dev/vdb" serverId="bb6a4f73" id="795114e8" volumeId="795114e8" />
      </volumeAttachments>"""
    assert (
        JSON.attachments(attachments_json)
        == XML.attachments(attachments_xml)
        == [records.Attachment(id="795114e8", server_id="bb6a4f73", volume_id="795114e8", device="/dev/vdb")]
    )

    restore_json = b'{"restore": {"backup_id": 2, "volume_id": "795114e8"}}'
    restore_xml = b'<restore xmlns:b="urn:x" backup_id="2" volume_id="795114e8" />'
    assert JSON.restore(restore_json) == XML.restore(restore_xml) == records.Restore("2", "795114e8")


def test_servers_and_images_read_extension_attributes():
    servers_json = b"""{"servers": [{"id": "s1", "name": "web", "status": "ACTIVE",
      "OS-EXT-AZ:availability_zone": "az1"}]}"""
    servers_xml = b"""<servers xmlns="http://docs.openstack.org/compute/api/v1.1"
      xmlns:OS-EXT-AZ="http://docs.openstack.org/compute/ext/extended_availability_zone/api/v2">
      <server id="s1" name="web" status="ACTIVE" OS-EXT-AZ:availability_zone="az1"/></servers>"""
    assert (
        JSON.servers(servers_json)
        == XML.servers(servers_xml)
        == [records.Server("s1", "web", "ACTIVE", "az1")]
    )
    images_json = b"""{"images": [{"id": "i1", "name": "debian", "minDisk": 2,
      "OS-EXT-IMG-SIZE:size": 1024, "status": "ACTIVE"}]}"""
    images_xml = b"""<images xmlns:OS-EXT-IMG-SIZE="http://docs.openstack.org/compute/ext/image_size/api/v1.1">
      <image id="i1" name="debian" minDisk="2" OS-EXT-IMG-SIZE:size="1024" status="ACTIVE"/></images>"""
    assert (
        JSON.images(images_json)
        == XML.images(images_xml)
        == [records.Image("i1", "debian", 1024, 2, "ACTIVE")]
    )


def test_limits_in_both_formats():
    limits_json = b"""{"limits": {"rate": [{"uri": "*", "regex": ".*", "limit": [{"verb": "GET", "value": 1,
      "unit": "SECOND", "remaining": 1}]}],
      "absolute": {"maxTotalVolumeGigabytes": 3000, "maxTotalVolumes": 10,
      "totalVolumesUsed": 2, "totalGigabytesUsed": 12, "maxTotalSnapshots": -1}}}"""
    limits_xml = b"""<?xml version='1.0' encoding='UTF-8' ?>
      <limits xmlns="http://docs.openstack.org/common/api/v1.0">
      <rates><rate uri="*" regex=".*"><limit verb="GET" value="1" unit="SECOND" remaining="1"/></rate></rates>
      <absolute><limit name="maxTotalVolumeGigabytes" value="3000" />
      <limit name="maxTotalVolumes" value="10" />
      <limit name="totalVolumesUsed" value="2" /><limit name="totalGigabytesUsed" value="12" />
      <limit name="maxTotalSnapshots" value="-1" /></absolute></limits>"""
    limits = JSON.limits(limits_json)
    assert limits == XML.limits(limits_xml)
    assert (limits.max_total_volumes, limits.max_total_volume_gigabytes, limits.max_total_snapshots) == (
        10,
        3000,
        -1,
    )
    assert (limits.total_volumes_used, limits.total_gigabytes_used, limits.total_snapshots_used) == (
        2,
        12,
        None,
    )
    assert limits.rate == (
        records.RateLimit(uri="*", regex=".*", verb="GET", value=1, unit="SECOND", remaining=1),
    )


def test_spec_limits_example_without_usage():
    limits = XML.limits(
        b"<limits><rates /><absolute><limit name='maxTotalVolumes' value='20' /></absolute></limits>"
    )
    assert (limits.max_total_volumes, limits.total_volumes_used, limits.rate) == (20, None, ())


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"volumes": {}}',
        b'{"volume": {"id": "v"}}',
        b'{"volume": {"id": "v", "status": "available", "size": "big"}}',
        b"<volume id='v'",
        b"<snapshot id='v' status='available' size='1' volume_id='x'/>",
        b"<!DOCTYPE volume [<!ENTITY x 'y'>]><volume id='&x;' status='available' size='1'/>",
        b"",
    ],
)
def test_undecodable_bodies_raise_decode_error(body):
    fmt = body_format(body, JSON)
    with pytest.raises(DecodeError):
        fmt.volume(body)


def test_request_bodies_in_both_formats():
    fields = {"size": 1, "display_name": "a & b", "metadata": {"k": "v"}, "force": False}
    assert JSON.encode("volume", fields) == (
        b'{"volume": {"size": 1, "display_name": "a & b", "metadata": {"k": "v"}, "force": false}}'
    )
    xml = XML.encode("volume", fields)
    assert b'size="1"' in xml and b'display_name="a &amp; b"' in xml and b'force="false"' in xml
    assert b'<metadata><meta key="k">v</meta></metadata>' in xml


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"itemNotFound": {"code": 404, "message": "Volume v could not be found."}}',
            ("itemNotFound", "Volume v could not be found.", None),
        ),
        (
            b'<itemNotFound code="404" xmlns="http://docs.openstack.org/volume/api/v1">'
            b"<message>Volume v could not be found.</message></itemNotFound>",
            ("itemNotFound", "Volume v could not be found.", None),
        ),
        (
            b'{"overLimit": {"code": 413, "message": "This request was rate-limited.", "retryAfter": 2}}',
            ("overLimit", "This request was rate-limited.", 2.0),
        ),
        (
            b'<?xml version="1.0"?><overLimit code="413" retryAfter="3">'
            b"<message>slow down</message></overLimit>",
            ("overLimit", "slow down", 3.0),
        ),
        (
            b'{"error": {"code": 401, "title": "Unauthorized", '
            b'"message": "The request you have made requires authentication."}}',
            ("Unauthorized", "The request you have made requires authentication.", None),
        ),
    ],
)
def test_faults_in_either_format(body, expected):
    fault = fault_parse(body)
    assert (fault.name, fault.message, fault.retry_after) == expected


@pytest.mark.parametrize("body", [b"", b"Internal Server Error", b"{oops", b"<broken", b"[]"])
def test_no_fault_in_other_bodies(body):
    assert fault_parse(body) is None
