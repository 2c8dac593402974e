"""Snapshots, backups and restores on real Cinder 29 through the console's forms, each followed by its
badges to the end; quotas of their own (v3 counts snapshots and backups apart) checked before the call."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from console import api
from tests.openstack.console import (
    back_up,
    badge_settles,
    create_volume,
    ctx_of,
    project_of,
    take_snapshot,
    text_of,
    wait_for,
)

pytestmark = pytest.mark.django_db


def submission(client, url: str) -> str:
    return re.search(r'name="submission" value="([0-9a-f]{32})"', client.get(url).content.decode()).group(1)


def test_snapshot_of_a_volume_and_a_volume_from_the_snapshot(member_client):
    volume_id = create_volume(member_client, name="origin", size=2)
    badge_settles(member_client, "volumes", volume_id, "creating", "Available")
    snapshot_id = take_snapshot(member_client, volume_id, name="nightly", description="before the upgrade")
    badge_settles(member_client, "snapshots", snapshot_id, "creating", "Available")
    detail = text_of(member_client.get(f"/snapshots/{snapshot_id}/"))
    assert "nightly" in detail and "before the upgrade" in detail and "origin" in detail
    assert "nightly" in text_of(member_client.get("/snapshots/"))
    # No rule of the seed's API about what is made from one volume: no counter on the form.
    form = text_of(member_client.get(f"/snapshots/create/?volume_id={volume_id}"))
    assert "snapshots and volumes made from this volume" not in form

    clone_id = create_volume(member_client, name="from-nightly", snapshot_id=snapshot_id, size=2)
    badge_settles(member_client, "volumes", clone_id, "creating", "Available")
    assert api.volume_get(ctx_of(member_client), clone_id).snapshot_id == snapshot_id
    assert "nightly" in text_of(member_client.get(f"/volumes/{clone_id}/"))  # its source, by name


def test_backup_then_restore_into_a_new_and_into_an_existing_volume(member_client):
    ctx = ctx_of(member_client)
    volume_id = create_volume(member_client, name="precious", size=1)
    badge_settles(member_client, "volumes", volume_id, "creating", "Available")
    backup_id = back_up(member_client, volume_id, name="weekly")
    badge_settles(member_client, "volumes", volume_id, "backing-up", "Available")
    badge_settles(member_client, "backups", backup_id, "creating", "Available")
    assert "weekly" in text_of(member_client.get("/backups/"))

    page = text_of(member_client.get(f"/backups/{backup_id}/restore/"))
    assert "the zone the cloud chooses" in page and "az2" not in page
    restored = member_client.post(
        f"/backups/{backup_id}/restore/",
        {"target": "new", "submission": submission(member_client, f"/backups/{backup_id}/restore/")},
    )
    assert restored.status_code == 302
    assert "Restoring backup weekly into a new volume." in text_of(member_client.get(restored["Location"]))
    new_ids = [v.id for v in api.volume_list(ctx) if v.id != volume_id]
    assert len(new_ids) == 1
    badge_settles(member_client, "volumes", new_ids[0], "restoring-backup", "Available")
    badge_settles(member_client, "backups", backup_id, "restoring", "Available")

    target_id = create_volume(member_client, name="scratch", size=1)
    badge_settles(member_client, "volumes", target_id, "creating", "Available")
    into = member_client.post(
        f"/backups/{backup_id}/restore/",
        {
            "target": "existing",
            "volume_id": target_id,
            "confirm": "scratch",
            "submission": submission(member_client, f"/backups/{backup_id}/restore/"),
        },
    )
    assert into.status_code == 302
    badge_settles(member_client, "volumes", target_id, "restoring-backup", "Available")

    deleted = member_client.post(f"/backups/{backup_id}/delete/")
    assert deleted.status_code == 302
    badge_settles(member_client, "backups", backup_id, "deleting", "Deleted")


def test_snapshot_and_backup_quotas_of_their_own_are_checked_before_the_call(
    member_client, openstack, openstack_account
):
    volume_id = create_volume(member_client, name="q", size=1)
    badge_settles(member_client, "volumes", volume_id, "creating", "Available")
    openstack.set_quota(project_of(openstack_account), snapshots=0, backups=0)
    cache.clear()  # the limits listing is read again (it is refreshed every few minutes otherwise)
    snapshot = member_client.post(
        "/snapshots/create/",
        {"volume_id": volume_id, "name": "no", "submission": submission(member_client, "/snapshots/create/")},
    )
    assert "already uses 0 of its 0 snapshots" in text_of(snapshot)
    backup = member_client.post(
        "/backups/create/",
        {
            "volume_id": volume_id,
            "container": "",
            "name": "no",
            "submission": submission(member_client, "/backups/create/"),
        },
    )
    assert "already has 0 of its 0 backups" in text_of(backup)
    ctx = ctx_of(member_client)
    assert api.snapshot_list(ctx) == [] and api.backup_list(ctx) == []


def test_the_snapshot_list_has_every_snapshot_past_osapi_max_limit(member_client, openstack):
    ctx = ctx_of(member_client)
    volume_id = create_volume(member_client, name="often-snapped")
    badge_settles(member_client, "volumes", volume_id, "creating", "Available")
    wanted = openstack.max_limit + 3  # two pages of Cinder's
    for n in range(wanted):
        api.snapshot_create(ctx, volume_id=volume_id, display_name=f"snap-{n:02d}")
    wait_for(lambda: len(api.snapshot_list(ctx)) == wanted)
    cache.clear()
    page = text_of(member_client.get("/snapshots/?sort=name"))
    assert f"{wanted} snapshot" in page
    assert "snap-00" in page and f"snap-{wanted - 1:02d}" in page
