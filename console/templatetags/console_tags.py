"""Template tags of the page frame: the one error component, and what every list shares."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.http import QueryDict
from django.utils import timezone
from django.utils.timesince import timesince

from console.api.errors import (
    ApiError,
    BadRequest,
    BudgetExhausted,
    CallsWaiting,
    CatalogError,
    ConnectionFailed,
    Forbidden,
    HostNotAllowed,
    MalformedResponse,
    NotFound,
    OverLimit,
    ServerError,
    ServiceUnavailable,
    Timeout,
    Unauthorized,
)

register = template.Library()

CONTACT_SUPPORT = "Try again in a moment. If it keeps happening, contact support and quote the id below."


def explain(error: ApiError) -> tuple[str, str]:
    """(what went wrong, what to do next) in plain words, by the kind of error."""
    if isinstance(error, CallsWaiting):
        return (
            "You have calls waiting: this one was not sent.",
            "The console takes your project's calls to the cloud one at a time (its limit is 1 per "
            "second) and gives everyone working in the project a fair turn. Wait until your other "
            "request has finished, then try again: nothing you entered is lost.",
        )
    if isinstance(error, BudgetExhausted):
        return (
            "The console is busy with other calls for this project.",
            "The console paces its calls to the API's limit of 1 per second. Try again in a moment.",
        )
    if isinstance(error, HostNotAllowed):
        return (
            "The cloud pointed the console at a host your login may not be sent to.",
            "Nothing was sent there. Tell the console's operator (the setting API_TOKEN_HOSTS names the "
            "hosts allowed), quoting the id below.",
        )
    if isinstance(error, CatalogError):
        return (
            "The cloud accepted your login, but the console cannot work with this project.",
            "Ask your cloud administrator to enable Block Storage for the project, quoting the id below.",
        )
    if isinstance(error, OverLimit):
        # A quota refusal carries "retryAfter": 0 (spec 4.5.2); only a wait > 0 means "slow down".
        if error.retry_after:
            return ("The cloud asked the console to slow down.", "Wait a moment and try again.")
        return (
            "This would go over your project's quota.",
            "Free some space (delete volumes, snapshots or backups you no longer need) "
            "or ask for more quota.",
        )
    if isinstance(error, NotFound):
        return (
            "The cloud could not find what you asked for.",
            "It may have been deleted. Go back to the list and refresh it.",
        )
    if isinstance(error, Unauthorized):
        return ("The cloud did not accept your login.", "Log in again.")
    if isinstance(error, Forbidden):
        return (
            "Your account may not do this.",
            "Ask your project's administrator for access if you need it.",
        )
    if isinstance(error, BadRequest):
        return ("The cloud refused the request.", "Check the values you entered and try again.")
    if isinstance(error, Timeout):
        return ("The cloud took too long to answer.", CONTACT_SUPPORT)
    if isinstance(error, ConnectionFailed):
        return ("The console could not reach the cloud.", CONTACT_SUPPORT)
    if isinstance(error, ServiceUnavailable | ServerError | MalformedResponse):
        return ("The cloud had a problem with this request.", CONTACT_SUPPORT)
    return ("Something went wrong talking to the cloud.", CONTACT_SUPPORT)


@register.inclusion_tag("components/api_error.html", takes_context=True)
def api_error(context: template.Context, error: ApiError) -> dict[str, str]:
    """Render an API error: `{% api_error error %}`.

    Shows the API's request id (X-Compute-Request-Id) when the cloud answered, else the console's
    own request id, which the request log also records.
    """
    title, next_step = explain(error)
    request = context.get("request")
    if error.request_id:
        request_id, id_label = error.request_id, "Request id"
    else:
        request_id, id_label = getattr(request, "console_request_id", ""), "Console request id"
    return {
        "title": title,
        "message": error.message,
        "next_step": next_step,
        "request_id": request_id,
        "id_label": id_label,
    }


@register.simple_tag(takes_context=True)
def sort_query(context: template.Context, field: str, first_desc: bool = False) -> str:
    """The query string a sortable header links to (components/sort_header.html): the current one
    with `sort` set and the page left out. The current column flips its order; another column sorts
    ascending, or descending first when `first_desc` (newest first for dates)."""
    current = context.get("sort_field") == field
    descending = not context.get("descending") if current else bool(first_desc)
    request = context.get("request")
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    query.pop("page", None)
    query.pop("dir", None)  # the volumes list's former direction parameter
    query["sort"] = f"-{field}" if descending else field
    return "?" + query.urlencode()


@register.inclusion_tag("components/breadcrumbs.html")
def breadcrumbs(*parts: str) -> dict:
    """The one breadcrumb trail: `{% breadcrumbs "Volumes" "/volumes/" volume.name volume_url "Edit" %}`,
    (label, URL) pairs up the way, then this page's own label (never a link, never a trailing "/")."""
    if len(parts) % 2 == 0:
        raise template.TemplateSyntaxError("breadcrumbs takes (label, url) pairs and then the page's label")
    trail = [(parts[index], parts[index + 1]) for index in range(0, len(parts) - 1, 2)]
    return {"trail": trail, "current": parts[-1]}


@register.inclusion_tag("components/when.html")
def when(value: datetime | None, seconds: bool = False) -> dict:
    """A moment as every page shows it, `{% when volume.created_at %}`: the date and time with its
    zone, and how long ago ("2026-05-01 14:03 UTC (5 minutes ago)"); `seconds=True` for a timeline.
    None (the API gave no date) is a dash."""
    if value is None:
        return {"value": None}
    elapsed = (timezone.now() - value).total_seconds()
    ago = "just now" if elapsed < 60 else f"{timesince(value, depth=1)} ago"
    return {"value": value, "format": "Y-m-d H:i:s" if seconds else "Y-m-d H:i", "ago": ago}
