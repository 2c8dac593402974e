"""A real OpenStack cloud on loopback: Keystone 30 + Cinder 29, for tests and for trying the console.

`OpenStackCloud().start()` starts, on free loopback ports with throw-away state under a temporary
directory:

- Keystone (scripts/openstack/keystone_server.py, in .venv-keystone): db_sync, fernet_setup,
  credential_setup, bootstrap, then served by waitress; bcrypt rounds lowered to the minimum.
- Cinder (scripts/openstack/cinder_all.py, in .venv-cinder): API, scheduler, backup and one volume
  service per backend (az1, az2, az3) in one process, `transport_url = fake:/`, Cinder's fake volume
  driver and fake backup service, `auth_strategy = keystone` with a service user, a small
  `osapi_max_limit` so pagination shows with a few dozen volumes.

Then, through Keystone's REST API, it creates the accounts (`ACCOUNTS`: two projects in the Default
domain, members, a reader, an application credential) and the catalog: the block-storage service
(types per `catalog`, see `CATALOGS`) with public endpoints in RegionOne and RegionTwo, both at the
same Cinder, and no compute service. The venvs come from `make openstack-venvs`.

Only the standard library is used here, so any Python 3.11 runs it. As a script it runs the same
pair in the foreground with fixed ports (what scripts/openstack/run.sh does):

    .venv/bin/python -m tests.openstack.cloud --keystone-port 5000 --cinder-port 8786
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPTS = ROOT / "scripts" / "openstack"
KEYSTONE_VENV = Path(os.environ.get("OPENSTACK_KEYSTONE_VENV", ROOT / ".venv-keystone"))
CINDER_VENV = Path(os.environ.get("OPENSTACK_CINDER_VENV", ROOT / ".venv-cinder"))

HOST = "127.0.0.1"
DOMAIN = "Default"
DOMAIN_ID = "default"
REGIONS = ("RegionOne", "RegionTwo")
ZONES = ("az1", "az2", "az3")
# Volume types created next to Cinder's own __DEFAULT__; none is tied to a backend, so every type
# can be created in every availability zone.
VOLUME_TYPES = ("standard", "fast")

# Which block-storage services the catalog lists (service type -> service name). "devstack" is what
# devstack registers today: both the official type and the older alias, each with a
# /v3/<project id> endpoint.
CATALOGS = {
    "devstack": {"block-storage": "cinder", "volumev3": "cinderv3"},
    "block-storage": {"block-storage": "cinder"},
    "volumev3": {"volumev3": "cinderv3"},
}

BLOCK_STORAGE_TYPES = {service_type for services in CATALOGS.values() for service_type in services}

# name -> (password, {project: role}); "admin" (admin project) and "cinder" (service project) are
# created as well. Passwords follow the emulator's convention: <name>-password.
ACCOUNTS = {
    "alice": {"alpha": "member"},
    "bob": {"beta": "member"},
    "carol": {"alpha": "member", "beta": "member"},
    "rita": {"alpha": "reader"},
}
PROJECTS = ("alpha", "beta")
APP_CREDENTIAL_OWNER = ("alice", "alpha")  # the application credential: alice's, on alpha
# Quotas of the harness's projects: room for a few pages of volumes (Cinder's default is 10 of each).
PROJECT_QUOTAS = {"volumes": 50, "snapshots": 50, "backups": 50}


def password_of(name: str) -> str:
    return f"{name}-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _memory_folder() -> str | None:
    """/dev/shm when there is one: both SQLite databases commit there in ~0.1 ms instead of ~14 ms
    on this machine's disk (Cinder's migrations and every create commit many times)."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def _remove_stale_state(folder: str | None) -> None:
    """Remove the state folders of launchers that died without stopping (their services stop by
    themselves: scripts/openstack/harness_watchdog.py), so that /dev/shm does not fill up."""
    for state in Path(folder or tempfile.gettempdir()).glob("openstack-*"):
        try:
            pid = int((state / "launcher.pid").read_text())
        except (OSError, ValueError):
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(state, ignore_errors=True)
        except PermissionError:
            continue


def missing_venvs() -> list[str]:
    """The harness's virtualenvs that are not built (empty when both are there)."""
    wanted = {KEYSTONE_VENV: "keystone", CINDER_VENV: "cinder"}
    return [str(venv) for venv, package in wanted.items() if not (venv / ".installed").exists()]


