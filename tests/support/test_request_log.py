"""The request log: what a row says about a path, and the read-only admin."""

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.utils import timezone

from support.admin import ApiCallAdmin
from support.models import ApiCall
from support.recorder import api_call_record, resource_from_path

P = "/volume/region-a.geo-1/v1/10000000000001"
C = "/compute/region-a.geo-1/v2/10000000000001"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"{P}/volumes/detail", ("volume", "")),
        (f"{P}/volumes", ("volume", "")),
        (f"{P}/volumes/v-1", ("volume", "v-1")),
        (f"{P}/snapshots/s-1", ("snapshot", "s-1")),
        (f"{P}/backups/b-1/restore", ("backup", "b-1")),
        (f"{P}/limits", ("", "")),
        (f"{C}/servers/srv-1/os-volume_attachments", ("server", "srv-1")),
        (f"{C}/servers/srv-1/os-volume_attachments/v-1", ("attachment", "v-1")),
        (f"{C}/images/detail", ("image", "")),
        ("/v3/auth/tokens", ("", "")),
    ],
)
def test_resource_from_path(path, expected):
    assert resource_from_path(path) == expected


def record(**changes) -> ApiCall | None:
    values = {
        "created_at": timezone.now(),
        "request_id": "req-1",
        "console_request_id": "c-1",
        "user_id": "u1",
        "user_name": "alice",
        "project_id": "p1",
        "project_name": "alpha",
        "region": "region-a.geo-1",
        "service": "volume",
        "method": "DELETE",
        "path": f"{P}/volumes/v-1",
        "status": 202,
        "duration_ms": 12,
        "attempt": 1,
        "priority": "user",
        "fault": "",
        "message": "",
        **changes,
    }
    return api_call_record(**values)


@pytest.mark.django_db
def test_a_row_keeps_the_call_and_finds_its_resource():
    call = record()
    stored = ApiCall.objects.get(pk=call.pk)
    assert (stored.resource_type, stored.resource_id, stored.status) == ("volume", "v-1", 202)
    assert str(stored) == f"DELETE {P}/volumes/v-1 -> 202 (req-1)"
    assert ApiCall.objects.filter(console_request_id="c-1").count() == 1


@pytest.mark.django_db
def test_ids_are_stored_lower_case_for_search():
    call = record(request_id=" REQ-ABC-1 ", console_request_id="C0FFEE")
    assert (call.request_id, call.console_request_id) == ("req-abc-1", "c0ffee")


@pytest.mark.django_db
def test_a_create_is_found_by_the_id_it_created():
    call = record(method="POST", path=f"{P}/volumes", status=200, created_id="v-new")
    assert (call.resource_type, call.resource_id) == ("volume", "v-new")
    restore = record(method="POST", path=f"{P}/backups/b-1/restore", status=202, created_id="v-9")
    assert (restore.resource_type, restore.resource_id) == ("backup", "b-1")


@pytest.mark.django_db
def test_a_failed_write_is_logged_and_swallowed(caplog):
    assert record(status=-1) is None  # a PositiveSmallIntegerField refuses it in the database
    assert "could not write the request log row" in caplog.text
    assert ApiCall.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_row_is_written_and_a_failed_write_leaves_the_connection_usable(caplog):
    # A web request runs in autocommit: the row is written without a transaction of its own, and a
    # refused row neither raises nor spoils the connection for the next one.
    assert record(status=-1) is None
    assert "could not write the request log row" in caplog.text
    assert record(request_id="req-after").request_id == "req-after"
    assert list(ApiCall.objects.values_list("request_id", flat=True)) == ["req-after"]


@pytest.mark.django_db
def test_the_admin_is_read_only():
    staff = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    request = RequestFactory().get("/admin/support/apicall/")
    request.user = staff
    admin = ApiCallAdmin(ApiCall, site)
    call = record()
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request, call)
    assert not admin.has_delete_permission(request, call)
    assert admin.has_view_permission(request, call)


@pytest.mark.django_db
def test_the_admin_pages_show_and_search_calls(client):
    get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.login(username="root", password="pw")
    call = record(request_id="req-findme")
    listing = client.get("/admin/support/apicall/", {"q": "req-findme"})
    assert listing.status_code == 200 and b"req-findme" in listing.content
    detail = client.get(f"/admin/support/apicall/{call.pk}/change/")
    assert detail.status_code == 200 and b"req-findme" in detail.content
    assert client.post(f"/admin/support/apicall/{call.pk}/delete/").status_code == 403
