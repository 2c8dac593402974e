"""The request log in the Django admin: superusers can read it, nobody can add, edit or delete."""

from __future__ import annotations

import pytest
from django.test import Client

from support.models import ApiCall
from tests.support.conftest import call_row, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_() -> Client:
    make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    assert client.login(username="root", password="root-Pa55word!")
    return client


def test_the_admin_only_reads_the_log(admin_client_):
    call = call_row(request_id="req-admin-1", status=500, fault="computeFault")
    change_url = f"/admin/support/apicall/{call.pk}/change/"

    listing = admin_client_.get("/admin/support/apicall/")
    assert listing.status_code == 200 and b"req-admin-1" in listing.content
    assert b'value="delete_selected"' not in listing.content  # no bulk delete action
    assert b"Add API call" not in listing.content

    detail = admin_client_.get(change_url)
    body = detail.content.decode()
    assert detail.status_code == 200 and "req-admin-1" in body
    assert 'name="_save"' not in body and "Delete" not in body  # a view page, no form to submit

    assert admin_client_.get("/admin/support/apicall/add/").status_code == 403
    assert admin_client_.post("/admin/support/apicall/add/", {"request_id": "req-forged"}).status_code == 403
    assert admin_client_.post(change_url, {"request_id": "req-changed", "status": 200}).status_code == 403
    assert admin_client_.post(f"/admin/support/apicall/{call.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = admin_client_.post(
        "/admin/support/apicall/", {"action": "delete_selected", "_selected_action": [call.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302)
    stored = ApiCall.objects.get()
    assert (stored.request_id, stored.status) == ("req-admin-1", 500)


def test_support_staff_without_admin_access_cannot_open_the_admin(staff_client):
    call = call_row()
    response = staff_client.get(f"/admin/support/apicall/{call.pk}/change/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
