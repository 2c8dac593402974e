"""Background watchers: one watch per project after every action, steps that follow it to a
terminal status through the shared inventory, and tasks whose messages carry ids only."""

from __future__ import annotations

import base64
import json
import logging
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone

from console import api
from console.celery import app as celery_app
from console.inventory import (
    Listing,
    listing_apply,
    listing_get,
    listing_invalidate,
    listing_key,
    listing_set_status,
)
from console.models import LifecycleEvent, Watch
from console.tasks import watches_drive, watches_prune_task
from console.watch import watch_kick, watch_step
from tests.console.login_helpers import cloud_token, context_of, log_in
from tests.console.test_inventory import wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(client, settings, emulator, account):
    settings.IDENTITY_URL = emulator.identity_url
    settings.INVENTORY_ACTIVE_INTERVAL = 0.2
    settings.WATCH_MAX_INTERVAL = 0.5
    cache.clear()
    assert log_in(client, account).status_code == 302
    return client


def make_due(watch: Watch) -> None:
    Watch.objects.filter(id=watch.id).update(next_run_at=timezone.now())


def step_until_ended(watch: Watch, timeout: float = 15.0) -> Watch:
    def ended():
        make_due(watch)
        watch_step(watch_id=watch.id)
        current = Watch.objects.get(id=watch.id)
        return current if current.ended_at else None

    return wait_for(ended, timeout)


def test_an_action_starts_one_watch_per_project_and_later_actions_extend_it(client_in, account):
    ctx = context_of(client_in)
    listing_get(ctx, "volumes")
    first = api.volume_create(ctx, size=1, display_name="w1")
    listing_apply(ctx, "volumes", first, request_id="req-1")
    watch = Watch.objects.get(project_id=account["project_id"], ended_at__isnull=True)
    assert watch.region == ctx.region and watch.session_key == client_in.session.session_key
    second = api.volume_create(ctx, size=1, display_name="w2")
    listing_apply(ctx, "volumes", second, request_id="req-2")
    listing_invalidate(ctx, "snapshots")
    listing_invalidate(ctx, "limits")
    assert Watch.objects.filter(project_id=account["project_id"]).count() == 1
    assert Watch.objects.get(id=watch.id).expires_at >= watch.expires_at


def test_a_context_without_a_session_starts_no_watch(client_in, account):
    ctx = context_of(client_in)
    anonymous = api.CloudContext(**{**ctx.__dict__, "session_key": ""})
    listing_invalidate(anonymous, "volumes")
    assert not Watch.objects.exists()


def test_the_watch_follows_a_volume_to_available_without_any_page(client_in, emulator, account):
    ctx = context_of(client_in)
    listing_get(ctx, "volumes")
    volume = api.volume_create(ctx, size=1, display_name="followed")
    listing_apply(ctx, "volumes", volume, request_id="req-create")
    watch = Watch.objects.get(project_id=account["project_id"])
    ended = step_until_ended(watch)
    assert ended.end_reason == Watch.End.SETTLED and ended.gave_up_at is None and ended.runs >= 1
    steps = list(
        LifecycleEvent.objects.filter(resource_id=volume.id).values_list("from_status", "to_status", "source")
    )
    assert steps == [("", "creating", "action"), ("creating", "available", "refresh")]
    # A step after the end does nothing.
    assert watch_step(watch_id=watch.id) == "not due"


def test_a_delete_is_followed_until_the_volume_is_gone(client_in, account):
    ctx = context_of(client_in)
    volume = api.volume_create(ctx, size=1, display_name="doomed")
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "available")
    listing_get(ctx, "volumes")
    api.volume_delete(ctx, volume.id)
    listing_set_status(ctx, "volumes", volume.id, "deleting", request_id="req-del")
    step_until_ended(Watch.objects.get(project_id=account["project_id"]))
    last = LifecycleEvent.objects.filter(resource_id=volume.id).last()
    assert (last.from_status, last.to_status) == ("deleting", "deleted")


def test_a_step_that_is_not_due_does_nothing(client_in, emulator, account):
    ctx = context_of(client_in)
    listing_invalidate(ctx, "volumes")
    watch = Watch.objects.get(project_id=account["project_id"])
    Watch.objects.filter(id=watch.id).update(next_run_at=timezone.now() + timedelta(seconds=60))
    emulator.reset_stats()
    assert watch_step(watch_id=watch.id) == "not due"
    assert emulator.stats(account["project_id"])["total"] == 0


