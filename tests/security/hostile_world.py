"""A project where every text the API stores is hostile (tests/security/payloads.py): servers seeded
through the emulator's accounts hook, volumes, a snapshot, a backup and an attachment whose device
the API would never choose. Shared by tests/security/test_hostile_text.py and the real-browser test
in tests/browser/test_security_browser.py."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import cache
from django.test import Client

from console import api
from tests.console.login_helpers import context_of, log_in
from tests.emulator_process import EmulatorProcess
from tests.security.conftest import wait_for


@dataclass
class World:
    """A project where every text the API stores is hostile."""

    client: Client
    account: dict
    name: str  # the text in names (servers, volumes, snapshots, backups, devices)
    other: str  # the text in descriptions, containers and metadata values
    server: api.Server  # named `name`, in az1; `attached` is attached to it
    other_server: api.Server  # named `other`, in az1, nothing attached
    attached: api.Volume  # in-use on `server`, its device is `name` (set in the emulator's state)
    volume: api.Volume  # available, in az1: the source of `snapshot` and `backup`
    snapshot: api.Snapshot
    backup: api.Backup


def attachment_device_set(emulator: EmulatorProcess, volume_id: str, device: str) -> None:
    """Give an attachment a device the API would never choose.

    The API treats a requested device as advisory and always answers /dev/vdc upward (spec 4.5.5.2),
    so no API call can store a hostile device: the test writes it into the emulator's own database,
    as a cloud that echoed the request would store it. Everything else still goes over HTTP.
    """
    database = Path(emulator.tmpdir.name) / "emulator.sqlite3"
    with sqlite3.connect(database, timeout=10) as db:
        changed = db.execute("UPDATE attachments SET device = ? WHERE volume_id = ?", (device, volume_id))
        assert changed.rowcount == 1


def world_build(emulator: EmulatorProcess, name: str, other: str) -> World:
    user = f"hx{os.getpid()}x{os.urandom(3).hex()}"
    servers = [
        {"name": name, "zone": "az1"},
        {"name": other, "zone": "az1"},
        {"name": "plain-az2", "zone": "az2"},
    ]
    account = {
        "user": user,
        "password": f"{user}-password",
        "project": user,
        **emulator.new_account(user, servers=servers),
    }
    client = Client()
    assert log_in(client, account).status_code == 302
    ctx = context_of(client)
    metadata = {name: other, other: name}

    def available(kind: str, resource_id: str):
        get = {"volumes": api.volume_get, "snapshots": api.snapshot_get, "backups": api.backup_get}[kind]
        return wait_for(lambda: (r := get(ctx, resource_id)).status == "available" and r)

    by_name = {s.name: s for s in api.server_list(ctx)}
    server, other_server = by_name[name], by_name[other]
    attached = api.volume_create(
        ctx, size=1, availability_zone="az1", display_name=name, display_description=other, metadata=metadata
    )
    volume = api.volume_create(
        ctx, size=1, availability_zone="az1", display_name=other, display_description=name, metadata=metadata
    )
    available("volumes", attached.id)
    available("volumes", volume.id)
    api.attachment_create(ctx, server.id, volume_id=attached.id)
    attached = wait_for(lambda: (v := api.volume_get(ctx, attached.id)).status == "in-use" and v)
    attachment_device_set(emulator, attached.id, name)
    snapshot = api.snapshot_create(ctx, volume_id=volume.id, display_name=name, display_description=other)
    snapshot = available("snapshots", snapshot.id)
    backup = api.backup_create(ctx, volume_id=volume.id, container=other, name=name, description=other)
    backup = available("backups", backup.id)
    available("volumes", volume.id)
    cache.clear()  # the console sees the world as it is now
    return World(
        client=client,
        account=account,
        name=name,
        other=other,
        server=server,
        other_server=other_server,
        attached=api.volume_get(ctx, attached.id),
        volume=api.volume_get(ctx, volume.id),
        snapshot=snapshot,
        backup=backup,
    )


def pages_of(w: World) -> dict[str, set[str]]:
    """Each page, with the texts it must show (escaped)."""
    both = {w.name, w.other}
    return {
        "/": set(),
        "/volumes/": both,
        f"/volumes/{w.attached.id}/": both,
        f"/volumes/{w.volume.id}/": both,
        f"/volumes/{w.attached.id}/edit/": both,
        f"/volumes/{w.attached.id}/delete/": {w.name},  # blocked: attached to the server `name`
        f"/volumes/{w.volume.id}/delete/": {w.other, w.name},  # blocked: the snapshot `name`
        f"/volumes/create/?snapshot_id={w.snapshot.id}": {w.name},
        f"/volumes/create/?source_volid={w.volume.id}": {w.other},
        "/snapshots/": both,  # the snapshot `name` of the volume `other`
        f"/snapshots/{w.snapshot.id}/": both,
        f"/snapshots/{w.snapshot.id}/delete/": {w.name},
        f"/snapshots/create/?volume_id={w.volume.id}": {w.other},
        "/backups/": both,
        f"/backups/{w.backup.id}/": both,
        f"/backups/{w.backup.id}/restore/": {w.name},
        f"/backups/{w.backup.id}/delete/": {w.name},
        f"/backups/create/?volume_id={w.volume.id}": {w.other},
        "/servers/": both,
        f"/servers/{w.server.id}/": {w.name},  # its attached volume `name`, device `name`
        f"/servers/{w.other_server.id}/": {w.other},
        f"/servers/{w.server.id}/attach/": {w.name, w.other},  # the volume `other` to pick
        f"/servers/attach/?volume_id={w.volume.id}": both,  # the servers `name` and `other` to pick
        f"/servers/{w.server.id}/detach/{w.attached.id}/": {w.name},
    }
