"""The business rules of the spec: every write checks everything first, then writes in one transaction.

Each operation takes the store, the configuration, the caller's scope (project and region) and the
decoded request object, and returns the row(s) the reply shows. Faults are raised as `ApiError`.

Choices where the spec is silent (also listed in docs/emulator.md):
- Volumes and snapshots pass through `deleting` before they disappear, as real Cinder does.
- A volume can be deleted from available, error, error_restoring and error_attaching; never while
  attached, in a transition, or while it has snapshots.
- Snapshots count against the volumes quota with the volume message (the spec has one shared quota).
- Quotas and usage are per project, whatever the region (spec 4.5.2 "per-project quotas"); each
  region has its own resources.
- A volume attached to a server is never snapshotted (spec 4.5.3), whatever `force` says;
  Cinder's force=true is the compatibility mode EMULATOR_SNAPSHOT_FORCE=1, off by default.
- The limit of 10 derived resources per origin volume counts operations performed (cumulative),
  as the spec words it; resources created beyond it are created and end in `error`.
- A volume created from a snapshot without `size` takes the snapshot's size; a clone needs a size
  (the spec makes size optional with snapshot_id only).
- A volume from a snapshot or a clone is in its source's zone (refused elsewhere); without a zone
  it goes there rather than to the default az2.
- A new volume made by a restore is created directly in `restoring-backup`, in az2.
"""

from __future__ import annotations

import json
import math
import random
import re
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from .config import DEFAULT_ZONE, ZONES, Config
from .store import GONE, Store, now_stamp
from .wire import ApiError, bad_request, not_found

MAX_SIZE = 2047
MAX_TEXT = 255
MAX_ATTACHED = 26
DEFAULT_CONTAINER = "volumebackups"
GIB = 1024**3
DELETABLE_VOLUME = ("available", "error", "error_restoring", "error_attaching")
DELETABLE_SNAPSHOT = ("available", "error")
DELETABLE_BACKUP = ("available", "error")
SHOWS_ATTACHMENT = ("in-use", "detaching", "error_detaching")
# Devices in the order a guest allocates them: /dev/vdc ... /dev/vdz, then /dev/vdaa, /dev/vdab.
DEVICES = [f"/dev/vd{c}" for c in "cdefghijklmnopqrstuvwxyz"] + ["/dev/vdaa", "/dev/vdab"]
_INTEGER = re.compile(r"\s*\+?\d+\s*")
_TRUE = ("true", "1", "yes", "on", "t", "y")
_FALSE = ("false", "0", "no", "off", "f", "n", "")


@dataclass(frozen=True)
class Scope:
    """Who is calling and where: the token's project and the URL's region."""

    project_id: str
    region: str


# --- input checks ---------------------------------------------------------------------------------


