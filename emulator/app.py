"""The emulator as a function from a Request to a Reply: routing, authentication, faults, hooks.

URL layout (docs/emulator.md): /v3 and /v2.0 identity, /volume/{region}/v1/{project_id}/...,
/compute/{region}/v2/{project_id}/..., /_emulator/... test hooks.

A token used on another project's URL is answered 403 forbidden (the token is valid, it just does not
give access to that project); a missing, unknown or expired token is answered 401 unauthorized.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import identity, rules, views
from .config import REGIONS, ZONES, Config
from .rules import Scope
from .store import Store
from .telemetry import CallLog, Faults, RateLimiter, Stats
from .wire import (
    COMPUTE_NS,
    RATE_LIMITED,
    SERVER_FAULT,
    UNAVAILABLE,
    VOLUME_NS,
    ApiError,
    Reply,
    Request,
    bad_request,
    fault_reply,
    not_found,
    parse_body,
    parse_json_object,
)

log = logging.getLogger("emulator")

Handler = Callable[..., Reply]


@dataclass
class Outcome:
    """A reply plus what the HTTP layer must do with it."""

    reply: Reply
    drop: bool = False  # close the connection without answering
    malformed: bool = False  # answer 200 with a garbled body


@dataclass(frozen=True)
class Context:
    """One API call: the scope plus the URLs its links are built from."""

    scope: Scope
    base: str  # http://HOST/volume/{region}/v1/{project}
    bookmark: str  # http://HOST/volume/{region}/{project}
    request: Request


# (method, pattern, handler name); "{}" matches one path segment (an id).
VOLUME_ROUTES = (
    ("GET", "limits", "limits"),
    ("GET", "volumes", "list_volumes"),
    ("GET", "volumes/detail", "list_volumes_detail"),
    ("POST", "volumes", "create_volume"),
    ("GET", "volumes/{}", "show_volume"),
    ("PUT", "volumes/{}", "update_volume"),
    ("DELETE", "volumes/{}", "delete_volume"),
    ("GET", "snapshots", "list_snapshots"),
    ("GET", "snapshots/detail", "list_snapshots"),
    ("POST", "snapshots", "create_snapshot"),
    ("GET", "snapshots/{}", "show_snapshot"),
    ("DELETE", "snapshots/{}", "delete_snapshot"),
    ("GET", "backups", "list_backups"),
    ("GET", "backups/detail", "list_backups_detail"),
    ("POST", "backups", "create_backup"),
    ("GET", "backups/{}", "show_backup"),
    ("DELETE", "backups/{}", "delete_backup"),
    ("POST", "backups/{}/restore", "restore_backup"),
)
COMPUTE_ROUTES = (
    ("GET", "servers", "list_servers"),
    ("GET", "servers/detail", "list_servers"),
    ("GET", "servers/{}", "show_server"),
    ("GET", "servers/{}/os-volume_attachments", "list_attachments"),
    ("POST", "servers/{}/os-volume_attachments", "attach"),
    ("GET", "servers/{}/os-volume_attachments/{}", "show_attachment"),
    ("DELETE", "servers/{}/os-volume_attachments/{}", "detach"),
    ("GET", "images", "list_images"),
    ("GET", "images/detail", "list_images"),
    ("GET", "images/{}", "show_image"),
)
API_VERSIONS = {"volume": "v1", "compute": "v2"}
VOLUME_FILTERS = ("display_name", "status", "availability_zone")
SNAPSHOT_FILTERS = ("display_name", "status", "volume_id")
BACKUP_FILTERS = ("name", "status", "volume_id")
_SAFE_ID = re.compile(r"[\w.-]{1,64}")


def _match(
    routes: tuple[tuple[str, str, str], ...], method: str, segments: list[str]
) -> tuple[str | None, list[str], str, list[str]]:
    """(handler name or None, ids, path template, methods allowed on that path)."""
    found: list[tuple[int, str, str, list[str], str]] = []
    for route_method, pattern, name in routes:
        parts = pattern.split("/")
        if len(parts) != len(segments):
            continue
        ids = []
        for part, segment in zip(parts, segments, strict=True):
            if part == "{}":
                ids.append(segment)
            elif part != segment:
                break
        else:
            found.append((len(ids), route_method, name, ids, "/" + pattern.replace("{}", "{id}")))
    if not found:
        return None, [], "/" + "/".join(segments), []
    found.sort(key=lambda item: item[0])
    fewest = found[0][0]
    exact = [item for item in found if item[0] == fewest]  # literal segments win over ids
    allowed = sorted({item[1] for item in exact})
    for _, route_method, name, ids, template in exact:
        if route_method == method:
            return name, ids, template, allowed
    return None, [], exact[0][4], allowed


MAX_SEED_SERVERS = 26


def _seed_servers(value: Any) -> list[tuple[str, str]] | None:
    """The accounts hook's optional "servers": [{"name", "zone"}, ...] as (name, zone) pairs ([]: the
    project has no server)."""
    if value is None:
        return None
    problem = (
        f'Invalid servers: a list of at most {MAX_SEED_SERVERS} objects {{"name": a non-empty string of '
        f'at most {rules.MAX_TEXT} characters, "zone": one of {", ".join(ZONES)}}} is required.'
    )
    if not isinstance(value, list) or len(value) > MAX_SEED_SERVERS:  # [] : a project without servers
        raise bad_request(problem)
    servers = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"name", "zone"}:
            raise bad_request(problem)
        name, zone = item["name"], item["zone"]
        if not isinstance(name, str) or not name or len(name) > rules.MAX_TEXT or zone not in ZONES:
            raise bad_request(problem)
        servers.append((name, zone))
    return servers


def _filtered(rows: list[Any], request: Request, keys: tuple[str, ...], column: dict[str, str]) -> list[Any]:
    """Exact-match list filters (?status=available); unknown query parameters are ignored."""
    wanted = {key: request.query[key] for key in keys if request.query.get(key)}
    if not wanted:
        return rows
    return [row for row in rows if all(str(row[column.get(k, k)]) == v for k, v in wanted.items())]


def _page_param(request: Request, key: str, default: int) -> int:
    raw = request.query.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise bad_request(f"{key} param must be an integer") from exc
    if value < 0:
        raise bad_request(f"{key} param must be positive")
    return value


def _limited(rows: list[Any], request: Request, max_limit: int) -> list[Any]:
    """The slice of a list that `offset` and `limit` ask for, as Cinder's v1 lists did: `limit`
    missing, 0 or over the maximum means the maximum; either one not an integer, or negative, is 400.
    v1 pages by offset only: `marker` (v2's) is ignored like any unknown query parameter."""
    offset = _page_param(request, "offset", 0)
    limit = _page_param(request, "limit", max_limit)
    limit = min(max_limit, limit or max_limit)
    return rows[offset : offset + limit]


class Emulator:
    """Everything the HTTP server needs: `handle(request, request_id)`."""

    def __init__(self, config: Config, store: Store | None = None) -> None:
        self.config = config
        self.store = store or Store(config.db_path)
        # Each API has its own budget per project (spec 4.5.2 Rate Limits for Block Storage; 4.5.5
        # points to Compute's own limits for the os-volume_attachments calls).
        self.limiters = {
            "volume": RateLimiter(config.rate, config.burst, config.rate_tolerance),
            "compute": RateLimiter(config.compute_rate, config.compute_burst, config.rate_tolerance),
        }
        self.faults = Faults(dict(config.faults))
        self.stats = Stats()
        self.calls = CallLog()

    # --- entry point -------------------------------------------------------------------------------

    def handle(self, request: Request, request_id: str) -> Outcome:
        started = time.monotonic()
        segments = [segment for segment in request.path.split("/") if segment]
        kind, project_id, template = "other", None, request.path
        outcome: Outcome
        try:
            if segments[:1] == ["_emulator"]:
                kind = "hook"
                outcome = Outcome(self._hook(request, segments[1:]))
            elif (
                len(segments) >= 4
                and segments[0] in API_VERSIONS
                and segments[2] == API_VERSIONS[segments[0]]
            ):
                kind, project_id = segments[0], segments[3]
                outcome, template = self._api_call(request, kind, segments[1], project_id, segments[4:])
            else:
                kind = "identity"
                outcome = Outcome(self._identity(request, segments))
        except ApiError as error:
            outcome = Outcome(self._fault(request, segments, kind, error))
        except Exception:
            log.exception("%s unexpected error on %s %s", request_id, request.method, request.path)
            outcome = Outcome(self._fault(request, segments, kind, ApiError(500, SERVER_FAULT)))
        status: int | str = "dropped" if outcome.drop else outcome.reply.status
        elapsed_ms = (time.monotonic() - started) * 1000
        if kind in API_VERSIONS and project_id:
            self.stats.record(project_id, kind, request.method, template, status, time.time())
        elif kind == "identity" and request.path.rstrip("/") in ("/v3/auth/tokens", "/v2.0/tokens"):
            self.stats.record_identity()
        if kind != "hook":
            self.calls.add(
                {
                    "request_id": request_id,
                    "time": time.time(),
                    "project": project_id,
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round(elapsed_ms, 2),
                }
            )
        log.log(
            logging.DEBUG if kind == "hook" else logging.INFO,
            "%s project=%s %s %s %s %.1fms",
            request_id,
            project_id or "-",
            request.method,
            request.path,
            status,
            elapsed_ms,
        )
        return outcome

    @staticmethod
    def _fault(request: Request, segments: list[str], kind: str, error: ApiError) -> Reply:
        """Identity's errors in Identity's own shape, everything else in the spec's fault shape (4.4)."""
        if kind == "identity" and segments[:1] in (["v3"], ["v2.0"]):
            return identity.error_reply(error, request.host)
        return fault_reply(error, COMPUTE_NS if kind == "compute" else VOLUME_NS)

    # --- the API (volume and compute) ---------------------------------------------------------------

    def _api_call(
        self, request: Request, kind: str, region: str, project_id: str, rest: list[str]
    ) -> tuple[Outcome, str]:
        routes = VOLUME_ROUTES if kind == "volume" else COMPUTE_ROUTES
        name, ids, template, allowed = _match(routes, request.method, rest)
        namespace = VOLUME_NS if kind == "volume" else COMPUTE_NS
        faults = self.faults.for_project(project_id)
        if faults:
            if faults["latency_ms"]:
                time.sleep(faults["latency_ms"] / 1000)
            if Faults.roll(faults["drop_rate"]):
                return Outcome(Reply(0), drop=True), template
            if Faults.roll(faults["overlimit_rate"]):
                return Outcome(fault_reply(ApiError(413, RATE_LIMITED, 1), namespace)), template
            if Faults.roll(faults["error_rate"]):
                error = ApiError(*random.choice(((500, SERVER_FAULT), (503, UNAVAILABLE))))
                return Outcome(fault_reply(error, namespace)), template
        try:
            reply = self._api(request, kind, region, project_id, name, ids, allowed)
        except ApiError as error:
            reply = fault_reply(error, namespace)
        return Outcome(reply, malformed=bool(faults) and Faults.roll(faults["malformed_rate"])), template

    def _api(
        self,
        request: Request,
        kind: str,
        region: str,
        project_id: str,
        name: str | None,
        ids: list[str],
        allowed: list[str],
    ) -> Reply:
        token = request.header("x-auth-token")
        if not token:
            raise ApiError(401, "Authentication required: send a valid X-Auth-Token header.")
        row = self.store.token(token)
        if row is None:
            raise ApiError(401, "The token is invalid or has expired: authenticate again.")
        if row["project_id"] != project_id:
            raise ApiError(
                403, f"The token is not scoped to project {project_id}: use a token issued for it."
            )
        if region not in REGIONS:
            raise not_found(f"Unknown region {region}: use one of {', '.join(REGIONS)}.")
        wait = self.limiters[kind].check(project_id)
        if wait is not None:
            raise ApiError(413, RATE_LIMITED, wait)
        if name is None:
            if allowed:
                raise ApiError(405, f"Method {request.method} is not allowed here; use {', '.join(allowed)}.")
            raise not_found("The resource could not be found.")
        self.store.advance()
        host = request.host
        version = API_VERSIONS[kind]
        context = Context(
            scope=Scope(project_id, region),
            base=f"http://{host}/{kind}/{region}/{version}/{project_id}",
            bookmark=f"http://{host}/{kind}/{region}/{project_id}",
            request=request,
        )
        handler: Handler = getattr(self, "op_" + name)
        return handler(context, *ids)

    # --- volumes --------------------------------------------------------------------------------------

    def _volume_views(self, scope: Scope, rows: list[Any], detail: bool) -> list[dict[str, Any]]:
        attachments = {
            row["volume_id"]: row
            for row in self.store.all(
                "SELECT * FROM attachments WHERE project_id = ? AND region = ?",
                scope.project_id,
                scope.region,
            )
        }
        return [views.volume_view(row, attachments, detail) for row in rows]

    def _volume_reply(self, scope: Scope, row: Any, status: int = 200) -> Reply:
        return views.volume_reply(self._volume_views(scope, [row], detail=True)[0], status)

    def _list_volumes(self, ctx: Context, detail: bool) -> Reply:
        with self.store.lock:
            rows = self.store.all(
                "SELECT * FROM volumes WHERE project_id = ? AND region = ? ORDER BY rowid DESC",
                ctx.scope.project_id,
                ctx.scope.region,
            )
            rows = _filtered(rows, ctx.request, VOLUME_FILTERS, {"availability_zone": "az"})
            rows = _limited(rows, ctx.request, self.config.max_limit)
            return views.volumes_reply(self._volume_views(ctx.scope, rows, detail), detail)

    def op_limits(self, ctx: Context) -> Reply:
        volumes, gigabytes = rules.quota_of(self.store, self.config, ctx.scope.project_id)
        return views.limits_reply(volumes, gigabytes)

    def op_list_volumes(self, ctx: Context) -> Reply:
        return self._list_volumes(ctx, detail=False)

    def op_list_volumes_detail(self, ctx: Context) -> Reply:
        return self._list_volumes(ctx, detail=True)

    def op_show_volume(self, ctx: Context, volume_id: str) -> Reply:
        with self.store.lock:
            return self._volume_reply(ctx.scope, rules.get_volume(self.store, ctx.scope, volume_id))

    def op_create_volume(self, ctx: Context) -> Reply:
        data = parse_body(ctx.request, "volume")
        with self.store.lock:
            row = rules.create_volume(self.store, self.config, ctx.scope, data)
            return self._volume_reply(ctx.scope, row)

    def op_update_volume(self, ctx: Context, volume_id: str) -> Reply:
        data = parse_body(ctx.request, "volume")
        with self.store.lock:
            row = rules.update_volume(self.store, ctx.scope, volume_id, data)
            return self._volume_reply(ctx.scope, row)

    def op_delete_volume(self, ctx: Context, volume_id: str) -> Reply:
        rules.delete_volume(self.store, self.config, ctx.scope, volume_id)
        return Reply(202)

    # --- snapshots ------------------------------------------------------------------------------------

    def op_list_snapshots(self, ctx: Context) -> Reply:
        with self.store.lock:
            rows = self.store.all(
                "SELECT * FROM snapshots WHERE project_id = ? AND region = ? ORDER BY rowid DESC",
                ctx.scope.project_id,
                ctx.scope.region,
            )
        rows = _filtered(rows, ctx.request, SNAPSHOT_FILTERS, {})
        rows = _limited(rows, ctx.request, self.config.max_limit)
        return views.snapshots_reply([views.snapshot_view(row) for row in rows])

    def op_show_snapshot(self, ctx: Context, snapshot_id: str) -> Reply:
        with self.store.lock:
            return views.snapshot_reply(
                views.snapshot_view(rules.get_snapshot(self.store, ctx.scope, snapshot_id))
            )

    def op_create_snapshot(self, ctx: Context) -> Reply:
        data = parse_body(ctx.request, "snapshot")
        row = rules.create_snapshot(self.store, self.config, ctx.scope, data)
        return views.snapshot_reply(views.snapshot_view(row))

    def op_delete_snapshot(self, ctx: Context, snapshot_id: str) -> Reply:
        rules.delete_snapshot(self.store, self.config, ctx.scope, snapshot_id)
        return Reply(202)

    # --- backups --------------------------------------------------------------------------------------

    def _backup_links(self, ctx: Context, backup_id: str) -> list[dict[str, str]]:
        return views.backup_links(ctx.base, ctx.bookmark, backup_id)

    def _list_backups(self, ctx: Context, detail: bool) -> Reply:
        with self.store.lock:
            rows = self.store.all(
                "SELECT * FROM backups WHERE project_id = ? AND region = ? ORDER BY rowid DESC",
                ctx.scope.project_id,
                ctx.scope.region,
            )
        rows = _filtered(rows, ctx.request, BACKUP_FILTERS, {})
        rows = _limited(rows, ctx.request, self.config.max_limit)
        render = views.backup_view if detail else views.backup_summary
        return views.backups_reply([render(row, self._backup_links(ctx, row["id"])) for row in rows])

    def op_list_backups(self, ctx: Context) -> Reply:
        return self._list_backups(ctx, detail=False)

    def op_list_backups_detail(self, ctx: Context) -> Reply:
        return self._list_backups(ctx, detail=True)

    def op_show_backup(self, ctx: Context, backup_id: str) -> Reply:
        with self.store.lock:
            row = rules.get_backup(self.store, ctx.scope, backup_id)
        return views.backup_reply(views.backup_view(row, self._backup_links(ctx, backup_id)))

    def op_create_backup(self, ctx: Context) -> Reply:
        data = parse_body(ctx.request, "backup")
        row = rules.create_backup(self.store, self.config, ctx.scope, data)
        return views.backup_reply(views.backup_summary(row, self._backup_links(ctx, row["id"])), 202)

    def op_delete_backup(self, ctx: Context, backup_id: str) -> Reply:
        rules.delete_backup(self.store, self.config, ctx.scope, backup_id)
        return Reply(202)

    def op_restore_backup(self, ctx: Context, backup_id: str) -> Reply:
        data = parse_body(ctx.request, "restore")
        backup, volume = rules.restore_backup(self.store, self.config, ctx.scope, backup_id, data)
        return views.restore_reply(backup, volume)

    # --- compute --------------------------------------------------------------------------------------

    def op_list_servers(self, ctx: Context) -> Reply:
        with self.store.lock:
            rows = self.store.all(
                "SELECT * FROM servers WHERE project_id = ? AND region = ? ORDER BY name, id",
                ctx.scope.project_id,
                ctx.scope.region,
            )
        servers = [views.server_view(row, ctx.base, ctx.bookmark) for row in rows]
        return views.compute_list_reply("servers", "server", servers)

    def op_show_server(self, ctx: Context, server_id: str) -> Reply:
        with self.store.lock:
            row = rules.get_server(self.store, ctx.scope, server_id)
        return views.compute_item_reply("server", views.server_view(row, ctx.base, ctx.bookmark))

    def op_list_images(self, ctx: Context) -> Reply:
        with self.store.lock:
            rows = self.store.all(
                "SELECT * FROM images WHERE project_id IS NULL OR project_id = ? ORDER BY name",
                ctx.scope.project_id,
            )
        images = [views.image_view(row, ctx.base, ctx.bookmark) for row in rows]
        return views.compute_list_reply("images", "image", images)

    def op_show_image(self, ctx: Context, image_id: str) -> Reply:
        with self.store.lock:
            row = rules.get_image(self.store, ctx.scope, image_id)
        return views.compute_item_reply("image", views.image_view(row, ctx.base, ctx.bookmark))

    def op_list_attachments(self, ctx: Context, server_id: str) -> Reply:
        with self.store.lock:
            rules.get_server(self.store, ctx.scope, server_id)
            rows = self.store.all("SELECT * FROM attachments WHERE server_id = ? ORDER BY device", server_id)
        return views.volume_attachments_reply([views.volume_attachment_view(row) for row in rows])

    def op_attach(self, ctx: Context, server_id: str) -> Reply:
        data = parse_body(ctx.request, "volumeAttachment")
        row = rules.attach_volume(self.store, self.config, ctx.scope, server_id, data)
        return views.volume_attachment_reply(views.volume_attachment_view(row))

    def op_show_attachment(self, ctx: Context, server_id: str, volume_id: str) -> Reply:
        with self.store.lock:
            row = rules.get_attachment(self.store, ctx.scope, server_id, volume_id)
        return views.volume_attachment_reply(views.volume_attachment_view(row))

    def op_detach(self, ctx: Context, server_id: str, volume_id: str) -> Reply:
        rules.detach_volume(self.store, self.config, ctx.scope, server_id, volume_id)
        return Reply(202)

    # --- identity and version documents ---------------------------------------------------------------

    def _identity(self, request: Request, segments: list[str]) -> Reply:
        host = request.host
        path = "/".join(segments)
        if path == "v3/auth/tokens" and request.method == "POST":
            return identity.token_v3(self.store, self.config, request)
        if path == "v2.0/tokens" and request.method == "POST":
            return identity.token_v2(self.store, self.config, request)
        if request.method in ("GET", "HEAD"):
            if path == "":
                values = [identity.version_v3(host), identity.version_v2(host)]
                return Reply(300, {"versions": {"values": values}}, json_only=True)
            if path == "v3":
                return Reply(200, {"version": identity.version_v3(host)}, json_only=True)
            if path == "v2.0":
                return Reply(200, {"version": identity.version_v2(host)}, json_only=True)
            if len(segments) in (2, 3) and segments[0] in API_VERSIONS and segments[1] in REGIONS:
                return self._api_versions(host, segments)
        if path in ("v3/auth/tokens", "v2.0/tokens"):
            raise ApiError(405, f"Method {request.method} is not allowed here; use POST.")
        raise not_found("The resource could not be found.")

    @staticmethod
    def _api_versions(host: str, segments: list[str]) -> Reply:
        kind, region = segments[0], segments[1]
        version = API_VERSIONS[kind]
        if len(segments) == 3 and segments[2] != version:
            raise not_found("The resource could not be found.")
        document = {
            "id": f"{version}.0",
            "status": "CURRENT",
            "updated": "2014-06-28T12:20:21Z",
            "version": "",
            "min_version": "",
            "links": [{"rel": "self", "href": f"http://{host}/{kind}/{region}/{version}/"}],
            "media-types": [
                {"base": "application/json", "type": f"application/vnd.openstack.{kind}+json;version=1"},
                {"base": "application/xml", "type": f"application/vnd.openstack.{kind}+xml;version=1"},
            ],
        }
        if len(segments) == 3:
            return Reply(200, {"version": document}, json_only=True)
        return Reply(200, {"versions": [document]}, json_only=True)

    # --- test hooks -----------------------------------------------------------------------------------

    def _hook(self, request: Request, segments: list[str]) -> Reply:
        method, path = request.method, "/".join(segments)
        if path == "stats" and method == "GET":
            return Reply(200, self.stats.snapshot(request.query.get("project") or None), json_only=True)
        if path == "stats/reset" and method == "POST":
            self.stats.reset()
            return Reply(200, self.stats.snapshot(), json_only=True)
        if path == "faults" and method == "GET":
            return Reply(200, self.faults.get(), json_only=True)
        if path == "faults" and method == "PUT":
            return Reply(200, self.faults.set(parse_json_object(request)), json_only=True)
        if path == "accounts" and method == "POST":
            data = parse_json_object(request)
            for key in ("user", "password", "project"):
                value = data.get(key)
                if not isinstance(value, str) or not value or len(value) > 255:
                    raise bad_request(f"Invalid {key}: a non-empty string is required.")
            servers = _seed_servers(data.get("servers"))
            info = self.store.add_account(data["user"], data["password"], data["project"], servers=servers)
            return Reply(201, info, json_only=True)
        if path == "tokens/expire" and method == "POST":
            user = parse_json_object(request).get("user")
            if user is not None and not isinstance(user, str):
                raise bad_request("Invalid user: a user name string is required.")
            return Reply(200, {"expired": self.store.expire_tokens(user)}, json_only=True)
        if path == "log" and method == "GET":
            try:
                limit = max(1, min(10_000, int(request.query.get("limit") or 100)))
            except ValueError as exc:
                raise bad_request("Invalid limit: an integer is required.") from exc
            entries = self.calls.recent(request.query.get("project") or None, limit)
            return Reply(200, {"log": entries}, json_only=True)
        if len(segments) == 2 and segments[0] == "quotas" and method in ("GET", "PUT"):
            return self._quota_hook(request, segments[1])
        raise not_found(f"Unknown test hook {method} /_emulator/{path}.")

    def _quota_hook(self, request: Request, project_id: str) -> Reply:
        if not _SAFE_ID.fullmatch(project_id) or not self.store.one(
            "SELECT 1 FROM projects WHERE id = ?", project_id
        ):
            raise not_found(f"Project {project_id} could not be found.")
        if request.method == "PUT":
            data = parse_json_object(request)
            unknown = set(data) - {"volumes", "gigabytes"}
            if unknown:
                raise bad_request(
                    f"Unknown quota keys: {', '.join(sorted(unknown))}; use volumes and gigabytes."
                )
            for key, value in data.items():
                if value is not None and (
                    isinstance(value, bool) or not isinstance(value, int) or value < -1
                ):
                    raise bad_request(
                        f"Invalid {key}: an integer, -1 for unlimited, or null for the default."
                    )
            with self.store.transaction() as db:
                for key, value in data.items():
                    db.execute(f"UPDATE projects SET quota_{key} = ? WHERE id = ?", (value, project_id))  # noqa: S608
        volumes, gigabytes = rules.quota_of(self.store, self.config, project_id)
        return Reply(
            200, {"project_id": project_id, "volumes": volumes, "gigabytes": gigabytes}, json_only=True
        )
