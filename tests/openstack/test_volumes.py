"""Volumes on real Cinder 29 through the console: the create form's zones and types from the cloud,
names (not ids) everywhere, every page of a listing past osapi_max_limit, live badges through Cinder's
statuses, the timeline, edit, delete with its rules explained, and another project's volume a 404."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from console import api
from support.models import ApiCall
from tests.openstack.cloud import VOLUME_TYPES, ZONES
from tests.openstack.console import badge_settles, create_volume, ctx_of, take_snapshot, text_of, wait_for

pytestmark = pytest.mark.django_db


def test_the_create_form_offers_the_clouds_zones_and_types_and_the_volume_becomes_available(member_client):
    form = member_client.get("/volumes/create/")
    html = form.content.decode()
    for zone in ZONES:
        assert f'<option value="{zone}"' in html
    for volume_type in (*VOLUME_TYPES, "__DEFAULT__"):
        assert f'<option value="{volume_type}"' in html
    assert "Any: the cloud chooses" in html and "2047" not in text_of(form)

    volume_id = create_volume(
        member_client,
        name="data <b>disk</b>",
        description="for the database",
        size=3,
        availability_zone="az3",
        volume_type="fast",
        meta_key_0="role",
        meta_value_0="db",
    )
    ctx = ctx_of(member_client)
    sent = ApiCall.objects.get(method="POST", path=f"/v3/{ctx.project_id}/volumes")
    assert sent.status == 202 and sent.request_id.startswith("req-") and sent.resource_id == volume_id

    badge_settles(member_client, "volumes", volume_id, "creating", "Available")
    detail = text_of(member_client.get(f"/volumes/{volume_id}/"))
    for text in ("data <b>disk</b>", "for the database", "3 GB", "az3", "fast", "role", "db", "Available"):
        assert text in detail, text
    volume = api.volume_get(ctx, volume_id)
    assert (volume.display_name, volume.availability_zone, volume.volume_type) == (
        "data <b>disk</b>",
        "az3",
        "fast",
    )
    listed = text_of(member_client.get("/volumes/"))
    assert "data <b>disk</b>" in listed and volume_id not in listed  # the name, not the id

    # The timeline: every status the console saw, with the request ids of the calls that showed it.
    timeline = text_of(member_client.get(f"/volumes/{volume_id}/"))
    assert "Creating" in timeline and "Available" in timeline and sent.request_id in timeline


def test_the_list_has_every_volume_past_osapi_max_limit(member_client, openstack):
    ctx = ctx_of(member_client)
    wanted = openstack.max_limit * 2 + 7  # three pages of Cinder's, two of the console's
    for n in range(wanted):
        api.volume_create(ctx, size=1, display_name=f"bulk-{n:02d}")
    # All settled: the listing is still, so one page view refreshes it once (three pages of Cinder's).
    wait_for(lambda: all(volume.status == "available" for volume in api.volume_list(ctx)))
    ApiCall.objects.all().delete()
    page = text_of(member_client.get("/volumes/?sort=name&dir=asc"))
    pages = ApiCall.objects.filter(method="GET", path=f"/v3/{ctx.project_id}/volumes/detail")
    assert pages.count() == 3 and all(call.status == 200 for call in pages)  # one listing, three pages
    assert f"1–25 of {wanted} volumes" in page
    assert "bulk-00" in page and "bulk-24" in page
    last = text_of(member_client.get("/volumes/?sort=name&dir=asc&page=2"))
    assert "bulk-26" in last and "bulk-27" not in last  # all of them and no more
    assert len(api.volume_list(ctx)) == wanted


def test_badges_follow_cinders_statuses_and_an_error_says_what_to_do(member_client, openstack):
    volume_id = create_volume(member_client, name="moody")
    badge_settles(member_client, "volumes", volume_id, "creating", "Available")

    openstack.reset_status("volume", volume_id, "maintenance")
    html = wait_for(
        lambda: (
            (page := member_client.get(f"/volumes/{volume_id}/").content.decode())
            and "In maintenance" in page
            and page
        )
    )
    assert f"s={volume_id}%3Amaintenance" in html  # still moving: the page's poller follows it

    openstack.reset_status("volume", volume_id, "error")
    badge = badge_settles(member_client, "volumes", volume_id, "maintenance", "Error")
    assert "The cloud could not complete the operation" in badge  # the badge's hint

    openstack.reset_status("volume", volume_id, "available")
    badge_settles(member_client, "volumes", volume_id, "error", "Available")


def test_edit_changes_name_description_and_metadata_in_cinder(member_client):
    volume_id = create_volume(member_client, name="before", meta_key_0="keep", meta_value_0="1")
    badge_settles(member_client, "volumes", volume_id, "creating", "Available")
    response = member_client.post(
        f"/volumes/{volume_id}/edit/",
        {
            "name": "after",
            "description": "changed",
            "meta_rows": "1",
            "meta_key_0": "new",
            "meta_value_0": "2",
        },
    )
    assert response.status_code == 302
    volume = api.volume_get(ctx_of(member_client), volume_id)
    assert (volume.display_name, volume.display_description) == ("after", "changed")
    assert volume.metadata.get("new") == "2" and "keep" not in volume.metadata
    assert "after" in text_of(member_client.get("/volumes/"))


def test_delete_rules_are_explained_and_a_delete_goes_through(member_client):
    ctx = ctx_of(member_client)
    volume_id = create_volume(member_client, name="with-snapshot")
    badge_settles(member_client, "volumes", volume_id, "creating", "Available")
    snapshot_id = take_snapshot(member_client, volume_id, name="keeps-it")
    badge_settles(member_client, "snapshots", snapshot_id, "creating", "Available")

    page = member_client.get(f"/volumes/{volume_id}/delete/")
    assert "The volume has snapshots: delete them first." in text_of(page)
    before = ApiCall.objects.filter(method="DELETE").count()
    refused = member_client.post(f"/volumes/{volume_id}/delete/")
    assert refused.status_code == 409 and ApiCall.objects.filter(method="DELETE").count() == before

    assert member_client.post(f"/snapshots/{snapshot_id}/delete/").status_code == 302
    badge_settles(member_client, "snapshots", snapshot_id, "deleting", "Deleted")
    assert "delete them first" not in text_of(member_client.get(f"/volumes/{volume_id}/delete/"))
    deleted = member_client.post(f"/volumes/{volume_id}/delete/")
    assert deleted.status_code == 302
    wait_for(lambda: all(v.id != volume_id for v in api.volume_list(ctx)))
    badge_settles(member_client, "volumes", volume_id, "deleting", "Deleted")


def test_another_projects_volume_is_a_404_and_stays_untouched(member_client, openstack):
    other = openstack.new_account("other")
    token, _ = openstack.token_of(other)
    theirs = api.CloudContext(
        token=token,
        user_id=other.user_id,
        user_name=other.name,
        project_id=openstack.project_ids[next(iter(other.projects))],
        project_name=next(iter(other.projects)),
        region="RegionOne",
        volume_url=openstack.volume_url(next(iter(other.projects))),
        compute_url="",
        dialect="cinder-v3",
        microversion="3.60",
    )
    volume = api.volume_create(theirs, size=1, display_name="not-yours")
    for url in (f"/volumes/{volume.id}/", f"/volumes/{volume.id}/edit/", f"/volumes/{volume.id}/delete/"):
        response = member_client.get(url)
        assert response.status_code == 404, url
        assert "not-yours" not in response.content.decode()
    assert member_client.post(f"/volumes/{volume.id}/delete/").status_code == 404
    assert api.volume_get(theirs, volume.id).display_name == "not-yours"


def test_cinders_own_delete_rules_are_the_ones_explained(member_client, openstack):
    """Cinder deletes a volume left in error_extending (the seed's API would not), and not one that
    awaits a transfer: the page says so before any call."""
    waiting_id = create_volume(member_client, name="awaiting")
    failed_id = create_volume(member_client, name="failed-to-grow")
    for volume_id in (waiting_id, failed_id):
        badge_settles(member_client, "volumes", volume_id, "creating", "Available")
    openstack.put_status("volume", waiting_id, "awaiting-transfer")
    openstack.put_status("volume", failed_id, "error_extending")
    cache.clear()

    blocked = text_of(member_client.get(f"/volumes/{waiting_id}/delete/"))
    assert "A volume that is awaiting transfer cannot be deleted" in blocked
    assert member_client.post(f"/volumes/{waiting_id}/delete/").status_code == 409

    page = text_of(member_client.get(f"/volumes/{failed_id}/delete/"))
    assert "cannot be deleted" not in page and "Error extending" in page
    assert member_client.post(f"/volumes/{failed_id}/delete/").status_code == 302
    badge_settles(member_client, "volumes", failed_id, "deleting", "Deleted")
    openstack.put_status("volume", waiting_id, "available")
