"""The real-browser harness: Playwright driving Debian's chromium against a live console.

The console runs in pytest-django's `live_server` thread (test database, db-backed sessions), with
Identity pointed at the session's emulator. Tests are marked `browser`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the main thread, which trips Django's guard against
# synchronous database access from async code (test setup and assertions are plain sync code).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        message = (
            f"!!! {CHROMIUM} is missing: the browser tests cannot run. "
            "Install it with `apt-get install chromium` (make test does this when run as root)."
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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
