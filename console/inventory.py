"""Per-project inventory snapshots: how many tabs and rows share one API budget.

Pages and status badges never call the API for listings directly. They read a *listing* (all
volumes, snapshots, backups, servers or images of a project in a region) from the shared Django
cache, together with its age. When a listing is older than its refresh interval, exactly one
request refreshes it: the one that wins `cache.add` on the listing's lock. Everybody else serves the
current listing, or, a person's request finding it due while that refresh began less than
REFRESH_WAIT ago, waits for the refresh to land (badge polls are timed for it: console.live). So N
tabs polling M rows cost at most one API call per listing per interval. While something in a
listing moves, that interval is as short as the project's call budget allows.

Refreshes run with background priority: they take a budget slot only when one is free right now
and never queue ahead of a user's action. A listing that was never fetched is loaded with the
user's priority (the page has nothing else to show).

TURNS AMONG LISTINGS. Free slots are few (1 call/s for the whole project), and every page reads its
listings in the same order, so "whoever reads first refreshes first" let the listings read first
take every free slot: after an outage the backups listing, read last on the overview, waited 7.5
minutes for a turn while the volumes listing (due every 2 s while a badge moves) got them all. So a
reader that finds its listing due first records that the listing *wants* a refresh (a small cache
key per listing, keeping the moment it first became wanted), and the background turn goes to the
listing that has wanted one longest among those sharing its call budget: the reader refreshes that
one on its behalf when it is not its own (its own is served as it is, still due, and its turn
comes). A want ends with the refresh, succeeded or failed. So every due listing gets a turn within
as many turns as there are listings sharing its budget, whatever reads what. After a failure a
listing waits before trying again (2, 4, 8 ... s), but never longer than half its interval (nor a
minute), so that, once the cloud is back, every listing is fetched again within its interval; and
the first listing that succeeds again ends the back-off of the others on its API (they are due at
once and take their turns), so after an outage the notices go within a few turns, not half an
interval later.

Every status change a refresh observes is stored as a `LifecycleEvent`, with the request id of
the call that showed it; so is every change caused by the console's own actions.

A PAGE NEVER FREEZES ON A HUNG CLOUD. The refreshes a page request makes (a person is waiting:
ctx.priority USER) share INVENTORY_PAGE_WAIT seconds between them: a call still unanswered then is cut
off (console.api.http.call_deadline), the listing keeps its items with a failure that says the cloud
did not answer in time, and the page shows them at once with that notice; the refresh is tried again
after the usual back-off. A page whose time is spent serves its other listings as they are. For
HUNG_SECONDS after such a cut, pages do not wait for that cloud at all: their listings say the same
and show what they have, so a hung cloud costs one page a few seconds now and then, not every page.
Work no person waits on (watchers, tasks) keeps the whole API_CALL_DEADLINE.

LOOKUPS BY ID (`listing_find`) cost no call for an id the listing has, nor for one that a listing at
most INVENTORY_LOOKUP_FRESH seconds old lacks: it is not the project's (or not any more). Only when
the listing is older is it fetched again first (one call that everybody's pages share, with the
user's priority), and each session may cause at most INVENTORY_LOOKUP_REFRESHES of those a minute;
past that an absent id is simply not found. So a session asking for random ids costs the project a
bounded few calls a minute, never one call per page.
"""

from __future__ import annotations

import contextvars
import dataclasses
import hashlib
import logging
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from console import api
from console.api.budget import budget_spacing
from console.api.context import CloudContext, Priority
from console.api.errors import ApiError, error_of
from console.models import LifecycleEvent
from console.statuses import DELETED, is_transitional

log = logging.getLogger(__name__)

