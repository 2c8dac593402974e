"""The watcher on the production stack: a volume created through the console under gunicorn is
followed to `available` by the Celery worker alone (no page loaded, nothing polls), and a worker
killed mid-watch resumes after a restart with a timeline that has no gap and no duplicate."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.core.signing import JSONSerializer

from tests.emulator_process import FAST, EmulatorProcess
from tests.integration.conftest import console_login, volume_create, wait_for

# One worker runs the whole stack (its own PostgreSQL database and Redis database) under pytest-xdist.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("integration")]

# The worker steps often, so that a test sees the watcher act within a few seconds.
QUICK = {"WATCH_TICK": "0.5", "INVENTORY_ACTIVE_INTERVAL": "0.5"}


def events_of(pg, volume_id: str) -> list[tuple[str, str, str, str]]:
    return pg.execute(
        "SELECT from_status, to_status, source, request_id FROM console_lifecycleevent "
        "WHERE resource_id = %s ORDER BY observed_at, id",
        [volume_id],
    ).fetchall()


def watch_of(pg, project_id: str) -> tuple | None:
    return pg.execute(
        "SELECT id, runs, ended_at, end_reason, gave_up_at FROM console_watch "
        "WHERE project_id = %s ORDER BY id DESC LIMIT 1",
        [project_id],
    ).fetchone()


def stored_token(pg, stack, session_key: str) -> str:
    (data,) = pg.execute(
        "SELECT session_data FROM django_session WHERE session_key = %s", [session_key]
    ).fetchone()
    decoded = signing.loads(
        data,
        key=stack.env["DJANGO_SECRET_KEY"],
        salt="django.contrib.sessions.SessionStore",
        serializer=JSONSerializer,
    )
    return decoded["cloud_token"]


@pytest.fixture
def emulator_fast():
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0"}).start()
    yield proc
    proc.stop()


def test_the_worker_follows_a_new_volume_to_available_without_any_poll(make_stack, emulator_fast, pg):
    emulator = emulator_fast
    account = {"user": "itw", "password": "itw-password", "project": "itw"}
    account.update(emulator.new_account("itw"))
    stack = make_stack(emulator, "web", "worker", "beat", **QUICK)
    session = console_login(stack, account)
    volume_id, console_request_id = volume_create(stack, session, name="followed by the worker")

    steps = wait_for(
        lambda: [e for e in events_of(pg, volume_id) if e[1] == "available"] and events_of(pg, volume_id)
    )
    assert [(before, after, source) for before, after, source, _ in steps] == [
        ("", "creating", "action"),
        ("creating", "available", "refresh"),
    ]
    # The refresh that saw `available` was the worker's: its call is in the request log as watch-<id>.
    seen_by = steps[1][3]
    (caller,) = pg.execute(
        "SELECT console_request_id FROM support_apicall WHERE request_id = %s", [seen_by.lower()]
    ).fetchone()
    watch_id, runs, ended_at, end_reason, gave_up_at = wait_for(
        lambda: (row := watch_of(pg, account["project_id"])) and row[2] and row
    )
    assert caller == f"watch-{watch_id}"
    assert end_reason == "settled" and gave_up_at is None and runs >= 1
    # The action itself is in the request log under the console request that made it.
    (method, path, status) = pg.execute(
        "SELECT method, path, status FROM support_apicall WHERE console_request_id = %s AND method = 'POST'",
        [console_request_id],
    ).fetchone()
    assert (method, status) == ("POST", 200) and path.endswith("/volumes")
    # Nobody polled: the console received the create form, its POST and nothing else after login.
    assert not pg.execute(
        "SELECT 1 FROM support_apicall WHERE path LIKE %s AND console_request_id NOT LIKE 'watch-%%' "
        "AND console_request_id <> %s AND created_at > (SELECT MIN(created_at) FROM support_apicall "
        "WHERE console_request_id = %s)",
        ["%/volumes/detail", console_request_id, console_request_id],
    ).fetchone()
    # The token is in the session row and in no log of the stack.
    token = stored_token(pg, stack, session.cookies["sessionid"])
    assert token and token not in stack.all_logs()
    assert session.cookies["sessionid"] not in stack.all_logs()


@pytest.fixture
def emulator_slow():
    """Volumes take 6 s to create: long enough to kill the worker in the middle."""
    proc = EmulatorProcess(env={"EMULATOR_RATE": "0", "EMULATOR_CREATE_SECONDS": "6"}).start()
    yield proc
    proc.stop()


def test_a_killed_worker_resumes_the_watch_with_no_gap_and_no_duplicate(make_stack, emulator_slow, pg):
    emulator = emulator_slow
    account = {"user": "itk", "password": "itk-password", "project": "itk"}
    account.update(emulator.new_account("itk"))
    stack = make_stack(emulator, "web", "worker", "beat", **QUICK)
    session = console_login(stack, account)
    first, _ = volume_create(stack, session, name="first")
    second, _ = volume_create(stack, session, name="second")
    # The worker has stepped the watch at least once, and the volumes are still creating.
    wait_for(lambda: (row := watch_of(pg, account["project_id"])) and row[1] >= 1, timeout=10)
    assert all(events_of(pg, volume)[-1][1] == "creating" for volume in (first, second))

    stack.processes["worker"].kill()
    time.sleep(7)  # the volumes become available while no worker runs (and nothing else polls)
    assert all(events_of(pg, volume)[-1][1] == "creating" for volume in (first, second))
    assert watch_of(pg, account["project_id"])[2] is None  # the watch is still active, in the database

    stack.restart("worker")
    for volume in (first, second):
        wait_for(lambda volume=volume: events_of(pg, volume)[-1][1] == "available", timeout=30)
    wait_for(lambda: watch_of(pg, account["project_id"])[3] == "settled", timeout=30)

    rows = pg.execute(
        "SELECT resource_id, from_status, to_status FROM console_lifecycleevent "
        "WHERE resource_id IN (%s, %s) ORDER BY resource_id, observed_at, id",
        [first, second],
    ).fetchall()
    timelines: dict[str, list[tuple[str, str]]] = {}
    for resource_id, before, after in rows:
        timelines.setdefault(resource_id, []).append((before, after))
    assert set(timelines) == {first, second}
    for steps in timelines.values():
        assert steps == [("", "creating"), ("creating", "available")]
        for previous, current in zip(steps, steps[1:], strict=False):
            assert current[0] == previous[1]  # no gap
        assert len(set(steps)) == len(steps)  # no duplicate
