"""How listings are kept: in the shared cache, and decoded in each process while they are current
(console.inventory `_store` / `_load`). A page must show the listing any process stored last."""

from __future__ import annotations

import threading
import time
import uuid
from contextlib import contextmanager

import pytest
from django.core.cache import cache

from console import inventory
from console.api.records import Volume
from console.inventory import Listing

pytestmark = pytest.mark.django_db


def volume(name: str, status: str = "available") -> Volume:
    return Volume(
        id=str(uuid.uuid4()),
        status=status,
        size=1,
        availability_zone="az1",
        display_name=name,
        display_description=None,
        created_at=None,
        bootable=False,
    )


@contextmanager
def another_process():
    """What runs inside happens as in another process: without this process's decoded copies."""
    saved, count, pending = dict(inventory._local), inventory._local_items, dict(inventory._pending)
    inventory._local.clear()
    inventory._local_items = 0
    inventory._pending.clear()
    try:
        yield
    finally:
        inventory._local.clear()
        inventory._local.update(saved)
        inventory._local_items = count
        inventory._pending.clear()
        inventory._pending.update(pending)


def key() -> str:
    return f"inventory:test:{uuid.uuid4().hex}:volumes"


def test_a_listing_another_process_stored_is_the_one_read_here():
    where = key()
    first = inventory._store(where, Listing("volumes", (volume("one", "creating"),), fetched_at=1.0))
    assert inventory._load(where) is first  # kept decoded: not read from the cache again
    with another_process():
        inventory._store(where, Listing("volumes", (volume("one"), volume("two")), fetched_at=2.0))
    seen = inventory._load(where)
    assert [item.display_name for item in seen.items] == ["one", "two"]
    assert seen.fetched_at == 2.0


def test_a_listing_written_as_it_is_is_read_as_it_is():
    where = key()
    inventory._store(where, Listing("volumes", (volume("old"),), fetched_at=1.0))
    cache.set(where, Listing("volumes", (volume("by hand"),), fetched_at=3.0))
    assert [item.display_name for item in inventory._load(where).items] == ["by hand"]


def test_a_replaced_listing_leaves_nothing_behind_in_the_shared_cache():
    where = key()
    versions = [inventory._store(where, Listing("volumes", (volume(str(n)),))).version for n in range(3)]
    assert [cache.get(f"{where}@{version}") is not None for version in versions] == [False, False, True]


def test_the_decoded_copies_of_a_process_are_bounded(monkeypatch):
    monkeypatch.setattr(inventory, "LOCAL_ITEMS", 10)
    monkeypatch.setattr(inventory, "_local", inventory.OrderedDict())
    monkeypatch.setattr(inventory, "_local_items", 0)
    wheres = [key() for _ in range(5)]
    for where in wheres:
        inventory._store(where, Listing("volumes", tuple(volume(str(n)) for n in range(4))))
    assert sum(len(kept.items) for kept in inventory._local.values()) <= 10
    assert list(inventory._local) == wheres[-2:]  # the most recently used
    # A listing no longer kept here is read from the shared cache again, whole.
    assert len(inventory._load(wheres[0]).items) == 4


def test_a_big_listing_is_served_at_once_and_written_behind_nobody_fetching_it_again_meanwhile(
    settings, monkeypatch, emulator, account
):
    # A refresh of a big listing answers its page before the listing is in the shared cache; until
    # it is, its refresh lock is held (nobody fetches it again) and other processes serve the one
    # they had.
    from django.test import Client

    from console import api
    from tests.console.login_helpers import context_of, log_in

    settings.IDENTITY_URL = emulator.identity_url
    settings.API_RATE_PER_PROJECT = 0
    # Threads of one process share it, as they share Redis in production (the test's database cache
    # is inside the test's transaction, which the writer's thread cannot see).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setattr(inventory, "STORE_BEHIND_ITEMS", 2)  # "big" from two volumes on
    client = Client()
    assert log_in(client, account).status_code == 302
    ctx = context_of(client)
    for index in range(2):
        api.volume_create(ctx, size=1, display_name=f"behind-{index}")
    key = inventory.listing_key(ctx, "volumes")
    assert len(inventory.listing_get(ctx, "volumes").items) == 2
    while key in inventory._pending:  # that first load was written behind too
        time.sleep(0.01)
    api.volume_create(ctx, size=1, display_name="behind-2")
    inventory.listing_invalidate(ctx, "volumes")  # due again

    release = threading.Event()
    write = inventory._write

    def slow_write(key: str, listing, lock):
        if lock is not None:  # a write behind a request: slow
            release.wait(30)
        write(key, listing, lock)

    monkeypatch.setattr(inventory, "_write", slow_write)
    assert len(inventory.listing_get(ctx, "volumes").items) == 3  # not waiting for the write
    emulator.reset_stats()
    with another_process():
        seen = inventory.listing_get(ctx, "volumes")  # due, but its refresh is still being stored
        assert len(seen.items) == 2
        assert emulator.stats(account["project_id"])["projects"][account["project_id"]]["total"] == 0
    release.set()
    while key in inventory._pending:
        time.sleep(0.01)
    with another_process():
        assert len(inventory._load(key).items) == 3
    assert cache.get(key + ":lock") is None
