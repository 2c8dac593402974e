"""The per-project call budget (console.api.budget): pacing, priorities, usage, and two processes
sharing one cache staying inside one budget against the rate-limited emulator."""

import json
import math
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest

from console.api import budget
from console.api.budget import SLOT_GRACE, Party, budget_acquire, budget_usage
from console.api.context import Priority
from console.api.errors import BudgetExhausted, CallsWaiting
from tests.emulator_process import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


def project() -> str:
    return f"p-{uuid.uuid4().hex[:12]}"


class FakeSleep:
    """The budget's clock: sleeps are recorded and move the clock on at once, so budget decisions
    are checked without waiting for them."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        # A known place in the slots, so that what a test sees does not depend on the moment it runs:
        # 1.25 s past a multiple of 1050 s, where slots of 10.5 s (0.1 call/s and the budget's 5 %
        # margin) and of 1.05 s (1 call/s) begin.
        self.now = math.floor(time.time() / 1050) * 1050 + 1.25

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_sleep(monkeypatch) -> FakeSleep:
    clock = FakeSleep()
    monkeypatch.setattr(budget, "time", clock)
    return clock


def test_calls_from_many_threads_are_one_slot_apart(settings):
    # Threads of one process share a LocMem cache here (the test database is an in-memory SQLite
    # whose table locks are not a production setting); the database cache is shared by the two
    # processes of the test below.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.API_RATE_PER_PROJECT = 20  # slots of 50 ms, to keep the test short
    settings.API_BUDGET_MAX_WAIT = 120  # generous: the machine may be busy
    width = 1 / settings.API_RATE_PER_PROJECT
    pid = project()
    sent: list[float] = []
    lock = threading.Lock()

    def caller() -> None:
        for _ in range(4):
            at = budget_acquire(project_id=pid, priority=Priority.USER)
            with lock:
                sent.append(at)

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(sent) == 16
    sent.sort()
    gaps = [later - earlier for earlier, later in zip(sent, sent[1:], strict=False)]
    assert min(gaps) >= width - SLOT_GRACE


def test_background_takes_a_free_slot_without_waiting(settings, fake_sleep):
    settings.API_RATE_PER_PROJECT = 0.1
    budget_acquire(project_id=project(), priority=Priority.BACKGROUND)
    assert fake_sleep.pauses == []


def test_background_does_not_wait_when_the_slot_is_taken(settings, fake_sleep):
    settings.API_RATE_PER_PROJECT = 0.1  # slots of 10.5 s: the next one is always far off
    pid = project()
    budget_acquire(project_id=pid, priority=Priority.USER)
    with pytest.raises(BudgetExhausted) as caught:
        budget_acquire(project_id=pid, priority=Priority.BACKGROUND)
    assert fake_sleep.pauses == []
    assert caught.value.status is None and caught.value.request_id == ""


def test_a_user_waits_for_the_next_slot(settings, fake_sleep):
    settings.API_RATE_PER_PROJECT = 0.1
    settings.API_BUDGET_MAX_WAIT = 60
    pid = project()
    budget_acquire(project_id=pid, priority=Priority.BACKGROUND)
    budget_acquire(project_id=pid, priority=Priority.USER)
    # The start of the next free slot (and the turnstile's spacing), at most two slots ahead.
    assert 0 < sum(fake_sleep.pauses) <= 21


def test_a_late_refresh_leaves_the_next_turn_to_whoever_comes(settings, fake_sleep):
    # A moving listing is refreshed whenever a poll comes, seldom at a slot's very start. Nobody else
    # calls: the next refresh, a width (and the turnstile's margin) later, goes too, instead of
    # finding the next slot kept empty for nobody (a refresh every other second at 1 call/s).
    settings.API_RATE_PER_PROJECT = 0.1  # slots of 10.5 s; the clock is 1.25 s into one
    pid = project()
    first = budget_acquire(project_id=pid, priority=Priority.BACKGROUND)
    fake_sleep.now = first + budget.budget_spacing() + 0.1  # 1.35 s into the next slot
    second = budget_acquire(project_id=pid, priority=Priority.BACKGROUND)
    assert second - first >= budget.budget_spacing()
    assert fake_sleep.pauses == []


def test_after_a_late_refresh_a_user_goes_a_width_later_not_a_slot_later(settings, fake_sleep):
    settings.API_RATE_PER_PROJECT = 0.1
    settings.API_BUDGET_MAX_WAIT = 60
    pid = project()
    refresh = budget_acquire(project_id=pid, priority=Priority.BACKGROUND)
    user = budget_acquire(project_id=pid, priority=Priority.USER)
    # The turnstile's spacing after the refresh, not the start of the slot after the next (20 s).
    assert user - refresh == pytest.approx(budget._width("volume"), abs=0.1)


def test_a_late_refresh_never_goes_ahead_of_a_user_waiting_for_the_next_slot(settings, fake_sleep):
    settings.API_RATE_PER_PROJECT = 0.1
    pid = project()
    # A user's call holds the next slot (claimed, waiting for its turn): a refresh late into the
    # current slot would push it later, so it does not go.
    width = budget._width("volume")
    assert budget._claim(budget._budget("volume", pid), math.floor(fake_sleep.now / width) + 1, width)
    with pytest.raises(BudgetExhausted):
        budget_acquire(project_id=pid, priority=Priority.BACKGROUND)


def test_a_call_held_after_its_turn_spaces_the_next_from_when_it_really_left(settings, fake_sleep):
    # A busy process may hold a thread between its turn and its socket: the cloud must not see the
    # next call any sooner after it than the spacing, or it refuses it (413).
    settings.API_RATE_PER_PROJECT = 1
    settings.API_BUDGET_MAX_WAIT = 60
    pid = project()
    turn = budget_acquire(project_id=pid, priority=Priority.USER)
    fake_sleep.now += 0.4  # the thread was held that long before its bytes went out
    budget.budget_sending(project_id=pid, turn=turn)
    sent = fake_sleep.now
    following = budget_acquire(project_id=pid, priority=Priority.USER)
    assert following - sent >= budget._width("volume") - 1e-6


def test_a_refresh_keeps_a_wider_distance_from_the_last_call_than_a_person_does(settings, fake_sleep):
    # Refreshes are most of a busy project's calls: they leave the cloud more room for a thread held
    # on a loaded machine than a person's call, which keeps the plain width.
    settings.API_RATE_PER_PROJECT = 1
    settings.API_BUDGET_MAX_WAIT = 60
    pid = project()
    last = budget_acquire(project_id=pid, priority=Priority.USER)
    fake_sleep.now = last + budget._width("volume") + 0.02  # a width has passed, not the wider one
    with pytest.raises(BudgetExhausted):
        budget_acquire(project_id=pid, priority=Priority.BACKGROUND)
    assert budget_acquire(project_id=pid, priority=Priority.USER) - last < budget.budget_spacing()


def test_a_user_gives_up_after_the_longest_wait(settings, fake_sleep):
    settings.API_RATE_PER_PROJECT = 0.1
    settings.API_BUDGET_MAX_WAIT = 0.5
    pid = project()
    budget_acquire(project_id=pid, priority=Priority.USER)
    with pytest.raises(BudgetExhausted):
        budget_acquire(project_id=pid, priority=Priority.USER)
    assert fake_sleep.pauses == []


def test_usage_counts_calls_made_and_queued(settings):
    settings.API_RATE_PER_PROJECT = 1
    settings.API_BUDGET_MAX_WAIT = 30
    pid = project()
    assert budget_usage(project_id=pid).used == 0
    budget_acquire(project_id=pid, priority=Priority.USER)
    waiting = threading.Thread(target=budget_acquire, kwargs={"project_id": pid, "priority": Priority.USER})
    waiting.start()  # its turn is the next second: it waits for it meanwhile
    deadline = time.monotonic() + 10
    usage = budget_usage(project_id=pid, window=10)
    while usage.queued == 0 and waiting.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
        usage = budget_usage(project_id=pid, window=10)
    waiting.join(30)
    assert usage.capacity == 10
    assert usage.used >= 1 and usage.queued == 1
    assert 0 < usage.fraction <= 1
    assert budget_usage(project_id=pid, window=10).used == 2


def queue_behind(pid: str, party: Party) -> threading.Thread:
    """A call of `party` that waits for its turn (the current one is taken), started in a thread;
    returns once its slot is claimed."""
    before = budget_usage(project_id=pid, window=10).queued
    caller = threading.Thread(
        target=budget_acquire, kwargs={"project_id": pid, "priority": Priority.USER, "party": party}
    )
    caller.start()
    deadline = time.monotonic() + 10
    while budget_usage(project_id=pid, window=10).queued == before and time.monotonic() < deadline:
        time.sleep(0.01)
    return caller


def test_a_session_with_a_call_waiting_is_told_so_at_once_and_others_are_not(settings):
    settings.API_RATE_PER_PROJECT = 0.5  # slots of 2 s: the waiting call surely still waits
    settings.API_BUDGET_MAX_WAIT = 30
    pid = project()
    mine = Party(session="session-1", user="user-1")
    budget_acquire(project_id=pid, priority=Priority.USER, party=mine)
    waiting = queue_behind(pid, mine)
    started = time.monotonic()
    with pytest.raises(CallsWaiting) as refused:
        budget_acquire(project_id=pid, priority=Priority.USER, party=mine)
    assert time.monotonic() - started < 1  # at once: nothing claimed, nothing sent
    assert "already have a call to the cloud waiting" in refused.value.message
    assert budget_usage(project_id=pid, window=10).queued == 1
    # Another user's session is not refused: it queues behind the one waiting call.
    budget_acquire(project_id=pid, priority=Priority.USER, party=Party(session="session-2", user="user-2"))
    waiting.join(30)
    # Once its call went, the session may call again.
    budget_acquire(project_id=pid, priority=Priority.USER, party=mine)


def test_a_user_gets_no_more_waiting_calls_than_its_share_whatever_its_sessions(settings):
    settings.API_RATE_PER_PROJECT = 0.5
    settings.API_BUDGET_MAX_WAIT = 30
    settings.API_BUDGET_USER_WAITING = 2
    pid = project()
    budget_acquire(project_id=pid, priority=Priority.USER)
    waiting = [queue_behind(pid, Party(session=f"tab-{n}", user="flooder")) for n in range(2)]
    with pytest.raises(CallsWaiting) as refused:
        budget_acquire(project_id=pid, priority=Priority.USER, party=Party(session="tab-3", user="flooder"))
    assert "Your other sessions" in refused.value.message
    for caller in waiting:
        caller.join(30)


def test_rate_zero_turns_metering_off(settings, fake_sleep):
    settings.API_RATE_PER_PROJECT = 0
    pid = project()
    for _ in range(5):
        budget_acquire(project_id=pid, priority=Priority.BACKGROUND)
    assert fake_sleep.pauses == []
    assert budget_usage(project_id=pid).capacity == 0


WORKER = textwrap.dedent(
    """
    import json, sys, time
    import django

    django.setup()
    from console import api

    user, password, start_at, duration = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    auth = api.authenticate(username=user, password=password, project=user)
    endpoints = auth.regions["region-a.geo-1"]
    ctx = api.CloudContext(
        token=auth.token, user_id=auth.user_id, user_name=auth.user_name, project_id=auth.project_id,
        project_name=auth.project_name, region="region-a.geo-1", volume_url=endpoints.volume_url,
        compute_url=endpoints.compute_url,
    )
    counts = {"ok": 0, "refused": 0, "overlimit": 0}
    time.sleep(max(0.0, start_at - time.time()))
    while time.time() < start_at + duration:
        try:
            api.volume_list(ctx)
            counts["ok"] += 1
        except api.BudgetExhausted:
            counts["refused"] += 1
        except api.OverLimit:
            counts["overlimit"] += 1
    print(json.dumps(counts))
    """
)


def test_each_api_has_its_own_budget(settings, fake_sleep):
    settings.API_RATE_PER_PROJECT = 0.1  # slots of 10.5 s: a second call of one API waits
    settings.API_BUDGET_MAX_WAIT = 60
    pid = project()
    budget_acquire(project_id=pid, priority=Priority.USER, api="volume")
    budget_acquire(project_id=pid, priority=Priority.USER, api="compute")
    assert fake_sleep.pauses == []  # a Compute call does not wait for a Block Storage turn
    assert budget_usage(project_id=pid, api="volume", window=10).used == 1
    assert budget_usage(project_id=pid, api="compute", window=10).used == 1
    budget_acquire(project_id=pid, priority=Priority.USER, api="volume")
    assert sum(fake_sleep.pauses) >= 10  # the second Block Storage call waits its own budget's turn
    settings.API_COMPUTE_RATE_PER_PROJECT = 0  # Compute unmetered: never waits
    for _ in range(3):
        budget_acquire(project_id=pid, priority=Priority.USER, api="compute")
    assert budget_usage(project_id=pid, api="compute").capacity == 0


def test_block_storage_and_compute_each_get_their_rate_against_the_emulator(settings, limited_emulator):
    """The emulator meters each API on its own (1 call/s each): both at once reach about 2 calls/s
    together and neither is ever refused, where one budget for both would allow 1 call/s in all."""
    from console import api

    settings.IDENTITY_URL = limited_emulator.identity_url
    settings.API_RATE_PER_PROJECT = 1.0
    settings.API_BUDGET_MAX_WAIT = 30
    name = f"apis{uuid.uuid4().hex[:8]}"
    account = limited_emulator.new_account(name)
    auth = api.authenticate(username=name, password=f"{name}-password", project=name)
    endpoints = auth.regions["region-a.geo-1"]
    ctx = api.CloudContext(
        token=auth.token,
        user_id=auth.user_id,
        user_name=auth.user_name,
        project_id=auth.project_id,
        project_name=auth.project_name,
        region="region-a.geo-1",
        volume_url=endpoints.volume_url,
        compute_url=endpoints.compute_url,
    )
    limited_emulator.reset_stats()
    until = time.monotonic() + 8
    errors: list[BaseException] = []

    def loop(call) -> None:
        try:
            while time.monotonic() < until:
                call(ctx)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            from django.db import connection

            connection.close()

    started = time.time()
    threads = [threading.Thread(target=loop, args=(call,)) for call in (api.volume_list, api.server_list)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    elapsed = time.time() - started
    assert not errors, errors
    stats = limited_emulator.stats(account["project_id"])["projects"][account["project_id"]]
    volume, compute = stats["by_api"]["volume"], stats["by_api"]["compute"]
    assert stats["overlimit"] == 0, stats["by_status"]
    for metered in (volume, compute):
        assert metered["total"] <= elapsed + 1  # each API within its own 1 call/s
        assert metered["total"] >= elapsed * 0.6, (volume["total"], compute["total"], elapsed)
    assert volume["total"] + compute["total"] > elapsed + 2  # more than one shared budget allows


def test_two_processes_sharing_one_cache_stay_within_one_budget(limited_emulator, tmp_path):
    name = f"budget{uuid.uuid4().hex[:8]}"
    account = limited_emulator.new_account(name)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "console.settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'console.sqlite3'}",
        "CACHE_URL": "db://console_cache",
        "IDENTITY_URL": limited_emulator.identity_url,
        "API_RATE_PER_PROJECT": "1",
        "API_BUDGET_MAX_WAIT": "30",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=240,
    )
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    start_at = time.time() + 5  # both processes are up and logged in by then
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), name, f"{name}-password", str(start_at), "10"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))

    stats = limited_emulator.stats(account["project_id"])["projects"][account["project_id"]]
    times = sorted(stats["times"])
    elapsed = times[-1] - times[0]
    assert stats["overlimit"] == 0, stats
    assert all(result["overlimit"] == 0 for result in results)
    assert all(result["ok"] >= 1 for result in results), results  # both processes got their turns
    assert stats["total"] == sum(result["ok"] for result in results)
    # Window edges: n calls paced 1/rate apart span (n - 1)/rate seconds, give or take a few ms.
    assert stats["total"] <= 1 * elapsed + 1 + 0.1, (stats["total"], elapsed)


class FlakyCache:
    """The real cache, but `add` fails the first `failures` times (all of them when None)."""

    def __init__(self, failures: int | None) -> None:
        self.real = budget.cache
        self.failures = failures

    def add(self, *args, **kwargs):
        if self.failures is None or self.failures > 0:
            self.failures = None if self.failures is None else self.failures - 1
            raise RuntimeError("database is locked")
        return self.real.add(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_a_failing_cache_skips_slots_and_never_double_books(settings, fake_sleep, monkeypatch):
    settings.API_RATE_PER_PROJECT = 1
    settings.API_BUDGET_MAX_WAIT = 3
    monkeypatch.setattr(budget, "cache", FlakyCache(failures=2))
    budget_acquire(project_id=project(), priority=Priority.USER)
    assert fake_sleep.pauses  # the first slots were skipped: it waited for a later one

    monkeypatch.setattr(budget, "cache", FlakyCache(failures=None))
    with pytest.raises(BudgetExhausted):
        budget_acquire(project_id=project(), priority=Priority.USER)
