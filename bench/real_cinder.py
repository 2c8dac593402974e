"""The budget and freshness benches against a real Keystone 30 + Cinder 29 (tests/openstack/cloud.py,
`make openstack-venvs`), side by side with the emulator's.

Part of bench/console_bench.py (`--only cinder`); the figures land in docs/performance.md.

  - budget: N sessions follow /volumes/ of a project whose M volumes Cinder reports `creating` (set in
    Cinder's database by the harness: no API call, and they stay so), for T seconds. Cinder has no
    rate limit of its own: the calls are counted in Cinder's own access log (eventlet.wsgi.server
    lines of the project), per second;
  - freshness: volumes `creating` as above; the bench then makes each `available` in Cinder's
    database, G seconds apart, at a moment it knows exactly, and each session's badge is timed from
    there; the fixed 2 s beat and the defaults, one after the other, as for the emulator.
"""

from __future__ import annotations

import random
import re
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    Backend,
    ConsoleServer,
    command_line,
    console_login,
    follow_poller,
    percentile,
)
from tests.openstack.cloud import OpenStackCloud, http, missing_venvs  # noqa: E402

# "2026-12-06 22:52:47.463 20252 INFO eventlet.wsgi.server [...] 127.0.0.1 "GET /v3/<project>/volumes/detail
# HTTP/1.1" status: 200  len: 336 time: 0.0601327"
ACCESS = re.compile(
    r'^(\S+ \S+) \d+ INFO eventlet\.wsgi\.server .*?"(\w+) /v3/([0-9a-f]+)(/[^ ?"]*)[^"]*" status: (\d+)'
    r".*? time: ([\d.]+)"
)
BADGE = re.compile(
    r'id="status-volumes-([^"]+)" hx-swap-oob="innerHTML">\s*<span class="badge[^"]*"[^>]*>'
    r'\s*<span class="badge__icon" aria-hidden="true"></span>([^<]*)'
)
DOMAINS = {"user_domain": "Default", "project_domain": "Default"}


def cinder_calls(cloud: OpenStackCloud, project_id: str, since: float) -> list[tuple[float, str, str, int]]:
    """(start time, method, path, status) of every call of the project Cinder answered since `since`."""
    calls = []
    for line in cloud.log_path("cinder").read_text(errors="replace").splitlines():
        match = ACCESS.match(line)
        if not match or match.group(3) != project_id:
            continue
        ended = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
        started = ended - float(match.group(6))
        if started >= since:
            calls.append((started, match.group(2), match.group(4), int(match.group(5))))
    return calls


def most_in_one_second(times: list[float]) -> int:
    ordered, peak, first = sorted(times), 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= 1.0:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


def creating_volumes(cloud: OpenStackCloud, prefix: str, count: int) -> tuple[object, str, list[str]]:
    """A new account whose `count` volumes Cinder reports `creating` (for good); (account, project
    id, volume ids)."""
    account = cloud.new_account(prefix)
    project = next(iter(account.projects))
    project_id = cloud.project_ids.get(project, project)
    cloud.set_quota(project_id, volumes=count + 50, gigabytes=10 * (count + 50))
    token, _ = cloud.token_of(account)
    ids = []
    for index in range(count):
        reply = http(
            "POST",
            f"{cloud.volume_url(project_id)}/volumes",
            {"volume": {"size": 1, "name": f"{prefix}-{index:03d}"}},
            token=token,
        )
        ids.append(reply.body["volume"]["id"])
    for volume_id in ids:
        cloud.wait_for_status("volume", volume_id, ("available",))
        cloud.put_status("volume", volume_id, "creating")
    return account, project_id, ids


def login(server: ConsoleServer, account) -> requests.Session:
    return console_login(
        server.url,
        {"user": account.name, "password": account.password, "project": next(iter(account.projects))},
        extra=DOMAINS,
    )


def budget_run(backend: Backend, cloud: OpenStackCloud, args) -> dict:
    from bench.console_bench import console_tab  # the same tabs as the emulator's section

    account, project_id, _ = creating_volumes(cloud, "budget", args.volumes)
    backend.cache_clear()
    server = ConsoleServer(backend, cloud).start()
    try:
        sessions = [login(server, account) for _ in range(args.sessions)]
        tally: Counter = Counter()
        lock = threading.Lock()
        start = time.time()
        until = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=console_tab, args=(server.url, s, until, tally, lock)) for s in sessions
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        end = time.time()
    finally:
        server.stop()
    calls = [call for call in cinder_calls(cloud, project_id, start) if call[0] <= end]
    times = [call[0] for call in calls]
    return {
        "total": len(calls),
        "rate": len(calls) / (end - start),
        "peak": most_in_one_second(times),
        "overlimit": sum(1 for call in calls if call[3] == 413),
        "by_path": dict(Counter(re.sub(r"/[0-9a-f-]{36}", "/{id}", call[2]) for call in calls)),
        "tally": dict(tally),
    }


