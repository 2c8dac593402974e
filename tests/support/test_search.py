"""Search of the request log: request ids as support pastes them, filters, newest first, pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from support.models import ApiCall
from support.selectors import PAGE_SIZE
from tests.support.conftest import call_row

pytestmark = pytest.mark.django_db

RID = "req-3f1c2b9a-7d4e-4c1a-9b2e-5a6d7c8e9f01"


def found(response) -> list[str]:
    """The request ids listed on a search page, in order."""
    assert response.status_code == 200
    return re.findall(r'href="/support/calls/\d+/">([^<]+)</a>', response.content.decode())


@pytest.mark.parametrize(
    "typed",
    [
        RID,
        RID.upper(),
        f"  {RID}  ",
        RID[4:],  # without req-
        RID[:12],  # req- and 8 characters
        RID[4:12],  # 8 characters, no req-
        f"\t{RID[:20].upper()}\n",
    ],
)
def test_a_request_id_is_found_whole_or_by_prefix_in_any_case(staff_client, typed):
    call_row(request_id=RID)
    call_row(request_id="req-3f1c2b9b-0000-0000-0000-000000000000")  # shares 7 characters only
    call_row(request_id="req-99999999-7d4e-4c1a-9b2e-5a6d7c8e9f01")
    assert found(staff_client.get("/support/", {"q": typed})) == [RID]


def test_the_console_request_id_of_a_call_without_answer_is_found(staff_client):
    """When the cloud never answered, the error banner shows the console's own id: it is found too."""
    console_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    call_row(request_id="", console_request_id=console_id, status=None, fault="timeout")
    call_row()
    response = staff_client.get("/support/", {"q": "0A1B2C3D4E5F60718293A4B5C6D7E8F9"})
    assert found(response) == ["(no id)"]
    assert "No response" in response.content.decode()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("req-1234567", "Type at least 8 characters"),
        ("1234", "Type at least 8 characters"),
        ("req-abc def12345", "only letters, digits and dashes"),
        ("<script>alert(1)</script>", "only letters, digits and dashes"),
        ("' OR 1=1 --", "only letters, digits and dashes"),
        ("req-%%%%%%%%%%", "only letters, digits and dashes"),
        ("x" * 10_000, "at most 128 characters"),
    ],
)
def test_bad_input_gets_a_clear_message_and_no_results(staff_client, typed, message):
    call_row(request_id=RID)
    response = staff_client.get("/support/", {"q": typed})
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert "Nothing was searched" in body
    assert found(response) == []
    assert "<script>alert(1)</script>" not in body  # shown back escaped, never executed
    assert ApiCall.objects.count() == 1  # nothing changed


def test_a_request_id_that_matches_nothing_says_so(staff_client):
    call_row(request_id=RID)
    response = staff_client.get("/support/", {"q": "req-00000000"})
    assert found(response) == []
    assert "No call matches this search." in response.content.decode()


def test_newest_first(staff_client):
    now = timezone.now()
    call_row(request_id="req-old", created_at=now - timedelta(hours=2))
    call_row(request_id="req-new", created_at=now)
    call_row(request_id="req-mid", created_at=now - timedelta(hours=1))
    assert found(staff_client.get("/support/")) == ["req-new", "req-mid", "req-old"]


def test_filters(staff_client):
    now = timezone.now()
    call_row(request_id="req-a", project_id="p-1", project_name="alpha", user_name="ann", user_id="u-ann")
    call_row(request_id="req-b", project_id="p-2", project_name="beta", region="region-b.geo-1")
    call_row(request_id="req-c", status=413, fault="overLimit", method="POST", path="/v1/p-1/volumes")
    call_row(request_id="req-d", status=503, service="compute", resource_id="srv-9", resource_type="server")
    call_row(request_id="req-e", status=None, fault="connectionFailed", created_at=now - timedelta(days=3))
    day = "%Y-%m-%dT%H:%M"
    cases = {
        "project=p-1": ["req-a"],
        "project=beta": ["req-b"],
        "user=ann": ["req-a"],
        "user=u-ann": ["req-a"],
        "region=region-b.geo-1": ["req-b"],
        "status_class=2xx": ["req-a", "req-b"],
        "status_class=4xx": ["req-c"],
        "status_class=5xx": ["req-d"],
        "status_class=none": ["req-e"],
        "method=POST": ["req-c"],
        "service=compute": ["req-d"],
        "resource_id=srv-9": ["req-d"],
        f"until={(now - timedelta(days=1)).strftime(day)}": ["req-e"],
        f"since={(now - timedelta(days=4)).strftime(day)}&until={(now - timedelta(days=2)).strftime(day)}": [
            "req-e"
        ],
        "status_class=2xx&project=p-2": ["req-b"],
    }
    for query, expected in cases.items():
        assert sorted(found(staff_client.get(f"/support/?{query}"))) == expected, query


