"""What a read-only role may do: look at everything, change nothing.

A login whose roles are "reader" without any of CLOUD_WRITER_ROLES (console.api.identity,
AuthResult.read_only) is read-only. Its pages show every resource; the pages that change something
(WRITE_VIEWS: create, edit, extend, delete, restore, attach, detach) answer "your role can only read"
instead of a form whose submission the cloud would refuse with 403, and their POSTs never reach the
cloud. The cloud still decides: a refusal of a role the console did not foresee is shown with its
request id like any other.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console import session

# Every view that changes something in the cloud (URL names). tests/openstack/test_reader.py checks
# that every URL that accepts a POST, other than the frame's own (login, logout, project and region
# switches), is listed.
WRITE_VIEWS = frozenset(
    {
        "volumes:create",
        "volumes:bulk_delete",
        "volumes:edit",
        "volumes:extend",
        "volumes:delete",
        "snapshots:create",
        "snapshots:delete",
        "backups:create",
        "backups:restore",
        "backups:delete",
        "attachments:attach_volume",
        "attachments:attach",
        "attachments:detach",
    }
)
READ_ONLY_STATUS = 403


def read_only_reason(project_name: str) -> str:
    return (
        f"Your role in project {project_name} can only read: you can see everything here, but creating, "
        "changing and deleting is for members of the project. Ask the project's administrator for the "
        "member role if you need it."
    )


class ReadOnlyRoleMiddleware:
    """Answer the write views of a read-only login with a page that says why, before any API call."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.view_name not in WRITE_VIEWS or not session.is_read_only(request):
            return None
        login = session.cloud_login(request) or {}
        context = {"reason": read_only_reason(login.get("project_name", ""))}
        return render(request, "read_only.html", context, status=READ_ONLY_STATUS)
