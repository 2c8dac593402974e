"""What every list page shares, so that they all work one way: sorting by column headers (one
`sort` parameter, "-" for descending: `?sort=-created`), searching by name or id, and the hidden
field that carries the chosen order through the next filter change.

Templates: components/sort_header.html (a sortable column header), components/sort_field.html (the
filter form's hidden `sort`, brought along out of band when a header swapped the list).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.core.paginator import Page, Paginator

# Rows per page of the snapshots, backups and servers lists (the volumes list shows 25: a page of
# volumes is also the most one bulk delete takes).
PAGE_SIZE = 20

# An id typed or pasted in part (lists show ids cut short) finds its resource from this many
# characters on; shorter text matches names only.
ID_PREFIX_MIN = 8

# key -> (column label, sort key of an item)
Sorts = Mapping[str, tuple[str, Callable[[Any], Any]]]


def sort_key(value: str | None, sorts: Mapping[str, Any], default: str) -> tuple[str, bool]:
    """(field, descending) of a sort parameter such as "-created"; unknown values sort by default."""
    value = value if value and value.lstrip("-") in sorts else default
    return value.lstrip("-"), value.startswith("-")


def sort_param(field: str, descending: bool) -> str:
    return f"-{field}" if descending else field


def sort_context(sort: str | None, sorts: Mapping[str, Any], default: str) -> dict:
    """What the sortable headers and the hidden sort field of a list need."""
    sort_field, descending = sort_key(sort, sorts, default)
    return {
        "sort_field": sort_field,
        "descending": descending,
        "sort_value": sort_param(sort_field, descending),
    }


def sorted_by(items: Iterable[Any], sort: str | None, sorts: Sorts, default: str) -> list[Any]:
    """`items` in the order a list page's sort parameter asks for (ties: by id, stable)."""
    field, descending = sort_key(sort, sorts, default)
    ordered = sorted(items, key=lambda item: str(getattr(item, "id", "")))
    return sorted(ordered, key=sorts[field][1], reverse=descending)


def page_of(items: Sequence[Any], number: str | None, *, size: int = PAGE_SIZE) -> Page:
    """One page of `items`; a bad or out-of-range page number gives the nearest page."""
    return Paginator(items, size).get_page(number)


def text_matches(text: str, *, name: str | None, resource_id: str) -> bool:
    """The search of every list: `text` within the name (any case), or the id, whole or its start
    (from ID_PREFIX_MIN characters on: the lists show ids cut short)."""
    text = text.strip().lower()
    if not text:
        return True
    if text in (name or "").lower():
        return True
    resource_id = resource_id.lower()
    return text == resource_id or (len(text) >= ID_PREFIX_MIN and resource_id.startswith(text))
