"""The fault soak: browser-like sessions use the console while the emulator injects faults.

    .venv/bin/python bench/soak.py --minutes 5 --sessions 20

What runs (loopback only, bounded by time and by a request cap):

- the emulator with its rate limit ON (1 call/s per project) and lifecycles of a few seconds;
- the console under gunicorn with the production settings (bench/common.py: PostgreSQL + Redis when
  `scripts/services.sh start` runs them, else SQLite and the database cache in a temporary directory);
- ACCOUNTS projects, SESSIONS threads spread over them, each logged in through /login/ with its CSRF
  token, doing a random mix: list pages and the overview, badge polls (the pollers' /live/ URLs),
  volume creates through the form (a unique marker in each name, the form's idempotency key, some
  forms submitted twice on purpose), snapshots, backups, deletes (through their confirmation pages),
  attach and detach;
- a fault phase: 20% 5xx, added latency, dropped connections, malformed bodies, 413 storms (windows
  with a high overlimit rate) and tokens expired mid-session (the session must land on the login page
  with a message, log in again and carry on); then faults off and a settle phase.

It asserts (and prints as a table): zero 5xx from the console; every failed action shows a message,
and the API's request id when an API answer caused the failure; zero duplicates (each name marker at
most once, straight from the emulator); one request-log row (support.models.ApiCall) per call the
emulator counted, per project; every badge in the right state at the end (each session's last list
page and poll against the emulator's own GET /volumes/detail); the pace per project (max calls in any
10 s window) and the 413s outside the storms (not injected: the console's budget let them happen).

tests/soak/test_soak.py runs a short version with the same assertions.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Backend, ConsoleServer, account_new  # noqa: E402
from console.statuses import status_info  # noqa: E402 - pure Python, no Django set-up needed
from tests.emulator_process import EmulatorProcess  # noqa: E402

REGION = "region-a.geo-1"
STATUSES = [
    *("creating", "downloading", "attaching", "detaching", "backing-up", "restoring-backup", "restoring"),
    *("deleting", "available", "in-use", "error", "error_attaching", "error_detaching", "error_restoring"),
    *("error_deleting", "deleted"),
]
LABEL_TO_STATUS = {status_info(status).label: status for status in STATUSES}
SESSION_ENDED = "Your session with the cloud has ended. Please log in again."
RATE_LIMITED = "This request was rate-limited."  # the API's rate-limit 413 (a quota 413 says more)
BADGE = re.compile(
    r'id="status-(volumes|snapshots|backups)-([\w-]+)"[^>]*>\s*<span class="badge[^"]*"[^>]*>'
    r'<span class="badge__icon" aria-hidden="true"></span>([^<]+)'
)
POLLER = re.compile(r'<div id="status-poller-(\w+)"[^>]*\bhx-get="([^"]+)"')
REQUEST_ID = re.compile(r'<code class="request-id">([^<]+)</code>')
DETACH_LINK = re.compile(r'href="(/servers/[\w-]+/detach/[\w-]+/)"')
MESSAGE_MARKERS = ('class="error-box"', 'class="errorlist', 'class="alert', 'data-testid="create-status"')
CLIENT_TIMEOUT = 90
# Two calls of a project leave the console at least this far apart (1 s slots, console.api.budget).
PACE_FLOOR = 0.98


@dataclass
class SoakConfig:
    sessions: int = 20
    accounts: int = 5
    minutes: float = 5.0
    settle_seconds: float = 120.0
    max_requests: int = 40_000
    speed: float = 0.5  # emulator lifecycle factor: creating 1.5 s, backups 6 s, attach 1 s
    quota_volumes: int = 20
    latency_ms: int = 150
    error_rate: float = 0.2
    drop_rate: float = 0.03
    malformed_rate: float = 0.03
    storm_every: float = 45.0  # a 413 storm starts every ... seconds
    storm_seconds: float = 8.0
    storm_rate: float = 0.6
    expire_every: float = 50.0  # one account's tokens expire every ... seconds
    double_submit: float = 0.3  # share of create forms submitted twice
    seed: int = 7


@dataclass
class ActionRecord:
    kind: str
    outcome: str  # ok | failed | blocked | session_ended | pending
    status: int
    console_request_id: str
    has_message: bool
    shown_ids: list[str]
    url: str
    note: str = ""


@dataclass
class Tally:
    """What every session records; merged at the end (a lock guards the shared counters)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    by_status: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    actions: list[ActionRecord] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    relogins: int = 0
    ended_with_message: int = 0
    ended_without_message: int = 0
    ended_in_double_submit: int = 0
    ended_examples: list[str] = field(default_factory=list)
    transport_errors: int = 0

    def count(self, response: requests.Response, what: str) -> None:
        with self.lock:
            self.requests += 1
            self.by_status[response.status_code] += 1
            if response.status_code >= 500:
                self.server_errors.append(
                    f"{response.status_code} {what} {response.headers.get('X-Request-Id')}"
                )


