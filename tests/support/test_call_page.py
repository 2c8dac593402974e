"""A call's page: what it was, who made it where, its console request, the lifecycle it touched."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from console import api
from console.models import LifecycleEvent
from support.models import ApiCall
from tests.console.login_helpers import context_of, log_in
from tests.support.conftest import P, call_row

pytestmark = pytest.mark.django_db
C = "/compute/region-a.geo-1/v2/10000000000001"
QUOTA_MESSAGE = (
    "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed Gigabytes quota"
)


def event(
    resource_id: str, from_status: str, to_status: str, *, minutes: int, request_id: str = "", **fields
):
    values = {
        "region": "region-a.geo-1",
        "project_id": "10000000000001",
        "resource_type": "volume",
        "resource_id": resource_id,
        "from_status": from_status,
        "to_status": to_status,
        "observed_at": timezone.now() - timedelta(minutes=minutes),
        "request_id": request_id,
        "source": "refresh",
        **fields,
    }
    return LifecycleEvent.objects.create(**values)


def test_the_call_page_shows_the_call_who_and_where(staff_client):
    call = call_row(
        request_id="req-aaaa1111-0000-0000-0000-000000000001",
        method="POST",
        path=f"{P}/volumes",
        status=413,
        fault="overLimit",
        message=QUOTA_MESSAGE,
        duration_ms=87,
        user_name="alice",
        user_id="u-alice",
        project_name="demo",
        project_id="10000000000001",
        region="region-a.geo-1",
        resource_type="volume",
        resource_id="",
    )
    body = staff_client.get(f"/support/calls/{call.pk}/").content.decode()
    for text in (
        "POST",
        f"{P}/volumes",
        "413",
        "overLimit",
        QUOTA_MESSAGE,
        "87 ms",
        "alice",
        "u-alice",
        "demo",
        "10000000000001",
        "region-a.geo-1",
        call.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        '<code class="request-id">req-aaaa1111-0000-0000-0000-000000000001</code>',
    ):
        assert text in body, text
    assert "badge--warn" in body  # a 4xx


def test_the_other_calls_of_the_same_console_request_in_order(staff_client):
    now = timezone.now()
    console_id = "c0ffee00c0ffee00c0ffee00c0ffee00"
    first = call_row(
        request_id="req-first", console_request_id=console_id, created_at=now - timedelta(seconds=3)
    )
    second = call_row(
        request_id="req-second",
        console_request_id=console_id,
        created_at=now - timedelta(seconds=2),
        status=503,
    )
    third = call_row(
        request_id="req-third", console_request_id=console_id, created_at=now - timedelta(seconds=1)
    )
    call_row(request_id="req-other")  # another console request
    body = staff_client.get(f"/support/calls/{second.pk}/").content.decode()
    assert console_id in body
    assert "3 calls, in the order sent" in body
    section = body[
        body.index("The console request that made it") : body.index("Lifecycle of what it touched")
    ]
    assert re.findall(r"req-(first|second|third|other)", section) == ["first", "second", "third"]
    assert f'href="/support/calls/{first.pk}/"' in section and f'href="/support/calls/{third.pk}/"' in section
    assert "(this call)" in section


def test_a_background_call_has_no_console_request(staff_client):
    call = call_row(console_request_id="")
    body = staff_client.get(f"/support/calls/{call.pk}/").content.decode()
    assert "made outside a console request" in body


def test_the_lifecycle_of_the_resource_it_touched(staff_client):
    call = call_row(method="DELETE", path=f"{P}/volumes/vol-7", resource_id="vol-7", request_id="req-del")
    event("vol-7", "", "creating", minutes=30, request_id="req-make", source="action")
    event("vol-7", "creating", "available", minutes=29, request_id="req-list1")
    event("vol-7", "available", "deleting", minutes=1, request_id="req-del", source="action")
    event("vol-7", "creating", "error", minutes=5, project_id="99999")  # another project's volume
    event("vol-8", "", "creating", minutes=3)  # another volume
    body = staff_client.get(f"/support/calls/{call.pk}/").content.decode()
    timeline = body[body.index("Lifecycle of what it touched") :]
    assert re.findall(r"</span>(First seen|Creating|Available|Deleting|Error)", timeline) == [
        "Creating",
        "Creating",
        "Available",
        "Available",
        "Deleting",
    ]
    for request_id in ("req-make", "req-list1", "req-del"):
        assert f'<code class="request-id">{request_id}</code>' in timeline
        assert f'data-copy="{request_id}"' in timeline  # every entry: its id with a copy button
    assert 'href="/volumes/vol-7/"' in body


def test_a_create_shows_the_lifecycle_its_request_id_started(staff_client):
    """A create's path names no id; the lifecycle events carry the create's request id."""
    call = call_row(method="POST", path=f"{P}/volumes", resource_id="", request_id="req-create-1")
    event("vol-new", "", "creating", minutes=2, request_id="req-create-1", source="action")
    event("vol-new", "creating", "available", minutes=1, request_id="req-list-2")
    body = staff_client.get(f"/support/calls/{call.pk}/").content.decode()
    assert "vol-new" in body and 'href="/volumes/vol-new/"' in body
    assert "req-list-2" in body


def test_links_to_console_pages_and_who_can_see_them(staff_client):
    attach = call_row(
        service="compute",
        method="POST",
        path=f"{C}/servers/srv-1/os-volume_attachments",
        resource_type="server",
        resource_id="srv-1",
    )
    detach = call_row(
        service="compute",
        method="DELETE",
        path=f"{C}/servers/srv-1/os-volume_attachments/vol-2",
        resource_type="attachment",
        resource_id="vol-2",
    )
    backup = call_row(path=f"{P}/backups/bk-1/restore", resource_type="backup", resource_id="bk-1")
    snapshot = call_row(path=f"{P}/snapshots/sn-1", resource_type="snapshot", resource_id="sn-1")
    expectations = {
        attach.pk: ['href="/servers/srv-1/"'],
        detach.pk: ['href="/volumes/vol-2/"', 'href="/servers/srv-1/"'],
        backup.pk: ['href="/backups/bk-1/"'],
        snapshot.pk: ['href="/snapshots/sn-1/"'],
    }
    for pk, links in expectations.items():
        body = staff_client.get(f"/support/calls/{pk}/").content.decode()
        for link in links:
            assert link in body, (pk, link)
        assert "only to a user logged in to project demo in region-a.geo-1" in body


def test_a_call_with_no_answer(staff_client):
    call = call_row(
        request_id="", status=None, fault="connectionFailed", message="The cloud could not be reached."
    )
    body = staff_client.get(f"/support/calls/{call.pk}/").content.decode()
    assert "No response" in body and "none (the cloud did not answer)" in body
    assert "The cloud could not be reached." in body


def test_unknown_calls_are_404(staff_client):
    assert staff_client.get("/support/calls/424242/").status_code == 404
    assert staff_client.get("/support/calls/abc/").status_code == 404
    assert staff_client.get("/support/calls/-1/").status_code == 404


def test_a_call_that_waited_for_its_turn_says_how_long(staff_client, client, settings, emulator, account):
    """Two reads of a project back to back at the spec's 1 call/s: the second waits about a second
    for its turn in the project's call budget, and its page says so (support can tell the console's
    pacing from the cloud's own time)."""
    settings.IDENTITY_URL = emulator.identity_url
    settings.API_RATE_PER_PROJECT = 1
    assert log_in(client, account).status_code == 302
    ctx = context_of(client)
    api.limits_get(ctx)
    api.limits_get(ctx)
    first, second = ApiCall.objects.filter(path__endswith="/limits").order_by("created_at")
    assert second.waited_ms >= 800, (first.waited_ms, second.waited_ms)
    assert (second.created_at - first.created_at).total_seconds() >= 1.0
    body = staff_client.get(f"/support/calls/{second.pk}/").content.decode()
    assert re.search(r"Waited for its turn</dt><dd[^>]*>\s*\d+ ms", body)
    assert f"{second.waited_ms} ms" in body
