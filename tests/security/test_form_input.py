"""Oversized and malformed input on every form and every query string of the console.

Generic over the URL patterns (tests/security/routes.py) and over the forms the pages render: the
fields of each form are read from the page itself (html.parser), so forms and fields that sections
add later are covered without edits. Every POST route gets hostile field sets (oversized, NUL bytes,
bytes that are not UTF-8, lone surrogates, odd unicode, empty, blank, numbers in odd forms, repeated
keys, unknown fields, missing fields, a body over Django's limit, too many fields); every page gets
hostile query strings and htmx headers. The answer is never a 5xx and always says something a
person can read; a refused form changes nothing at the cloud (the emulator's write calls) and never
costs a call; nothing sends a NUL byte to the API; bad input causes no 413.

One account serves the module; its resources are kept in a known state (`world`) and made again
when an accepted form used them up. The emulator's fail-on-purpose words keep destructive targets
in place: a delete of a `fail-delete` snapshot or backup ends in error, a detach of a
`fail-detach` volume ends in error_detaching, and a volume with snapshots cannot be deleted.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory
from django.test.client import BOUNDARY, encode_multipart

from console import api
from console.api import http as api_http
from console.api.context import CloudContext
from console.live import MAX_FOLLOWED
from console.statuses import status_info
from tests.console.login_helpers import context_of, log_in
from tests.security.conftest import wait_for
from tests.security.routes import Route, route_path, routes
from tests.security.test_csrf import csrf_login

pytestmark = pytest.mark.django_db

# --- what a person (or a script) may send ---------------------------------------------------------

TEN_KB = "x" * 10_240
ONE_MB = 1024 * 1024
# Text values put in every field of a form at once.
VALUES: dict[str, str] = {
    "10kb": TEN_KB,
    "1mb": "",  # sized per form to stay under DATA_UPLOAD_MAX_MEMORY_SIZE (see `one_mb`)
    "nul": "name\x00with-nul",
    "rtl-emoji": "\u202egnp.exe \U0001f600\u200d\U0001f4bb \u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "markup": '"><script>alert(1)</script>{{ 7*7 }}',
    "empty": "",
    "whitespace": " \t\r\n ",
    "1e3": "1e3",
    "-0": "-0",
    "0x10": "0x10",
    "fullwidth-10": "\uff11\uff10",
    "NaN": "NaN",
    "Infinity": "Infinity",
    "nines-400": "9" * 400,
}
# Bytes put raw in every field of a urlencoded body: Django decodes them with replacement characters.
RAW_VALUES: dict[str, bytes] = {
    "invalid-utf8-escaped": b"%FF%FE%C3%28%80",
    "invalid-utf8-raw": b"\xff\xfe\xc3\x28\x80",
    "lone-surrogate": b"%ED%A0%80x%ED%BF%BF",
}
STRUCTURES = (
    "nul-in-one-field",
    "repeated-keys-hostile-last",
    "repeated-keys-valid-last",
    "unknown-fields",
    "missing-fields",
    "body-over-limit",
    "too-many-fields",
    "multipart",
    "multipart-over-limit",
)
VARIANTS = [*VALUES, *RAW_VALUES, *STRUCTURES]
URLENCODED = "application/x-www-form-urlencoded"
# The body is encoded here: the test client would encode it again for its own MULTIPART_CONTENT.
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
UNKNOWN_FIELDS = [
    ("unknown", TEN_KB),
    ("__proto__", "1"),
    ("ids[]", "1"),
    ("meta_key_99", "k"),
    ("u" * 300, "v"),
    ("\u202e\x00", "\x00"),
]
# Query-string values given to every parameter of every page.
QUERY_VALUES: dict[str, str] = {
    **{name: value for name, value in VALUES.items() if name not in ("1mb", "empty")},
    "4kb": "q" * 4096,
    "path": "/\\evil.example/%2e%2e/",
    "id-like": "00000000-0000-4000-8000-00000000000%",
}
# Parameters no page links to but code reads (return URLs, cursors, live polls, prefill).
CODE_PARAMS = (
    "next",
    "s",
    "before",
    "after",
    "page",
    "volume_id",
    "snapshot_id",
    "source_volid",
    "image_id",
    "imageRef",
    "size",
)
HTMX_HEADERS = [
    {"HX-Request": "true", "HX-Target": "x" * 8192},
    {"HX-Request": "true", "HX-Target": "volume-list\x00"},
    {"HX-Request": "true", "HX-Current-URL": "javascript:alert(1)//" + "y" * 4096},
    {"HX-Request": "true", "HX-Current-URL": "http://[::1"},
    {"HX-Request": "true", "HX-Trigger": "\u202e" * 100, "HX-Trigger-Name": "<b>"},
]
# The console's own pages (Django's admin site is out of scope); logout takes no input.
SKIPPED_ROUTES = {"logout"}

_names = itertools.count(1)


# --- reading pages ------------------------------------------------------------------------------------


@dataclass
class Form:
    method: str
    action: str
    fields: list[str] = field(default_factory=list)  # names a person fills or the page set
    baseline: list[tuple[str, str]] = field(default_factory=list)  # what a browser sends unchanged


class _FormParser(HTMLParser):
    """The forms of a page: fields (inputs, selects, textareas; not buttons) and default values."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: dict | None = None
        self.textarea: list | None = None

    def _field(self, name: str) -> None:
        if name not in self.form.fields:
            self.form.fields.append(name)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form":
            self.form = Form(
                method=(attr.get("method") or "get").lower(), action=attr.get("action") or self.page_url
            )
            self.forms.append(self.form)
            return
        name = attr.get("name")
        if self.form is None:
            return
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = (attr.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            self._field(name)
            if kind in ("checkbox", "radio"):
                if "checked" in attr and "disabled" not in attr:
                    self.form.baseline.append((name, attr.get("value") or "on"))
            else:
                self.form.baseline.append((name, attr.get("value") or ""))
        elif tag == "select" and name:
            self._field(name)
            self.select = {"name": name, "first": None, "selected": None}
        elif tag == "option" and self.select is not None:
            value = attr.get("value") or ""
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in attr:
                self.select["selected"] = value
        elif tag == "textarea" and name:
            self._field(name)
            self.textarea = [name, ""]

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select" and self.select is not None:
            value = self.select["selected"] if self.select["selected"] is not None else self.select["first"]
            if value is not None and self.form is not None:
                self.form.baseline.append((self.select["name"], value))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, text = self.textarea
            if self.form is not None:
                self.form.baseline.append((name, text.removeprefix("\n")))
            self.textarea = None


class _MessageParser(HTMLParser):
    """The text of every message element: field errors, alerts, the error component."""

    MARKERS = ("field-error", "error-box", "alert")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[int | None] = []  # per open element: index of the message it opens, or None
        self.messages: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "input", "meta", "link", "hr", "source", "wbr"):
            return
        classes = (dict(attrs).get("class") or "").split()
        if any(marker in classes for marker in self.MARKERS):
            levels = [c for c in classes if c.startswith("alert--")]
            kind = levels[0] if levels else next(c for c in classes if c in self.MARKERS)
            self.messages.append([kind, ""])
            self.stack.append(len(self.messages) - 1)
        else:
            self.stack.append(None)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and tag not in ("br", "img", "input", "meta", "link", "hr", "source", "wbr"):
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        for index in self.stack:
            if index is not None:
                self.messages[index][1] += data


