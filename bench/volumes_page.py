"""Server time of GET /volumes/ with 1,000 volumes: cached listing (hit) and cold cache (miss).

Not a test: it prints figures. It starts its own emulator (rate limit and quotas off) exactly as the
test suite does, creates a project with N volumes through console.api, logs in with Django's test
Client (in-process: the time measured is the console's own work plus, on a miss, its API calls),
then times R requests of each kind:

  hit          the listings are fresh in the cache: no API call
  hit, sorted  ?sort=size&dir=desc&page=20: the whole listing sorted, a late page rendered
  miss         cache cleared before each request: volumes (N), servers and snapshots fetched again

    .venv/bin/python bench/volumes_page.py [--volumes 1000] [--requests 30] [--cache locmem|db]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import percentile  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--volumes", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--cache", choices=["locmem", "db"], default="locmem")
    args = parser.parse_args()

    workdir = tempfile.TemporaryDirectory(prefix="bench-volumes-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "console.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir.name}/console.sqlite3"
    os.environ["CACHE_URL"] = "locmem://bench" if args.cache == "locmem" else "db://console_cache"
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from console import api
    from tests.console.login_helpers import log_in
    from tests.emulator_process import FAST, EmulatorProcess
    from tests.volumes.conftest import context_of

    setup_test_environment()
    call_command("migrate", verbosity=0, interactive=False)
    emulator = EmulatorProcess(
        env={**FAST, "EMULATOR_RATE": "0", "EMULATOR_QUOTA_VOLUMES": "-1", "EMULATOR_QUOTA_GIGABYTES": "-1"}
    ).start()
    try:
        settings.IDENTITY_URL = emulator.identity_url
        settings.API_RATE_PER_PROJECT = 0  # the emulator's limit is off: measure the page, not the pacing
        name = f"bench{os.getpid()}"
        account = {
            "user": name,
            "password": f"{name}-password",
            "project": name,
            **emulator.new_account(name),
        }
        client = Client()
        assert log_in(client, account).status_code == 302
        ctx = context_of(client)
        started = time.perf_counter()
        for index in range(args.volumes):
            api.volume_create(
                ctx,
                size=1 + index % 50,
                display_name=f"bench-{index:04d}",
                availability_zone=("az1", "az2", "az3")[index % 3],
                metadata={"n": str(index)},
            )
        print(f"created {args.volumes} volumes in {time.perf_counter() - started:.1f} s")
        time.sleep(1)  # let them become available (EMULATOR_SPEED 0.05)

        def timed(url: str, *, cold: bool) -> float:
            if cold:
                cache.clear()
            begin = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - begin
            assert response.status_code == 200, response.status_code
            assert b"bench-" in response.content
            return elapsed * 1000

        cases = [
            ("hit", "/volumes/", False),
            ("hit, sorted", "/volumes/?sort=size&dir=desc&page=20", False),
            ("miss", "/volumes/", True),
        ]
        for _, url, cold in cases:  # warm-up: imports, template loading, the first listings
            timed(url, cold=cold)
            timed(url, cold=False)
        results = {label: [] for label, _, _ in cases}
        for _ in range(args.requests):  # interleaved rounds, so drift on a shared machine hits all alike
            for label, url, cold in cases:
                results[label].append(timed(url, cold=cold))
    finally:
        emulator.stop()
        workdir.cleanup()

    command = f".venv/bin/python bench/volumes_page.py --volumes {args.volumes} --requests {args.requests} "
    command += f"--cache {args.cache}"
    print(f"\nGET /volumes/ with {args.volumes} volumes, {args.requests} requests each, cache {args.cache}")
    print(f"{'case':<14}{'median ms':>11}{'p95 ms':>9}{'min ms':>9}{'max ms':>9}")
    for label, values in results.items():
        print(
            f"{label:<14}{statistics.median(values):>11.1f}{percentile(values, 0.95):>9.1f}"
            f"{min(values):>9.1f}{max(values):>9.1f}"
        )
    print(f"\ncommand: {command}")


if __name__ == "__main__":
    main()