LOADERS = {
    "volumes": api.volume_list,
    "snapshots": api.snapshot_list,
    "backups": api.backup_list,
    "servers": api.server_list,
    "images": api.image_list,
    # The project's limits are one record; they share the same single-refresher machinery.
    "limits": lambda ctx: [api.limits_get(ctx)],
    # What a volume can be created in and with (the seed's dialect knows them without a call).
    "zones": api.availability_zone_list,
    "types": api.volume_type_list,
}
# Kinds whose items have a lifecycle, and the resource type their events are stored under.
RESOURCE_TYPES = {"volumes": "volume", "snapshots": "snapshot", "backups": "backup"}

# After a page's refresh was cut off because the cloud did not answer, pages wait no more for that
# cloud (its endpoint) for this long.
HUNG_SECONDS = 10.0
# The API (and so the call budget, one per project and API) each listing's calls go to. Background
# turns are shared among the listings of one budget.
API_OF = {
    "volumes": "volume",
    "snapshots": "volume",
    "backups": "volume",
    "limits": "volume",
    "zones": "volume",
    "types": "volume",
    "servers": "compute",
    "images": "compute",
}
TURN_GROUPS = tuple(
    tuple(kind for kind in LOADERS if API_OF[kind] == api) for api in dict.fromkeys(API_OF.values())
)
# A want nobody renews and no refresh ends lapses after this.
WANT_SECONDS = 120
# A lock outlives any sane refresh (a hung refresher must not block refreshes forever).
LOCK_SECONDS = 30
# A reader that finds its listing due and somebody refreshing it waits for that answer (it is what
# the reader came for: a badge poll timed for the refresh), unless that refresh began this long ago.
REFRESH_WAIT = 0.5
# How long a cached listing is kept at all (its age decides freshness, not this).
KEEP_SECONDS = 24 * 3600
# Each process keeps the listings it read last, decoded, while the shared cache says they are current
# (see `_load`): at most this many listings, and this many items in all (10,000 volumes: ~8 MiB).
LOCAL_LISTINGS = 256
LOCAL_ITEMS = 60_000
# What a copy of a listing keeps derived from its items (`Listing.derived`), at most.
DERIVED_KEPT = 32
# A refreshed listing of this many items is written to the shared cache after the request that
# fetched it has its answer (`_store`): pickling 10,000 volumes and sending 1.3 MB took 40-90 ms of
# the page. Its refresh lock is held until then, so nobody fetches it again meanwhile.
STORE_BEHIND_ITEMS = 2000


@dataclass(frozen=True)
class RefreshFailure:
    message: str
    request_id: str
    at: float
    status: int | None = None  # the API's HTTP status (None: no answer, or the budget refused)
    fault: str = ""  # the error's fault name, e.g. "timeout", "budgetExhausted"

    def error(self) -> ApiError:
        """The typed error this failure was, for the error component (its words and request id)."""
        return error_of(self.status, self.message, fault=self.fault, request_id=self.request_id)


# The page request (its console request id) whose refreshes share INVENTORY_PAGE_WAIT, when that time
# is up (time.monotonic()), and the turns its calls had waited for then (api.turn_waited(): waiting
# for the budget is not the cloud's time, so the page's time moves on by as much).
_page_clock: contextvars.ContextVar[tuple[str, float, float] | None] = contextvars.ContextVar(
    "page_clock", default=None
)


