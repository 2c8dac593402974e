"""What the console benchmarks share: the machine, the emulator's API, the console as a real server,
browser-like sessions, percentiles and the report file.

The console runs as in production: gunicorn (`gunicorn.conf.py`: gthread, 2 workers x 4 threads) with
`console.settings_production` on loopback, over plain HTTP (the same relaxations as `make run-prod`).
With PostgreSQL running (`scripts/services.sh start`) and Debian's redis-server installed it gets its
own database in that cluster and a private Redis (its own process on a free loopback port, nothing
saved), so flushing the cache never touches anybody else's; otherwise SQLite and the database cache in
a temporary directory.
"""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.emulator_throughput import token_for  # noqa: E402
from tests.emulator_process import EmulatorProcess, free_port  # noqa: E402

BIN = Path(sys.executable).parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://console:console@127.0.0.1:54329/console")


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0.5: median) of a non-empty list."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def machine() -> str:
    """nproc, memory, Python and the CPU model, for the report."""
    cpu = "unknown CPU"
    memory = "unknown memory"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
                break
    return f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {memory}, {cpu}, " + (
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


# --- the emulator's API, straight (as a client of the cloud, not through the console) ------------------
def browser_session() -> requests.Session:
    """A keep-alive session that, like a browser, sends a GET again once when the server had just
    closed the idle connection it reused (gunicorn's keep-alive is 2 s, the poll interval too)."""
    session = requests.Session()
    adapter = HTTPAdapter(
        max_retries=Retry(total=1, status=0, allowed_methods={"GET"}, raise_on_status=False)
    )
    session.mount("http://", adapter)
    return session


def project_stats(emulator: EmulatorProcess, project_id: str) -> dict:
    """The emulator's counters of one project: total, overlimit, by_path, by_status, times."""
    return emulator.stats(project_id)["projects"][project_id]


def api_session(token: str) -> requests.Session:
    session = browser_session()
    session.headers.update({"X-Auth-Token": token, "Accept": "application/json"})
    return session


def volumes_create(
    emulator: EmulatorProcess, token: str, project: str, count: int, *, prefix: str = "bench"
) -> list[str]:
    """Create `count` volumes straight against the API; their ids, oldest first."""
    ids = []
    with api_session(token) as session:
        base = emulator.volume_url(project)
        for index in range(count):
            body = {
                "volume": {
                    "size": 1 + index % 50,
                    "display_name": f"{prefix}-{index:04d}",
                    "availability_zone": ("az1", "az2", "az3")[index % 3],
                    "metadata": {"n": str(index)},
                }
            }
            reply = session.post(f"{base}/volumes", json=body, timeout=10)
            reply.raise_for_status()
            ids.append(reply.json()["volume"]["id"])
    return ids


def wait_until_available(emulator: EmulatorProcess, token: str, project: str, what: str, count: int) -> None:
    """Wait until `what` (volumes, snapshots, backups) lists `count` resources, all available."""
    with api_session(token) as session:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            items = session.get(f"{emulator.volume_url(project)}/{what}/detail", timeout=30).json()[what]
            if len(items) >= count and all(item["status"] == "available" for item in items):
                return
            time.sleep(0.2)
    raise SystemExit(f"{what} never became available")


# --- the console as a real server ----------------------------------------------------------------------
def _postgresql_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(DATABASE_URL, connect_timeout=3).close()
    except Exception:
        return False
    return True