def messages_in(html: str) -> list[tuple[str, str]]:
    """(kind, text) of every visible message: kind is field-error, error-box or alert--<level>."""
    parser = _MessageParser()
    parser.feed(html)
    return [(kind, " ".join(text.split())) for kind, text in parser.messages if text.strip()]


def forms_of(html: str, page_url: str) -> list[Form]:
    parser = _FormParser(page_url)
    parser.feed(html)
    return parser.forms


# --- the module's account and its resources -----------------------------------------------------------


@dataclass
class World:
    server_id: str
    spare: str  # an available volume in the server's zone: forms preselect it
    parent: str  # has a snapshot: its delete is blocked
    snapshot: str  # of `parent`, named fail-delete: a delete ends in error
    backup: str  # available: restore target
    doomed_backup: str  # named fail-delete: a delete ends in error
    attached: str  # named fail-detach, attached to the server: a detach ends in error_detaching

    def route_values(self, route: Route) -> dict[str, str]:
        """Real ids for a route's parameters; destructive routes get targets that stay in place."""
        volume = {"volumes:delete": self.parent, "attachments:detach": self.attached}.get(
            route.name, self.spare
        )
        backup = self.doomed_backup if route.name == "backups:delete" else self.backup
        return {
            "volume_id": volume,
            "snapshot_id": self.snapshot,
            "backup_id": backup,
            "server_id": self.server_id,
            "kind": "volumes",
        }


