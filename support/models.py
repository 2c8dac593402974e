"""The request log: one row per outbound call to the cloud (console.api writes them)."""

from __future__ import annotations

from django.db import models


class ApiCall(models.Model):
    """One outbound call: Identity, Block Storage or Compute, each retry attempt its own row.

    Never holds a token, a password or a request body. `request_id` is the cloud's
    X-Compute-Request-Id (empty when none came back); `console_request_id` is the X-Request-Id of
    the console request that caused the call, so support can follow one click to every call it made.
    """

    class Service(models.TextChoices):
        IDENTITY = "identity", "Identity"
        VOLUME = "volume", "Block Storage"
        COMPUTE = "compute", "Compute"

    created_at = models.DateTimeField(help_text="When the call was sent.")
    request_id = models.CharField(max_length=128, blank=True)
    console_request_id = models.CharField(max_length=128, blank=True)
    user_id = models.CharField(max_length=64, blank=True)
    user_name = models.CharField(max_length=255, blank=True)
    project_id = models.CharField(max_length=64, blank=True)
    project_name = models.CharField(max_length=255, blank=True)
    region = models.CharField(max_length=64, blank=True)
    service = models.CharField(max_length=16, choices=Service.choices)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512, help_text="The URL path, without host or query string.")
    status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: no response.")
    duration_ms = models.PositiveIntegerField()
    waited_ms = models.PositiveIntegerField(
        default=0,
        help_text="How long the call waited for its turn in the project's call budget before it was sent.",
    )
    attempt = models.PositiveSmallIntegerField(default=1, help_text="2 and up: a retry of a read.")
    priority = models.CharField(max_length=16, blank=True)
    fault = models.CharField(max_length=64, blank=True, help_text="The fault's name, e.g. itemNotFound.")
    message = models.TextField(blank=True)
    resource_type = models.CharField(max_length=32, blank=True)
    resource_id = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API call"
        indexes = [
            models.Index(fields=["request_id"], name="apicall_request_id"),
            models.Index(fields=["console_request_id"], name="apicall_console_request_id"),
            models.Index(fields=["created_at"], name="apicall_created_at"),
            models.Index(fields=["project_id", "created_at"], name="apicall_project_created"),
            models.Index(fields=["resource_id"], name="apicall_resource_id"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status or 'no response'} ({self.request_id or 'no id'})"


class SupportGrant(models.Model):
    """Support access granted to a cloud user by name (`manage.py support_access grant NAME`).

    The console knows a cloud user only from their first login (its local user is named by the cloud
    user id), so a grant is kept by the cloud user name: users already known join the "Support staff"
    group at once, the others when they next log in. Revoking deletes the grant and takes the group
    away from every user of that name.
    """

    user_name = models.CharField(max_length=255, unique=True, help_text="The cloud user name.")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_name"]

    def __str__(self) -> str:
        return self.user_name
