"""The volume detail page: every field, attachments with guest paths, image metadata, snapshots and
backups, actions explained, the live region, and 404 for unknown or foreign ids."""

from __future__ import annotations

import dataclasses
import re
import time
import uuid

import pytest
from django.core.cache import cache

from console import api
from console.inventory import listing_get, listing_key
from tests.console.login_helpers import context_of, log_in
from tests.volumes.conftest import calls, wait_for

pytestmark = pytest.mark.django_db


def available(ctx, **fields):
    volume = api.volume_create(ctx, **fields)
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "available")
    return api.volume_get(ctx, volume.id)


def test_every_field_metadata_snapshots_backups_and_timeline(client_in, emulator, account):
    ctx = context_of(client_in)
    image = next(i for i in api.image_list(ctx) if i.name.startswith("debian"))
    volume = available(
        ctx,
        size=3,
        display_name="boot-disk",
        display_description="the root",
        availability_zone="az1",
        image_ref=image.id,
        metadata={"role": "db"},
    )
    snapshot = api.snapshot_create(ctx, volume_id=volume.id, display_name="nightly")
    wait_for(lambda: api.snapshot_get(ctx, snapshot.id).status == "available")
    backup = api.backup_create(ctx, volume_id=volume.id, name="weekly")
    cache.clear()
    html = client_in.get(f"/volumes/{volume.id}/").content.decode()
    for text in (
        "boot-disk",
        "the root",
        volume.id,
        "3 GB",
        "az1",
        "<dd>Yes</dd>",
        "<dt>Type</dt>",
        '<dt class="mono">role</dt><dd>db</dd>',
        f'<dt class="mono">image_id</dt><dd>{image.id}</dd>',
        '<dt class="mono">image_name</dt><dd>debian-7-wheezy-amd64</dd>',
        f'<a href="/snapshots/{snapshot.id}/">nightly</a>',
        f'<a href="/backups/{backup.id}/">weekly</a>',
        f'<a href="/volumes/?source={image.id}">debian-7-wheezy-amd64</a>',
        "1 of 10 volumes and snapshots made from this volume exist now",
        'class="timeline"',
        'id="volume-live"',
        'hx-trigger="status-changed from:body"',
    ):
        assert text in html, text
    # A volume with snapshots cannot be deleted: the action says why.
    assert "The volume has snapshots: delete them first." in html


def test_attachment_with_server_name_device_and_guest_path(client_in, emulator, account):
    ctx = context_of(client_in)
    server = next(s for s in api.server_list(ctx) if s.name == "app-01")
    volume = available(ctx, size=1, display_name="attached")
    api.attachment_create(ctx, server.id, volume_id=volume.id)
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "in-use")
    cache.clear()
    html = client_in.get(f"/volumes/{volume.id}/").content.decode()
    assert f'<a href="/servers/{server.id}/">app-01</a>' in html
    assert "<code>/dev/vdc</code>" in html
    assert f"/dev/disk/by-id/virtio-{volume.id[:20]}</code>" in html
    assert f'href="/servers/{server.id}/detach/{volume.id}/">Detach from app-01</a>' in html
    assert "Only an available volume can be backed up; this one is in use." in html
    assert "Only an available volume can be snapshotted; this one is in use." in html
    assert "The volume is attached to a server: detach it first." in html
    assert 'href="/backups/create/' not in html


def test_available_volume_offers_its_actions(client_in, emulator, account):
    ctx = context_of(client_in)
    volume = available(ctx, size=1, display_name="free")
    cache.clear()
    html = client_in.get(f"/volumes/{volume.id}/").content.decode()
    for href in (
        f"/volumes/{volume.id}/edit/",
        f"/volumes/{volume.id}/delete/",
        f"/snapshots/create/?volume_id={volume.id}",
        f"/backups/create/?volume_id={volume.id}",
        f"/servers/attach/?volume_id={volume.id}",
        f"/volumes/create/?source_volid={volume.id}",
    ):
        assert f'href="{href}"' in html, href


def test_detail_comes_from_the_listing_else_from_a_fresh_listing(client_in, emulator, account, settings):
    settings.INVENTORY_LOOKUP_FRESH = 0.5
    ctx = context_of(client_in)
    volume = available(ctx, size=1, display_name="cached")
    cache.clear()
    client_in.get(f"/volumes/{volume.id}/")  # loads the listings the page reads
    emulator.reset_stats()
    for _ in range(3):
        assert client_in.get(f"/volumes/{volume.id}/").status_code == 200
    assert calls(emulator, account["project_id"]) == 0  # the listings had it all
    # Created behind the console's back, after the listing was read: once the listing is older than
    # INVENTORY_LOOKUP_FRESH, one call fetches the listing again, and the page shows the volume.
    late = available(ctx, size=1, display_name="late")
    emulator.reset_stats()
    wait_for(lambda: "late" in client_in.get(f"/volumes/{late.id}/").content.decode())
    assert calls(emulator, account["project_id"], "GET") == 1


def test_ids_absent_from_a_fresh_listing_cost_no_call(client_in, emulator, account, settings):
    settings.INVENTORY_LOOKUP_FRESH = 600  # the listing stays fresh throughout
    assert client_in.get("/volumes/").status_code == 200  # loads the listing
    emulator.reset_stats()
    for _ in range(20):
        page = client_in.get(f"/volumes/{uuid.uuid4()}/")
        assert page.status_code == 404
        assert "created a moment ago" in page.content.decode()
    assert calls(emulator, account["project_id"]) == 0