class FormParser(HTMLParser):
    """The forms of a page: action, and the values a browser would send (selected options, hidden
    inputs, text fields, checked boxes; never a named submit button)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get"), "fields": {}})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button") or (kind == "checkbox" and "checked" not in a):
                return
            fields[name] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select" and name:
            self._select = name
            fields.setdefault(name, "")
            self.forms[-1].setdefault("options", {})[name] = []
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self.forms[-1]["options"][self._select].append(value)
            if "selected" in a:
                fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data.strip()


def form_of(html: str, action: str) -> dict | None:
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        # A form without an action posts to the page's own URL.
        if form["method"].lower() == "post" and unescape(form["action"]).split("?")[0] in ("", action):
            return form
    return None


def badges_of(html: str, kind: str = "volumes") -> dict[str, str]:
    """id -> status shown by the badges of `kind` on a page or in a poll answer."""
    return {
        rid: LABEL_TO_STATUS.get(unescape(label).strip(), unescape(label).strip())
        for k, rid, label in BADGE.findall(html)
        if k == kind
    }


NOTE = re.compile(
    r'<(p class="error-message"|ul class="errorlist[^"]*"|div class="alert[^"]*")[^>]*>(.*?)</(?:p|ul|div)>',
    re.S,
)


def note_of(html: str) -> str:
    """The first error message or explanation of a page, as text (for the report's examples)."""
    match = NOTE.search(html)
    return (
        re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", match.group(2)))).strip()[:160] if match else ""
    )


class SessionEnded(Exception):
    """The console sent this session to the login page."""


class Soak:
    def __init__(self, config: SoakConfig, *, say=print) -> None:
        self.config = config
        self.say = say
        self.tally = Tally()
        self.rng = random.Random(config.seed)
        self.storms: list[tuple[float, float]] = []  # wall-clock windows of 413 storms
        self.expired: list[tuple[float, str]] = []
        self.stop_actions = threading.Event()
        self.stop_all = threading.Event()
        self.final_views: dict[int, dict[str, dict[str, str]]] = {}

    # --- the run ------------------------------------------------------------------------------------
    def run(self) -> dict:
        config = self.config
        started = time.time()
        self.emulator = EmulatorProcess(
            env={"EMULATOR_RATE": "1", "EMULATOR_SPEED": str(config.speed)}
        ).start()
        backend = server = None
        try:
            backend = Backend().start()
            server = ConsoleServer(backend, self.emulator).start()
            self.backend, self.url = backend, server.url
            self.accounts = [account_new(self.emulator, f"soak{index}") for index in range(config.accounts)]
            for account in self.accounts:
                self.emulator.hook(
                    "PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": config.quota_volumes}
                )
            self.emulator.reset_stats()
            self.say(f"console {server.url} ({backend.kind}), emulator {self.emulator.url}")
            result = self._drive()
            result["backend"] = backend.kind
            result["wall_seconds"] = round(time.time() - started)
            return result
        finally:
            if server:
                server.stop()
            if backend:
                backend.stop()
            self.emulator.stop()

    def _drive(self) -> dict:
        config = self.config
        threads = [
            threading.Thread(target=self._session, args=(index,), daemon=True)
            for index in range(config.sessions)
        ]
        fault_start = time.time()
        self.emulator.set_faults(
            latency_ms=config.latency_ms,
            error_rate=config.error_rate,
            drop_rate=config.drop_rate,
            malformed_rate=config.malformed_rate,
        )
        for thread in threads:
            thread.start()
        self._faults_phase(fault_start + config.minutes * 60)
        self.emulator.set_faults()  # PUT {}: everything off
        fault_end = time.time()
        self.stop_actions.set()
        self.say(f"faults off after {fault_end - fault_start:.0f} s; settling")
        settle_deadline = time.monotonic() + config.settle_seconds
        while time.monotonic() < settle_deadline and len(self.final_views) < config.sessions:
            time.sleep(1)
        self.stop_all.set()
        for thread in threads:
            thread.join(timeout=CLIENT_TIMEOUT + 10)
        end = time.time()
        time.sleep(1)  # nothing is in flight now; let the last rows be written
        return self._verify(fault_start=fault_start, fault_end=fault_end, end=end)

    def _faults_phase(self, until: float) -> None:
        config = self.config
        next_storm = time.time() + config.storm_every / 2
        next_expiry = time.time() + config.expire_every / 2
        expiry_index = 0
        while time.time() < until and self.tally.requests < config.max_requests:
            now = time.time()
            if now >= next_storm and now + config.storm_seconds < until:
                self.emulator.set_faults(
                    latency_ms=config.latency_ms,
                    error_rate=config.error_rate,
                    drop_rate=config.drop_rate,
                    malformed_rate=config.malformed_rate,
                    overlimit_rate=config.storm_rate,
                )
                begin = time.time()
                time.sleep(config.storm_seconds)
                self.emulator.set_faults(
                    latency_ms=config.latency_ms,
                    error_rate=config.error_rate,
                    drop_rate=config.drop_rate,
                    malformed_rate=config.malformed_rate,
                )
                self.storms.append((begin, time.time()))
                next_storm = time.time() + config.storm_every
                continue
            if now >= next_expiry:
                account = self.accounts[expiry_index % len(self.accounts)]
                self.emulator.expire_tokens(account["user"])
                self.expired.append((now, account["user"]))
                expiry_index += 1
                next_expiry = now + config.expire_every
            time.sleep(0.2)

    # --- one session ----------------------------------------------------------------------------------
    def _session(self, index: int) -> None:
        rng = random.Random(self.config.seed * 1000 + index)
        account = self.accounts[index % len(self.accounts)]
        state = {"http": None, "volumes": {}, "snapshots": {}, "backups": {}, "pollers": [], "n": 0}
        while not self.stop_all.is_set():
            try:
                if state["http"] is None:
                    state["http"] = self._login(account)
                if not self.stop_actions.is_set():
                    self._act(index, state, rng)
                    time.sleep(rng.uniform(0.2, 1.5))
                    continue
                if index not in self.final_views:
                    if self._settled(state):
                        self.final_views[index] = self._final_view(state)
                    else:
                        time.sleep(3)
                else:
                    time.sleep(0.5)
            except SessionEnded:
                state["http"] = None
                with self.tally.lock:
                    self.tally.relogins += 1
            except requests.RequestException as exc:
                with self.tally.lock:
                    self.tally.transport_errors += 1
                self.say(f"session {index}: {exc!r}")
                time.sleep(1)

    def _login(self, account: dict) -> requests.Session:
        http = requests.Session()
        form = self._get(http, "/login/", "login form")
        token = form_of(form.text, "/login/")["fields"]["csrfmiddlewaretoken"]
        fields = {
            "csrfmiddlewaretoken": token,
            "username": account["user"],
            "password": account["password"],
            "project": account["project"],
        }
        reply = self._post(http, "/login/", fields, "login")
        if reply.status_code != 302:
            raise requests.RequestException(f"login refused: {reply.status_code}")
        return http

    def _get(self, http: requests.Session, path: str, what: str, **kwargs) -> requests.Response:
        reply = http.get(self.url + path, allow_redirects=False, timeout=CLIENT_TIMEOUT, **kwargs)
        self.tally.count(reply, f"GET {what}")
        self._check_ended(http, reply)
        return reply

    def _post(
        self, http: requests.Session, path: str, fields: dict, what: str, *, landing: bool = True
    ) -> requests.Response:
        reply = http.post(
            self.url + path,
            data=fields,
            headers={"Referer": self.url + path},
            allow_redirects=False,
            timeout=CLIENT_TIMEOUT,
        )
        self.tally.count(reply, f"POST {what}")
        if landing:
            self._check_ended(http, reply)
        return reply

    def _check_ended(self, http: requests.Session, reply: requests.Response) -> None:
        location = reply.headers.get("Location", "") or reply.headers.get("HX-Redirect", "")
        if not location.startswith("/login/") or reply.request.path_url.startswith("/login/"):
            return
        landing = http.get(self.url + location, timeout=CLIENT_TIMEOUT)
        self.tally.count(landing, "GET login landing")
        with self.tally.lock:
            if SESSION_ENDED in unescape(landing.text):
                self.tally.ended_with_message += 1
            elif getattr(http, "twin_in_flight", False) or getattr(http, "ended_by_twin", False):
                # A double click whose other submit ended the login: whichever answer came last set
                # the session cookie, so the message may be in a session this browser no longer
                # holds (as in a real browser).
                self.tally.ended_in_double_submit += 1
            else:
                self.tally.ended_without_message += 1
                self.tally.ended_examples.append(f"{reply.request.method} {reply.request.path_url}")
        raise SessionEnded

    def _act(self, index: int, state: dict, rng: random.Random) -> None:
        choices = [
            (self._view, 30),
            (self._poll, 25),
            (self._create_volume, 14),
            (self._snapshot, 6),
            (self._backup, 4),
            (self._delete, 10),
            (self._attach, 5),
            (self._detach, 5),
        ]
        action = rng.choices([c[0] for c in choices], weights=[c[1] for c in choices])[0]
        action(index, state, rng)

    def _view(self, index: int, state: dict, rng: random.Random) -> None:
        path = rng.choice(["/", "/volumes/", "/volumes/", "/snapshots/", "/backups/", "/servers/"])
        reply = self._get(state["http"], path, path)
        self._remember(state, reply.text, whole=path != "/")

    def _remember(self, state: dict, html: str, *, whole: bool) -> None:
        for kind in ("volumes", "snapshots", "backups"):
            seen = badges_of(html, kind)
            state[kind].update(seen)
        state["pollers"] = [unescape(url) for _, url in POLLER.findall(html)] or state["pollers"]

    def _poll(self, index: int, state: dict, rng: random.Random) -> None:
        if not state["pollers"]:
            return self._view(index, state, rng)
        url = rng.choice(state["pollers"])
        reply = self._get(state["http"], url, "poll", headers={"HX-Request": "true", "Accept": "*/*"})
        kind = url.split("/")[2]
        state[kind].update(badges_of(reply.text, kind))
        found = POLLER.findall(reply.text)
        if reply.status_code == 286:
            state["pollers"] = [p for p in state["pollers"] if p != url]
        elif found:
            state["pollers"] = [p for p in state["pollers"] if p != url] + [unescape(found[0][1])]

    def _record(self, kind: str, reply: requests.Response, outcome: str, state: dict) -> None:
        text = reply.text
        record = ActionRecord(
            kind=kind,
            outcome=outcome,
            status=reply.status_code,
            console_request_id=reply.headers.get("X-Request-Id", ""),
            has_message=any(marker in text for marker in MESSAGE_MARKERS),
            shown_ids=[unescape(rid) for rid in REQUEST_ID.findall(text)],
            url=reply.request.path_url,
            note=note_of(text),
        )
        with self.tally.lock:
            self.tally.actions.append(record)

    def _submit(self, kind: str, state: dict, path: str, fields: dict) -> requests.Response:
        reply = self._post(state["http"], path, fields, kind)
        outcome = "ok" if reply.status_code == 302 else ("pending" if reply.status_code == 202 else "failed")
        self._record(kind, reply, outcome, state)
        return reply

    def _create_volume(self, index: int, state: dict, rng: random.Random) -> None:
        page = self._get(state["http"], "/volumes/create/", "create form")
        form = form_of(page.text, "/volumes/create/")
        if form is None:
            return self._record("create volume", page, "failed", state)
        state["n"] += 1
        marker = f"soak-{index}-{state['n']}"
        fields = {**form["fields"], "name": marker, "size": str(rng.randint(1, 3))}
        fields["availability_zone"] = rng.choice(["az1", "az2", "az3"])
        with self.tally.lock:
            self.tally.markers.append(marker)
        if rng.random() < self.config.double_submit:
            # The same form twice, the second while the first may still run (a double click).
            twin = threading.Thread(target=self._twin_submit, args=(state, fields), daemon=True)
            state["http"].twin_in_flight = True
            twin.start()
            try:
                reply = self._submit("create volume", state, "/volumes/create/", fields)
            finally:
                twin.join(CLIENT_TIMEOUT)
                state["http"].twin_in_flight = False
        else:
            reply = self._submit("create volume", state, "/volumes/create/", fields)
        if reply.status_code == 202:
            self._follow_create(state, reply)

    def _twin_submit(self, state: dict, fields: dict) -> None:
        time.sleep(random.uniform(0, 0.3))
        try:
            # The first submit's thread follows a session end to the login page (one landing, as a
            # browser tab shows one), so the twin does not.
            reply = self._post(
                state["http"], "/volumes/create/", fields, "create volume (twin)", landing=False
            )
            location = reply.headers.get("Location", "")
            if location.startswith("/login/"):
                state["http"].ended_by_twin = True
            outcome = {302: "ok", 202: "pending"}.get(reply.status_code, "failed")
            self._record(
                "create volume (twin)",
                reply,
                "session_ended" if location.startswith("/login/") else outcome,
                state,
            )
        except (SessionEnded, requests.RequestException):
            pass

    def _follow_create(self, state: dict, reply: requests.Response) -> None:
        match = re.search(r'href="(/volumes/create/[\w-]+/)"', reply.text) or re.search(
            r'hx-get="(/volumes/create/[\w-]+/)"', reply.text
        )
        if not match:
            return
        for _ in range(10):
            time.sleep(2)
            status = self._get(state["http"], match.group(1), "create status")
            if status.status_code != 202:
                self._record(
                    "create volume (status)", status, "ok" if status.status_code == 302 else "failed", state
                )
                return

    def _pick(self, state: dict, kind: str, rng: random.Random, statuses: tuple[str, ...]) -> str | None:
        ids = [rid for rid, status in state[kind].items() if status in statuses]
        return rng.choice(ids) if ids else None

    def _snapshot(self, index: int, state: dict, rng: random.Random) -> None:
        volume_id = self._pick(state, "volumes", rng, ("available",))
        if volume_id is None:
            return self._view(index, state, rng)
        page = self._get(state["http"], f"/snapshots/create/?volume_id={volume_id}", "snapshot form")
        if page.status_code == 404:  # deleted meanwhile (by another session): nothing to do
            state["volumes"].pop(volume_id, None)
            return None
        form = form_of(page.text, "/snapshots/create/")
        if form is None:
            return self._record("snapshot", page, "failed", state)
        state["n"] += 1
        marker = f"soak-{index}-{state['n']}"
        with self.tally.lock:
            self.tally.markers.append(marker)
        self._submit("snapshot", state, "/snapshots/create/", {**form["fields"], "name": marker})

    def _backup(self, index: int, state: dict, rng: random.Random) -> None:
        volume_id = self._pick(state, "volumes", rng, ("available",))
        if volume_id is None:
            return self._view(index, state, rng)
        page = self._get(state["http"], f"/backups/create/?volume_id={volume_id}", "backup form")
        if page.status_code == 404:  # deleted meanwhile (by another session): nothing to do
            state["volumes"].pop(volume_id, None)
            return None
        form = form_of(page.text, "/backups/create/")
        if form is None:
            return self._record("backup", page, "failed", state)
        state["n"] += 1
        marker = f"soak-{index}-{state['n']}"
        with self.tally.lock:
            self.tally.markers.append(marker)
        self._submit("backup", state, "/backups/create/", {**form["fields"], "name": marker})

    def _delete(self, index: int, state: dict, rng: random.Random) -> None:
        kind = rng.choice(["volumes", "volumes", "snapshots", "backups"])
        target = self._pick(state, kind, rng, ("available", "error"))
        if target is None:
            return self._view(index, state, rng)
        path = f"/{kind}/{target}/delete/"
        page = self._get(state["http"], path, f"delete {kind} confirm")
        if page.status_code == 404:
            state[kind].pop(target, None)
            return None
        form = form_of(page.text, path)
        if form is None:
            # The confirmation page explains why it is blocked (snapshots, attached...).
            return self._record(f"delete {kind}", page, "blocked", state)
        reply = self._submit(f"delete {kind}", state, path, form["fields"])
        if reply.status_code == 302:
            state[kind][target] = "deleting"
        return None

    def _attach(self, index: int, state: dict, rng: random.Random) -> None:
        volume_id = self._pick(state, "volumes", rng, ("available",))
        if volume_id is None:
            return self._view(index, state, rng)
        path = "/servers/attach/"
        page = self._get(state["http"], f"{path}?volume_id={volume_id}", "attach form")
        form = form_of(page.text, path) if page.status_code == 200 else None
        if form is None:
            if page.status_code != 404:
                self._record("attach", page, "blocked", state)
            return None
        servers = [value for value in form.get("options", {}).get("server_id", []) if value]
        if not servers:
            return self._record("attach", page, "blocked", state)
        fields = {**form["fields"], "volume_id": volume_id, "server_id": rng.choice(servers)}
        self._submit("attach", state, f"{path}?volume_id={volume_id}", fields)
        return None

    def _detach(self, index: int, state: dict, rng: random.Random) -> None:
        volume_id = self._pick(state, "volumes", rng, ("in-use",))
        if volume_id is None:
            return self._view(index, state, rng)
        detail = self._get(state["http"], f"/volumes/{volume_id}/", "volume detail")
        links = DETACH_LINK.findall(detail.text)
        if not links:
            return None
        path = unescape(links[0])
        page = self._get(state["http"], path, "detach confirm")
        form = form_of(page.text, path)
        if form is None or "blocked" in page.text:
            return self._record("detach", page, "blocked", state)
        self._submit("detach", state, path, form["fields"])
        return None

    # --- the end ----------------------------------------------------------------------------------------
    def _settled(self, state: dict) -> bool:
        """Load the three lists; settled when none of them has a poller (nothing transitional)."""
        moving = False
        for kind in ("volumes", "snapshots", "backups"):
            reply = self._get(state["http"], f"/{kind}/", kind)
            self._remember(state, reply.text, whole=True)
            moving = moving or bool(POLLER.search(reply.text)) or reply.status_code != 200
        return not moving

    def _final_view(self, state: dict) -> dict[str, dict[str, str]]:
        """The session's last word on each volume: its list page, then one poll for every id it ever saw
        (sent with a status it cannot have, so the answer carries the current badge of each)."""
        listed = badges_of(self._get(state["http"], "/volumes/", "final list").text)
        polled: dict[str, str] = {}
        seen = sorted(set(state["volumes"]) | set(listed))
        for start in range(0, len(seen), 50):
            query = "&".join(f"s={rid}:unknown" for rid in seen[start : start + 50])
            reply = self._get(
                state["http"], f"/live/volumes/?{query}", "final poll", headers={"HX-Request": "true"}
            )
            polled.update(badges_of(reply.text))
        return {"list": listed, "poll": polled}

    def _verify(self, *, fault_start: float, fault_end: float, end: float) -> dict:
        emulator_stats = self.emulator.stats()["projects"]
        rows = api_calls(self.backend)
        truth: dict[str, dict] = {}
        for account in self.accounts:
            truth[account["project_id"]] = api_truth(self.emulator, account)
            time.sleep(1.1)
        return summarize(
            self, emulator_stats, rows, truth, fault_start=fault_start, fault_end=fault_end, end=end
        )


