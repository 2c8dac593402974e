"""The volumes list of a project with 10,000 volumes: every filter, sort and page agrees with the cloud's
own listing of all of them (it answers at most 1,000 a call: the console follows every page), whatever
the order pages asked for before (sorted orders are kept with the listing: console.inventory
Listing.derived).

No time is asserted here (docs/performance.md has the figures: bench/big_project.py)."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.test import Client

from tests.console.login_helpers import log_in
from tests.emulator_process import EmulatorProcess

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("ten-thousand-volumes")]

COUNT = 10_000
PAGE = 25
ROW = re.compile(r'<tr data-volume-id="([^"]+)"')


def _request(url: str, token: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method="GET" if body is None else "POST",
        headers={"X-Auth-Token": token, "Content-Type": "application/json", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - the emulator on loopback
        return json.loads(answer.read())


@pytest.fixture(scope="module")
def big_project():
    """An emulator whose project has 10,000 available volumes (its quota raised), and the cloud's
    own view of them: every page of GET /volumes/detail."""
    emulator = EmulatorProcess(
        env={
            "EMULATOR_RATE": "0",
            "EMULATOR_SPEED": "0.01",
            "EMULATOR_QUOTA_VOLUMES": "-1",
            "EMULATOR_QUOTA_GIGABYTES": "-1",
        }
    ).start()
    try:
        account = {
            "user": "tenk",
            "password": "tenk-password",
            "project": "tenk",
            **emulator.new_account("tenk"),
        }
        token = _token(emulator, account)
        base = emulator.volume_url(account["project_id"])

        def create(chunk: range) -> None:
            for index in chunk:
                body = {
                    "volume": {
                        "size": 1 + (index * 7) % 50,
                        "display_name": f"big-{index:05d}" if index % 97 else None,  # a few have no name
                        "availability_zone": ("az1", "az2", "az3")[index % 3],
                    }
                }
                _request(f"{base}/volumes", token, body)

        with ThreadPoolExecutor(4) as pool:
            list(
                pool.map(create, [range(start, min(COUNT, start + 1250)) for start in range(0, COUNT, 1250)])
            )
        deadline = time.monotonic() + 120
        while True:  # until the cloud says every volume is available: nothing changes after that
            truth: list[dict] = []
            while True:
                page = _request(f"{base}/volumes/detail?{urlencode({'offset': len(truth)})}", token)[
                    "volumes"
                ]
                truth.extend(page)
                if not page or len(page) < 1000:
                    break
            if all(volume["status"] == "available" for volume in truth) or time.monotonic() > deadline:
                break
        assert len(truth) == COUNT
        yield emulator, account, truth
    finally:
        emulator.stop()


def _token(emulator: EmulatorProcess, account: dict) -> str:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": account["user"],
                        "domain": {"id": "default"},
                        "password": account["password"],
                    }
                },
            },
            "scope": {"project": {"name": account["project"], "domain": {"id": "default"}}},
        }
    }
    request = urllib.request.Request(
        f"{emulator.url}/v3/auth/tokens",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - the emulator on loopback
        return answer.headers["X-Subject-Token"]


@pytest.fixture
def client_big(settings, big_project):
    emulator, account, _ = big_project
    settings.IDENTITY_URL = emulator.identity_url
    settings.API_RATE_PER_PROJECT = 0  # the emulator's limit is off: no pacing needed
    cache.clear()
    client = Client()
    assert log_in(client, account).status_code == 302
    return client


def shown(client: Client, query: dict) -> tuple[list[str], str]:
    """The volume ids of the page the query asks for, in order, and its count line."""
    html = client.get("/volumes/?" + urlencode(query)).content.decode()
    count = re.search(r'data-testid="count">([^<]+)', html)
    return ROW.findall(html), " ".join(count.group(1).split()) if count else ""


def name_of(volume: dict) -> str:
    return volume["display_name"] or volume["id"]


def created(volume: dict) -> datetime:
    return datetime.fromisoformat(volume["created_at"])


def ordered(volumes: list[dict], key, *, descending: bool) -> list[str]:
    """The ids in the console's order: by the key, ties by id (ascending either way)."""
    by_id = sorted(volumes, key=lambda v: v["id"])
    return [v["id"] for v in sorted(by_id, key=key, reverse=descending)]


def page_of(ids: list[str], number: int) -> list[str]:
    return ids[(number - 1) * PAGE : number * PAGE]


def test_every_sort_and_page_agrees_with_the_cloud(client_big, big_project):
    _, _, truth = big_project
    last = -(-COUNT // PAGE)
    ids, count = shown(client_big, {})
    assert count == f"1–25 of {COUNT} volumes"
    newest = ordered(truth, created, descending=True)
    assert ids == page_of(newest, 1)
    assert shown(client_big, {"page": last})[0] == page_of(newest, last)
    by_name = ordered(truth, lambda v: name_of(v).lower(), descending=False)
    for number in (1, 2, 200, last):
        assert shown(client_big, {"sort": "name", "page": number})[0] == page_of(by_name, number)
    by_name_down = ordered(truth, lambda v: name_of(v).lower(), descending=True)
    assert shown(client_big, {"sort": "-name", "page": 3})[0] == page_of(by_name_down, 3)
    by_size = ordered(truth, lambda v: v["size"], descending=True)
    for number in (1, 123, last):
        assert shown(client_big, {"sort": "-size", "page": number})[0] == page_of(by_size, number)
    oldest = ordered(truth, created, descending=False)
    assert shown(client_big, {"sort": "created", "page": 1})[0] == page_of(oldest, 1)
    by_zone = ordered(truth, lambda v: v["availability_zone"] or "", descending=False)
    assert shown(client_big, {"sort": "az", "page": 150})[0] == page_of(by_zone, 150)
    # A page past the end is the last page.
    assert shown(client_big, {"sort": "name", "page": last + 10})[0] == page_of(by_name, last)


def test_filters_count_and_page_all_of_them(client_big, big_project):
    _, _, truth = big_project
    in_az2 = [v for v in truth if v["availability_zone"] == "az2"]
    ids, count = shown(client_big, {"az": "az2", "sort": "size", "page": 40})
    assert count == f"976–1000 of {len(in_az2)} volumes (filtered from {COUNT})"
    assert ids == page_of(ordered(in_az2, lambda v: v["size"], descending=False), 40)
    # By name: big-0123 is in the names of big-01230 ... big-01239 (those that have a name).
    named = [v for v in truth if "big-0123" in (v["display_name"] or "")]
    ids, count = shown(client_big, {"q": "big-0123", "sort": "name"})
    assert count == f"1–{len(named)} of {len(named)} volumes (filtered from {COUNT})"
    assert ids == ordered(named, lambda v: name_of(v).lower(), descending=False)
    # By id, as the list shows them cut short: the whole id of one volume finds it.
    unnamed = next(v for v in truth if not v["display_name"])
    assert shown(client_big, {"q": unnamed["id"]})[0] == [unnamed["id"]]
    # Filters together, sorted, on a later page.
    wanted = [v for v in truth if v["availability_zone"] == "az1" and v["status"] == "available"]
    ids, count = shown(client_big, {"az": "az1", "status": "available", "sort": "-created", "page": 7})
    assert count.endswith(f"of {len(wanted)} volumes (filtered from {COUNT})")
    assert ids == page_of(ordered(wanted, created, descending=True), 7)
