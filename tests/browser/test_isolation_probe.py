"""A deliberately failing browser test, to prove that one failure stays one failure.

It exists only when CONSOLE_ISOLATION_PROBE=1 (no test is collected otherwise, so ordinary runs
neither run nor skip it). Its name sorts it into the middle of the browser tests. It fails the way a
real failure does at its worst: logged in, with live badge polls running, concurrent requests in
flight against the live server, its project's listings cached and its budget slots claimed, and a
fault switched on in the emulator for its project. Then it fails.

Run the suite with and without it; every other test's result must be the same:

    CONSOLE_ISOLATION_PROBE=1 make test    # one failure: this test
    make test                             # no failure

What keeps the rest apart (tests/conftest.py, tests/browser/conftest.py): each live-server thread
has its own database connection (a file database, never the in-memory one shared between threads);
every live test starts with an empty shared cache; every test has its own emulator user and project;
every browser test has its own browser context, closed when it ends, failed or not.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from console import api
from tests.browser.login import cloud_of, log_in

pytestmark = pytest.mark.browser

if os.environ.get("CONSOLE_ISOLATION_PROBE") == "1":

    def test_a_deliberate_failure_in_the_middle_of_the_run(page, account, emulator):
        ctx = cloud_of(account)
        volume = api.volume_create(ctx, size=1, display_name="probe")
        log_in(page, account, "/volumes/")
        expect(page.locator(f"#status-volumes-{volume.id} .badge")).to_be_visible()
        # Thirty requests at once against the live server: pages, fragments and badge polls.
        page.evaluate(
            """() => { for (let i = 0; i < 30; i++) {
                fetch(i % 3 ? '/volumes/' : '/', {headers: i % 2 ? {'HX-Request': 'true'} : {}});
            } }"""
        )
        emulator.set_faults(error_rate=1.0, project=account["project_id"])
        pytest.fail("deliberate failure (CONSOLE_ISOLATION_PROBE=1): no other result may change")