def freshness_run(backend: Backend, cloud: OpenStackCloud, args, settings: dict[str, str]) -> dict:
    account, project_id, ids = creating_volumes(cloud, "fresh", args.fresh_volumes)
    backend.cache_clear()
    server = ConsoleServer(backend, cloud, settings=settings).start()
    try:
        sessions = [login(server, account) for _ in range(args.fresh_sessions)]
        changes: dict[str, float] = {}
        seen: dict[str, list[float]] = {volume_id: [] for volume_id in ids}
        missed = Counter()
        lock = threading.Lock()
        first_change = time.time() + 5
        until = time.monotonic() + 5 + len(ids) * args.fresh_gap + 30

        def tab(session: requests.Session) -> None:
            time.sleep(random.uniform(0, 2))
            page = session.get(f"{server.url}/volumes/", timeout=30)
            shown: dict[str, float] = {}

            def badges(reply: requests.Response, arrived: float) -> None:
                for volume_id, label in BADGE.findall(reply.text):
                    if label.strip() == "Available" and volume_id not in shown:
                        shown[volume_id] = arrived

            follow_poller(session, server.url, "/volumes/", page.text, until=until, on_answer=badges)
            with lock:
                for volume_id in ids:
                    if volume_id in shown:
                        seen[volume_id].append(shown[volume_id])
                    else:
                        missed["not seen"] += 1

        threads = [threading.Thread(target=tab, args=(s,)) for s in sessions]
        for thread in threads:
            thread.start()
        time.sleep(max(0.0, first_change - time.time()))
        for volume_id in ids:
            cloud.put_status("volume", volume_id, "available")  # the cloud's change, at a known moment
            changes[volume_id] = time.time()
            time.sleep(args.fresh_gap)
        for thread in threads:
            thread.join()
        window = (first_change - 5, time.time())
    finally:
        server.stop()
    calls = [call for call in cinder_calls(cloud, project_id, window[0]) if call[0] <= window[1]]
    refreshes = sorted(call[0] for call in calls if call[1] == "GET" and call[2] == "/volumes/detail")
    samples, waits, deliveries = [], [], []
    for volume_id, arrivals in seen.items():
        change = changes[volume_id]
        observed = next((at for at in refreshes if at >= change), None)
        for arrived in arrivals:
            samples.append(arrived - change)
            if observed is not None and arrived >= observed:
                waits.append(observed - change)
                deliveries.append(arrived - observed)
    span = window[1] - window[0]
    return {
        "samples": samples,
        "waits": waits,
        "deliveries": deliveries,
        "missed": sum(missed.values()),
        "rate": len(calls) / span,
        "peak": most_in_one_second([call[0] for call in calls]),
    }


def bench_cinder(backend: Backend, args) -> dict:
    from bench.console_bench import FRESHNESS_VARIANTS

    missing = missing_venvs()
    if missing:
        raise SystemExit(
            f"real Cinder: the virtualenvs are not built ({', '.join(missing)}): make openstack-venvs"
        )
    print(
        f"cinder: Keystone + Cinder on loopback; budget ({args.sessions} sessions, {args.volumes}"
        f" volumes, {args.seconds} s) and freshness ({args.fresh_volumes} volumes,"
        f" {args.fresh_sessions} sessions) ...",
        flush=True,
    )
    cloud = OpenStackCloud(max_limit=1000).start()
    try:
        budget = budget_run(backend, cloud, args)
        fresh = {
            label: freshness_run(backend, cloud, args, settings)
            for label, settings in FRESHNESS_VARIANTS.items()
        }
    finally:
        cloud.stop()
    return {"budget": budget, "freshness": fresh}


def report_cinder(result: dict, results: dict, args, ok) -> list[str]:
    """The real Cinder's figures, next to the emulator's of the same run (sections 1 and 2)."""
    budget, fresh = result["budget"], result["freshness"]

    def fresh_cells(run: dict | None) -> str:
        if not run or not run["samples"]:
            return "(not run)" if not run else f"nothing seen ({run['missed']} not seen)"
        samples = run["samples"]
        return (
            f"{statistics.median(samples):.2f} s / {percentile(samples, 0.95):.2f} s"
            f" ({run['missed']} not seen)"
        )

    emulator_budget = (results.get("budget") or {}).get("console")
    emulator_fresh = results.get("freshness") or {}
    lines = [
        "## 8. Against a real Keystone + Cinder",
        "",
        command_line(),
        "",
        "The budget and freshness benches again, against Keystone 30 and Cinder 29 on loopback"
        " (tests/openstack/cloud.py: Cinder's fake driver, osapi_max_limit 1000), the console speaking"
        " Cinder v3. Volumes are made `creating`, then `available`, in Cinder's database by the harness"
        " (no API call: the console's are the only calls of the project). Cinder has no rate limit of its"
        " own: its access log counts the calls (per project, per second). Next to the emulator's figures"
        " of this run (sections 1 and 2).",
        "",
        "| bench | emulator | real Cinder |",
        "|---|---|---|",
    ]

    def budget_cells(run: dict | None) -> str:
        return f"{run['rate']:.2f}, {run['peak']}, {run['overlimit']}" if run else "(not run)"

    lines.append(
        f"| budget: calls/s, most in 1 s, 413s | {budget_cells(emulator_budget)} | {budget_cells(budget)} |"
    )
    for label, run in fresh.items():
        lines.append(
            f"| freshness, {label}: median / p95 | {fresh_cells(emulator_fresh.get(label))} |"
            f" {fresh_cells(run)} |"
        )
    now = list(fresh.values())[-1]
    met = (
        budget["rate"] <= 1.0
        and budget["peak"] <= 1
        and budget["overlimit"] == 0
        and bool(now["samples"])
        and statistics.median(now["samples"]) <= 1.0
        and percentile(now["samples"], 0.95) <= 2.0
    )
    lines += [
        "",
        f"Cinder's calls by path: {', '.join(f'{k} {v}' for k, v in sorted(budget['by_path'].items()))}."
        f" Console answers: {', '.join(f'{k} {v}' for k, v in sorted(budget['tally'].items()))}.",
        "",
        "Targets against real Cinder: at most 1 call/s (none closer than a second), freshness median"
        f" <= 1.0 s and p95 <= 2.0 s: **{ok(met)}**.",
        "",
    ]
    return lines