def test_a_time_range_that_ends_before_it_starts_is_refused(staff_client):
    response = staff_client.get("/support/", {"since": "2026-11-29T10:00", "until": "2026-11-28T10:00"})
    assert "The end of the time range is before its start." in response.content.decode()
    assert found(response) == []


def test_unknown_choices_and_bad_dates_are_field_errors(staff_client):
    response = staff_client.get("/support/", {"status_class": "6xx", "method": "PATCH", "since": "yesterday"})
    body = response.content.decode()
    assert body.count('class="field-error"') == 3
    assert "Nothing was searched" in body


def test_html_in_the_log_is_shown_escaped(staff_client):
    call = call_row(
        user_name="<b>eve</b>", project_name="<script>x()</script>", message="<img src=x onerror=y>"
    )
    body = staff_client.get("/support/").content.decode()
    assert "&lt;b&gt;eve&lt;/b&gt;" in body and "<b>eve</b>" not in body
    assert "<script>x()</script>" not in body
    detail = staff_client.get(f"/support/calls/{call.pk}/").content.decode()
    assert "<img src=x" not in detail and "&lt;img src=x onerror=y&gt;" in detail


def test_pages_walk_older_and_back_newer_without_gaps_or_repeats(staff_client):
    now = timezone.now()
    total = PAGE_SIZE * 2 + 7
    # Some rows share a timestamp: the id breaks the tie.
    expected = [f"req-{n:04d}" for n in range(total)]
    ApiCall.objects.bulk_create(
        call_row(request_id=rid, created_at=now - timedelta(seconds=n // 3), save=False)
        for n, rid in enumerate(reversed(expected))
    )
    expected = [
        call.request_id for call in ApiCall.objects.order_by("-created_at", "-id")
    ]  # the order the page promises
    seen, url, pages = [], "/support/", []
    while url:
        response = staff_client.get(url)
        seen += found(response)
        pages.append(response)
        older = re.search(r'rel="next" href="([^"]+)"', response.content.decode())
        url = "/support/" + older.group(1).replace("&amp;", "&") if older else None
    assert seen == expected
    assert len(pages) == 3
    last = pages[-1].content.decode()
    assert "Older" not in last and "Newest" in last
    newer = re.search(r'rel="prev" href="([^"]+)"', last).group(1).replace("&amp;", "&")
    assert found(staff_client.get("/support/" + newer)) == expected[PAGE_SIZE : 2 * PAGE_SIZE]


def test_filters_stay_on_page_links(staff_client):
    for _ in range(PAGE_SIZE + 1):
        call_row(method="DELETE")
    call_row(method="GET")
    body = staff_client.get("/support/", {"method": "DELETE"}).content.decode()
    older = re.search(r'rel="next" href="([^"]+)"', body).group(1).replace("&amp;", "&")
    assert "method=DELETE" in older
    rows = found(staff_client.get("/support/" + older))
    assert len(rows) == 1


@pytest.mark.parametrize("cursor", ["garbage", "1-x", "-5", "9" * 80, "99999999999999999999999-1"])
def test_a_broken_page_link_shows_the_newest_page(staff_client, cursor):
    call_row(request_id="req-only")
    assert found(staff_client.get("/support/", {"before": cursor})) == ["req-only"]
    assert found(staff_client.get("/support/", {"after": cursor})) == ["req-only"]


def test_htmx_gets_the_search_region_only(staff_client):
    call_row(request_id=RID)
    response = staff_client.get(
        "/support/", {"q": RID}, headers={"HX-Request": "true", "HX-Target": "support-search"}
    )
    body = response.content.decode()
    assert '<div id="support-search"' in body and "<html" not in body
    assert found(response) == [RID]


def test_the_search_page_works_as_a_plain_form(staff_client):
    body = staff_client.get("/support/").content.decode()
    assert '<form class="card support-form" method="get" action="/support/"' in body
    assert 'maxlength="128"' in body


def test_the_page_says_what_it_searched_for(staff_client):
    call_row(request_id=RID)
    body = staff_client.get("/support/", {"q": "  REQ-3F1C2B9A "}).content.decode()
    assert "Request ids starting with <code>req-3f1c2b9a</code>" in body