@dataclass(frozen=True)
class Listing:
    """All resources of one kind in a project and region, as last fetched."""

    kind: str
    items: tuple[Any, ...] = ()
    fetched_at: float | None = None  # None: never fetched successfully
    request_id: str = ""  # X-Compute-Request-Id of the call that fetched it
    stale: bool = False  # a console action changed something: refresh at the next chance
    failure: RefreshFailure | None = None  # the last refresh failed (the items are older)
    retry_at: float = 0.0  # after a failure, no refresh before this time
    failures: int = 0
    version: str = ""  # set when stored (`_store`): which copy of the listing this is

    @cached_property
    def by_id(self) -> dict[str, Any]:
        return {item.id: item for item in self.items if hasattr(item, "id")}

    @property
    def loaded(self) -> bool:
        return self.fetched_at is not None

    def age(self, now: float | None = None) -> float | None:
        return None if self.fetched_at is None else max(0.0, (now or time.time()) - self.fetched_at)

    @cached_property
    def transitional(self) -> tuple[Any, ...]:
        """The items the cloud is working on."""
        return tuple(item for item in self.items if is_transitional(getattr(item, "status", None)))

    @property
    def has_transitional(self) -> bool:
        return bool(self.transitional)

    @cached_property
    def _derived(self) -> dict[Any, Any]:
        return {}

    def derived(self, name: Any, compute: Callable[[], Any]) -> Any:
        """`compute()`, once per copy of the listing: a process keeps its copy while it is current
        (`_load`), so what pages derive from 10,000 items (a sorted order, the statuses present) is
        worked out once per refresh, not on every page. `name` says what it is (with its
        parameters); `compute` must depend on nothing but the listing's items."""
        memo = self._derived
        if name not in memo:
            if len(memo) >= DERIVED_KEPT:
                memo.clear()
            memo[name] = compute()
        return memo[name]

    def __getstate__(self) -> dict[str, Any]:
        # What the cached properties computed is derived: it is not stored with the listing.
        state = dict(self.__dict__)
        for derived in ("by_id", "transitional", "_derived"):
            state.pop(derived, None)
        return state

    def interval(self) -> float:
        """Seconds between refreshes: short while something is changing, long when all is still.

        While something changes, as short as the project's call budget allows (console.api.budget:
        one call a width and a margin), however short INVENTORY_ACTIVE_INTERVAL is set."""
        if self.kind not in RESOURCE_TYPES:
            return settings.INVENTORY_STATIC_INTERVAL
        if self.stale or self.has_transitional:
            return max(float(settings.INVENTORY_ACTIVE_INTERVAL), budget_spacing(API_OF[self.kind]))
        return settings.INVENTORY_IDLE_INTERVAL

    def next_refresh_at(self) -> float:
        """When the listing is due (time.time(); see `due`)."""
        if self.fetched_at is None or self.stale:
            return self.retry_at
        return max(self.retry_at, self.fetched_at + self.interval())

    def due(self, now: float) -> bool:
        return now >= self.next_refresh_at()


def listing_key(ctx: CloudContext, kind: str) -> str:
    # The endpoint names the cloud, the region and the project: two clouds (or two emulators in a
    # test run) that happen to number their projects alike never share a listing.
    endpoint = hashlib.sha256(ctx.volume_url.encode()).hexdigest()[:16]
    return f"inventory:{endpoint}:{ctx.project_id}:{kind}"


def _hung_key(ctx: CloudContext) -> str:
    return "inventory-hung:" + hashlib.sha256(ctx.volume_url.encode()).hexdigest()[:16]


def _back_key(ctx: CloudContext, kind: str) -> str:
    """When a listing of the project, on the same API as `kind`, last succeeded after failing."""
    return listing_key(ctx, API_OF.get(kind, kind)) + ":back"


def _due(ctx: CloudContext, listing: Listing, now: float) -> bool:
    """Whether the listing should be refreshed now: when it is due, and, while it backs off after a
    failure, as soon as another listing of its API has succeeded since (the cloud is back: the rest
    of the back-off would only keep its notice up)."""
    if listing.due(now):
        return True
    if listing.failure is None:
        return False
    try:
        back = cache.get(_back_key(ctx, listing.kind))
    except Exception:  # then it waits out its back-off, as before
        return False
    return isinstance(back, float) and back > listing.failure.at


# --- storage: the shared cache, and each process's decoded copies ---------------------------------
# A listing is stored under `<key>@<version>`, and `<key>` holds a small reference to the current
# version. A reader reads the reference (a few bytes) and, when this process already holds that
# version decoded, uses it: reading 10,000 volumes from the cache and unpickling them costs ~70 ms,
# the reference well under one. Every write goes through `_store`, which makes a new version.
# (`<key>` may also hold a Listing itself, written by hand: it is then used as it is.)


@dataclass(frozen=True)
class _Current:
    version: str


