"""Identity v3: password login scoped to a project, and the catalog of the project's endpoints.

`authenticate()` posts to {IDENTITY_URL}/auth/tokens (always JSON), scoped to the project by name.
When that is refused (401) and `project` looks like a project id, it tries once more scoped by id,
so people may type either. Wrong credentials raise Unauthorized; a catalog without a Block Storage
endpoint raises CatalogError. Identity calls are logged like every call but take no budget slot.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from console.api import http
from console.api.context import CloudContext
from console.api.errors import CatalogError, HostNotAllowed, MalformedResponse, Unauthorized
from console.api.wire import JSON, DecodeError, WireFormat, checked_id, checked_text, checked_time
from console.redact import secret_note

# Project ids are digits or hex (the emulator's are 14 digits, OpenStack's 32 hex characters).
PROJECT_ID = re.compile(r"[0-9a-fA-F]{8,64}")
DEFAULT_DOMAIN = {"id": "default"}


@dataclass(frozen=True)
class Endpoints:
    """The public endpoints of one region. compute_url is "" when the region has no Compute."""

    region: str
    volume_url: str
    compute_url: str


@dataclass(frozen=True)
class AuthResult:
    token: str = field(repr=False)
    expires_at: datetime
    user_id: str
    user_name: str
    project_id: str
    project_name: str
    regions: dict[str, Endpoints]  # region name -> endpoints, in catalog order


@sensitive_variables("password")
def authenticate(*, username: str, password: str, project: str, console_request_id: str = "") -> AuthResult:
    """Log in to Identity with a password, scoped to `project` (a name, or failing that an id)."""
    secret_note(password)
    try:
        return _token_create(
            username=username,
            password=password,
            scope={"name": project, "domain": DEFAULT_DOMAIN},
            console_request_id=console_request_id,
        )
    except Unauthorized:
        if not PROJECT_ID.fullmatch(project):
            raise
    return _token_create(
        username=username, password=password, scope={"id": project}, console_request_id=console_request_id
    )


@sensitive_variables("password", "body", "reply", "token", "result")
def _token_create(
    *, username: str, password: str, scope: Mapping[str, Any], console_request_id: str
) -> AuthResult:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": username, "domain": DEFAULT_DOMAIN, "password": password}},
            },
            "scope": {"project": dict(scope)},
        }
    }
    # Who is calling, for the request log: nobody is known yet but the names typed in.
    caller = CloudContext(
        token="",
        user_id="",
        user_name=username,
        project_id=str(scope.get("id", "")),
        project_name=str(scope.get("name", "")),
        region="",
        volume_url="",
        compute_url="",
        console_request_id=console_request_id,
    )
    reply = http.request(
        caller,
        service=http.IDENTITY,
        method="POST",
        url=settings.IDENTITY_URL.rstrip("/") + "/auth/tokens",
        fmt=JSON,
        body=json.dumps(body).encode(),
        decode=_token_decode,
    )
    token = reply.headers.get("X-Subject-Token", "")
    if not token:
        raise MalformedResponse(
            reply.status, "Identity answered without a token.", request_id=reply.request_id
        )
    result = dataclasses.replace(reply.data, token=token)
    _catalog_hosts_check(result, request_id=reply.request_id)
    if not result.regions:
        raise CatalogError(
            None,
            "Your project has no Block Storage endpoint in the service catalog, so the console cannot "
            "manage its volumes. Ask your cloud administrator to enable Block Storage for the project.",
            fault="catalogError",
            request_id=reply.request_id,
        )
    return result


def _catalog_hosts_check(result: AuthResult, *, request_id: str) -> None:
    """Refuse a login (HostNotAllowed) whose catalog would take the token where it may not go
    (outside API_TOKEN_HOSTS, or plain HTTP when Identity is HTTPS)."""
    for endpoints in result.regions.values():
        for url in (endpoints.volume_url, endpoints.compute_url):
            if not url:
                continue
            try:
                http.token_destination_check(url, endpoints=(url,))
            except HostNotAllowed:
                where = urlsplit(url).netloc or url
                raise HostNotAllowed(
                    None,
                    f"Your project's service catalog points at {where[:200]}, where this console may not "
                    "send your token, so it cannot log you in.",
                    fault="hostNotAllowed",
                    request_id=request_id,
                ) from None


# Names are shown and stored (the request log keeps 255 characters, regions 64).
MAX_NAME = 255
MAX_REGION = 64


def _token_decode(fmt: WireFormat, content: bytes) -> AuthResult:
    """The token document of a login (the token itself comes in a header: filled in by the caller).

    Identity is a cloud answer like any other: ids must be ids the console can store and use, names
    text it can show; anything else refuses the login as an unreadable answer."""
    try:
        document = json.loads(content)["token"]
        user, project = document["user"], document["project"]
        expires_at = checked_time(str(document["expires_at"]).replace("Z", "+00:00"))
        if expires_at is None:
            raise DecodeError("the token has no expiry")
        return AuthResult(
            token="",
            expires_at=expires_at,
            user_id=checked_id(user["id"], "user id"),
            user_name=_name(user["name"]),
            project_id=checked_id(project["id"], "project id"),
            project_name=_name(project["name"]),
            regions=_regions(document.get("catalog") or []),
        )
    except DecodeError:
        raise
    except Exception as exc:  # whatever the document makes the decoder trip on (see wire.decoding)
        raise DecodeError(f"{type(exc).__name__}: {str(exc)[:200]}") from exc


def _name(value: Any) -> str:
    name = checked_text(value) or ""
    if not name or len(name) > MAX_NAME:
        raise DecodeError(f"not a name: {name[:80]!r}")
    return name


def _regions(catalog: list[Mapping[str, Any]]) -> dict[str, Endpoints]:
    """Public endpoints of the "volume" and "compute" services per region; only regions with a
    volume endpoint count. Endpoints name their region as "region" or "region_id"."""
    urls: dict[str, dict[str, str]] = {}
    if not isinstance(catalog, list):
        raise DecodeError("the catalog is not a list")
    for service in catalog:
        kind = service.get("type")
        if kind not in (http.VOLUME, http.COMPUTE):
            continue
        for endpoint in service.get("endpoints") or ():
            if endpoint.get("interface", "public") != "public":
                continue
            region = checked_text(endpoint.get("region") or endpoint.get("region_id")) or ""
            if len(region) > MAX_REGION:
                raise DecodeError(f"not a region name: {region[:80]!r}")
            urls.setdefault(region, {}).setdefault(kind, checked_text(endpoint["url"]) or "")
    return {
        region: Endpoints(
            region=region, volume_url=found[http.VOLUME], compute_url=found.get(http.COMPUTE, "")
        )
        for region, found in urls.items()
        if http.VOLUME in found
    }


def identity_probe(*, timeout: float = 2.0) -> int:
    """GET the Identity version document (IDENTITY_URL) and return the HTTP status, for /healthz.

    A reachability probe, not an API call: no token, no budget slot, no request-log row (a load
    balancer asks every few seconds). Raises ConnectionFailed or Timeout when Identity is unreachable.
    """
    return http.probe(settings.IDENTITY_URL, timeout=timeout)