# --- what the emulator and the request log say ---------------------------------------------------------
def api_calls(backend: Backend) -> list[dict]:
    """Every volume and compute row of the request log (the console's database)."""
    code = (
        "import json; from support.models import ApiCall; "
        "print(json.dumps([dict(p=c.project_id, s=c.status, r=c.request_id, c=c.console_request_id, "
        "m=c.method, f=c.fault, g=c.message, a=c.path, n=c.attempt, t=c.created_at.timestamp(), v=c.service) "
        "for c in "
        "ApiCall.objects.filter(service__in=['volume', 'compute'])]))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=backend.environment({}),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def api_truth(emulator: EmulatorProcess, account: dict) -> dict:
    """Volumes (id -> status, names), snapshot and backup names of a project, straight from the API."""
    token = account_token(emulator, account)
    headers = {"X-Auth-Token": token, "Accept": "application/json"}
    base = emulator.volume_url(account["project_id"], REGION)
    answer: dict = {}
    for kind, name_key in (("volumes", "display_name"), ("snapshots", "display_name"), ("backups", "name")):
        reply = requests.get(f"{base}/{kind}/detail", headers=headers, timeout=30)
        reply.raise_for_status()
        items = reply.json()[kind]
        answer[kind] = {item["id"]: item["status"] for item in items}
        answer[f"{kind}_names"] = [item.get(name_key) or "" for item in items]
        time.sleep(1.1)  # the project's rate limit
    return answer


def account_token(emulator: EmulatorProcess, account: dict) -> str:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": account["user"], "password": account["password"]}},
            },
            "scope": {"project": {"name": account["project"]}},
        }
    }
    reply = requests.post(f"{emulator.identity_url}/auth/tokens", json=body, timeout=30)
    reply.raise_for_status()
    return reply.headers["X-Subject-Token"]


