"""The per-project call budget: every outbound call to the Block Storage and Compute APIs of a project
takes a time slot first, so the console as a whole never exceeds API_RATE_PER_PROJECT.

Time is cut into slots of width 1/rate. A call claims a slot with `cache.add("budget:<project>:<n>")`,
which succeeds for exactly one caller per slot on Redis, LocMem and the database cache (an INSERT
that loses on the primary key returns False), so every web worker, Celery worker and process
sharing the cache shares one budget. The caller then sleeps until its slot starts and sends.

A call is sent at its slot's start, never earlier. One that is sent later than SLOT_GRACE into its
slot (it came along mid-slot, or overslept) would leave less than one slot width before the next
slot's call, so it also claims the next slot; if that one is taken it gives both up and waits for a
later slot. So two calls of a project are always at least one width minus SLOT_GRACE apart. The price
of sending at once when idle: after a call sent at time t in slot c, the next call goes at the start
of slot c + 2, one to two widths after t.

USER calls wait up to API_BUDGET_MAX_WAIT for a slot; BACKGROUND calls only take a slot that starts
within API_BUDGET_BACKGROUND_WAIT (0: free right now). Either raises BudgetExhausted when there is
none, and nothing is sent. Since waiting users hold the next slots, refreshes never queue ahead of them.

API_RATE_PER_PROJECT = 0 turns metering off (for a cloud without a rate limit).

Why `cache.add` is enough: Redis runs SET NX; the database cache runs SELECT then INSERT in one
transaction (an IMMEDIATE one on SQLite, so writers queue; on PostgreSQL the primary key makes the
second INSERT wait and fail) and answers False on the IntegrityError. Its only non-atomic path,
re-using an *expired* key, never applies: claims outlive their slot by KEEP_SECONDS. A cache error
counts as a lost claim. Limits: a LocMem cache meters each process on its own, and the database
cache's culling (past MAX_ENTRIES) could drop claims, so keep MAX_ENTRIES well above what is stored.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from console.api.context import Priority
from console.api.errors import BudgetExhausted

log = logging.getLogger(__name__)

# How late into its slot a call may still be sent as that slot's call (sleep overshoot, scheduling).
SLOT_GRACE = 0.005
# Claims are kept this long after their slot has passed, for budget_usage().
KEEP_SECONDS = 120


def _width() -> float | None:
    rate = float(settings.API_RATE_PER_PROJECT)
    return 1.0 / rate if rate > 0 else None


def _key(project_id: str, index: int) -> str:
    return f"budget:{project_id}:{index}"


def _claim(project_id: str, index: int, width: float, priority: Priority) -> bool:
    """Whether this caller now owns the slot. A cache failure counts as "not ours" (that slot is
    skipped): metering errs towards fewer calls, never towards two calls in one slot."""
    timeout = max(0.0, index * width - time.time()) + KEEP_SECONDS
    try:
        return cache.add(_key(project_id, index), priority.value, timeout=math.ceil(timeout))
    except Exception:  # e.g. "database is locked", or Redis unreachable
        log.warning("budget: could not claim slot %s of project %s", index, project_id, exc_info=True)
        return False


def _release(project_id: str, index: int) -> None:
    try:
        cache.delete(_key(project_id, index))
    except Exception:  # the claim then simply expires unused
        log.warning("budget: could not release slot %s of project %s", index, project_id, exc_info=True)


def budget_acquire(*, project_id: str, priority: Priority) -> float:
    """Return (the time, from time.time()) when this project may send one call: now. Raise
    BudgetExhausted, having sent nothing, when there is no slot soon enough for this priority."""
    width = _width()
    if width is None:
        return time.time()
    if priority is Priority.USER:
        max_wait = float(settings.API_BUDGET_MAX_WAIT)
    else:
        max_wait = float(settings.API_BUDGET_BACKGROUND_WAIT)
    deadline = time.time() + max_wait
    index = math.floor(time.time() / width)
    while True:
        index = max(index, math.floor(time.time() / width))
        if index * width > deadline:
            raise BudgetExhausted(
                None,
                "The console paces its calls to the cloud (the project's rate limit) and this one "
                f"found no turn within {max_wait:g} s. Nothing was sent; try again in a moment.",
                fault="budgetExhausted",
            )
        if not _claim(project_id, index, width, priority):
            index += 1
            continue
        start = index * width
        now = time.time()
        if now < start:
            time.sleep(start - now)
            now = time.time()
        if now - start <= SLOT_GRACE:
            return now
        # Late into our slot: the call would come too close to the next slot's call unless that
        # slot is ours as well.
        if _claim(project_id, index + 1, width, priority):
            return now
        _release(project_id, index)
        index += 2


@dataclass(frozen=True)
class BudgetUsage:
    """How much of a project's budget is spoken for: calls in the last `window` seconds (`used` of
    `capacity`), and slots already claimed by calls waiting for their turn (`queued`)."""

    window: float
    capacity: int
    used: int
    queued: int

    @property
    def fraction(self) -> float:
        return self.used / self.capacity if self.capacity else 0.0


def budget_usage(*, project_id: str, window: float = 60.0) -> BudgetUsage:
    """The project's budget use right now (an unmetered budget reports zeros)."""
    width = _width()
    if width is None:
        return BudgetUsage(window=window, capacity=0, used=0, queued=0)
    window = min(window, KEEP_SECONDS, 1000 * width)
    now_index = math.floor(time.time() / width)
    past = range(now_index - math.floor(window / width) + 1, now_index + 1)
    ahead = range(now_index + 1, now_index + 1 + math.ceil(float(settings.API_BUDGET_MAX_WAIT) / width))
    claimed = cache.get_many([_key(project_id, index) for index in (*past, *ahead)])
    used = sum(_key(project_id, index) in claimed for index in past)
    queued = sum(_key(project_id, index) in claimed for index in ahead)
    return BudgetUsage(window=window, capacity=len(past), used=used, queued=queued)
