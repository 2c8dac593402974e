"""Identity v3: logging in, the catalog of the project's endpoints, and the user's other projects.

`authenticate()` posts a password to {IDENTITY_URL}/auth/tokens (always JSON), the user in their
domain and the token scoped to the project by name in its domain (both `Default` unless typed).
When that is refused (401) and `project` looks like a project id, it tries once more scoped by id,
so people may type either. `authenticate_application_credential()` logs in with an application
credential (id and secret), whose token is bound to the credential's project. `rescope()` trades
the current token for one of another of the user's projects, which `project_list()` lists.

Wrong credentials raise Unauthorized; a catalog without a Block Storage endpoint raises
CatalogError. Identity calls are logged like every call but take no budget slot.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from console.api import http
from console.api.context import CloudContext
from console.api.dialects import BLOCK_STORAGE_TYPES
from console.api.errors import CatalogError, HostNotAllowed, MalformedResponse, Unauthorized
from console.api.records import Project
from console.api.wire import JSON, DecodeError, WireFormat, checked_id, checked_text, checked_time, decoding
from console.redact import secret_note

# Project ids are digits or hex (the emulator's are 14 digits, OpenStack's 32 hex characters).
PROJECT_ID = re.compile(r"[0-9a-fA-F]{8,64}")
# Every Keystone has the domain `Default`, whose id is `default`.
DEFAULT_DOMAIN_NAME = "Default"
DEFAULT_DOMAIN = {"id": "default"}
PASSWORD = "password"  # noqa: S105 - the name of the password method, no password
APPLICATION_CREDENTIAL = "application_credential"


def domain_ref(name: str) -> dict[str, str]:
    """How a typed domain is sent: the default domain by its fixed id (whatever it is called now),
    any other by name."""
    name = (name or "").strip()
    if not name or name.lower() in (DEFAULT_DOMAIN_NAME.lower(), DEFAULT_DOMAIN["id"]):
        return dict(DEFAULT_DOMAIN)
    return {"name": name}


@dataclass(frozen=True)
class Endpoints:
    """The public endpoints of one region. compute_url is "" when the region has no Compute.
    volume_type is the catalog type the Block Storage endpoint was found under."""

    region: str
    volume_url: str
    compute_url: str
    volume_type: str = "volume"


@dataclass(frozen=True)
class AuthResult:
    token: str = field(repr=False)
    expires_at: datetime
    user_id: str
    user_name: str
    project_id: str
    project_name: str
    regions: dict[str, Endpoints]  # region name -> endpoints, in catalog order
    roles: tuple[str, ...] = ()  # the user's roles in the project (Identity includes implied roles)
    method: str = PASSWORD  # how the user logged in: PASSWORD or APPLICATION_CREDENTIAL

    def read_only(self, writer_roles: Iterable[str]) -> bool:
        """Whether the roles only allow reading: "reader" without any of `writer_roles`. A cloud that
        names no roles is not read-only (the cloud still decides; its refusals are shown)."""
        roles = {role.lower() for role in self.roles}
        return "reader" in roles and not roles & {role.lower() for role in writer_roles}


@sensitive_variables("password")
def authenticate(
    *,
    username: str,
    password: str,
    project: str,
    user_domain: str = DEFAULT_DOMAIN_NAME,
    project_domain: str = DEFAULT_DOMAIN_NAME,
    console_request_id: str = "",
) -> AuthResult:
    """Log in to Identity with a password, scoped to `project` (a name in `project_domain`, or
    failing that an id)."""
    secret_note(password)
    identity = {
        "methods": [PASSWORD],
        PASSWORD: {"user": {"name": username, "domain": domain_ref(user_domain), "password": password}},
    }
    try:
        return _token_create(
            identity=identity,
            scope={"name": project, "domain": domain_ref(project_domain)},
            caller_name=username,
            console_request_id=console_request_id,
        )
    except Unauthorized:
        if not PROJECT_ID.fullmatch(project):
            raise
    return _token_create(
        identity=identity, scope={"id": project}, caller_name=username, console_request_id=console_request_id
    )


@sensitive_variables("secret")
def authenticate_application_credential(
    *, credential_id: str, secret: str, console_request_id: str = ""
) -> AuthResult:
    """Log in with an application credential: its token is scoped to the credential's project."""
    secret_note(secret)
    identity = {
        "methods": [APPLICATION_CREDENTIAL],
        APPLICATION_CREDENTIAL: {"id": credential_id, "secret": secret},
    }
    return _token_create(identity=identity, scope=None, caller_name="", console_request_id=console_request_id)