_WORLD_IDS: dict[str, dict[str, str]] = {}


@pytest.fixture(scope="module")
def module_account(emulator) -> dict:
    name = f"fi{os.getpid()}x{next(_names)}"
    info = emulator.new_account(name)
    # Accepted forms make volumes as they go: quota is not what this module tests.
    emulator.hook("PUT", f"/_emulator/quotas/{info['project_id']}", {"volumes": -1, "gigabytes": -1})
    return {"user": name, "password": f"{name}-password", "project": name, **info}


def _transitional(items) -> bool:
    return any(status_info(item.status).transitional for item in items)


def world_get(ctx: CloudContext) -> World:
    """The module's resources in their known states, made again where an accepted form used them."""
    ids = _WORLD_IDS.setdefault(ctx.project_id, {})

    def listings():
        return api.volume_list(ctx), api.snapshot_list(ctx), api.backup_list(ctx)

    wait_for(lambda: not any(_transitional(items) for items in listings()))
    volumes, snapshots, backups = ({item.id: item for item in items} for items in listings())

    def usable(key: str, pool: dict, statuses: tuple[str, ...]) -> bool:
        return ids.get(key) in pool and pool[ids[key]].status in statuses

    def settle(kind: str, resource_id: str) -> None:
        getter = {"volume": api.volume_get, "snapshot": api.snapshot_get, "backup": api.backup_get}[kind]
        wait_for(lambda: not status_info(getter(ctx, resource_id).status).transitional)

    if "server" not in ids:
        ids["server"] = next(s.id for s in api.server_list(ctx) if s.availability_zone == "az2")
    if not usable("parent", volumes, ("available", "in-use")):
        ids["parent"] = api.volume_create(ctx, size=1, display_name="parent", availability_zone="az2").id
        settle("volume", ids["parent"])
    if not usable("snapshot", snapshots, ("available", "error")):
        if not usable("parent", volumes, ("available",)):  # the cloud never snapshots an attached volume
            ids["parent"] = api.volume_create(ctx, size=1, display_name="parent", availability_zone="az2").id
            settle("volume", ids["parent"])
        snapshot = api.snapshot_create(ctx, volume_id=ids["parent"], display_name="kept fail-delete")
        ids["snapshot"] = snapshot.id
        settle("snapshot", ids["snapshot"])
    if not usable("spare", volumes, ("available",)):
        ids["spare"] = api.volume_create(ctx, size=1, display_name="spare", availability_zone="az2").id
        settle("volume", ids["spare"])
    if not usable("backed", volumes, ("available",)):
        ids["backed"] = api.volume_create(ctx, size=1, display_name="backed").id
        settle("volume", ids["backed"])
    for key, name, statuses in (
        ("backup", "kept", ("available",)),
        ("doomed_backup", "kept fail-delete", ("available", "error")),
    ):
        if not usable(key, backups, statuses):
            ids[key] = api.backup_create(ctx, volume_id=ids["backed"], name=name).id
            settle("backup", ids[key])
            settle("volume", ids["backed"])
    if not usable("attached", volumes, ("in-use", "error_detaching")):
        ids["attached"] = api.volume_create(
            ctx, size=1, display_name="kept fail-detach", availability_zone="az2"
        ).id
        settle("volume", ids["attached"])
        api.attachment_create(ctx, ids["server"], volume_id=ids["attached"])
        settle("volume", ids["attached"])
    return World(
        server_id=ids["server"],
        spare=ids["spare"],
        parent=ids["parent"],
        snapshot=ids["snapshot"],
        backup=ids["backup"],
        doomed_backup=ids["doomed_backup"],
        attached=ids["attached"],
    )


