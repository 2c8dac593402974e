"""Every page of the console, checked by axe-core in Debian's chromium, in one browser context.

The pages come from the URL patterns (tests/security/routes.py), so a new section is covered without
an edit: logged out (login, its error, the logout question, a 404), logged in with data (every list,
detail, form and confirmation with real ids, the same routes with ids that do not exist, the create
forms started from a resource, each form sent with bad input, the bulk delete confirmation), the
support pages, and a project with nothing in it. On each page:

- axe (WCAG 2.2 A/AA and best practices) finds nothing critical or serious, in the light and in the
  dark colour scheme; every moderate finding is listed with its reason in docs/accessibility.md;
- every aria-describedby / aria-labelledby / label for= points at an element that exists;
- at 320 px wide, and with text at 200 %, the page does not scroll sideways and nothing is clipped or
  overlapping.
"""

from __future__ import annotations

import re
from pathlib import Path
from pprint import pformat

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.views.defaults import server_error
from playwright.sync_api import Page, expect

from support.models import ApiCall
from tests.browser.a11y import SEVERE, a11y_context, axe_run, broken_idrefs, layout_problems
from tests.browser.login import log_in, submit_login
from tests.security.hostile_world import pages_of, world_build
from tests.security.routes import DUMMY_ID, route_paths
from tests.support.conftest import support_group

pytestmark = pytest.mark.browser

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "accessibility.md"
# Not pages: the region switch and logout are forms' targets, the rest answer JSON or fragments.
NOT_PAGES = {"logout", "switch_region", "healthz", "live_statuses", "support:call_export", "support:export"}


def page_routes(values: dict[str, str]) -> list[str]:
    return [
        url
        for route, url in route_paths(values)
        if not route.name.startswith("admin") and route.name not in NOT_PAGES
    ]


