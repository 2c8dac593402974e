"""The wire formats of the Block Storage and Compute APIs: one decoder per format, one set of records.

`JSON` and `XML` each turn a response body into plain mappings shaped like the JSON documents of the
spec (the XML decoder reads attributes, <metadata>/<meta key> maps and <attachments> lists), and the
shared builders below turn those mappings into records, so both formats produce equal records.
Anything that does not decode raises DecodeError; console.api.http turns it into MalformedResponse.
"""

from __future__ import annotations

import functools
import json
import math
import re
import xml.etree.ElementTree as ET  # noqa: S405 - only for types and writing; parsing is defusedxml's
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

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
from console.ids import id_is_plausible

JSON_TYPE = "application/json"
XML_TYPE = "application/xml"


class DecodeError(Exception):
    """A body that is not the documented JSON or XML."""


# --- shared builders: mapping in the JSON shape -> record --------------------------------------
#
# The cloud is not trusted: any field may hold any type, any number, any string. The helpers below
# accept only what the console can use (an id it can link to, a number it can count with, text it can
# show and store) and raise DecodeError for anything else, so one bad record refuses the whole answer
# (a listing keeps what it had before, with a notice) and nothing undecodable is ever cached.

# Numbers the console computes with: sizes, counts, limits (-1: unlimited). JSON may carry 1e400,
# NaN or a 400-digit integer; the largest exact float keeps every sum and ratio finite.
MAX_NUMBER = 2**53
# Statuses are short keywords; the lifecycle events store at most this many characters.
MAX_STATUS = 32
_SCALARS = (str, int, float, bool)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """Text as it can be shown and stored: lone surrogates (JSON "\ud800") become U+FFFD, since they
    cannot be written as UTF-8; NUL characters, which PostgreSQL cannot store, are dropped."""
    if text.isascii():
        return text.replace("\x00", "")
    return _SURROGATE.sub("\ufffd", text).replace("\x00", "")


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, int | float):
        return str(value)  # a 5000-digit int raises ValueError (sys.set_int_max_str_digits)
    raise DecodeError(f"not text: a {type(value).__name__}")


def _text(value: Any) -> str | None:
    return None if value is None else _scalar_text(value)


