"""Retention: `manage.py prune_request_log` deletes rows older than REQUEST_LOG_DAYS, in batches."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from support.models import ApiCall
from tests.support.conftest import call_row

pytestmark = pytest.mark.django_db


def prune(*args: str) -> str:
    out = StringIO()
    call_command("prune_request_log", *args, stdout=out)
    return out.getvalue().strip()


def ages(*days: float) -> None:
    now = timezone.now()
    for age in days:
        call_row(request_id=f"req-age-{age}", created_at=now - timedelta(days=age))


def kept() -> list[str]:
    return sorted(ApiCall.objects.values_list("request_id", flat=True))


def test_default_keeps_request_log_days(settings):
    assert settings.REQUEST_LOG_DAYS == 30
    ages(0, 29.9, 30.1, 45, 400)
    assert prune() == "Deleted 3 request log rows older than 30 days."
    assert kept() == ["req-age-0", "req-age-29.9"]
    assert prune() == "Deleted 0 request log rows older than 30 days."


def test_the_setting_and_the_days_option(settings):
    settings.REQUEST_LOG_DAYS = 7
    ages(1, 6, 8, 20)
    assert prune("--days", "10") == "Deleted 1 request log row older than 10 days."
    assert kept() == ["req-age-1", "req-age-6", "req-age-8"]
    assert prune() == "Deleted 1 request log row older than 7 days."
    assert kept() == ["req-age-1", "req-age-6"]


def test_deletes_in_batches():
    now = timezone.now()
    ApiCall.objects.bulk_create(
        call_row(created_at=now - timedelta(days=40, seconds=n), save=False) for n in range(25)
    )
    ages(1)
    with CaptureQueriesContext(connection) as queries:
        assert prune("--batch-size", "10") == "Deleted 25 request log rows older than 30 days."
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 10 + 10 + 5
    assert kept() == ["req-age-1"]


@pytest.mark.parametrize("args", [("--days", "0"), ("--days", "-3"), ("--batch-size", "0")])
def test_nonsense_is_refused_and_nothing_is_deleted(args):
    ages(100)
    with pytest.raises(CommandError):
        prune(*args)
    assert ApiCall.objects.count() == 1
