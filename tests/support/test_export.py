"""Exports for a ticket: one call, or the calls of a search (capped), as JSON downloads."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from console.models import LifecycleEvent
from support.models import ApiCall
from support.selectors import EXPORT_CAP, EXPORT_FIELDS
from tests.support.conftest import P, call_row

pytestmark = pytest.mark.django_db


def download(response) -> dict:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="')
    assert response["Content-Disposition"].endswith('.json"')
    return json.loads(response.content)


def test_one_call_with_its_console_request_and_lifecycle(staff_client):
    console_id = "feed0000feed0000feed0000feed0000"
    now = timezone.now()
    listing = call_row(
        console_request_id=console_id,
        path=f"{P}/volumes/detail",
        resource_id="",
        created_at=now - timedelta(seconds=2),
    )
    call = call_row(
        request_id="req-abcdef12-3456",
        console_request_id=console_id,
        method="DELETE",
        path=f"{P}/volumes/vol-1",
        resource_id="vol-1",
        status=400,
        fault="badRequest",
        message="Volume still has <2> snapshots",
        created_at=now - timedelta(seconds=1),
    )
    LifecycleEvent.objects.create(
        region="region-a.geo-1",
        project_id="10000000000001",
        resource_type="volume",
        resource_id="vol-1",
        from_status="",
        to_status="available",
        observed_at=now,
        request_id="req-seen",
    )
    response = staff_client.get(f"/support/calls/{call.pk}/export.json")
    data = download(response)
    assert response["Content-Disposition"] == 'attachment; filename="api-call-req-abcdef12-3456.json"'
    assert data["call"]["request_id"] == "req-abcdef12-3456"
    assert data["call"]["status"] == 400 and data["call"]["message"] == "Volume still has <2> snapshots"
    assert sorted(data["call"]) == sorted(EXPORT_FIELDS)
    assert [row["id"] for row in data["console_request"]] == [listing.pk, call.pk]
    (timeline,) = data["lifecycle"]
    assert timeline["resource_id"] == "vol-1"
    assert (
        timeline["events"][0]["to_status"] == "available"
        and timeline["events"][0]["request_id"] == "req-seen"
    )


def test_the_search_export_follows_the_filters(staff_client):
    call_row(request_id="req-11111111-a", status=413, project_id="p-1")
    call_row(request_id="req-11111111-b", status=200, project_id="p-1")
    call_row(request_id="req-22222222-c", status=413, project_id="p-2")
    data = download(staff_client.get("/support/export.json", {"status_class": "4xx", "q": "11111111"}))
    assert [row["request_id"] for row in data["calls"]] == ["req-11111111-a"]
    assert data["count"] == 1 and data["capped"] is False
    assert data["filters"] == {"q": "11111111", "status_class": "4xx"}
    everything = download(staff_client.get("/support/export.json"))
    assert everything["count"] == 3


def test_the_search_page_links_to_the_export_of_the_same_search(staff_client):
    call_row(request_id="req-33333333-a", method="PUT")
    body = staff_client.get("/support/", {"method": "PUT"}).content.decode()
    assert 'href="/support/export.json?method=PUT" download' in body
    assert "up to 10000 calls" in body


def test_the_filtered_export_is_capped_and_says_so(staff_client):
    now = timezone.now()
    ApiCall.objects.bulk_create(
        (call_row(created_at=now - timedelta(seconds=n), save=False) for n in range(EXPORT_CAP + 5)),
        batch_size=2000,
    )
    data = download(staff_client.get("/support/export.json"))
    assert data["count"] == EXPORT_CAP == len(data["calls"]) == 10_000
    assert data["capped"] is True
    assert f"Only the newest {EXPORT_CAP} matching calls" in data["note"]
    newest = ApiCall.objects.order_by("-created_at", "-id").first()
    assert data["calls"][0]["id"] == newest.pk


def test_an_invalid_search_exports_nothing(staff_client):
    call_row()
    response = staff_client.get("/support/export.json", {"q": "x" * 10_000})
    assert response.status_code == 400
    assert "Content-Disposition" not in response
    assert "at most 128 characters" in response.content.decode()


def test_unknown_call_export_is_404(staff_client):
    assert staff_client.get("/support/calls/777777/export.json").status_code == 404