@pytest.fixture
def console(client: Client, module_account: dict) -> Client:
    assert log_in(client, module_account).status_code == 302
    client.raise_request_exception = False  # a view that fails is a 500 in the report, not a stop
    return client


@pytest.fixture
def world(console: Client) -> World:
    return world_get(context_of(console))


# --- what the cloud saw -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CloudState:
    writes: int  # calls other than GET
    creates: int  # POSTs that make a volume, snapshot or backup
    over_limit: int  # 413 answers


CREATE_PATHS = {"/volumes", "/snapshots", "/backups", "/backups/{id}/restore"}


def cloud_state(emulator, project_id: str) -> CloudState:
    stats = emulator.stats(project_id)["projects"].get(project_id, {})
    by_method = stats.get("by_method", {})
    creates = sum(
        count
        for path, count in stats.get("by_path", {}).items()
        if any(path.endswith(suffix) for suffix in CREATE_PATHS)
    )
    return CloudState(
        writes=sum(count for method, count in by_method.items() if method != "GET"),
        creates=creates,
        over_limit=stats.get("by_status", {}).get("413", 0),
    )


@contextmanager
def bodies_sent(monkeypatch) -> Iterator[list[bytes]]:
    """Every request body (and its URL) the console sends to the cloud (observed, not replaced)."""
    sent: list[bytes] = []
    original = api_http._send

    def observing(*args, **kwargs):
        sent.append((kwargs.get("body") or b"") + b" " + kwargs.get("url", "").encode())
        return original(*args, **kwargs)

    monkeypatch.setattr(api_http, "_send", observing)
    try:
        yield sent
    finally:
        monkeypatch.setattr(api_http, "_send", original)


def carries_nul(sent: bytes) -> bool:
    """A NUL byte as it would travel: raw, JSON-escaped, an XML reference or percent-encoded."""
    return any(form in sent.lower() for form in (b"\x00", b"\\u0000", b"&#0;", b"%00"))


# --- building the hostile bodies ----------------------------------------------------------------------