def test_a_session_asking_for_random_ids_costs_a_few_calls_a_minute(client_in, emulator, account, settings):
    settings.INVENTORY_LOOKUP_FRESH = 0  # every lookup finds the listing too old
    settings.INVENTORY_LOOKUP_REFRESHES = 3
    assert client_in.get("/volumes/").status_code == 200
    emulator.reset_stats()
    for _ in range(20):
        assert client_in.get(f"/volumes/{uuid.uuid4()}/").status_code == 404
    # Three a minute (six when the twenty requests straddle the turn of a minute), never twenty.
    assert 3 <= calls(emulator, account["project_id"]) <= 6


def test_unknown_and_foreign_ids_are_404_and_change_nothing(client_in, client, emulator, account):
    other_name = account["user"] + "o"
    other = {"user": other_name, "password": f"{other_name}-password", "project": other_name}
    other.update(emulator.new_account(other_name))
    from django.test import Client

    other_client = Client()
    assert log_in(other_client, other).status_code == 302
    foreign = available(context_of(other_client), size=1, display_name="not-yours")
    for url in (
        f"/volumes/{foreign.id}/",
        f"/volumes/{foreign.id}/edit/",
        f"/volumes/{foreign.id}/delete/",
        "/volumes/00000000-0000-0000-0000-000000000000/",
        "/volumes/..%2F..%2Fetc/",
        "/volumes/<script>/",
    ):
        response = client_in.get(url)
        assert response.status_code == 404, url
        assert b"not-yours" not in response.content
    assert client_in.post(f"/volumes/{foreign.id}/delete/").status_code == 404
    assert client_in.post(f"/volumes/{foreign.id}/edit/", {"name": "mine now"}).status_code == 404
    response = client_in.post("/volumes/delete/", {"ids": [foreign.id], "confirm": "yes"}, follow=True)
    assert "Not found in this project." in response.content.decode()
    still = api.volume_get(context_of(other_client), foreign.id)
    assert (still.status, still.display_name) == ("available", "not-yours")


def test_live_region_fragment_and_gone_volume(client_in, emulator, account):
    ctx = context_of(client_in)
    volume = available(ctx, size=1, display_name="fragment")
    cache.clear()
    fragment = client_in.get(
        f"/volumes/{volume.id}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="volume-live"
    ).content.decode()
    assert fragment.lstrip().startswith('<div id="volume-live"') and "<html" not in fragment
    assert 'class="timeline"' in fragment and 'data-testid="action-delete"' in fragment
    api.volume_delete(ctx, volume.id)
    wait_for(lambda: volume.id not in {v.id for v in api.volume_list(ctx)})
    cache.clear()
    gone = client_in.get(f"/volumes/{volume.id}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="volume-live")
    assert gone.status_code == 200 and "This volume no longer exists" in gone.content.decode()


def test_poller_follows_a_creating_volume_until_it_is_available(client_in, emulator, account):
    ctx = context_of(client_in)
    client_in.get("/volumes/")
    response = client_in.post(
        "/volumes/create/",
        {
            **dict.fromkeys(("snapshot_id", "source_volid", "image_id", "name", "description"), ""),
            "create_key": "a" * 32,
            "size": "1",
            "availability_zone": "az2",
            "meta_rows": "0",
        },
    )
    volume_id = response["Location"].strip("/").split("/")[-1]
    html = client_in.get(response["Location"]).content.decode()
    assert f"s={volume_id}%3Acreating" in html and html.count('id="status-poller-volumes"') == 1

    def poll():
        answer = client_in.get(f"/live/volumes/?s={volume_id}:creating", HTTP_HX_REQUEST="true")
        return answer if answer.status_code == 286 else None

    answer = wait_for(poll)
    assert "Available" in answer.content.decode()
    assert "status-changed" in answer["HX-Trigger"]
    assert listing_get(ctx, "volumes").by_id[volume_id].status == "available"


def test_the_page_shows_the_volume_as_the_listing_it_read_last_has_it(client_in, emulator, account):
    """The lookup that finds the volume serves its listing as it is when another listing has waited
    longer for a refresh turn; the page's next read of the listing then refreshes it. The page shows
    the volume as that refresh saw it: its badge agrees with its timeline (before, the badge said
    Available, the timeline In use, and no poller followed it)."""
    ctx = context_of(client_in)
    volume = available(ctx, size=1, display_name="seen-twice")
    server = api.server_list(ctx)[0]
    assert client_in.get(f"/volumes/{volume.id}/").status_code == 200  # every listing loaded
    # Another client of the project attaches it: the console's listing has not seen that.
    emulator.as_client(
        account,
        "POST",
        f"{emulator.compute_url(account['project_id'])}/servers/{server.id}/os-volume_attachments",
        {"volumeAttachment": {"volumeId": volume.id}},
    )
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "in-use")
    listing = listing_get(ctx, "volumes", refresh=False)
    assert listing.by_id[volume.id].status == "available"
    cache.set(listing_key(ctx, "volumes"), dataclasses.replace(listing, fetched_at=time.time() - 3600), 3600)
    cache.set(listing_key(ctx, "snapshots") + ":want", time.time() - 60, 120)  # it has waited longer

    page = client_in.get(f"/volumes/{volume.id}/").content.decode()
    assert listing_get(ctx, "volumes", refresh=False).by_id[volume.id].status == "in-use"
    badge = re.search(rf'id="status-volumes-{volume.id}"[^>]*>(.*?)</span>\s*</span>', page, re.S)
    assert badge and "In use" in badge.group(1), badge and badge.group(1)
