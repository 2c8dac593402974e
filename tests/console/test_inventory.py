"""The shared inventory: one refresher per listing, lifecycle events, and badges that poll it."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from console import api
from console.inventory import listing_apply, listing_get, listing_invalidate, listing_set_status
from console.models import LifecycleEvent
from tests.console.login_helpers import context_of, log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(client, settings, emulator, account):
    settings.IDENTITY_URL = emulator.identity_url
    settings.INVENTORY_ACTIVE_INTERVAL = 0.2
    cache.clear()
    assert log_in(client, account).status_code == 302
    return client


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_listing_is_cached_and_refreshed_by_one_caller(client_in, emulator, account):
    ctx = context_of(client_in)
    first = listing_get(ctx, "volumes")
    assert first.loaded and first.items == ()
    emulator.reset_stats()
    for _ in range(20):
        listing_get(ctx, "volumes")
    # Idle listings are fresh for INVENTORY_IDLE_INTERVAL: twenty readers, no call.
    assert emulator.stats(account["project_id"])["total"] == 0


def test_refresh_records_each_status_change(client_in, emulator, account):
    ctx = context_of(client_in)
    listing_get(ctx, "volumes")
    volume = api.volume_create(ctx, size=1, display_name="timeline")
    listing_apply(ctx, "volumes", volume, request_id="req-action")
    assert listing_get(ctx, "volumes", refresh=False).by_id[volume.id].status == "creating"
    wait_for(lambda: listing_get(ctx, "volumes").by_id[volume.id].status == "available")
    api.volume_delete(ctx, volume.id)
    listing_set_status(ctx, "volumes", volume.id, "deleting", request_id="req-delete")
    wait_for(lambda: volume.id not in listing_get(ctx, "volumes").by_id)
    steps = list(
        LifecycleEvent.objects.filter(resource_id=volume.id).values_list("from_status", "to_status", "source")
    )
    assert steps == [
        ("", "creating", "action"),
        ("creating", "available", "refresh"),
        ("available", "deleting", "action"),
        ("deleting", "deleted", "refresh"),
    ]
    refresh_ids = LifecycleEvent.objects.filter(resource_id=volume.id, source="refresh").values_list(
        "request_id", flat=True
    )
    assert all(rid.startswith("req-") for rid in refresh_ids)


def test_badge_poll_answers_from_the_inventory_and_stops_when_terminal(client_in, emulator, account):
    ctx = context_of(client_in)
    listing_get(ctx, "volumes")
    volume = api.volume_create(ctx, size=1, display_name="badge")
    listing_apply(ctx, "volumes", volume, request_id="req-x")

    def poll():
        response = client_in.get(f"/live/volumes/?s={volume.id}:creating", HTTP_HX_REQUEST="true")
        return response if response.status_code == 286 else None

    response = wait_for(poll)
    html = response.content.decode()
    assert f'id="status-volumes-{volume.id}"' in html and "Available" in html
    assert "hx-trigger" not in html  # a terminal badge does not poll
    assert "status-changed" in response["HX-Trigger"]


def test_badge_poll_with_nothing_changed_sends_no_badge(client_in, emulator, account):
    ctx = context_of(client_in)
    listing_get(ctx, "volumes")
    volume = api.volume_create(ctx, size=1, display_name="steady")
    listing_apply(ctx, "volumes", volume, request_id="req-x")
    wait_for(
        lambda: (
            listing_get(ctx, "volumes").by_id.get(volume.id, None)
            and listing_get(ctx, "volumes").by_id[volume.id].status == "available"
        )
    )
    response = client_in.get(f"/live/volumes/?s={volume.id}:available")
    assert response.status_code == 286
    assert "hx-swap-oob" not in response.content.decode()
    assert "HX-Trigger" not in response


def test_badge_of_a_vanished_resource_says_deleted(client_in, emulator, account):
    ctx = context_of(client_in)
    listing_get(ctx, "volumes")
    response = client_in.get("/live/volumes/?s=00000000-0000-0000-0000-000000000000:deleting")
    assert response.status_code == 286
    assert "Deleted" in response.content.decode()


def test_unknown_kind_and_garbage_ids(client_in):
    assert client_in.get("/live/servers/").status_code == 404
    response = client_in.get("/live/volumes/?s=" + "x" * 5000 + "&s=<script>:creating")
    assert response.status_code in (200, 286)
    assert "<script>" not in response.content.decode()


def test_an_ended_token_is_not_hidden_as_a_stale_listing(client_in, emulator, account):
    ctx = context_of(client_in)
    listing_get(ctx, "volumes")
    listing_invalidate(ctx, "volumes")
    emulator.expire_tokens(account["user"])
    time.sleep(2.1)  # the refresh runs with background priority: it only takes a free slot
    with pytest.raises(api.Unauthorized):
        listing_get(ctx, "volumes")


def test_no_turn_in_the_budget_is_not_a_failure(client_in, monkeypatch):
    """Pacing calls to 1/s is normal: a page must not call a wait for a turn an error."""
    from console import inventory

    ctx = context_of(client_in)
    loaded = listing_get(ctx, "volumes")
    listing_invalidate(ctx, "volumes")

    def no_turn(_ctx):
        raise api.BudgetExhausted(None, "no turn", fault="budgetExhausted")

    monkeypatch.setitem(inventory.LOADERS, "volumes", no_turn)
    served = listing_get(ctx, "volumes")
    assert served.failure is None and served.fetched_at == loaded.fetched_at
    assert listing_get(ctx, "volumes", refresh=False).stale  # still due: the next reader tries again
