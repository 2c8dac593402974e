"""Hostile text in every field the API stores, beyond a volume's own pages (test_escaping.py):
snapshot and backup names, descriptions and containers, volume names shown on other sections'
pages, metadata keys and values, server names (seeded through the emulator's accounts hook) and
attachment devices, on every page, htmx fragment, live poll and JSON export that shows them.

Each page answers 200 (or 286 for a poll), shows the text escaped (so the check means something),
and holds no live markup (tests/security/payloads.py). The payloads are split in two texts, A and
B; every test runs twice, once with each as the names, so every field meets every payload.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from console import api
from support.models import ApiCall
from tests.console.login_helpers import log_in
from tests.emulator_process import EmulatorProcess
from tests.security.conftest import context_of, wait_for
from tests.security.payloads import HOSTILE_A, HOSTILE_B, escaped, live_markup_in
from tests.support.conftest import support_group

pytestmark = pytest.mark.django_db


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


@pytest.fixture(params=["A-in-names", "B-in-names"])
def world(request, emulator) -> World:
    name, other = (HOSTILE_A, HOSTILE_B) if request.param == "A-in-names" else (HOSTILE_B, HOSTILE_A)
    return world_build(emulator, name, other)


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


def escaping_problems(url: str, html: str, texts: set[str]) -> list[str]:
    problems = [f"{url} renders {fragment!r}" for fragment in live_markup_in(html)]
    problems += [f"{url} does not show {text[:40]!r}… escaped" for text in texts if escaped(text) not in html]
    return problems


def assert_escaped(url: str, html: str, texts: set[str]) -> None:
    problems = escaping_problems(url, html, texts)
    assert not problems, "\n".join(problems)


def test_every_page_shows_hostile_api_text_escaped(world):
    problems = []
    for url, texts in pages_of(world).items():
        response = world.client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        problems += escaping_problems(url, response.content.decode(), texts)
    assert not problems, "\n".join(problems)


def test_metadata_keys_and_values_are_text(world):
    html = world.client.get(f"/volumes/{world.volume.id}/").content.decode()
    for key, value in world.volume.metadata.items():
        assert escaped(key) in html and escaped(value) in html
    # In the edit form they are input values: quotes escaped, so no attribute ends early.
    edit = world.client.get(f"/volumes/{world.volume.id}/edit/").content.decode()
    assert f'value="{escaped(world.name)}"' in edit
    assert f'value="{escaped(world.other)}"' in edit


def test_htmx_fragments_show_hostile_api_text_escaped(world):
    w = world
    fragments = {
        ("/volumes/", "volume-list"): {w.name, w.other},
        (f"/volumes/{w.attached.id}/", "volume-live"): {w.name, w.other},
        ("/snapshots/", "snapshot-results"): {w.name, w.other},
        (f"/snapshots/{w.snapshot.id}/", "snapshot-panel"): {w.name},
        (f"/snapshots/create/?volume_id={w.volume.id}", "snapshot-volume-info"): {w.other},
        ("/backups/", "backup-results"): {w.name},
        (f"/backups/{w.backup.id}/", "backup-panel"): {w.name, w.other},
        (f"/backups/create/?volume_id={w.volume.id}", "backup-volume-info"): {w.other},
        (f"/servers/{w.server.id}/", "attachments-panel"): {w.name},
        ("/", "overview-charts"): set(),
    }
    for (url, target), texts in fragments.items():
        response = w.client.get(url, headers={"HX-Request": "true", "HX-Target": target})
        html = response.content.decode()
        assert response.status_code == 200, f"{url} #{target}: {response.status_code}"
        assert "<html" not in html, f"{url} #{target} is not a fragment"
        assert_escaped(f"{url} #{target}", html, texts)


def test_live_polls_carry_ids_not_api_text(world):
    w = world
    polls = {
        "volumes": f"{w.attached.id}:attaching",
        "snapshots": f"{w.snapshot.id}:creating",
        "backups": f"{w.backup.id}:creating",
    }
    for kind, followed in polls.items():
        response = w.client.get(f"/live/{kind}/?s={followed}", headers={"HX-Request": "true"})
        html = response.content.decode()
        assert response.status_code == 286, f"{kind}: {response.status_code}"  # all settled now
        assert "hx-swap-oob" in html  # the badge that moved is swapped
        assert live_markup_in(html) == [] and escaped(w.name) not in html
        trigger = json.loads(response["HX-Trigger"])
        assert trigger == {"status-changed": {"kind": kind, "ids": [followed.split(":")[0]]}}


def test_a_hostile_device_is_refused_by_the_attach_forms(world):
    w = world
    forms = {
        f"/servers/{w.other_server.id}/attach/": {"volume_id": w.volume.id},
        f"/servers/attach/?volume_id={w.volume.id}": {"server_id": w.other_server.id},
    }
    for url, data in forms.items():
        response = w.client.post(url, {**data, "device": w.name[:16]})
        html = response.content.decode()
        assert response.status_code == 200, f"{url}: {response.status_code}"
        assert "Enter a device like /dev/vdc or /dev/sdb" in html
        assert_escaped(url, html, {w.name[:16]})
    # Nothing was attached: the volume is still available, the server has nothing.
    ctx = context_of(w.client)
    assert api.volume_get(ctx, w.volume.id).status == "available"
    assert api.attachment_list(ctx, w.other_server.id) == []


def test_a_hostile_device_from_the_api_is_shown_escaped(world):
    w = world
    device = escaped(w.name)
    pages = [
        "/volumes/",
        f"/volumes/{w.attached.id}/",
        f"/volumes/{w.attached.id}/delete/",
        f"/servers/{w.server.id}/",
        f"/servers/{w.server.id}/detach/{w.attached.id}/",
    ]
    for url in pages:
        html = w.client.get(url).content.decode()
        assert f"<code>{device}</code>" in html, f"{url} does not show the device escaped"
        assert live_markup_in(html) == []


def test_bulk_delete_confirmation_shows_names_escaped(world):
    w = world
    response = w.client.post("/volumes/delete/", {"ids": [w.attached.id, w.volume.id]})
    assert response.status_code == 200
    assert_escaped("/volumes/delete/", response.content.decode(), {w.name, w.other})
    ctx = context_of(w.client)
    assert {api.volume_get(ctx, v).status for v in (w.attached.id, w.volume.id)} == {"in-use", "available"}


def test_a_hostile_fault_message_in_support_pages_and_export(world, emulator):
    """A fault message that quotes API input (a metadata key) reaches the request log: support's
    pages show it escaped and its JSON exports carry it JSON-escaped, as application/json."""
    w = world
    with pytest.raises(api.BadRequest) as refused:
        api.volume_create(context_of(w.client), size=1, metadata={w.name: 1})
    call = ApiCall.objects.get(request_id=refused.value.request_id)
    assert "<" in call.message or "javascript:" in call.message  # the payload is in the message

    staff = Client()
    assert log_in(staff, w.account).status_code == 302
    get_user_model().objects.get(username=w.account["user_id"]).groups.add(support_group())
    search = staff.get(f"/support/?q={call.request_id}")
    assert search.status_code == 200
    assert call.request_id in search.content.decode()  # found (the list shows no messages)
    detail = staff.get(f"/support/calls/{call.pk}/")
    assert detail.status_code == 200
    assert_escaped("/support/calls/", detail.content.decode(), {call.message})
    for url in (f"/support/calls/{call.pk}/export.json", f"/support/export.json?q={call.request_id}"):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/json")
        assert response["X-Content-Type-Options"] == "nosniff"  # never sniffed as HTML
        exported = json.loads(response.content)  # valid JSON: the message's quotes are escaped
        messages = [row["message"] for row in [exported.get("call", {}), *exported.get("calls", [])] if row]
        assert call.message in messages, url
