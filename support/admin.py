from django.contrib import admin
from django.http import HttpRequest

from support.models import ApiCall


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    """The request log, read-only: support staff look calls up, nobody edits history."""

    list_display = [
        "created_at",
        "request_id",
        "method",
        "path",
        "status",
        "fault",
        "duration_ms",
        "waited_ms",
        "user_name",
        "project_name",
        "region",
    ]
    list_filter = ["service", "method", "status", "region"]
    search_fields = ["=request_id", "=console_request_id", "=resource_id", "=project_id", "user_name"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiCall | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiCall | None = None) -> bool:
        return False
