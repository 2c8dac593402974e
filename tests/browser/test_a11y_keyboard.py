"""The console by keyboard alone, in Debian's chromium: a skip link to the content; Tab reaches every
control in the order of the page and each shows a focus ring of at least 3:1 against what surrounds
it, in the light and the dark scheme (the current sidebar item too); the region select changes
nothing until Switch is pressed (WCAG 3.2.2); after a form is sent focus is on its first mistake or on
the message it left; after an htmx swap that took the focused element away focus is on the new
content's heading, never lost on <body>; Escape closes the support filters."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from tests.browser.a11y import a11y_context
from tests.browser.login import cloud_of, log_in
from tests.security.conftest import volume_available
from tests.support.conftest import support_group

pytestmark = pytest.mark.browser


@pytest.fixture
def kb_page(browser, console_url, settings):
    settings.API_RATE_PER_PROJECT = 0
    context = a11y_context(browser, console_url)
    page = context.new_page()
    yield page
    context.close()


def tab_through(page: Page, limit: int = 120) -> list[dict]:
    """Press Tab from the top of the page until focus leaves it; what was focused at each stop."""
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    stops: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = page.evaluate("window.a11yChecks.focused()")
        if info is None or (stops and info == stops[0]):
            break
        stops.append(info)
    return stops


def test_skip_link_leads_to_the_content(kb_page, account):
    page = kb_page
    log_in(page, account)
    page.goto("/volumes/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0 and box["width"] > 20  # on screen while focused
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")
    # The next stop is in the content, past the top bar and the sidebar.
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_tab_reaches_every_control_in_order_with_a_visible_focus_ring(kb_page, account, scheme):
    page = kb_page
    page.emulate_media(color_scheme=scheme)
    volume_available(cloud_of(account), display_name="kb-one")  # before the console lists volumes
    log_in(page, account)
    problems: list[str] = []
    for url in ("/", "/volumes/", "/volumes/create/", "/login/"):
        page.goto(url)
        page.wait_for_load_state("load")
        stops = tab_through(page)
        reached = len(stops)
        controls = page.evaluate("window.a11yChecks.controls()")
        if reached < len(controls):
            problems.append(f"{url}: Tab reached {reached} of {len(controls)} controls")
        for stop in stops:
            label = f"{url} {stop['tag']} {stop['name']!r}"
            if not stop["visible"]:
                problems.append(f"{label}: focused but not visible")
            if stop["width"] < 2 or stop["contrast"] < 3:
                problems.append(f"{label}: focus ring {stop['width']} px at {stop['contrast']:.2f}:1")
        # The order follows the page: top to bottom within each of the frame's parts (no tabindex > 0).
        assert page.locator("[tabindex]:not([tabindex='-1']):not([tabindex='0'])").count() == 0
        if url == "/volumes/":
            current = [s for s in stops if s["current"] == "page"]
            assert current and current[0]["name"] == "Volumes", "the current sidebar item takes focus"
    assert problems == []


def test_the_current_sidebar_item_shows_focus(kb_page, account):
    page = kb_page
    log_in(page, account)
    page.goto("/volumes/")
    current = page.locator(".sidebar a[aria-current=page]")
    style = "e => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth].join(' ')"
    before = current.evaluate(style)
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-current')") == "page":
            break
    expect(current).to_be_focused()
    assert current.evaluate(style) != before


def test_region_select_switches_only_on_switch(kb_page, account):
    page = kb_page
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/region/" in r.url else None)
    log_in(page, account)
    page.goto("/volumes/")
    select = page.get_by_label("Region", exact=True)
    select.focus()
    page.keyboard.press("ArrowDown")
    expect(select).to_have_value("region-b.geo-1")
    # Nothing happened: the same document, the same region in the session.
    page.keyboard.press("Tab")
    switch = page.get_by_role("button", name="Switch")
    expect(switch).to_be_focused()
    assert posts == []
    page.keyboard.press("Enter")
    expect(page.get_by_text("Now working in region-b.geo-1.")).to_be_visible()
    assert len(posts) == 1


def test_focus_goes_to_the_first_mistake_and_to_the_message(kb_page, account):
    page = kb_page
    log_in(page, account)
    # A form sent with a mistake: focus on the field, which names its error.
    page.goto("/volumes/create/")
    page.get_by_label("Size (GB)").fill("0")
    page.get_by_label("Size (GB)").press("Enter")
    size = page.locator("#id_size")
    expect(size).to_be_focused()
    expect(size).to_have_attribute("aria-invalid", "true")
    described = size.evaluate(
        "e => e.getAttribute('aria-describedby').split(' ')"
        ".map(id => document.getElementById(id).innerText).join(' ')"
    )
    assert page.locator("#id_size_error").inner_text() in described

    # A form that went through: focus on the message it left.
    page.get_by_label("Size (GB)").fill("1")
    page.get_by_label("Name", exact=True).fill("kb-focus")
    page.get_by_role("button", name="Create volume", exact=True).click()
    messages = page.locator("#messages")
    expect(messages).to_contain_text("is being created")
    expect(messages).to_be_focused()

    # The login form's own error (not a field's) takes focus too.
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#messages")).to_be_focused()
    page.get_by_label("User name").fill(account["user"])
    page.get_by_label("Password").fill("wrong")
    page.get_by_label("Project", exact=True).fill(account["project"])
    page.get_by_label("Project", exact=True).press("Enter")
    expect(page.get_by_role("alert")).to_be_focused()


def test_focus_is_not_lost_when_htmx_swaps_the_focused_control_away(kb_page, account):
    page = kb_page
    ctx = cloud_of(account)
    volume_available(ctx, display_name="kb-a")
    volume_available(ctx, display_name="kb-b")
    log_in(page, account)
    page.goto("/volumes/")
    page.evaluate("window.__stayed = 'yes'")
    sort = page.locator("#volume-list a.sort-link", has_text="Size")
    sort.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#volume-list th[aria-sort]")).to_contain_text("Size")
    assert page.evaluate("window.__stayed") == "yes"  # an htmx swap, not a page load
    page.wait_for_function("() => document.activeElement !== document.body")
    assert page.evaluate("document.getElementById('volume-list').contains(document.activeElement)")
    # A keyboard user goes on from there: the next Tab stop is still in the list.
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('volume-list').contains(document.activeElement)")


def test_selecting_and_deleting_by_keyboard(kb_page, account):
    page = kb_page
    volume = volume_available(cloud_of(account), display_name="kb-gone")
    log_in(page, account)
    page.goto("/volumes/")
    box = page.locator(f"input[name=ids][value='{volume.id}']")
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    for _ in range(20):
        page.keyboard.press("Shift+Tab")
        if re.match("Delete selected", page.evaluate("document.activeElement.innerText || ''")):
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Delete")
    expect(page.get_by_text("kb-gone").first).to_be_visible()


def test_escape_closes_the_support_filters(kb_page, account):
    page = kb_page
    log_in(page, account)
    get_user_model().objects.get(username=account["user_id"]).groups.add(support_group())
    page.goto("/support/?project=nobody")  # a search: the filters are open
    filters = page.locator("details.support-filters")
    expect(filters).to_have_attribute("open", "")
    page.get_by_label("Project", exact=True).focus()
    page.keyboard.press("Escape")
    expect(filters).not_to_have_attribute("open", "")
    expect(filters.locator("summary")).to_be_focused()
    page.keyboard.press("Enter")  # and open again from the keyboard
    expect(filters).to_have_attribute("open", "")
