"""A request log of 100,000 rows: the request-id search uses its index, pages cost the same queries."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from support.models import ApiCall
from support.selectors import CallFilters, api_call_search, request_id_normalise
from tests.support.conftest import P

ROWS = 100_000
# One worker builds the 100,000 rows once for the whole module (pytest-xdist would spread the tests,
# and each worker would build them again).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("support-scale")]


@pytest.fixture(scope="module")
def big_log(django_db_setup, django_db_blocker):
    """100,000 calls over ~28 hours in 40 projects and two regions (kept for this module's tests)."""
    now = timezone.now()
    calls = [
        ApiCall(
            created_at=now - timedelta(seconds=n),
            request_id=f"req-{uuid.uuid4()}",
            console_request_id=uuid.uuid4().hex,
            user_id=f"u-{n % 40}",
            user_name=f"user{n % 40}",
            project_id=f"{10000000000000 + n % 40}",
            project_name=f"project{n % 40}",
            region="region-a.geo-1" if n % 3 else "region-b.geo-1",
            service="volume",
            method=("GET", "POST", "DELETE")[n % 3],
            path=f"{P}/volumes/v-{n}",
            status=(200, 202, 413, 404, 500)[n % 5],
            duration_ms=n % 900,
            resource_type="volume",
            resource_id=f"v-{n}",
        )
        for n in range(ROWS)
    ]
    with django_db_blocker.unblock():
        ApiCall.objects.bulk_create(calls, batch_size=5000)
        try:
            yield calls
        finally:
            ApiCall.objects.all().delete()


def query_plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return " | ".join(row[-1] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="EXPLAIN QUERY PLAN is SQLite's")
@pytest.mark.parametrize("how", ["whole", "prefix", "prefix without req-", "upper case"])
def test_request_id_search_uses_the_index(big_log, how):
    assert ApiCall.objects.count() == ROWS
    wanted = big_log[54_321].request_id
    typed = {
        "whole": wanted,
        "prefix": wanted[:12],
        "prefix without req-": wanted[4:14],
        "upper case": wanted.upper(),
    }[how]
    calls = api_call_search(filters=CallFilters(q=request_id_normalise(typed)))[:51]
    plan = query_plan(calls)
    assert "USING INDEX apicall_request_id (request_id>? AND request_id<?)" in plan
    assert "USING INDEX apicall_console_request_id" in plan
    assert "SCAN support_apicall" not in plan  # never a full table scan
    assert [call.request_id for call in calls] == [wanted]


def test_each_page_costs_the_same_queries(big_log, staff_client, django_assert_num_queries):
    """Session, user, the permission (user and group), one query for the page: 5, on any page."""
    wanted = big_log[77_777].request_id
    urls = [
        "/support/",
        f"/support/?q={wanted}",
        f"/support/?q={wanted[4:12]}",
        "/support/?status_class=4xx&region=region-b.geo-1",
        "/support/?project=project7&method=DELETE",
    ]
    for url in urls:
        with django_assert_num_queries(5):
            response = staff_client.get(url)
        assert response.status_code == 200
    # Walk five pages older and one back newer: still five queries each.
    url = "/support/?status_class=5xx"
    for _ in range(5):
        with django_assert_num_queries(5):
            body = staff_client.get(url).content.decode()
        url = "/support/" + re.search(r'rel="next" href="([^"]+)"', body).group(1).replace("&amp;", "&")
    newer = "/support/" + re.search(r'rel="prev" href="([^"]+)"', body).group(1).replace("&amp;", "&")
    with django_assert_num_queries(5):
        assert staff_client.get(newer).status_code == 200


def test_the_search_page_finds_one_call_among_100000(big_log, staff_client):
    wanted = big_log[99_999]
    body = staff_client.get("/support/", {"q": wanted.request_id.upper()}).content.decode()
    assert body.count('href="/support/calls/') == 1
    assert wanted.request_id in body