_local: OrderedDict[str, Listing] = OrderedDict()
_local_items = 0  # the items of the listings in _local
_local_lock = threading.Lock()
# Listings this process is writing to the shared cache behind the request that fetched them.
_pending: dict[str, Listing] = {}
# The refresh lock this request holds (`_refresh_single`, `_refresh_for_lookup`); None once `_store`
# took it over (a writer behind lets go of it when the listing is written).
_lock_held: contextvars.ContextVar[str | None] = contextvars.ContextVar("inventory_lock", default=None)


def _load(key: str) -> Listing | None:
    """The listing stored under `key` (this process's decoded copy when it is the current one)."""
    with _local_lock:
        pending = _pending.get(key)
    if pending is not None:
        return pending  # newer than the shared cache's until it is written
    for _ in range(3):
        current = cache.get(key)
        if not isinstance(current, _Current):
            return current  # None, or a Listing written as it is
        with _local_lock:
            kept = _local.get(key)
            if kept is not None and kept.version == current.version:
                _local.move_to_end(key)
                return kept
        listing = cache.get(f"{key}@{current.version}")
        if listing is not None:
            _keep(key, listing)
            return listing
        # That version was replaced (and deleted) between the two reads: read the reference again.
    return None


def _store(key: str, listing: Listing) -> Listing:
    """Store `listing` under `key` as a new version (and keep it decoded here); returns it.

    A big listing refreshed under this request's lock is written behind the request (see
    STORE_BEHIND_ITEMS): this process serves it at once, the others once it is written."""
    listing = dataclasses.replace(listing, version=uuid.uuid4().hex)
    _keep(key, listing)
    lock = _lock_held.get()
    if len(listing.items) >= STORE_BEHIND_ITEMS and lock == key + ":lock":
        _lock_held.set(None)  # the writer lets go of the lock
        with _local_lock:
            _pending[key] = listing
        threading.Thread(target=_write, args=(key, listing, lock), daemon=True).start()
        return listing
    _write(key, listing, None)
    return listing


def _write(key: str, listing: Listing, lock: str | None) -> None:
    """Put `listing` in the shared cache as the current version of `key`; then let go of `lock`."""
    try:
        previous = cache.get(key)
        cache.set(f"{key}@{listing.version}", listing, KEEP_SECONDS)
        cache.set(key, _Current(listing.version), KEEP_SECONDS)
        if isinstance(previous, _Current) and previous.version != listing.version:
            cache.delete(f"{key}@{previous.version}")
    except Exception:  # only written behind: the listing stays due elsewhere and is fetched again
        if lock is None:
            raise
        log.warning("inventory: could not store the listing %s", key, exc_info=True)
    finally:
        if lock is not None:
            with _local_lock:
                if _pending.get(key) is listing:
                    del _pending[key]
            try:
                cache.delete(lock)
            except Exception:  # it expires after LOCK_SECONDS
                log.warning("inventory: could not let go of the lock of %s", key, exc_info=True)


def _keep(key: str, listing: Listing) -> None:
    global _local_items
    with _local_lock:
        replaced = _local.pop(key, None)
        _local[key] = listing
        _local_items += len(listing.items) - (len(replaced.items) if replaced is not None else 0)
        while len(_local) > 1 and (len(_local) > LOCAL_LISTINGS or _local_items > LOCAL_ITEMS):
            _, dropped = _local.popitem(last=False)
            _local_items -= len(dropped.items)


def listing_get(ctx: CloudContext, kind: str, *, refresh: bool = True) -> Listing:
    """The project's listing of `kind`, refreshed first if it is due, it is its turn (see the
    module's docstring) and nobody else is on it."""
    key = listing_key(ctx, kind)
    listing: Listing | None = _load(key)
    now = time.time()
    if not refresh or (listing is not None and not _due(ctx, listing, now)):
        return listing or Listing(kind)
    if listing is not None and listing.loaded:
        turn = _turn(ctx, kind, now)
        if turn != kind:
            _refresh_single(ctx, turn, None, behalf=True)  # for the listing that has waited longest
            return listing
    return _refresh_single(ctx, kind, listing)


