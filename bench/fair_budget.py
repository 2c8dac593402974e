"""The fair budget: one session flooding the console cannot starve another session of its project.

Part of bench/console_bench.py (`--only fair`); the figures land in docs/performance.md.

  - one emulator with the spec's limit on (1 call/s per project and API), one project, two of its
    users: a *victim* and an *attacker*, each logged in through /login/ (their own sessions), each
    with a volume of its own;
  - the production stack (gunicorn 2 workers x 4 threads, PostgreSQL, Redis), so the budget and its
    waiting tickets are shared through Redis by two processes, as in production;
  - baseline, in the same run: the victim alone renames its volume E times through the edit form
    (open the form, save, read the answer for a second), nobody else calling;
  - then the attacker floods from ATTACKER_TABS threads sharing its one session, back to back: the
    detail page of a random volume id, then a rename of its own volume, again and again; meanwhile
    the victim renames its volume E times as before.
  - figures: the victim's waits (from sending its form to its call reaching the cloud, from the
    emulator's log) p50 / p95 / max with and without the flood, its edits saved; the attacker's
    requests and what they were answered ("You have calls waiting", not found, saved), and the calls
    the attacker caused (its renames, lookups of random ids); 413s.
"""

from __future__ import annotations

import datetime
import random
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    Backend,
    ConsoleServer,
    EmulatorProcess,
    account_new,
    console_login,
    percentile,
    run_command,
    volumes_create,
    wait_until_available,
)
from bench.soak import form_of  # noqa: E402

ATTACKER_TABS = 8
READ_PAUSE = 1.0  # a person reads the answer before the next edit
EDIT_LINK = "/volumes/{}/edit/"
CALLS_WAITING = "You have calls waiting"


def _rename(
    session: requests.Session, url: str, volume_id: str, name: str
) -> tuple[requests.Response, float]:
    """Open the edit form, change the name, send it: the answer and when the form was sent."""
    path = EDIT_LINK.format(volume_id)
    form = form_of(session.get(url + path, timeout=60).text, path)
    if form is None:
        raise SystemExit(f"fair: no edit form on {path}")
    fields = dict(form["fields"], name=name)
    sent = time.time()
    reply = session.post(
        url + path, data=fields, headers={"Referer": url + path}, allow_redirects=False, timeout=60
    )
    return reply, sent


def _victim(session: requests.Session, url: str, volume_id: str, edits: int, label: str) -> list[dict]:
    """The victim's E renames, one after the other, as a person makes them."""
    done = []
    for index in range(edits):
        reply, sent = _rename(session, url, volume_id, f"victim-{label}-{index}")
        done.append({"sent": sent, "status": reply.status_code, "answered": time.time() - sent})
        time.sleep(READ_PAUSE)
    return done


def _waits(edits: list[dict], log: list[dict], volume_id: str) -> list[float]:
    """Each edit's wait: from sending the form to its PUT reaching the cloud (the emulator's log
    time is the answer's, less the call's own duration); the first PUT of the volume after it."""
    puts = sorted(
        entry["time"] - entry["duration_ms"] / 1000
        for entry in log
        if entry["method"] == "PUT" and entry["path"].endswith(f"/volumes/{volume_id}")
    )
    waits = []
    for edit in edits:
        arrived = next((at for at in puts if at >= edit["sent"]), None)
        waits.append(float("inf") if arrived is None else arrived - edit["sent"])
    return waits


def _figures(waits: list[float]) -> dict:
    finite = [wait for wait in waits if wait != float("inf")]
    return {
        "n": len(waits),
        "p50": statistics.median(finite) if finite else float("inf"),
        "p95": percentile(finite, 0.95) if finite else float("inf"),
        "max": max(waits) if waits else float("inf"),
    }


