"""The call budgets: one per project and per API. Every outbound call to the Block Storage API of a
project takes its turn in that project's Block Storage budget (API_RATE_PER_PROJECT), every call to
its Compute API (servers, images, os-volume_attachments) in its Compute budget
(API_COMPUTE_RATE_PER_PROJECT), as the cloud meters each API on its own (the spec's Rate Limits:
1 call/s for Block Storage; Compute's are its own). So the console as a whole never exceeds either
limit, a Compute call never spends a Block Storage turn, and everybody working in the project gets a
fair share of each. Below, "the budget" is one of them: every key starts `budget:<api>:<project>`.

Everything is shared through the Django cache (Redis in production, the database cache in
development and tests), so every web worker, Celery worker and process sharing the cache shares one
budget. Three kinds of keys, all taken with `cache.add` (atomic: see the end):

ORDER: slots. Time is cut into slots of one *width*: 1/rate and a margin (SEND_MARGIN, 5 %, see
below), 1.05 s at 1 call/s. A call claims the first free slot with
`cache.add("budget:<api>:<project>:<n>")`, which succeeds for exactly one caller per slot; the slot is
the call's place in the queue and the earliest moment it may go. The caller sleeps until its slot
starts, then, before going, waits (at most ORDER_WAIT_SLOTS widths) until the calls of the slots
just before its own have gone: a claim reads "waiting" until its call is sent, then "sent".

SPACING: the turnstile. At its turn a caller takes a short lock (`budget:<api>:<project>:turnstile`),
reads when the project's last call left (`budget:<api>:<project>:last`), and goes only when a width
has passed since then, writing its own time before letting go. So two calls of a project always
leave the turnstile at least a width apart, however late a thread wakes up and in whichever process
it runs. The margin in the width is for what happens after the turnstile: a thread of a busy process
may reach its socket tens of milliseconds later than another (measured: up to 90 ms under the
fair-budget test's load on 2 CPUs); it costs 5 % of the rate. It is in the slots too, not only in
the turnstile: with slots of exactly 1/rate, a queue kept full (one session flooding) went 5 % later
than its slots with every call, and everybody behind it waited that much longer.

LATE SENDS. The turnstile counts from when a call passed it. A thread of a busy process may be held
between the turnstile and its socket for much longer than the margin (the many-projects bench on a
loaded 2-CPU machine: the cloud once saw a refresh 0.62 s after a person's call, and refused it).
So just before its bytes go out, a call that is more than LATE_SEND past its turn moves the
budget's last-call time to that moment (`budget_sending`): the next call is spaced from when this
one really left. (Safe without the turnstile's lock: less than a width after this call's turn,
nobody else can have passed the turnstile since.)

A caller that wakes up late (an overslept thread, a busy machine) keeps its place: the calls behind
it go correspondingly later (the queue drifts, and catches up at the first free slot). Nobody is
sent to the back of the queue for having been late: an earlier design that did so (a late call gave
its slot up and claimed a later one) let a flooding session's calls overtake everybody else's on a
busy machine, and wasted the slots given up.

PRIORITIES. USER calls wait up to API_BUDGET_MAX_WAIT for a slot. BACKGROUND calls take only a slot
that starts within API_BUDGET_BACKGROUND_WAIT (0: the current one) and only when nothing is in their
way at that moment: no earlier call still waiting, the turnstile open, and, when the call would go
later than SLOT_GRACE into its slot, the next slot free as well (so a refresh never pushes a waiting
user's call later). Otherwise BudgetExhausted, and nothing is sent. Since waiting users hold the
next slots, refreshes never queue ahead of them (console.inventory shares the background turns
among a project's listings).

A background call also goes only BACKGROUND_MARGIN (10 %) of a width later than a person's would:
1.155 s after the last call at 1 call/s. Nearly all calls of a busy project are refreshes, each
after another, and on a loaded machine the margin above was not always enough between them (the
many-projects bench: 20 projects at 166 badge polls/s on 2 CPUs, the emulator once saw two calls of
a project 0.88 s apart and refused the second); a person's call keeps the plain width.

A late background call holds that next slot only while it goes through the turnstile, then gives
it back: a call claiming it afterwards goes one width after the refresh (the turnstile sees to
that), sooner than the slot after, which it would have had to take were the slot kept empty. So,
when nobody else calls, a moving listing is refreshed about once a width (once a second at 1 call/s)
instead of every other slot: a poll that comes whenever it likes finds the next turn free.

FAIR SHARES. Slots go first come, first served, so a budget shared by everybody in a project must
stop one party from claiming them all: a session looping on a page (or four tabs of it at once)
would otherwise hold every slot of the next API_BUDGET_MAX_WAIT seconds, and everybody else's action
would find none. So a USER call first takes a *waiting ticket* of its party: one of
API_BUDGET_SESSION_WAITING tickets of its session and one of API_BUDGET_USER_WAITING tickets of its
cloud user (a user with many sessions gets no more than that). Tickets are cache keys taken with
`cache.add` as well (`budget:<api>:<project>:waiting:<session|user>:<digest>:<n>`, a digest because a
session key is a secret), so every process counts the same tickets. They are given back the moment
the call goes (it is no longer waiting), and expire by themselves after the longest wait should a
process die holding one. A call that finds no free ticket is refused at once with CallsWaiting ("you
have calls waiting"): nothing is claimed, nothing is sent, and the page keeps what the user typed.

What this guarantees: at any moment each session holds at most API_BUDGET_SESSION_WAITING slots
ahead and each user at most API_BUDGET_USER_WAITING, so a new call finds its slot behind at most the
tickets of the *other* parties waiting right now. Against one session flooding the console (one
ticket), another session's call goes within about two widths; with k users hammering the project,
each gets a turn every k slots or so. That is round robin among the parties that want calls,
without a queue process: the order is the order of claims, and the cap is what makes it fair.

API_RATE_PER_PROJECT = 0 (API_COMPUTE_RATE_PER_PROJECT = 0) turns metering of that API off, for a
cloud without such a limit.

Why `cache.add` is enough: Redis runs SET NX; the database cache runs SELECT then INSERT in one
transaction (an IMMEDIATE one on SQLite, so writers queue; on PostgreSQL the primary key makes the
second INSERT wait and fail) and answers False on the IntegrityError. Its only non-atomic path,
re-using an *expired* key, never applies: claims outlive their slot by KEEP_SECONDS, and the
turnstile and tickets are deleted by their holder (they only expire when a process died holding
them). A cache error counts as a lost claim, a closed turnstile or a missing ticket: metering errs
towards fewer calls, never towards two at once. Limits: a LocMem cache meters each process on its
own, and the database cache's culling (past MAX_ENTRIES) could drop claims, so keep MAX_ENTRIES well
above what is stored.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from console.api.context import Priority
from console.api.errors import BudgetExhausted, CallsWaiting

log = logging.getLogger(__name__)

# How late into its slot a BACKGROUND call may go without claiming the next slot as well.
SLOT_GRACE = 0.005
# A width (slot, and the least time between two calls) is (1 + SEND_MARGIN) / rate (see the docstring).
SEND_MARGIN = 0.05
# A background call goes only this much of a width later still after the last call (see the docstring).
BACKGROUND_MARGIN = 0.1
# A call this much later than its turn when its bytes go out counts from then (budget_sending).
LATE_SEND = 0.02
# Claims are kept this long after their slot has passed, for budget_usage().
KEEP_SECONDS = 120
# A waiting ticket outlives the longest wait by this much (then a dead process's ticket is free again).
TICKET_MARGIN = 5
# The turnstile is held for a few cache operations; a process that dies holding it frees it after this.
TURNSTILE_SECONDS = 5
# How many widths past its slot's start a call waits for the calls of earlier slots to go first.
ORDER_WAIT_SLOTS = 2
# How many earlier slots a call looks at before going.
ORDER_LOOKBACK = 2
# Claim values: a call waiting for its turn (or a late background call's hold on the next slot), a
# call gone.
WAITING = "waiting"
SENT = "sent"


@dataclass(frozen=True)
class Party:
    """Whom a USER call is for: the console session and the cloud user ("" for either: not capped)."""

    session: str = ""
    user: str = ""


VOLUME = "volume"
COMPUTE = "compute"


def budget_rate(api: str = VOLUME) -> float:
    """Calls per second a project may make to `api` ("volume" or "compute"); 0: not metered."""
    compute = getattr(settings, "API_COMPUTE_RATE_PER_PROJECT", None)
    if api == COMPUTE and compute is not None:
        return float(compute)
    return float(settings.API_RATE_PER_PROJECT)


def _width(api: str) -> float | None:
    rate = budget_rate(api)
    return (1 + SEND_MARGIN) / rate if rate > 0 else None


def _budget(api: str, project_id: str) -> str:
    """The name of a budget: every key of it starts with budget:<this>."""
    if api not in (VOLUME, COMPUTE):
        raise ValueError(f"no call budget for the {api!r} API")
    return f"{api}:{project_id}"


def budget_spacing(api: str = VOLUME) -> float:
    """The shortest time between a call of a project to `api` and a background call after it
    (seconds; 0 when metering is off): no listing of that API is refreshed more often than this."""
    width = _width(api)
    return 0.0 if width is None else width * (1 + BACKGROUND_MARGIN)


def _key(project_id: str, index: int) -> str:
    return f"budget:{project_id}:{index}"


def _claim_timeout(index: int, width: float) -> int:
    return math.ceil(max(0.0, index * width - time.time()) + KEEP_SECONDS)


def _claim(project_id: str, index: int, width: float) -> bool:
    """Whether this caller now owns the slot. A cache failure counts as "not ours" (that slot is
    skipped): metering errs towards fewer calls, never towards two calls in one slot."""
    try:
        return cache.add(_key(project_id, index), WAITING, timeout=_claim_timeout(index, width))
    except Exception:  # e.g. "database is locked", or Redis unreachable
        log.warning("budget: could not claim slot %s of project %s", index, project_id, exc_info=True)
        return False


def _release(project_id: str, *indexes: int) -> None:
    try:
        cache.delete_many([_key(project_id, index) for index in indexes])
    except Exception:  # the claim then simply expires unused
        log.warning("budget: could not release slots %s of project %s", indexes, project_id, exc_info=True)


def _mark_sent(project_id: str, width: float, index: int) -> None:
    try:
        cache.set(_key(project_id, index), SENT, timeout=_claim_timeout(index, width))
    except Exception:  # later calls then wait ORDER_WAIT_SLOTS for it, and go anyway
        log.warning("budget: could not mark slot %s of project %s", index, project_id, exc_info=True)


def _poll(width: float) -> float:
    return min(0.02, width / 20)


def _digest(value: str) -> str:
    # Session keys are secrets: the cache (and whoever can list Redis keys) sees only a digest.
    return hashlib.sha256(value.encode()).hexdigest()[:24]


def _tickets_take(project_id: str, party: Party | None, hold: float) -> list[str]:
    """One waiting ticket of the session and one of the user, or CallsWaiting (none kept)."""
    taken: list[str] = []
    if party is None:
        return taken
    levels = (
        ("session", party.session, int(settings.API_BUDGET_SESSION_WAITING)),
        ("user", party.user, int(settings.API_BUDGET_USER_WAITING)),
    )
    for level, who, cap in levels:
        if not who or cap <= 0:
            continue
        prefix = f"budget:{project_id}:waiting:{level}:{_digest(who)}"
        for number in range(cap):
            key = f"{prefix}:{number}"
            try:
                if cache.add(key, 1, timeout=math.ceil(hold) + TICKET_MARGIN):
                    taken.append(key)
                    break
            except Exception:  # a cache failure costs a ticket, as it costs a slot
                log.warning("budget: no waiting ticket for project %s", project_id, exc_info=True)
        else:
            _tickets_release(taken)
            whose = (
                "You already have a call to the cloud waiting for its turn"
                if level == "session"
                else "Your other sessions (tabs or browsers logged in as you) already have calls to "
                "the cloud waiting for their turn"
            )
            raise CallsWaiting(
                None,
                f"{whose}: the project's calls are paced to its rate limit and shared fairly among "
                "everyone working in it. Nothing was sent; try again when that call is done.",
                fault="callsWaiting",
            )
    return taken


def _tickets_release(keys: list[str]) -> None:
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:  # they then expire after the longest wait
        log.warning("budget: could not give back waiting tickets", exc_info=True)


def _exhausted(max_wait: float) -> BudgetExhausted:
    return BudgetExhausted(
        None,
        "The console paces its calls to the cloud (the project's rate limit) and this one "
        f"found no turn within {max_wait:g} s. Nothing was sent; try again in a moment.",
        fault="budgetExhausted",
    )


def budget_acquire(
    *, project_id: str, priority: Priority, party: Party | None = None, api: str = VOLUME
) -> float:
    """Wait for the next turn of this project's `api` budget and return when it came (time.time()):
    send now.

    Raises BudgetExhausted, having sent nothing, when there is no turn soon enough for this
    priority, and CallsWaiting (a BudgetExhausted) at once when the USER call's party already has
    its calls waiting (see the module's docstring).
    """
    width = _width(api)
    if width is None:
        return time.time()
    project_id = _budget(api, project_id)  # every key below is this budget's
    if priority is Priority.USER:
        max_wait = float(settings.API_BUDGET_MAX_WAIT)
        tickets = _tickets_take(project_id, party, max_wait + (ORDER_WAIT_SLOTS + 1) * width)
        try:
            sent = _user_turn(project_id, width, max_wait)
        finally:
            _tickets_release(tickets)
        return sent
    return _background_turn(project_id, width, float(settings.API_BUDGET_BACKGROUND_WAIT))


def budget_sending(*, project_id: str, turn: float, api: str = VOLUME) -> None:
    """Called just before a metered call's bytes go out, with the time its turn came (what
    budget_acquire returned): see LATE SENDS in the module's docstring."""
    width = _width(api)
    if width is None:
        return
    now = time.time()
    if LATE_SEND < now - turn < width:
        try:
            cache.set(f"budget:{_budget(api, project_id)}:last", now, KEEP_SECONDS)
        except Exception:  # the next call then counts from this one's turn, as before
            log.warning("budget: could not record a late send of project %s", project_id, exc_info=True)


