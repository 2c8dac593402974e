"""`make run` (scripts/run-dev.sh) as a developer uses it: stopping the emulator leaves the console
running, and the console says that the cloud cannot be reached; Ctrl-C still stops everything.

The script runs for real (emulator, console, Celery worker) on free ports, with its state in a
temporary directory (CONSOLE_VAR_DIR, DATABASE_URL, EMULATOR_DB)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.emulator_process import ROOT, free_port

pytestmark = pytest.mark.browser

DEMO = {"user": "demo", "password": "demo-password", "project": "demo"}


def session_processes(session_id: int) -> dict[int, str]:
    """pid -> command line of the processes in this session (the script and what it started)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(fields[3]) == session_id and fields[0] != "Z":
            found[int(entry.name)] = command
    return found


# The script exec'd with SIGINT and SIGQUIT at their defaults, as a terminal starts it. A test run
# started in the background (`make test &`, nohup, a CI runner) ignores SIGINT, its children inherit
# that, and bash can neither trap nor reset a signal ignored when it starts: Ctrl-C would do nothing.
AS_A_TERMINAL_STARTS_IT = (
    "import os, signal, sys; "
    "signal.signal(signal.SIGINT, signal.SIG_DFL); signal.signal(signal.SIGQUIT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout} s")


@contextlib.contextmanager
def started(tmp_path: Path, identity_url: str | None = None):
    """scripts/run-dev.sh started in its own session; stopped (and its session emptied) afterwards.
    With `identity_url`, the script is pointed at that cloud (`IDENTITY_URL=... make run`)."""
    emulator_port, console_port = free_port(), free_port()
    env = {
        **os.environ,
        "CONSOLE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/console.sqlite3",
        "EMULATOR_DB": str(tmp_path / "emulator.sqlite3"),
        "EMULATOR_PORT": str(emulator_port),
        "CONSOLE_PORT": str(console_port),
        # Listings are due again after a second: an outage shows at the next page.
        "INVENTORY_IDLE_INTERVAL": "1",
        "INVENTORY_STATIC_INTERVAL": "1",
    }
    for name in ("IDENTITY_URL", "DJANGO_SETTINGS_MODULE", "CACHE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    if identity_url:
        env["IDENTITY_URL"] = identity_url
    # `make run` migrates before it runs the script.
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    output = tmp_path / "run-dev.out"
    with output.open("wb") as out:
        script = subprocess.Popen(
            [sys.executable, "-c", AS_A_TERMINAL_STARTS_IT, "scripts/run-dev.sh"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    run = {
        "script": script,
        "output": output,
        "url": f"http://127.0.0.1:{console_port}",
        "port": emulator_port,
    }
    try:
        yield run
    finally:
        if script.poll() is None:
            script.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                script.wait(timeout=60)
        for pid in session_processes(script.pid):  # only what this script started
            os.kill(pid, signal.SIGKILL)
        script.wait()


@pytest.fixture
def run_dev(tmp_path):
    with started(tmp_path) as run:
        yield run


def log_in(page, account: dict) -> None:
    page.goto("/login/")
    page.get_by_label("User name").fill(account["user"])
    page.get_by_label("Password").fill(account["password"])
    page.get_by_label("Project", exact=True).fill(account["project"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=30_000)


def test_stopping_the_emulator_leaves_the_console_up_with_its_outage_message(browser, run_dev):
    script, output = run_dev["script"], run_dev["output"]
    wait_until(lambda: "Ctrl-C stops everything." in output.read_text(), 120, "the script started")
    context = browser.new_context(base_url=run_dev["url"])
    page = context.new_page()
    try:
        log_in(page, DEMO)

        emulator = [
            pid
            for pid, command in session_processes(script.pid).items()
            if "runemulator" in command and f"--port {run_dev['port']}" in command
        ]
        assert len(emulator) == 1, session_processes(script.pid)
        os.kill(emulator[0], signal.SIGTERM)
        wait_until(lambda: "The emulator stopped" in output.read_text(), 30, "the script said so")

        def outage_shown() -> bool:
            page.goto("/")
            return page.get_by_role("alert").filter(has_text="cloud").count() > 0

        wait_until(outage_shown, 60, "the overview said the cloud cannot be reached")
        assert script.poll() is None, output.read_text()
        page.goto("/volumes/")
        expect(page.get_by_role("heading", name="Volumes", exact=True)).to_be_visible()
    finally:
        context.close()

    # Ctrl-C (the terminal's SIGINT to the script) still stops everything it started.
    script.send_signal(signal.SIGINT)
    script.wait(timeout=60)
    assert session_processes(script.pid) == {}
    assert "Stopping..." in output.read_text()


def test_with_identity_url_set_it_talks_to_that_cloud_and_starts_no_emulator(
    browser, emulator, account, tmp_path
):
    """`IDENTITY_URL=<your cloud> make run`: the banner names that cloud instead of the demo logins of
    an emulator, no emulator starts, and logging in reaches that cloud (here the test session's
    emulator stands in for a real Keystone; tests/openstack logs in to a real one)."""
    with started(tmp_path, emulator.identity_url) as run:
        script, output = run["script"], run["output"]
        wait_until(lambda: "Ctrl-C stops everything." in output.read_text(), 120, "the script started")
        banner = output.read_text()
        assert f"Cloud                  {emulator.identity_url}" in banner
        assert "Demo logins" not in banner
        assert not [command for command in session_processes(script.pid).values() if "runemulator" in command]
        context = browser.new_context(base_url=run["url"])
        page = context.new_page()
        try:
            log_in(page, account)
            expect(page.get_by_test_id("user")).to_contain_text(account["user"])
        finally:
            context.close()