def bench_fair(backend: Backend, args) -> dict:
    edits = args.fair_edits
    print(f"fair: a victim's {edits} edits alone, then under a flood of {ATTACKER_TABS} tabs ...", flush=True)
    # The bench's own setup goes with the limit off; the emulator then restarts with it on.
    emulator = EmulatorProcess(env={"EMULATOR_RATE": "0", "EMULATOR_SPEED": "0.05"}).start()
    attacker = account_new(emulator, "flooder")
    victim_name = "victim"
    emulator.hook(
        "POST",
        "/_emulator/accounts",
        {"user": victim_name, "password": f"{victim_name}-password", "project": attacker["project"]},
    )
    victim = {"user": victim_name, "password": f"{victim_name}-password", "project": attacker["project"]}
    project_id = attacker["project_id"]
    own, theirs = volumes_create(emulator, attacker["token"], project_id, 2, prefix="fair")
    wait_until_available(emulator, attacker["token"], project_id, "volumes", 2)
    emulator.env.update({"EMULATOR_RATE": "1", "EMULATOR_BURST": "1"})
    emulator.restart()
    backend.cache_clear()
    server = ConsoleServer(backend, emulator).start()
    tally: Counter = Counter()
    lock = threading.Lock()
    try:
        victim_session = console_login(server.url, victim)
        attacker_session = console_login(server.url, attacker)
        victim_session.get(f"{server.url}/volumes/", timeout=60)  # the listings are loaded

        alone_started = time.time()
        alone = _victim(victim_session, server.url, own, edits, "alone")

        stop = threading.Event()

        def flood(seed: int) -> None:
            rng = random.Random(seed)
            tab = requests.Session()  # one more tab of the attacker's browser: the same session
            tab.cookies.update(attacker_session.cookies)
            round_number = 0
            while not stop.is_set():
                round_number += 1
                try:
                    if round_number % 2:
                        reply = tab.get(
                            f"{server.url}/volumes/{uuid.UUID(int=rng.getrandbits(128))}/", timeout=60
                        )
                        key = f"random id: {reply.status_code}"
                    else:
                        reply, _ = _rename(tab, server.url, theirs, f"flood-{seed}-{round_number}")
                        key = f"rename: {reply.status_code}"
                        if CALLS_WAITING in reply.text:
                            key += ' "You have calls waiting"'
                except requests.RequestException as error:
                    key = f"error: {type(error).__name__}"
                with lock:
                    tally[key] += 1

        flood_started = time.time()
        threads = [threading.Thread(target=flood, args=(n,)) for n in range(ATTACKER_TABS)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(3)  # the flood is on
            flooded = _victim(victim_session, server.url, own, edits, "flooded")
        finally:
            stop.set()
            for thread in threads:
                thread.join(120)
        flood_ended = time.time()
        log = emulator.hook("GET", f"/_emulator/log?project={project_id}&limit=10000")["log"]
        stats = emulator.stats(project_id)["projects"][project_id]
    finally:
        server.stop()
        emulator.stop()
    in_flood = [entry for entry in log if flood_started <= entry["time"] <= flood_ended]
    attacker_renames = sum(
        entry["method"] == "PUT" and entry["path"].endswith(f"/volumes/{theirs}") for entry in in_flood
    )
    lookups = sum(
        entry["method"] == "GET"
        and "/volumes/" in entry["path"]
        and not entry["path"].endswith(("/detail", f"/volumes/{own}", f"/volumes/{theirs}"))
        for entry in in_flood
    )
    span = flood_ended - flood_started
    return {
        "edits": edits,
        "alone": {
            **_figures(_waits(alone, log, own)),
            "saved": sum(edit["status"] == 302 for edit in alone),
            "answered": _figures([edit["answered"] for edit in alone]),
            "span": flood_started - alone_started,
        },
        "flooded": {
            **_figures(_waits(flooded, log, own)),
            "saved": sum(edit["status"] == 302 for edit in flooded),
            "answered": _figures([edit["answered"] for edit in flooded]),
        },
        "attacker": {
            "requests": sum(tally.values()),
            "tally": dict(tally),
            "renames": attacker_renames,
            "lookups": lookups,
            "calls": len(in_flood),
            "span": span,
        },
        "overlimit": stats["overlimit"],
        "by_api": {api: entry["total"] for api, entry in stats.get("by_api", {}).items()},
    }


def report_fair(fair: dict, args, ok) -> list[str]:
    alone, flooded, attacker = fair["alone"], fair["flooded"], fair["attacker"]
    ratio = flooded["p95"] / alone["p95"] if alone["p95"] else float("inf")
    met = flooded["saved"] == fair["edits"] and flooded["max"] <= 3.0
    refused = sum(count for key, count in attacker["tally"].items() if CALLS_WAITING in key)
    ordered = sorted(attacker["tally"].items(), key=lambda pair: -pair[1])
    answers = ", ".join(f"{key} {count}" for key, count in ordered)
    return [
        "## Fair budget: one session flooding, another editing",
        "",
        f"Command: `{run_command()}` ({datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC).",
        "",
        f"One project, two of its users, the emulator limited to 1 call/s per project and API. Baseline"
        f" in the same run: the victim alone renames its volume {fair['edits']} times through the edit"
        f" form (open it, save, read the answer for {READ_PAUSE:g} s). Then the attacker floods from"
        f" {ATTACKER_TABS} tabs of one session, back to back: the detail page of a random volume id,"
        " then a rename of its own volume; meanwhile the victim renames its volume as before. *Wait*:"
        " from sending the form to the call reaching the cloud (the emulator's log). *Answer*: the"
        " whole POST as the victim's browser sees it.",
        "",
        "| victim | edits saved | wait p50 s | wait p95 s | wait max s | answer p50 s | answer max s |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| alone | {alone['saved']}/{alone['n']} | {alone['p50']:.2f} | {alone['p95']:.2f} |"
        f" {alone['max']:.2f} | {alone['answered']['p50']:.2f} | {alone['answered']['max']:.2f} |",
        f"| under the flood | {flooded['saved']}/{flooded['n']} | {flooded['p50']:.2f} |"
        f" {flooded['p95']:.2f} | {flooded['max']:.2f} | {flooded['answered']['p50']:.2f} |"
        f" {flooded['answered']['max']:.2f} |",
        "",
        f"Under the flood the victim's p95 wait is {ratio:.1f}x its wait alone. Target: every edit saved,"
        f" each within 3 s of waiting: **{ok(met)}**.",
        "",
        f"The attacker sent {attacker['requests']} requests in {attacker['span']:.0f} s"
        f" ({attacker['requests'] / max(1e-9, attacker['span']):.0f}/s): {refused} renames were answered"
        f' "You have calls waiting" at once (nothing sent, the form kept), and its random ids cost'
        f" {attacker['lookups']} lookups. The cloud saw {attacker['calls']} calls of the project during"
        f" the flood ({attacker['calls'] / max(1e-9, attacker['span']):.2f}/s): {attacker['renames']} of the"
        f" attacker's renames, the victim's {flooded['n']}, and the listings' refreshes; 413s over the"
        f" whole run: {fair['overlimit']}. Answers to the attacker: {answers}.",
        "",
    ]