def _first_free(project_id: str, width: float, deadline: float) -> int | None:
    """Claim the first free slot that starts by `deadline` (None: there is none)."""
    index = math.floor(time.time() / width)
    while index * width <= deadline:
        if _claim(project_id, index, width):
            return index
        index += 1
    return None


def _sleep_until(moment: float) -> None:
    pause = moment - time.time()
    if pause > 0:
        time.sleep(pause)


def _earlier_waiting(project_id: str, index: int) -> bool:
    """Whether a call of one of the slots just before `index` has not gone yet."""
    keys = [_key(project_id, earlier) for earlier in range(index - ORDER_LOOKBACK, index)]
    try:
        claims = cache.get_many(keys)
    except Exception:  # cannot tell: do not wait (the turnstile still keeps the spacing)
        log.warning(
            "budget: could not read the slots before %s of project %s", index, project_id, exc_info=True
        )
        return False
    return any(value == WAITING for value in claims.values())


def _turnstile(
    project_id: str, width: float, give_up_at: float, *, spacing: float | None = None
) -> float | None:
    """Go through the project's turnstile: the time this call may go (now), or None when it would
    not open by `give_up_at`. `spacing`: the least time since the last call (a width unless given)."""
    lock = f"budget:{project_id}:turnstile"
    last_key = f"budget:{project_id}:last"
    while True:
        retry_at = time.time() + _poll(width)
        try:
            if cache.add(lock, 1, timeout=TURNSTILE_SECONDS):
                try:
                    last = cache.get(last_key)
                    now = time.time()
                    ready = (last or 0.0) + (width if spacing is None else spacing)
                    if now >= ready:
                        cache.set(last_key, now, KEEP_SECONDS)
                        return now
                    retry_at = ready
                finally:
                    cache.delete(lock)
        except Exception:  # closed for now: try again shortly (never go without recording it)
            log.warning("budget: turnstile of project %s unavailable", project_id, exc_info=True)
        if retry_at > give_up_at:
            return None
        _sleep_until(retry_at)