def max_rate(times: list[float], window: float = 10.0) -> float:
    """The most calls in any `window` seconds, per second."""
    ordered = sorted(times)
    best = 0
    low = 0
    for high, when in enumerate(ordered):
        while when - ordered[low] >= window:
            low += 1
        best = max(best, high - low + 1)
    return best / window


def min_gap(times: list[float]) -> float:
    """The shortest time between two calls the emulator received."""
    ordered = sorted(times)
    return min((b - a for a, b in zip(ordered, ordered[1:], strict=False)), default=0.0)


def summarize(
    soak: Soak,
    stats: dict,
    rows: list[dict],
    truth: dict,
    *,
    fault_start: float,
    fault_end: float,
    end: float,
) -> dict:
    tally = soak.tally
    by_console_request: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_console_request[row["c"]].append(row)
    actions = Counter()
    missing_message: list[str] = []
    missing_request_id: list[str] = []
    for action in tally.actions:
        actions[(action.kind, action.outcome)] += 1
        if action.outcome != "failed":
            continue
        if not action.has_message:
            missing_message.append(f"{action.kind} {action.status} {action.url} {action.console_request_id}")
        # The action's last write: when the API answered it with a fault, its request id is shown.
        # (A write retried after a rate-limit 413 and then left without an answer shows the
        # console's request id instead, which finds every call of the click in the request log.)
        writes = sorted(
            (row for row in by_console_request.get(action.console_request_id, []) if row["m"] != "GET"),
            key=lambda row: row["t"],
        )
        last = writes[-1] if writes else None
        if last and last["f"] and last["r"] and last["r"] not in action.shown_ids:
            missing_request_id.append(
                f"{action.kind} {action.status} {action.url} console {action.console_request_id}: "
                f"API {[(row['s'], row['f'], row['r']) for row in writes]} not shown; "
                f"shown {action.shown_ids}, saying {action.note!r}"
            )

    projects = []
    for account in soak.accounts:
        pid = account["project_id"]
        entry = stats.get(pid, {"total": 0, "by_status": {}, "times": []})
        # Block Storage and Compute are metered apart (a budget and a limit each): rates per API.
        per_api = [metered["times"] for metered in entry.get("by_api", {}).values()] or [entry["times"]]
        own = [row for row in rows if row["p"] == pid]
        storms_413 = [
            row
            for row in own
            if row["s"] == 413
            and row["g"] == RATE_LIMITED  # not a quota refusal
            and not any(begin - 1 <= row["t"] <= stop + 3 for begin, stop in soak.storms)
        ]
        projects.append(
            {
                "project": account["project"],
                "rows": len(own),
                "emulator": entry["total"],
                "rows_no_status": sum(1 for row in own if row["s"] is None),
                "emulator_dropped": entry["by_status"].get("dropped", 0),
                "max_rate_10s": max((max_rate(times) for times in per_api), default=0.0),
                "overlimit_not_injected": len(storms_413),
                "overlimit_details": [
                    f"{row['t'] - fault_start:.1f}s {row['m']} {row['a']} attempt {row['n']}"
                    for row in storms_413
                ],
                "min_gap": min((min_gap(times) for times in per_api if len(times) > 1), default=0.0),
                "console_min_gap": min(
                    (
                        min_gap(sent)
                        for service in ("volume", "compute")
                        if len(sent := [row["t"] for row in own if row.get("v", "volume") == service]) > 1
                    ),
                    default=0.0,
                ),
            }
        )

    duplicates = []
    for account in soak.accounts:
        names = Counter()
        for kind in ("volumes", "snapshots", "backups"):
            names.update(
                name for name in truth[account["project_id"]][f"{kind}_names"] if name.startswith("soak-")
            )
        duplicates += [f"{name} x{count}" for name, count in names.items() if count > 1]
    created = sum(
        1
        for account in soak.accounts
        for name in truth[account["project_id"]]["volumes_names"]
        if name.startswith("soak-")
    )

    mismatches: list[str] = []
    for index, view in sorted(soak.final_views.items()):
        account = soak.accounts[index % len(soak.accounts)]
        real = truth[account["project_id"]]["volumes"]
        for source in ("list", "poll"):
            for rid, shown in view[source].items():
                expected = real.get(rid, "deleted")
                if shown != expected:
                    mismatches.append(f"session {index} {source}: {rid} shows {shown}, API says {expected}")
        for rid, status in real.items():
            if rid not in view["list"]:
                mismatches.append(f"session {index} list: {rid} ({status}) missing")
    unsettled = [index for index in range(soak.config.sessions) if index not in soak.final_views]

    failed = [a for a in tally.actions if a.outcome == "failed"]
    result = {
        "sessions": soak.config.sessions,
        "accounts": soak.config.accounts,
        "fault_seconds": round(fault_end - fault_start),
        "total_seconds": round(end - fault_start),
        "console_requests": tally.requests,
        "by_status": dict(sorted(tally.by_status.items())),
        "console_5xx": list(tally.server_errors),
        "transport_errors": tally.transport_errors,
        "actions": {f"{kind}: {outcome}": count for (kind, outcome), count in sorted(actions.items())},
        "attempted": len(tally.actions),
        "succeeded": sum(1 for a in tally.actions if a.outcome == "ok"),
        "blocked": sum(1 for a in tally.actions if a.outcome == "blocked"),
        "failed": len(failed),
        "failed_with_message": sum(1 for a in failed if a.has_message),
        "failed_with_request_id": sum(1 for a in failed if a.shown_ids),
        "missing_message": missing_message,
        "missing_request_id": missing_request_id,
        "relogins": tally.relogins,
        "ended_with_message": tally.ended_with_message,
        "ended_without_message": tally.ended_without_message,
        "ended_in_double_submit": tally.ended_in_double_submit,
        "ended_examples": tally.ended_examples,
        "token_expiries": len(soak.expired),
        "storms": len(soak.storms),
        "volumes_created": created,
        "duplicates": duplicates,
        "projects": projects,
        "badge_mismatches": mismatches,
        "unsettled_sessions": unsettled,
    }
    result["problems"] = problems(result)
    return result


