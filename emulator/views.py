"""How resources look on the wire: the spec's JSON objects and XML elements."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from .rules import SHOWS_ATTACHMENT
from .wire import (
    ATOM_NS,
    BACKUPS_NS,
    COMPUTE_NS,
    IMAGE_META_NS,
    SNAPSHOT_ATTRS_NS,
    VOLUME_NS,
    Node,
    Reply,
    meta_node,
)


def xml_time(stamp: str) -> str:
    """created_at as the spec's XML writes it: 2013-01-23 11:25:03 (microseconds only when not zero)."""
    stamp = stamp.replace("T", " ")
    return stamp[:-7] if stamp.endswith(".000000") else stamp


def _metadata(stored: str) -> dict[str, str]:
    return {} if stored == "{}" else json.loads(stored)


# --- volumes --------------------------------------------------------------------------------------


def attachment_view(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "device": row["device"],
        "id": row["volume_id"],
        "server_id": row["server_id"],
        "volume_id": row["volume_id"],
    }


def volume_view(row: sqlite3.Row, attachments: dict[str, sqlite3.Row], detail: bool) -> dict[str, Any]:
    attached = attachments.get(row["id"]) if row["status"] in SHOWS_ATTACHMENT else None
    view = {
        "attachments": [attachment_view(attached)] if attached is not None else [],
        "availability_zone": row["az"],
        "bootable": row["bootable"],
        "created_at": row["created_at"],
        "display_description": row["display_description"],
        "display_name": row["display_name"],
        "id": row["id"],
        "metadata": _metadata(row["metadata"]),
        "size": row["size"],
        "snapshot_id": row["snapshot_id"],
        "source_volid": row["source_volid"],
        "status": row["status"],
        "volume_type": row["volume_type"] or "None",
    }
    if detail and row["image_id"]:
        view["volume_image_metadata"] = {"image_id": row["image_id"], "image_name": row["image_name"]}
    return view


def _volume_node(view: dict[str, Any]) -> Node:
    attrs = {
        "id": view["id"],
        "status": view["status"],
        "size": view["size"],
        "availability_zone": view["availability_zone"],
        "created_at": xml_time(view["created_at"]),
        "display_name": view["display_name"],
        "display_description": view["display_description"],
        "volume_type": view["volume_type"],
        "snapshot_id": view["snapshot_id"],
        "source_volid": view["source_volid"],
        "bootable": view["bootable"],
    }
    children = [
        Node("attachments", children=[Node("attachment", a) for a in view["attachments"]]),
        meta_node("metadata", view["metadata"]),
    ]
    if "volume_image_metadata" in view:
        children.append(meta_node("volume_image_metadata", view["volume_image_metadata"]))
    return Node("volume", attrs, children)


_VOLUME_ROOT = {"xmlns": VOLUME_NS, "xmlns:atom": ATOM_NS}
_VOLUME_DETAIL_ROOT = {**_VOLUME_ROOT, "xmlns:os-vol-image-meta": IMAGE_META_NS}


def volume_reply(view: dict[str, Any], status: int = 200) -> Reply:
    def xml() -> Node:
        node = _volume_node(view)
        node.attrs.update(_VOLUME_DETAIL_ROOT)
        return node

    return Reply(status, {"volume": view}, xml)


def volumes_reply(views: list[dict[str, Any]], detail: bool) -> Reply:
    root = _VOLUME_DETAIL_ROOT if detail else _VOLUME_ROOT
    return Reply(
        200, {"volumes": views}, lambda: Node("volumes", dict(root), [_volume_node(v) for v in views])
    )


# --- snapshots ------------------------------------------------------------------------------------


def snapshot_view(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "created_at": row["created_at"],
        "display_description": row["display_description"],
        "display_name": row["display_name"],
        "id": row["id"],
        "metadata": _metadata(row["metadata"]),
        "size": row["size"],
        "status": row["status"],
        "volume_id": row["volume_id"],
    }


def _snapshot_node(view: dict[str, Any]) -> Node:
    attrs = {
        "status": view["status"],
        "display_name": view["display_name"],
        "created_at": xml_time(view["created_at"]),
        "display_description": view["display_description"],
        "volume_id": view["volume_id"],
        "id": view["id"],
        "size": view["size"],
    }
    return Node("snapshot", attrs, [meta_node("metadata", view["metadata"])])


def snapshot_reply(view: dict[str, Any]) -> Reply:
    def xml() -> Node:
        node = _snapshot_node(view)
        node.attrs = {"xmlns:os-extended-snapshot-attributes": SNAPSHOT_ATTRS_NS, **node.attrs}
        return node

    return Reply(200, {"snapshot": view}, xml)


def snapshots_reply(views: list[dict[str, Any]]) -> Reply:
    return Reply(
        200, {"snapshots": views}, lambda: Node("snapshots", children=[_snapshot_node(v) for v in views])
    )


# --- backups --------------------------------------------------------------------------------------


def backup_links(base: str, bookmark_base: str, backup_id: str) -> list[dict[str, str]]:
    return [
        {"href": f"{base}/backups/{backup_id}", "rel": "self"},
        {"href": f"{bookmark_base}/backups/{backup_id}", "rel": "bookmark"},
    ]


