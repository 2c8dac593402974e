"""What goes over the wire: requests, replies, faults, and the JSON and XML encodings of the spec."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - bodies are checked for DTDs before parsing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

VOLUME_NS = "http://docs.openstack.org/volume/api/v1"
COMPUTE_NS = "http://docs.openstack.org/compute/api/v1.1"
ATOM_NS = "http://www.w3.org/2005/Atom"
IMAGE_META_NS = "http://docs.openstack.org/volume/ext/volume_image_metadata/api/v1"
BACKUPS_NS = "http://docs.openstack.org/volume/ext/backups/api/v1"
SNAPSHOT_ATTRS_NS = "http://docs.openstack.org/volume/ext/extended_snapshot_attributes/api/v1"

JSON_TYPE = "application/json"
XML_TYPE = "application/xml"

FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    413: "overLimit",
    415: "badMediaType",
    500: "computeFault",
    503: "serviceUnavailable",
}

RATE_LIMITED = "This request was rate-limited."
SERVER_FAULT = "The server has either erred or is incapable of performing the requested operation."
UNAVAILABLE = "The service is temporarily unavailable; try again later."


class ApiError(Exception):
    """A fault answered to the client in the spec's format."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


# --- requests ---------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str  # without the query string and without a .json/.xml suffix
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""
    fmt: str = "json"  # response format: "json" or "xml"

    @property
    def host(self) -> str:
        return self.headers.get("host") or "127.0.0.1"

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def response_format(path: str, accept: str) -> tuple[str, str]:
    """(path without suffix, "json" or "xml"): a .json/.xml suffix wins over the Accept header."""
    last = path.rsplit("/", 1)[-1]
    for suffix in ("json", "xml"):
        if last.endswith("." + suffix) and len(last) > len(suffix) + 1:
            return path[: -len(suffix) - 1], suffix
    ranked = []
    for position, part in enumerate(accept.split(",")):
        media, _, params = part.partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, position, media.strip().lower()))
    for _, _, media in sorted(ranked):
        if media in (JSON_TYPE, "application/*", "*/*", "text/json"):
            return path, "json"
        if media in (XML_TYPE, "text/xml"):
            return path, "xml"
    return path, "json"


def _body_format(request: Request) -> str:
    """The body's format, from its Content-Type alone (spec 4.2.2): the body is never sniffed, so an
    XML body sent as application/json is malformed JSON (400), and a body of another or no declared
    type is refused with 415 badMediaType before anything runs. application/*+json and
    application/*+xml (Cinder's application/vnd.openstack.volume+json...) count as JSON and XML."""
    ctype = request.header("content-type").split(";", 1)[0].strip().lower()
    if ctype == JSON_TYPE or (ctype.startswith("application/") and ctype.endswith("+json")):
        return "json"
    if ctype == XML_TYPE or (ctype.startswith("application/") and ctype.endswith("+xml")):
        return "xml"
    if not ctype:
        raise ApiError(415, "Missing Content-Type: send the body as application/json or application/xml.")
    raise ApiError(415, f"Unsupported Content-Type {ctype!r}: send application/json or application/xml.")


def parse_body(request: Request, root: str) -> dict[str, Any]:
    """The object under `root` of a JSON body ({"root": {...}}) or an XML body (<root a="..."/>)."""
    if not request.body.strip():
        raise bad_request(f"Missing request body: expected a '{root}' object.")
    if _body_format(request) == "xml":
        return _parse_xml(request.body, root)
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise bad_request("Malformed request body: the JSON could not be parsed.") from exc
    if not isinstance(data, dict) or root not in data:
        raise bad_request(f"Malformed request body: expected a JSON object with a '{root}' key.")
    inner = data[root]
    if not isinstance(inner, dict):
        raise bad_request(f"Malformed request body: '{root}' must be an object.")
    return inner


def parse_json_object(request: Request) -> dict[str, Any]:
    """A plain JSON object body (the test hooks); an empty body is an empty object."""
    if not request.body.strip():
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise bad_request("Malformed request body: the JSON could not be parsed.") from exc
    if not isinstance(data, dict):
        raise bad_request("Malformed request body: expected a JSON object.")
    return data


