"""Everything from the API is text: a volume whose name, description and metadata hold markup, htmx
attributes and template syntax shows them escaped on every page that shows the volume. And the
templates keep the rules that make this hold (and the CSP possible): no |safe, no inline scripts,
styles or event handlers, no template values inside htmx's JSON attributes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.html import escape

from tests.security.conftest import HOSTILE_DESCRIPTION, HOSTILE_METADATA, HOSTILE_NAME

pytestmark = pytest.mark.django_db

# Fragments that would be live markup if any of the hostile text were rendered unescaped.
LIVE_MARKUP = [
    "<script>alert(",
    "<img src=x",
    '<div hx-get="/logout/"',
    "<svg onload",
    "<b>key</b>",
    "49</div>",
]


def pages_of(volume_id: str) -> list[str]:
    return [
        "/",
        "/volumes/",
        f"/volumes/{volume_id}/",
        f"/volumes/{volume_id}/edit/",
        f"/volumes/{volume_id}/delete/",
        f"/volumes/create/?source_volid={volume_id}",
        f"/snapshots/create/?volume_id={volume_id}",
        f"/backups/create/?volume_id={volume_id}",
        f"/servers/attach/?volume_id={volume_id}",
        f"/live/volumes/?s={volume_id}:creating",
    ]


def test_hostile_volume_text_is_shown_escaped_everywhere(client_in, hostile_volume):
    shown = []
    for url in pages_of(hostile_volume.id):
        response = client_in.get(url)
        html = response.content.decode()
        assert response.status_code in {200, 286}, f"{url}: {response.status_code}"
        for fragment in LIVE_MARKUP:
            assert fragment not in html, f"{url} renders {fragment!r} unescaped"
        if escape(HOSTILE_NAME) in html:
            shown.append(url)
    # The name really is on the list and the detail page (escaped), so the check above means something.
    assert {"/volumes/", f"/volumes/{hostile_volume.id}/"} <= set(shown)
    detail = client_in.get(f"/volumes/{hostile_volume.id}/").content.decode()
    assert escape(HOSTILE_DESCRIPTION) in detail
    for key, value in HOSTILE_METADATA.items():
        assert escape(key) in detail and escape(value) in detail


def test_hostile_text_in_htmx_fragments_is_escaped(client_in, hostile_volume):
    response = client_in.get("/volumes/", headers={"HX-Request": "true", "HX-Target": "volumes-region"})
    html = response.content.decode()
    assert response.status_code == 200
    assert escape(HOSTILE_NAME) in html
    for fragment in LIVE_MARKUP:
        assert fragment not in html


# --- The templates and the code keep the rules -------------------------------------------------------
TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
APP_CODE = [
    path
    for app in ("console", "volumes", "snapshots", "backups", "attachments", "support")
    for path in sorted(Path(settings.BASE_DIR, app).rglob("*.py"))
]
RULES = {
    "|safe filter": re.compile(r"\|\s*safe\b"),
    "autoescape off": re.compile(r"{%\s*autoescape\s+off"),
    "inline <script> (no src)": re.compile(r"<script(?![^>]*\bsrc\b)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "on* event handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "hx-on attribute (needs eval)": re.compile(r"\shx-on", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "template value inside hx-vals/hx-headers JSON (besides the CSRF token)": re.compile(
        r"hx-(?:vals|headers|vars)\s*=\s*'[^']*{{(?!\s*csrf_token\s*}})", re.I
    ),
    "js: expression in hx-vals": re.compile(r"hx-vals\s*=\s*[\"']\s*(?:js|javascript):", re.I),
}


def test_templates_keep_the_rules():
    broken = [
        f"{path.relative_to(settings.BASE_DIR)}: {rule}"
        for path in TEMPLATES
        for rule, pattern in RULES.items()
        if pattern.search(path.read_text())
    ]
    assert not broken, "\n".join(broken)
    assert len(TEMPLATES) > 20


def test_no_mark_safe_in_the_code():
    pattern = re.compile(r"\bmark_safe\(|\bSafeString\(|\bformat_html\([^)]*\)\s*%")
    found = [
        str(path.relative_to(settings.BASE_DIR)) for path in APP_CODE if pattern.search(path.read_text())
    ]
    assert not found, found
