"""Identity v3 and v2.0: password authentication, project-scoped tokens, the service catalog."""

from __future__ import annotations

import secrets
import sqlite3
from datetime import UTC, datetime
from typing import Any

from .config import REGIONS, Config
from .store import Store
from .wire import ApiError, Reply, Request, bad_request, parse_json_object

WRONG_CREDENTIALS = (
    "The request you have made requires authentication: invalid username, password or project."
)
DOMAIN = {"id": "default", "name": "Default"}
ROLES = [{"id": "9fe2ff9ee4384b1894a90878d3e92bab", "name": "member"}]
# (service id, type, name, endpoint path for a region and project)
SERVICES = (
    ("130", "volume", "Block Storage", "/volume/{region}/v1/{project}"),
    ("100", "compute", "Compute", "/compute/{region}/v2/{project}"),
    ("190", "identity", "Identity", "/v3"),
)


TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
}


def error_reply(error: ApiError, host: str) -> Reply:
    """An Identity error as Keystone answers it (v3 and v2.0 alike), JSON only:
    {"error": {"code": 401, "title": "Unauthorized", "message": "..."}}; a 401 also names where to
    authenticate in WWW-Authenticate, as Keystone does."""
    title = TITLES.get(error.status) or ("Bad Request" if error.status < 500 else "Internal Server Error")
    headers = {"WWW-Authenticate": f'Keystone uri="http://{host}/v3"'} if error.status == 401 else {}
    body = {"error": {"code": error.status, "title": title, "message": error.message}}
    return Reply(error.status, body, headers=headers, json_only=True)


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def catalog_v3(host: str, project_id: str) -> list[dict[str, Any]]:
    catalog = []
    for service_id, kind, name, path in SERVICES:
        endpoints = []
        for index, region in enumerate(REGIONS):
            endpoint_id = f"{service_id}{index:03d}_P"
            endpoints.append(
                {
                    "id": endpoint_id,
                    "interface": "public",
                    "region": region,
                    "region_id": region,
                    "url": f"http://{host}" + path.format(region=region, project=project_id),
                    "service_Id": service_id,
                    "links": {"self": f"http://{host}/v3/endpoints/{endpoint_id}"},
                }
            )
        catalog.append(
            {
                "endpoints": endpoints,
                "type": kind,
                "id": service_id,
                "name": name,
                "links": {"self": f"http://{host}/v3/services/{service_id}"},
            }
        )
    return catalog


def catalog_v2(host: str, project_id: str) -> list[dict[str, Any]]:
    catalog = []
    for service_id, kind, name, path in SERVICES:
        endpoints = []
        for index, region in enumerate(REGIONS):
            url = f"http://{host}" + (
                "/v2.0" if kind == "identity" else path.format(region=region, project=project_id)
            )
            endpoints.append(
                {
                    "id": f"{service_id}{index:03d}_P",
                    "region": region,
                    "publicURL": url,
                    "internalURL": url,
                    "adminURL": url,
                    "tenantId": project_id,
                }
            )
        catalog.append({"type": kind, "name": name, "endpoints": endpoints, "endpoints_links": []})
    return catalog


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(f"Malformed request body: {what} must be an object.")
    return value


def _project_for(store: Store, user_id: str, name: str | None, project_id: str | None) -> sqlite3.Row:
    """The project the token is scoped to; the user must be a member (else 401, saying nothing more)."""
    sql = "SELECT p.* FROM projects p JOIN members m ON m.project_id = p.id WHERE m.user_id = ?"
    if project_id:
        row = store.one(sql + " AND p.id = ?", user_id, project_id)
    elif name:
        row = store.one(sql + " AND p.name = ?", user_id, name)
    else:
        row = store.one(sql + " ORDER BY p.id LIMIT 1", user_id)
    if row is None:
        raise ApiError(401, WRONG_CREDENTIALS)
    return row


def _user(store: Store, name: Any, user_id: Any, password: Any) -> sqlite3.Row:
    if not isinstance(password, str) or not (isinstance(name, str) or isinstance(user_id, str)):
        raise ApiError(401, WRONG_CREDENTIALS)
    if not isinstance(name, str):
        row = store.one("SELECT name FROM users WHERE id = ?", user_id)
        name = row["name"] if row else ""
    user = store.check_password(name, password)
    if user is None:
        raise ApiError(401, WRONG_CREDENTIALS)
    return user


