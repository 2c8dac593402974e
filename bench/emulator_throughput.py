"""Throughput of the emulator: GET /volumes/detail with 100 volumes, against a trivial endpoint.

Not a test: it prints figures. It starts its own emulator (rate limit off) exactly as the test suite does,
creates a project with 100 volumes, then times a fixed number of keep-alive requests from 1 and from N
threads (one requests.Session per thread), after a warm-up. The baseline, measured the same way in the
same run, is GET /_emulator/stats (a hook with almost nothing to do: the stats are reset just before it is
measured, because they keep the times of the last 10,000 calls and would otherwise grow to ~190 KB), so
the ratio says how much of the cost is the API's own work rather than HTTP and the server loop.

    .venv/bin/python bench/emulator_throughput.py [--requests 500] [--threads 1 4] [--volumes 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.emulator_process import FAST, EmulatorProcess  # noqa: E402


def token_for(emulator: EmulatorProcess, name: str) -> tuple[str, str]:
    info = emulator.new_account(name)
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": name, "domain": {"id": "default"}, "password": f"{name}-password"}
                },
            },
            "scope": {"project": {"name": name, "domain": {"id": "default"}}},
        }
    }
    r = requests.post(f"{emulator.url}/v3/auth/tokens", json=body, timeout=10)
    r.raise_for_status()
    return r.headers["X-Subject-Token"], info["project_id"]


def make_volumes(emulator: EmulatorProcess, token: str, project: str, count: int) -> None:
    with requests.Session() as s:
        s.headers.update({"X-Auth-Token": token, "Accept": "application/json"})
        base = emulator.volume_url(project)
        for i in range(count):
            body = {
                "volume": {"size": 1 + i % 5, "display_name": f"bench-{i:03d}", "metadata": {"n": str(i)}}
            }
            r = s.post(f"{base}/volumes", json=body, timeout=10)
            r.raise_for_status()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            vols = s.get(f"{base}/volumes/detail", timeout=10).json()["volumes"]
            if len(vols) == count and all(v["status"] == "available" for v in vols):
                return
            time.sleep(0.1)
    raise SystemExit("volumes never became available")


def measure(url: str, headers: dict, total: int, threads: int, warmup: int) -> dict:
    """`total` requests split over `threads` threads, each with its own keep-alive session."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors = []
    barrier = threading.Barrier(threads + 1)

    def worker(n: int) -> None:
        mine = []
        with requests.Session() as s:
            s.headers.update(headers)
            for _ in range(warmup):
                s.get(url, timeout=10).raise_for_status()
            barrier.wait()
            for _ in range(n):
                started = time.perf_counter()
                r = s.get(url, timeout=10)
                r.content  # noqa: B018 - read the whole body
                mine.append(time.perf_counter() - started)
                if r.status_code != 200:
                    errors.append(r.status_code)
        with lock:
            latencies.extend(mine)

    shares = [total // threads + (1 if i < total % threads else 0) for i in range(threads)]
    pool = [threading.Thread(target=worker, args=(n,)) for n in shares]
    for t in pool:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in pool:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "median_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000,
        "rps": len(latencies) / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--volumes", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=50, help="requests per thread before timing")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="measure every row this many times (interleaved); report the median round",
    )
    args = parser.parse_args()

    emulator = EmulatorProcess(
        env={
            **FAST,
            "EMULATOR_RATE": "0",
            "EMULATOR_QUOTA_VOLUMES": str(max(10, args.volumes)),
            "EMULATOR_QUOTA_GIGABYTES": "-1",
        }
    ).start()
    try:
        token, project = token_for(emulator, "bench")
        make_volumes(emulator, token, project, args.volumes)
        detail_url = f"{emulator.volume_url(project)}/volumes/detail"
        stats_url = f"{emulator.url}/_emulator/stats"
        targets = [
            ("GET /volumes/detail", detail_url, {"X-Auth-Token": token, "Accept": "application/json"}),
            ("GET /_emulator/stats", stats_url, {}),
        ]
        runs: dict[tuple[str, int], list[dict]] = {}
        for _ in range(args.rounds):  # interleaved, so a noisy moment hits every row alike
            for threads in args.threads:
                for label, url, headers in targets:
                    if url == stats_url:
                        # the stats keep the times of the last 10,000 API calls, so without a reset this
                        # "trivial" answer grows to hundreds of KB during the run; hooks are not counted,
                        # so after a reset it stays a few hundred bytes while it is measured
                        emulator.reset_stats()
                    m = measure(url, headers, args.requests, threads, args.warmup)
                    m["bytes"] = len(requests.get(url, headers=headers, timeout=10).content)
                    runs.setdefault((label, threads), []).append(m)
        rows = []
        for (label, threads), ms in runs.items():
            ms.sort(key=lambda m: m["rps"])
            median = dict(ms[len(ms) // 2], low=ms[0]["rps"], high=ms[-1]["rps"])
            rows.append((label, threads, median))
    finally:
        emulator.stop()

    print(f"command: {' '.join([os.path.relpath(sys.executable), *sys.argv])}")
    print(
        f"emulator: rate limit off, {args.volumes} volumes in one project;"
        f" {args.requests} timed requests per row after {args.warmup} warm-up requests per thread;"
        f" median of {args.rounds} interleaved rounds (req/s range in brackets)"
    )
    print()
    print(
        f"{'endpoint':<22} {'threads':>7} {'requests':>8} {'errors':>6} {'median ms':>10} {'p95 ms':>8}"
        f" {'req/s':>8}  {'bytes':>7}  range"
    )
    for label, threads, m in rows:
        print(
            f"{label:<22} {threads:>7} {m['requests']:>8} {m['errors']:>6} {m['median_ms']:>10.2f}"
            f" {m['p95_ms']:>8.2f} {m['rps']:>8.0f}  {m['bytes']:>7}  [{m['low']:.0f}-{m['high']:.0f}]"
        )
    print()
    by = {(label, threads): m for label, threads, m in rows}
    for threads in args.threads:
        detail, base = by[("GET /volumes/detail", threads)], by[("GET /_emulator/stats", threads)]
        print(
            f"{threads} thread(s): /volumes/detail runs at {detail['rps'] / base['rps']:.2f}x"
            f" the baseline's requests/s ({detail['rps']:.0f} vs {base['rps']:.0f})"
        )


if __name__ == "__main__":
    main()
