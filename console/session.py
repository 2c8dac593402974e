"""What a login keeps in the (server-side) session, and the CloudContext built from it.

The session holds the token under TOKEN_KEY and everything else under CLOUD_KEY:

    {"expires_at": ISO 8601, "user_id", "user_name", "project_id", "project_name",
     "roles": [...], "read_only": bool, "method": "password" or "application_credential",
     "regions": {region: {"volume": url, "compute": url, "type": catalog type,
                          "dialect": ..., "microversion": ...}},
     "region": the chosen region}

A region's dialect is discovered (console.api.dialects.discover) when the region is first used:
at login for the first region, at the region switch for the others.

Sessions are database-backed (settings.SESSION_ENGINE), so the token never leaves the server. It is
kept apart so that only `cloud_context()` ever holds it in a local variable (marked sensitive, so
error reports leave it out).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_variables

from console.api.context import CloudContext, Priority
from console.api.dialects import discover
from console.api.errors import Unauthorized
from console.api.identity import AuthResult
from console.redact import secret_note

CLOUD_KEY = "cloud"
TOKEN_KEY = "cloud_token"  # noqa: S105 - the session key under which the token is kept
CLOUD_BACKEND = "console.auth.CloudBackend"


@sensitive_variables("result")
def store_login(request: HttpRequest, result: AuthResult, *, region: str = "") -> None:
    """Keep what the console needs from a fresh login (or a switch of project); the session ends
    when the token does. `region`: the one to work in, when the catalog has it (else the first)."""
    regions = {
        name: {
            "volume": endpoints.volume_url,
            "compute": endpoints.compute_url,
            "type": endpoints.volume_type,
        }
        for name, endpoints in sorted(result.regions.items())
    }
    request.session[TOKEN_KEY] = result.token
    request.session[CLOUD_KEY] = {
        "expires_at": result.expires_at.isoformat(),
        "user_id": result.user_id,
        "user_name": result.user_name,
        "project_id": result.project_id,
        "project_name": result.project_name,
        "roles": list(result.roles),
        "read_only": result.read_only(settings.CLOUD_WRITER_ROLES),
        "method": result.method,
        "regions": regions,
        "region": region if region in regions else next(iter(regions)),
    }
    request.session.set_expiry(result.expires_at)
    _discover(request, request.session[CLOUD_KEY]["region"])


@sensitive_variables("token")
def _discover(request: HttpRequest, region: str) -> dict:
    """The region's endpoints, with the dialect they speak (found once, then kept in the session)."""
    login = request.session[CLOUD_KEY]
    entry = login["regions"][region]
    if "dialect" not in entry:
        caller = CloudContext(
            token=request.session.get(TOKEN_KEY, ""),
            user_id=login["user_id"],
            user_name=login["user_name"],
            project_id=login["project_id"],
            project_name=login["project_name"],
            region=region,
            volume_url=entry["volume"],
            compute_url=entry["compute"],
            console_request_id=getattr(request, "console_request_id", ""),
        )
        found = discover(caller, service_type=entry.get("type", "volume"))
        entry["dialect"], entry["microversion"] = found.dialect, found.microversion
        request.session.modified = True
    return entry


def is_read_only(request: HttpRequest) -> bool:
    """Whether the logged-in user's roles only let them read (see AuthResult.read_only)."""
    login = cloud_login(request)
    return bool(login and login.get("read_only"))


def is_cloud_login(request: HttpRequest) -> bool:
    """Whether the logged-in user came through the cloud login (and not, say, the admin site)."""
    if not request.user.is_authenticated:
        return False
    return request.session.get(BACKEND_SESSION_KEY) == CLOUD_BACKEND


def cloud_login(request: HttpRequest) -> dict | None:
    if not request.user.is_authenticated:
        return None
    return request.session.get(CLOUD_KEY)


def token_expired(request: HttpRequest) -> bool:
    login = cloud_login(request)
    if login is None:
        return True
    return datetime.fromisoformat(login["expires_at"]) <= timezone.now()


def regions(request: HttpRequest) -> list[str]:
    login = cloud_login(request)
    return list(login["regions"]) if login else []


def current_region(request: HttpRequest) -> str:
    login = cloud_login(request)
    return login["region"] if login else ""


def switch_region(request: HttpRequest, region: str) -> bool:
    """Choose the region the next calls go to; False when the catalog has no such region."""
    login = cloud_login(request)
    if login is None or region not in login["regions"]:
        return False
    login["region"] = region
    request.session.modified = True
    _discover(request, region)
    return True


@sensitive_variables("token")
def cloud_context(request: HttpRequest) -> CloudContext:
    """The CloudContext of the logged-in user in the chosen region.

    Raises Unauthorized when there is no cloud login (e.g. an admin-site session); the
    CloudSessionMiddleware turns that into a trip to the login page.
    """
    login = cloud_login(request)
    token = request.session.get(TOKEN_KEY)
    if login is None or not token:
        raise Unauthorized(401, "Not logged in to the cloud.")
    secret_note(token)
    endpoints = _discover(request, login["region"])
    return CloudContext(
        token=token,
        user_id=login["user_id"],
        user_name=login["user_name"],
        project_id=login["project_id"],
        project_name=login["project_name"],
        region=login["region"],
        volume_url=endpoints["volume"],
        compute_url=endpoints["compute"],
        console_request_id=getattr(request, "console_request_id", ""),
        session_key=request.session.session_key or "",
        other_regions=_other_regions(login, login["region"]),
        dialect=endpoints["dialect"],
        microversion=endpoints["microversion"],
    )


@sensitive_variables("token")
def cloud_context_from_session(
    store: SessionBase, *, region: str, priority: Priority = Priority.BACKGROUND
) -> CloudContext:
    """The CloudContext of a session loaded server-side by its key (background work: the token never
    travels in a task message). Raises Unauthorized when the session is gone, has no cloud login,
    its token has expired, or its catalog has no such region."""
    login = store.get(CLOUD_KEY)
    token = store.get(TOKEN_KEY)
    if login is None or not token:
        raise Unauthorized(401, "The session has ended.")
    if datetime.fromisoformat(login["expires_at"]) <= timezone.now():
        raise Unauthorized(401, "The session's token has expired.")
    if region not in login["regions"]:
        raise Unauthorized(401, "The session has no access to this region.")
    endpoints = login["regions"][region]
    return CloudContext(
        token=token,
        user_id=login["user_id"],
        user_name=login["user_name"],
        project_id=login["project_id"],
        project_name=login["project_name"],
        region=region,
        volume_url=endpoints["volume"],
        compute_url=endpoints["compute"],
        priority=priority,
        session_key=store.session_key or "",
        other_regions=_other_regions(login, region),
        # A region is discovered before anything is done in it (CloudContext's default otherwise).
        dialect=endpoints.get("dialect", CloudContext.dialect),
        microversion=endpoints.get("microversion", ""),
    )


def _other_regions(login: dict, region: str) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (name, endpoints["volume"], endpoints["compute"])
        for name, endpoints in login["regions"].items()
        if name != region
    )


def safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    """`candidate` when it is a local URL of this console, else None (no open redirects)."""
    if not candidate:
        return None
    if not candidate.startswith("/") and "://" not in candidate:
        # A bare word ("NaN", "overview") is no URL: redirect() would look it up as a view name
        # and fail with a 500.
        return None
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None