def _user_turn(project_id: str, width: float, max_wait: float) -> float:
    deadline = time.time() + max_wait
    index = _first_free(project_id, width, deadline)
    if index is None:
        raise _exhausted(max_wait)
    start = index * width
    _sleep_until(start)
    # Let the calls of earlier slots go first, however late they woke up (bounded: a process that
    # died holding a claim must not stop the queue).
    order_until = start + ORDER_WAIT_SLOTS * width
    while _earlier_waiting(project_id, index) and time.time() < order_until:
        time.sleep(_poll(width))
    sent = _turnstile(project_id, width, give_up_at=max(deadline, order_until) + width)
    if sent is None:
        _release(project_id, index)
        raise _exhausted(max_wait)
    _mark_sent(project_id, width, index)
    return sent


def _background_turn(project_id: str, width: float, max_wait: float) -> float:
    index = _first_free(project_id, width, time.time() + max_wait)
    if index is None:
        raise _exhausted(max_wait)
    start = index * width
    _sleep_until(start)
    held = [index]
    # Going later than SLOT_GRACE into its slot would push the next slot's call later: only when
    # that slot is free (and then it is ours too).
    if time.time() - start > SLOT_GRACE:
        if not _claim(project_id, index + 1, width):
            _release(project_id, *held)
            raise _exhausted(max_wait)
        held.append(index + 1)
    if _earlier_waiting(project_id, index):
        _release(project_id, *held)
        raise _exhausted(max_wait)
    sent = _turnstile(project_id, width, give_up_at=time.time(), spacing=width * (1 + BACKGROUND_MARGIN))
    if sent is None:
        _release(project_id, *held)
        raise _exhausted(max_wait)
    _mark_sent(project_id, width, index)
    if len(held) > 1:
        # Nobody was waiting for the next slot: whoever claims it now goes a width after this call.
        _release(project_id, *held[1:])
    return sent


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


def budget_usage(*, project_id: str, window: float = 60.0, api: str = VOLUME) -> BudgetUsage:
    """The use of the project's `api` budget right now (an unmetered budget reports zeros)."""
    width = _width(api)
    if width is None:
        return BudgetUsage(window=window, capacity=0, used=0, queued=0)
    project_id = _budget(api, project_id)
    window = min(window, KEEP_SECONDS, 1000 * width)
    now_index = math.floor(time.time() / width)
    past = range(now_index - max(1, math.ceil(window / width)) + 1, now_index + 1)
    ahead = range(now_index + 1, now_index + 1 + math.ceil(float(settings.API_BUDGET_MAX_WAIT) / width))
    claimed = cache.get_many([_key(project_id, index) for index in (*past, *ahead)])
    used = sum(claimed.get(_key(project_id, index)) == SENT for index in past)
    queued = sum(value == WAITING for value in claimed.values())
    # Capacity: what the cloud allows in the window (the console's margin keeps it a little below).
    return BudgetUsage(window=window, capacity=round(window * budget_rate(api)), used=used, queued=queued)
