"""The call budget against real Cinder: on by default (the operator's API_RATE_PER_PROJECT, 1 call/s
unless set), per project, and every page of a long listing takes its own turn."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.cache import cache

from console import api
from support.models import ApiCall
from tests.openstack.console import ctx_of
from tests.snapshots.helpers import wait_for

pytestmark = pytest.mark.django_db

SLOT_GRACE = 0.005  # console.api.budget: how late into its slot a call may still go


def test_the_budget_is_on_by_default():
    env = {key: value for key, value in os.environ.items() if key != "API_RATE_PER_PROJECT"}
    rate = subprocess.run(
        [sys.executable, "-c", "from console import settings; print(settings.API_RATE_PER_PROJECT)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert float(rate) == 1.0


def test_every_call_of_a_project_takes_a_turn_at_the_operators_rate(member_client, settings, openstack):
    ctx = ctx_of(member_client)
    for n in range(openstack.max_limit + 2):  # two pages of Cinder's
        api.volume_create(ctx, size=1, display_name=f"metered-{n}")
    # All available first: a listing with a volume still creating is due again a second later, and
    # the pages below would read it again (on a busy machine the four pages take that long).
    wait_for(
        lambda: all(volume.status == "available" for volume in api.volume_list(ctx)), timeout=120, pause=1.0
    )
    settings.API_RATE_PER_PROJECT = 4  # the operator's setting: 4 calls/s
    cache.clear()
    ApiCall.objects.all().delete()
    for url in ("/volumes/", "/snapshots/", "/backups/", "/"):
        assert member_client.get(url).status_code == 200
    calls = list(ApiCall.objects.filter(service="volume", project_id=ctx.project_id).order_by("created_at"))
    pages = [call for call in calls if call.path.endswith("/volumes/detail")]
    assert len(pages) == 2  # both pages of the listing, each through the budget
    assert len(calls) >= 5
    gaps = [(b.created_at - a.created_at).total_seconds() for a, b in zip(calls, calls[1:], strict=False)]
    assert min(gaps) >= 1 / 4 - SLOT_GRACE, gaps