def backup_summary(row: sqlite3.Row, links: list[dict[str, str]]) -> dict[str, Any]:
    return {"id": row["id"], "links": links, "name": row["name"]}


def backup_view(row: sqlite3.Row, links: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "availability_zone": row["az"],
        "container": row["container"],
        "created_at": row["created_at"],
        "description": row["description"],
        "fail_reason": row["fail_reason"],
        "id": row["id"],
        "links": links,
        "name": row["name"],
        "object_count": row["object_count"],
        "size": row["size"],
        "status": row["status"],
        "volume_id": row["volume_id"],
    }


def _backup_node(view: dict[str, Any]) -> Node:
    if "status" not in view:
        return Node("backup", {"name": view["name"], "id": view["id"]})
    keys = (
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
    )
    attrs = {key: view[key] for key in keys}
    attrs["created_at"] = xml_time(attrs["created_at"])
    return Node("backup", attrs)


def backup_reply(view: dict[str, Any], status: int = 200) -> Reply:
    def xml() -> Node:
        node = _backup_node(view)
        node.attrs = {"xmlns:backups": BACKUPS_NS, **node.attrs}
        return node

    return Reply(status, {"backup": view}, xml)


def backups_reply(views: list[dict[str, Any]]) -> Reply:
    return Reply(
        200,
        {"backups": views},
        lambda: Node("backups", {"xmlns:backups": BACKUPS_NS}, [_backup_node(v) for v in views]),
    )


def restore_reply(backup_id: str, volume_id: str) -> Reply:
    data = {"backup_id": backup_id, "volume_id": volume_id}
    return Reply(202, {"restore": data}, lambda: Node("restore", {"xmlns:backups": BACKUPS_NS, **data}))


# --- limits ---------------------------------------------------------------------------------------


def limits_reply(max_volumes: int, max_gigabytes: int) -> Reply:
    absolute = {"maxTotalVolumeGigabytes": max_gigabytes, "maxTotalVolumes": max_volumes}

    def xml() -> Node:
        limits = [Node("limit", {"name": k, "value": v}) for k, v in absolute.items()]
        return Node("limits", children=[Node("rates"), Node("absolute", children=limits)])

    return Reply(200, {"limits": {"rate": [], "absolute": absolute}}, xml)


# --- compute --------------------------------------------------------------------------------------


def volume_attachment_view(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "device": row["device"],
        "id": row["volume_id"],
        "serverId": row["server_id"],
        "volumeId": row["volume_id"],
    }


def _attachment_node(view: dict[str, Any]) -> Node:
    return Node("volumeAttachment", {k: view[k] for k in ("device", "serverId", "id", "volumeId")})


def volume_attachment_reply(view: dict[str, Any]) -> Reply:
    return Reply(200, {"volumeAttachment": view}, lambda: _attachment_node(view))


def volume_attachments_reply(views: list[dict[str, Any]]) -> Reply:
    return Reply(
        200,
        {"volumeAttachments": views},
        lambda: Node("volumeAttachments", children=[_attachment_node(v) for v in views]),
    )


def _links(base: str, bookmark_base: str, kind: str, item_id: str) -> list[dict[str, str]]:
    return [
        {"href": f"{base}/{kind}/{item_id}", "rel": "self"},
        {"href": f"{bookmark_base}/{kind}/{item_id}", "rel": "bookmark"},
    ]


def server_view(row: sqlite3.Row, base: str, bookmark_base: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "status": row["status"],
        "OS-EXT-AZ:availability_zone": row["az"],
        "availability_zone": row["az"],
        "created": row["created"][:19] + "Z",
        "links": _links(base, bookmark_base, "servers", row["id"]),
    }


def image_view(row: sqlite3.Row, base: str, bookmark_base: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "size": row["size"],
        "minDisk": row["min_disk"],
        "status": row["status"],
        "links": _links(base, bookmark_base, "images", row["id"]),
    }


def _compute_node(tag: str, view: dict[str, Any]) -> Node:
    attrs = {k: v for k, v in view.items() if k != "links" and k != "OS-EXT-AZ:availability_zone"}
    if "OS-EXT-AZ:availability_zone" in view:
        attrs["OS-EXT-AZ:availability_zone"] = view["OS-EXT-AZ:availability_zone"]
    links = [Node("atom:link", {"rel": link["rel"], "href": link["href"]}) for link in view["links"]]
    return Node(tag, attrs, links)


_COMPUTE_ROOT = {
    "xmlns": COMPUTE_NS,
    "xmlns:atom": ATOM_NS,
    "xmlns:OS-EXT-AZ": "http://docs.openstack.org/compute/ext/extended_availability_zone/api/v2",
}


def compute_list_reply(key: str, tag: str, views: Iterable[dict[str, Any]]) -> Reply:
    views = list(views)
    return Reply(
        200, {key: views}, lambda: Node(key, dict(_COMPUTE_ROOT), [_compute_node(tag, v) for v in views])
    )


def compute_item_reply(tag: str, view: dict[str, Any]) -> Reply:
    def xml() -> Node:
        node = _compute_node(tag, view)
        node.attrs = {**_COMPUTE_ROOT, **node.attrs}
        return node

    return Reply(200, {tag: view}, xml)
