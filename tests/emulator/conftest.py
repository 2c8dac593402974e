"""Helpers for the emulator's conformance suite.

`Api` is a deliberately small client over `requests`: it authenticates with Identity v3, knows the
Block Storage and Compute base URLs of one project and region, sends JSON or XML bodies and decodes
JSON or XML answers into the same Python shapes (see `wire.py`), so one test body can check both formats.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass, field

import pytest
import requests

from tests.emulator.wire import decode_xml, encode_xml
from tests.emulator_process import FAST, EmulatorProcess

REGION_A = "region-a.geo-1"
REGION_B = "region-b.geo-1"
TIMEOUT = 15  # seconds, per HTTP call
DEADLINE = 10.0  # seconds a lifecycle may take in the fast fixtures before a test gives up

_names = itertools.count(1)


def unique_name(prefix: str = "u") -> str:
    return f"{prefix}{os.getpid()}y{next(_names)}"


@dataclass
class Reply:
    """One HTTP answer, with its body decoded from JSON or XML (None when empty)."""

    status: int
    headers: requests.structures.CaseInsensitiveDict
    text: str
    body: object
    fmt: str | None

    @property
    def fault(self) -> tuple[str, dict]:
        """(fault name, {"code", "message", ...}) of a fault body."""
        assert isinstance(self.body, dict) and len(self.body) == 1, f"not a fault body: {self.text!r}"
        ((name, detail),) = self.body.items()
        assert isinstance(detail, dict), f"not a fault body: {self.text!r}"
        return name, detail

    def __repr__(self) -> str:  # shows up in assertion messages
        return f"<Reply {self.status} {self.text[:400]!r}>"


def decode(response: requests.Response) -> tuple[object, str | None]:
    ctype = response.headers.get("Content-Type", "")
    if not response.content:
        return None, None
    if "xml" in ctype:
        return decode_xml(response.content), "xml"
    if "json" in ctype:
        return response.json(), "json"
    return None, None


def v3_auth_body(user: str, password: str, project: str | None = None, project_id: str | None = None):
    body: dict = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": user, "domain": {"id": "default"}, "password": password}},
            }
        }
    }
    if project_id:
        body["auth"]["scope"] = {"project": {"id": project_id}}
    elif project:
        body["auth"]["scope"] = {"project": {"name": project, "domain": {"id": "default"}}}
    return body


def v3_token(emulator: EmulatorProcess, user: str, password: str, project: str) -> tuple[str, dict]:
    r = requests.post(
        f"{emulator.url}/v3/auth/tokens", json=v3_auth_body(user, password, project), timeout=TIMEOUT
    )
    assert r.status_code == 201, r.text
    return r.headers["X-Subject-Token"], r.json()


@dataclass
class Api:
    emulator: EmulatorProcess
    account: dict
    region: str = REGION_A
    token: str = ""
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self):
        if not self.token:
            self.token = v3_token(
                self.emulator, self.account["user"], self.account["password"], self.account["project"]
            )[0]

    @property
    def project_id(self) -> str:
        return self.account["project_id"]

    @property
    def volume_base(self) -> str:
        return self.emulator.volume_url(self.project_id, self.region)

    @property
    def compute_base(self) -> str:
        return self.emulator.compute_url(self.project_id, self.region)

    def in_region(self, region: str) -> Api:
        return Api(self.emulator, self.account, region=region, token=self.token)

    # --- raw calls -----------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        body=None,
        fmt: str = "json",
        *,
        token: str | None = None,
        headers: dict | None = None,
        data: bytes | str | None = None,
    ) -> Reply:
        hdrs = {"Accept": f"application/{fmt}"}
        tok = self.token if token is None else token
        if tok:
            hdrs["X-Auth-Token"] = tok
        if body is not None:
            data = encode_xml(body) if fmt == "xml" else json.dumps(body)
        if data is not None:
            hdrs["Content-Type"] = f"application/{fmt}"
        hdrs.update(headers or {})
        r = self.session.request(method, url, data=data, headers=hdrs, timeout=TIMEOUT)
        parsed, got = decode(r)
        return Reply(r.status_code, r.headers, r.text, parsed, got)

    def vol(self, method: str, path: str, body=None, fmt: str = "json", **kw) -> Reply:
        return self.request(method, self.volume_base + path, body, fmt, **kw)

    def comp(self, method: str, path: str, body=None, fmt: str = "json", **kw) -> Reply:
        return self.request(method, self.compute_base + path, body, fmt, **kw)

    # --- conveniences ---------------------------------------------------------------------------------
    def create_volume(self, fmt: str = "json", wait: str | None = "available", **fields) -> dict:
        fields.setdefault("size", 1)
        r = self.vol("POST", "/volumes", {"volume": fields}, fmt)
        assert r.status == 200, r
        vol = r.body["volume"]
        return self.wait("volumes", vol["id"], wait) if wait else vol

    def create_snapshot(
        self, volume_id: str, fmt: str = "json", wait: str | None = "available", **fields
    ) -> dict:
        r = self.vol("POST", "/snapshots", {"snapshot": {"volume_id": volume_id, **fields}}, fmt)
        assert r.status == 200, r
        snap = r.body["snapshot"]
        return self.wait("snapshots", snap["id"], wait) if wait else snap

    def create_backup(
        self, volume_id: str, fmt: str = "json", wait: str | None = "available", **fields
    ) -> dict:
        r = self.vol("POST", "/backups", {"backup": {"volume_id": volume_id, **fields}}, fmt)
        assert r.status == 202, r
        backup = r.body["backup"]
        return self.wait("backups", backup["id"], wait) if wait else backup

    def get(self, kind: str, ident: str, fmt: str = "json") -> Reply:
        return self.vol("GET", f"/{kind}/{ident}", fmt=fmt)

    def show(self, kind: str, ident: str) -> dict:
        r = self.get(kind, ident)
        assert r.status == 200, r
        return r.body[kind[:-1]]

    def listing(self, kind: str, detail: bool = True, fmt: str = "json") -> list[dict]:
        r = self.vol("GET", f"/{kind}/detail" if detail else f"/{kind}", fmt=fmt)
        assert r.status == 200, r
        return r.body[kind]

    def count(self, kind: str = "volumes") -> int:
        return len(self.listing(kind))

    def wait(self, kind: str, ident: str, *statuses: str, timeout: float = DEADLINE) -> dict | None:
        """Poll until the resource reaches one of `statuses` ("gone" means 404); returns it (None if gone)."""
        return wait_for_status(self, kind, ident, *statuses, timeout=timeout)

    def servers(self) -> list[dict]:
        r = self.comp("GET", "/servers/detail")
        assert r.status == 200, r
        return r.body["servers"]

    def server_in(self, az: str, skip: tuple[str, ...] = ()) -> str:
        for server in self.servers():
            if server_az(server) == az and server["id"] not in skip:
                return server["id"]
        raise AssertionError(f"no seeded server in {az}")

    def images(self) -> list[dict]:
        r = self.comp("GET", "/images/detail")
        assert r.status == 200, r
        return r.body["images"]

    def attach(
        self, server_id: str, volume_id: str, fmt: str = "json", wait: str | None = "in-use", **extra
    ) -> Reply:
        r = self.comp(
            "POST",
            f"/servers/{server_id}/os-volume_attachments",
            {"volumeAttachment": {"volumeId": volume_id, **extra}},
            fmt,
        )
        if wait and r.status == 200:
            self.wait("volumes", volume_id, wait)
        return r

    def detach(self, server_id: str, volume_id: str, wait: str | None = "available") -> Reply:
        r = self.comp("DELETE", f"/servers/{server_id}/os-volume_attachments/{volume_id}")
        if wait and r.status == 202:
            self.wait("volumes", volume_id, wait)
        return r


def server_az(server: dict) -> str | None:
    for key in ("OS-EXT-AZ:availability_zone", "availability_zone"):
        if key in server:
            return server[key]
    return None


def wait_for_status(api: Api, kind: str, ident: str, *statuses: str, timeout: float = DEADLINE):
    """Poll GET /{kind}/{ident} until its status is one of `statuses`; "gone" waits for a 404."""
    assert statuses
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        r = api.get(kind, ident)
        if r.status == 404:
            if "gone" in statuses:
                return None
            seen.append("404")
        else:
            assert r.status == 200, r
            item = r.body[kind[:-1]]
            if not seen or seen[-1] != item["status"]:
                seen.append(item["status"])
            if item["status"] in statuses:
                return item
        if time.monotonic() > deadline:
            raise AssertionError(f"{kind[:-1]} {ident} never reached {statuses}; saw {seen}")
        time.sleep(0.02)


def assert_fault(reply: Reply, code: int, name: str | None = None, message: str | None = None) -> dict:
    """The spec's fault shape (4.4): one top-level key naming the fault, with code and a human message."""
    assert reply.status == code, reply
    assert reply.headers.get("X-Compute-Request-Id", "").startswith("req-"), reply.headers
    fault_name, detail = reply.fault
    if name:
        assert fault_name == name, reply
    assert int(detail["code"]) == code, reply
    assert isinstance(detail.get("message"), str) and detail["message"].strip(), reply
    if message is not None:
        assert detail["message"] == message, reply
    return detail


