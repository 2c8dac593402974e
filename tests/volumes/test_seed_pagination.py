"""The seed's Cinder v1 answers at most osapi_max_limit records per list and pages by offset, without
links: the console continues a full answer until a shorter one, so no volume vanishes past the limit,
and a project with fewer volumes still costs one call."""

from __future__ import annotations

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
