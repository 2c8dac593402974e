"""How listings are kept: in the shared cache, and decoded in each process while they are current
(console.inventory `_store` / `_load`). A page must show the listing any process stored last."""

from __future__ import annotations

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
    saved, count = dict(inventory._local), inventory._local_items
    inventory._local.clear()
    inventory._local_items = 0
    try:
        yield
    finally:
        inventory._local.clear()
        inventory._local.update(saved)
        inventory._local_items = count


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