def token_v3(store: Store, config: Config, request: Request) -> Reply:
    """POST /v3/auth/tokens: password (or token) method, project scope by name or id."""
    auth = _dict(parse_json_object(request).get("auth"), "auth")
    identity = _dict(auth.get("identity"), "auth.identity")
    methods = identity.get("methods")
    if not isinstance(methods, list) or not methods:
        raise bad_request("Malformed request body: auth.identity.methods must list 'password'.")
    if "password" in methods:
        user_data = _dict(_dict(identity.get("password"), "password").get("user"), "password.user")
        user = _user(store, user_data.get("name"), user_data.get("id"), user_data.get("password"))
    elif "token" in methods:
        token_id = _dict(identity.get("token"), "token").get("id")
        existing = store.token(token_id) if isinstance(token_id, str) else None
        if existing is None:
            raise ApiError(401, WRONG_CREDENTIALS)
        user = store.one("SELECT * FROM users WHERE id = ?", existing["user_id"])
    else:
        raise bad_request("Unsupported authentication method: use 'password'.")
    scope = auth.get("scope")
    project_name = project_id = None
    if scope is not None:
        project = _dict(_dict(scope, "auth.scope").get("project"), "auth.scope.project")
        project_name, project_id = project.get("name"), project.get("id")
        if not isinstance(project_name, str | None) or not isinstance(project_id, str | None):
            raise bad_request("Malformed request body: the project name and id are strings.")
        if not project_name and not project_id:
            raise bad_request("Malformed request body: the project scope needs a name or an id.")
    project = _project_for(store, user["id"], project_name, project_id)
    token, issued, expires = store.issue_token(user["id"], project["id"], config.token_ttl, ",".join(methods))
    body = {
        "token": {
            "expires_at": iso(expires),
            "issued_at": iso(issued),
            "methods": methods,
            "audit_ids": [secrets.token_urlsafe(16)],
            "user": {"id": user["id"], "name": user["name"], "domain": DOMAIN, "password_expires_at": None},
            "project": {"id": project["id"], "name": project["name"], "domain": DOMAIN},
            "roles": ROLES,
            "is_domain": False,
            "catalog": catalog_v3(request.host, project["id"]),
        }
    }
    return Reply(201, body, headers={"X-Subject-Token": token}, json_only=True)


def token_v2(store: Store, config: Config, request: Request) -> Reply:
    """POST /v2.0/tokens: passwordCredentials plus tenantName or tenantId."""
    auth = _dict(parse_json_object(request).get("auth"), "auth")
    credentials = _dict(auth.get("passwordCredentials"), "auth.passwordCredentials")
    user = _user(store, credentials.get("username"), credentials.get("userId"), credentials.get("password"))
    tenant_name, tenant_id = auth.get("tenantName"), auth.get("tenantId")
    if not isinstance(tenant_name, str | None) or not isinstance(tenant_id, str | None):
        raise bad_request("Malformed request body: tenantName and tenantId are strings.")
    project = _project_for(store, user["id"], tenant_name, tenant_id)
    token, issued, expires = store.issue_token(user["id"], project["id"], config.token_ttl, "password")
    body = {
        "access": {
            "token": {
                "id": token,
                "issued_at": iso(issued),
                "expires": iso(expires)[:19] + "Z",
                "tenant": {
                    "id": project["id"],
                    "name": project["name"],
                    "enabled": True,
                    "description": None,
                },
                "audit_ids": [secrets.token_urlsafe(16)],
            },
            "serviceCatalog": catalog_v2(request.host, project["id"]),
            "user": {
                "id": user["id"],
                "name": user["name"],
                "username": user["name"],
                "roles": [{"name": role["name"]} for role in ROLES],
                "roles_links": [],
            },
            "metadata": {"is_admin": 0, "roles": [role["id"] for role in ROLES]},
        }
    }
    return Reply(200, body, json_only=True)


def version_v3(host: str) -> dict[str, Any]:
    return {
        "id": "v3.0",
        "status": "stable",
        "updated": "2013-03-06T00:00:00Z",
        "links": [{"rel": "self", "href": f"http://{host}/v3/"}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
    }


def version_v2(host: str) -> dict[str, Any]:
    return {
        "id": "v2.0",
        "status": "deprecated",
        "updated": "2014-04-17T00:00:00Z",
        "links": [{"rel": "self", "href": f"http://{host}/v2.0/"}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v2.0+json"}],
    }
