"""Security in a real browser: the console runs under its Content-Security-Policy (no inline
scripts or styles) with no violation reported and htmx still working (live badges, the region
switch); the policy is really enforced (an injected inline script does not run; the console cannot
be framed); the login throttle's message as a user sees it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.login import submit_login
from tests.security.hostile_world import pages_of, world_build
from tests.security.payloads import HOSTILE_A, HOSTILE_B
from tests.security.routes import route_paths

pytestmark = pytest.mark.browser

BADGE_TIMEOUT = 20_000  # ms
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
CSP_WORDS = ("Content Security Policy", "Content-Security-Policy", "Refused to")
# Records violations the page itself sees (Playwright's init scripts are not subject to the page's CSP).
RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const seen = JSON.parse(sessionStorage.getItem("csp-violations") || "[]");
  seen.push(event.violatedDirective + " " + event.blockedURI);
  sessionStorage.setItem("csp-violations", JSON.stringify(seen));
});
"""


@pytest.fixture
def watched(browser, live_server, settings, slow_emulator):
    """A page with everything CSP-related the browser reports collected: console messages, page
    errors, dialogs and securitypolicyviolation events."""
    settings.IDENTITY_URL = slow_emulator.identity_url
    settings.INVENTORY_ACTIVE_INTERVAL = 1.0
    settings.BADGE_POLL_INTERVAL = 1.0
    settings.API_RATE_PER_PROJECT = 0
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.reports = {"console": [], "errors": [], "dialogs": []}
    page.on("console", lambda message: page.reports["console"].append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: page.reports["errors"].append(str(error)))
    page.on("dialog", lambda dialog: (page.reports["dialogs"].append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def csp_reports(page: Page) -> list[str]:
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('csp-violations') || '[]')")
    return seen + [text for text in page.reports["console"] if any(word in text for word in CSP_WORDS)]


def test_htmx_posts_with_the_csrf_cookie_out_of_scripts_reach(watched, slow_account):
    """The CSRF cookie is HttpOnly: no script can read it, and htmx still posts, with the token it
    takes from hx-headers on <body>."""
    page = watched
    submit_login(page, slow_account)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.goto("/volumes/create/")
    assert page.evaluate("document.cookie") == ""  # neither the session nor the CSRF cookie
    assert all(cookie["httpOnly"] for cookie in page.context.cookies())
    page.evaluate("window.__stayed = 'yes'")
    for number in (1, 2):
        with page.expect_response(lambda response: response.request.method == "POST") as posted:
            page.get_by_role("button", name="Add row").click()
        assert posted.value.status == 200
        assert posted.value.request.headers.get("x-csrftoken")  # from hx-headers, not the cookie
        expect(page.get_by_role("button", name=f"Remove row {number}")).to_be_visible()
    assert page.evaluate("window.__stayed") == "yes"  # htmx swapped the rows in: the same document
    assert not csp_reports(page) and not page.reports["errors"]


def test_the_console_under_its_policy_reports_no_violation_and_htmx_works(watched, slow_account, screenshots):
    page = watched
    submit_login(page, slow_account)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    response = page.goto("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.evaluate("htmx.config.allowEval") is False
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert page.evaluate("htmx.config.historyCacheSize") == 0
    assert page.locator("style").count() == 0  # htmx injected no inline <style>

    # A volume with markup in its name, created through the form; its badge is followed live (htmx
    # polling) from Creating to Available without a reload.
    page.goto("/volumes/create/")
    page.get_by_label("Name", exact=True).fill(HOSTILE)
    page.get_by_label("Description").fill(HOSTILE)
    page.get_by_role("button", name="Create volume").click()
    expect(page.locator("h1 .title-text")).to_have_text(HOSTILE)
    volume_id = page.get_by_test_id("volume-id").inner_text()
    page.evaluate("window.__stayed = 'yes'")
    badge = page.locator(f"#status-volumes-{volume_id} .badge")
    expect(badge).to_have_text("Creating")
    expect(badge).to_have_text("Available", timeout=BADGE_TIMEOUT)
    assert page.evaluate("window.__stayed") == "yes"  # same document: htmx swapped the badge
    page.screenshot(path=screenshots / "security-csp-volume.png", full_page=True)

    # The list, filtered through htmx, and the region switch work as well.
    page.goto("/volumes/")
    expect(page.locator(f"#status-volumes-{volume_id} .badge")).to_have_text("Available")
    page.get_by_label("Region", exact=True).select_option("region-b.geo-1")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_text("Now working in region-b.geo-1.")).to_be_visible()
    expect(page.get_by_label("Region", exact=True)).to_have_value("region-b.geo-1")
    page.screenshot(path=screenshots / "security-csp-region.png", full_page=True)

    # Every other page of the console, and the volume's own pages, under the same policy.
    page.get_by_label("Region", exact=True).select_option("region-a.geo-1")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_label("Region", exact=True)).to_have_value("region-a.geo-1")
    visited = []
    for route, url in route_paths({"volume_id": volume_id}):
        if route.name.startswith("admin") or route.name in {"logout", "switch_region", "healthz"}:
            continue
        page.goto(url)
        visited.append(url)
    assert f"/volumes/{volume_id}/edit/" in visited and "/snapshots/create/" in visited

    assert page.locator("img[src=x]").count() == 0
    assert page.reports["dialogs"] == []
    assert page.reports["errors"] == []
    assert csp_reports(page) == []
    # The only errors are the 404 documents of the routes given dummy ids: nothing blocked or broken,
    # and no complaint about the Permissions-Policy header either.
    errors = [text for text in page.reports["console"] if text.startswith(("error", "warning"))]
    assert [text for text in errors if "status of 404" not in text] == []


