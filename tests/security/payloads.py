"""Hostile text for every field the API stores (names, descriptions, metadata keys and values, backup
containers, server names, attachment devices), and what it would look like if it were ever rendered
as markup instead of text.

Anchors: Horizon OSSA-2013-036 (XSS in volume names), OSSA-2015-009 (XSS in metadata), OSSA-2016-010
(XSS in resource names shown in other sections). Each payload that could run sets `window.__pwned`
(and opens an alert), so a real browser shows at once whether anything ran.

The API takes at most 255 characters per field, so the payloads are packed into two texts,
`HOSTILE_TEXTS` (A and B): a resource named A is described B and the other way round, and between
them every field holds every payload.
"""

from __future__ import annotations

from django.utils.html import escape

PAYLOADS: dict[str, str] = {
    "img onerror": '<img src=x onerror="window.__pwned=1;alert(1)">',
    "script end tag": "</script><script>window.__pwned=1;alert(1)</script>",
    "quotes": '"\'><svg onload="window.__pwned=1">',
    "line separators": "line\u2028sep\u2029para</script>",
    "template syntax": "{{7*7}} {% debug %}",
    "htmx logout": '<a hx-get="/logout/" hx-trigger="load">x</a>',
    "htmx bulk delete": '<div hx-post="/volumes/delete/" hx-vals="ids=x" hx-trigger="load">',
    "htmx old bulk delete": '<div hx-post="/volumes/bulk-delete/" hx-trigger="load">',
    "javascript url": "javascript:alert(1)",
    "javascript link": '<a href="javascript:window.__pwned=1">x</a>',
}

_GROUP_A = ("img onerror", "script end tag", "quotes", "line separators", "template syntax")
_GROUP_B = ("htmx logout", "htmx bulk delete", "htmx old bulk delete", "javascript url", "javascript link")
HOSTILE_A = " ".join(PAYLOADS[key] for key in _GROUP_A)
HOSTILE_B = " ".join(PAYLOADS[key] for key in _GROUP_B)
HOSTILE_TEXTS = (HOSTILE_A, HOSTILE_B)
assert set(_GROUP_A) | set(_GROUP_B) == set(PAYLOADS)
assert all(len(text) <= 255 for text in HOSTILE_TEXTS)

# Fragments that exist only if some hostile text was rendered as markup (the console's own templates
# contain none of them). Template syntax evaluated would not leave "{{7*7}}" in the page: the tests
# find each text's escaped form, which holds it literally.
LIVE_MARKUP = (
    "<img src=x",
    "<svg onload",
    "<script>window",
    "<script>alert",
    '<a hx-get="/logout/"',
    'hx-get="/logout/"',
    'hx-post="/volumes/delete/" hx-vals',
    'hx-post="/volumes/bulk-delete/"',
    'href="javascript:',
)


def escaped(text: str) -> str:
    """`text` as Django's autoescaping writes it in HTML."""
    return escape(text)


def live_markup_in(html: str) -> list[str]:
    """The live markup fragments found in `html` (none, when everything was escaped)."""
    return [fragment for fragment in LIVE_MARKUP if fragment in html]
