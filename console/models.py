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
            models.Index(fields=["project_id", "region", "resource_type", "resource_id"], name="lifecycle_resource"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_type} {self.resource_id}: {self.from_status or '-'} -> {self.to_status}"
