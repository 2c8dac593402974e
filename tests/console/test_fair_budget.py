"""THE FAIR BUDGET TEST: one session cannot starve another session of the same project.

Against the rate-limited emulator (1 call/s per project, the spec's limit), the console paces itself
to API_RATE_PER_PROJECT = 1 through the shared database cache, exactly as in development. An
attacker's session floods the console from four threads at once: detail pages of random volume ids
and edits of its own volume, as fast as the answers come. Meanwhile another user of the same
project edits a volume five times, as a person would (open the form, save). Every one of the
victim's edits must succeed, each after at most 3 s of waiting for its turn (the wait the request
log records for its call: from when the call asked for a turn to when it was sent). Random ids
cost no API call; the attacker's surplus calls are refused with "you have calls waiting", nothing sent.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client

from console import api
from support.models import ApiCall
from tests.console.login_helpers import context_of, log_in
from tests.snapshots.helpers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

ATTACK_THREADS = 4
VICTIM_EDITS = 5
MAX_WAIT = 3.0


def edit_form(name: str) -> dict[str, str]:
    return {"name": name, "description": "", "meta_rows": "1", "meta_key_0": "", "meta_value_0": ""}


def attacker(client: Client, volume_id: str, stop: threading.Event, tally: dict, lock: threading.Lock):
    """Detail pages of random ids and edits of its own volume, back to back, until told to stop."""
    try:
        round_number = 0
        while not stop.is_set():
            round_number += 1
            if round_number % 2:
                answer = client.get(f"/volumes/{uuid.uuid4()}/")
                key = f"random id {answer.status_code}"
            else:
                answer = client.post(f"/volumes/{volume_id}/edit/", edit_form(f"attack-{round_number}"))
                body = answer.content.decode()
                key = f"edit {answer.status_code}"
                if "You have calls waiting" in body:
                    key += " calls waiting"
                    if f'value="attack-{round_number}"' in body:
                        key += ", form kept"
            with lock:
                tally[key] = tally.get(key, 0) + 1
    except BaseException as error:  # reported by the test
        with lock:
            tally.setdefault("errors", []).append(repr(error))
    finally:
        connection.close()


def test_a_flooding_session_cannot_starve_another_session_of_the_project(settings, limited_emulator):
    settings.IDENTITY_URL = limited_emulator.identity_url
    settings.API_RATE_PER_PROJECT = 1.0
    name = f"fair{uuid.uuid4().hex[:8]}"
    info = limited_emulator.new_account(name)
    project_id = info["project_id"]
    victim_name = f"{name}v"
    limited_emulator.hook(
        "POST",
        "/_emulator/accounts",
        {"user": victim_name, "password": f"{victim_name}-password", "project": name},
    )
    attacker_account = {"user": name, "password": f"{name}-password", "project": name}
    victim_account = {"user": victim_name, "password": f"{victim_name}-password", "project": name}

    victim = Client()
    assert log_in(victim, victim_account).status_code == 302
    attackers = [Client()]
    assert log_in(attackers[0], attacker_account).status_code == 302
    for _ in range(ATTACK_THREADS - 1):  # more tabs of the same browser session
        tab = Client()
        tab.cookies = attackers[0].cookies
        attackers.append(tab)

    ctx = context_of(victim)
    own = api.volume_create(ctx, size=1, display_name="victim's")
    theirs = api.volume_create(ctx, size=1, display_name="attacker's")
    for volume in (own, theirs):
        wait_for(lambda v=volume: api.volume_get(ctx, v.id).status == "available", timeout=30, pause=1.0)
    assert victim.get("/volumes/").status_code == 200  # the listing is loaded
    limited_emulator.reset_stats()

    stop = threading.Event()
    tally: dict = {}
    lock = threading.Lock()
    threads = [
        threading.Thread(target=attacker, args=(tab, theirs.id, stop, tally, lock)) for tab in attackers
    ]
    for thread in threads:
        thread.start()
    waits: list[float] = []
    sent_after: list[float] = []
    answers: list[int] = []
    try:
        time.sleep(2)  # the flood is on
        for index in range(VICTIM_EDITS):
            form = victim.get(f"/volumes/{own.id}/edit/")
            assert form.status_code == 200
            sent_at = time.time()
            saved = victim.post(f"/volumes/{own.id}/edit/", edit_form(f"victim-{index}"))
            answers.append(saved.status_code)
            call = (
                ApiCall.objects.filter(
                    user_name=victim_name, method="PUT", created_at__gte=datetime.fromtimestamp(sent_at, UTC)
                )
                .order_by("created_at")
                .first()
            )
            # The wait for its turn, as the console measured it (the request log's "waited for its
            # turn"), and the whole time from the form's send to the call's, request handling
            # included: on a machine whose CPUs are busy with other work, handling the form in a
            # process shared with four flooding tabs takes its own time, which is not the budget's.
            waits.append(call.waited_ms / 1000 if call else float("inf"))
            sent_after.append(call.created_at.timestamp() - sent_at if call else float("inf"))
            time.sleep(0.5)  # a person reads the answer
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)

    stats = limited_emulator.stats(project_id)["projects"][project_id]
    listings = sum(count for path, count in stats["by_path"].items() if path.endswith("/detail"))
    random_gets = stats["by_method"].get("GET", 0) - listings  # GET /volumes/{id}: a lookup by id
    print(
        f"\nvictim waits {[round(w, 2) for w in waits]} (sent after {[round(w, 2) for w in sent_after]}), "
        f"answers {answers}; attacker {tally}; "
        f"emulator {stats['by_path']}, 413s {stats['overlimit']}"
    )
    assert "errors" not in tally, tally["errors"]
    assert answers == [302] * VICTIM_EDITS, answers
    assert max(waits) <= MAX_WAIT, waits
    assert api.volume_get(ctx, own.id).name == f"victim-{VICTIM_EDITS - 1}"
    # The console lets calls leave at least 1.05 s apart. On a loaded 2-CPU machine a thread may
    # still reach its socket ~100 ms later than the one before it, beyond the emulator's 50 ms of
    # tolerance: a rare 413, which the console retries. Never more than that.
    assert stats["overlimit"] <= max(1, stats["total"] // 20), stats["by_status"]
    # The attacker's surplus edits were refused at once, with the message and its form as typed, and
    # sent nothing: the cloud saw exactly the edits that succeeded.
    assert tally.get("edit 400 calls waiting, form kept", 0) > 0, tally
    assert not any(key.endswith("calls waiting") for key in tally), tally
    calls = limited_emulator.hook("GET", f"/_emulator/log?project={project_id}&limit=10000")["log"]
    saved = sum(call["method"] == "PUT" and call["status"] == 200 for call in calls)
    assert saved == tally.get("edit 302", 0) + VICTIM_EDITS, (stats["by_method"], tally)
    assert random_gets <= 3, stats["by_path"]  # random ids cost (almost) nothing
