"""A project whose volumes take more calls than a page's time for the cloud allows, at the project's
pace: its list still loads. Waiting for the budget's turns is the console's own pacing, not the cloud
not answering: it does not count against INVENTORY_PAGE_WAIT (console.api.http, console.inventory).

At 1 call/s a listing of N pages takes about N seconds of turns, whatever the cloud does: 10,000
volumes are 11 calls. Here the pages are made small (100 volumes an answer) so that 700 volumes need
8 calls, twice the page's 4 s."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from console import api
from tests.console.login_helpers import context_of, log_in
from tests.emulator_process import EmulatorProcess

pytestmark = pytest.mark.django_db(transaction=True)

COUNT = 700
PAGE = 100


@pytest.fixture(scope="module")
def emulator_small_pages():
    proc = EmulatorProcess(
        env={
            "EMULATOR_RATE": "0",
            "EMULATOR_SPEED": "0.01",
            "EMULATOR_MAX_LIMIT": str(PAGE),
            "EMULATOR_QUOTA_VOLUMES": "-1",
            "EMULATOR_QUOTA_GIGABYTES": "-1",
        }
    ).start()
    yield proc
    proc.stop()


def test_a_list_of_more_pages_than_the_page_has_seconds_loads_at_the_projects_pace(
    settings, emulator_small_pages
):
    settings.IDENTITY_URL = emulator_small_pages.identity_url
    settings.BLOCK_STORAGE_MAX_LIMIT = PAGE
    settings.INVENTORY_PAGE_WAIT = 4.0
    name = "paged"
    account = {
        "user": name,
        "password": f"{name}-password",
        "project": name,
        **emulator_small_pages.new_account(name),
    }
    client = Client()
    assert log_in(client, account).status_code == 302
    settings.API_RATE_PER_PROJECT = 0  # the volumes are made at once ...
    ctx = context_of(client)
    for index in range(COUNT):
        api.volume_create(ctx, size=1, display_name=f"paged-{index:04d}")
    settings.API_RATE_PER_PROJECT = 1  # ... and listed at the spec's pace: 8 calls, 8 turns
    html = client.get("/volumes/").content.decode()
    count = re.search(r'data-testid="count">([^<]+)', html)
    assert count, "the list did not load: " + " ".join(
        re.findall(r"could not[^<]*|did not answer[^<]*", html)
    )
    assert " ".join(count.group(1).split()) == f"1–25 of {COUNT} volumes"
