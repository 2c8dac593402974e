"""Whatever the cloud sends, the decoders (console.api.wire, Identity's token document) either give
records the console can use, or raise DecodeError, which console.api.http turns into
MalformedResponse. Nothing else: no RecursionError, OverflowError, entity expansion, or a record
with an id that cannot be put in a URL.

First the answers the red team found (issue 17, finding 3 and 5), then hypothesis over every decoder
with documents of the right shape and hostile values everywhere, and with arbitrary bytes.
"""

from __future__ import annotations

import json
import math
import time
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.api import identity, records
from console.api.wire import JSON, XML, DecodeError, WireFormat, fault_parse
from console.ids import id_is_plausible

# --- the findings ---------------------------------------------------------------------------------


def test_deeply_nested_json_is_refused():
    with pytest.raises(DecodeError):
        JSON.volumes(b'{"volumes": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    with pytest.raises(DecodeError):  # a metadata value nested just short of the parser's limit
        JSON.volume(
            b'{"volume": {"id": "v1", "status": "available", "size": 1, "metadata": {"k": '
            + b"[" * 900
            + b"]" * 900
            + b"}}}"
        )


@pytest.mark.parametrize("number", [b"1e400", b"-1e400", b"NaN", b"Infinity", b"1" + b"0" * 5000, b"1.5"])
def test_numbers_the_console_cannot_count_with_are_refused(number):
    # An absolute limit that is no usable number is left out, as if not reported (the quota panel
    # then says the limit is unknown); the others are kept.
    body = (
        b'{"limits": {"rate": [], "absolute": {"maxTotalVolumes": ' + number + b', "maxTotalSnapshots": 5}}}'
    )
    if len(number) > 4300:  # more digits than Python's JSON parser reads at all: the answer is refused
        with pytest.raises(DecodeError):
            JSON.limits(body)
    else:
        assert JSON.limits(body).absolute == {"maxTotalSnapshots": 5}
    with pytest.raises(DecodeError):
        JSON.volume(b'{"volume": {"id": "v1", "status": "available", "size": ' + number + b"}}")


@pytest.mark.parametrize(
    "bad_id",
    ["../../../logout", "a/b", "..", "x?y=1", "x#top", "has space", "x" * 10_000, "", "v1\n", "é"],
)
def test_ids_the_console_cannot_link_to_are_refused(bad_id):
    volume = {"id": bad_id, "status": "available", "size": 1}
    with pytest.raises(DecodeError):
        JSON.volumes(
            json.dumps({"volumes": [{"id": "fine", "status": "available", "size": 1}, volume]}).encode()
        )
    for field in ("snapshot_id", "source_volid") if bad_id else ():  # "" there: no snapshot, no origin
        with pytest.raises(DecodeError):
            JSON.volume(
                json.dumps({"volume": {"id": "v1", "status": "available", "size": 1, field: bad_id}}).encode()
            )
    attachment = {"id": "a1", "server_id": bad_id, "volume_id": "v1"}
    with pytest.raises(DecodeError):
        JSON.volume(json.dumps({"volume": {**volume, "id": "v1", "attachments": [attachment]}}).encode())
    with pytest.raises(DecodeError):
        JSON.restore(json.dumps({"restore": {"backup_id": "b1", "volume_id": bad_id}}).encode())
    with pytest.raises(DecodeError):
        XML.servers(
            f'<servers><server id="{bad_id[:200]}" name="x"/></servers>'.replace("\n", "&#10;").encode()
        )


def test_deeply_nested_xml_is_refused_or_flat():
    depth = 50_000
    body = b"<volumes>" + b"<volume>" * depth + b"</volume>" * depth + b"</volumes>"
    with pytest.raises(DecodeError):
        XML.volumes(body)
    nested = (
        b'<volume id="v1" status="available" size="1"><attachments>'
        + (
            b'<attachment id="a" server_id="s" volume_id="v1"><attachments>' * 5000
            + b"</attachments></attachment>" * 5000
        )
        + b"</attachments></volume>"
    )
    volume = XML.volume(nested)  # the attachments of an attachment are not read: no recursion
    assert [a.server_id for a in volume.attachments] == ["s"]


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<volumes><volume id="v1" status="available" size="1" display_name="&lol3;"/></volumes>"""


@pytest.mark.parametrize(
    "body",
    [
        LAUGHS,
        LAUGHS.decode()
        .replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
        .encode("utf-16"),
        LAUGHS.decode()
        .replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16BE"?>')
        .encode("utf-16-be"),
        b'<?xml version="1.0"?><!DOCTYPE volumes SYSTEM "file:///etc/passwd"><volumes/>',
        b'<?xml version="1.0"?><!DOCTYPE v [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]><volumes>&x;</volumes>',
        b'<?xml version="1.0" encoding="ISO-8859-1"?><!doctype volumes><volumes/>',
    ],
)
def test_xml_with_a_dtd_or_entities_is_refused_in_any_encoding(body):
    started = time.monotonic()
    with pytest.raises(DecodeError):
        XML.volumes(body)
    assert time.monotonic() - started < 1
    assert fault_parse(body) is None


def test_utf16_xml_without_a_dtd_is_read():
    body = '<?xml version="1.0" encoding="UTF-16"?><volumes><volume id="v1" status="available" size="1"/>'
    body += "</volumes>"
    assert [v.id for v in XML.volumes(body.encode("utf-16"))] == ["v1"]


def test_text_that_cannot_be_stored_or_shown_is_cleaned():
    volume = JSON.volume(
        b'{"volume": {"id": "v1", "status": "available", "size": 1, '
        b'"display_name": "a\\u0000b\\ud800c", "metadata": {"k\\udfff": 7}}}'
    )
    assert volume.display_name == "ab\ufffdc"
    assert volume.metadata == {"k\ufffd": "7"}


def test_a_hostile_fault_message_is_cut_and_cleaned():
    fault = fault_parse(
        json.dumps({"badRequest": {"message": "x\u0000" * 10_000, "retryAfter": 1e400}}).encode()
    )
    assert fault is not None
    assert len(fault.message) == 1000 and "\x00" not in fault.message
    assert fault.retry_after is None
    assert fault_parse(b'{"badRequest": {"message": {"nested": []}}}').message == ""
    assert fault_parse(b"[" * 100_000) is None


# --- hypothesis: any document of the right shape --------------------------------------------------

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "../../../logout",
            "a/b",
            "..",
            "?x",
            "#x",
            " ",
            "None",
            "null",
            "\x00",
            "\ud800",
            "9999-12-31T23:59:59-05:00",
            "0001-01-01T00:00:00+05:00",
            "2013-01-30T13:38:50.411386",
            "1e400",
            "NaN",
            "-1",
            "true",
            "available",
            "in-use",
            "creating",
            "v" * 10_000,
        ]
    ),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    HOSTILE_TEXT,
)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(HOSTILE_TEXT, inner, max_size=4)),
    max_leaves=12,
)
PLAUSIBLE_ID = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True)

FIELDS = [
    "id",
    "status",
    "size",
    "availability_zone",
    "display_name",
    "display_description",
    "created_at",
    "bootable",
    "attachments",
    "metadata",
    "snapshot_id",
    "source_volid",
    "volume_type",
    "volume_image_metadata",
    "volume_id",
    "name",
    "container",
    "description",
    "fail_reason",
    "object_count",
    "server_id",
    "serverId",
    "volumeId",
    "device",
    "backup_id",
    "minDisk",
    "OS-EXT-IMG-SIZE:size",
    "OS-EXT-AZ:availability_zone",
]


@st.composite
def records_like(draw):
    """A record whose fields are mostly plausible and sometimes anything at all."""
    record = {}
    for name in draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=len(FIELDS))):
        if name.endswith(("id", "Id")) and draw(st.booleans()):
            record[name] = draw(PLAUSIBLE_ID)
        elif name == "status" and draw(st.booleans()):
            record[name] = draw(st.sampled_from(["available", "in-use", "creating", "error", "x" * 40]))
        elif name in ("size", "object_count") and draw(st.booleans()):
            record[name] = draw(st.integers(min_value=-5, max_value=2**60))
        elif name == "attachments" and draw(st.booleans()):
            record[name] = draw(st.lists(records_like(), max_size=2))
        else:
            record[name] = draw(ANY_JSON)
    return record


ROOTS = {
    "volume": ("volume", False),
    "volumes": ("volumes", True),
    "snapshot": ("snapshot", False),
    "snapshots": ("snapshots", True),
    "backup": ("backup", False),
    "backups": ("backups", True),
    "restore": ("restore", False),
    "attachment": ("volumeAttachment", False),
    "attachments": ("volumeAttachments", True),
    "servers": ("servers", True),
    "images": ("images", True),
}


def check_record(record) -> None:
    """What every page relies on: ids it can link to, numbers it can count with, text it can show."""
    for field_name, value in vars(record).items():
        if field_name.endswith("id") and value is not None:
            assert id_is_plausible(value), (field_name, value)
        if isinstance(value, str):
            value.encode("utf-8")  # no lone surrogate
            assert "\x00" not in value
        if isinstance(value, int) and not isinstance(value, bool):
            assert -1 <= value <= 2**53
        if isinstance(value, float):
            assert math.isfinite(value)
        if isinstance(value, datetime):
            assert value.tzinfo is not None
        if isinstance(value, dict):
            for key, text in value.items():
                (str(key) + str(text)).encode("utf-8")
        if isinstance(value, tuple):
            for item in value:
                check_record(item)
    if isinstance(record, records.Volume | records.Snapshot):
        assert record.size >= 0 and 0 < len(record.status) <= 32


def decoded(method, body: bytes):
    try:
        result = method(body)
    except DecodeError:
        return None
    for record in result if isinstance(result, list) else [result]:
        check_record(record)
    return result


HYPOTHESIS = settings(max_examples=60)


@HYPOTHESIS
@given(kind=st.sampled_from(sorted(ROOTS)), items=st.lists(records_like(), min_size=1, max_size=3))
def test_any_json_record_decodes_to_usable_records_or_is_refused(kind, items):
    root, many = ROOTS[kind]
    body = json.dumps({root: items if many else items[0]}, allow_nan=True).encode("utf-8", "surrogatepass")
    decoded(getattr(JSON, kind), body)


@HYPOTHESIS
@given(kind=st.sampled_from(sorted(ROOTS)), items=st.lists(records_like(), min_size=1, max_size=3))
def test_any_xml_record_decodes_to_usable_records_or_is_refused(kind, items):
    root, many = ROOTS[kind]
    element = root[:-1] if many else root

    def xml_attr(value) -> str:
        text = json.dumps(value) if not isinstance(value, str) else value
        text = "".join(
            ch for ch in text if ch in "\t\n\r" or (" " <= ch < "\ud800") or "\ue000" <= ch <= "\ufffd"
        )
        return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")

    def one(item) -> str:
        attrs = " ".join(
            f'{name.replace(":", "_")}="{xml_attr(value)}"'
            for name, value in item.items()
            if not isinstance(value, list | dict)
        )
        meta = "".join(
            f'<meta key="{xml_attr(k)}">{xml_attr(v)}</meta>' for k, v in item.items() if isinstance(v, str)
        )
        return f"<{element} {attrs}><metadata>{meta}</metadata></{element}>"

    inner = (
        "".join(one(item) for item in items) if many else one(items[0])[len(element) + 1 : -len(element) - 3]
    )
    body = (f"<{root}>{inner}</{root}>" if many else f"<{root}{inner}</{root}>").encode()
    decoded(getattr(XML, kind), body)


@HYPOTHESIS
@given(document=ANY_JSON)
def test_any_json_document_is_records_or_refused_by_every_decoder(document):
    body = json.dumps(document, allow_nan=True).encode("utf-8", "surrogatepass")
    for name in [*sorted(ROOTS), "limits"]:
        decoded(getattr(JSON, name), body)
    fault_parse(body)


@HYPOTHESIS
@given(absolute=st.dictionaries(HOSTILE_TEXT, SCALARS, max_size=6), rate=ANY_JSON)
def test_any_limits_are_numbers_the_console_can_chart_or_refused(absolute, rate):
    body = json.dumps({"limits": {"absolute": absolute, "rate": rate}}, allow_nan=True)
    limits = decoded(JSON.limits, body.encode("utf-8", "surrogatepass"))
    if limits is not None:
        assert all(isinstance(v, int) and -(2**53) <= v <= 2**53 for v in limits.absolute.values())
        for limit in limits.rate:
            check_record(limit)


@HYPOTHESIS
@given(body=st.binary(max_size=300))
def test_any_bytes_are_records_or_refused(body):
    for fmt in (JSON, XML):
        for name in [*sorted(ROOTS), "limits"]:
            decoded(getattr(fmt, name), body)
    fault_parse(body)


@HYPOTHESIS
@given(
    token=st.fixed_dictionaries(
        {},
        optional={
            "expires_at": ANY_JSON,
            "user": st.fixed_dictionaries({}, optional={"id": ANY_JSON, "name": ANY_JSON}),
            "project": st.fixed_dictionaries({}, optional={"id": ANY_JSON, "name": ANY_JSON}),
            "catalog": ANY_JSON,
        },
    )
)
def test_any_identity_token_document_is_a_login_or_refused(token):
    body = json.dumps({"token": token}, allow_nan=True).encode("utf-8", "surrogatepass")
    try:
        result = identity._token_decode(JSON, body)
    except DecodeError:
        return
    assert id_is_plausible(result.user_id) and id_is_plausible(result.project_id)
    assert result.expires_at.tzinfo is not None
    for region, endpoints in result.regions.items():
        assert len(region) <= 64 and isinstance(endpoints.volume_url, str)


def test_decoders_cover_every_record_kind():
    """A decoder added to WireFormat later is listed here, so the properties above cover it."""
    methods = {
        name for name, value in vars(WireFormat).items() if callable(value) and not name.startswith("_")
    }
    assert methods - {"encode", "one", "many", "limit_parts"} == {*ROOTS, "limits"}
