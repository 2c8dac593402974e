"""Celery beat's periodic work: request-log pruning through support's command, watches re-driven
every WATCH_TICK seconds, old watches pruned; the embedded broker needs no server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.utils import timezone

from console.celery import app as celery_app
from console.celery import defaults
from console.tasks import request_log_prune
from support.models import ApiCall

pytestmark = pytest.mark.django_db


def api_call(days_ago: int) -> ApiCall:
    return ApiCall.objects.create(
        created_at=timezone.now() - timedelta(days=days_ago),
        request_id=f"req-{days_ago}",
        service="volume",
        method="GET",
        path="/volumes/detail",
        status=200,
        duration_ms=3,
    )


def test_request_log_prune_deletes_old_rows_through_the_command(settings):
    settings.REQUEST_LOG_DAYS = 30
    old, recent = api_call(45), api_call(2)
    message = request_log_prune()
    assert "Deleted 1 request log row older than 30 days" in message
    assert list(ApiCall.objects.values_list("id", flat=True)) == [recent.id]
    assert not ApiCall.objects.filter(id=old.id).exists()


def test_beat_schedule():
    schedule = celery_app.conf.beat_schedule
    assert schedule["watches-drive"]["task"] == "console.tasks.watches_drive"
    assert schedule["watches-drive"]["schedule"] == 2.0  # WATCH_TICK
    assert schedule["request-log-prune"]["task"] == "console.tasks.request_log_prune"
    assert isinstance(schedule["request-log-prune"]["schedule"], crontab)
    registered = set(celery_app.tasks)
    for entry in schedule.values():
        assert entry["task"] in registered


def test_embedded_default_broker_is_the_filesystem_under_var(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    settings.REDIS_URL = ""
    settings.VAR_DIR = tmp_path
    config = defaults()
    assert config["broker_url"] == "filesystem://"
    assert config["broker_transport_options"]["data_folder_in"] == str(tmp_path / "celery" / "queue")
    assert (tmp_path / "celery" / "queue").is_dir() and (tmp_path / "celery" / "control").is_dir()
    assert config["task_serializer"] == "json" and config["accept_content"] == ["json"]


def test_redis_url_makes_redis_the_broker(settings, monkeypatch):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    settings.REDIS_URL = "redis://127.0.0.1:6379/3"
    assert defaults()["broker_url"] == "redis://127.0.0.1:6379/3"
