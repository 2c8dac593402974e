"""A reader on real Keystone + Cinder: every page shows, every action says "your role can only read"
instead of failing, and nothing the role cannot do ever reaches the cloud (Cinder would answer
403 "Policy doesn't allow volume:create")."""

from __future__ import annotations

import pytest

from console import api
from console.roles import WRITE_VIEWS
from support.models import ApiCall
from tests.console.login_helpers import cloud_session
from tests.openstack.console import badge_settles, create_volume, ctx_of, log_in, text_of
from tests.security.routes import route_paths

pytestmark = pytest.mark.django_db

READ_ONLY = "Your role can only read"
# The frame's own forms, which change nothing in the cloud.
FRAME_POSTS = {"login", "login_application_credential", "logout", "switch_region", "switch_project"}


@pytest.fixture
def volume_in_alpha(client, console_on_openstack):
    """An available volume in alpha, made by alice (a member), for rita (a reader) to look at."""
    assert log_in(client, console_on_openstack.accounts["alice"], project="alpha").status_code == 302
    volume_id = create_volume(client, name="alpha-data")
    badge_settles(client, "volumes", volume_id, "creating", "Available")
    client.logout()
    return volume_id


def test_a_reader_sees_every_page_and_is_told_instead_of_offered_actions(
    client, console_on_openstack, volume_in_alpha
):
    rita = console_on_openstack.accounts["rita"]
    assert log_in(client, rita, project="alpha").status_code == 302
    login = cloud_session(client)
    assert login["read_only"] and login["roles"] == ["reader"]

    for url in ("/", "/volumes/", "/snapshots/", "/backups/", f"/volumes/{volume_in_alpha}/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "can only read" in text_of(page), url
    assert "alpha-data" in text_of(client.get("/volumes/"))
    detail = text_of(client.get(f"/volumes/{volume_in_alpha}/"))
    assert detail.count("Your role in this project can only read.") >= 5  # every action says why

    log_rows = (
        ApiCall.objects.filter(method__in=("POST", "PUT", "DELETE")).exclude(service="identity").count()
    )
    for url in (
        "/volumes/create/",
        f"/volumes/{volume_in_alpha}/edit/",
        f"/volumes/{volume_in_alpha}/extend/",
    ):
        page = client.get(url)
        assert page.status_code == 403 and READ_ONLY in text_of(page), url
        assert "Nothing was sent to the cloud." in text_of(page)
    posted = client.post("/volumes/create/", {"size": "1", "name": "nope"})
    assert posted.status_code == 403 and READ_ONLY in text_of(posted)
    assert (
        ApiCall.objects.filter(method__in=("POST", "PUT", "DELETE")).exclude(service="identity").count()
        == log_rows
    )

    # What the console spares the reader: the cloud's refusal.
    with pytest.raises(api.Forbidden) as refused:
        api.volume_create(ctx_of(client), size=1)
    assert "Policy doesn't allow volume:create" in refused.value.message


def test_every_post_route_of_the_console_is_read_only_for_a_reader(
    client, console_on_openstack, volume_in_alpha
):
    rita = console_on_openstack.accounts["rita"]
    assert log_in(client, rita, project="alpha").status_code == 302
    writes = ApiCall.objects.filter(method__in=("POST", "PUT", "DELETE")).exclude(service="identity").count()
    checked = set()
    for route, url in route_paths({"volume_id": volume_in_alpha}):
        if route.pattern.startswith(("admin/", "support/")) or route.name in FRAME_POSTS:
            continue  # the local staff's pages, and the frame's own forms
        response = client.post(
            url, {"size": "2", "new_size": "2", "volume_id": volume_in_alpha, "confirm": "yes"}
        )
        if response.status_code == 405:
            continue  # a page that takes no form
        assert response.status_code == 403 and READ_ONLY in text_of(response), f"POST {url} ({route.name})"
        checked.add(route.name)
    assert checked == set(WRITE_VIEWS)
    assert (
        ApiCall.objects.filter(method__in=("POST", "PUT", "DELETE")).exclude(service="identity").count()
        == writes
    )
