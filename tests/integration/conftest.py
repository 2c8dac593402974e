"""The production stack for integration tests: PostgreSQL and Redis (scripts/services.sh, Debian's
packages, loopback), the console under real gunicorn workers with production settings (DEBUG off,
plain HTTP allowed for loopback), a real Celery worker and Celery beat, and the emulator.

Without PostgreSQL or Redis these tests skip with a loud warning; with CI=true they fail instead.
Each test session gets its own PostgreSQL database and Redis database number.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from tests.emulator_process import ROOT, EmulatorProcess, free_port

DATABASE_URL = os.environ.get(
    "INTEGRATION_DATABASE_URL", "postgres://console:console@127.0.0.1:54329/console"
)
REDIS_URL = os.environ.get("INTEGRATION_REDIS_URL", "redis://127.0.0.1:63799")
BIN = Path(sys.executable).parent


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "integration: runs against PostgreSQL, Redis, gunicorn and a Celery worker (tests/integration)",
    )


def _unreachable() -> str | None:
    try:
        import psycopg
        import redis
    except ImportError as exc:
        return f"{exc.name} is not installed"
    try:
        psycopg.connect(DATABASE_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {urlsplit(DATABASE_URL).port}: {type(exc).__name__}"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis: {type(exc).__name__}"
    return None


@pytest.fixture(scope="session")
def services() -> None:
    problem = _unreachable()
    if problem is None:
        return
    message = (
        f"!!! PostgreSQL/Redis are not reachable ({problem}): the integration tests cannot run. "
        "Start them with `scripts/services.sh start` (make test does this when run as root)."
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    warnings.warn(message, stacklevel=1)
    pytest.skip(message)


@pytest.fixture(scope="session")
def stack_base(services, tmp_path_factory) -> dict[str, str]:
    """A fresh database, a Redis database, migrated and with static files collected: the environment
    every process of the stack shares."""
    import psycopg

    name = f"console_it_{os.getpid()}"
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(DATABASE_URL)
    redis_db = 1 + os.getpid() % 15
    var = tmp_path_factory.mktemp("stack")
    env = {
        "DJANGO_SETTINGS_MODULE": "console.settings_production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": urlunsplit(parts._replace(path="/" + name)),
        "REDIS_URL": f"{REDIS_URL.rstrip('/')}/{redis_db}",
        # Plain HTTP on loopback: the only relaxations of the production profile.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "CONSOLE_VAR_DIR": str(var),
        "DJANGO_STATIC_ROOT": str(var / "static"),
        "PYTHONUNBUFFERED": "1",
    }
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command, "-v", "0"],
            cwd=ROOT,
            env=_environment(env),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    yield env
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _environment(extra: dict[str, str]) -> dict[str, str]:
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "WATCH_", "INVENTORY_", "EMULATOR_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "IDENTITY_URL", "SESSION_ENGINE"}
    }
    return {**inherited, **extra}


@dataclass
class Process:
    """A process of the stack in its own process group (so SIGKILL takes its children too)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None

    def start(self) -> Process:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it until it ends
        self.proc = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group: no warm shutdown, nothing saved."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Stack:
    """gunicorn (2 workers x 4 threads), a Celery worker and beat, against one emulator."""

    env: dict[str, str]
    logs: Path
    port: int = 0
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def process(self, name: str) -> Process:
        argv = {
            "web": [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}"],
            "worker": [
                str(BIN / "celery"),
                "-A",
                "console",
                "worker",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--hostname",
                f"it{self.port}@%h",
            ],  # fmt: skip
            "beat": [
                str(BIN / "celery"),
                "-A",
                "console",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.logs / "beat-schedule"),
            ],  # fmt: skip
        }[name]
        return Process(name, argv, self.env, self.logs / f"{name}.log")

    def start(self, *names: str) -> Stack:
        self.port = self.port or free_port()
        for name in names:
            self.processes[name] = self.process(name).start()
        if "web" in names:
            self.wait_healthy()
        return self

    def restart(self, name: str) -> None:
        self.processes[name] = self.process(name).start()

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()

    def wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError("the console did not become healthy:\n" + self.processes["web"].log()[-3000:])

    def all_logs(self) -> str:
        return "\n".join(process.log() for process in self.processes.values())


@pytest.fixture
def make_stack(stack_base, tmp_path):
    """Start a stack against an emulator: make_stack(emulator, "web", "worker", "beat", **env)."""
    stacks: list[Stack] = []

    def make(emulator: EmulatorProcess, *names: str, **extra: str) -> Stack:
        env = _environment({**stack_base, "IDENTITY_URL": emulator.identity_url, **extra})
        stack = Stack(env=env, logs=Path(tempfile.mkdtemp(dir=tmp_path)))
        stacks.append(stack)
        return stack.start(*names)

    yield make
    for stack in stacks:
        stack.stop()


@pytest.fixture
def pg(stack_base):
    """A connection to the stack's database, for reading what the console stored."""
    import psycopg

    with psycopg.connect(stack_base["DATABASE_URL"], autocommit=True) as conn:
        yield conn


# --- a person's browser, without JavaScript: requests.Session ------------------------------------

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def form_fields(html: str) -> dict[str, str]:
    return dict(HIDDEN.findall(html))


def console_login(stack: Stack, account: dict) -> requests.Session:
    session = requests.Session()
    page = session.get(stack.url + "/login/", timeout=10)
    fields = form_fields(page.text)
    response = session.post(
        stack.url + "/login/",
        data={
            "csrfmiddlewaretoken": fields["csrfmiddlewaretoken"],
            "username": account["user"],
            "password": account["password"],
            "project": account["project"],
        },
        allow_redirects=False,
        timeout=20,
    )
    assert response.status_code == 302, stack.all_logs()[-4000:]
    assert "sessionid" in session.cookies
    return session


def volume_create(stack: Stack, session: requests.Session, *, name: str, size: int = 1) -> tuple[str, str]:
    """Create a volume through the volumes section's form, as a person would; return (volume id,
    the console request id of the POST). Follows no redirect: no page is loaded afterwards."""
    form = session.get(stack.url + "/volumes/create/", timeout=30)
    assert form.status_code == 200, form.text[:2000]
    data = {**form_fields(form.text), "name": name, "size": str(size), "availability_zone": "az2"}
    data.update({"description": "", "snapshot_id": "", "source_volid": "", "image_id": ""})
    response = session.post(stack.url + "/volumes/create/", data=data, allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text[:3000]
    match = re.fullmatch(r"/volumes/([0-9a-f-]{36})/", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1), response.headers["X-Request-Id"]


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
