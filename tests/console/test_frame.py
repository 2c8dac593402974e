"""The page frame: navigation, messages, htmx wiring, and the one error component."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import include, path, resolve

from console.api import errors
from console.urls import urlpatterns as console_urlpatterns
from tests.console.login_helpers import log_in

pytestmark = pytest.mark.django_db


def section_page(request):
    return HttpResponse("a section")


# A URLconf with a Volumes and a Support page, as the resource apps will add them.
urlpatterns = [
    path("volumes/", section_page),
    path("support/", section_page),
    path("", include(console_urlpatterns)),
]


@pytest.fixture(autouse=True)
def identity(settings, emulator):
    settings.IDENTITY_URL = emulator.identity_url
    return emulator


@pytest.fixture
def logged_in(client, account):
    assert log_in(client, account).status_code == 302
    return client


def nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="sidebar".*?</nav>', html, re.S).group(0)
    return re.findall(r'href="([^"]+)"', nav)


def test_navigation_links_only_to_pages_that_exist(logged_in):
    links = nav_links(logged_in.get("/").content.decode())
    assert links[0] == "/"
    for link in links:
        resolve(link)  # raises Resolver404 for a page that does not exist
    assert "/support/" not in links


def test_support_link_is_for_support_staff_only(logged_in, account, settings):
    from django.contrib.auth import get_user_model

    settings.ROOT_URLCONF = __name__
    assert "/support/" not in nav_links(logged_in.get("/").content.decode())

    user = get_user_model().objects.get(username=account["user_id"])
    user.groups.add(Group.objects.get(name="Support staff"))
    assert "/support/" in nav_links(logged_in.get("/").content.decode())


def test_current_section_is_marked(logged_in):
    assert '<a href="/" aria-current="page">Overview</a>' in logged_in.get("/").content.decode()


def test_frame_wiring(logged_in):
    html = logged_in.get("/").content.decode()
    assert re.search(r"""<body[^>]* hx-headers='\{"X-CSRFToken": "[A-Za-z0-9]+"\}'""", html)
    assert '"historyCacheSize": 0' in html
    assert 'role="status" aria-live="polite"' in html
    assert "/static/django_htmx/htmx-2.min.js" in html or "htmx-2" in html
    # No inline scripts: every <script> has a src.
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag
    assert " style=" not in html
    # Logging out is a POST form with a CSRF token.
    logout_form = r'<form method="post" action="/logout/">\s*<input type="hidden" name="csrfmiddlewaretoken"'
    assert re.search(logout_form, html)


def test_region_switcher_works_without_javascript(logged_in):
    html = logged_in.get("/").content.decode()
    form = re.search(r'<form class="region-switcher" method="post" action="/region/">.*?</form>', html, re.S)
    assert form and 'name="csrfmiddlewaretoken"' in form.group(0) and 'type="submit"' in form.group(0)


def test_support_staff_group_has_the_request_log_permission():
    group = Group.objects.get(name="Support staff")
    assert group.permissions.filter(content_type__app_label="support", codename="view_apicall").exists()


def render_error(error: errors.ApiError, console_request_id: str = "c0ffee") -> str:
    request = RequestFactory().get("/")
    request.console_request_id = console_request_id
    template = Template("{% load console_tags %}{% api_error error %}")
    return template.render(Context({"error": error, "request": request}))


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (errors.OverLimit(413, "VolumeSizeExceedsAvailableQuota", request_id="req-1"), "ask for more quota"),
        (
            errors.OverLimit(413, "This request was rate-limited.", request_id="req-1", retry_after=2),
            "Wait a moment",
        ),
        (errors.NotFound(404, "Volume not found", request_id="req-1"), "may have been deleted"),
        (errors.Unauthorized(401, "Invalid token", request_id="req-1"), "Log in again"),
        (errors.ServerError(500, "Boom", request_id="req-1"), "contact support and quote the id"),
        (errors.ServiceUnavailable(503, "Busy", request_id="req-1"), "contact support and quote the id"),
        (errors.Timeout(None, "No answer in 20 s", request_id="req-1"), "took too long"),
        (errors.ConnectionFailed(None, "Connection refused", request_id="req-1"), "could not reach"),
        (errors.BudgetExhausted(None, "Budget", request_id="req-1"), "limit of 1 per second"),
    ],
)
def test_error_component_says_what_to_do_next(error, advice):
    html = render_error(error)
    assert advice in html
    assert error.message in html
    assert '<code class="request-id">req-1</code>' in html
    assert 'data-copy="req-1" hidden' in html
    assert 'role="alert"' in html


def test_error_component_falls_back_to_the_console_request_id():
    html = render_error(errors.ConnectionFailed(None, "Connection refused"), console_request_id="abc123")
    assert "Console request id" in html
    assert '<code class="request-id">abc123</code>' in html


def test_error_component_escapes_the_api_message():
    html = render_error(errors.BadRequest(400, "<script>alert(1)</script>", request_id="<b>"))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html


def test_overview_links_to_the_sections_that_exist(logged_in, settings):
    settings.ROOT_URLCONF = __name__
    html = logged_in.get("/").content.decode()
    go_to = re.search(r'<ul class="link-list">.*?</ul>', html, re.S).group(0)
    links = re.findall(r'href="([^"]+)"', go_to)
    assert "/volumes/" in links
    assert links == [link for link in nav_links(html) if link not in ("/", "/support/")]