# --- fixtures ------
@pytest.fixture(scope="session")
def emulator():
    """The suite-wide `emulator` (tests/conftest.py), with lifecycles 2.5 times faster still.

    Same process, same settings (rate limit off), EMULATOR_SPEED 0.02 instead of 0.05: the conformance
    suite creates a few hundred resources and waits for each, so this keeps it to about a minute and a
    half. Overriding it here also makes the root `account` fixture use it for tests/emulator.
    """
    proc = EmulatorProcess(env={**FAST, "EMULATOR_SPEED": "0.02", "EMULATOR_RATE": "0"}).start()
    yield proc
    proc.stop()


# --- more fixtures ------
@pytest.fixture
def api(emulator, account) -> Api:
    return Api(emulator, account)


@pytest.fixture
def other_api(emulator) -> Api:
    """A second, unrelated project in the same emulator."""
    name = unique_name("o")
    info = emulator.new_account(name)
    return Api(emulator, {"user": name, "password": f"{name}-password", "project": name, **info})


def make_api(emulator: EmulatorProcess, prefix: str = "p") -> Api:
    name = unique_name(prefix)
    info = emulator.new_account(name)
    return Api(emulator, {"user": name, "password": f"{name}-password", "project": name, **info})


# Lifecycles long enough (1 s) to observe the transitional statuses reliably; creation stays fast.
SLOW_STEPS = {
    **FAST,
    "EMULATOR_RATE": "0",
    "EMULATOR_DOWNLOAD_SECONDS": "20",
    "EMULATOR_ATTACH_SECONDS": "20",
    "EMULATOR_DETACH_SECONDS": "20",
    "EMULATOR_BACKUP_SECONDS": "20",
    "EMULATOR_RESTORE_SECONDS": "20",
    "EMULATOR_DELETE_SECONDS": "20",
}


@pytest.fixture(scope="session")
def slow_emulator():
    """An emulator whose transitions take a couple of seconds, to watch the in-between statuses."""
    proc = EmulatorProcess(env=dict(SLOW_STEPS)).start()
    yield proc
    proc.stop()


@pytest.fixture
def slow_api(slow_emulator) -> Api:
    return make_api(slow_emulator, "s")


@pytest.fixture
def private_emulator():
    """An emulator of this test's own (fault injection, restarts), so the shared one is never disturbed."""
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0"}).start()
    yield proc
    proc.stop()