def test_the_policy_is_enforced(watched, slow_account):
    page = watched
    submit_login(page, slow_account)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    ran = page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.__inline = 'ran'";
            document.body.appendChild(script);
            return window.__inline || "blocked";
        }"""
    )
    assert ran == "blocked"
    assert any("script-src" in report for report in csp_reports(page))


def test_the_console_cannot_be_framed(watched, live_server):
    page = watched
    page.goto("about:blank")
    page.set_content(f'<iframe id="frame" src="{live_server.url}/login/"></iframe>')
    frame = page.frame_locator("#frame")
    expect(frame.locator("body")).to_have_count(1)  # the frame has loaded something
    expect(frame.get_by_role("heading", name="Log in to the cloud")).to_have_count(0)
    # Chromium refuses to render the console in the frame and shows its own error page instead.
    for _ in range(50):
        if page.frames[-1].url.startswith("chrome-error://"):
            break
        page.wait_for_timeout(100)
    assert page.frames[-1].url.startswith("chrome-error://")


def test_the_throttle_message_as_a_user_sees_it(watched, slow_account, screenshots):
    page = watched
    for _ in range(5):
        submit_login(page, slow_account, password="wrong")
        expect(page.get_by_role("alert")).to_contain_text("Those credentials were not accepted.")
    submit_login(page, slow_account)
    expect(page.get_by_role("alert")).to_contain_text(
        "Too many login attempts for this user or from this address. Try again in 15 minutes."
    )
    expect(page.get_by_label("Password")).to_be_visible()
    page.screenshot(path=screenshots / "security-login-throttled.png", full_page=True)
    assert csp_reports(page) == []


# --- Hostile text from the API in every section (tests/security/payloads.py) -------------------------
# htmx requests that hostile markup would make if it were ever processed as HTML.
HOSTILE_TARGETS = ("/logout/", "/volumes/delete/", "/volumes/bulk-delete/")


def hostile_world_pages(world) -> list[str]:
    """Every page of every section, with the hostile world's ids (no logout, no region switch)."""
    values = {
        "volume_id": world.attached.id,
        "snapshot_id": world.snapshot.id,
        "backup_id": world.backup.id,
        "server_id": world.server.id,
    }
    skipped = ("admin", "support:")
    urls = [
        url
        for route, url in route_paths(values)
        if not route.name.startswith(skipped) and route.name not in {"logout", "switch_region", "healthz"}
    ]
    return list(dict.fromkeys([*urls, *pages_of(world)]))