_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_scalar(value: str | None) -> str | None:
    # The spec's XML examples write a missing value as "None".
    return None if value is None or value == "None" else value


def _parse_xml(body: bytes, root: str) -> dict[str, Any]:
    if _DTD.search(body):
        raise bad_request("Malformed request body: XML document type declarations are not accepted.")
    try:
        element = ET.fromstring(body)  # noqa: S314 - no DTD, so no entity expansion
    except (ET.ParseError, RecursionError) as exc:
        raise bad_request(f"Malformed request body: the XML could not be parsed ({exc}).") from exc
    if _local(element.tag) != root:
        raise bad_request(f"Malformed request body: expected a <{root}> element.")
    data: dict[str, Any] = {_local(k): _xml_scalar(v) for k, v in element.attrib.items()}
    for child in element:
        name = _local(child.tag)
        if name == "metadata":
            meta: dict[str, Any] = {}
            for item in child:
                if _local(item.tag) != "meta" or "key" not in item.attrib:
                    raise bad_request('Malformed request body: metadata items must be <meta key="...">.')
                meta[item.attrib["key"]] = item.text or ""
            data["metadata"] = meta
        elif len(child) == 0:
            data[name] = _xml_scalar((child.text or "").strip())
    return data


# --- replies ----------------------------------------------------------------------------------


@dataclass
class Node:
    """An XML element: attributes, child elements and text."""

    tag: str
    attrs: dict[str, Any] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    text: str | None = None

    def write(self, out: list[str]) -> None:
        out.append("<" + self.tag)
        for key, value in self.attrs.items():
            out.append(f" {key}={quoteattr(xml_text(value))}")
        if not self.children and self.text is None:
            out.append("/>")
            return
        out.append(">")
        if self.text is not None:
            out.append(escape(self.text))
        for child in self.children:
            child.write(out)
        out.append(f"</{self.tag}>")


def xml_text(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def meta_node(tag: str, mapping: dict[str, Any]) -> Node:
    return Node(tag, children=[Node("meta", {"key": k}, text=xml_text(v)) for k, v in mapping.items()])


def xml_document(root: Node) -> bytes:
    out = ["<?xml version='1.0' encoding='UTF-8'?>\n"]
    root.write(out)
    return "".join(out).encode()


@dataclass
class Reply:
    """What a handler answers: a status, a JSON document and (optionally) its XML rendering."""

    status: int
    data: dict[str, Any] | None = None
    xml: Callable[[], Node] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    json_only: bool = False


def encode(reply: Reply, fmt: str) -> tuple[bytes, str]:
    """(body, content type) of a reply in the requested format."""
    if fmt == "xml" and not reply.json_only:
        if reply.data is None:
            return b"", XML_TYPE
        if reply.xml is not None:
            return xml_document(reply.xml()), XML_TYPE
    if reply.data is None:
        return b"", JSON_TYPE
    return json.dumps(reply.data, separators=(", ", ": ")).encode(), JSON_TYPE


def fault_reply(error: ApiError, namespace: str = VOLUME_NS) -> Reply:
    """The spec's fault body: {"badRequest": {"code": 400, "message": "..."}} or its XML form."""
    name = FAULT_NAMES.get(error.status) or ("badRequest" if error.status < 500 else "computeFault")
    inner: dict[str, Any] = {"code": error.status, "message": error.message}
    headers = {}
    if error.status == 413:
        inner["retryAfter"] = error.retry_after or 0
        if error.retry_after:
            headers["Retry-After"] = str(error.retry_after)
        if error.message == RATE_LIMITED:
            namespace = COMPUTE_NS  # as the spec's overLimit example

    def xml() -> Node:
        attrs: dict[str, Any] = {"code": error.status, "xmlns": namespace}
        if error.status == 413:
            attrs["retryAfter"] = inner["retryAfter"]
        return Node(name, attrs, [Node("message", text=error.message)])

    return Reply(error.status, {name: inner}, xml, headers)