def text_size(page: Page, factor: float) -> None:
    """The browser's own text size setting (chrome://settings/fonts), as a user sets it: 16 px is the
    default, 32 px is text at 200 %. The console's sizes and breakpoints follow it (rem and em)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Page.setFontSizes", {"fontSizes": {"standard": round(16 * factor), "fixed": round(13 * factor)}}
    )
    cdp.detach()


class Sweep:
    """Visits pages and keeps what each check found, by page."""

    def __init__(self, page: Page, shot=None, shots: dict[str, str] | None = None) -> None:
        self.page = page
        self.shot = shot
        self.shots = shots or {}  # url -> the README picture of it in the dark scheme
        self.visited: list[str] = []
        self.severe: list[str] = []
        self.moderate: dict[str, set[str]] = {}
        self.idrefs: list[str] = []
        self.narrow: list[str] = []
        self.zoomed: list[str] = []

    def goto(self, url: str) -> None:
        self.page.goto(url)
        self.check(url)

    def check(self, label: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        self.visited.append(label)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            for v in axe_run(page):
                if v["impact"] in SEVERE:
                    self.severe.append(
                        f"{label} [{scheme}] {v['impact']} {v['id']}: {v['help']} {v['targets']}"
                    )
                else:
                    self.moderate.setdefault(v["id"], set()).add(label)
            if scheme == "dark" and label in self.shots and self.shot:
                self.shot(page, self.shots.pop(label))
        page.emulate_media(color_scheme="light")
        self.idrefs += [f"{label}: {problem}" for problem in broken_idrefs(page)]
        page.set_viewport_size({"width": 320, "height": 640})
        self.narrow += [f"{label}: {problem}" for problem in layout_problems(page)]
        page.set_viewport_size({"width": 1280, "height": 800})
        text_size(page, 2)
        self.zoomed += [f"{label}: {problem}" for problem in layout_problems(page)]
        text_size(page, 1)

    def submit_bad(self, url: str, fill: dict[str, str], button: str) -> None:
        """Open a form, put bad input in it, send it and check the answer."""
        page = self.page
        page.goto(url)
        for selector, value in fill.items():
            field = page.locator(selector)
            if value == "check":
                field.check()
            elif field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.evaluate("(e, v) => { e.value = v; }", value)  # past maxlength, hidden or not
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.locator(".field-error, .alert--error, [role=alert]").first).to_be_visible()
        self.check(f"{url} (sent with bad input)")


@pytest.fixture
def a11y_page(browser, console_url, settings):
    settings.API_RATE_PER_PROJECT = 0
    context = a11y_context(browser, console_url)
    page = context.new_page()
    yield page
    context.close()


def test_every_page_passes_axe_and_keeps_its_content_when_narrow_or_zoomed(
    a11y_page, emulator, readme_screenshot, screenshots
):
    page = a11y_page
    world = world_build(emulator, "app-server", "web-logs")
    dark = {
        "/": "dark-overview",
        "/volumes/": "dark-volumes",
        f"/volumes/{world.attached.id}/": "dark-volume-detail",
    }
    sweep = Sweep(
        page,
        readme_screenshot,
        {**dark, "/volumes/create/ (sent with bad input)": "dark-volume-create-error"},
    )
    get_user_model().objects.get(username=world.account["user_id"]).groups.add(support_group())
    empty_name = f"{world.account['user']}e"
    empty = {"user": empty_name, "password": f"{empty_name}-password", "project": empty_name}
    emulator.new_account(empty_name, servers=[{"name": "lonely", "zone": "az1"}])
    bare_name = f"{world.account['user']}b"
    bare = {"user": bare_name, "password": f"{bare_name}-password", "project": bare_name}
    emulator.new_account(bare_name, servers=[])

    # Logged out.
    for url in ("/login/", "/logout/", "/no-such-page/"):
        sweep.goto(url)
    # The 500 page, as Django renders it (handler500: templates/500.html) when a view fails: the
    # console has no page that fails on purpose, so the browser is handed Django's own answer.
    error_page = server_error(RequestFactory().get("/")).content.decode()
    page.route(
        "**/a-page-that-failed/",
        lambda route: route.fulfill(status=500, content_type="text/html; charset=utf-8", body=error_page),
    )
    sweep.goto("/a-page-that-failed/")
    expect(page.get_by_role("heading", name="Something went wrong")).to_be_visible()
    submit_login(page, world.account, password="wrong")
    expect(page.get_by_role("alert")).to_be_visible()
    sweep.check("/login/ (wrong password)")

    # Logged in, with data: every route with real ids, then with ids that do not exist.
    log_in(page, world.account)
    values = {
        "volume_id": world.attached.id,
        "snapshot_id": world.snapshot.id,
        "backup_id": world.backup.id,
        "server_id": world.server.id,
        "pk": str(ApiCall.objects.filter(request_id__gt="").latest("pk").pk),
    }
    urls = page_routes(values) + list(pages_of(world))
    urls += [f"/volumes/{world.volume.id}/edit/", f"/volumes/{world.volume.id}/delete/"]
    urls += [url for url in page_routes({}) if DUMMY_ID in url]
    request_id = ApiCall.objects.filter(request_id__gt="").latest("pk").request_id
    urls += [f"/support/?q={request_id}", "/support/?q=req-nothing-has-this", "/volumes/?q=nothing-has-this"]
    for url in dict.fromkeys(urls):
        sweep.goto(url)

    # The bulk delete confirmation, and each form sent with bad input.
    page.goto("/volumes/")
    page.locator(f"input[name=ids][value='{world.volume.id}']").check()
    page.get_by_role("button", name=re.compile("Delete selected")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Delete")
    sweep.check("/volumes/delete/ (confirmation)")
    sweep.submit_bad("/volumes/create/", {"#id_size": "0"}, "Create volume")
    sweep.submit_bad(f"/volumes/{world.volume.id}/edit/", {"#id_name": "x" * 300}, "Save")
    sweep.submit_bad("/snapshots/create/", {}, "Take snapshot")
    sweep.submit_bad("/backups/create/", {}, "Start backup")
    sweep.submit_bad(f"/backups/{world.backup.id}/restore/", {"input[value=existing]": "check"}, "Restore")
    sweep.submit_bad(f"/servers/{world.server.id}/attach/", {"#id_device": "not a device"}, "Attach")
    sweep.submit_bad("/support/", {"#id_region": "r" * 100}, "Search")

    # A project with nothing in it.
    page.goto("/logout/")
    page.get_by_role("button", name="Log out").last.click()
    log_in(page, empty)
    for url in dict.fromkeys(page_routes({})):
        if DUMMY_ID not in url and not url.startswith("/support/"):
            sweep.goto(url)
    # A project without a single server: the servers list says so.
    page.goto("/logout/")
    page.get_by_role("button", name="Log out").last.click()
    log_in(page, bare)
    sweep.goto("/servers/")
    expect(page.get_by_text(re.compile("This project has no servers in"))).to_be_visible()

    assert len(sweep.visited) > 60, sweep.visited
    documented = DOC.read_text() if DOC.exists() else ""
    undocumented = {
        rule: sorted(pages) for rule, pages in sweep.moderate.items() if f"`{rule}`" not in documented
    }
    found = {
        "critical or serious axe findings": sweep.severe,
        "moderate axe findings not listed in docs/accessibility.md": undocumented,
        "idrefs pointing nowhere": sweep.idrefs,
        "lost at 320 px wide": sweep.narrow,
        "lost with text at 200 %": sweep.zoomed,
    }
    (screenshots / "a11y-sweep.txt").write_text(pformat(found, width=200))
    assert found == {name: type(value)() for name, value in found.items()}