def one_mb(form: Form) -> str:
    """About 1 MB per field, or less, so that the whole body stays under Django's limit."""
    limit = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    per_field = min(ONE_MB, (limit - 65_536) // max(1, len(form.fields)))
    return "m" * per_field


def encode(pairs: list[tuple[str, str]]) -> bytes:
    return urlencode(pairs).encode()


def hostile_bodies(form: Form, variant: str) -> list[tuple[str, bytes, str]]:
    """(what was done, body, content type) for a variant: one body, or one per field for
    `nul-in-one-field`. Browsers send these forms urlencoded; a script may send multipart."""
    if variant == "nul-in-one-field":
        # The form as the page filled it, but one field carries a NUL: the others cannot hide it.
        return [
            (
                name,
                encode([(key, value) for key, value in form.baseline if key != name] + [(name, "a\x00b")]),
                URLENCODED,
            )
            for name in form.fields
        ]
    if variant.startswith("multipart"):
        size = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1 if variant == "multipart-over-limit" else 0
        data = dict.fromkeys(form.fields or ["comment"], VALUES["markup"] + VALUES["nul"] + "p" * size)
        return [("", encode_multipart(BOUNDARY, data), MULTIPART)]
    return [("", hostile_body(form, variant), URLENCODED)]


def hostile_body(form: Form, variant: str) -> bytes:
    fields = form.fields or ["comment"]  # a form without fields gets one nobody asked for
    if variant in VALUES:
        value = one_mb(form) if variant == "1mb" else VALUES[variant]
        return encode([(name, value) for name in fields])
    if variant in RAW_VALUES:
        return b"&".join(quote(name).encode() + b"=" + RAW_VALUES[variant] for name in fields)
    hostile = VALUES["markup"] + VALUES["nul"]
    if variant == "repeated-keys-hostile-last":
        return encode(form.baseline + [(name, hostile) for name in fields])
    if variant == "repeated-keys-valid-last":
        return encode([(name, hostile) for name in fields] + form.baseline)
    if variant == "unknown-fields":
        return encode(form.baseline + UNKNOWN_FIELDS)
    if variant == "missing-fields":
        return b""
    if variant == "body-over-limit":
        return encode(form.baseline + [("padding", "p" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))])
    if variant == "too-many-fields":
        extra = django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1
        return encode(form.baseline + [(f"f{i}", "1") for i in range(extra)])
    raise AssertionError(variant)


# --- the routes -----------------------------------------------------------------------------------------


def console_routes() -> list[Route]:
    return [route for route in routes() if not route.pattern.startswith("admin/")]


def route_ids(route: Route) -> str:
    return route.name


def post_form(client: Client, route: Route, url: str, world: World) -> Form | None:
    """The form that posts to `url`, as a person finds it: on the route's own page (with a volume
    preselected) or where that page redirects to, else on the overview (the frame's forms), else on
    the page as an anonymous visitor sees it (the login form). None when no page shows a form for
    it (a blocked delete shows why instead of a button)."""
    own_page = f"{url}?{urlencode({'volume_id': world.spare})}"
    for visitor, page_url in ((client, own_page), (client, "/"), (Client(), url)):
        response = visitor.get(page_url, follow=True)
        if response.redirect_chain:
            page_url = response.redirect_chain[-1][0]
        for form in forms_of(response.content.decode(), page_url):
            if form.method == "post" and urlsplit(form.action).path == url:
                return form
    return None


def accepts_post(client: Client, url: str) -> bool:
    """False for GET-only views (405) and pages the user may not see (404)."""
    return client.post(url, b"", content_type="application/x-www-form-urlencoded").status_code not in (
        404,
        405,
    )


# --- POST: every form, every hostile field set --------------------------------------------------------


def check_post(
    client: Client, emulator, project_id: str, url: str, body: bytes, content_type: str, monkeypatch
) -> str:
    """POST `body` to `url`; a description of what went wrong, or "" when all is well."""
    before = cloud_state(emulator, project_id)
    with bodies_sent(monkeypatch) as sent:
        response = client.post(url, body, content_type=content_type)
    status = response.status_code
    html = response.content.decode(errors="replace")
    if status >= 500:
        return f"answered {status}"
    if "Traceback" in html:
        return "shows a traceback"
    redirected = status in (301, 302, 303)
    if redirected:
        location = response["Location"]
        if not location.startswith("/") or location.startswith("//"):
            return f"redirects off the console: {location[:80]}"
        page = client.get(location)
        if page.status_code >= 400:
            return f"redirects to {location} which answers {page.status_code}"
        html = page.content.decode()
    shown = messages_in(html)
    if not shown:
        return f"answered {status} without a visible message"
    accepted = redirected and any(kind in ("alert--success", "alert--info") for kind, _ in shown)
    after = cloud_state(emulator, project_id)
    problems = []
    if not accepted and after.writes != before.writes:
        problems.append(f"refused ({shown[0][1][:80]}) but made {after.writes - before.writes} write call(s)")
    if after.creates - before.creates > 1:
        problems.append(f"made {after.creates - before.creates} resources from one form")
    if after.over_limit != before.over_limit:
        problems.append("caused a 413 at the cloud")
    if any(carries_nul(body) for body in sent):
        problems.append("sent a NUL byte to the API")
    return "; ".join(problems)


