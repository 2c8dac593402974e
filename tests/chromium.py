"""Debian's chromium, as the browser tests launch it (the `browser` fixture in tests/conftest.py)."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Headless, as root, on a machine whose network is closed: no sandbox, no GPU, no background traffic.
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