def _want_key(ctx: CloudContext, kind: str) -> str:
    return listing_key(ctx, kind) + ":want"


def _turn(ctx: CloudContext, kind: str, now: float) -> str:
    """Record that `kind` wants a refresh; return the kind whose turn it is (the longest wanted of
    its turn group). A cache failure makes it `kind`'s turn, as before turns existed."""
    group = next(group for group in TURN_GROUPS if kind in group)
    try:
        cache.add(_want_key(ctx, kind), now, WANT_SECONDS)
        wants = cache.get_many([_want_key(ctx, other) for other in group])
    except Exception:
        log.warning(
            "inventory: could not read the refresh turns of project %s", ctx.project_id, exc_info=True
        )
        return kind
    waiting = [
        (wants[_want_key(ctx, other)], position, other)
        for position, other in enumerate(group)
        if _want_key(ctx, other) in wants
    ]
    return min(waiting)[2] if waiting else kind


def _want_done(ctx: CloudContext, kind: str) -> None:
    try:
        cache.delete(_want_key(ctx, kind))
    except Exception:  # it lapses after WANT_SECONDS
        log.warning("inventory: could not end the refresh want of %s", kind, exc_info=True)


def _refresh_single(
    ctx: CloudContext, kind: str, listing: Listing | None, *, behalf: bool = False
) -> Listing:
    """Refresh the listing (last read as `listing`) if it is still due and nobody else is on it
    (single flight). `behalf`: a refresh for another page's listing, only of one already loaded
    (never a first load with this page's priority), and nobody waits for it."""
    key = listing_key(ctx, kind)
    now = time.time()
    lock = key + ":lock"
    if cache.add(lock, now, LOCK_SECONDS):
        held = _lock_held.set(lock)
        try:
            # Re-read under the lock: another process may have refreshed in between.
            current: Listing | None = _load(key)
            if current is not None and not _due(ctx, current, time.time()):
                _want_done(ctx, kind)
                return current
            if behalf and (current is None or not current.loaded):
                return current or Listing(kind)
            return _refresh(ctx, kind, current)
        finally:
            _unlock(lock, held)
    if behalf:
        return listing or Listing(kind)
    if listing is not None and ctx.priority is Priority.USER:
        return _refresh_awaited(key, lock, listing)
    if listing is None:
        # Someone else is loading the first listing: wait for it rather than calling again (a page
        # no longer than its own time for the cloud).
        wait = float(settings.INVENTORY_FIRST_LOAD_WAIT)
        left = _page_seconds_left(ctx)
        deadline = time.monotonic() + (wait if left is None else max(0.0, min(wait, left)))
        while time.monotonic() < deadline:
            time.sleep(0.1)
            listing = _load(key)
            if listing is not None:
                return listing
    return listing or Listing(kind)


def _refresh_awaited(key: str, lock: str, listing: Listing) -> Listing:
    """The listing once the refresh somebody else is making has landed (at most REFRESH_WAIT after
    it began), else the one we have."""
    while True:
        began = cache.get(lock)
        if began is None:
            return _load(key) or listing
        if time.time() - float(began) >= REFRESH_WAIT:
            return listing
        time.sleep(0.02)


def listing_find(ctx: CloudContext, kind: str, item_id: str) -> Any | None:
    """The item of the project's `kind` listing with this id, or None when it is not the project's
    (see the module's docstring: at most a bounded few calls per session a minute, usually none).

    Raises the ApiError of a listing that could not be fetched (the cloud failed, or the budget had
    no turn), since then nobody knows.
    """
    listing = listing_get(ctx, kind)
    found = listing.by_id.get(item_id)
    if found is not None or _fresh_for_lookup(listing):
        return found
    if listing.loaded and not _lookup_allowed(ctx):
        return None
    listing = _refresh_for_lookup(ctx, kind)
    found = listing.by_id.get(item_id)
    if found is not None or _fresh_for_lookup(listing):
        return found
    if listing.failure is not None:
        raise listing.failure.error()
    return None


