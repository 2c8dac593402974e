"""The dialect against real Keystone + Cinder: found from any of the catalog's block-storage types, the
microversion on every call, and a badge for every status Cinder 29 has (an unknown one never freezes)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from console import api
from console.statuses import status_info
from tests.console.login_helpers import cloud_session
from tests.openstack.console import (
    back_up,
    badge_settles,
    create_volume,
    ctx_of,
    log_in,
    take_snapshot,
    text_of,
    wait_for,
)

pytestmark = pytest.mark.django_db

# Cinder 29's statuses beyond the seed's (docs/openstack-harness.md), each with the badge it must get.
VOLUME_STATUSES = (
    "reserved",
    "deleting",
    "error_deleting",
    "maintenance",
    "awaiting-transfer",
    "error_backing-up",
    "extending",
    "error_extending",
    "retyping",
    "uploading",
    "downloading",
    "managing",
    "error_managing",
    "creating",
    "attaching",
    "detaching",
    "backing-up",
    "restoring-backup",
    "error_restoring",
    "error",
)
SNAPSHOT_STATUSES = (
    "deleting",
    "error_deleting",
    "backing-up",
    "restoring",
    "updating",
    "unmanaging",
    "error",
)
BACKUP_STATUSES = ("deleting", "error_deleting", "restoring", "creating", "error")
# What Cinder's API shows a project's member instead (the volume view hides its own bookkeeping).
CINDER_SHOWS = {"managing": "creating", "error_managing": "error"}


@pytest.mark.parametrize(
    ("catalog", "service_type"), [("block-storage", "block-storage"), ("volumev3", "volumev3")]
)
def test_the_console_recognises_each_catalog_type_of_block_storage(
    client, console_on_openstack, openstack_account, catalog, service_type
):
    console_on_openstack.set_catalog(catalog)
    try:
        assert log_in(client, openstack_account).status_code == 302
        login = cloud_session(client)
        region = login["regions"][login["region"]]
        assert (region["type"], region["dialect"], region["microversion"]) == (
            service_type,
            "cinder-v3",
            "3.60",
        )
        assert client.get("/volumes/").status_code == 200
    finally:
        console_on_openstack.set_catalog("devstack")


def test_every_call_asks_for_the_microversion_and_cinder_answers_with_it(member_client):
    ctx = ctx_of(member_client)
    dialect = api.dialect_of(ctx)
    reply = dialect.send(ctx, "volume", "GET", ctx.volume_url + "/volumes/detail", decode=None)
    assert reply.headers["OpenStack-API-Version"] == "volume 3.60"
    assert "OpenStack-API-Version" in reply.headers.get("Vary", "")


def badge_showing(client, kind: str, resource_id: str, label: str) -> str:
    """The answer of a badge poll once the badge says `label` (the poll shows an older status)."""

    def shown():
        answer = client.get(f"/live/{kind}/?s={resource_id}:shown-before", headers={"HX-Request": "true"})
        html = answer.content.decode()
        return html if f">{label}<" in html else None

    return wait_for(shown)


def test_every_status_of_cinder_has_its_badge_and_an_unknown_one_keeps_being_followed(
    member_client, openstack, settings
):
    settings.INVENTORY_IDLE_INTERVAL = 0.2  # every status is seen at once, moving or not
    volume_id = create_volume(member_client, name="many-faces")
    badge_settles(member_client, "volumes", volume_id, "creating", "Available")
    snapshot_id = take_snapshot(member_client, volume_id, name="face")
    badge_settles(member_client, "snapshots", snapshot_id, "creating", "Available")
    backup_id = back_up(member_client, volume_id, name="copy")
    badge_settles(member_client, "backups", backup_id, "creating", "Available")

    for kind, resource_id, statuses in (
        ("volumes", volume_id, VOLUME_STATUSES),
        ("snapshots", snapshot_id, SNAPSHOT_STATUSES),
        ("backups", backup_id, BACKUP_STATUSES),
    ):
        for status in statuses:
            openstack.put_status(kind[:-1], resource_id, status)
            info = status_info(CINDER_SHOWS.get(status, status) if kind == "volumes" else status)
            assert info.known, status
            html = badge_showing(member_client, kind, resource_id, info.label)
            assert "badge--unknown" not in html, status
            assert ("status-poller" in html) == info.transitional, status  # moving ones keep moving
        openstack.put_status(kind[:-1], resource_id, "available")

    # A status no version of the console knows: shown as it is, and still followed (slowly).
    openstack.put_status("volume", volume_id, "frobnicating")
    settings.INVENTORY_IDLE_INTERVAL = 30
    cache.clear()
    page = member_client.get(f"/volumes/{volume_id}/").content.decode()
    assert "frobnicating" in page and f"s={volume_id}%3Afrobnicating" in page and 'data-interval="30' in page
    still = member_client.get(f"/live/volumes/?s={volume_id}:frobnicating", headers={"HX-Request": "true"})
    assert still.status_code == 200  # not 286: the badge is not frozen
    openstack.put_status("volume", volume_id, "available")
    settings.INVENTORY_IDLE_INTERVAL = 0.2
    badge_settles(member_client, "volumes", volume_id, "frobnicating", "Available")
    assert "Available" in text_of(member_client.get(f"/volumes/{volume_id}/"))
