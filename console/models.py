"""Local models of the console core.

The console keeps almost nothing locally: the cloud is the source of truth. What it keeps is what
the cloud does not: the history of statuses each resource went through, as the console observed it.
"""

from django.db import models


class LifecycleEvent(models.Model):
    """One observed status change of a resource (volume, snapshot or backup).

    `from_status` is empty when the resource first appeared; `to_status` is "deleted" when it was
    gone from a listing. `request_id` is the X-Compute-Request-Id of the API call that showed the
    change (the listing refresh, or the action that caused it), so support can find that call.
    """

    class Source(models.TextChoices):
        REFRESH = "refresh", "inventory refresh"
        ACTION = "action", "console action"
        WATCHER = "watcher", "background watcher"

    region = models.CharField(max_length=64)
    project_id = models.CharField(max_length=64)
    resource_type = models.CharField(max_length=16)
    resource_id = models.CharField(max_length=64)
    from_status = models.CharField(max_length=32, blank=True)
    to_status = models.CharField(max_length=32)
    observed_at = models.DateTimeField(db_index=True)
    request_id = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.REFRESH)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["observed_at", "id"]
        indexes = [
            models.Index(
                fields=["project_id", "region", "resource_type", "resource_id"], name="lifecycle_resource"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource_type} {self.resource_id}: {self.from_status or '-'} -> {self.to_status}"


class Watch(models.Model):
    """The background watcher of one project in one region (console.watch, console.tasks).

    Every console action that changes a volume, snapshot or backup starts (or extends) the project's
    one active watch; Celery steps it until nothing in the project is moving, refreshing the shared
    listings so that every status change becomes a LifecycleEvent even when no page is open. The row
    keeps the *session key* of the user whose action started it, never the token: a step loads that
    session server-side. Rows survive worker restarts, and beat re-drives the active ones.
    """

    class End(models.TextChoices):
        SETTLED = "settled", "everything reached a terminal status"
        GAVE_UP = "gave_up", "gave up after WATCH_MAX_SECONDS"
        SESSION_ENDED = "session_ended", "the user's session ended or its token expired"
        TOKEN_REFUSED = "token_refused", "the cloud refused the session's token"

    region = models.CharField(max_length=64)
    project_id = models.CharField(max_length=64)
    session_key = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="The watch gives up after this time.")
    next_run_at = models.DateTimeField(help_text="When the next step is due (a running step holds it later).")
    last_run_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)
    quiet_runs = models.PositiveIntegerField(default=0, help_text="Steps in a row that saw no change.")
    signature = models.CharField(max_length=64, blank=True, help_text="Digest of the statuses last seen.")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=End.choices, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project_id", "region"],
                condition=models.Q(ended_at__isnull=True),
                name="one_active_watch_per_project",
            )
        ]
        indexes = [models.Index(fields=["ended_at", "next_run_at"], name="watch_due")]

    def __str__(self) -> str:
        state = self.end_reason or "active"
        return f"watch of {self.project_id} in {self.region} ({state})"