# Logout takes no input (any POST logs out: tests/security/test_sessions.py), so it has no case here.
@pytest.mark.parametrize(
    "route", [r for r in console_routes() if r.name not in SKIPPED_ROUTES], ids=route_ids
)
def test_every_form_refuses_hostile_input_with_a_message(
    console, world, emulator, module_account, route, monkeypatch
):
    url = route_path(route, world.route_values(route))
    assert url is not None, route.pattern
    if not accepts_post(console, url):
        return  # a GET-only page (405) or one this user may not see (404): nothing to post to
    failures = []
    for variant in VARIANTS:
        world_now = world_get(context_of(console))
        url = route_path(route, world_now.route_values(route))
        form = post_form(console, route, url, world_now) or Form(method="post", action=url)
        for detail, body, content_type in hostile_bodies(form, variant):
            problem = check_post(
                console, emulator, module_account["project_id"], form.action, body, content_type, monkeypatch
            )
            if problem:
                failures.append(f"{variant}{f' ({detail})' if detail else ''}: {problem}")
    assert not failures, f"POST {url} ({route.name}):\n" + "\n".join(failures)


# --- GET: every page, hostile query strings and htmx headers ------------------------------------------


class _PageParser(HTMLParser):
    """What a page lets a person (or htmx) vary in a GET: the names of its inputs (htmx sends a
    form's fields as the query of an hx-get), the parameters of its links to itself, and the htmx
    targets it asks for (`#id`, or the element's own id for `this` and no hx-target)."""

    def __init__(self, path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.params: set[str] = set()
        self.targets: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if "hx-get" in attr or "hx-post" in attr:
            target = attr.get("hx-target") or "this"
            if target.startswith("#"):
                self.targets.add(target[1:])
            elif target == "this" and attr.get("id"):
                self.targets.add(attr["id"])
        if tag in ("input", "select", "textarea") and attr.get("name"):
            self.params.add(attr["name"])
        elif tag == "a" and (href := attr.get("href")):
            link = urlsplit(href)
            if link.query and link.path in ("", self.path):
                self.params.update(part.split("=", 1)[0] for part in link.query.split("&"))


def page_inputs(html: str, path: str) -> tuple[set[str], set[str]]:
    parser = _PageParser(path)
    parser.feed(html)
    return parser.params, parser.targets


@pytest.fixture
def staff_console(console: Client) -> Client:
    """The console's user with the support permission too, so the support pages are covered."""
    request = RequestFactory().get("/")
    request.session = console.session
    user = get_user(request)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="support", codename="view_apicall")
    )
    return console


def check_get(client: Client, url: str, params: dict, headers: dict) -> str:
    response = client.get(url, params, headers=headers)
    status = response.status_code
    body = response.content.decode(errors="replace")
    if status >= 500:
        return f"answered {status}"
    if "Traceback" in body:
        return "shows a traceback"
    if status in (301, 302, 303):
        location = response["Location"]
        if not location.startswith("/") or location.startswith("//"):
            return f"redirects off the console: {location[:80]}"
    elif status >= 400 and not headers.get("HX-Request") and not re.sub(r"<[^>]+>|\s", "", body):
        return f"answered {status} with an empty page"
    return ""


def page_params(client: Client, url: str) -> tuple[list[str], list[str]]:
    """The parameters and htmx targets of the page at `url` (plus those code reads)."""
    response = client.get(url, follow=True)
    params, targets = page_inputs(response.content.decode(errors="replace"), url)
    return sorted(params | set(CODE_PARAMS)), sorted(targets)


