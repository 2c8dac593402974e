"""Two gunicorn workers, a Celery worker and ten polling sessions share the call budgets in Redis:
the rate-limited emulator sees at most one call per second for the project on each API (Block
Storage and Compute are metered apart), and never a 413."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.emulator_process import EmulatorProcess
from tests.integration.conftest import console_login, volume_create

# One worker runs the whole stack (its own PostgreSQL database and Redis database) under pytest-xdist.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("integration")]

SESSIONS = 10
POLL_SECONDS = 12


@pytest.fixture
def limited():
    """The spec's rate limit (1 call/s per project); volumes take 30 s to create, so they stay
    transitional and the listings stay on their short refresh interval for the whole test."""
    proc = EmulatorProcess(
        env={"EMULATOR_RATE": "1", "EMULATOR_BURST": "1", "EMULATOR_CREATE_SECONDS": "30"}
    ).start()
    yield proc
    proc.stop()


def test_ten_polling_sessions_stay_within_the_rate_limit(make_stack, limited):
    account = {"user": "itr", "password": "itr-password", "project": "itr"}
    account.update(limited.new_account("itr"))
    stack = make_stack(limited, "web", "worker", "beat", WATCH_TICK="0.5")
    sessions = [console_login(stack, account) for _ in range(SESSIONS)]
    volumes = [volume_create(stack, sessions[0], name=f"busy-{n}")[0] for n in range(2)]
    limited.reset_stats()

    statuses: list[int] = []
    lock = threading.Lock()
    started = time.time()

    def person(session: requests.Session) -> None:
        page = session.get(stack.url + "/volumes/", timeout=30)
        seen = [page.status_code]
        query = "&".join(f"s={volume}:creating" for volume in volumes)
        while time.time() - started < POLL_SECONDS:
            response = session.get(
                f"{stack.url}/live/volumes/?{query}", headers={"HX-Request": "true"}, timeout=30
            )
            seen.append(response.status_code)
            time.sleep(0.5)
        with lock:
            statuses.extend(seen)

    threads = [threading.Thread(target=person, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=POLL_SECONDS + 60)
    elapsed = time.time() - started

    stats = limited.stats(account["project_id"])
    project = stats["projects"].get(account["project_id"], {})
    times = sorted(project.get("times", []))
    # Each API has its own budget (and its own limit in the emulator): gaps are per API.
    per_api = {api: sorted(entry["times"]) for api, entry in project.get("by_api", {}).items()}
    gaps = [
        later - earlier
        for api_times in per_api.values()
        for earlier, later in zip(api_times, api_times[1:], strict=False)
    ]
    print(
        f"\n{SESSIONS} sessions, {len(statuses)} console requests in {elapsed:.1f} s; "
        f"the emulator got {len(times)} calls for the project "
        f"({ {api: len(api_times) for api, api_times in per_api.items()} }), smallest gap on one API "
        f"{min(gaps, default=0):.3f} s, 413s: {stats['overlimit']}"
    )
    assert statuses and set(statuses) <= {200, 286}, sorted(set(statuses))
    assert len(statuses) >= SESSIONS * POLL_SECONDS  # every session polled all along
    assert stats["overlimit"] == 0 and "413" not in project.get("by_status", {})
    # At most one call per second: consecutive calls arrive a slot apart, give or take the 50 ms of
    # network jitter the emulator forgives (EMULATOR_RATE_TOLERANCE).
    assert all(gap >= 0.95 for gap in gaps), gaps
    assert all(len(api_times) <= elapsed + 1 for api_times in per_api.values()), per_api
    # And the listings were refreshed all along (the budget was used, not merely avoided).
    assert len(times) >= POLL_SECONDS / 4
