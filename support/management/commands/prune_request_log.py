"""Delete request-log rows older than REQUEST_LOG_DAYS (or --days), in batches."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from support.models import ApiCall

BATCH_SIZE = 5000


def api_call_prune(*, days: int, batch_size: int = BATCH_SIZE) -> int:
    """Delete the calls sent more than `days` days ago, `batch_size` rows per statement (short locks,
    bounded memory); returns how many were deleted."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    while True:
        batch = list(ApiCall.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch_size])
        if not batch:
            return deleted
        count, _ = ApiCall.objects.filter(pk__in=batch).delete()
        deleted += count


class Command(BaseCommand):
    help = "Delete request-log rows (support.ApiCall) older than REQUEST_LOG_DAYS days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Keep this many days instead of REQUEST_LOG_DAYS ({settings.REQUEST_LOG_DAYS}).",
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Rows deleted per statement.")

    def handle(self, *args: object, days: int | None, batch_size: int, **options: object) -> None:
        days = settings.REQUEST_LOG_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1 (REQUEST_LOG_DAYS too).")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        deleted = api_call_prune(days=days, batch_size=batch_size)
        rows = "row" if deleted == 1 else "rows"
        self.stdout.write(f"Deleted {deleted} request log {rows} older than {days} days.")