@dataclass
class Backend:
    """The console's database and cache for one benchmark run, migrated once and shared by its servers."""

    tmp: tempfile.TemporaryDirectory = field(
        default_factory=lambda: tempfile.TemporaryDirectory(prefix="bench-")
    )
    env: dict[str, str] = field(default_factory=dict)
    kind: str = ""
    _database: str = ""
    _redis: subprocess.Popen | None = None

    def start(self) -> Backend:
        var = Path(self.tmp.name)
        self.env = {
            "DJANGO_SETTINGS_MODULE": "console.settings_production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_HSTS_SECONDS": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "CONSOLE_VAR_DIR": str(var),
            "DJANGO_STATIC_ROOT": str(var / "static"),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        if _postgresql_reachable() and shutil.which("redis-server"):
            import psycopg

            self._database = f"console_bench_{os.getpid()}"
            with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._database}"')
                conn.execute(f'CREATE DATABASE "{self._database}"')
            parts = urlsplit(DATABASE_URL)
            self.env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + self._database))
            self.env["REDIS_URL"] = self._redis_start(var)
            self.kind = "PostgreSQL (its own database) + a private redis-server"
        else:
            self.env["DATABASE_URL"] = f"sqlite:///{var}/console.sqlite3"
            self.env["CACHE_URL"] = "db://console_cache"
            # Required by the production settings (the Celery broker); nothing here sends a task.
            self.env["REDIS_URL"] = "redis://127.0.0.1:1/0"
            self.kind = "SQLite + database cache (PostgreSQL not running or redis-server missing)"
        commands = [["migrate", "--noinput"], ["collectstatic", "--noinput"]]
        for command in commands:
            result = subprocess.run(
                [sys.executable, "manage.py", *command, "-v", "0"],
                cwd=ROOT,
                env=self.environment({}),
                capture_output=True,
                text=True,
                timeout=300,
            )
            if result.returncode:
                raise SystemExit(f"manage.py {command[0]} failed:\n{result.stdout}{result.stderr}")
        self.cache_clear()
        return self

    def _redis_start(self, var: Path) -> str:
        """A private redis-server for this run (cache, sessions, budget): flushing it harms nobody."""
        port = free_port()
        self._redis = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(var)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(url, socket_connect_timeout=1).ping()
                return url
            except redis.RedisError:
                time.sleep(0.1)
        raise SystemExit("the private redis-server did not start within 10 s")

    def environment(self, extra: dict[str, str]) -> dict[str, str]:
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "CELERY_", "WATCH_", "INVENTORY_", "EMULATOR_", "API_"))
            and key not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "IDENTITY_URL", "SESSION_ENGINE"}
        }
        return {**inherited, **self.env, **extra}

    def cache_clear(self, pattern: str = "*") -> None:
        """Delete the cache entries whose key matches `pattern` (a glob), e.g. "*inventory:*"."""
        if "CACHE_URL" in self.env:
            import sqlite3

            with sqlite3.connect(Path(self.tmp.name) / "console.sqlite3", timeout=20) as conn:
                conn.execute("DELETE FROM console_cache WHERE cache_key GLOB ?", (pattern,))
            return
        import redis

        client = redis.Redis.from_url(self.env["REDIS_URL"])
        if pattern == "*":
            client.flushdb()
            return
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)

    def stop(self) -> None:
        if self._database:
            import psycopg

            with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._database}" WITH (FORCE)')
        if self._redis:
            self._redis.terminate()
            self._redis.wait(timeout=10)
        self.tmp.cleanup()