def test_quiet_steps_back_off(client_in, settings, account):
    settings.INVENTORY_ACTIVE_INTERVAL = 1.0
    settings.WATCH_MAX_INTERVAL = 60
    ctx = context_of(client_in)
    listing_get(ctx, "volumes")
    volume = api.volume_create(ctx, size=1, display_name="slow")
    listing_apply(ctx, "volumes", volume, request_id="req")
    watch = Watch.objects.get(project_id=account["project_id"])
    key = listing_key(ctx, "volumes")
    pauses = []
    for _ in range(4):
        make_due(watch)
        # A fresh listing in which the volume is still creating: each step sees no change.
        cache.set(key, Listing("volumes", (volume,), fetched_at=time.time()))
        assert watch_step(watch_id=watch.id) == "moving"
        after = timezone.now()
        pauses.append((Watch.objects.get(id=watch.id).next_run_at - after).total_seconds())
    # The first step saw a new set of statuses; then each quiet step waits 1.5 times longer.
    for pause, expected in zip(pauses, [1.0, 1.5, 2.25, 3.375], strict=True):
        assert expected - 0.2 < pause <= expected, pauses


def test_the_watch_ends_when_the_session_ends(client_in, account):
    ctx = context_of(client_in)
    listing_invalidate(ctx, "volumes")
    client_in.post("/logout/")
    watch = Watch.objects.get(project_id=account["project_id"])
    assert watch_step(watch_id=watch.id) == Watch.End.SESSION_ENDED
    assert Watch.objects.get(id=watch.id).ended_at is not None


def test_the_watch_ends_when_the_cloud_refuses_the_token(client_in, emulator, account):
    ctx = context_of(client_in)
    listing_invalidate(ctx, "volumes")
    emulator.expire_tokens(account["user"])
    watch = Watch.objects.get(project_id=account["project_id"])
    assert watch_step(watch_id=watch.id) == Watch.End.TOKEN_REFUSED


def test_the_watch_gives_up_after_its_bound_and_says_so(client_in, settings, account):
    settings.WATCH_MAX_SECONDS = 0
    ctx = context_of(client_in)
    volume = api.volume_create(ctx, size=1, display_name="endless")
    listing_apply(ctx, "volumes", volume, request_id="req")
    watch = Watch.objects.get(project_id=account["project_id"])
    assert watch_step(watch_id=watch.id) == Watch.End.GAVE_UP
    ended = Watch.objects.get(id=watch.id)
    assert ended.gave_up_at is not None and ended.end_reason == "gave_up"


def test_beat_sends_steps_for_due_watches_only(client_in, account, monkeypatch):
    ctx = context_of(client_in)
    listing_invalidate(ctx, "volumes")
    watch = Watch.objects.get(project_id=account["project_id"])
    sent = []
    monkeypatch.setattr("console.tasks.watch_step_task.apply_async", lambda args, **kw: sent.append(args))
    assert watches_drive() == 1 and sent == [(watch.id,)]
    Watch.objects.filter(id=watch.id).update(next_run_at=timezone.now() + timedelta(seconds=60))
    assert watches_drive() == 0


def test_old_ended_watches_are_pruned(client_in, account):
    ctx = context_of(client_in)
    listing_invalidate(ctx, "volumes")
    Watch.objects.update(ended_at=timezone.now() - timedelta(days=30), end_reason="settled")
    assert watches_prune_task() == 1 and not Watch.objects.exists()


@pytest.fixture
def filesystem_broker(tmp_path):
    """Point the Celery app at a fresh filesystem broker: every message sent is a file to read."""
    queue = tmp_path / "queue"
    control = tmp_path / "control"
    queue.mkdir()
    control.mkdir()
    saved = {key: celery_app.conf[key] for key in ("broker_url", "broker_transport_options")}
    celery_app.conf.update(
        broker_url="filesystem://",
        broker_transport_options={
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "control_folder": str(control),
        },
    )
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield queue
    celery_app.conf.update(saved)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_no_token_in_the_broker_message_nor_in_the_logs(client_in, account, filesystem_broker, caplog):
    caplog.set_level(logging.DEBUG)
    token = cloud_token(client_in)
    session_key = client_in.session.session_key
    ctx = context_of(client_in)
    volume = api.volume_create(ctx, size=1, display_name="secret-free")
    listing_apply(ctx, "volumes", volume, request_id="req")
    watch = Watch.objects.get(project_id=account["project_id"])
    watch_kick(watch_id=watch.id)
    messages = [path.read_bytes() for path in Path(filesystem_broker).iterdir()]
    assert len(messages) == 1
    raw = messages[0].decode()
    assert token not in raw and session_key not in raw
    envelope = json.loads(raw)
    assert envelope["headers"]["task"] == "console.tasks.watch_step_task"
    args, kwargs, _ = json.loads(base64.b64decode(envelope["body"]))
    assert args == [watch.id] and kwargs == {}
    step_until_ended(watch)
    assert token not in caplog.text and session_key not in caplog.text