@pytest.mark.parametrize("route", console_routes(), ids=route_ids)
def test_every_page_survives_hostile_query_strings(staff_console, world, emulator, module_account, route):
    url = route_path(route, world.route_values(route))
    assert url is not None, route.pattern
    params, targets = page_params(staff_console, url)
    project_id = module_account["project_id"]
    before = cloud_state(emulator, project_id)
    failures = []
    for name, value in QUERY_VALUES.items():
        query = dict.fromkeys(params, value)
        for target in ["", *targets]:
            headers = {"HX-Request": "true", "HX-Target": target} if target else {}
            if problem := check_get(staff_console, url, query, headers):
                failures.append(f"{name} (hx-target {target or '-'}): {problem}")
    after = cloud_state(emulator, project_id)
    assert not failures, f"GET {url} ({route.name}) with {params}:\n" + "\n".join(failures)
    assert after.writes == before.writes, "a GET wrote at the cloud"
    assert after.over_limit == before.over_limit


@pytest.mark.parametrize("route", console_routes(), ids=route_ids)
def test_every_page_survives_absurd_htmx_headers(staff_console, world, route):
    url = route_path(route, world.route_values(route))
    assert url is not None, route.pattern
    failures = []
    for headers in HTMX_HEADERS:
        for method in ("get", "post"):
            if method == "post" and route.name in SKIPPED_ROUTES:
                continue
            response = getattr(staff_console, method)(url, headers=headers)
            if response.status_code >= 500:
                failures.append(f"{method.upper()} with {sorted(headers)}: {response.status_code}")
    assert not failures, f"{url} ({route.name}):\n" + "\n".join(failures)


# --- the limits themselves ------------------------------------------------------------------------------


def test_a_body_over_the_limit_gets_a_page_that_says_so(console, world, emulator, module_account):
    before = cloud_state(emulator, module_account["project_id"])
    body = encode([("name", "n" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))])
    response = console.post("/volumes/create/", body, content_type="application/x-www-form-urlencoded")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Too much to send" in html
    assert "at most 2.5 MB of text in at most 1000 fields" in html
    assert "Nothing was sent to the cloud and nothing was changed." in html
    assert cloud_state(emulator, module_account["project_id"]) == before


def test_with_csrf_checks_the_limit_is_met_first_and_gets_the_same_page(module_account, emulator):
    """As in production: the CSRF check reads the body before any view, so even a form that takes
    no input (a delete) is refused whole, before anything happens."""
    client, token = csrf_login(module_account)
    world = world_get(context_of(client))
    before = cloud_state(emulator, module_account["project_id"])
    body = encode(
        [("csrfmiddlewaretoken", token), ("x", "p" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))]
    )
    response = client.post(f"/backups/{world.doomed_backup}/delete/", body, content_type=URLENCODED)
    assert response.status_code == 400
    assert "Too much to send" in response.content.decode()
    assert cloud_state(emulator, module_account["project_id"]) == before


