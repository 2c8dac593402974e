"""Fixtures of the backups tests: the snapshots tests' logged-in client and its context."""

from tests.snapshots.conftest import client_in, ctx

__all__ = ["client_in", "ctx"]
