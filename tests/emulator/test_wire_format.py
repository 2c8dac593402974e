"""The wire (spec 4.2-4.4): headers on every answer, format selection, XML bodies both ways."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - our own emulator's answers
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from tests.emulator.conftest import assert_fault, make_api
from tests.emulator.wire import assert_same, decode_xml, encode_xml
from tests.emulator_process import FAST, EmulatorProcess

REQUEST_ID = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
VOLUME_NS = "{http://docs.openstack.org/volume/api/v1}"


def test_the_test_codec_reads_the_specs_examples():
    volume = decode_xml(
        b'<?xml version="1.0" ?><volumes xmlns="http://docs.openstack.org/volume/api/v1">'
        b'<volume availability_zone="az1" created_at="2013-01-21 16:36:19" display_description="None" '
        b'display_name="None" id="29b5" size="5" snapshot_id="None" source_volid="None" status="in-use" '
        b'volume_type="None"><attachments><attachment device="/dev/vdd" id="29b5" server_id="c31a" '
        b'volume_id="29b5"/></attachments><metadata><meta key="k">v</meta></metadata>'
        b'<volume_image_metadata><meta key="image_id">6256</meta></volume_image_metadata></volume></volumes>'
    )
    assert volume == {
        "volumes": [
            {
                "availability_zone": "az1",
                "created_at": "2013-01-21 16:36:19",
                "display_description": None,
                "display_name": None,
                "id": "29b5",
                "size": 5,
                "snapshot_id": None,
                "source_volid": None,
                "status": "in-use",
                "volume_type": None,
                "metadata": {"k": "v"},
                "attachments": [
                    {"device": "/dev/vdd", "id": "29b5", "server_id": "c31a", "volume_id": "29b5"}
                ],
                "volume_image_metadata": {"image_id": "6256"},
            }
        ]
    }
    assert decode_xml(
        b'<badRequest code="400" xmlns="http://docs.openstack.org/volume/api/v1">'
        b"<message>Malformed request body</message></badRequest>"
    ) == {"badRequest": {"code": 400, "message": "Malformed request body"}}
    assert decode_xml(
        b'<limits><rates/><absolute><limit name="maxTotalVolumes" value="20"/></absolute></limits>'
    ) == {"limits": {"rate": [], "absolute": {"maxTotalVolumes": 20}}}
    assert decode_xml(encode_xml({"volume": {"size": 1, "metadata": {"a": "b"}, "x": None}})) == {
        "volume": {"size": 1, "metadata": {"a": "b"}}
    }


def _check_headers(reply, fmt: str | None) -> str:
    request_id = reply.headers.get("X-Compute-Request-Id", "")
    assert REQUEST_ID.match(request_id), (request_id, reply)
    date = parsedate_to_datetime(reply.headers["Date"])
    assert reply.headers["Date"].endswith("GMT")
    assert abs(date - datetime.now(UTC)) < timedelta(minutes=5)
    assert reply.headers["Content-Type"].split(";")[0] == f"application/{fmt}", reply.headers
    assert int(reply.headers["Content-Length"]) == len(reply.text.encode())
    return request_id


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_every_answer_carries_request_id_date_and_content_type(api, fmt):
    server = api.server_in("az2")
    vol = api.create_volume()
    replies = [
        api.vol("GET", "/volumes", fmt=fmt),
        api.vol("GET", "/limits", fmt=fmt),
        api.vol("POST", "/volumes", {"volume": {"size": 1}}, fmt),
        api.vol("PUT", f"/volumes/{vol['id']}", {"volume": {"display_name": "n"}}, fmt),
        api.vol("GET", "/volumes/no-such-volume", fmt=fmt),
        api.vol("POST", "/volumes", {"volume": {"size": 0}}, fmt),
        api.vol("GET", "/volumes", fmt=fmt, token="bad"),
        api.vol("POST", "/volumes", {"volume": {"size": 5000}}, fmt),  # 400: over 2047
        api.attach(server, vol["id"], fmt=fmt),
        api.comp("GET", f"/servers/{server}/os-volume_attachments", fmt=fmt),
        api.comp("DELETE", f"/servers/{server}/os-volume_attachments/{vol['id']}", fmt=fmt),
        api.vol("DELETE", f"/volumes/{vol['id']}", fmt=fmt),
    ]
    statuses = {r.status for r in replies}
    assert {200, 202, 400, 401, 404} <= statuses
    api.wait("volumes", vol["id"], "available", "gone")
    ids = [_check_headers(r, fmt) for r in replies]
    assert len(set(ids)) == len(ids)


def test_request_ids_appear_in_the_emulators_log(emulator, api):
    r = api.vol("GET", "/volumes/no-such-volume")
    log = emulator.hook("GET", f"/_emulator/log?project={api.project_id}&limit=5")
    text = str(log)
    assert r.headers["X-Compute-Request-Id"] in text


@pytest.mark.parametrize(
    ("suffix", "accept", "expect"),
    [
        (".xml", "application/json", "xml"),
        (".json", "application/xml", "json"),
        ("", "application/xml", "xml"),
        ("", "application/json", "json"),
    ],
)
def test_suffix_wins_over_accept(api, suffix, accept, expect):
    vol = api.create_volume()
    server = api.server_in("az2")
    urls = [
        f"{api.volume_base}/volumes{suffix}",
        f"{api.volume_base}/volumes/detail{suffix}",
        f"{api.volume_base}/volumes/{vol['id']}{suffix}",
        f"{api.volume_base}/limits{suffix}",
        f"{api.volume_base}/snapshots/detail{suffix}",
        f"{api.volume_base}/backups{suffix}",
        f"{api.compute_base}/servers/{server}/os-volume_attachments{suffix}",
        f"{api.volume_base}/volumes/no-such-volume{suffix}",
    ]
    for url in urls:
        r = api.request("GET", url, headers={"Accept": accept})
        assert r.status in (200, 404), r
        assert r.fmt == expect, (url, r.headers.get("Content-Type"))
        assert r.body


def test_json_is_the_default(api):
    r = api.request("GET", f"{api.volume_base}/volumes", headers={"Accept": ""})
    assert (r.status, r.fmt) == (200, "json")
    r = api.request("GET", f"{api.volume_base}/volumes", headers={"Accept": "*/*"})
    assert (r.status, r.fmt) == (200, "json")


def test_xml_volumes_are_in_the_volume_namespace(api):
    vol = api.create_volume()
    r = api.session.get(f"{api.volume_base}/volumes/{vol['id']}.xml", headers={"X-Auth-Token": api.token})
    assert ET.fromstring(r.content).tag == f"{VOLUME_NS}volume"  # noqa: S314
    r = api.session.get(f"{api.volume_base}/volumes/detail.xml", headers={"X-Auth-Token": api.token})
    assert ET.fromstring(r.content).tag == f"{VOLUME_NS}volumes"  # noqa: S314


def test_json_and_xml_say_the_same_thing(api):
    server = api.server_in("az1")
    vol = api.create_volume(
        size=2,
        availability_zone="az1",
        display_name="same",
        display_description="d",
        metadata={"k": "v", "n": "1"},
    )
    snap = api.create_snapshot(vol["id"], display_name="snap")
    backup = api.create_backup(vol["id"], name="bk", description="bd")
    api.attach(server, vol["id"])

    def both(url_path, key, base=api.volume_base):
        j = api.request("GET", f"{base}{url_path}")
        x = api.request("GET", f"{base}{url_path}", fmt="xml")
        assert (j.status, x.status, j.fmt, x.fmt) == (200, 200, "json", "xml"), (j, x)
        return j.body[key], x.body[key]

    j, x = both(f"/volumes/{vol['id']}", "volume")
    assert_same(j, x, "volume")
    assert x["attachments"] and x["metadata"] == {"k": "v", "n": "1"}
    j, x = both("/volumes/detail", "volumes")
    assert_same(j[0], x[0], "volume")
    j, x = both("/volumes", "volumes")
    assert_same(j[0], x[0], "volume")
    j, x = both(f"/snapshots/{snap['id']}", "snapshot")
    assert_same(j, x, "snapshot")
    j, x = both("/snapshots", "snapshots")
    assert_same(j[0], x[0], "snapshot")
    j, x = both(f"/backups/{backup['id']}", "backup")
    assert_same(j, x, "backup")
    j, x = both("/backups/detail", "backups")
    assert_same(j[0], x[0], "backup")
    j, x = both("/backups", "backups")
    assert_same(j[0], x[0], "backup_summary")
    j, x = both(
        f"/servers/{server}/os-volume_attachments/{vol['id']}", "volumeAttachment", base=api.compute_base
    )
    assert_same(j, x, "volumeAttachment")
    j, x = both(f"/servers/{server}/os-volume_attachments", "volumeAttachments", base=api.compute_base)
    assert_same(j[0], x[0], "volumeAttachment")


def test_xml_faults_have_the_specs_shape(api):
    r = api.vol("POST", "/volumes", {"volume": {"size": 0}}, "xml")
    root = ET.fromstring(r.text)  # noqa: S314
    assert root.tag.endswith("badRequest") and root.get("code") == "400"
    assert [child.tag.rsplit("}", 1)[-1] for child in root] == ["message"]


# --- XML request bodies ------
def _post_xml(api, path, xml: str, base=None):
    return api.request("POST", (base or api.volume_base) + path, fmt="xml", data=xml)


def test_xml_bodies_for_create_update_snapshot_backup_restore_and_attach(api):
    r = _post_xml(
        api,
        "/volumes",
        '<volume size="2" availability_zone="az1" display_name="x1" '
        'display_description="from xml"><metadata><meta key="a">b</meta>'
        "</metadata></volume>",
    )
    assert r.status == 200, r
    vol = api.wait("volumes", r.body["volume"]["id"], "available")
    assert (
        vol["size"],
        vol["availability_zone"],
        vol["display_name"],
        vol["display_description"],
        vol["metadata"],
    ) == (2, "az1", "x1", "from xml", {"a": "b"})

    r = api.request(
        "PUT",
        f"{api.volume_base}/volumes/{vol['id']}",
        fmt="xml",
        data='<volume display_description="new description"/>',
    )
    assert r.status == 200, r
    assert api.show("volumes", vol["id"])["display_description"] == "new description"

    r = _post_xml(api, "/snapshots", f'<snapshot display_name="sx" force="false" volume_id="{vol["id"]}"/>')
    assert r.status == 200, r
    snap = api.wait("snapshots", r.body["snapshot"]["id"], "available")
    assert (snap["display_name"], snap["volume_id"]) == ("sx", vol["id"])

    r = _post_xml(api, "/backups", f'<backup name="bx" description="bd" volume_id="{vol["id"]}"/>')
    assert r.status == 202, r
    backup = api.wait("backups", r.body["backup"]["id"], "available")
    assert (backup["name"], backup["description"], backup["volume_id"]) == ("bx", "bd", vol["id"])

    r = _post_xml(api, f"/backups/{backup['id']}/restore", f'<restore volume_id="{vol["id"]}"/>')
    assert r.status == 202, r
    assert r.body["restore"] == {"backup_id": backup["id"], "volume_id": vol["id"]}
    api.wait("volumes", vol["id"], "available")
    api.wait("backups", backup["id"], "available")

    server = api.server_in("az1")
    r = _post_xml(
        api,
        f"/servers/{server}/os-volume_attachments",
        f'<volumeAttachment volume_id="{vol["id"]}"/>',
        base=api.compute_base,
    )
    assert r.status == 200, r
    assert r.body["volumeAttachment"]["volumeId"] == vol["id"]
    assert api.wait("volumes", vol["id"], "in-use")["attachments"][0]["server_id"] == server


def test_xml_snapshot_force_true_is_read_and_an_attached_volume_still_refused(api):
    vol = api.create_volume()
    r = _post_xml(api, "/snapshots", f'<snapshot force="true" volume_id="{vol["id"]}"/>')
    assert r.status == 200, r
    api.wait("snapshots", r.body["snapshot"]["id"], "available")
    api.attach(api.server_in("az2"), vol["id"])
    r = _post_xml(api, "/snapshots", f'<snapshot force="true" volume_id="{vol["id"]}"/>')
    assert (r.status, r.fmt) == (400, "xml"), r
    assert len(api.listing("snapshots")) == 1


def test_xml_body_with_json_accept_answers_json(api):
    r = api.request(
        "POST",
        f"{api.volume_base}/volumes",
        data='<volume size="1"/>',
        headers={"Content-Type": "application/xml", "Accept": "application/json"},
    )
    assert (r.status, r.fmt) == (200, "json")
    assert r.body["volume"]["size"] == 1


@pytest.mark.parametrize("kind", ["volumes", "snapshots", "backups"])
def test_all_tenants_is_accepted_and_never_shows_other_projects(api, other_api, kind):
    """?all_tenants=0 is accepted; cinderclient sends all_tenants=1 to find by name (see the clients doc)."""
    vol = api.create_volume()
    api.create_snapshot(vol["id"])
    api.create_backup(vol["id"])
    theirs = other_api.create_volume()
    other_api.create_snapshot(theirs["id"])
    other_api.create_backup(theirs["id"], wait=None)
    for flag in ("0", "1"):
        for path in (f"/{kind}?all_tenants={flag}", f"/{kind}/detail?all_tenants={flag}"):
            r = api.vol("GET", path)
            assert r.status == 200, r
            assert len(r.body[kind]) == 1, (path, r)
            assert theirs["id"] not in r.text


def test_xml_and_json_carry_awkward_characters_intact(api):
    name = "a<b & \"c\" 'd' > é ✓"
    vol = api.create_volume(
        display_name=name, display_description="line1\nline2", metadata={"k<&>": "v\"'<&>", "ü": "ß"}
    )
    j = api.get("volumes", vol["id"])
    x = api.get("volumes", vol["id"], fmt="xml")
    assert j.body["volume"]["display_name"] == name == x.body["volume"]["display_name"]
    assert x.body["volume"]["metadata"] == j.body["volume"]["metadata"] == {"k<&>": "v\"'<&>", "ü": "ß"}
    r = _post_xml(api, "/volumes", '<volume size="1" display_name="x &amp; &lt;y&gt; ✓"/>')
    assert r.status == 200, r
    assert r.body["volume"]["display_name"] == "x & <y> ✓"


def test_bootable_volume_shows_image_metadata_in_xml_too(api):
    image = next(img for img in api.images() if int(img.get("minDisk") or 0) >= 1)
    vol = api.create_volume(imageRef=image["id"], size=int(image["minDisk"]))
    x = api.get("volumes", vol["id"], fmt="xml").body["volume"]
    assert x["volume_image_metadata"]["image_id"] == image["id"]
    detail = api.listing("volumes", fmt="xml")
    assert detail[0]["volume_image_metadata"]["image_id"] == image["id"]


@pytest.mark.parametrize(
    ("accept", "expect"),
    [
        ("application/xml;q=0.1, application/json", "json"),
        ("application/json;q=0.2, application/xml;q=0.9", "xml"),
        ("text/html, application/xml;q=0.5", "xml"),
    ],
)
def test_accept_quality_values(api, accept, expect):
    r = api.request("GET", f"{api.volume_base}/limits", headers={"Accept": accept})
    assert (r.status, r.fmt) == (200, expect)


def test_http_level_errors_are_faults_too(emulator):
    """Errors raised by the HTTP layer itself (here: too many headers) still answer the spec's fault shape."""
    import socket

    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(120))
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=10) as sock:
        sock.sendall(b"GET /volume/region-a.geo-1/v1/x/volumes HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    assert 400 <= status < 500, raw
    assert b"X-Compute-Request-Id: req-" in head, raw
    ((_, detail),) = json.loads(body).items()
    assert detail["code"] == status and detail["message"]


# --- the emulator's documented choices where the spec is silent (docs/emulator.md) ------
def test_lists_are_newest_first_and_filter_as_documented(api):
    first = api.create_volume(display_name="alpha", availability_zone="az1")
    second = api.create_volume(display_name="beta")
    assert [v["id"] for v in api.listing("volumes")] == [second["id"], first["id"]]
    for query, expect in (
        ("display_name=alpha", [first]),
        ("availability_zone=az2", [second]),
        ("status=available", [second, first]),
        ("display_name=none", []),
    ):
        r = api.vol("GET", f"/volumes/detail?{query}")
        assert [v["id"] for v in r.body["volumes"]] == [v["id"] for v in expect], query
    snap = api.create_snapshot(first["id"], display_name="s")
    assert [s["id"] for s in api.vol("GET", f"/snapshots?volume_id={first['id']}").body["snapshots"]] == [
        snap["id"]
    ]
    assert api.vol("GET", f"/snapshots?volume_id={second['id']}").body["snapshots"] == []
    backup = api.create_backup(second["id"], name="b")
    assert [b["id"] for b in api.vol("GET", "/backups/detail?name=b").body["backups"]] == [backup["id"]]
    assert api.vol("GET", "/backups/detail?name=c").body["backups"] == []


def test_integer_strings_are_sizes(api):
    r = api.vol("POST", "/volumes", {"volume": {"size": "10"}})
    assert r.status == 200, r
    assert r.body["volume"]["size"] == 10


# --- paging: offset and limit as Cinder's v1 lists had them; v1 knows no marker ------
@pytest.mark.parametrize("kind", ["volumes", "snapshots", "backups"])
@pytest.mark.parametrize("detail", [True, False])
def test_limit_and_offset_page_a_list_newest_first(api, kind, detail):
    vol = api.create_volume()
    for index in range(4):
        if kind == "volumes":
            api.create_volume(wait=None, display_name=f"v{index}")
        elif kind == "snapshots":
            api.create_snapshot(vol["id"], wait=None, display_name=f"s{index}")
        else:
            api.create_backup(vol["id"], name=f"b{index}")
    path = f"/{kind}/detail" if detail else f"/{kind}"
    everything = [item["id"] for item in api.vol("GET", path).body[kind]]
    assert len(everything) == (5 if kind == "volumes" else 4)

    def page(query: str) -> list[str]:
        r = api.vol("GET", f"{path}?{query}")
        assert r.status == 200, r
        return [item["id"] for item in r.body[kind]]

    assert page("limit=2") == everything[:2]
    assert page("limit=2&offset=2") == everything[2:4]
    assert page("offset=3") == everything[3:]
    assert page("offset=99") == []
    assert page("limit=0") == everything  # 0 means "as many as allowed"
    assert page(f"marker={everything[1]}") == everything  # v1 has no marker: ignored
    assert page(f"limit=1&marker={everything[1]}") == everything[:1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=abc", "limit param must be an integer"),
        ("limit=-1", "limit param must be positive"),
        ("offset=1.5", "offset param must be an integer"),
        ("offset=-2", "offset param must be positive"),
        ("limit=", "limit param must be an integer"),
    ],
)
def test_bad_limit_or_offset_is_400(api, query, message):
    for path in ("/volumes", "/snapshots/detail", "/backups"):
        assert_fault(api.vol("GET", f"{path}?{query}"), 400, "badRequest", message)


def test_a_list_answers_at_most_the_maximum_limit():
    """Cinder answered at most osapi_max_limit (1000) items per list; EMULATOR_MAX_LIMIT sets it here."""
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0", "EMULATOR_MAX_LIMIT": "3"}).start()
    try:
        api = make_api(proc, "m")
        ids = [api.create_volume(wait=None)["id"] for _ in range(5)]
        newest = list(reversed(ids))
        for query in ("", "?limit=10", "?limit=0"):
            assert [v["id"] for v in api.vol("GET", f"/volumes/detail{query}").body["volumes"]] == newest[:3]
        assert [v["id"] for v in api.vol("GET", "/volumes?offset=3").body["volumes"]] == newest[3:]
    finally:
        proc.stop()
