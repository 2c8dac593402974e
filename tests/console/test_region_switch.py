"""Switching region keeps the user on the page when it exists in the other region, else takes them
to the nearest page that does (the section's list): a resource lives in one region only."""

from __future__ import annotations

import pytest

from tests.console.login_helpers import cloud_session, log_in

pytestmark = pytest.mark.django_db

VOLUME = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
SERVER = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"


@pytest.fixture
def logged_in(client, settings, emulator, account):
    settings.IDENTITY_URL = emulator.identity_url
    assert log_in(client, account).status_code == 302
    return client


@pytest.mark.parametrize(
    ("page", "landing"),
    [
        (f"/volumes/{VOLUME}/", "/volumes/"),
        (f"/volumes/{VOLUME}/edit/", "/volumes/"),
        (f"/volumes/{VOLUME}/delete/", "/volumes/"),
        (f"/volumes/create/{'a' * 32}/", "/volumes/"),
        (f"/snapshots/{VOLUME}/", "/snapshots/"),
        (f"/snapshots/{VOLUME}/delete/", "/snapshots/"),
        (f"/backups/{VOLUME}/restore/", "/backups/"),
        (f"/servers/{SERVER}/", "/servers/"),
        (f"/servers/{SERVER}/detach/{VOLUME}/", "/servers/"),
        # Pages that exist in every region stay, without what names a resource of this region.
        ("/volumes/?status=available&sort=name", "/volumes/?status=available&sort=name"),
        (f"/volumes/create/?source_volid={VOLUME}", "/volumes/create/"),
        (f"/snapshots/create/?volume_id={VOLUME}&x=1", "/snapshots/create/?x=1"),
        (f"/backups/?volume={VOLUME}", "/backups/"),
        ("/", "/"),
        ("/support/calls/12/", "/support/calls/12/"),
    ],
)
def test_a_switch_lands_on_the_nearest_page_that_exists(logged_in, page, landing):
    response = logged_in.post("/region/", {"region": "region-b.geo-1", "next": page})
    assert response.status_code == 302
    assert response["Location"] == landing
    assert cloud_session(logged_in)["region"] == "region-b.geo-1"


def test_a_refused_region_stays_on_the_page(logged_in):
    page = f"/volumes/{VOLUME}/"
    response = logged_in.post("/region/", {"region": "region-z", "next": page})
    assert response["Location"] == page
    assert cloud_session(logged_in)["region"] == "region-a.geo-1"
