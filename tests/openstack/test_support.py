"""Support finds calls to real Keystone and Cinder by the request ids users are shown: Keystone's come
only in x-openstack-request-id, Cinder's in both X-Openstack-Request-Id and X-Compute-Request-Id."""

from __future__ import annotations

import pytest
from django.test import Client

from support.models import ApiCall
from tests.openstack.console import create_volume, ctx_of, text_of
from tests.support.conftest import MODEL_BACKEND, make_user

pytestmark = pytest.mark.django_db


def test_support_finds_keystone_and_cinder_calls_by_their_request_ids(member_client, openstack_account):
    ctx = ctx_of(member_client)
    volume_id = create_volume(member_client, name="wanted")
    login = ApiCall.objects.get(method="POST", path="/v3/auth/tokens", status=201)
    create = ApiCall.objects.get(method="POST", path=f"/v3/{ctx.project_id}/volumes")
    # The id the user saw on the page after creating the volume is the one support can search for.
    assert create.request_id in text_of(member_client.get(f"/volumes/{volume_id}/"))

    staff = Client()
    staff.force_login(make_user("helpdesk", staff_group=True), backend=MODEL_BACKEND)
    for call, what in ((login, "/v3/auth/tokens"), (create, "/volumes")):
        assert call.request_id.startswith("req-")
        for query in (call.request_id, call.request_id.upper(), call.request_id.removeprefix("req-")[:12]):
            found = text_of(staff.get("/support/", {"q": query}))
            assert call.request_id in found and what in found, query
    found = text_of(staff.get("/support/", {"q": create.request_id}))
    assert openstack_account.name in found and "202" in found
    page = text_of(staff.get(f"/support/calls/{create.pk}/"))
    assert volume_id in page and "wanted" not in page  # ids, never the user's data
