"""Fixtures shared by the whole suite."""

from __future__ import annotations

import itertools
import os

import pytest

from tests.emulator_process import FAST, EmulatorProcess

_names = itertools.count(1)


@pytest.fixture(scope="session")
def emulator():
    """One real emulator process for the session, rate limit off, fast lifecycles."""
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0"}).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def limited_emulator():
    """A second emulator with the spec's rate limit on (1 call/s per project)."""
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "1", "EMULATOR_BURST": "1"}).start()
    yield proc
    proc.stop()


@pytest.fixture
def account(emulator):
    """A fresh user and project in the session's emulator, so tests never see each other's data."""
    name = f"t{os.getpid()}x{next(_names)}"
    info = emulator.new_account(name)
    return {"user": name, "password": f"{name}-password", "project": name, **info}
