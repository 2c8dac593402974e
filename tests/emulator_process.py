"""Start the real emulator in its own process for tests and benchmarks.

The emulator runs exactly as `make run` runs it (`manage.py runemulator`), on a free loopback port,
with its own throw-away SQLite file. Tests talk to it over real HTTP.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lifecycle durations shrink by this factor in tests (3 s of creating becomes 0.15 s).
FAST = {"EMULATOR_SPEED": "0.05"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class EmulatorProcess:
    """A running emulator. `url` is its root, e.g. http://127.0.0.1:PORT."""

    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen | None = None
    tmpdir: tempfile.TemporaryDirectory | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def identity_url(self) -> str:
        return f"{self.url}/v3"

    def volume_url(self, project_id: str, region: str = "region-a.geo-1") -> str:
        return f"{self.url}/volume/{region}/v1/{project_id}"

    def compute_url(self, project_id: str, region: str = "region-a.geo-1") -> str:
        return f"{self.url}/compute/{region}/v2/{project_id}"

    def start(self) -> EmulatorProcess:
        self.tmpdir = tempfile.TemporaryDirectory(prefix="emulator-")
        self.port = self.port or free_port()
        self.log_path = Path(self.tmpdir.name) / "emulator.log"
        self._spawn()
        return self

    def _spawn(self) -> None:
        env = {
            **os.environ,
            "EMULATOR_DB": str(Path(self.tmpdir.name) / "emulator.sqlite3"),
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in _terminate()
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "runemulator", "--addr", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"emulator exited early:\n{self.log_path.read_text()}")
            try:
                self.hook("GET", "/_emulator/stats")
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("emulator did not start within 20 s")

    def _terminate(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_log", None):
            self._log.close()

    def stop(self) -> None:
        self._terminate()
        if self.tmpdir:
            self.tmpdir.cleanup()
            self.tmpdir = None

    def restart(self) -> None:
        """Stop and start the same emulator: same port, same database file."""
        self._terminate()
        self._spawn()

    # --- test hooks (docs/emulator.md) ---------------------------------------------------------
    def hook(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            raw = response.read()
        return json.loads(raw) if raw else {}

    def stats(self, project_id: str | None = None) -> dict:
        return self.hook("GET", "/_emulator/stats" + (f"?project={project_id}" if project_id else ""))

    def reset_stats(self) -> None:
        self.hook("POST", "/_emulator/stats/reset", {})

    def set_faults(self, **faults) -> dict:
        return self.hook("PUT", "/_emulator/faults", faults)

    def new_account(self, name: str, password: str | None = None, servers: list[dict] | None = None) -> dict:
        """A fresh user and project (named `name`), with seeded servers and images.

        `servers` ([{"name": ..., "zone": "az1"}, ...]) replaces the default seeded servers of a new
        project, in every region.
        """
        body = {"user": name, "password": password or f"{name}-password", "project": name}
        if servers is not None:
            body["servers"] = servers
        return self.hook("POST", "/_emulator/accounts", body)

    def as_client(self, account: dict, method: str, url: str, body: dict | None = None) -> dict:
        """A call straight at the emulator (not through the console, nor its call budget), as another
        client of the account's project would make it: a token of its own, then `method url`."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        credentials = {"username": account["user"], "password": account["password"]}
        login = {"auth": {"passwordCredentials": credentials, "tenantName": account["project"]}}
        token_request = urllib.request.Request(
            f"{self.url}/v2.0/tokens", data=json.dumps(login).encode(), method="POST", headers=headers
        )
        with urllib.request.urlopen(token_request, timeout=30) as answer:  # noqa: S310 - loopback only
            token = json.loads(answer.read())["access"]["token"]["id"]
        request = urllib.request.Request(
            url,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={**headers, "X-Auth-Token": token},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback only
            raw = answer.read()
        return json.loads(raw) if raw else {}

    def expire_tokens(self, user: str | None = None) -> None:
        self.hook("POST", "/_emulator/tokens/expire", {"user": user} if user else {})
