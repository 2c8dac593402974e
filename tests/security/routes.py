"""Every URL of the project, as concrete paths: the security tests cover new sections without edits.

`routes()` walks django.urls.get_resolver() (path() and simple re_path() patterns alike) and
`route_path()` fills each parameter with a value chosen by its name, so a test can GET or POST to
every view the console has, with real ids where it has them and harmless dummies elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve

DUMMY_ID = "00000000-0000-4000-8000-000000000000"
# Values for parameters no test provides: well-formed, but nothing has them.
DEFAULTS = {"kind": "volumes", "pk": "1", "key": "0" * 32, "app_label": "auth", "model": "user"}

_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)")
_REGEX_LEFTOVER = re.compile(r"[()\[\]\\*+?{}|]")


@dataclass(frozen=True)
class Route:
    pattern: str  # the whole pattern text, e.g. "volumes/<str:volume_id>/delete/"
    name: str  # "namespace:name", or the pattern when the URL has no name
    params: tuple[str, ...]
    callback: Callable


def _walk(patterns: list, prefix: str, namespace: str) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            text = prefix + str(entry.pattern)
            regex_params = tuple(m["name"] for m in _REGEX_GROUP.finditer(text))
            params = regex_params + tuple(
                m["name"] for m in _ROUTE_PARAM.finditer(_REGEX_GROUP.sub("", text))
            )
            name = f"{namespace}{entry.name}" if entry.name else text
            yield Route(pattern=text, name=name, params=params, callback=entry.callback)


def routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", ""))


def route_path(route: Route, values: Mapping[str, str] | None = None) -> str | None:
    """A concrete path for `route` (None when a regex is too clever to fill)."""
    values = {**DEFAULTS, **(values or {})}

    def value(name: str) -> str:
        return values.get(name, DUMMY_ID)

    def regex_group(match: re.Match) -> str:
        body = match["body"]
        if re.fullmatch(r"[\w|]+", body):
            return body.split("|")[0]
        return value(match["name"])

    text = _REGEX_GROUP.sub(regex_group, route.pattern).replace("^", "").replace("$", "")
    text = _ROUTE_PARAM.sub(lambda m: value(m["name"]), text)
    if _REGEX_LEFTOVER.search(text):
        return None
    path = "/" + text
    try:
        match = resolve(path)
    except Exception:
        return None
    return path if match.func == route.callback else None


def route_paths(values: Mapping[str, str] | None = None) -> list[tuple[Route, str]]:
    """(route, path) for every route that can be filled."""
    found = []
    for route in routes():
        path = route_path(route, values)
        if path is not None:
            found.append((route, path))
    return found