def test_too_many_fields_get_the_same_page(console, world):
    fields = [(f"meta_key_{i}", "k") for i in range(django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)]
    response = console.post(
        f"/volumes/{world.spare}/edit/", encode(fields), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "Too much to send" in response.content.decode()


def test_a_nul_in_a_name_is_refused_next_to_the_field_before_any_call(
    console, world, emulator, module_account
):
    page = console.get(f"/snapshots/create/?volume_id={world.spare}").content.decode()
    form = next(f for f in forms_of(page, "/snapshots/create/") if f.method == "post")
    data = dict(form.baseline) | {"name": "snap\x00shot"}
    before = cloud_state(emulator, module_account["project_id"])
    response = console.post("/snapshots/create/", data)
    assert response.status_code == 200
    assert ("field-error", "Null characters are not allowed.") in messages_in(response.content.decode())
    assert cloud_state(emulator, module_account["project_id"]) == before


def test_live_follows_at_most_a_page_of_ids_and_calls_nothing(console, world, emulator, module_account):
    console.get("/volumes/")  # the listing is fresh: a poll must not refresh it
    project_id = module_account["project_id"]
    calls = emulator.stats(project_id)["projects"].get(project_id, {}).get("total", 0)
    wanted = django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS  # as many as Django lets through
    query = [("s", f"{world.spare}:creating")] + [("s", f"id-{n}:creating") for n in range(wanted - 1)]
    response = console.get("/live/volumes/?" + urlencode(query), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code in (200, 286)
    swapped = re.findall(r'id="status-volumes-([^"]+)"', html)
    assert 0 < len(set(swapped)) <= MAX_FOLLOWED
    assert world.spare in swapped  # the first ids are followed, the rest ignored
    assert emulator.stats(project_id)["projects"].get(project_id, {}).get("total", 0) == calls

    oversized = console.get("/live/volumes/", {"s": [f"{'x' * 100_000}:creating", "y:" + "z" * 100_000]})
    assert oversized.status_code == 286  # nothing it could follow: polling stops

    too_many = console.get("/live/volumes/?" + urlencode(query + [("s", "one-more:creating")]))
    assert too_many.status_code == 400
    assert "Too much to send" in too_many.content.decode()


@pytest.mark.parametrize("current_url", ["http://[::1", "javascript:alert(1)", "/" + "c" * 8192, "\x00"])
def test_an_ended_session_survives_an_absurd_current_url(
    console, world, emulator, module_account, current_url
):
    emulator.expire_tokens(module_account["user"])
    response = console.get(
        f"/volumes/{world.spare}/", headers={"HX-Request": "true", "HX-Current-URL": current_url}
    )
    assert response.status_code < 500
    assert response.status_code in (200, 302) and "/login/" in response.get(
        "HX-Redirect", response.get("Location", "")
    )


# Ids as a URL or a query may carry them: none is an id of this project.
HOSTILE_IDS = {
    "nul": "abc\x00def",
    "10kb": TEN_KB,
    "rtl-emoji": VALUES["rtl-emoji"],
    "dots": "..",
    "markup": "<b>x</b>",
    "spaces": "   ",
    "newline": "abc\n",
}


@pytest.mark.parametrize(
    "route", [r for r in console_routes() if r.params and r.params != ("kind",)], ids=route_ids
)
def test_hostile_ids_in_urls_are_not_found_and_never_reach_the_api_with_a_nul(
    console, world, emulator, module_account, route, monkeypatch
):
    project_id = module_account["project_id"]
    before = cloud_state(emulator, project_id)
    failures = []
    for name, value in HOSTILE_IDS.items():
        for param in route.params:
            values = world.route_values(route) | {param: quote(value, safe="")}
            url = route_path(route, values)
            if url is None:
                continue  # the pattern's converter does not take it (an int): Django answers 404
            for method in ("get", "post"):
                with bodies_sent(monkeypatch) as sent:
                    response = getattr(console, method)(url)
                if response.status_code >= 500:
                    failures.append(f"{method.upper()} {param}={name}: {response.status_code}")
                elif response.status_code == 200 and method == "get":
                    failures.append(f"GET {param}={name}: 200, as if it existed")
                if any(carries_nul(body) for body in sent):
                    failures.append(f"{method.upper()} {param}={name}: sent a NUL to the API")
                if any(quote(value, safe="").encode() in body for body in sent):
                    failures.append(f"{method.upper()} {param}={name}: asked the API about it")
    assert not failures, f"{route.name}:\n" + "\n".join(failures)
    after = cloud_state(emulator, project_id)
    assert (after.writes, after.over_limit) == (before.writes, before.over_limit)


@pytest.mark.parametrize("page", ["/snapshots/create/", "/backups/create/", "/servers/attach/"])
@pytest.mark.parametrize("name", list(HOSTILE_IDS))
def test_hostile_prefill_ids_never_reach_the_api_with_a_nul(console, world, page, name, monkeypatch):
    with bodies_sent(monkeypatch) as sent:
        response = console.get(page, {"volume_id": HOSTILE_IDS[name]})
    assert response.status_code < 500
    assert not any(carries_nul(body) for body in sent)
