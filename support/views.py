"""The support console: find any API call by its request id, see its story, export it for a ticket.

Staff only (support.view_apicall, given by the "Support staff" group; superusers have it too).
Everyone else gets the same plain 404 as for a page that does not exist. These pages read the
local request log and lifecycle events only: they never call the cloud.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone

from support import selectors
from support.forms import CallSearchForm

PERMISSION = "support.view_apicall"
SEARCH_KEYS = tuple(CallSearchForm.base_fields)


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """A 404 for anyone without the permission, whatever the method (not a login page, not a 403,
    no hint); then a 405 for staff sending anything but GET. None: go ahead."""
    if not request.user.has_perm(PERMISSION):
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return None


def _download(payload: dict[str, Any], filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(payload, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _search_query(request: HttpRequest) -> QueryDict:
    """The search's own fields from the query string (no page position, nothing else), for links."""
    query = QueryDict(mutable=True)
    for key in SEARCH_KEYS:
        if value := request.GET.get(key):
            query[key] = value
    return query


def search(request: HttpRequest) -> HttpResponse:
    """Search the request log; htmx requests get the search region only."""
    if refused := _refusal(request):
        return refused
    form = CallSearchForm(request.GET)
    page = None
    if form.is_valid():
        calls = selectors.api_call_search(filters=form.filters())
        page = selectors.api_call_page(
            calls=calls,
            before=selectors.cursor_decode(request.GET.get("before")),
            after=selectors.cursor_decode(request.GET.get("after")),
        )
        for call in page.calls:
            call.short_path = selectors.path_short(call.path)
    query = _search_query(request)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "searched": bool(query),
        "page_size": selectors.PAGE_SIZE,
        "export_cap": selectors.EXPORT_CAP,
    }
    if request.htmx and request.htmx.target == "support-search":
        return render(request, "support/_search.html", context)
    return render(request, "support/search.html", context)


def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One call: what it was, the console request that made it, and the lifecycle it touched."""
    if refused := _refusal(request):
        return refused
    call = selectors.api_call_get(pk=pk)
    if call is None:
        raise Http404
    siblings = selectors.api_call_siblings(call=call)
    for sibling in siblings:
        sibling.short_path = selectors.path_short(sibling.path)
    context = {
        "call": call,
        "siblings": siblings,
        "links": selectors.api_call_links(call=call),
        "timelines": selectors.api_call_timelines(call=call),
    }
    return render(request, "support/call.html", context)


def call_export(request: HttpRequest, pk: int) -> HttpResponse:
    """One call as JSON, with its console request and lifecycle: for a ticket."""
    if refused := _refusal(request):
        return refused
    call = selectors.api_call_get(pk=pk)
    if call is None:
        raise Http404
    payload = {
        "exported_at": timezone.now().isoformat(),
        "call": selectors.api_call_export_row(call),
        "console_request": [
            selectors.api_call_export_row(sibling) for sibling in selectors.api_call_siblings(call=call)
        ],
        "lifecycle": [
            {
                "resource_type": timeline.resource_type,
                "resource_id": timeline.resource_id,
                "events": selectors.lifecycle_export_rows(timeline.entries),
            }
            for timeline in selectors.api_call_timelines(call=call)
        ],
    }
    return _download(payload, selectors.export_filename(f"api-call-{call.request_id or call.pk}"))


def export(request: HttpRequest) -> HttpResponse:
    """The calls matching the search (newest first, at most EXPORT_CAP) as a JSON download."""
    if refused := _refusal(request):
        return refused
    form = CallSearchForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    rows, capped = selectors.api_call_export_rows(
        calls=selectors.api_call_search(filters=form.filters()), cap=selectors.EXPORT_CAP
    )
    now = timezone.now()
    payload = {
        "exported_at": now.isoformat(),
        "filters": {
            name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in form.cleaned_data.items()
            if value
        },
        "count": len(rows),
        "cap": selectors.EXPORT_CAP,
        "capped": capped,
        "note": (
            f"Only the newest {selectors.EXPORT_CAP} matching calls are included: "
            "narrow the search to export the rest."
            if capped
            else "Every matching call is included."
        ),
        "calls": rows,
    }
    return _download(payload, selectors.export_filename(f"api-calls-{now:%Y%m%dT%H%M%SZ}"))