def problems(result: dict) -> list[str]:
    """The soak's assertions, as a list of what failed (empty: all held)."""
    found = []
    if result["console_5xx"]:
        found.append(f"{len(result['console_5xx'])} console 5xx: {result['console_5xx'][:5]}")
    if result["missing_message"]:
        found.append(f"failed actions without a message: {result['missing_message'][:5]}")
    if result["missing_request_id"]:
        found.append(f"failed actions without the API's request id: {result['missing_request_id'][:5]}")
    if result["duplicates"]:
        found.append(f"duplicates: {result['duplicates']}")
    if result["ended_without_message"]:
        found.append(
            f"{result['ended_without_message']} session ends without the login message: "
            f"{result['ended_examples'][:5]}"
        )
    for project in result["projects"]:
        if project["rows"] != project["emulator"]:
            found.append(
                f"{project['project']}: {project['rows']} request-log rows, "
                f"emulator counted {project['emulator']}"
            )
        # The console's pace, measured where the console controls it: when it sent each call.
        if project["console_min_gap"] < PACE_FLOOR or project["max_rate_10s"] > 1.1:
            found.append(
                f"{project['project']}: calls sent {project['console_min_gap']:.3f} s apart, "
                f"{project['max_rate_10s']:.1f} calls/s over 10 s"
            )
    if result["badge_mismatches"]:
        found.append(f"{len(result['badge_mismatches'])} badge mismatches: {result['badge_mismatches'][:5]}")
    if result["unsettled_sessions"]:
        found.append(f"sessions that never saw everything settle: {result['unsettled_sessions']}")
    return found