def _fresh_for_lookup(listing: Listing) -> bool:
    age = listing.age()
    return age is not None and age <= float(settings.INVENTORY_LOOKUP_FRESH)


def _lookup_allowed(ctx: CloudContext) -> bool:
    """Whether this session may have a listing fetched again for an id lookup (N a minute)."""
    who = ctx.session_key or ctx.user_id
    allowance = int(settings.INVENTORY_LOOKUP_REFRESHES)
    if not who:
        return True
    window = math.floor(time.time() / 60)
    digest = hashlib.sha256(who.encode()).hexdigest()[:24]  # a session key is a secret
    for number in range(allowance):
        if cache.add(f"inventory-lookup:{ctx.project_id}:{digest}:{window}:{number}", 1, 120):
            return True
    return False


def _refresh_for_lookup(ctx: CloudContext, kind: str) -> Listing:
    """The listing fetched now with the user's priority (or by whoever is fetching it already)."""
    key = listing_key(ctx, kind)
    lock = key + ":lock"
    deadline = time.monotonic() + settings.INVENTORY_FIRST_LOAD_WAIT
    while not cache.add(lock, time.time(), LOCK_SECONDS):
        # Someone else is refreshing it: their answer is as fresh as ours would be.
        if time.monotonic() > deadline:
            return _load(key) or Listing(kind)
        time.sleep(0.1)
        if not cache.get(lock):
            return _load(key) or Listing(kind)
    held = _lock_held.set(lock)
    try:
        current: Listing | None = _load(key)
        if current is not None and _fresh_for_lookup(current):
            return current
        return _refresh(ctx, kind, current, priority=Priority.USER)
    finally:
        _unlock(lock, held)


def _unlock(lock: str, held: contextvars.Token) -> None:
    """Let go of a refresh lock, unless a writer behind the request took it over (`_store`)."""
    taken_over = _lock_held.get() is None
    _lock_held.reset(held)
    if not taken_over:
        cache.delete(lock)


def _page_seconds_left(ctx: CloudContext) -> float | None:
    """Seconds the page request behind `ctx` may still spend on refreshes (all of its refreshes share
    INVENTORY_PAGE_WAIT); None for work no person waits on (watchers and tasks: BACKGROUND)."""
    if ctx.priority is not Priority.USER:
        return None
    now = time.monotonic()
    clock = _page_clock.get()
    waited = api.turn_waited()  # waiting for the budget's turns is not the cloud's time
    if clock is None or not ctx.console_request_id or clock[0] != ctx.console_request_id:
        clock = (ctx.console_request_id, now + float(settings.INVENTORY_PAGE_WAIT), waited)
        _page_clock.set(clock)
    return clock[1] + (waited - clock[2]) - now


def _not_answering(*, first_load: bool) -> str:
    waited = f"{float(settings.INVENTORY_PAGE_WAIT):g} s"
    if first_load:
        return f"The cloud did not answer within {waited}. Try again in a moment."
    return f"The cloud did not answer within {waited}: this shows what the console saw last."