def test_hostile_api_text_runs_nothing_in_a_real_browser(watched, slow_emulator, screenshots):
    """Servers, volumes (names, descriptions, metadata), snapshots, backups and an attachment device
    all hold the payloads; every page of every section, the bulk delete confirmation and two live
    badge changes (with htmx swapping the panels in) run none of it: no dialog, no page error, no CSP
    report, no injected element, `window.__pwned` never set, no htmx request from the data, and the
    user is still logged in at the end."""
    world = world_build(slow_emulator, HOSTILE_A, HOSTILE_B)
    page = watched
    requests: list[tuple[str, str, str]] = []
    page.on("request", lambda r: requests.append((r.method, urlsplit(r.url).path, r.resource_type)))
    submit_login(page, world.account)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    ran: list[str] = []

    def check(url: str) -> None:
        page.wait_for_timeout(150)  # time for any hx-trigger="load" to fire
        if page.evaluate("typeof window.__pwned") != "undefined":
            ran.append(f"{url}: window.__pwned")
        for selector in ("img[src=x]", "svg[onload]", "a[href^='javascript:']", "[hx-trigger=load]"):
            if page.locator(selector).count():
                ran.append(f"{url}: {selector}")

    visited, too_wide = [], []
    width = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    for url in hostile_world_pages(world):
        page.goto(url)
        visited.append(url)
        check(url)
        # Long text without spaces wraps (or scrolls inside its table): the page is never wider.
        scroll_width, client_width = page.evaluate(width)
        if scroll_width > client_width:
            too_wide.append(f"{url}: {scroll_width} px")
    assert f"/servers/{world.server.id}/detach/{world.attached.id}/" in visited
    assert (ran, page.reports["dialogs"], page.reports["errors"]) == ([], [], [])
    assert too_wide == []

    # The text is on the pages, as text.
    page.goto(f"/volumes/{world.volume.id}/")
    expect(page.locator("h1 .title-text")).to_have_text(HOSTILE_B)
    page.screenshot(path=screenshots / "security-hostile-volume.png", full_page=True)
    page.goto("/servers/")
    expect(page.get_by_role("link", name=HOSTILE_A)).to_be_visible()
    page.screenshot(path=screenshots / "security-hostile-servers.png", full_page=True)
    page.goto(f"/servers/{world.server.id}/")
    expect(page.locator("code", has_text="window.__pwned=1;alert(1)").first).to_be_visible()  # the device
    page.screenshot(path=screenshots / "security-hostile-server.png", full_page=True)
    page.goto(f"/backups/{world.backup.id}/")
    page.screenshot(path=screenshots / "security-hostile-backup.png", full_page=True)

    # The bulk delete confirmation lists both volumes by name (the user's own POST, a navigation).
    page.goto("/volumes/")
    for volume in (world.attached, world.volume):
        page.locator(f"input[name=ids][value='{volume.id}']").check()
    page.get_by_role("button", name="Delete selected…").click()
    expect(page.get_by_text(HOSTILE_A).first).to_be_visible()
    check("/volumes/delete/ (confirmation)")

    # A badge moves while the page shows the data: detaching from the hostile server; htmx swaps the
    # attachments panel in again when the volume is detached.
    page.goto(f"/servers/{world.server.id}/detach/{world.attached.id}/")
    page.get_by_role("button", name="Detach").click()
    page.evaluate("window.__stayed = 'yes'")
    expect(page.locator(f"#status-volumes-{world.attached.id} .badge").first).to_have_text("Detaching")
    expect(page.get_by_text("No volumes are attached to this server.")).to_be_visible(timeout=BADGE_TIMEOUT)
    assert page.evaluate("window.__stayed") == "yes"
    check("server page while detaching")

    # A snapshot taken through the form, with a hostile name, followed live from Creating.
    page.goto(f"/snapshots/create/?volume_id={world.volume.id}")
    page.get_by_label("Name").fill(HOSTILE_A)
    page.get_by_label("Description").fill(HOSTILE_B)
    page.get_by_role("button", name="Take snapshot").click()
    expect(page.locator("h1")).to_contain_text('onerror="window.__pwned=1;alert(1)"')
    page.evaluate("window.__stayed = 'yes'")
    expect(page.locator(".badge").first).to_have_text("Available", timeout=BADGE_TIMEOUT)
    assert page.evaluate("window.__stayed") == "yes"
    check("snapshot page while creating")
    page.screenshot(path=screenshots / "security-hostile-snapshot.png", full_page=True)

    # A backup started through the form (hostile name, description and container), followed live on
    # the volume's page: htmx swaps the volume's panel (hostile metadata, snapshot and backup names) in.
    page.goto(f"/backups/create/?volume_id={world.volume.id}")
    page.get_by_label("Container").fill(HOSTILE_A.replace("/", ""))
    page.get_by_label("Name").fill(HOSTILE_A)
    page.get_by_label("Description").fill(HOSTILE_B)
    page.get_by_role("button", name="Start backup").click()
    expect(page.locator("h1")).to_contain_text('onerror="window.__pwned=1;alert(1)"')
    check("backup page while creating")
    page.goto(f"/volumes/{world.volume.id}/")
    page.evaluate("window.__stayed = 'yes'")
    badge = page.locator(f"#status-volumes-{world.volume.id} .badge").first
    expect(badge).to_have_text("Backing up")
    expect(badge).to_have_text("Available", timeout=BADGE_TIMEOUT)
    assert page.evaluate("window.__stayed") == "yes"
    check("volume page while backing up")

    # Still logged in: nothing logged the user out, deleted or posted anything from the data.
    page.goto("/")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    assert ran == []
    assert page.reports["dialogs"] == []
    assert page.reports["errors"] == []
    assert csp_reports(page) == []
    errors = [text for text in page.reports["console"] if text.startswith(("error", "warning"))]
    assert [text for text in errors if "status of 404" not in text] == []  # 404s: routes without an id
    # The test itself opened /volumes/delete/ (GET: back to the list) and posted its confirmation
    # form once; anything else there, or any request to the other targets, came from the data.
    from_data = [
        (method, path, kind)
        for method, path, kind in requests
        if path in HOSTILE_TARGETS and (kind != "document" or path != "/volumes/delete/")
    ]
    assert from_data == []
    assert [m for m, p, _ in requests if p == "/volumes/delete/"] == ["GET", "POST"]
