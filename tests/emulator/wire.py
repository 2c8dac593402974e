"""A tiny test-side codec for the spec's XML shapes, so XML answers compare equal to JSON ones.

decode_xml(b'<volume id="x" size="1" display_name="None"><attachments/><metadata/></volume>')
    == {"volume": {"id": "x", "size": 1, "display_name": None, "attachments": [], "metadata": {}}}
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - parses our own emulator's answers only

# Elements whose children form a list (the JSON side has a list there).
LISTS = {
    "volumes",
    "snapshots",
    "backups",
    "volumeAttachments",
    "attachments",
    "servers",
    "images",
    "rates",
    "links",
    "endpoints",
}
# JSON names for XML container elements where the two differ.
RENAMED = {"rates": "rate"}
# Elements holding <meta key="k">v</meta> pairs.
META = {"metadata", "volume_image_metadata"}
# Attributes that are numbers in JSON.
INTEGERS = {"size", "object_count", "code", "retryAfter", "value", "minDisk", "minRam", "progress"}

# The attributes each resource has in the spec's XML examples (section 4.5).
XML_KEYS = {
    "volume": {
        "availability_zone",
        "created_at",
        "display_description",
        "display_name",
        "id",
        "size",
        "snapshot_id",
        "source_volid",
        "status",
        "volume_type",
        "attachments",
        "metadata",
    },
    "snapshot": {
        "status",
        "display_name",
        "created_at",
        "display_description",
        "volume_id",
        "id",
        "size",
        "metadata",
    },
    "backup": {
        "status",
        "object_count",
        "container",
        "name",
        "availability_zone",
        "created_at",
        "description",
        "volume_id",
        "fail_reason",
        "id",
        "size",
    },
    "backup_summary": {"id", "name"},
    "volumeAttachment": {"device", "serverId", "id", "volumeId"},
}


def local(name: str) -> str:
    """Strip an XML namespace: '{http://...}volume' -> 'volume', 'atom:link' stays 'link'."""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def scalar(key: str, value: str | None):
    if value is None or value == "None":
        return None
    if key in INTEGERS:
        try:
            return int(value)
        except ValueError:
            return value
    return value


def element(el: ET.Element):
    tag = local(el.tag)
    if tag in META:
        return {child.get("key"): child.text or "" for child in el}
    if tag == "absolute":
        return {child.get("name"): scalar("value", child.get("value")) for child in el}
    if tag in LISTS:
        return [element(child) for child in el]
    if not el.attrib and not len(el):
        return scalar(tag, (el.text or "").strip())
    out = {local(k): scalar(local(k), v) for k, v in el.attrib.items()}
    for child in el:
        ctag = local(child.tag)
        if ctag == "link":  # atom links, as a JSON-style list
            out.setdefault("links", []).append(element(child))
            continue
        out[RENAMED.get(ctag, ctag)] = element(child)
    return out


def decode_xml(raw: bytes | str) -> dict:
    root = ET.fromstring(raw)  # noqa: S314 - our own emulator's answers
    return {RENAMED.get(local(root.tag), local(root.tag)): element(root)}


def encode_xml(body: dict) -> bytes:
    """{"volume": {"size": 1, "metadata": {"a": "b"}}} -> <volume size="1"><metadata><meta key="a">b</meta>"""
    ((root_tag, fields),) = body.items()
    root = ET.Element(root_tag)
    for key, value in (fields or {}).items():
        if value is None:
            continue
        if isinstance(value, dict):
            sub = ET.SubElement(root, key)
            for mkey, mvalue in value.items():
                meta = ET.SubElement(sub, "meta", key=str(mkey))
                meta.text = str(mvalue)
        elif isinstance(value, bool):
            root.set(key, "true" if value else "false")
        else:
            root.set(key, str(value))
    return b"<?xml version='1.0' encoding='UTF-8'?>\n" + ET.tostring(root)


def normalized(value):
    """JSON or decoded XML, made comparable: timestamps to the second, links dropped."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "links":
                continue
            if key == "volume_type" and item == "None":  # the spec writes a missing type as "None" in JSON
                item = None
            if key == "created_at" and isinstance(item, str):
                item = item.replace("T", " ").split(".")[0]
            out[key] = normalized(item)
        return out
    if isinstance(value, list):
        return [normalized(item) for item in value]
    return value


def assert_same(from_json: dict, from_xml: dict, kind: str) -> None:
    """The XML form carries the spec's attributes for `kind`, and each one equals the JSON form's."""
    missing = XML_KEYS[kind] - set(from_xml)
    assert not missing, f"XML {kind} lacks {sorted(missing)}: {from_xml}"
    j, x = normalized(from_json), normalized(from_xml)
    for key in x:
        assert key in j, f"XML {kind} has {key!r} that JSON lacks: {from_xml} vs {from_json}"
        assert x[key] == j[key], f"{kind}.{key}: XML {x[key]!r} != JSON {j[key]!r}"