def report(result: dict) -> str:
    """The result as a Markdown table (docs/soak.md)."""
    lines = [
        "| what | figure |",
        "|---|---|",
        f"| sessions (projects) | {result['sessions']} ({result['accounts']}) |",
        f"| duration | {result['fault_seconds']} s of faults, {result['total_seconds']} s in all "
        f"({result['storms']} 413 storms, {result['token_expiries']} token expiries) |",
        f"| console requests by status | {result['console_requests']}: "
        + ", ".join(f"{status}: {count}" for status, count in result["by_status"].items())
        + " |",
        f"| console 5xx | {len(result['console_5xx'])} |",
        f"| user actions attempted | {result['attempted']} "
        f"(blocked with an explanation: {result['blocked']}) |",
        f"| succeeded | {result['succeeded']} |",
        f"| failed, with a message | {result['failed_with_message']} of {result['failed']} |",
        f"| failed, with a request id shown | {result['failed_with_request_id']} of {result['failed']} "
        f"(API request id missing where the API answered: {len(result['missing_request_id'])}) |",
        f"| sessions ended by an expired token | {result['relogins']} (login page with the message: "
        f"{result['ended_with_message']}; in a double submit: {result['ended_in_double_submit']}), "
        "all logged in again |",
        f"| volumes created | {result['volumes_created']} |",
        f"| duplicates (by name marker) | {len(result['duplicates'])} |",
        f"| badge mismatches at the end | {len(result['badge_mismatches'])} |",
    ]
    lines += [
        "",
        "| project | request-log rows | emulator calls | no answer (log / emulator) | max calls/s (10 s) "
        "| closest two calls sent / received | 413s not injected |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in result["projects"]:
        lines.append(
            f"| {p['project']} | {p['rows']} | {p['emulator']} "
            f"| {p['rows_no_status']} / {p['emulator_dropped']} "
            f"| {p['max_rate_10s']:.1f} | {p['console_min_gap']:.3f} s / {p['min_gap']:.3f} s "
            f"| {p['overlimit_not_injected']} |"
        )
    lines += ["", "| action: outcome | count |", "|---|---|"]
    lines += [f"| {name} | {count} |" for name, count in result["actions"].items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the fault phase")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=5)
    parser.add_argument("--max-requests", type=int, default=40_000, help="console requests at most")
    parser.add_argument("--json", type=Path, help="also write the whole result here")
    args = parser.parse_args()
    config = SoakConfig(
        sessions=args.sessions, accounts=args.accounts, minutes=args.minutes, max_requests=args.max_requests
    )
    result = Soak(config).run()
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if result["problems"]:
        print("\nFAILED:\n- " + "\n- ".join(result["problems"]))
        raise SystemExit(1)
    print("\nAll assertions held.")


if __name__ == "__main__":
    main()