def _required(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping[key]
    if value is None or value == "":
        raise DecodeError(f"{key!r} is empty")
    return _scalar_text(value)


def _id(value: Any, what: str) -> str:
    """An id the console may put in a URL or store: what console.ids says an id looks like."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise DecodeError(f"{what} is not an id: a {type(value).__name__}")
    text = str(value)
    if not id_is_plausible(text):
        raise DecodeError(f"{what} {text[:80]!r} is not an id the console can use")
    return text


def _required_id(mapping: Mapping[str, Any], key: str) -> str:
    return _id(mapping[key], key)


def _optional_id(mapping: Mapping[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    return None if value is None or value == "" else _id(value, key)


def _int(value: Any, *, low: int = -1, high: int = MAX_NUMBER) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise DecodeError(f"not a number: a {type(value).__name__}")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise DecodeError(f"not a whole number: {value!r}")
        value = int(value)
    elif isinstance(value, str):
        value = int(value.strip()[:32])  # XML attributes; "1e400", "NaN" and 10 kB of digits: ValueError
    if not low <= value <= high:
        raise DecodeError(f"out of range: {value}")
    return value


def _size(value: Any) -> int:
    size = _int(value, low=0)
    if size is None:
        raise DecodeError("no size")
    return size


def _status(value: Any) -> str:
    status = _scalar_text(value)
    if not status or len(status) > MAX_STATUS:
        raise DecodeError(f"not a status: {status[:80]!r}")
    return status


def _bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    lowered = _scalar_text(value).strip().lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no", ""}:
        return False
    raise DecodeError(f"not a boolean: {lowered[:80]!r}")


def _time(value: Any) -> datetime | None:
    """The API's timestamps ("2013-01-30T13:38:50.411386", XML "2013-01-30 13:50:55") are UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise DecodeError(f"not a time: a {type(value).__name__}")
    parsed = datetime.fromisoformat(value[:64])  # year 9999 at -05:00 does not exist in UTC: OverflowError
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _strings(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DecodeError(f"not a mapping: a {type(value).__name__}")
    return {_scalar_text(k): "" if v is None else _scalar_text(v) for k, v in value.items()}


def _objects(value: Any, what: str) -> list[Mapping[str, Any]]:
    if value is None or value == "":
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(item, Mapping) for item in value):
        raise DecodeError(f"{what} is not a list of objects")
    return list(value)


# For the other decoders of cloud answers (Identity's token document): the same checks.
checked_id = _id
checked_text = _text
checked_time = _time


def _volume_type(value: Any) -> str | None:
    # Cinder v1 writes a missing volume type as the string "None", in JSON too.
    return None if value in (None, "", "None") else _scalar_text(value)


def _attachment(m: Mapping[str, Any]) -> Attachment:
    # Cinder's volume attachments say server_id/volume_id, Nova's os-volume_attachments serverId/volumeId.
    return Attachment(
        id=_required_id(m, "id"),
        server_id=_required_id(m, "server_id" if "server_id" in m else "serverId"),
        volume_id=_required_id(m, "volume_id" if "volume_id" in m else "volumeId"),
        device=_text(m.get("device")),
    )


def _volume(m: Mapping[str, Any]) -> Volume:
    image_metadata = _strings(m.get("volume_image_metadata"))
    if image_metadata.get("image_id"):
        _id(image_metadata["image_id"], "image_id")  # it becomes a link (the volumes made from an image)
    bootable = _bool(m.get("bootable"))
    return Volume(
        id=_required_id(m, "id"),
        status=_status(m["status"]),
        size=_size(m["size"]),
        availability_zone=_text(m.get("availability_zone")),
        display_name=_text(m.get("display_name")),
        display_description=_text(m.get("display_description")),
        created_at=_time(m.get("created_at")),
        bootable=bool(image_metadata) if bootable is None else bootable,
        attachments=tuple(_attachment(a) for a in _objects(m.get("attachments"), "attachments")),
        metadata=_strings(m.get("metadata")),
        snapshot_id=_optional_id(m, "snapshot_id"),
        source_volid=_optional_id(m, "source_volid"),
        volume_type=_volume_type(m.get("volume_type")),
        image_metadata=image_metadata,
    )


def _snapshot(m: Mapping[str, Any]) -> Snapshot:
    return Snapshot(
        id=_required_id(m, "id"),
        status=_status(m["status"]),
        size=_size(m["size"]),
        volume_id=_required_id(m, "volume_id"),
        display_name=_text(m.get("display_name")),
        display_description=_text(m.get("display_description")),
        created_at=_time(m.get("created_at")),
        metadata=_strings(m.get("metadata")),
    )


def _backup(m: Mapping[str, Any]) -> Backup:
    status = m.get("status")
    return Backup(
        id=_required_id(m, "id"),
        name=_text(m.get("name")),
        status=None if status is None else _status(status),
        size=_int(m.get("size"), low=0),
        volume_id=_optional_id(m, "volume_id"),
        availability_zone=_text(m.get("availability_zone")),
        container=_text(m.get("container")),
        description=_text(m.get("description")),
        created_at=_time(m.get("created_at")),
        fail_reason=_text(m.get("fail_reason")),
        object_count=_int(m.get("object_count"), low=0),
    )


def _restore(m: Mapping[str, Any]) -> Restore:
    return Restore(backup_id=_required_id(m, "backup_id"), volume_id=_required_id(m, "volume_id"))


def _server(m: Mapping[str, Any]) -> Server:
    zone = m.get("OS-EXT-AZ:availability_zone", m.get("availability_zone"))
    return Server(
        id=_required_id(m, "id"),
        name=_text(m.get("name")) or "",
        status=_text(m.get("status")) or "",
        availability_zone=_text(zone),
    )


def _image(m: Mapping[str, Any]) -> Image:
    size = m.get("OS-EXT-IMG-SIZE:size", m.get("size"))
    return Image(
        id=_required_id(m, "id"),
        name=_text(m.get("name")) or "",
        size=_int(size, low=0),
        min_disk=_int(m.get("minDisk", m.get("min_disk")), low=0) or 0,
        status=_text(m.get("status")),
    )


def _limits(absolute: Mapping[str, Any], rates: list[Mapping[str, Any]]) -> Limits:
    if not isinstance(absolute, Mapping):
        raise DecodeError("the absolute limits are not a mapping")
    rate = tuple(
        RateLimit(
            uri=_text(entry.get("uri")) or "",
            regex=_text(entry.get("regex")) or "",
            verb=_scalar_text(limit["verb"]),
            value=_int(limit["value"], low=0) or 0,
            unit=_text(limit.get("unit")) or "",
            remaining=_int(limit.get("remaining"), low=0),
            next_available=_text(limit.get("next-available")),
        )
        for entry in _objects(rates, "rate")
        for limit in _objects(entry.get("limit"), "limit")
    )
    return Limits(absolute=_absolute_limits(absolute), rate=rate)


def _absolute_limits(absolute: Mapping[str, Any]) -> dict[str, int]:
    """The absolute limits that are whole numbers the console can compute with. Any other value
    (1e400, NaN, "x", a list) is left out, as if the cloud had not reported that limit: the quota
    panels then say which limit is unknown (console.quota), and the others still show."""
    numbers: dict[str, int] = {}
    for key, value in absolute.items():
        try:
            number = _int(value, low=-MAX_NUMBER)
        except (DecodeError, ValueError, OverflowError):
            continue
        if number is not None:
            numbers[_scalar_text(key)] = number
    return numbers


# The builders, for dialects whose documents differ from the spec's JSON in field names only
# (console.api.dialects.cinder_v3 renames, then builds the same records).
volume_from = _volume
snapshot_from = _snapshot
backup_from = _backup
restore_from = _restore
attachment_from = _attachment
server_from = _server
image_from = _image
limits_from = _limits


# --- faults ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    name: str  # e.g. "itemNotFound"
    message: str
    retry_after: float | None = None


# A fault's message is shown to the user and stored in the request log: one screen of text at most.
MAX_FAULT_MESSAGE = 1000
MAX_FAULT_NAME = 64


def fault_parse(body: bytes) -> Fault | None:
    """The fault in an error body, JSON or XML whatever was asked for; None when there is none (or
    it cannot be read: the caller then says what the HTTP status says)."""
    kind = _sniff(body)
    try:
        if kind == "json":
            return _json_fault(json.loads(body))
        if kind == "xml":
            return _xml_fault(_xml_root(body))
    except Exception:  # anything at all in an error body: there is no readable fault
        return None
    return None


def _json_fault(data: Any) -> Fault | None:
    if isinstance(data, dict) and isinstance(data.get("message"), str) and "code" in data:
        # A bare fault, without the wrapper: Cinder v3's body-size 413 {"message", "code", "title"}.
        return _fault(data.get("title") or "error", data["message"], data.get("retryAfter"))
    if not isinstance(data, dict) or len(data) != 1:
        return None
    ((name, inner),) = data.items()
    if not isinstance(inner, dict):
        return None
    if name == "error" and inner.get("title"):  # Identity: {"error": {"code", "title", "message"}}
        name = inner["title"]
    return _fault(name, inner.get("message"), inner.get("retryAfter"))


def _xml_fault(root: ET.Element) -> Fault:
    message = root.findtext("{*}message") or root.get("message") or ""
    retry_after = root.get("retryAfter") or root.findtext("{*}retryAfter")
    return _fault(_local(root.tag), message.strip(), retry_after)


def _fault(name: Any, message: Any, retry_after: Any) -> Fault:
    text = "" if message is None or not isinstance(message, _SCALARS) else _scalar_text(message)
    return Fault(
        _scalar_text(name)[:MAX_FAULT_NAME] if isinstance(name, _SCALARS) else "",
        text if len(text) <= MAX_FAULT_MESSAGE else text[: MAX_FAULT_MESSAGE - 1] + "…",
        _seconds(retry_after),
    )


def _seconds(value: Any) -> float | None:
    if value in (None, "") or isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        seconds = float(value)
    except (ValueError, OverflowError):
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


# --- the two formats ------------------------------------------------------------------------------


def _sniff(body: bytes) -> str | None:
    head = body.lstrip()[:1]
    return {b"{": "json", b"[": "json", b"<": "xml"}.get(head)


def decoding(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn any failure to read a body into DecodeError: a missing key, a wrong type, a number too
    large for a float (OverflowError), nesting deeper than the interpreter's stack (RecursionError),
    XML with a DTD or an entity (defusedxml), bytes that are no text (UnicodeError)... The body comes
    from outside: whatever it makes the decoders trip on, the caller gets MalformedResponse."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DecodeError:
            raise
        except Exception as exc:
            raise DecodeError(f"{type(exc).__name__}: {str(exc)[:200]}") from exc

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


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_scalar(value: str | None) -> str | None:
    # The XML encoding writes a missing value as "None".
    return None if value is None or value == "None" else value


def _xml_root(body: bytes) -> ET.Element:
    """The parsed document. defusedxml refuses any DTD, entity declaration or external reference, in
    whatever encoding the body declares (a UTF-16 body hides "<!DOCTYPE" from a search of its bytes)."""
    try:
        return defused_fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise DecodeError(f"XML refused: {type(exc).__name__}") from exc


def _xml_object(element: ET.Element) -> dict[str, Any]:
    data: dict[str, Any] = {_local(k): _xml_scalar(v) for k, v in element.attrib.items()}
    for child in element:
        name = _local(child.tag)
        if name in _XML_MAPS:
            data[name] = {meta.attrib["key"]: meta.text or "" for meta in child}
        elif name in _XML_LISTS:
            # Items are flat (attributes and maps): an item's own <attachments> is not read, so no
            # nesting, however deep, makes this recurse more than once.
            data[name] = [_xml_flat(item) for item in child]
    return data


def _xml_flat(element: ET.Element) -> dict[str, Any]:
    data: dict[str, Any] = {_local(k): _xml_scalar(v) for k, v in element.attrib.items()}
    for child in element:
        name = _local(child.tag)
        if name in _XML_MAPS:
            data[name] = {meta.attrib["key"]: meta.text or "" for meta in child}
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