def check_size(value: Any) -> int:
    """An integer number of GB, 1-2047. Integer-valued strings ("10") are accepted, nothing else."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise bad_request(f"Invalid size {json.dumps(value)}: size must be an integer number of GB (1-2047).")
    if isinstance(value, str):
        if not _INTEGER.fullmatch(value):
            raise bad_request(
                f"Invalid size {json.dumps(value)}: size must be an integer number of GB (1-2047)."
            )
        value = int(value)
    if not 1 <= value <= MAX_SIZE:
        raise bad_request(f"Invalid size {value}: volume size must be between 1 and {MAX_SIZE} GB.")
    return value


def check_text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"Invalid {key}: it must be a string.")
    if len(value) > MAX_TEXT:
        raise bad_request(f"Invalid {key}: it is {len(value)} characters long, the maximum is {MAX_TEXT}.")
    return value


def check_id(data: dict[str, Any], key: str, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise bad_request(f"Missing {key}: it is required.")
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise bad_request(f"Invalid {key}: it must be an id string.")
    return value


def check_metadata(data: dict[str, Any]) -> dict[str, str] | None:
    value = data.get("metadata")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("Invalid metadata: it must be an object of string keys and string values.")
    for key, item in value.items():
        if not isinstance(key, str) or not key or len(key) > MAX_TEXT:
            raise bad_request(
                f"Invalid metadata key {json.dumps(key)}: keys are strings of 1-255 characters."
            )
        if not isinstance(item, str):
            raise bad_request(f"Invalid metadata value for {json.dumps(key)}: values must be strings.")
        if len(item) > MAX_TEXT:
            raise bad_request(f"Invalid metadata value for {json.dumps(key)}: at most 255 characters.")
    return value


def check_bool(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise bad_request(f"Invalid {key} {json.dumps(value)}: it must be true or false.")


def check_zone(data: dict[str, Any]) -> str:
    value = data.get("availability_zone")
    if value is None:
        return DEFAULT_ZONE
    if value not in ZONES:
        raise bad_request(
            f"Invalid availability_zone {json.dumps(value)}: choose one of {', '.join(ZONES)} (default az2)."
        )
    return value


def check_volume_type(data: dict[str, Any]) -> str | None:
    # The spec says the type defaults to "standard", its only type, yet every example shows the
    # string "None": a volume created without a type shows "None" (as the examples), one created
    # with "standard" shows "standard". Any other type does not exist.
    value = data.get("volume_type")
    if value is None or value in ("", "None"):
        return None
    if value != "standard":
        raise bad_request(f"Invalid volume_type {json.dumps(value)}: the only volume type is 'standard'.")
    return value


# --- helpers ----------------------------------------------------------------------------------------


def _fails(config: Config, word: str, *names: str | None) -> bool:
    """Whether a transition ends in error: a fail-on-purpose word in a name, or bad luck."""
    if any(name and word in name for name in names):
        return True
    return config.failure_rate > 0 and random.random() < config.failure_rate


def quota_of(store: Store, config: Config, project_id: str) -> tuple[int, int]:
    """(volumes, gigabytes) allowed for a project; -1 means unlimited."""
    row = store.one("SELECT quota_volumes, quota_gigabytes FROM projects WHERE id = ?", project_id)
    volumes = row["quota_volumes"] if row and row["quota_volumes"] is not None else config.quota_volumes
    gigabytes = (
        row["quota_gigabytes"] if row and row["quota_gigabytes"] is not None else config.quota_gigabytes
    )
    return volumes, gigabytes


def usage(db: sqlite3.Connection, scope: Scope) -> tuple[int, int]:
    """(volumes and snapshots, gigabytes) in use by the project in every region (the spec's quotas
    are per project, 4.5.2): everything that exists, errors included."""
    row = db.execute(
        "SELECT (SELECT COUNT(*) FROM volumes WHERE project_id = ?1)"
        " + (SELECT COUNT(*) FROM snapshots WHERE project_id = ?1),"
        " (SELECT COALESCE(SUM(size), 0) FROM volumes WHERE project_id = ?1)"
        " + (SELECT COALESCE(SUM(size), 0) FROM snapshots WHERE project_id = ?1)",
        (scope.project_id,),
    ).fetchone()
    return row[0], row[1]


def check_quota(store: Store, config: Config, scope: Scope, gigabytes: int) -> None:
    """413 overLimit when one more volume or snapshot of `gigabytes` would exceed the quota."""
    max_volumes, max_gigabytes = quota_of(store, config, scope.project_id)
    count, used = usage(store.db, scope)
    if max_gigabytes >= 0 and used + gigabytes > max_gigabytes:
        raise ApiError(
            413,
            "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed Gigabytes quota",
            0,
        )
    if max_volumes >= 0 and count + 1 > max_volumes:
        raise ApiError(
            413, f"VolumeLimitExceeded: Maximum number of volumes allowed ({max_volumes}) exceeded", 0
        )


def get_volume(store: Store, scope: Scope, volume_id: str) -> sqlite3.Row:
    row = store.one(
        "SELECT * FROM volumes WHERE id = ? AND project_id = ? AND region = ?",
        volume_id,
        scope.project_id,
        scope.region,
    )
    if row is None:
        raise not_found(f"Volume {volume_id} could not be found.")
    return row


def get_snapshot(store: Store, scope: Scope, snapshot_id: str) -> sqlite3.Row:
    row = store.one(
        "SELECT * FROM snapshots WHERE id = ? AND project_id = ? AND region = ?",
        snapshot_id,
        scope.project_id,
        scope.region,
    )
    if row is None:
        raise not_found(f"Snapshot {snapshot_id} could not be found.")
    return row


def get_backup(store: Store, scope: Scope, backup_id: str) -> sqlite3.Row:
    row = store.one(
        "SELECT * FROM backups WHERE id = ? AND project_id = ? AND region = ?",
        backup_id,
        scope.project_id,
        scope.region,
    )
    if row is None:
        raise not_found(f"Backup {backup_id} could not be found.")
    return row


def get_server(store: Store, scope: Scope, server_id: str) -> sqlite3.Row:
    row = store.one(
        "SELECT * FROM servers WHERE id = ? AND project_id = ? AND region = ?",
        server_id,
        scope.project_id,
        scope.region,
    )
    if row is None:
        raise not_found(f"Server {server_id} could not be found.")
    return row


def get_image(store: Store, scope: Scope, image_id: str) -> sqlite3.Row:
    row = store.one(
        "SELECT * FROM images WHERE id = ? AND (project_id IS NULL OR project_id = ?)",
        image_id,
        scope.project_id,
    )
    if row is None:
        raise not_found(f"Image {image_id} could not be found.")
    return row


def _count_derived(db: sqlite3.Connection, config: Config, origin_id: str) -> bool:
    """Count one more resource derived from an origin volume; False when it exceeds the limit."""
    db.execute("UPDATE volumes SET derived = derived + 1 WHERE id = ?", (origin_id,))
    row = db.execute("SELECT derived FROM volumes WHERE id = ?", (origin_id,)).fetchone()
    return row is not None and row["derived"] <= config.derived_limit


# --- volumes --------------------------------------------------------------------------------------


def _source_zone(source_zone: str, zone: str, zone_given: bool, source: str) -> str:
    """The zone of a volume made from a snapshot or a clone: the source's, as the cloud enforces.

    Without an availability_zone the new volume goes to the source's zone (as Cinder does, rather
    than the spec's default az2, which would refuse every such volume of a source outside az2).
    """
    if zone_given and zone != source_zone:
        raise bad_request(
            f"Invalid availability_zone {zone}: a volume made from {source} must be in the same "
            f"availability zone as its source, {source_zone}."
        )
    return source_zone


def create_volume(store: Store, config: Config, scope: Scope, data: dict[str, Any]) -> sqlite3.Row:
    snapshot_id = check_id(data, "snapshot_id")
    source_volid = check_id(data, "source_volid")
    image_ref = check_id(data, "imageRef")
    if sum(1 for source in (snapshot_id, source_volid, image_ref) if source) > 1:
        raise bad_request("snapshot_id, source_volid and imageRef are mutually exclusive: give at most one.")
    size = None if data.get("size") in (None, "") else check_size(data.get("size"))
    zone = check_zone(data)
    zone_given = data.get("availability_zone") is not None
    name = check_text(data, "display_name")
    description = check_text(data, "display_description")
    metadata = check_metadata(data) or {}
    volume_type = check_volume_type(data)

    with store.transaction() as db:
        origin_id = None
        bootable, image_id, image_name = "false", None, None
        status, seconds = "creating", config.duration("create")
        if snapshot_id:
            snapshot = get_snapshot(store, scope, snapshot_id)
            if snapshot["status"] != "available":
                raise bad_request(
                    f"Invalid snapshot: snapshot {snapshot_id} must be available to create a volume from it "
                    f"(its status is {snapshot['status']})."
                )
            origin_id, minimum, what = snapshot["volume_id"], snapshot["size"], "snapshot"
            origin = store.one("SELECT * FROM volumes WHERE id = ?", origin_id)
            if origin is not None:
                bootable, image_id, image_name = origin["bootable"], origin["image_id"], origin["image_name"]
                # A snapshot lives in its volume's zone (4.5.3.4), and so does a volume made from it.
                zone = _source_zone(origin["az"], zone, zone_given, f"snapshot {snapshot_id}")
        elif source_volid:
            source = get_volume(store, scope, source_volid)
            if source["status"] != "available":
                raise bad_request(
                    f"Invalid volume: source volume {source_volid} must be available to be cloned "
                    f"(its status is {source['status']})."
                )
            origin_id, minimum, what = source_volid, source["size"], "source volume"
            bootable, image_id, image_name = source["bootable"], source["image_id"], source["image_name"]
            zone = _source_zone(source["az"], zone, zone_given, f"source volume {source_volid}")
        elif image_ref:
            image = get_image(store, scope, image_ref)
            if image["status"] != "active":
                raise bad_request(f"Invalid image: image {image_ref} is not active.")
            minimum = max(image["min_disk"], math.ceil(image["size"] / GIB))
            what = "image (minDisk)"
            bootable, image_id, image_name = "true", image["id"], image["name"]
            status, seconds = "downloading", config.duration("download")
        else:
            minimum, what = 1, ""
        if size is None:
            # Spec 4.5.2.4: size is "Optional if snapshot_id is specified", and only then.
            if not snapshot_id:
                raise bad_request(
                    "Missing size: give the volume size in GB (1-2047); only a volume made from a snapshot "
                    "may leave it out."
                )
            size = minimum
        if size < minimum:
            raise bad_request(
                f"Invalid size {size}: the volume must be at least {minimum} GB, the size of its {what}."
            )
        check_quota(store, config, scope, size)
        failed = _fails(config, "fail-create", name)
        if origin_id is not None and not _count_derived(db, config, origin_id):
            failed = True  # beyond the limit of derived resources per origin volume
        volume_id = str(uuid.uuid4())
        db.execute(
            "INSERT INTO volumes (id, project_id, region, display_name, display_description, size, az,"
            " status, bootable, created_at, snapshot_id, source_volid, image_id, image_name, volume_type,"
            " metadata)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                volume_id,
                scope.project_id,
                scope.region,
                name,
                description,
                size,
                zone,
                status,
                bootable,
                now_stamp(),
                snapshot_id,
                source_volid,
                image_id,
                image_name,
                volume_type,
                json.dumps(metadata),
            ),
        )
        store.schedule(db, "volumes", volume_id, status, "error" if failed else "available", seconds)
        return get_volume(store, scope, volume_id)


def update_volume(store: Store, scope: Scope, volume_id: str, data: dict[str, Any]) -> sqlite3.Row:
    changes: dict[str, Any] = {}
    for key in ("display_name", "display_description"):
        if key in data:
            changes[key] = check_text(data, key)
    if "metadata" in data:
        changes["metadata"] = json.dumps(check_metadata(data) or {})
    with store.transaction() as db:
        get_volume(store, scope, volume_id)
        for key, value in changes.items():
            db.execute(f"UPDATE volumes SET {key} = ? WHERE id = ?", (value, volume_id))  # noqa: S608
        return get_volume(store, scope, volume_id)


def delete_volume(store: Store, config: Config, scope: Scope, volume_id: str) -> None:
    with store.transaction() as db:
        volume = get_volume(store, scope, volume_id)
        label = f"Volume {volume_id}" + (f" ({volume['display_name']})" if volume["display_name"] else "")
        snapshots = db.execute("SELECT COUNT(*) FROM snapshots WHERE volume_id = ?", (volume_id,)).fetchone()[
            0
        ]
        if snapshots:
            raise bad_request(
                f"Invalid volume: {label} still has {snapshots} snapshot(s); delete them before the volume."
            )
        if db.execute("SELECT 1 FROM attachments WHERE volume_id = ?", (volume_id,)).fetchone():
            raise bad_request(f"Invalid volume: {label} is attached to a server; detach it first.")
        if volume["status"] not in DELETABLE_VOLUME:
            raise bad_request(
                f"Invalid volume: {label} cannot be deleted while its status is {volume['status']} "
                f"(it must be {', '.join(DELETABLE_VOLUME)})."
            )
        target = "error" if _fails(config, "fail-delete", volume["display_name"]) else GONE
        store.schedule(db, "volumes", volume_id, "deleting", target, config.duration("delete"))


# --- snapshots ------------------------------------------------------------------------------------


def create_snapshot(store: Store, config: Config, scope: Scope, data: dict[str, Any]) -> sqlite3.Row:
    volume_id = check_id(data, "volume_id", required=True)
    force = check_bool(data, "force")
    name = check_text(data, "display_name")
    description = check_text(data, "display_description")
    metadata = check_metadata(data) or {}
    with store.transaction() as db:
        volume = get_volume(store, scope, volume_id)
        # Spec 4.5.3: "You can not create a snapshot from a volume that is attached to a server", and
        # force (a boolean, default false) does not change that. Cinder's force=true, which snapshots an
        # in-use volume, is a compatibility mode: EMULATOR_SNAPSHOT_FORCE=1.
        allowed = ("available", "in-use") if force and config.snapshot_force else ("available",)
        if volume["status"] not in allowed:
            if volume["status"] == "in-use":
                raise bad_request(
                    f"Invalid volume: volume {volume_id} is attached to a server, and a snapshot cannot be "
                    "created from a volume that is attached to a server: detach it first."
                )
            raise bad_request(
                f"Invalid volume: volume {volume_id} must be available to create a snapshot "
                f"(its status is {volume['status']})."
            )
        check_quota(store, config, scope, volume["size"])
        failed = _fails(config, "fail-create", name)
        if not _count_derived(db, config, volume_id):
            failed = True
        snapshot_id = str(uuid.uuid4())
        db.execute(
            "INSERT INTO snapshots (id, project_id, region, volume_id, display_name, display_description,"
            " size, status, created_at, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, 'creating', ?, ?)",
            (
                snapshot_id,
                scope.project_id,
                scope.region,
                volume_id,
                name,
                description,
                volume["size"],
                now_stamp(),
                json.dumps(metadata),
            ),
        )
        store.schedule(
            db,
            "snapshots",
            snapshot_id,
            "creating",
            "error" if failed else "available",
            config.duration("create"),
        )
        return get_snapshot(store, scope, snapshot_id)


def delete_snapshot(store: Store, config: Config, scope: Scope, snapshot_id: str) -> None:
    with store.transaction() as db:
        snapshot = get_snapshot(store, scope, snapshot_id)
        if snapshot["status"] not in DELETABLE_SNAPSHOT:
            raise bad_request(
                f"Invalid snapshot: snapshot {snapshot_id} cannot be deleted while its status is "
                f"{snapshot['status']} (it must be available or error)."
            )
        target = "error" if _fails(config, "fail-delete", snapshot["display_name"]) else GONE
        store.schedule(db, "snapshots", snapshot_id, "deleting", target, config.duration("delete"))


# --- backups --------------------------------------------------------------------------------------


def create_backup(store: Store, config: Config, scope: Scope, data: dict[str, Any]) -> sqlite3.Row:
    volume_id = check_id(data, "volume_id", required=True)
    container = check_text(data, "container") or DEFAULT_CONTAINER
    name = check_text(data, "name")
    description = check_text(data, "description")
    with store.transaction() as db:
        volume = get_volume(store, scope, volume_id)
        if volume["status"] != "available":
            raise bad_request(
                f"Invalid volume: volume {volume_id} must be available to be backed up "
                f"(its status is {volume['status']})."
            )
        backup_id = str(uuid.uuid4())
        seconds = config.duration("backup")
        db.execute(
            "INSERT INTO backups (id, project_id, region, volume_id, name, description, container, size, az,"
            " status, object_count, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'creating', 0, ?)",
            (
                backup_id,
                scope.project_id,
                scope.region,
                volume_id,
                name,
                description,
                container,
                volume["size"],
                volume["az"],
                now_stamp(),
            ),
        )
        failed = _fails(config, "fail-create", name)
        store.schedule(db, "backups", backup_id, "creating", "error" if failed else "available", seconds)
        store.schedule(db, "volumes", volume_id, "backing-up", "available", seconds)
        return get_backup(store, scope, backup_id)


def delete_backup(store: Store, config: Config, scope: Scope, backup_id: str) -> None:
    with store.transaction() as db:
        backup = get_backup(store, scope, backup_id)
        if backup["status"] not in DELETABLE_BACKUP:
            raise bad_request(
                f"Invalid backup: backup {backup_id} cannot be deleted while its status is "
                f"{backup['status']} (it must be available or error)."
            )
        target = "error" if _fails(config, "fail-delete", backup["name"]) else GONE
        store.schedule(db, "backups", backup_id, "deleting", target, config.duration("delete"))


def restore_backup(
    store: Store, config: Config, scope: Scope, backup_id: str, data: dict[str, Any]
) -> tuple[str, str]:
    """Restore into an existing volume or a new one in az2; (backup id, volume id)."""
    volume_id = check_id(data, "volume_id")
    with store.transaction() as db:
        backup = get_backup(store, scope, backup_id)
        if backup["status"] != "available":
            raise bad_request(
                f"Invalid backup: backup {backup_id} must be available to be restored "
                f"(its status is {backup['status']})."
            )
        seconds = config.duration("restore")
        if volume_id:
            volume = get_volume(store, scope, volume_id)
            if volume["status"] != "available":
                raise bad_request(
                    f"Invalid volume: volume {volume_id} must be available to restore a backup into it "
                    f"(its status is {volume['status']})."
                )
            if volume["size"] < backup["size"]:
                raise bad_request(
                    f"Invalid volume: volume {volume_id} ({volume['size']} GB) is smaller than "
                    f"backup {backup_id} ({backup['size']} GB)."
                )
            target_name = volume["display_name"]
        else:
            check_quota(store, config, scope, backup["size"])
            volume_id = str(uuid.uuid4())
            target_name = f"restore_backup_{backup_id}"
            db.execute(
                "INSERT INTO volumes (id, project_id, region, display_name, display_description, size, az,"
                " status, bootable, created_at, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, 'restoring-backup',"
                " 'false', ?, '{}')",
                (
                    volume_id,
                    scope.project_id,
                    scope.region,
                    target_name,
                    "auto-created_from_restore_from_backup",
                    backup["size"],
                    DEFAULT_ZONE,
                    now_stamp(),
                ),
            )
        failed = _fails(config, "fail-restore", backup["name"], target_name)
        store.schedule(
            db,
            "volumes",
            volume_id,
            "restoring-backup",
            "error_restoring" if failed else "available",
            seconds,
        )
        # Spec 4.5.4: "In the event of an error, during any operation, status is set to error", so a
        # failed restore leaves the backup in error (Cinder puts it back to available instead).
        store.schedule(db, "backups", backup_id, "restoring", "error" if failed else "available", seconds)
        return backup_id, volume_id


# --- attachments ----------------------------------------------------------------------------------


def attach_volume(
    store: Store, config: Config, scope: Scope, server_id: str, data: dict[str, Any]
) -> sqlite3.Row:
    key = "volumeId" if data.get("volumeId") not in (None, "") else "volume_id"
    volume_id = check_id(data, key, required=True)
    device = data.get("device")
    if device is not None and not isinstance(device, str):
        raise bad_request("Invalid device: it must be a string such as /dev/vdc.")
    with store.transaction() as db:
        server = get_server(store, scope, server_id)
        volume = get_volume(store, scope, volume_id)
        if volume["status"] != "available":
            raise bad_request(
                f"Invalid volume: volume {volume_id} must be available to be attached "
                f"(its status is {volume['status']})."
            )
        if volume["az"] != server["az"]:
            raise bad_request(
                f"Invalid volume: volume {volume_id} is in availability zone {volume['az']} and server "
                f"{server_id} in {server['az']}; a volume can only be attached to a server in the same zone."
            )
        used = {
            row["device"]
            for row in db.execute("SELECT device FROM attachments WHERE server_id = ?", (server_id,))
        }
        if len(used) >= MAX_ATTACHED:
            raise bad_request(
                f"Server {server_id} already has {MAX_ATTACHED} volumes attached, the maximum for a server."
            )
        # The requested device is advisory only: the guest takes the first free name from /dev/vdc.
        device = next(name for name in DEVICES if name not in used)
        db.execute(
            "INSERT INTO attachments VALUES (?, ?, ?, ?, ?)",
            (volume_id, server_id, device, scope.project_id, scope.region),
        )
        failed = _fails(config, "fail-attach", volume["display_name"])
        store.schedule(
            db,
            "volumes",
            volume_id,
            "attaching",
            "error_attaching" if failed else "in-use",
            config.duration("attach"),
        )
        return db.execute("SELECT * FROM attachments WHERE volume_id = ?", (volume_id,)).fetchone()


def get_attachment(store: Store, scope: Scope, server_id: str, volume_id: str) -> sqlite3.Row:
    get_server(store, scope, server_id)
    row = store.one("SELECT * FROM attachments WHERE volume_id = ? AND server_id = ?", volume_id, server_id)
    if row is None:
        raise not_found(f"Volume {volume_id} is not attached to server {server_id}.")
    return row


def detach_volume(store: Store, config: Config, scope: Scope, server_id: str, volume_id: str) -> None:
    with store.transaction() as db:
        get_attachment(store, scope, server_id, volume_id)
        volume = get_volume(store, scope, volume_id)
        if volume["status"] not in ("in-use", "error_detaching"):
            raise bad_request(
                f"Invalid volume: volume {volume_id} must be in-use to be detached "
                f"(its status is {volume['status']})."
            )
        failed = _fails(config, "fail-detach", volume["display_name"])
        store.schedule(
            db,
            "volumes",
            volume_id,
            "detaching",
            "error_detaching" if failed else "available",
            config.duration("detach"),
        )
