"""One project with 10,000 volumes: /volumes/ from the cache (hit) and from the cloud (miss), against
the raw listing calls plus decoding, and the workers' memory.

Part of bench/console_bench.py (`--only big`); the figures land in docs/performance.md.

  - the emulator with its quota raised (EMULATOR_QUOTA_VOLUMES / _GIGABYTES -1) and its limit off,
    each list answer at most EMULATOR_MAX_LIMIT items (1,000, Cinder's osapi_max_limit, unless
    --big-max-limit says otherwise): the console pages through them;
  - the console under gunicorn (production settings, PostgreSQL + Redis), its pacing off (a miss
    measures work, not waiting for turns: at 1 call/s ten pages take ten seconds whatever the code);
  - *hit*: the listings are fresh in the cache; *miss*: the volumes listing deleted from the cache first
    (the page then fetches every page of it; the small listings, servers, snapshots and limits, stay);
  - *raw*: the same listing straight from the emulator (every page) and decoded into the console's
    records in this process: the least a miss can cost.
"""

from __future__ import annotations

import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    Backend,
    ConsoleServer,
    EmulatorProcess,
    account_new,
    api_session,
    command_line,
    console_login,
    percentile,
)
from console.api.wire import wire_format  # noqa: E402

NO_QUOTA = {"EMULATOR_QUOTA_VOLUMES": "-1", "EMULATOR_QUOTA_GIGABYTES": "-1"}
CASES = {
    "hit": "/volumes/",
    "hit, sorted by size, page 200": "/volumes/?sort=size&dir=desc&page=200",
    "hit, filtered by name": "/volumes/?q=big-0123",
    "miss": "/volumes/",
}


def every_page(session: requests.Session, url: str, what: str) -> tuple[list[dict], list[bytes]]:
    """Every item of a list, paged by offset as Cinder v1 does (a page shorter than the first is the
    last); and the answers' bodies."""
    items: list[dict] = []
    bodies: list[bytes] = []
    size = 0
    while True:
        reply = session.get(f"{url}?{urlencode({'offset': len(items)})}" if items else url, timeout=60)
        reply.raise_for_status()
        bodies.append(reply.content)
        page = reply.json()[what]
        size = size or len(page)
        items.extend(page)
        if len(page) < size or not page:
            return items, bodies


