"""The snapshots section: list, detail, create from a volume, delete.

Plain function views. Listings come from the shared inventory (console.inventory); each mutation is
one API call followed by the inventory update, then a redirect (POST-redirect-GET). For htmx
requests the list and the detail page answer with the region that asked (`hx-target`).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from console import live
from console.api.context import CloudContext
from console.api.dialects import dialect_of
from console.api.errors import ApiError, NotFound, Unauthorized
from console.api.records import Backup, Snapshot
from console.ids import MAX_ID, id_is_plausible
from console.inventory import listing_get
from console.lists import page_of, sort_context
from console.quota import quota_usage
from console.session import cloud_context
from console.statuses import DELETED, status_info
from console.timeline import timeline_for
from snapshots import selectors, services
from snapshots.forms import SnapshotCreateForm, new_submission_key

STATUSES = ("creating", "available", "deleting", "error")
ALREADY_SENT = (
    "This form was already sent and is still being processed. Wait a moment, then look at the list."
)


def not_found(
    request: HttpRequest, *, kind: str, resource_id: str, ctx: CloudContext | None = None
) -> HttpResponse:
    """The 404 page of a snapshot or backup: its history when this project had it, else nothing."""
    resource_type = {"snapshots": "snapshot", "backups": "backup"}[kind]
    deleted = False
    if ctx is not None and len(resource_id) <= MAX_ID:
        deleted = (
            selectors.status_observed(ctx, resource_type=resource_type, resource_id=resource_id) == DELETED
        )
    context = {
        "kind": kind,
        "resource_type": resource_type,
        "resource_id": resource_id if deleted else "",
        "deleted": deleted,
        "list_url": reverse(f"{kind}:list"),
    }
    return render(request, "snapshots/gone.html", context, status=404)


def api_failure(request: HttpRequest, error: ApiError, *, title: str) -> HttpResponse:
    """A page that could not be built because the cloud failed: the error with its request id,
    answered 200: the console did not fail (no 5xx), and htmx swaps it into a live panel."""
    return render(request, "snapshots/failure.html", {"error": error, "title": title})


def _snapshot(request: HttpRequest, ctx: CloudContext, snapshot_id: str) -> Snapshot | HttpResponse:
    """The project's snapshot, or the page to answer with instead (404, or the API's failure)."""
    if not id_is_plausible(snapshot_id):  # no API call (and no NUL sent) for what is no id
        return not_found(request, kind="snapshots", resource_id=snapshot_id)
    listing = listing_get(ctx, "snapshots")
    if snapshot_id in listing.by_id:
        return listing.by_id[snapshot_id]
    observed = selectors.status_observed(ctx, resource_type="snapshot", resource_id=snapshot_id)
    if observed == DELETED:
        return not_found(request, kind="snapshots", resource_id=snapshot_id, ctx=ctx)
    try:
        return selectors.snapshot_find(ctx, snapshot_id=snapshot_id)
    except NotFound:
        return not_found(request, kind="snapshots", resource_id=snapshot_id, ctx=ctx)
    except ApiError as error:
        if isinstance(error, Unauthorized):
            raise  # the login ended: CloudSessionMiddleware sends the user to log in again
        return api_failure(request, error, title="Snapshot")


@login_required
@require_safe
def snapshot_list(request: HttpRequest) -> HttpResponse:
    ctx = cloud_context(request)
    listing = listing_get(ctx, "snapshots")
    volumes = listing_get(ctx, "volumes")
    status = request.GET.get("status", "")[:32]
    name = request.GET.get("q", "").strip()[:255]
    sort = request.GET.get("sort") or selectors.DEFAULT_SORT
    found = selectors.snapshot_filter(listing.items, status=status, name=name, sort=sort)
    page = page_of(found, request.GET.get("page"))
    rows = [
        {
            "snapshot": snapshot,
            "volume": volumes.by_id.get(snapshot.volume_id),
            "info": status_info(snapshot.status),
        }
        for snapshot in page
    ]
    context = {
        "rows": rows,
        "page": page,
        "total": len(listing.items),
        "matching": len(found),
        "status": status,
        "q": name,
        "sort": sort,
        **sort_context(sort, selectors.SORTS, selectors.DEFAULT_SORT),
        "statuses": sorted(set(STATUSES) | {s.status for s in listing.items if s.status}),
        "volumes_loaded": volumes.loaded,
        "error": selectors.listing_error(listing),
        "stale_failure": listing.failure if listing.loaded else None,
        "poller": live.poller_context("snapshots", {s.id: s.status for s in page}, listing=listing),
    }
    context["quota_blocked"] = quota_usage(ctx, "snapshot").blocked_reason
    if request.htmx and request.htmx.target == "snapshot-results":
        return render(request, "snapshots/_results.html", context)
    return render(request, "snapshots/list.html", context)


@login_required
@require_safe
def snapshot_detail(request: HttpRequest, snapshot_id: str) -> HttpResponse:
    ctx = cloud_context(request)
    found = _snapshot(request, ctx, snapshot_id)
    if isinstance(found, HttpResponse):
        return found
    listing = listing_get(ctx, "snapshots")
    # As the listing has it after this read (which may have refreshed it since the snapshot was
    # found): the badge, the facts, the poller and the timeline agree.
    snapshot = listing.by_id.get(found.id, found)
    volumes = listing_get(ctx, "volumes")
    volume = volumes.by_id.get(snapshot.volume_id)
    timeline = timeline_for(ctx, resource_type="snapshot", resource_id=snapshot.id)
    context = {
        "snapshot": snapshot,
        "info": status_info(snapshot.status),
        "volume": volume,
        "volume_info": status_info(volume.status) if volume else None,
        "volumes_loaded": volumes.loaded,
        "made_from": selectors.volumes_from_snapshot(snapshot_id=snapshot.id, volumes=volumes.items),
        "can_delete": snapshot.status in selectors.DELETABLE,
        "can_use": snapshot.status == "available",
        "use_url": "/volumes/create/?" + urlencode({"snapshot_id": snapshot.id}),
        "quota_blocked": quota_usage(ctx).blocked_reason,
        "timeline": timeline,
        "failed_while": selectors.failed_while(timeline),
        "poller": live.poller_context("snapshots", {snapshot.id: snapshot.status}, listing=listing),
    }
    if request.htmx and request.htmx.target == "snapshot-panel":
        return render(request, "snapshots/_detail_panel.html", context)
    return render(request, "snapshots/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def snapshot_create(request: HttpRequest) -> HttpResponse:
    ctx = cloud_context(request)
    volumes_listing = listing_get(ctx, "volumes")
    volumes = list(volumes_listing.items)
    chosen_id = request.POST.get("volume_id") or request.GET.get("volume_id") or ""
    if request.method == "GET" and chosen_id and chosen_id not in volumes_listing.by_id:
        # A volume id in the URL that the inventory does not list: another project's, unknown, or
        # brand new (then the API knows it).
        if not id_is_plausible(chosen_id):
            return not_found(request, kind="snapshots", resource_id="")
        try:
            volumes.insert(0, selectors.volume_find(ctx, volume_id=chosen_id))
        except NotFound:
            return render(request, "snapshots/volume_not_found.html", {"volume_id": chosen_id}, status=404)
        except ApiError as error:
            if isinstance(error, Unauthorized):
                raise  # the login ended: CloudSessionMiddleware sends the user to log in again
            return api_failure(request, error, title="Take a snapshot")
    quota = quota_usage(ctx, "snapshot")
    derived_limit = dialect_of(ctx).derived_limit
    snapshots = listing_get(ctx, "snapshots").items
    api_error = None
    earlier = services.submission_result(ctx, key=request.POST.get("submission", ""))
    if request.method == "POST" and earlier:
        messages.info(request, "This form was already submitted: here is the snapshot it created.")
        return redirect("snapshots:detail", snapshot_id=earlier)
    if request.method == "POST":
        form = SnapshotCreateForm(
            request.POST, volumes=volumes, snapshots=snapshots, quota=quota, derived_limit=derived_limit
        )
        if form.is_valid():
            data = form.cleaned_data
            key = data["submission"]
            earlier = services.submission_claim(ctx, key=key)
            if earlier == services.PENDING:
                form.add_error(None, ALREADY_SENT)
            elif earlier:
                messages.info(request, "This form was already submitted: here is the snapshot it created.")
                return redirect("snapshots:detail", snapshot_id=earlier)
            else:
                try:
                    snapshot = services.snapshot_create(
                        ctx,
                        volume_id=data["volume"].id,
                        name=data["name"],
                        description=data["description"],
                    )
                except ApiError as error:
                    services.submission_release(ctx, key=key)
                    if isinstance(error, Unauthorized):
                        raise  # the login ended: CloudSessionMiddleware sends the user to log in again
                    api_error = error
                else:
                    services.submission_complete(ctx, key=key, resource_id=snapshot.id)
                    messages.success(
                        request, f"Taking snapshot {snapshot.name} of volume {data['volume'].name}."
                    )
                    return redirect("snapshots:detail", snapshot_id=snapshot.id)
    else:
        form = SnapshotCreateForm(
            initial={"volume_id": chosen_id, "submission": new_submission_key()},
            volumes=volumes,
            snapshots=snapshots,
            quota=quota,
            derived_limit=derived_limit,
        )
    chosen = next((volume for volume in volumes if volume.id == chosen_id), None)
    after = quota.after(count=1, gigabytes=chosen.size) if chosen else None
    context = {
        "form": form,
        "api_error": api_error,
        "volumes_error": selectors.listing_error(volumes_listing),
        "chosen": chosen,
        "chosen_info": status_info(chosen.status) if chosen else None,
        # The seed's API caps what is made from one volume; without a cap there is nothing to count.
        "derived": (
            selectors.volume_derived(volume_id=chosen.id, snapshots=snapshots, volumes=volumes)
            if chosen and derived_limit
            else None
        ),
        "derived_limit": derived_limit,
        "quota": quota,
        "after": after,
    }
    if request.htmx and request.htmx.target == "snapshot-volume-info":
        return render(request, "snapshots/_volume_info.html", context)
    return render(request, "snapshots/create.html", context)


def confirm_delete(
    request: HttpRequest,
    *,
    record: Snapshot | Backup,
    noun: str,
    label: str,
    deletable: tuple[str, ...],
    delete: Callable[[], object],
    detail_url: str,
    page: Callable[[ApiError | None], HttpResponse],
) -> HttpResponse:
    """A snapshot's or backup's delete: the confirmation page (`page`, which explains what blocks the
    delete), and its POST, which sends the delete when the status allows it and goes to the detail
    page to follow it. The API's refusal is shown on the confirmation page; a 401 ends the login."""
    api_error = None
    if request.method == "POST":
        if record.status == "deleting":
            messages.info(request, f"{noun} {label} is already being deleted.")
            return redirect(detail_url)
        if record.status in deletable:
            try:
                delete()
            except ApiError as error:
                if isinstance(error, Unauthorized):
                    raise  # the login ended: CloudSessionMiddleware sends the user to log in again
                api_error = error
            else:
                messages.success(request, f"Deleting {noun.lower()} {label}.")
                return redirect(detail_url)
    return page(api_error)


@login_required
@require_http_methods(["GET", "POST"])
def snapshot_delete(request: HttpRequest, snapshot_id: str) -> HttpResponse:
    ctx = cloud_context(request)
    found = _snapshot(request, ctx, snapshot_id)
    if isinstance(found, HttpResponse):
        return found
    snapshot = found

    def page(api_error: ApiError | None) -> HttpResponse:
        volumes = listing_get(ctx, "volumes")
        context = {
            "snapshot": snapshot,
            "info": status_info(snapshot.status),
            "can_delete": snapshot.status in selectors.DELETABLE,
            "made_from": selectors.volumes_from_snapshot(snapshot_id=snapshot.id, volumes=volumes.items),
            "api_error": api_error,
        }
        return render(request, "snapshots/delete.html", context)

    return confirm_delete(
        request,
        record=snapshot,
        noun="Snapshot",
        label=snapshot.name,
        deletable=selectors.DELETABLE,
        delete=lambda: services.snapshot_delete(ctx, snapshot_id=snapshot.id),
        detail_url=reverse("snapshots:detail", args=[snapshot.id]),
        page=page,
    )