def _refresh(
    ctx: CloudContext, kind: str, previous: Listing | None, *, priority: Priority | None = None
) -> Listing:
    first_load = previous is None or not previous.loaded
    # A page loading a listing for the first time has nothing else to show: it waits its turn like
    # a user. Background work (ctx.priority BACKGROUND) never does. A lookup (listing_find) names
    # its priority.
    if priority is None:
        priority = ctx.priority if first_load else Priority.BACKGROUND
    call_ctx = dataclasses.replace(ctx, priority=priority)
    now = time.time()
    left = _page_seconds_left(ctx)
    if left is not None and left <= 0:
        # This page has spent its time waiting for the cloud: it shows what there is, and the
        # listing stays due for the next reader.
        if not first_load:
            return previous
        message = _not_answering(first_load=True)
        failure = RefreshFailure(message=message, request_id="", at=now, status=None, fault="timeout")
        return dataclasses.replace(previous or Listing(kind), failure=failure)
    hung_until = cache.get(_hung_key(ctx)) if left is not None else None
    if isinstance(hung_until, float) and hung_until > now:
        # The cloud left a page unanswered moments ago: this page does not wait for it either.
        message = _not_answering(first_load=first_load)
        failure = RefreshFailure(message=message, request_id="", at=now, status=None, fault="timeout")
        updated = dataclasses.replace(previous or Listing(kind), failure=failure, retry_at=hung_until)
        if not first_load:
            _store(listing_key(ctx, kind), updated)
        return updated
    try:
        deadline = nullcontext() if left is None else api.call_deadline(left)
        with api.capture_request_ids() as request_ids, deadline:
            items = tuple(LOADERS[kind](call_ctx))
    except api.Unauthorized:
        # The token has ended: that is the user's business (log in again), not a listing failure.
        raise
    except api.BudgetExhausted as error:
        if not first_load and priority is Priority.USER:
            raise  # a lookup (listing_find): the person asking sees why (calls waiting, no turn)
        if not first_load:
            # No free turn in the call budget right now: nothing failed. Serve what we have; the
            # listing stays due (and wanted), so the next reader tries again.
            return previous
        # A first load that found no turn within the user's wait: the page has nothing to show.
        failure = RefreshFailure(message=error.message, request_id="", at=now, status=None, fault=error.fault)
        return dataclasses.replace(previous or Listing(kind), failure=failure)
    except ApiError as error:
        base = previous or Listing(kind)
        failures = base.failures + 1
        message = error.message
        if isinstance(error, api.Timeout) and left is not None:
            # No answer while a person waits: pages stop waiting for this cloud for a while.
            cache.set(_hung_key(ctx), now + HUNG_SECONDS, HUNG_SECONDS)
            if (_page_seconds_left(ctx) or 0.0) <= 0.05:  # cut off by the page's own time
                message = _not_answering(first_load=first_load)
        failure = RefreshFailure(
            message=message, request_id=error.request_id or "", at=now, status=error.status, fault=error.fault
        )
        # Back off after failures: 2, 4, 8 ... s, at most half the listing's interval (so that it is
        # fetched again within its interval once the cloud is back) and at most a minute.
        pause = min(60.0, 2.0**failures, base.interval() / 2)
        updated = dataclasses.replace(base, failure=failure, retry_at=now + pause, failures=failures)
        _want_done(ctx, kind)
        log.warning("inventory refresh of %s failed: %s (request %s)", kind, error.message, error.request_id)
        _store(listing_key(ctx, kind), updated)
        return updated
    request_id = request_ids[-1] if request_ids else ""
    listing = _store(listing_key(ctx, kind), Listing(kind, items, fetched_at=now, request_id=request_id))
    _want_done(ctx, kind)
    if previous is not None and previous.failure is not None:
        try:  # the cloud answers again: its other listings that failed need not wait out their back-off
            cache.set(_back_key(ctx, kind), now, WANT_SECONDS)
        except Exception:
            log.warning("inventory: could not record that the cloud is back", exc_info=True)
    if kind in RESOURCE_TYPES:
        _record_changes(ctx, kind, previous, listing)
    return listing


def _record_changes(ctx: CloudContext, kind: str, previous: Listing | None, current: Listing) -> None:
    """Store a lifecycle event for every status change between two listings."""
    changes: list[tuple[str, str, str]] = []
    if previous is None or not previous.loaded:
        # First sight of the project: only resources that are busy start a timeline here.
        changes = [(item.id, "", item.status) for item in current.transitional]
    else:
        for item in current.items:
            before = previous.by_id.get(item.id)
            if before is None or before.status != item.status:
                changes.append((item.id, before.status if before else "", item.status))
        changes += [
            (gone.id, gone.status, DELETED) for gone in previous.items if gone.id not in current.by_id
        ]
    events_record(
        ctx,
        resource_type=RESOURCE_TYPES[kind],
        changes=changes,
        request_id=current.request_id,
        source=LifecycleEvent.Source.REFRESH,
    )


