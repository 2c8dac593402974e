"""Quotas and extend on real Cinder 29 through the console: a chart for each of Cinder's quotas
(volumes, snapshots, gigabytes with the snapshots', backups, backup gigabytes), the create form's
panel and its check before any call, and extend (os-extend) with the quota checked first."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from console import api
from support.models import ApiCall
from tests.openstack.console import (
    back_up,
    badge_settles,
    create_volume,
    ctx_of,
    project_of,
    take_snapshot,
    text_of,
)

pytestmark = pytest.mark.django_db

CHARTS = {
    "chart-volumes": "Volumes",
    "chart-snapshots": "Snapshots",
    "chart-gigabytes": "Storage",
    "chart-backups": "Backups",
    "chart-backup-gigabytes": "Backup storage",
}


def chart_text(html: str, chart_id: str) -> str:
    return text_of(re.search(rf'<section[^>]*data-testid="{chart_id}".*?</section>', html, re.S).group(0))


def writes(ctx) -> int:
    return ApiCall.objects.filter(method="POST", path__startswith=f"/v3/{ctx.project_id}/").count()


def test_the_overview_charts_every_quota_of_cinder(member_client, openstack, openstack_account):
    volume_id = create_volume(member_client, name="counted", size=3)
    badge_settles(member_client, "volumes", volume_id, "creating", "Available")
    snapshot_id = take_snapshot(member_client, volume_id, name="s")
    badge_settles(member_client, "snapshots", snapshot_id, "creating", "Available")
    backup_id = back_up(member_client, volume_id, name="b")
    badge_settles(member_client, "backups", backup_id, "creating", "Available")
    openstack.set_quota(project_of(openstack_account), gigabytes=20, backup_gigabytes=30)
    cache.clear()

    html = member_client.get("/").content.decode()
    for chart_id, label in CHARTS.items():
        assert label in chart_text(html, chart_id), chart_id
    assert "1 of 50 used (2%)" in chart_text(html, "chart-volumes")
    assert "1 of 50 used (2%)" in chart_text(html, "chart-snapshots")
    # Gigabytes count the snapshot's too (3 + 3), backups their own.
    assert "6 of 20 GB used (30%)" in chart_text(html, "chart-gigabytes")
    assert "1 of 50 used (2%)" in chart_text(html, "chart-backups")
    assert "3 of 30 GB used (10%)" in chart_text(html, "chart-backup-gigabytes")
    assert "chart-count" not in html  # the seed's "volumes and snapshots together" is not Cinder's


def test_the_create_form_checks_the_volumes_quota_before_the_call(
    member_client, openstack, openstack_account
):
    ctx = ctx_of(member_client)
    openstack.set_quota(project_of(openstack_account), volumes=1)
    cache.clear()
    create_volume(member_client, name="the-one")
    panel = text_of(member_client.get("/volumes/create/"))
    assert "Volumes Now 1 of 1" in panel
    before = writes(ctx)
    page = member_client.get("/volumes/create/").content.decode()
    key = re.search(r'name="create_key" value="([0-9a-f]{32})"', page).group(1)
    refused = member_client.post(
        "/volumes/create/",
        {
            "create_key": key,
            "size": "1",
            "availability_zone": "",
            "volume_type": "",
            "name": "two",
            "meta_rows": "0",
        },
    )
    assert refused.status_code == 400
    assert "the project has 1 of 1 volumes, so this volume would be number 2" in text_of(refused)
    assert writes(ctx) == before and len(api.volume_list(ctx)) == 1


def test_extend_grows_a_volume_after_checking_the_gigabytes_quota(
    member_client, openstack, openstack_account
):
    ctx = ctx_of(member_client)
    volume_id = create_volume(member_client, name="grow-me", size=2)
    badge_settles(member_client, "volumes", volume_id, "creating", "Available")
    openstack.set_quota(project_of(openstack_account), gigabytes=5)
    cache.clear()

    detail = member_client.get(f"/volumes/{volume_id}/").content.decode()
    assert f'href="/volumes/{volume_id}/extend/"' in detail
    form = text_of(member_client.get(f"/volumes/{volume_id}/extend/"))
    assert "Larger than its 2 GB now" in form and "Storage Now 2 of 5 GB" in form

    before = writes(ctx)
    too_big = member_client.post(f"/volumes/{volume_id}/extend/", {"new_size": "9"})
    assert too_big.status_code == 400
    assert "2 of 5 GB are used, 3 GB are left and growing to 9 GB needs 7 GB more" in text_of(too_big)
    shrink = member_client.post(f"/volumes/{volume_id}/extend/", {"new_size": "1"})
    assert shrink.status_code == 400 and "a volume can only grow" in text_of(shrink)
    assert writes(ctx) == before

    grown = member_client.post(f"/volumes/{volume_id}/extend/", {"new_size": "5"})
    assert grown.status_code == 302
    sent = ApiCall.objects.get(method="POST", path=f"/v3/{ctx.project_id}/volumes/{volume_id}/action")
    assert sent.status == 202 and sent.request_id.startswith("req-")
    assert "is being extended to 5 GB" in text_of(member_client.get(grown["Location"]))
    badge_settles(member_client, "volumes", volume_id, "extending", "Available")
    assert api.volume_get(ctx, volume_id).size == 5
    assert "5 GB" in text_of(member_client.get(f"/volumes/{volume_id}/"))


def test_an_attached_volume_says_why_it_cannot_be_extended_here(member_client, openstack):
    ctx = ctx_of(member_client)
    volume_id = create_volume(member_client, name="busy")
    badge_settles(member_client, "volumes", volume_id, "creating", "Available")
    openstack.attach(volume_id)
    cache.clear()
    reason = "An attached volume is extended with the help of Compute, which this region's catalog lacks"
    detail = text_of(member_client.get(f"/volumes/{volume_id}/"))
    assert reason in detail
    before = writes(ctx)
    refused = member_client.post(f"/volumes/{volume_id}/extend/", {"new_size": "2"})
    assert refused.status_code == 409 and reason in text_of(refused)
    assert writes(ctx) == before
    openstack.detach(volume_id)
