"""Bad input answers 400/404 faults, never 500, and never leaves a half-created resource behind."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import assert_fault

FORMATS = ["json", "xml"]


def _counts(api) -> tuple[int, int, int]:
    return api.count("volumes"), api.count("snapshots"), api.count("backups")


@pytest.fixture
def world(api):
    """One available volume and a server, so request paths have valid ids to use."""
    vol = api.create_volume()
    return {"volume": vol["id"], "server": api.server_in("az2")}


CREATE_PATHS = [
    ("vol", "POST", "/volumes"),
    ("vol", "POST", "/snapshots"),
    ("vol", "POST", "/backups"),
    ("vol", "POST", "/backups/{backup}/restore"),
    ("comp", "POST", "/servers/{server}/os-volume_attachments"),
    ("vol", "PUT", "/volumes/{volume}"),
]


BAD_BODIES = [
    ("application/json", "{not json"),
    ("application/json", '{"volume": {"size": 1'),
    ("application/json", "[1, 2, 3]"),
    ("application/json", '"just a string"'),
    ("application/json", "null"),
    ("application/json", "{}"),
    ("application/json", ""),
    ("application/xml", "<volume size='1'"),
    ("application/xml", "<wrong-root/>"),
    ("application/xml", "not xml at all"),
    ("application/xml", ""),
    ("application/json", b"\xff\xfe\xfa"),
]


@pytest.mark.parametrize(("base", "method", "path"), CREATE_PATHS)
def test_malformed_or_missing_bodies_are_400(api, world, base, method, path):
    if "{backup}" in path:
        world = {**world, "backup": api.create_backup(world["volume"])["id"]}
    before = _counts(api)
    url = (api.volume_base if base == "vol" else api.compute_base) + path.format(**world)
    for ctype, raw in BAD_BODIES:
        r = api.request(method, url, data=raw, headers={"Content-Type": ctype, "Accept": "application/json"})
        assert r.status == 400, (ctype, raw, r)
        assert_fault(r, 400, "badRequest")
    assert _counts(api) == before
    assert api.show("volumes", world["volume"])["status"] == "available"
    if "backup" in world:
        assert api.show("backups", world["backup"])["status"] == "available"


@pytest.mark.parametrize(
    ("fmt", "body"),
    [
        ("json", {"vol": {"size": 1}}),
        ("xml", {"vol": {"size": 1}}),
        ("json", {"volume": "size=1"}),
        ("json", {"volume": [1]}),
        ("json", {"volume": None}),
    ],
)
def test_body_without_the_resource_object_is_400(api, fmt, body):
    assert_fault(api.vol("POST", "/volumes", body, fmt), 400)
    assert api.count() == 0


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["volume", "snapshot", "backup"])
def test_names_over_255_characters_are_400(api, world, fmt, kind):
    before = _counts(api)
    key = "name" if kind == "backup" else "display_name"
    body = {kind: {key: "n" * 256, **({"size": 1} if kind == "volume" else {"volume_id": world["volume"]})}}
    assert_fault(api.vol("POST", f"/{kind}s", body, fmt), 400)
    assert _counts(api) == before
    body[kind][key] = "n" * 255
    r = api.vol("POST", f"/{kind}s", body, fmt)
    assert r.status in (200, 202), r
    assert r.body[kind]["name" if kind == "backup" else "display_name"] == "n" * 255


def test_update_with_a_long_name_changes_nothing(api, world):
    r = api.vol("PUT", f"/volumes/{world['volume']}", {"volume": {"display_name": "x" * 256}})
    assert_fault(r, 400)
    assert api.show("volumes", world["volume"])["display_name"] != "x" * 256


@pytest.mark.parametrize("metadata", ["a=b", ["a", "b"], 5, True])
def test_metadata_must_be_a_dict(api, world, metadata):
    assert_fault(api.vol("POST", "/volumes", {"volume": {"size": 1, "metadata": metadata}}), 400)
    assert api.count() == 1
    assert_fault(api.vol("PUT", f"/volumes/{world['volume']}", {"volume": {"metadata": metadata}}), 400)
    assert api.show("volumes", world["volume"])["metadata"] == {}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("display_name", {"a": 1}),
        ("display_name", ["x"]),
        ("display_description", {"a": 1}),
        ("availability_zone", 2),
        ("snapshot_id", ["x"]),
        ("source_volid", {"id": "x"}),
        ("imageRef", 5),
        ("size", [1]),
        ("size", {"gb": 1}),
        ("size", 10**30),
    ],
)
def test_wrong_types_in_create_volume_are_400(api, field, value):
    body = {"volume": {"size": 1, field: value}}
    assert_fault(api.vol("POST", "/volumes", body), 400)
    assert api.count() == 0


@pytest.mark.parametrize("force", ["maybe", 3, ["true"]])
def test_snapshot_force_must_be_a_boolean(api, world, force):
    r = api.vol("POST", "/snapshots", {"snapshot": {"volume_id": world["volume"], "force": force}})
    assert_fault(r, 400)
    assert api.count("snapshots") == 0


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("snapshots", {"snapshot": {"volume_id": 5}}),
        ("backups", {"backup": {"volume_id": ["x"]}}),
        ("backups", {"backup": {"volume_id": "{volume}", "container": {"a": 1}}}),
    ],
)
def test_wrong_types_in_other_creates_are_4xx(api, world, kind, body):
    inner = next(iter(body.values()))
    inner.update({k: v.format(**world) for k, v in inner.items() if isinstance(v, str)})
    before = _counts(api)
    r = api.vol("POST", f"/{kind}", body)
    assert r.status in (400, 404), r
    assert_fault(r, r.status)
    assert _counts(api) == before


def test_restore_with_a_bad_volume_id_type(api, world):
    world["backup"] = api.create_backup(world["volume"])["id"]
    r = api.vol("POST", f"/backups/{world['backup']}/restore", {"restore": {"volume_id": ["x"]}})
    assert r.status in (400, 404), r
    assert_fault(r, r.status)
    assert api.count() == 1


@pytest.mark.parametrize(
    ("base", "method", "path"),
    [
        ("vol", "GET", "/nothing-here"),
        ("vol", "GET", "/volumes/detail/extra"),
        ("vol", "PATCH", "/volumes"),
        ("vol", "DELETE", "/volumes"),
        ("vol", "PUT", "/snapshots/{volume}"),
        ("vol", "GET", "/volumes/%00"),
        ("vol", "GET", "/volumes/" + "x" * 5000),
        ("comp", "GET", "/servers/{server}/os-volume_attachments/{volume}/more"),
        ("comp", "PUT", "/servers/{server}/os-volume_attachments"),
    ],
)
def test_odd_requests_are_4xx_faults_never_500(api, world, base, method, path):
    url = (api.volume_base if base == "vol" else api.compute_base) + path.format(**world)
    r = api.request(method, url, data="{}" if method in ("PUT", "PATCH") else None)
    assert 400 <= r.status < 500, r
    assert_fault(r, r.status)


def test_wrong_region_or_service_path_is_404(api):
    for url in (
        f"{api.emulator.url}/volume/region-z.geo-9/v1/{api.project_id}/volumes",
        f"{api.emulator.url}/volume/region-a.geo-1/v2/{api.project_id}/volumes",
        f"{api.emulator.url}/nothing",
    ):
        r = api.request("GET", url)
        assert 400 <= r.status < 500 and r.status != 401, r


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_ids_are_404_in_both_formats(api, fmt):
    for kind in ("volumes", "snapshots", "backups"):
        r = api.vol("GET", f"/{kind}/00000000-0000-0000-0000-000000000000", fmt=fmt)
        assert r.fmt == fmt
        assert_fault(r, 404)


# --- content negotiation (spec 4.2.2): the Content-Type says what the body is; it is never sniffed ------
@pytest.mark.parametrize(("base", "method", "path"), CREATE_PATHS)
def test_an_xml_body_sent_as_json_is_malformed_json(api, world, base, method, path):
    if "{backup}" in path:
        world = {**world, "backup": api.create_backup(world["volume"])["id"]}
    before = _counts(api)
    url = (api.volume_base if base == "vol" else api.compute_base) + path.format(**world)
    xml = {
        "/volumes": '<volume size="1"/>',
        "/snapshots": f'<snapshot volume_id="{world["volume"]}"/>',
        "/backups": f'<backup volume_id="{world["volume"]}"/>',
        "/backups/{backup}/restore": "<restore/>",
        "/servers/{server}/os-volume_attachments": f'<volumeAttachment volumeId="{world["volume"]}"/>',
        "/volumes/{volume}": '<volume display_name="renamed"/>',
    }[path]
    for ctype in ("application/json", "application/json; charset=UTF-8"):
        r = api.request(method, url, data=xml, headers={"Content-Type": ctype})
        detail = assert_fault(r, 400, "badRequest")
        assert "JSON" in detail["message"], r
    assert _counts(api) == before
    assert api.show("volumes", world["volume"])["display_name"] is None


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded", "text/xml"])
@pytest.mark.parametrize("body", ['{"volume": {"size": 1}}', '<volume size="1"/>'])
def test_a_body_of_no_or_another_media_type_is_415(api, ctype, body):
    headers = {"Content-Type": ctype} if ctype else {}
    r = api.session.post(
        f"{api.volume_base}/volumes",
        data=body.encode(),
        headers={"X-Auth-Token": api.token, "Accept": "application/json", **headers},
        timeout=15,
    )
    assert r.status_code == 415, r.text
    ((name, detail),) = r.json().items()
    assert (name, detail["code"]) == ("badMediaType", 415)
    assert "application/json or application/xml" in detail["message"]
    assert api.count() == 0


@pytest.mark.parametrize(
    ("ctype", "body"),
    [
        ("application/vnd.openstack.volume+json", '{"volume": {"size": 1}}'),
        ("application/vnd.openstack.volume+xml", '<volume size="1"/>'),
        ("application/xml; charset=UTF-8", '<volume size="1"/>'),
    ],
)
def test_json_and_xml_media_types_with_suffixes_or_parameters_are_read(api, ctype, body):
    r = api.request("POST", f"{api.volume_base}/volumes", data=body, headers={"Content-Type": ctype})
    assert r.status == 200, r
    assert api.count() == 1