def events_record(
    ctx: CloudContext,
    *,
    resource_type: str,
    changes: Iterable[tuple[str, str, str]],
    request_id: str,
    source: str,
    note: str = "",
) -> list[LifecycleEvent]:
    """Store (resource id, from, to) changes, skipping any that the timeline already ends with."""
    changes = list(changes)
    if not changes:
        return []
    ids = {resource_id for resource_id, _, _ in changes}
    last_status: dict[str, str] = {}
    for event in LifecycleEvent.objects.filter(
        project_id=ctx.project_id, region=ctx.region, resource_type=resource_type, resource_id__in=ids
    ).order_by("observed_at", "id"):
        last_status[event.resource_id] = event.to_status
    now = timezone.now()
    events = []
    for resource_id, before, after in changes:
        if last_status.get(resource_id) == after:
            continue  # another observer (an action, another process) already recorded it
        events.append(
            LifecycleEvent(
                region=ctx.region,
                project_id=ctx.project_id,
                resource_type=resource_type,
                resource_id=resource_id,
                from_status=last_status.get(resource_id, before) or before,
                to_status=after,
                observed_at=now,
                request_id=request_id,
                source=source,
                note=note,
            )
        )
        last_status[resource_id] = after
    return LifecycleEvent.objects.bulk_create(events)


def listing_apply(ctx: CloudContext, kind: str, record: Any, *, request_id: str, note: str = "") -> None:
    """Put a record the API just returned (after a create or update) into the cached listing.

    The page shows the change at once, the listing is marked stale so the next poll refreshes it,
    and the change enters the resource's timeline with the request id of the action.
    """
    _update(ctx, kind, record.id, lambda _old: record)
    if kind in RESOURCE_TYPES:
        events_record(
            ctx,
            resource_type=RESOURCE_TYPES[kind],
            changes=[(record.id, "", record.status)],
            request_id=request_id,
            source=LifecycleEvent.Source.ACTION,
            note=note,
        )
    _watch(ctx, kind)


def listing_set_status(
    ctx: CloudContext, kind: str, resource_id: str, status: str, *, request_id: str, note: str = ""
) -> None:
    """Record that an action moved a resource to `status` (e.g. deleting after a 202)."""
    _update(ctx, kind, resource_id, lambda old: dataclasses.replace(old, status=status) if old else None)
    if kind in RESOURCE_TYPES:
        events_record(
            ctx,
            resource_type=RESOURCE_TYPES[kind],
            changes=[(resource_id, "", status)],
            request_id=request_id,
            source=LifecycleEvent.Source.ACTION,
            note=note,
        )
    _watch(ctx, kind)


def listing_invalidate(ctx: CloudContext, kind: str) -> None:
    """Mark a listing stale: the next reader refreshes it (within the budget)."""
    _update(ctx, kind, None, None)
    _watch(ctx, kind)


def _watch(ctx: CloudContext, kind: str) -> None:
    """After an action: the project's background watcher follows it to a terminal status."""
    # Imported here: console.watch builds on this module.
    from console.watch import watch_start

    watch_start(ctx, kind=kind)


def _update(ctx: CloudContext, kind: str, resource_id: str | None, change) -> None:
    key = listing_key(ctx, kind)
    listing: Listing | None = _load(key)
    if listing is None:
        return
    items = list(listing.items)
    if resource_id is not None and change is not None:
        old = listing.by_id.get(resource_id)
        new = change(old)
        if old is not None:
            items = [
                new if item.id == resource_id else item for item in items if new or item.id != resource_id
            ]
        elif new is not None:
            items.insert(0, new)
    _store(key, dataclasses.replace(listing, items=tuple(items), stale=True))
