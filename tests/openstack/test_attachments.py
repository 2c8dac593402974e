"""Attachments on a cloud whose catalog has no Compute (Keystone + Cinder, no Nova): the console shows
the attachments Cinder reports, says why it cannot attach or detach, and never detaches through
Cinder itself (which would leave a server using a volume it no longer has)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.cache import cache

from support.models import ApiCall
from tests.openstack.console import badge_settles, create_volume, ctx_of, text_of

pytestmark = pytest.mark.django_db

NO_COMPUTE = (
    "has no Compute service in your project's catalog, so the console cannot attach or detach volumes here"
)


def test_attachments_are_shown_and_attach_and_detach_say_why_they_are_absent(member_client, openstack):
    ctx = ctx_of(member_client)
    volume_id = create_volume(member_client, name="attached-elsewhere")
    badge_settles(member_client, "volumes", volume_id, "creating", "Available")
    spare_id = create_volume(member_client, name="spare")
    badge_settles(member_client, "volumes", spare_id, "creating", "Available")
    server_id = str(uuid.uuid4())
    openstack.attach(volume_id, instance_uuid=server_id, mountpoint="/dev/vdc")
    cache.clear()

    listed = member_client.get("/volumes/").content.decode()
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{volume_id}(?:(?!</tr>).)*</tr>", listed, re.S)
    assert row is not None and server_id in row.group(0) and "/dev/vdc" in row.group(0)

    detail = text_of(member_client.get(f"/volumes/{volume_id}/"))
    assert "In use" in detail and server_id in detail and "/dev/vdc" in detail
    assert NO_COMPUTE in detail  # the attach and detach actions say why they are absent
    spare = text_of(member_client.get(f"/volumes/{spare_id}/"))
    assert NO_COMPUTE in spare

    servers = member_client.get("/servers/")
    page = text_of(servers)
    assert servers.status_code == 200 and NO_COMPUTE in page
    assert "attached-elsewhere" in page and server_id in page and "/dev/vdc" in page and "spare" not in page

    writes = ApiCall.objects.filter(method__in=("POST", "DELETE")).exclude(service="identity").count()
    for url in (f"/servers/{server_id}/detach/{volume_id}/", f"/servers/attach/?volume_id={spare_id}"):
        assert NO_COMPUTE in text_of(member_client.get(url)), url
        assert NO_COMPUTE in text_of(member_client.post(url, {"volume_id": spare_id, "server_id": server_id}))
    assert ApiCall.objects.filter(method__in=("POST", "DELETE")).exclude(service="identity").count() == writes

    blocked = text_of(member_client.get(f"/volumes/{volume_id}/delete/"))
    assert "The volume is attached to a server: detach it first." in blocked
    assert ApiCall.objects.filter(path__contains="os-detach").count() == 0
    assert ctx.compute_url == ""
    openstack.detach(volume_id)