def bench_big(backend: Backend, args) -> dict:
    count = args.big_volumes
    print(f"big: {count} volumes in one project, {args.big_rounds} rounds ...", flush=True)
    env = {"EMULATOR_RATE": "0", "EMULATOR_SPEED": "0.05", **NO_QUOTA}
    if args.big_max_limit:
        env["EMULATOR_MAX_LIMIT"] = str(args.big_max_limit)
    emulator = EmulatorProcess(env=env).start()
    try:
        account = account_new(emulator, "big")
        token, project = account["token"], account["project_id"]
        base = emulator.volume_url(project)
        started = time.monotonic()

        def create(chunk: range) -> None:
            with api_session(token) as api:
                for index in chunk:
                    body = {
                        "volume": {
                            "size": 1 + index % 50,
                            "display_name": f"big-{index:05d}",
                            "availability_zone": ("az1", "az2", "az3")[index % 3],
                            "metadata": {"n": str(index)},
                        }
                    }
                    api.post(f"{base}/volumes", json=body, timeout=30).raise_for_status()

        step = max(1, count // 8)
        with ThreadPoolExecutor(4) as pool:
            list(
                pool.map(create, [range(start, min(count, start + step)) for start in range(0, count, step)])
            )
        created = time.monotonic() - started
        with api_session(token) as api:
            deadline = time.monotonic() + 300
            while True:
                items, _ = every_page(api, f"{base}/volumes/detail", "volumes")
                if len(items) >= count and all(item["status"] == "available" for item in items):
                    break
                if time.monotonic() > deadline:
                    raise SystemExit("the volumes never became available")
                time.sleep(1)
        backend.cache_clear()
        server = ConsoleServer(backend, emulator, settings={"API_RATE_PER_PROJECT": "0"}).start()
        try:
            session = console_login(server.url, account)
            fmt = wire_format("json")
            wall: dict[str, list[float]] = {case: [] for case in CASES}
            request_ids: dict[str, list[str]] = {case: [] for case in CASES}
            raw, decoding, pages = [], [], 0
            shown = ""

            def timed(case: str) -> None:
                nonlocal shown
                if case == "miss":
                    backend.cache_clear("*inventory:*:volumes*")  # the big listing, every copy of it
                begin = time.perf_counter()
                reply = session.get(server.url + CASES[case], timeout=120)
                wall[case].append((time.perf_counter() - begin) * 1000)
                if reply.status_code != 200:
                    raise SystemExit(f"{CASES[case]} answered {reply.status_code}")
                request_ids[case].append(reply.headers.get("X-Request-Id", ""))
                if case == "hit":
                    shown = reply.text

            for case in CASES:  # warm-up: imports, templates, the first listings in every worker
                for _ in range(3):
                    timed(case)
            wall = {case: [] for case in CASES}
            request_ids = {case: [] for case in CASES}
            with api_session(token) as api:
                for _ in range(args.big_rounds):  # interleaved, so the machine's drift hits all alike
                    for case in CASES:
                        timed(case)
                    begin = time.perf_counter()
                    _, bodies = every_page(api, f"{base}/volumes/detail", "volumes")
                    raw.append((time.perf_counter() - begin) * 1000)
                    pages = len(bodies)
                    begin = time.perf_counter()
                    decoded = [volume for body in bodies for volume in fmt.volumes(body)]
                    decoding.append((time.perf_counter() - begin) * 1000)
                    assert len(decoded) >= count
            durations = server.access_durations()
            rss = server.worker_rss_mib()
        finally:
            server.stop()
        # The same first load at the project's pace (1 call/s): what the API limit allows at best.
        backend.cache_clear()
        paced_server = ConsoleServer(backend, emulator).start()
        try:
            paced_session = console_login(paced_server.url, account)
            begin = time.perf_counter()
            reply = paced_session.get(f"{paced_server.url}/volumes/", timeout=300)
            paced = time.perf_counter() - begin
            paced_shown = " ".join(
                reply.text.split('data-testid="count">', 1)[-1].split("volume", 1)[0].split()
            )
        finally:
            paced_server.stop()
    finally:
        emulator.stop()
    server_ms = {
        case: [durations[rid] for rid in ids if rid in durations] for case, ids in request_ids.items()
    }
    total = shown.split('data-testid="count">', 1)[-1].split("volume", 1)[0]
    return {
        "volumes": count,
        "created_seconds": created,
        "pages": pages,
        "wall": wall,
        "server": server_ms,
        "raw": raw,
        "decoding": decoding,
        "rss": rss,
        "shown": " ".join(total.split()),
        "max_limit": args.big_max_limit or 1000,
        "paced": paced,
        "paced_shown": paced_shown,
    }


def report_big(result: dict, args, ok) -> list[str]:
    def p50(values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    def p95(values: list[float]) -> float:
        return percentile(values, 0.95) if values else float("nan")

    raw, decoding = p50(result["raw"]), p50(result["decoding"])
    hit, miss = p50(result["wall"]["hit"]), p50(result["wall"]["miss"])
    ratio = miss / (raw + decoding)
    rss = max(result["rss"]) if result["rss"] else float("nan")
    met = hit <= 50 and ratio <= 1.3 and rss <= 150
    lines = [
        "## 7. 10,000 volumes in one project",
        "",
        command_line(),
        "",
        f"{result['volumes']} volumes in one project (EMULATOR_QUOTA_VOLUMES -1; created in"
        f" {result['created_seconds']:.0f} s), every list answer at most {result['max_limit']} items, so a"
        f" listing is {result['pages']} calls (offset paging, as Cinder v1). {args.big_rounds} interleaved"
        " rounds under gunicorn (2 workers x 4 threads, PostgreSQL + Redis), the console's pacing off. *hit*:"
        " the listings are fresh in the cache; *miss*: the volumes listing deleted from the cache first, so"
        " the page fetches every page of it (the small listings, servers, snapshots and limits, stay"
        " cached). *raw*: every page straight"
        " from the emulator, and decoding them into the console's records (this process). *server*:"
        " gunicorn's own time of the same requests.",
        "",
        "| page | wall p50 ms | wall p95 ms | server p50 ms | server p95 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for case, values in result["wall"].items():
        served = result["server"].get(case) or []
        lines.append(
            f"| {case} (`{CASES[case]}`) | {p50(values):.1f} | {p95(values):.1f} |"
            f" {p50(served):.1f} | {p95(served):.1f} |"
        )
    lines += [
        f"| raw: every page of GET /volumes/detail | {raw:.1f} | {p95(result['raw']):.1f} | - | - |",
        f"| raw: decoding them | {decoding:.1f} | {p95(result['decoding']):.1f} | - | - |",
        "",
        f"The page said: “{result['shown']} volumes” on its first page. Worker RSS after the run:"
        f" {', '.join(f'{mib:.0f} MiB' for mib in result['rss'])}.",
        "",
        f"At the project's pace (API_RATE_PER_PROJECT 1, the cache empty) the first /volumes/ took"
        f" {result['paced']:.1f} s and said “{result['paced_shown']} volumes”: {result['pages']} calls take"
        f" about {result['pages'] * 1.05:.0f} s of turns at 1 call/s, whatever the code (what the API limit"
        " allows at best; a refresh of the listing while something in it moves takes as long, in the"
        " background). Waiting for turns does not count against the page's 4 s for the cloud.",
        "",
        f"Targets: hit p50 {hit:.0f} ms <= 50 ms; miss {miss:.0f} ms = {ratio:.2f}x the raw calls plus"
        f" decoding ({raw + decoding:.0f} ms) <= 1.3x; worker RSS {rss:.0f} MiB <= 150 MiB: **{ok(met)}**.",
        "",
    ]
    return lines