class HarnessError(RuntimeError):
    """The cloud did not start, or answered an unexpected status during set-up."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: object

    def __repr__(self) -> str:
        return f"<Reply {self.status} {json.dumps(self.body)[:400] if self.body is not None else ''}>"


def http(
    method: str,
    url: str,
    body: object = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Reply:
    """One HTTP call with a JSON body; answers every status (no exception for 4xx/5xx)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback URLs only
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("X-Auth-Token", token)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw, answer_headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, answer_headers = error.code, error.read(), error.headers
    try:
        decoded = json.loads(raw) if raw else None
    except ValueError:
        decoded = raw.decode(errors="replace")
    return Reply(status, {k.lower(): v for k, v in answer_headers.items()}, decoded)


def _expect(reply: Reply, *statuses: int, what: str) -> Reply:
    if reply.status not in statuses:
        raise HarnessError(f"{what}: expected {statuses}, got {reply!r}")
    return reply


@dataclass
class Account:
    """A Keystone user with a role on one or more projects."""

    name: str
    password: str
    user_id: str
    projects: dict[str, str]  # project name -> role
    domain: str = DOMAIN


@dataclass
class AppCredential:
    id: str
    secret: str
    user: str
    project: str


@dataclass
class OpenStackCloud:
    """Keystone + Cinder on loopback. `start()`, then use the URLs, `accounts` and helpers; `stop()`."""

    keystone_port: int = 0
    cinder_port: int = 0
    catalog: str = "devstack"
    max_limit: int = 10
    # Heartbeats every report_interval seconds; a service without one for service_down_time seconds
    # is down (Cinder's defaults are 10 and 60; tests use short ones to cross service_down_time).
    report_interval: int = 2
    service_down_time: int = 10
    token_expiration: int = 3600  # seconds, Keystone's default
    state_dir: Path | None = None
    keep_state: bool = False

    accounts: dict[str, Account] = field(default_factory=dict)
    project_ids: dict[str, str] = field(default_factory=dict)
    app_credential: AppCredential | None = None
    admin_password: str = field(default_factory=lambda: password_of("admin"))
    service_password: str = field(default_factory=lambda: password_of("cinder"))
    startup_seconds: float = 0.0
    started_at: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.catalog not in CATALOGS:
            raise ValueError(f"catalog must be one of {sorted(CATALOGS)}, not {self.catalog!r}")
        self._procs: dict[str, subprocess.Popen] = {}
        self._logs: dict[str, object] = {}
        self._made_state_dir = False
        self._admin_token: tuple[str, float] | None = None
        self._role_ids: dict[str, str] = {}
        self._names = itertools.count(1)

    # --- URLs ------------------------------------------------------------------------------------
    @property
    def identity_url(self) -> str:
        """What the console's IDENTITY_URL is set to."""
        return f"http://{HOST}:{self.keystone_port}/v3"

    @property
    def cinder_root(self) -> str:
        return f"http://{HOST}:{self.cinder_port}"

    def volume_url(self, project: str) -> str:
        """The block-storage endpoint of a project (name or id), as the catalog has it."""
        project_id = self.project_ids.get(project, project)
        return f"{self.cinder_root}/v3/{project_id}"

    @property
    def service_types(self) -> list[str]:
        return list(CATALOGS[self.catalog])

    def log_path(self, name: str) -> Path:
        return self.state_dir / f"{name}.log"

    # --- life cycle ------------------------------------------------------------------------------
    def start(self) -> OpenStackCloud:
        missing = missing_venvs()
        if missing:
            raise HarnessError(f"virtualenvs not built: {', '.join(missing)} (run `make openstack-venvs`)")
        chosen = not (self.keystone_port or self.cinder_port)
        own_folder = self.state_dir is None
        try:
            return self._start()
        except HarnessError as error:
            # A free port can be taken by another process before a service binds it: once more, on
            # other ports (only when this launcher chose them).
            if not (chosen and "Address already in use" in str(error)):
                raise
        self.keystone_port = self.cinder_port = 0
        if own_folder:
            self.state_dir = None
        self.accounts, self.project_ids, self.timings = {}, {}, {}
        self._admin_token = None
        return self._start()

    def _start(self) -> OpenStackCloud:
        began = time.monotonic()
        if self.state_dir is None:
            _remove_stale_state(_memory_folder())
            self.state_dir = Path(tempfile.mkdtemp(prefix="openstack-", dir=_memory_folder()))
            self._made_state_dir = True
        self.state_dir = Path(self.state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "launcher.pid").write_text(str(os.getpid()))
        self.keystone_port = self.keystone_port or free_port()
        self.cinder_port = self.cinder_port or free_port()
        try:
            self._write_keystone_conf()
            self._write_cinder_conf()
            # Both start at once: Cinder needs Keystone only when the first request comes in.
            self._spawn_keystone()
            self._spawn_cinder()
            self._wait_for("keystone", f"{self.identity_url}/", deadline=90)
            self.timings["keystone ready"] = time.monotonic() - began
            self._populate_keystone()
            self.timings["keystone populated"] = time.monotonic() - began
            self._wait_for("cinder", f"{self.cinder_root}/", deadline=90)
            self._wait_for_cinder_services(deadline=90)
            self.timings["cinder ready"] = time.monotonic() - began
            self._create_volume_types()
            for project in PROJECTS:
                self.set_quota(project, **PROJECT_QUOTAS)
        except BaseException:
            self.stop()
            raise
        self.started_at = time.monotonic()
        self.startup_seconds = self.started_at - began
        return self

    def stop(self) -> None:
        for name, proc in list(self._procs.items()):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            self._procs.pop(name)
        for log in self._logs.values():
            log.close()
        self._logs.clear()
        if self._made_state_dir and not self.keep_state:
            shutil.rmtree(self.state_dir, ignore_errors=True)
            self._made_state_dir = False

    def __enter__(self) -> OpenStackCloud:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- configuration ---------------------------------------------------------------------------
    def _write_keystone_conf(self) -> None:
        folder = self.state_dir / "keystone"
        folder.mkdir(exist_ok=True)
        (folder / "keystone.conf").write_text(
            "\n".join(
                [
                    "[DEFAULT]",
                    "debug = false",
                    "[database]",
                    f"connection = sqlite:///{folder}/keystone.sqlite3",
                    "[fernet_tokens]",
                    f"key_repository = {folder}/fernet-keys",
                    "[fernet_receipts]",
                    f"key_repository = {folder}/fernet-keys",
                    "[credential]",
                    f"key_repository = {folder}/credential-keys",
                    "[token]",
                    f"expiration = {self.token_expiration}",
                    "[identity]",
                    "password_hash_algorithm = bcrypt",
                    "password_hash_rounds = 4",  # bcrypt's minimum: logins cost ~1 ms, not ~250 ms
                    # One process: an in-memory cache is shared by all its threads and Keystone
                    # invalidates it on every change. Validating a token then costs ~10 ms of CPU
                    # instead of ~80 ms (40 SQL queries) with Keystone's default null backend.
                    "[cache]",
                    "enabled = true",
                    "backend = dogpile.cache.memory",
                    "",
                ]
            )
        )

    def _write_cinder_conf(self) -> None:
        folder = self.state_dir / "cinder"
        folder.mkdir(exist_ok=True)
        etc = CINDER_VENV / "etc" / "cinder"
        lines = [
            "[DEFAULT]",
            "debug = false",
            "host = harness",
            "transport_url = fake:/",
            "auth_strategy = keystone",
            f"state_path = {folder}",
            f"my_ip = {HOST}",
            f"osapi_volume_listen = {HOST}",
            f"osapi_volume_listen_port = {self.cinder_port}",
            "osapi_volume_workers = 1",
            f"osapi_max_limit = {self.max_limit}",
            f"api_paste_config = {etc / 'api-paste.ini'}",
            f"resource_query_filters_file = {etc / 'resource_filters.json'}",
            f"enabled_backends = {','.join(ZONES)}",
            f"storage_availability_zone = {ZONES[0]}",
            f"default_availability_zone = {ZONES[0]}",
            f"report_interval = {self.report_interval}",
            f"service_down_time = {self.service_down_time}",
            "graceful_shutdown_timeout = 5",
            "backup_driver = cinder.tests.unit.backup.fake_service.FakeBackupService",
            "[database]",
            f"connection = sqlite:///{folder}/cinder.sqlite3",
            "[oslo_concurrency]",
            f"lock_path = {folder}/locks",
            "[coordination]",
            f"backend_url = file://{folder}/coordination",
            "[keystone_authtoken]",
            f"www_authenticate_uri = {self.identity_url}",
            f"auth_url = {self.identity_url}",
            "auth_type = password",
            "interface = public",
            "username = cinder",
            f"password = {self.service_password}",
            "project_name = service",
            f"user_domain_name = {DOMAIN}",
            f"project_domain_name = {DOMAIN}",
        ]
        for zone in ZONES:
            lines += [
                f"[{zone}]",
                "volume_driver = harness_driver.LoopbackVolumeDriver",
                f"volume_backend_name = {zone}",
                f"backend_availability_zone = {zone}",
            ]
        (folder / "cinder.conf").write_text("\n".join(lines) + "\n")

    # --- processes -------------------------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str]) -> None:
        self._logs[name] = open(self.log_path(name), "ab")  # noqa: SIM115 - closed in stop()
        self._procs[name] = subprocess.Popen(
            argv,
            cwd=self.state_dir,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "OPENSTACK_HARNESS_PARENT": str(os.getpid())},
            stdin=subprocess.DEVNULL,
            stdout=self._logs[name],
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one
        )

    def _spawn_keystone(self) -> None:
        self._spawn(
            "keystone",
            [
                str(KEYSTONE_VENV / "bin" / "python"),
                str(SCRIPTS / "keystone_server.py"),
                "--config-file",
                str(self.state_dir / "keystone" / "keystone.conf"),
                "--host",
                HOST,
                "--port",
                str(self.keystone_port),
                "--admin-password",
                self.admin_password,
                "--public-url",
                f"{self.identity_url}/",
                "--region",
                REGIONS[0],
            ],
        )

    def _spawn_cinder(self) -> None:
        self._spawn(
            "cinder",
            [
                str(CINDER_VENV / "bin" / "python"),
                str(SCRIPTS / "cinder_all.py"),
                "--config-file",
                str(self.state_dir / "cinder" / "cinder.conf"),
            ],
        )

    def _check_alive(self) -> None:
        for name, proc in self._procs.items():
            if proc.poll() is not None:
                raise HarnessError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path(name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _wait_for(self, name: str, url: str, deadline: float) -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            self._check_alive()
            try:
                if http("GET", url, timeout=5).status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise HarnessError(f"{name} did not answer within {deadline} s:\n{self.log_tail(name)}")

    def _wait_for_cinder_services(self, deadline: float) -> None:
        """Until the scheduler knows every backend's pool and the backup service is up."""
        end = time.monotonic() + deadline
        admin = self.volume_url("admin")
        reply = None
        while time.monotonic() < end:
            self._check_alive()
            pools = http("GET", f"{admin}/scheduler-stats/get_pools", token=self.admin_token())
            services = http("GET", f"{admin}/os-services", token=self.admin_token())
            if pools.status == 200 and services.status == 200:
                up = {(s["binary"], s["zone"]) for s in services.body["services"] if s["state"] == "up"}
                wanted = {("cinder-volume", zone) for zone in ZONES} | {
                    ("cinder-scheduler", ZONES[0]),
                    ("cinder-backup", ZONES[0]),
                }
                if len(pools.body["pools"]) == len(ZONES) and wanted <= up:
                    return
            reply = (pools, services)
            time.sleep(0.2)
        raise HarnessError(
            f"cinder services not ready within {deadline} s: {reply}\n{self.log_tail('cinder')}"
        )

    # --- Keystone --------------------------------------------------------------------------------
    def token(self, user: str, project: str | None, password: str | None = None) -> tuple[str, dict]:
        """(token, token body) for a user scoped to a project (by name, Default domain)."""
        auth: dict = {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": user,
                        "domain": {"name": DOMAIN},
                        "password": password or password_of(user),
                    }
                },
            }
        }
        if project:
            auth["scope"] = {"project": {"name": project, "domain": {"name": DOMAIN}}}
        reply = _expect(
            http("POST", f"{self.identity_url}/auth/tokens", {"auth": auth}), 201, what=f"token of {user}"
        )
        return reply.headers["x-subject-token"], reply.body["token"]

    def admin_token(self) -> str:
        if self._admin_token is None or self._admin_token[1] < time.monotonic():
            token, _ = self.token("admin", "admin", self.admin_password)
            self._admin_token = (token, time.monotonic() + 1800)
        return self._admin_token[0]

    def _keystone(self, method: str, path: str, body: object = None, *statuses: int) -> dict:
        reply = http(method, f"{self.identity_url}{path}", body, token=self.admin_token())
        return _expect(reply, *(statuses or (200, 201, 204)), what=f"{method} {path}").body

    def _populate_keystone(self) -> None:
        self._role_ids = {r["name"]: r["id"] for r in self._keystone("GET", "/roles")["roles"]}
        self.project_ids = {p["name"]: p["id"] for p in self._keystone("GET", "/projects")["projects"]}
        for name in ("service", *PROJECTS):
            self.create_project(name)
        service = self.create_user("cinder", {"service": "admin"}, self.service_password)
        self.grant(service, "service", "service")
        for name, grants in ACCOUNTS.items():
            self.accounts[name] = self.create_user(name, grants)

        self._keystone("POST", "/regions", {"region": {"id": REGIONS[1], "description": "harness"}})
        self.set_catalog(self.catalog)
        self.app_credential = self.create_app_credential(*APP_CREDENTIAL_OWNER)

    def set_catalog(self, catalog: str) -> None:
        """List the block-storage services of `catalog` (a key of CATALOGS) in the catalog, in place of
        those listed now: tokens issued from now on carry it (Keystone deletes a service's endpoints
        with it). A test that changes it puts "devstack" back when it ends."""
        if catalog not in CATALOGS:
            raise ValueError(f"catalog must be one of {sorted(CATALOGS)}, not {catalog!r}")
        for service in self._keystone("GET", "/services")["services"]:
            if service["type"] in BLOCK_STORAGE_TYPES:
                self._keystone("DELETE", f"/services/{service['id']}")
        for service_type, service_name in CATALOGS[catalog].items():
            created = self._keystone(
                "POST",
                "/services",
                {"service": {"type": service_type, "name": service_name, "description": "Cinder"}},
            )
            for region in REGIONS:
                self._keystone(
                    "POST",
                    "/endpoints",
                    {
                        "endpoint": {
                            "service_id": created["service"]["id"],
                            "interface": "public",
                            "region_id": region,
                            "url": f"{self.cinder_root}/v3/$(project_id)s",
                        }
                    },
                )
        self.catalog = catalog

    def create_project(self, name: str) -> str:
        """A project in the Default domain; its id (also kept in `project_ids`)."""
        created = self._keystone(
            "POST", "/projects", {"project": {"name": name, "domain_id": DOMAIN_ID, "description": "harness"}}
        )
        self.project_ids[name] = created["project"]["id"]
        return self.project_ids[name]

    def create_user(self, name: str, grants: dict[str, str], password: str | None = None) -> Account:
        """A user in the Default domain with a role on each project of `grants` ({project: role})."""
        password = password or password_of(name)
        created = self._keystone(
            "POST", "/users", {"user": {"name": name, "password": password, "domain_id": DOMAIN_ID}}
        )
        account = Account(name, password, created["user"]["id"], {})
        for project, role in grants.items():
            self.grant(account, project, role)
        return account

    def grant(self, account: Account, project: str, role: str) -> None:
        project_id = self.project_ids[project]
        self._keystone("PUT", f"/projects/{project_id}/users/{account.user_id}/roles/{self._role_ids[role]}")
        account.projects.setdefault(project, role)

    def create_app_credential(self, user: str, project: str, name: str = "console") -> AppCredential:
        """An application credential of `user` on `project`, made with the user's own token (as a user
        makes one in Horizon); the secret is only in this answer."""
        token, _ = self.token(user, project, self._password(user))
        reply = _expect(
            http(
                "POST",
                f"{self.identity_url}/users/{self._user_id(user)}/application_credentials",
                {"application_credential": {"name": name, "description": "harness"}},
                token=token,
            ),
            201,
            what="application credential",
        )
        credential = reply.body["application_credential"]
        return AppCredential(credential["id"], credential["secret"], user, project)

    def new_account(self, prefix: str = "t", role: str = "member") -> Account:
        """A fresh project and a user with `role` on it, both named <prefix><n>, so that a test sees
        only its own volumes (like the emulator's `account` fixture); volume quotas as the fixed
        projects'. The project's name is the account's only key in `projects`."""
        name = f"{prefix}{os.getpid()}x{next(self._names)}"
        self.create_project(name)
        account = self.create_user(name, {name: role})
        self.accounts[name] = account
        self.set_quota(name, **PROJECT_QUOTAS)
        return account

    def _password(self, user: str) -> str:
        return self.accounts[user].password if user in self.accounts else password_of(user)

    def _user_id(self, user: str) -> str:
        return self.accounts[user].user_id

    def token_of(self, account: Account, project: str | None = None) -> tuple[str, dict]:
        """(token, token body) of an account, scoped to `project` (default: its first project)."""
        return self.token(account.name, project or next(iter(account.projects)), account.password)

    def app_credential_token(self, credential: AppCredential | None = None) -> tuple[str, dict]:
        """(token, token body) from an application credential (id + secret; the scope is its own)."""
        credential = credential or self.app_credential
        auth = {
            "identity": {
                "methods": ["application_credential"],
                "application_credential": {"id": credential.id, "secret": credential.secret},
            }
        }
        reply = _expect(
            http("POST", f"{self.identity_url}/auth/tokens", {"auth": auth}), 201, what="app credential token"
        )
        return reply.headers["x-subject-token"], reply.body["token"]

    # --- Cinder ----------------------------------------------------------------------------------
    def admin_call(self, method: str, path: str, body: object = None, **kwargs) -> Reply:
        """Cinder as the cloud's admin (admin project's URL; an admin reaches every project's
        resources there, while another project's URL answers 400 "Malformed request url")."""
        return http(method, f"{self.volume_url('admin')}{path}", body, token=self.admin_token(), **kwargs)

    def _create_volume_types(self) -> None:
        for name in VOLUME_TYPES:
            _expect(
                self.admin_call(
                    "POST", "/types", {"volume_type": {"name": name, "os-volume-type-access:is_public": True}}
                ),
                200,
                what=f"volume type {name}",
            )

    def set_quota(self, project: str, **limits: int) -> dict:
        """An admin's quota update for a project (name or id), e.g. set_quota("alpha", volumes=3)."""
        project_id = self.project_ids.get(project, project)
        reply = self.admin_call("PUT", f"/os-quota-sets/{project_id}", {"quota_set": limits})
        return _expect(reply, 200, what=f"quotas of {project}").body["quota_set"]

    def wait_for_status(
        self, kind: str, resource_id: str, statuses: tuple[str, ...], timeout: float = 60
    ) -> dict:
        """Poll (as admin) until a volume/snapshot/backup reaches one of `statuses`; its record."""
        path = {"volume": "volumes", "snapshot": "snapshots", "backup": "backups"}[kind]
        end = time.monotonic() + timeout
        record: dict = {}
        while time.monotonic() < end:
            reply = self.admin_call("GET", f"/{path}/{resource_id}")
            if reply.status == 200:
                record = reply.body[kind]
                if record["status"] in statuses:
                    return record
            time.sleep(0.2)
        raise HarnessError(
            f"{kind} {resource_id} is {record.get('status')!r}, not {statuses}, after {timeout} s"
        )

    def attach(
        self, volume_id: str, *, instance_uuid: str | None = None, mountpoint: str = "/dev/vdb"
    ) -> dict:
        """Put an available volume in-use, as Nova would (os-reserve + os-attach, as admin); the record.

        There is no Nova here: the attachment's server id is `instance_uuid` (a made-up one unless
        given). A console must never detach through Cinder itself; `detach` is for test clean-up."""
        import uuid

        server = instance_uuid or str(uuid.uuid4())
        _expect(
            self.admin_call("POST", f"/volumes/{volume_id}/action", {"os-reserve": None}),
            202,
            what="os-reserve",
        )
        _expect(
            self.admin_call(
                "POST",
                f"/volumes/{volume_id}/action",
                {"os-attach": {"instance_uuid": server, "mountpoint": mountpoint, "mode": "rw"}},
            ),
            202,
            what="os-attach",
        )
        return self.wait_for_status("volume", volume_id, ("in-use",))

    def detach(self, volume_id: str) -> dict:
        """Undo `attach` (test clean-up only): os-detach of every attachment, as admin; the record."""
        volume = _expect(self.admin_call("GET", f"/volumes/{volume_id}"), 200, what="volume").body["volume"]
        for attachment in volume["attachments"]:
            _expect(
                self.admin_call(
                    "POST",
                    f"/volumes/{volume_id}/action",
                    {"os-detach": {"attachment_id": attachment["attachment_id"]}},
                ),
                202,
                what="os-detach",
            )
        return self.wait_for_status("volume", volume_id, ("available",))

    def put_status(self, kind: str, resource_id: str, status: str) -> None:
        """Write a volume/snapshot/backup's status straight into Cinder's database, as Cinder's own
        workers do in the middle of an operation, for any status of Cinder's lists (e.g. a backup
        `restoring`, a volume `extending`, which os-reset_status refuses); the API shows it at once."""
        table = {"volume": "volumes", "snapshot": "snapshots", "backup": "backups"}[kind]
        database = self.state_dir / "cinder" / "cinder.sqlite3"
        with contextlib.closing(sqlite3.connect(database, timeout=30)) as connection, connection:
            changed = connection.execute(
                f"UPDATE {table} SET status = ? WHERE id = ?",  # noqa: S608 - table from the fixed map above
                (status, resource_id),
            ).rowcount
        if changed != 1:
            raise HarnessError(f"no {kind} {resource_id} in Cinder's database")

    def reset_status(self, kind: str, resource_id: str, status: str) -> None:
        """An admin's os-reset_status: volumes take any of Cinder's statuses but `deleting` (and
        `in-use` only with an attachment), snapshots any, backups only `available` and `error`."""
        path = {"volume": "volumes", "snapshot": "snapshots", "backup": "backups"}[kind]
        _expect(
            self.admin_call("POST", f"/{path}/{resource_id}/action", {"os-reset_status": {"status": status}}),
            202,
            what="os-reset_status",
        )

    # --- summary ---------------------------------------------------------------------------------
    def describe(self) -> str:
        """What a person needs to point the console at this cloud."""
        lines = [
            f"IDENTITY_URL={self.identity_url}",
            f"Block storage: {self.cinder_root}/v3/<project id>,"
            f" catalog types {', '.join(self.service_types)}, regions {', '.join(REGIONS)},",
            f"availability zones {', '.join(ZONES)}, volume types {', '.join(VOLUME_TYPES)} and __DEFAULT__,"
            " no compute service",
            f"Domain: {DOMAIN} (user and project)",
            "",
            f"{'user':<8} {'password':<16} roles",
        ]
        for account in self.accounts.values():
            grants = ", ".join(f"{role} on {project}" for project, role in account.projects.items())
            lines.append(f"{account.name:<8} {account.password:<16} {grants}")
        lines.append(f"{'admin':<8} {self.admin_password:<16} admin on admin (the cloud's operator)")
        if self.app_credential:
            credential = self.app_credential
            lines += [
                "",
                f"Application credential of {credential.user} on {credential.project}:",
                f"  id     {credential.id}",
                f"  secret {credential.secret}",
            ]
        lines += ["", f"State and logs: {self.state_dir}"]
        return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Keystone + Cinder on loopback, in the foreground.")
    parser.add_argument(
        "--keystone-port", type=int, default=int(os.environ.get("OPENSTACK_KEYSTONE_PORT", 5000))
    )
    parser.add_argument("--cinder-port", type=int, default=int(os.environ.get("OPENSTACK_CINDER_PORT", 8786)))
    parser.add_argument(
        "--catalog", choices=sorted(CATALOGS), default=os.environ.get("OPENSTACK_CATALOG", "devstack")
    )
    parser.add_argument("--max-limit", type=int, default=int(os.environ.get("OPENSTACK_MAX_LIMIT", 10)))
    options = parser.parse_args()
    cloud = OpenStackCloud(
        keystone_port=options.keystone_port,
        cinder_port=options.cinder_port,
        catalog=options.catalog,
        max_limit=options.max_limit,
        report_interval=10,
        service_down_time=60,
    )
    print(
        f"Starting Keystone on :{options.keystone_port} and Cinder on :{options.cinder_port} ...", flush=True
    )
    stop = False

    def on_signal(signum, frame):  # noqa: ARG001
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    try:
        cloud.start()
    except HarnessError as error:
        sys.exit(f"!!! {error}")
    print(f"Ready in {cloud.startup_seconds:.1f} s.\n\n{cloud.describe()}\n", flush=True)
    print(f"Then: IDENTITY_URL={cloud.identity_url} make run   (Ctrl-C here stops the cloud)", flush=True)
    try:
        while not stop:
            for name, proc in cloud._procs.items():
                if proc.poll() is not None:
                    print(f"!!! {name} exited:\n{cloud.log_tail(name)}", file=sys.stderr)
                    stop = True
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping Keystone and Cinder ...", flush=True)
        cloud.stop()


if __name__ == "__main__":
    main()