@sensitive_variables("token")
def rescope(ctx: CloudContext, *, project_id: str) -> AuthResult:
    """A token for another of the user's projects, in exchange for the current one (no password)."""
    identity = {"methods": ["token"], "token": {"id": ctx.token}}
    return _token_create(
        identity=identity,
        scope={"id": project_id},
        caller_name=ctx.user_name,
        console_request_id=ctx.console_request_id,
    )


def project_list(ctx: CloudContext) -> list[Project]:
    """The projects the logged-in user may work in (GET /auth/projects), enabled ones, by name."""
    reply = http.request(
        ctx,
        service=http.IDENTITY,
        method="GET",
        url=settings.IDENTITY_URL.rstrip("/") + "/auth/projects",
        fmt=JSON,
        decode=_projects_decode,
    )
    return sorted((p for p in reply.data if p.enabled), key=lambda p: (p.name.lower(), p.id))


@sensitive_variables("identity", "body", "reply", "token", "result")
def _token_create(
    *,
    identity: Mapping[str, Any],
    scope: Mapping[str, Any] | None,
    caller_name: str,
    console_request_id: str,
) -> AuthResult:
    body: dict[str, Any] = {"auth": {"identity": dict(identity)}}
    if scope is not None:
        body["auth"]["scope"] = {"project": dict(scope)}
    scope = scope or {}
    # Who is calling, for the request log: nobody is known yet but the names typed in.
    caller = CloudContext(
        token="",
        user_id="",
        user_name=caller_name,
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
    method = APPLICATION_CREDENTIAL if APPLICATION_CREDENTIAL in identity["methods"] else PASSWORD
    result = dataclasses.replace(reply.data, token=token, method=method)
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
            roles=tuple(_name(role["name"]) for role in document.get("roles") or () if role.get("name")),
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


@decoding
def _projects_decode(fmt: WireFormat, content: bytes) -> list[Project]:
    return [
        Project(
            id=checked_id(project["id"], "project id"),
            name=_name(project.get("name") or project["id"]),
            domain_id=checked_text(project.get("domain_id")),
            enabled=project.get("enabled") is not False,
        )
        for project in fmt.many(content, "projects")
    ]


def _regions(catalog: list[Mapping[str, Any]]) -> dict[str, Endpoints]:
    """Public endpoints of Block Storage and Compute per region; only regions with Block Storage
    count. Block Storage is the first of BLOCK_STORAGE_TYPES the region has (`block-storage`,
    `volumev3`, ... `volume`). Endpoints name their region as "region" or "region_id"."""
    wanted = (*BLOCK_STORAGE_TYPES, http.COMPUTE)
    urls: dict[str, dict[str, str]] = {}
    if not isinstance(catalog, list):
        raise DecodeError("the catalog is not a list")
    for service in catalog:
        kind = service.get("type")
        if kind not in wanted:
            continue
        for endpoint in service.get("endpoints") or ():
            if endpoint.get("interface", "public") != "public":
                continue
            region = checked_text(endpoint.get("region") or endpoint.get("region_id")) or ""
            if len(region) > MAX_REGION:
                raise DecodeError(f"not a region name: {region[:80]!r}")
            urls.setdefault(region, {}).setdefault(kind, checked_text(endpoint["url"]) or "")
    regions = {}
    for region, found in urls.items():
        volume_type = next((kind for kind in BLOCK_STORAGE_TYPES if kind in found), None)
        if volume_type is None:
            continue
        regions[region] = Endpoints(
            region=region,
            volume_url=found[volume_type],
            compute_url=found.get(http.COMPUTE, ""),
            volume_type=volume_type,
        )
    return regions


def identity_probe(*, timeout: float = 2.0) -> int:
    """GET the Identity version document (IDENTITY_URL) and return the HTTP status, for /healthz.

    A reachability probe, not an API call: no token, no budget slot, no request-log row (a load
    balancer asks every few seconds). Raises ConnectionFailed or Timeout when Identity is unreachable.
    """
    return http.probe(settings.IDENTITY_URL, timeout=timeout)
