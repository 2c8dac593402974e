"""The wire formats of the Block Storage and Compute APIs: one decoder per format, one set of records.

`JSON` and `XML` each turn a response body into plain mappings shaped like the JSON documents of the
spec (the XML decoder reads attributes, <metadata>/<meta key> maps and <attachments> lists), and the
shared builders below turn those mappings into records, so both formats produce equal records.
Anything that does not decode raises DecodeError; console.api.http turns it into MalformedResponse.
"""

from __future__ import annotations

import functools
import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - bodies with a DTD are refused before parsing
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from console.api.records import (
    Attachment,
    Backup,
    Image,
    Limits,
    RateLimit,
    Restore,
    Server,
    Snapshot,
    Volume,
)

JSON_TYPE = "application/json"
XML_TYPE = "application/xml"


class DecodeError(Exception):
    """A body that is not the documented JSON or XML."""


# --- shared builders: mapping in the JSON shape -> record --------------------------------------


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _required(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping[key]
    if value is None or value == "":
        raise DecodeError(f"{key!r} is empty")
    return str(value)


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise DecodeError(f"not a number: {value!r}")
    return int(value)


def _bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no", ""}:
        return False
    raise DecodeError(f"not a boolean: {value!r}")


def _time(value: Any) -> datetime | None:
    """The API's timestamps ("2013-01-30T13:38:50.411386", XML "2013-01-30 13:50:55") are UTC."""
    if value is None or value == "":
        return None
    parsed = datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _strings(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DecodeError(f"not a mapping: {value!r}")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _volume_type(value: Any) -> str | None:
    # Cinder v1 writes a missing volume type as the string "None", in JSON too.
    return None if value in (None, "", "None") else str(value)


def _attachment(m: Mapping[str, Any]) -> Attachment:
    # Cinder's volume attachments say server_id/volume_id, Nova's os-volume_attachments serverId/volumeId.
    return Attachment(
        id=_required(m, "id"),
        server_id=_required(m, "server_id" if "server_id" in m else "serverId"),
        volume_id=_required(m, "volume_id" if "volume_id" in m else "volumeId"),
        device=_text(m.get("device")),
    )


def _volume(m: Mapping[str, Any]) -> Volume:
    image_metadata = _strings(m.get("volume_image_metadata"))
    bootable = _bool(m.get("bootable"))
    return Volume(
        id=_required(m, "id"),
        status=_required(m, "status"),
        size=int(m["size"]),
        availability_zone=_text(m.get("availability_zone")),
        display_name=_text(m.get("display_name")),
        display_description=_text(m.get("display_description")),
        created_at=_time(m.get("created_at")),
        bootable=bool(image_metadata) if bootable is None else bootable,
        attachments=tuple(_attachment(a) for a in m.get("attachments") or ()),
        metadata=_strings(m.get("metadata")),
        snapshot_id=_text(m.get("snapshot_id")),
        source_volid=_text(m.get("source_volid")),
        volume_type=_volume_type(m.get("volume_type")),
        image_metadata=image_metadata,
    )


def _snapshot(m: Mapping[str, Any]) -> Snapshot:
    return Snapshot(
        id=_required(m, "id"),
        status=_required(m, "status"),
        size=int(m["size"]),
        volume_id=_required(m, "volume_id"),
        display_name=_text(m.get("display_name")),
        display_description=_text(m.get("display_description")),
        created_at=_time(m.get("created_at")),
        metadata=_strings(m.get("metadata")),
    )


def _backup(m: Mapping[str, Any]) -> Backup:
    return Backup(
        id=_required(m, "id"),
        name=_text(m.get("name")),
        status=_text(m.get("status")),
        size=_int(m.get("size")),
        volume_id=_text(m.get("volume_id")),
        availability_zone=_text(m.get("availability_zone")),
        container=_text(m.get("container")),
        description=_text(m.get("description")),
        created_at=_time(m.get("created_at")),
        fail_reason=_text(m.get("fail_reason")),
        object_count=_int(m.get("object_count")),
    )


def _restore(m: Mapping[str, Any]) -> Restore:
    return Restore(backup_id=_required(m, "backup_id"), volume_id=_required(m, "volume_id"))


def _server(m: Mapping[str, Any]) -> Server:
    zone = m.get("OS-EXT-AZ:availability_zone", m.get("availability_zone"))
    return Server(
        id=_required(m, "id"),
        name=str(m.get("name") or ""),
        status=str(m.get("status") or ""),
        availability_zone=_text(zone),
    )


def _image(m: Mapping[str, Any]) -> Image:
    size = m.get("OS-EXT-IMG-SIZE:size", m.get("size"))
    return Image(
        id=_required(m, "id"),
        name=str(m.get("name") or ""),
        size=_int(size),
        min_disk=_int(m.get("minDisk", m.get("min_disk"))) or 0,
        status=_text(m.get("status")),
    )


def _limits(absolute: Mapping[str, Any], rates: list[Mapping[str, Any]]) -> Limits:
    rate = tuple(
        RateLimit(
            uri=str(entry.get("uri", "")),
            regex=str(entry.get("regex", "")),
            verb=str(limit["verb"]),
            value=int(limit["value"]),
            unit=str(limit.get("unit", "")),
            remaining=_int(limit.get("remaining")),
            next_available=_text(limit.get("next-available")),
        )
        for entry in rates
        for limit in entry.get("limit") or ()
    )
    return Limits(absolute={str(k): int(v) for k, v in absolute.items() if v is not None}, rate=rate)


# --- faults ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    name: str  # e.g. "itemNotFound"
    message: str
    retry_after: float | None = None


def fault_parse(body: bytes) -> Fault | None:
    """The fault in an error body, JSON or XML whatever was asked for; None when there is none."""
    kind = _sniff(body)
    try:
        if kind == "json":
            return _json_fault(json.loads(body))
        if kind == "xml":
            return _xml_fault(_xml_root(body))
    except (ValueError, TypeError, AttributeError, ET.ParseError, DecodeError):
        return None
    return None


def _json_fault(data: Any) -> Fault | None:
    if not isinstance(data, dict) or len(data) != 1:
        return None
    ((name, inner),) = data.items()
    if not isinstance(inner, dict):
        return None
    if name == "error" and inner.get("title"):  # Identity: {"error": {"code", "title", "message"}}
        name = str(inner["title"])
    return Fault(str(name), str(inner.get("message") or ""), _seconds(inner.get("retryAfter")))


def _xml_fault(root: ET.Element) -> Fault:
    message = root.findtext("{*}message") or root.get("message") or ""
    retry_after = root.get("retryAfter") or root.findtext("{*}retryAfter")
    return Fault(_local(root.tag), message.strip(), _seconds(retry_after))


def _seconds(value: Any) -> float | None:
    try:
        return None if value in (None, "") else max(0.0, float(value))
    except (TypeError, ValueError):
        return None


# --- the two formats ------------------------------------------------------------------------------


def _sniff(body: bytes) -> str | None:
    head = body.lstrip()[:1]
    return {b"{": "json", b"[": "json", b"<": "xml"}.get(head)


def decoding(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn any failure to read a body into DecodeError."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DecodeError:
            raise
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, ET.ParseError) as exc:
            raise DecodeError(f"{type(exc).__name__}: {exc}") from exc

    return wrapper


class WireFormat(ABC):
    """A wire format: encodes request bodies, and reads response bodies into records."""

    name: str
    media_type: str

    @abstractmethod
    def encode(self, root: str, fields: Mapping[str, Any]) -> bytes:
        """A request body: the object `root` with `fields`."""

    @abstractmethod
    def one(self, body: bytes, root: str) -> Mapping[str, Any]:
        """The object `root` of a body, as a mapping in the JSON shape."""

    @abstractmethod
    def many(self, body: bytes, root: str) -> list[Mapping[str, Any]]:
        """The list `root` of a body (e.g. "volumes"), as mappings in the JSON shape."""

    @abstractmethod
    def limit_parts(self, body: bytes) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
        """The absolute limits (name -> value) and the rate limits (JSON shape) of GET /limits."""

    @decoding
    def limits(self, body: bytes) -> Limits:
        return _limits(*self.limit_parts(body))

    @decoding
    def volume(self, body: bytes) -> Volume:
        return _volume(self.one(body, "volume"))

    @decoding
    def volumes(self, body: bytes) -> list[Volume]:
        return [_volume(m) for m in self.many(body, "volumes")]

    @decoding
    def snapshot(self, body: bytes) -> Snapshot:
        return _snapshot(self.one(body, "snapshot"))

    @decoding
    def snapshots(self, body: bytes) -> list[Snapshot]:
        return [_snapshot(m) for m in self.many(body, "snapshots")]

    @decoding
    def backup(self, body: bytes) -> Backup:
        return _backup(self.one(body, "backup"))

    @decoding
    def backups(self, body: bytes) -> list[Backup]:
        return [_backup(m) for m in self.many(body, "backups")]

    @decoding
    def restore(self, body: bytes) -> Restore:
        return _restore(self.one(body, "restore"))

    @decoding
    def attachment(self, body: bytes) -> Attachment:
        return _attachment(self.one(body, "volumeAttachment"))

    @decoding
    def attachments(self, body: bytes) -> list[Attachment]:
        return [_attachment(m) for m in self.many(body, "volumeAttachments")]

    @decoding
    def servers(self, body: bytes) -> list[Server]:
        return [_server(m) for m in self.many(body, "servers")]

    @decoding
    def images(self, body: bytes) -> list[Image]:
        return [_image(m) for m in self.many(body, "images")]


class JsonFormat(WireFormat):
    name = "json"
    media_type = JSON_TYPE

    def encode(self, root: str, fields: Mapping[str, Any]) -> bytes:
        return json.dumps({root: dict(fields)}).encode()

    def _document(self, body: bytes, root: str) -> Any:
        data = json.loads(body)
        if not isinstance(data, dict) or root not in data:
            raise DecodeError(f"expected a JSON object with a {root!r} key")
        return data[root]

    def one(self, body: bytes, root: str) -> Mapping[str, Any]:
        inner = self._document(body, root)
        if not isinstance(inner, dict):
            raise DecodeError(f"{root!r} is not an object")
        return inner

    def many(self, body: bytes, root: str) -> list[Mapping[str, Any]]:
        items = self._document(body, root)
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise DecodeError(f"{root!r} is not a list of objects")
        return items

    def limit_parts(self, body: bytes) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
        inner = self.one(body, "limits")
        return inner.get("absolute") or {}, inner.get("rate") or []


# Children of an XML element that are maps (<meta key="k">v</meta>) and lists (of attribute objects).
_XML_MAPS = {"metadata", "volume_image_metadata"}
_XML_LISTS = {"attachments"}
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_scalar(value: str | None) -> str | None:
    # The XML encoding writes a missing value as "None".
    return None if value is None or value == "None" else value


def _xml_root(body: bytes) -> ET.Element:
    if _DTD.search(body):
        raise DecodeError("XML with a document type declaration is refused")
    return ET.fromstring(body)  # noqa: S314 - no DTD, so no entity expansion; expat resolves nothing external


def _xml_object(element: ET.Element) -> dict[str, Any]:
    data: dict[str, Any] = {_local(k): _xml_scalar(v) for k, v in element.attrib.items()}
    for child in element:
        name = _local(child.tag)
        if name in _XML_MAPS:
            data[name] = {meta.attrib["key"]: meta.text or "" for meta in child}
        elif name in _XML_LISTS:
            data[name] = [_xml_object(item) for item in child]
    return data


def _xml_attributes(element: ET.Element, fields: Mapping[str, Any]) -> None:
    for key, value in fields.items():
        if isinstance(value, Mapping):
            holder = ET.SubElement(element, key)
            for meta_key, meta_value in value.items():
                ET.SubElement(holder, "meta", key=str(meta_key)).text = str(meta_value)
        elif isinstance(value, bool):
            element.set(key, "true" if value else "false")
        elif value is not None:
            element.set(key, str(value))


class XmlFormat(WireFormat):
    name = "xml"
    media_type = XML_TYPE

    def encode(self, root: str, fields: Mapping[str, Any]) -> bytes:
        element = ET.Element(root)
        _xml_attributes(element, fields)
        return b"<?xml version='1.0' encoding='UTF-8'?>\n" + ET.tostring(element)

    def _root(self, body: bytes, root: str) -> ET.Element:
        element = _xml_root(body)
        if _local(element.tag) != root:
            raise DecodeError(f"expected a <{root}> element, got <{_local(element.tag)}>")
        return element

    def one(self, body: bytes, root: str) -> Mapping[str, Any]:
        return _xml_object(self._root(body, root))

    def many(self, body: bytes, root: str) -> list[Mapping[str, Any]]:
        item = root[:-1]  # <volumes><volume/>..., <volumeAttachments><volumeAttachment/>...
        return [_xml_object(child) for child in self._root(body, root) if _local(child.tag) == item]

    def limit_parts(self, body: bytes) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
        root = self._root(body, "limits")
        absolute = {
            limit.attrib["name"]: limit.attrib["value"] for limit in root.iterfind("{*}absolute/{*}limit")
        }
        rates = [
            {**rate.attrib, "limit": [dict(limit.attrib) for limit in rate.iterfind("{*}limit")]}
            for rate in root.iterfind("{*}rates/{*}rate")
        ]
        return absolute, rates


JSON = JsonFormat()
XML = XmlFormat()
FORMATS: dict[str, WireFormat] = {"json": JSON, "xml": XML}


def wire_format(name: str) -> WireFormat:
    return FORMATS[name]


def body_format(body: bytes, default: WireFormat) -> WireFormat:
    """The format a body is actually in (a server may answer in the other one), else `default`."""
    kind = _sniff(body)
    return FORMATS[kind] if kind else default
