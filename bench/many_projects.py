"""Many projects at once: P projects x T browser tabs each x V volumes that keep moving, for S seconds,
on the production stack (gunicorn, PostgreSQL, Redis, a Celery worker and beat).

Part of bench/console_bench.py (`--only projects`); the figures land in docs/performance.md.

  - one emulator, its limit on (1 call/s per project and API), every project with V volumes kept
    `creating` (EMULATOR_CREATE_SECONDS 3600: every listing moves the whole time, the worst case for
    the budget and for the polls);
  - T tabs per project, each logged in through /login/ (its own session), half on the list's first
    page and half on its second, following the page's poller as htmx does (bench.common.follow_poller);
  - one person per project who, every ACTION_EVERY seconds, renames a volume through its edit form (a
    call with a person waiting, and a watch the Celery worker then follows);
  - per project: the calls the emulator counted, per 10 s window (p50, max), in any 1 s, and 413s; the
    console's answers by status (any 5xx is a failure), the edits' time; CPU and RSS of every gunicorn
    worker and Celery process, the emulator and the load generator itself.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    Backend,
    CeleryStack,
    ConsoleServer,
    EmulatorProcess,
    account_new,
    command_line,
    console_login,
    follow_poller,
    percentile,
    process_cpu_seconds,
    process_rss_mib,
    volumes_create,
)
from bench.soak import form_of  # noqa: E402

LONG_CREATE = {"EMULATOR_CREATE_SECONDS": "3600", "EMULATOR_SPEED": "1"}
NO_QUOTA = {"EMULATOR_QUOTA_VOLUMES": "-1", "EMULATOR_QUOTA_GIGABYTES": "-1"}
ACTION_EVERY = 20.0
WINDOW = 10.0
EDIT_LINK = "/volumes/{}/edit/"


def rate_profile(times: list[float], start: float, end: float) -> dict:
    """Calls per second over tumbling WINDOW-second windows (p50, max), the most calls in any 1 s,
    and the mean over the whole run."""
    span = max(1e-9, end - start)
    windows = max(1, int(span // WINDOW))
    counts = [0] * windows
    for at in times:
        index = int((at - start) // WINDOW)
        if 0 <= index < windows:
            counts[index] += 1
    ordered = sorted(times)
    peak, first = 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= 1.0:
            first += 1
        peak = max(peak, last - first + 1)
    rates = [count / WINDOW for count in counts]
    return {
        "calls": len(times),
        "mean": len(times) / span,
        "p50": statistics.median(rates),
        "max": max(rates),
        "peak": peak,
    }


def bench_projects(backend: Backend, args) -> dict:
    projects, tabs, volumes, seconds = (
        args.projects,
        args.project_tabs,
        args.project_volumes,
        args.projects_seconds,
    )
    print(
        f"projects: {projects} projects x {tabs} tabs x {volumes} moving volumes, {seconds} s,"
        " gunicorn + PostgreSQL + Redis + Celery ...",
        flush=True,
    )
    emulator = EmulatorProcess(env={"EMULATOR_RATE": "0", **LONG_CREATE, **NO_QUOTA}).start()
    accounts = [account_new(emulator, f"many{index:02d}") for index in range(projects)]
    with ThreadPoolExecutor(4) as pool:
        list(
            pool.map(
                lambda account: volumes_create(
                    emulator, account["token"], account["project_id"], volumes, prefix=account["user"]
                ),
                accounts,
            )
        )
    emulator.env["EMULATOR_RATE"] = "1"
    emulator.restart()
    backend.cache_clear()
    server = ConsoleServer(backend, emulator).start()
    celery = CeleryStack(backend, emulator).start()
    tally: Counter = Counter()
    edits: list[float] = []
    polls: list[float] = []
    lock = threading.Lock()
    try:
        # Tab by tab across the projects: logins at once are of different users (the console's login
        # throttle refuses a sixth attempt of one user at once, as it should).
        order = [(tab, index) for tab in range(tabs + 1) for index in range(projects)]
        with ThreadPoolExecutor(min(8, projects)) as pool:
            logged = list(pool.map(lambda pair: console_login(server.url, accounts[pair[1]]), order))
        sessions = [logged[order.index((tab, index))] for index in range(projects) for tab in range(tabs + 1)]
        emulator.reset_stats()
        processes = {
            **{f"gunicorn worker {n + 1}": pid for n, pid in enumerate(server.worker_pids())},
            **{
                ("celery worker" if n == 0 else f"celery pool {n}"): pid
                for n, pid in enumerate(celery.worker_pids())
            },
            "celery beat": celery.procs[1].pid,
            "emulator": emulator.proc.pid,
        }
        cpu_before = {label: process_cpu_seconds(pid) for label, pid in processes.items()}
        own_before = os.times()
        rss_max = dict.fromkeys(processes, 0.0)
        load_before = Path("/proc/loadavg").read_text().split()[0]
        start = time.time()
        until = time.monotonic() + seconds

        def tab(session: requests.Session, page: int) -> None:
            time.sleep(random.uniform(0, 3))  # tabs are opened at different moments
            while time.monotonic() < until:
                reply = session.get(f"{server.url}/volumes/?page={page}", timeout=60)
                with lock:
                    tally[f"page {reply.status_code}"] += 1

                def counted(answer: requests.Response, _arrived: float) -> None:
                    with lock:
                        tally[f"poll {answer.status_code}"] += 1
                        polls.append(answer.elapsed.total_seconds())

                follow_poller(
                    session, server.url, f"/volumes/?page={page}", reply.text, until=until, on_answer=counted
                )
                time.sleep(min(5.0, max(0.0, until - time.monotonic())))  # nothing moves: look again later

        def person(session: requests.Session, account: dict) -> None:
            rng = random.Random(account["project_id"])
            next_at = time.monotonic() + rng.uniform(0, ACTION_EVERY)
            while True:
                time.sleep(max(0.0, min(next_at, until) - time.monotonic()))
                if time.monotonic() >= until:
                    return
                next_at += ACTION_EVERY
                listing = session.get(f"{server.url}/volumes/", timeout=60)
                ids = [line.split('"')[0] for line in listing.text.split('data-volume-id="')[1:]]
                if not ids:
                    with lock:
                        tally[f"edit page {listing.status_code}"] += 1
                    continue
                path = EDIT_LINK.format(rng.choice(ids))
                form = form_of(session.get(server.url + path, timeout=60).text, path)
                if form is None:
                    with lock:
                        tally["edit form missing"] += 1
                    continue
                fields = dict(form["fields"], name=f"{account['user']}-renamed-{rng.randrange(10**6)}")
                began = time.monotonic()
                reply = session.post(
                    server.url + path,
                    data=fields,
                    headers={"Referer": server.url + path},
                    allow_redirects=False,
                    timeout=60,
                )
                took = time.monotonic() - began
                with lock:
                    tally[f"edit {reply.status_code}"] += 1
                    if reply.status_code == 302:
                        edits.append(took)

        threads = []
        for index, account in enumerate(accounts):
            own = sessions[index * (tabs + 1) : (index + 1) * (tabs + 1)]
            threads += [threading.Thread(target=tab, args=(s, 1 + n % 2)) for n, s in enumerate(own[:tabs])]
            threads.append(threading.Thread(target=person, args=(own[tabs], account)))
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            for label, pid in processes.items():
                rss_max[label] = max(rss_max[label], process_rss_mib(pid))
            time.sleep(2)
        for thread in threads:
            thread.join()
        end = time.time()
        elapsed = end - start
        load = (load_before, Path("/proc/loadavg").read_text().split()[0])
        cpu = {
            label: (process_cpu_seconds(pid) - cpu_before[label]) / elapsed
            for label, pid in processes.items()
        }
        own_after = os.times()
        cpu["load generator (this bench)"] = (
            own_after.user + own_after.system - own_before.user - own_before.system
        ) / elapsed
        rss = {label: process_rss_mib(pid) for label, pid in processes.items()}
        stats = emulator.stats()["projects"]
        log = emulator.hook("GET", "/_emulator/log?limit=10000")["log"]
        access = server.access_entries()
        five_xx = sum(1 for entry in access if int(entry.get("status") or 0) >= 500)
        poll_server = [
            float(entry["duration_ms"]) / 1000
            for entry in access
            if str(entry.get("path", "")).startswith("/live/") and entry.get("duration_ms") is not None
        ]
        watchers = watcher_calls(backend)
    finally:
        celery.stop()
        server.stop()
        emulator.stop()
    # The closest two calls of one project (one API) as the emulator saw them.
    arrivals: dict[tuple[str, str], list[float]] = {}
    for entry in log:
        api = entry["path"].split("/")[1]
        if entry["project"] and api in ("volume", "compute"):
            arrivals.setdefault((entry["project"], api), []).append(entry["time"])
    closest = min(
        (
            later - earlier
            for times in arrivals.values()
            for earlier, later in zip(sorted(times), sorted(times)[1:], strict=False)
        ),
        default=float("nan"),
    )
    per_project = []
    for account in accounts:
        entry = stats.get(account["project_id"], {"total": 0, "overlimit": 0, "by_api": {}})
        volume_api = entry.get("by_api", {}).get("volume", {"times": [], "overlimit": 0})
        compute_api = entry.get("by_api", {}).get("compute", {"times": [], "overlimit": 0})
        per_project.append(
            {
                "project": account["user"],
                "volume": rate_profile(volume_api["times"], start, end),
                "compute": rate_profile(compute_api["times"], start, end),
                "overlimit": entry["overlimit"],
            }
        )
    return {
        "seconds": elapsed,
        "projects": per_project,
        "tally": dict(tally),
        "five_xx": five_xx,
        "edits": edits,
        "cpu": cpu,
        "rss": rss,
        "rss_max": rss_max,
        "watchers": watchers,
        "closest": closest,
        "polls": polls,
        "poll_server": poll_server,
        "load": load,
    }


def watcher_calls(backend: Backend) -> dict:
    """Watches the Celery worker followed and the calls it made for them (the request log)."""
    code = (
        "import json; from console.models import Watch; from support.models import ApiCall; "
        "print(json.dumps({'watches': Watch.objects.count(), "
        "'calls': ApiCall.objects.filter(console_request_id__startswith='watch-').count()}))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=backend.environment({}),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def report_projects(result: dict, args, ok) -> list[str]:
    rows = result["projects"]
    volume_max = max(row["volume"]["max"] for row in rows)
    compute_max = max(row["compute"]["max"] for row in rows)
    overlimit = sum(row["overlimit"] for row in rows)
    tally = result["tally"]
    client_5xx = sum(count for key, count in tally.items() if key.split()[-1].startswith("5"))
    met = (
        volume_max <= 1.0
        and compute_max <= 1.0
        and overlimit == 0
        and not client_5xx
        and not result["five_xx"]
    )
    lines = [
        "## 5. Many projects",
        "",
        command_line(),
        "",
        f"{args.projects} projects x {args.project_tabs} tabs x {args.project_volumes} volumes kept"
        " `creating`"
        f" (every listing moves the whole time), {result['seconds']:.0f} s, on gunicorn (2 workers x 4"
        " threads) + PostgreSQL + Redis + a Celery worker (2 processes) and beat. Each tab logged in"
        " through /login/, half of them on the list's first page and half on its second, following the"
        " page's poller as htmx does; one person per project renames a volume through its edit form"
        f" every {ACTION_EVERY:.0f} s (a call with a person waiting, and a watch for the Celery worker)."
        f" The machine's load average (1 min) was {result['load'][0]} at the start and {result['load'][1]}"
        " at the end (it is shared: other work ran too)."
        " Emulator limit on: 1 call/s per project and API. Calls counted by the emulator per project: p50"
        f" and max over {WINDOW:.0f} s windows, most in any 1 s.",
        "",
        "| project | Block Storage calls | calls/s mean | p50 | max | most in 1 s | Compute calls | 413s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        v = row["volume"]
        lines.append(
            f"| {row['project']} | {v['calls']} | {v['mean']:.2f} | {v['p50']:.2f} | {v['max']:.2f} |"
            f" {v['peak']} | {row['compute']['calls']} | {row['overlimit']} |"
        )
    means = [row["volume"]["mean"] for row in rows]
    lines += [
        "",
        f"Block Storage calls/s per project: mean {statistics.median(means):.2f} (median of the projects),"
        f" highest 10 s window {volume_max:.2f}; Compute: highest 10 s window {compute_max:.2f}."
        f" 413s: {overlimit}. Closest two calls of one project and API, as the emulator saw them:"
        f" {result['closest']:.2f} s apart."
        f" Console answers: {', '.join(f'{k} {v}' for k, v in sorted(tally.items(), key=lambda kv: -kv[1]))}."
        f" 5xx in gunicorn's access log: {result['five_xx']}.",
        "",
    ]
    if result["polls"]:
        polls, served = result["polls"], result["poll_server"] or [0.0]
        lines += [
            f"Badge polls ({len(polls)}, {len(polls) / result['seconds']:.0f} a second): answered in p50"
            f" {1000 * statistics.median(polls):.0f} ms, p95 {1000 * percentile(polls, 0.95):.0f} ms, max"
            f" {1000 * max(polls):.0f} ms (client time, including a refresh the poll made or waited for);"
            f" gunicorn's own time of them p50 {1000 * statistics.median(served):.0f} ms,"
            f" p95 {1000 * percentile(served, 0.95):.0f} ms (the rest is waiting for a"
            " free thread).",
            "",
        ]
    if result["edits"]:
        edits = result["edits"]
        lines += [
            f"Renames through the form ({len(edits)}): the POST answered in p50"
            f" {statistics.median(edits):.2f} s, p95 {percentile(edits, 0.95):.2f} s, max {max(edits):.2f} s"
            " (the call takes the project's next turn: behind a refresh that just went it waits up to"
            " 1.05 s, since refreshes hold no slot ahead; the rest is the page's own work and waiting"
            " for a free server thread under this load). The Celery worker followed"
            f" {result['watchers']['watches']} watches and made {result['watchers']['calls']} of the calls.",
            "",
        ]
    lines += ["| process | CPU (share of one core) | RSS at the end | RSS at most |", "|---|---:|---:|---:|"]
    for label, share in result["cpu"].items():
        rss, most = result["rss"].get(label), result["rss_max"].get(label)
        sizes = "- | -" if rss is None else f"{rss:.0f} MiB | {most:.0f} MiB"
        lines.append(f"| {label} | {100 * share:.0f} % | {sizes} |")
    lines += [
        "",
        "Target: every project at or below 1.0 call/s (every 10 s window), zero 413s, no console 5xx:"
        f" **{ok(met)}**.",
        "",
    ]
    return lines
