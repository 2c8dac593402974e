"""Every page with moving badges says when its polls fail, and recovers by itself: the notice and the
back-off (static/console/live.js) are part of the page frame. The volumes pages once did not load them,
so a failing poll there went on silently while the badges kept spinning."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from console import api
from tests.browser.login import cloud_of, log_in
from tests.emulator_process import EmulatorProcess

pytestmark = pytest.mark.browser

TIMEOUT = 30_000  # ms
NOTICE = "Live status updates are interrupted; the page keeps retrying by itself."


@pytest.fixture(scope="module")
def creating_emulator():
    """Volumes stay Creating for ten minutes: their badges poll for the whole test."""
    proc = EmulatorProcess(env={"EMULATOR_CREATE_SECONDS": "600", "EMULATOR_RATE": "0"}).start()
    yield proc
    proc.stop()


@pytest.fixture
def moving(browser, live_server, settings, creating_emulator):
    settings.IDENTITY_URL = creating_emulator.identity_url
    settings.BADGE_POLL_INTERVAL = 1.0
    settings.API_RATE_PER_PROJECT = 0
    name = f"notice{id(settings)}"
    account = {"user": name, "password": f"{name}-password", "project": name}
    account.update(creating_emulator.new_account(name))
    volume = api.volume_create(cloud_of(account), size=1, display_name="moving")
    context = browser.new_context(base_url=live_server.url)
    context.add_init_script(
        """window.__failedPolls = 0;
        document.addEventListener("htmx:afterRequest", (event) => {
            if (event.detail.elt.classList.contains("status-poller") && !event.detail.successful)
                window.__failedPolls++;
        });"""
    )
    page = context.new_page()
    log_in(page, account)
    yield page, volume
    context.close()


@pytest.mark.parametrize("where", ["list", "detail"])
def test_a_volumes_page_says_when_its_polls_fail_and_when_they_recover(moving, where):
    page, volume = moving
    page.goto("/volumes/" if where == "list" else f"/volumes/{volume.id}/")
    expect(page.locator(f"#status-volumes-{volume.id} .badge")).to_have_text("Creating")
    notice = page.locator("#live-notice")
    expect(notice).to_be_hidden()

    page.route("**/live/**", lambda route: route.abort())
    page.wait_for_function("() => window.__failedPolls >= 2", timeout=TIMEOUT)
    expect(notice).to_have_text(NOTICE)
    page.unroute("**/live/**")
    expect(notice).to_be_hidden(timeout=TIMEOUT * 2)
