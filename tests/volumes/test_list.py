"""The volumes list: columns, filters, sorting across pages, pagination, one poller, no per-row calls."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from console import api
from console.inventory import listing_get
from tests.console.login_helpers import context_of
from tests.volumes.conftest import wait_for

pytestmark = pytest.mark.django_db


def names_on(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<td class="name-col"><a href="/volumes/[^"]+/">([^<]+)</a>', html)


def test_empty_state_says_what_to_do(client_in):
    response = client_in.get("/volumes/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="empty"' in html
    assert "No volumes in region-a.geo-1 yet" in html
    assert 'href="/volumes/create/"' in html
    assert "status-poller" not in html


def test_columns_attached_server_source_and_one_poller(client_in, emulator, account):
    ctx = context_of(client_in)
    servers = api.server_list(ctx)
    web = next(server for server in servers if server.name == "web-01")
    origin = api.volume_create(ctx, size=2, display_name="origin", availability_zone="az1")
    wait_for(lambda: api.volume_get(ctx, origin.id).status == "available")
    api.attachment_create(ctx, web.id, volume_id=origin.id)
    wait_for(lambda: api.volume_get(ctx, origin.id).status == "in-use")
    images = api.image_list(ctx)
    image = next(image for image in images if image.name.startswith("debian"))
    booted = api.volume_create(ctx, size=3, display_name="booted", image_ref=image.id)
    unnamed = api.volume_create(ctx, size=1)
    cache.clear()

    html = client_in.get("/volumes/").content.decode()
    assert "origin" in html and "booted" in html
    assert f">{unnamed.id}</a>" in html  # the id stands in for a missing name
    assert '<a href="/servers/' + web.id + '/">web-01</a> <code>/dev/vdc</code>' in html
    assert f'<a href="/volumes/?source={image.id}">debian-7-wheezy-amd64</a>' in html
    assert html.count('class="status-slot"') == 3
    # One poller for the page, following only the rows still moving.
    assert html.count('id="status-poller-volumes"') == 1
    assert f"s={booted.id}%3Adownloading" in html or f"s={booted.id}%3Aavailable" not in html
    assert f"s={origin.id}%3A" not in html


def test_filters_and_sort_across_all_pages(client_in, emulator, account, settings):
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": 40})
    ctx = context_of(client_in)
    for index in range(30):
        api.volume_create(
            ctx, size=index + 1, display_name=f"Data-{index:02d}", availability_zone=("az1", "az3")[index % 2]
        )
    cache.clear()
    # Sorted by size, descending, on the whole listing: page 1 starts with the biggest.
    first = client_in.get("/volumes/?sort=-size")
    assert names_on(first)[:3] == ["Data-29", "Data-28", "Data-27"]
    assert len(names_on(first)) == 25
    assert 'aria-sort="descending"' in first.content.decode()
    second = client_in.get("/volumes/?sort=-size&page=2")
    assert names_on(second) == ["Data-04", "Data-03", "Data-02", "Data-01", "Data-00"]
    ascending = client_in.get("/volumes/?sort=size")
    assert names_on(ascending)[0] == "Data-00"
    assert 'aria-sort="ascending"' in ascending.content.decode()
    by_name = client_in.get("/volumes/?sort=-name&page=2")
    assert names_on(by_name)[-1] == "Data-00"
    # Filters: name substring (any case), zone, status.
    found = client_in.get("/volumes/?q=data-1&sort=name")
    assert names_on(found) == [f"Data-1{i}" for i in range(10)]
    zone = client_in.get("/volumes/?az=az3&sort=name")
    assert all(int(name[-2:]) % 2 == 1 for name in names_on(zone)) and len(names_on(zone)) == 15
    wait_for(lambda: listing_get(ctx, "volumes").by_id and not listing_get(ctx, "volumes").has_transitional)
    status = client_in.get("/volumes/?status=available&q=data-2")
    assert len(names_on(status)) == 10
    none = client_in.get("/volumes/?q=nothing-like-this")
    assert 'data-testid="empty-filtered"' in none.content.decode()
    # Page links keep the filters and the sort.
    assert "sort=-size&amp;page=2" in first.content.decode()
    # A bookmark from before the one sort parameter ("dir") still sorts the same.
    assert names_on(client_in.get("/volumes/?sort=size&dir=desc")) == names_on(first)
    # Search by id: whole, or its start as the list shows it.
    volume = api.volume_list(ctx)[0]
    assert names_on(client_in.get(f"/volumes/?q={volume.id}")) == [volume.name]
    assert volume.name in names_on(client_in.get(f"/volumes/?q={volume.id[:13].upper()}"))
    # Unknown sort keys and pages fall back to sane defaults.
    assert client_in.get("/volumes/?sort=evil&dir=up&page=999").status_code == 200


def test_htmx_asks_for_the_list_region_only(client_in):
    response = client_in.get("/volumes/?q=x", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="volume-list")
    html = response.content.decode()
    assert html.startswith('<div id="volume-list"')
    assert "<html" not in html


def test_a_header_sort_travels_to_the_filter_form(client_in):
    """A column header swaps the list region only; its answer brings the filter form's hidden sort
    fields along (out of band), so the next filter change keeps the order the header chose."""
    page = client_in.get("/volumes/?sort=-size").content.decode()
    assert page.count('id="volume-sort-field"') == 1 and "hx-swap-oob" not in page
    assert '<input type="hidden" name="sort" value="-size">' in page
    region = client_in.get(
        "/volumes/?sort=name", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="volume-list"
    ).content.decode()
    assert '<span id="volume-sort-field" hx-swap-oob="true">' in region
    assert '<input type="hidden" name="sort" value="name">' in region


def test_list_reads_only_the_inventory(client_in, emulator, account):
    ctx = context_of(client_in)
    for index in range(5):
        api.volume_create(ctx, size=1, display_name=f"quiet-{index}")
    client_in.get("/volumes/")  # loads the listings
    wait_for(lambda: not listing_get(ctx, "volumes").has_transitional)
    client_in.get("/volumes/")
    emulator.reset_stats()
    for _ in range(10):
        assert client_in.get("/volumes/?sort=name").status_code == 200
    # Fresh listings: ten page views, not one API call (and never one per row).
    assert emulator.stats(account["project_id"])["total"] == 0
