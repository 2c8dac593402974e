"""The seed's Cinder v1 answers at most osapi_max_limit records per list and pages by offset, without
links: the console continues a full answer until a shorter one, so no volume vanishes past the limit,
and a project with fewer volumes still costs one call."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache

from console import api
from support.models import ApiCall
from tests.console.login_helpers import context_of, log_in
from tests.emulator_process import FAST, EmulatorProcess

pytestmark = pytest.mark.django_db

PAGE = 5


@pytest.fixture(scope="module")
def paged_emulator():
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0", "EMULATOR_MAX_LIMIT": str(PAGE)}).start()
    yield proc
    proc.stop()


def test_volumes_past_the_limit_are_all_listed(client, settings, paged_emulator):
    settings.IDENTITY_URL = paged_emulator.identity_url
    settings.API_RATE_PER_PROJECT = 0
    settings.BLOCK_STORAGE_MAX_LIMIT = PAGE
    cache.clear()
    account = {"user": "paged", "password": "paged-password", "project": "paged"}
    account.update(paged_emulator.new_account("paged"))
    paged_emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": 50, "gigabytes": 50})
    assert log_in(client, account).status_code == 302
    ctx = context_of(client)

    for n in range(3):
        api.volume_create(ctx, size=1, display_name=f"few-{n}")
    ApiCall.objects.all().delete()
    assert len(api.volume_list(ctx)) == 3
    assert ApiCall.objects.filter(path__endswith="/volumes/detail").count() == 1  # short: one call

    for n in range(3, 2 * PAGE + 2):
        api.volume_create(ctx, size=1, display_name=f"many-{n}")
    ApiCall.objects.all().delete()
    page = client.get("/volumes/").content.decode()
    assert "1–12 of 12 volumes" in page
    assert ApiCall.objects.filter(path__endswith="/volumes/detail").count() == 3  # 5 + 5 + 2
    assert {v.display_name for v in api.volume_list(ctx)} == {f"few-{n}" for n in range(3)} | {
        f"many-{n}" for n in range(3, 2 * PAGE + 2)
    }


def _straight_at_the_emulator(
    emulator, account: dict, method: str, path: str, body: dict | None = None
) -> dict:
    """A call that does not go through the console (nor its budget): another client of the project."""
    return emulator.as_client(account, method, emulator.volume_url(account["project_id"]) + path, body)


def _listing_pages(emulator, project_id: str) -> int:
    log = emulator.hook("GET", f"/_emulator/log?project={project_id}&limit=1000")["log"]
    return sum(1 for entry in log if entry["method"] == "GET" and entry["path"].endswith("/volumes/detail"))


@pytest.mark.parametrize("change", ["created", "deleted"])
def test_a_change_between_two_pages_neither_repeats_nor_hides_a_volume(
    client, settings, paged_emulator, change
):
    """The cloud lists newest first, by offset: a volume created by someone else while the console
    reads the pages pushes every record one place down (the last one of page 1 came again on page 2),
    one deleted pulls them up (the first one of page 2 was never read: it would look deleted). The
    console's listing is the cloud's, once each, either way."""
    settings.IDENTITY_URL = paged_emulator.identity_url
    settings.API_RATE_PER_PROJECT = 1  # the pages are a second apart: room for the other client
    settings.BLOCK_STORAGE_MAX_LIMIT = PAGE
    cache.clear()
    name = f"moving-{change}"
    account = {"user": name, "password": f"{name}-password", "project": name}
    account.update(paged_emulator.new_account(name))
    paged_emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": 50, "gigabytes": 50})
    made = [
        _straight_at_the_emulator(
            paged_emulator, account, "POST", "/volumes", {"volume": {"size": 1, "display_name": f"v-{n}"}}
        )["volume"]["id"]
        for n in range(2 * PAGE + 2)
    ]
    deadline = time.monotonic() + 30
    while any(  # another client deletes one below: it must be available by then
        volume["status"] != "available"
        for offset in range(0, 3 * PAGE, PAGE)
        for volume in _straight_at_the_emulator(
            paged_emulator, account, "GET", f"/volumes/detail?offset={offset}"
        )["volumes"]
    ):
        assert time.monotonic() < deadline, "the volumes never became available"
        time.sleep(0.1)
    assert log_in(client, account).status_code == 302
    ctx = context_of(client)
    pages_before = _listing_pages(paged_emulator, account["project_id"])
    changed: list[str] = []

    def other_client() -> None:
        deadline = time.monotonic() + 30
        while _listing_pages(paged_emulator, account["project_id"]) == pages_before:
            assert time.monotonic() < deadline, "the console never read its first page"
            time.sleep(0.02)
        if change == "created":
            body = {"volume": {"size": 1, "display_name": "newcomer"}}
            changed.append(
                _straight_at_the_emulator(paged_emulator, account, "POST", "/volumes", body)["volume"]["id"]
            )
        else:
            changed.append(made[-1])  # the newest: the first record of page 1
            _straight_at_the_emulator(paged_emulator, account, "DELETE", f"/volumes/{made[-1]}")

    with ThreadPoolExecutor(1) as pool:
        other = pool.submit(other_client)
        listed = [volume.id for volume in api.volume_list(ctx)]
        other.result()

    truth: list[str] = []
    for offset in range(0, 3 * PAGE, PAGE):  # 11 or 13 volumes now
        page = _straight_at_the_emulator(paged_emulator, account, "GET", f"/volumes/detail?offset={offset}")
        truth += [volume["id"] for volume in page["volumes"]]
    assert len(listed) == len(set(listed)), "a volume was listed twice"
    assert set(listed) == set(truth), "a volume the cloud has was missing, or a deleted one was listed"
    assert (changed[0] in listed) == (change == "created")