@dataclass
class ConsoleServer:
    """The console under gunicorn (gunicorn.conf.py: gthread, GUNICORN_WORKERS x GUNICORN_THREADS)."""

    backend: Backend
    emulator: EmulatorProcess
    settings: dict[str, str] = field(default_factory=dict)
    wsgi_app: str = "console.wsgi:application"
    workers: int = 2
    threads: int = 4
    port: int = 0
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ConsoleServer:
        self.port = free_port()
        self.log_path = Path(self.backend.tmp.name) / f"gunicorn-{self.port}.log"
        env = self.backend.environment(
            {
                "IDENTITY_URL": self.emulator.identity_url,
                "GUNICORN_WORKERS": str(self.workers),
                "GUNICORN_THREADS": str(self.threads),
                **self.settings,
            }
        )
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "-c",
                    "gunicorn.conf.py",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    self.wsgi_app,
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # A loaded machine may take gunicorn many seconds to load the application; meanwhile it
        # accepts connections without answering (a read timeout, not a refusal).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited early:\n{self.log_path.read_text()}")
            try:
                if requests.get(f"{self.url}/login/", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit("the console did not start within 120 s")

    def worker_pids(self) -> list[int]:
        return children_of(self.proc.pid)

    def worker_rss_mib(self) -> list[float]:
        return [process_rss_mib(pid) for pid in self.worker_pids()]

    def access_durations(self) -> dict[str, float]:
        """X-Request-Id -> server time in ms, from gunicorn's JSON access lines (console.jsonlog)."""
        durations = {}
        for line in self.log_path.read_text(errors="replace").splitlines():
            if '"gunicorn.access"' not in line:
                continue
            entry = json.loads(line)
            if entry.get("request_id") and entry.get("duration_ms") is not None:
                durations[entry["request_id"]] = float(entry["duration_ms"])
        return durations

    def access_entries(self) -> list[dict]:
        """gunicorn's JSON access lines: path, status, duration_ms, request_id of every answer."""
        return [
            json.loads(line)
            for line in self.log_path.read_text(errors="replace").splitlines()
            if '"gunicorn.access"' in line
        ]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def process_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@dataclass
class CeleryStack:
    """A Celery worker (prefork, `concurrency` processes) and beat for the console, as `make run-prod`
    starts them, on the backend's Redis (the broker) and database."""

    backend: Backend
    emulator: EmulatorProcess
    settings: dict[str, str] = field(default_factory=dict)
    concurrency: int = 2
    procs: list[subprocess.Popen] = field(default_factory=list)

    def start(self) -> CeleryStack:
        env = self.backend.environment({"IDENTITY_URL": self.emulator.identity_url, **self.settings})
        var = Path(self.backend.tmp.name)
        self.log_path = var / "celery.log"
        commands = [
            [str(BIN / "celery"), "-A", "console", "worker", "--concurrency", str(self.concurrency),
             "--loglevel", "WARNING", "--hostname", f"bench-{os.getpid()}@%h"],
            [str(BIN / "celery"), "-A", "console", "beat", "--loglevel", "WARNING",
             "--schedule", str(var / "celerybeat-schedule")],
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            for command in commands:
                self.procs.append(
                    subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(proc.poll() is not None for proc in self.procs):
                raise SystemExit(f"celery exited early:\n{self.log_path.read_text()}")
            if len(children_of(self.procs[0].pid)) >= self.concurrency:
                return self
            time.sleep(0.2)
        self.stop()
        raise SystemExit("the Celery worker did not start its processes within 60 s")

    def worker_pids(self) -> list[int]:
        """The worker's main process and its pool processes."""
        return [self.procs[0].pid, *children_of(self.procs[0].pid)]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# --- a browser-like session ---------------------------------------------------------------------------
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
POLLER = re.compile(r'<div id="status-poller-(\w+)"[^>]*\bhx-get="([^"]+)"[^>]*\bdata-interval="([^"]+)"')


def console_login(url: str, account: dict, *, extra: dict[str, str] | None = None) -> requests.Session:
    """A session logged in through the console's /login/ form, with its CSRF token, as a browser does
    (`extra`: more fields of the form, e.g. the domains of a Keystone v3 login)."""
    session = browser_session()
    form = session.get(f"{url}/login/", timeout=30)
    token = CSRF_INPUT.search(form.text).group(1)
    reply = session.post(
        f"{url}/login/",
        data={
            "csrfmiddlewaretoken": token,
            "username": account["user"],
            "password": account["password"],
            "project": account["project"],
            **(extra or {}),
        },
        headers={"Referer": f"{url}/login/"},
        allow_redirects=False,
        timeout=30,
    )
    if reply.status_code != 302:
        raise SystemExit(f"login refused ({reply.status_code})")
    return session


def poller_of(html: str) -> tuple[str, float] | None:
    """The poller's URL (unescaped) and interval in a page or a poll answer, if it has one."""
    match = POLLER.search(html)
    return (unescape(match.group(2)), float(match.group(3))) if match else None


def htmx_headers(url: str, page: str) -> dict[str, str]:
    """What htmx 2 sends with a poll (hx-get on an element without an id target)."""
    return {"HX-Request": "true", "HX-Current-URL": f"{url}{page}", "Accept": "*/*"}


def follow_poller(
    session: requests.Session,
    url: str,
    page: str,
    html: str,
    *,
    until: float,
    on_answer=None,
) -> None:
    """Poll as htmx 2 does the page's out-of-band poller, until it answers 286 or `until`
    (time.monotonic()).

    Every answer replaces the poller element (hx-swap-oob), and htmx starts the new element's
    `every` timer when it processes it: the next poll goes `data-interval` after the answer came,
    with the new URL. When an answer took longer than the old element's interval, that element's
    timer had fired meanwhile and htmx queued one more request, sent as the answer lands.
    `on_answer(reply, arrived)` sees every answer (arrived: time.time()).
    """
    poller = poller_of(html)
    next_at = time.monotonic() + (poller[1] if poller else 0)
    while poller and time.monotonic() < until:
        time.sleep(max(0.0, next_at - time.monotonic()))
        if time.monotonic() >= until:
            break
        sent = time.monotonic()
        reply = session.get(url + poller[0], headers=htmx_headers(url, page), timeout=30)
        arrived = time.monotonic()
        if on_answer is not None:
            on_answer(reply, time.time())
        if reply.status_code == 286:
            break
        queued = arrived - sent >= poller[1]
        poller = poller_of(reply.text) or poller
        next_at = arrived if queued else arrived + poller[1]


def account_new(emulator: EmulatorProcess, name: str) -> dict:
    token, project = token_for(emulator, name)
    return {
        "user": name,
        "password": f"{name}-password",
        "project": name,
        "project_id": project,
        "token": token,
    }


def run_command() -> str:
    return " ".join(
        [os.path.relpath(sys.executable, ROOT), *[os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]]]
    )


def command_line() -> str:
    """The line under a report section's heading: the command that made it, and when (a run of some
    sections replaces those sections only, so each says its own)."""
    import datetime

    return f"Command: `{run_command()}` ({datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC)."


def which(program: str) -> str | None:
    return shutil.which(program)
