"""The real-browser harness: Playwright driving Debian's chromium against a live console.

The console runs in pytest-django's `live_server` thread (test database, db-backed sessions), with
Identity pointed at the session's emulator. Tests are marked `browser`.

Screenshots: `screenshots` is var/screenshots (untracked, every run); `readme_screenshot` writes the
README's 1280x800 pictures only when SCREENSHOTS names a directory, e.g.
`SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest tests/browser/test_flows_screenshots.py`,
so that ordinary and CI runs leave the tree clean.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.chromium import CHROMIUM
from tests.emulator_process import EmulatorProcess

# Playwright's sync API runs an event loop in the main thread, which trips Django's guard against
# synchronous database access from async code (test setup and assertions are plain sync code).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"


@pytest.fixture(scope="module")
def slow_emulator():
    """An emulator whose lifecycles take real seconds, so that a badge can be seen moving (e.g. from
    Creating to Available). A module may override it with other speeds; `slow_account` follows."""
    proc = EmulatorProcess(env={"EMULATOR_SPEED": "1", "EMULATOR_RATE": "0"}).start()
    yield proc
    proc.stop()


@pytest.fixture
def slow_account(slow_emulator) -> dict:
    """A fresh user and project on `slow_emulator`."""
    name = f"sb{os.getpid()}x{os.urandom(3).hex()}"
    info = slow_emulator.new_account(name)
    return {"user": name, "password": f"{name}-password", "project": name, **info}


@pytest.fixture
def console_url(live_server, settings, emulator) -> str:
    """The live console, talking to the session's emulator."""
    settings.IDENTITY_URL = emulator.identity_url
    return live_server.url


@pytest.fixture
def page(browser, console_url):
    context = browser.new_context(base_url=console_url, viewport={"width": 1280, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=console_url)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def readme_screenshot():
    """`shot(page, "volumes")` saves the viewport (1280x800) as volumes.png in $SCREENSHOTS when that
    variable is set (relative paths from the repository root); otherwise it does nothing."""
    target = os.environ.get("SCREENSHOTS", "")
    folder = (ROOT / target) if target else None

    def shot(page, name: str) -> None:
        if folder is None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"{name}.png", full_page=False, animations="disabled", caret="hide")

    return shot


def pytest_terminal_summary(terminalreporter) -> None:
    """Say loudly, at the end of the run, that the browser suite did not run (outside CI). The check
    is made here again: with pytest-xdist the skips happen in the workers, this runs in the main
    process."""
    if not CHROMIUM.exists() and terminalreporter.stats.get("skipped"):
        terminalreporter.write_sep("!", "THE BROWSER TESTS DID NOT RUN", red=True, bold=True)
        terminalreporter.write_line(f"{CHROMIUM} is missing: apt-get install chromium", red=True, bold=True)
