"""`python manage.py migrate` alone makes a working database: Django's usual steps, nothing else."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.emulator_process import ROOT

# Runs in a fresh process against a database that only `migrate` prepared, then logs in through the
# login form as a person does: the session, the login throttle and the inventory all use the cache.
LOGIN = """
import django, os, sys
django.setup()
from django.test import Client
client = Client()
response = client.post("/login/", {"username": sys.argv[1], "password": sys.argv[2], "project": sys.argv[1]})
print(response.status_code, response.headers.get("Location", ""))
print(client.get("/volumes/").status_code)
"""


def test_migrate_alone_makes_a_database_the_console_can_log_in_with(emulator, account, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "console.settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "CACHE_URL": "db://console_cache",
        "IDENTITY_URL": emulator.identity_url,
        "LOG_LEVEL": "WARNING",
    }
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert migrate.returncode == 0, migrate.stderr
    login = subprocess.run(
        [sys.executable, "-c", LOGIN, account["user"], account["password"]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert login.returncode == 0, login.stderr
    assert login.stdout.split("\n")[:2] == ["302 /", "200"], login.stdout + login.stderr
