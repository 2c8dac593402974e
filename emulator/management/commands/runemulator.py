"""`python manage.py runemulator [--addr 127.0.0.1] [--port 8776]`: the emulator in this process."""

from __future__ import annotations

import logging
import sys

from django.core.management.base import BaseCommand

from emulator.app import Emulator
from emulator.config import Config
from emulator.server import serve


def configure_logging() -> None:
    """The emulator logs each call to stdout (request id, project, method, path, status)."""
    logger = logging.getLogger("emulator")
    if not any(getattr(handler, "_emulator", False) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        handler._emulator = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


class Command(BaseCommand):
    requires_system_checks = []  # the emulator uses nothing of the console's
    help = "Run the Block Storage API emulator (identity, block storage v1, compute v2) on one port."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8776, help="port to listen on (default 8776)")

    def handle(self, *args, **options):
        configure_logging()
        emulator = Emulator(Config.from_env())
        serve(emulator, options["addr"], options["port"])
