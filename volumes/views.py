"""Pages of the volumes section: list, detail, create, edit, delete (one or many).

Plain function views. Each serves its full page and, for htmx requests aimed at one of its regions
(HX-Target), just that fragment. Every page works without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from console.api.dialects import Dialect, dialect_of
from console.api.errors import ApiError, NotFound, Unauthorized, status_error
from console.api.records import Volume
from console.ids import id_is_plausible
from console.inventory import Listing, listing_get, listing_invalidate
from console.live import poller_context
from console.quota import quota_usage
from console.session import cloud_context, is_read_only
from console.statuses import status_info
from console.timeline import timeline_for
from volumes import services
from volumes.forms import (
    VolumeCreateForm,
    VolumeEditForm,
    VolumeExtendForm,
    create_key_is_valid,
    edit_initial,
    image_minimum,
    metadata_rows_edited,
    new_create_key,
    parse_size,
)
from volumes.selectors import (
    DERIVED_MARGIN,
    MIN_SIZE,
    PAGE_SIZE,
    Lookups,
    VolumeQuery,
    lookups_from,
    volume_actions,
    volume_attached,
    volume_backups,
    volume_delete_blockers,
    volume_derived_count,
    volume_find,
    volume_list_filtered,
    volume_metadata_shown,
    volume_row,
    volume_snapshots,
    volume_source,
)

# Bulk delete takes at most a page of volumes (each costs one API call at 1 call/s).
BULK_MAX = PAGE_SIZE
BULK_RESULT_KEY = "volumes:bulk-delete-result"
# How long a listing may go without a refresh (budget refusals, no answer) before the page says so.
QUIET_FAILURE_SECONDS = 60.0


def _delete_rule(ctx) -> dict:
    """The statuses the cloud's dialect deletes a volume from, for volume_delete_blockers."""
    dialect = dialect_of(ctx)
    return {"deletable": dialect.deletable_volume_statuses, "deletable_rule": dialect.deletable_volume_rule}


def _htmx_target(request: HttpRequest) -> str:
    return (request.htmx.target or "") if request.htmx else ""


def _listing_error(listing: Listing) -> ApiError | None:
    """The last refresh failure of a listing, as an error the error component shows.

    A refresh that got no budget slot is not worth alarming anyone while the listing is less than a
    minute old: the next turn refreshes it (the page says how old its statuses are). It is shown once
    the listing has been stale for a while, or when there is nothing else to show. A cloud that did
    not answer (or could not be reached) is said at once.
    """
    failure = listing.failure
    if failure is None:
        return None
    quiet = failure.fault == "budgetExhausted"
    if quiet and listing.loaded and (listing.age() or 0.0) < QUIET_FAILURE_SECONDS:
        return None
    return failure.error()


# --- list -----------------------------------------------------------------------------------------


def _list_url(query: VolumeQuery, **changes: str) -> str:
    params = {
        "q": query.q,
        "status": query.status,
        "az": query.az,
        "source": query.source,
        "sort": query.sort_value,
    }
    params.update(changes)
    return "?" + urlencode({key: value for key, value in params.items() if value})


@login_required
@require_safe
def volume_list(request: HttpRequest) -> HttpResponse:
    ctx = cloud_context(request)
    query = VolumeQuery.from_params(request.GET)
    volumes = listing_get(ctx, "volumes")
    servers = listing_get(ctx, "servers")
    snapshots = listing_get(ctx, "snapshots")
    lookups = lookups_from(volumes=volumes, servers=servers, snapshots=snapshots, ctx=ctx)
    matching = volume_list_filtered(volumes=volumes, lookups=lookups, query=query)
    page = Paginator(matching, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [volume_row(volume, lookups) for volume in page.object_list]
    present = volumes.derived(
        "statuses present", lambda: frozenset(volume.status for volume in volumes.items)
    )
    statuses = sorted(present | ({query.status} - {""}))
    context = {
        "query": query,
        "rows": rows,
        "page": page,
        "sort_field": query.sort,
        "descending": query.direction == "desc",
        "sort_value": query.sort_value,
        "page_urls": {
            "previous": _list_url(query, page=str(page.previous_page_number()))
            if page.has_previous()
            else "",
            "next": _list_url(query, page=str(page.next_page_number())) if page.has_next() else "",
        },
        "total": len(volumes.items),
        "loaded": volumes.loaded,
        "error": _listing_error(volumes),
        "status_choices": [(status, status_info(status).label) for status in statuses],
        "zones": sorted({zone.name for zone in listing_get(ctx, "zones").items} | ({query.az} - {""})),
        "poller": poller_context(
            "volumes", {row.volume.id: row.volume.status for row in rows}, listing=volumes
        ),
        "age": volumes.age(),
        "bulk_max": BULK_MAX,
    }
    context["quota_blocked"] = quota_usage(ctx).blocked_reason
    if _htmx_target(request) == "volume-list":
        return render(request, "volumes/_list_region.html", context)
    return render(request, "volumes/list.html", context)


# --- detail ---------------------------------------------------------------------------------------


def _error_page(request: HttpRequest, error: ApiError, *, title: str) -> HttpResponse:
    """The cloud failed, not the console: the error with its request id, answered 200 (no 5xx, and
    htmx swaps it into a live panel)."""
    return render(request, "volumes/error.html", {"error": error, "title": title})


def _find_or_404(request: HttpRequest, volume_id: str) -> Volume:
    try:
        return volume_find(cloud_context(request), volume_id=volume_id)
    except NotFound:
        raise Http404("No such volume in this project and region.") from None


def _detail_context(request: HttpRequest, volume: Volume) -> dict:
    ctx = cloud_context(request)
    volumes = listing_get(ctx, "volumes")
    # This read may have refreshed the listing the volume was found in (its turn came now): the page
    # shows the volume as the listing has it now, so its badge, facts, poller and timeline agree.
    volume = volumes.by_id.get(volume.id, volume)
    servers = listing_get(ctx, "servers")
    snapshots = listing_get(ctx, "snapshots")
    backups = listing_get(ctx, "backups")
    lookups = lookups_from(volumes=volumes, servers=servers, snapshots=snapshots, ctx=ctx)
    own_snapshots = volume_snapshots(snapshots.items, volume_id=volume.id)
    attached = volume_attached(volume, lookups)
    derived = volume_derived_count(volume_id=volume.id, volumes=volumes.items, snapshots=snapshots.items)
    dialect = dialect_of(ctx)
    return {
        "volume": volume,
        "info": status_info(volume.status),
        "attached": attached,
        "attachments": [(a, server) for a, server in zip(volume.attachments, attached, strict=True)],
        "source": volume_source(volume, lookups),
        "snapshots": [(snapshot, status_info(snapshot.status)) for snapshot in own_snapshots],
        "backups": [
            (backup, status_info(backup.status))
            for backup in volume_backups(backups.items, volume_id=volume.id)
        ],
        "derived": volume_derived_count(
            volume_id=volume.id, volumes=volumes.items, snapshots=snapshots.items
        ),
        # The seed's API refuses the 11th volume or snapshot made from one volume; Cinder v3 has no such rule.
        "derived_limit": dialect.derived_limit,
        "derived_warning": bool(dialect.derived_limit) and derived >= dialect.derived_limit - DERIVED_MARGIN,
        "actions": volume_actions(
            volume,
            attached=attached,
            edit_url=reverse("volumes:edit", args=[volume.id]),
            delete_url=reverse("volumes:delete", args=[volume.id]),
            extend_url=reverse("volumes:extend", args=[volume.id]),
            has_snapshots=bool(own_snapshots),
            quota_blocked=quota_usage(ctx).blocked_reason,
            snapshot_quota_blocked=quota_usage(ctx, "snapshot").blocked_reason,
            extend_refusal=dialect.extend_refusal(ctx, volume),
            attach_refusal=dialect.attach_refusal(ctx),
            read_only=is_read_only(request),
            deletable=dialect.deletable_volume_statuses,
            deletable_rule=dialect.deletable_volume_rule,
        ),
        "timeline": timeline_for(ctx, resource_type="volume", resource_id=volume.id),
        "metadata": volume_metadata_shown(volume),
        "image_metadata": sorted(volume.image_metadata.items()),
        "listing_error": _listing_error(volumes),
    }


@login_required
@require_safe
def volume_detail(request: HttpRequest, volume_id: str) -> HttpResponse:
    fragment = _htmx_target(request) == "volume-live"
    try:
        volume = _find_or_404(request, volume_id)
    except Http404:
        if fragment:
            return render(request, "volumes/_detail_gone.html", {"volume_id": volume_id})
        raise
    except Unauthorized:
        raise
    except ApiError as error:
        return _error_page(request, error, title="Volume")
    context = _detail_context(request, volume)
    if fragment:
        return render(request, "volumes/_detail_live.html", context)
    volume = context["volume"]
    listing = listing_get(cloud_context(request), "volumes", refresh=False)  # the one the page shows
    context["poller"] = poller_context("volumes", {volume.id: volume.status}, listing=listing)
    return render(request, "volumes/detail.html", context)


# --- create ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateChoices:
    snapshots: Listing
    volumes: Listing
    images: Listing
    zones: Listing
    types: Listing
    dialect: Dialect


def _create_choices(request: HttpRequest) -> CreateChoices:
    ctx = cloud_context(request)
    return CreateChoices(
        snapshots=listing_get(ctx, "snapshots"),
        volumes=listing_get(ctx, "volumes"),
        images=listing_get(ctx, "images"),
        zones=listing_get(ctx, "zones"),
        types=listing_get(ctx, "types"),
        dialect=dialect_of(ctx),
    )


def _create_form(request: HttpRequest, choices: CreateChoices, data=None, initial=None) -> VolumeCreateForm:
    return VolumeCreateForm(
        data,
        snapshots=choices.snapshots.items,
        volumes=choices.volumes.items,
        images=choices.images.items,
        usage=quota_usage(cloud_context(request)),
        initial=initial,
        zones=choices.zones.items,
        types=choices.types.items,
        default_zone=choices.dialect.default_zone,
        max_size=choices.dialect.max_volume_size,
    )


def _create_checks(request: HttpRequest, choices: CreateChoices, values) -> dict:
    """The quota panel and the derived-resources warning for the form's current values."""
    usage = quota_usage(cloud_context(request))
    snapshot = choices.snapshots.by_id.get(values.get("snapshot_id", ""))
    source_volume = choices.volumes.by_id.get(values.get("source_volid", ""))
    image = choices.images.by_id.get(values.get("image_id", ""))
    minimum = 0
    if snapshot is not None:
        minimum = snapshot.size
    elif source_volume is not None:
        minimum = source_volume.size
    elif image is not None:
        minimum = image_minimum(image)
    try:
        size = parse_size(str(values.get("size", "")), choices.dialect.max_volume_size)
    except ValidationError:  # an unfinished size counts as the source's minimum
        size = minimum
    origin_id = snapshot.volume_id if snapshot else (source_volume.id if source_volume else "")
    derived = None
    limit = choices.dialect.derived_limit
    if origin_id and limit:
        count = volume_derived_count(
            volume_id=origin_id, volumes=choices.volumes.items, snapshots=choices.snapshots.items
        )
        if count >= limit - DERIVED_MARGIN:
            origin = choices.volumes.by_id.get(origin_id)
            derived = {
                "count": count,
                "limit": limit,
                "origin_id": origin_id,
                "origin_name": origin.name if origin else origin_id,
                "will_fail": count >= limit,
            }
    return {
        "usage": usage,
        "usage_after": usage.after(count=1, gigabytes=max(0, size)),
        "size_shown": max(0, size),
        "derived": derived,
    }


def _create_initial(request: HttpRequest, choices: CreateChoices) -> dict:
    """A fresh form's values: a new idempotency key, and a source preselected from the query."""
    initial: dict = {"create_key": new_create_key(), "size": MIN_SIZE}
    for field, listing in (
        ("snapshot_id", choices.snapshots),
        ("source_volid", choices.volumes),
        ("image_id", choices.images),
    ):
        value = request.GET.get(field, "")
        if value and id_is_plausible(value):
            initial[field] = value
            item = listing.by_id.get(value)
            if item is not None:
                initial["size"] = image_minimum(item) if field == "image_id" else item.size
                # A volume from a snapshot or a clone goes in its source's zone (the cloud's rule).
                origin = choices.volumes.by_id.get(item.volume_id) if field == "snapshot_id" else item
                if field != "image_id" and origin is not None and origin.availability_zone:
                    initial["availability_zone"] = origin.availability_zone
            break
    return initial


def _render_create(
    request: HttpRequest, form: VolumeCreateForm, choices: CreateChoices, *, error=None, status=200, notice=""
) -> HttpResponse:
    values = form.data if form.is_bound else {**form.initial}
    context = {
        "form": form,
        "error": error,
        "notice": notice,
        "listing_errors": [
            e
            for e in (
                _listing_error(choices.snapshots),
                _listing_error(choices.images),
                _listing_error(choices.zones),
                _listing_error(choices.types),
            )
            if e is not None
        ],
        **_create_checks(request, choices, values),
    }
    return render(request, "volumes/create.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def volume_create(request: HttpRequest) -> HttpResponse:
    choices = _create_choices(request)
    target = _htmx_target(request)
    if request.method == "GET":
        if target == "create-checks":
            context = _create_checks(request, choices, request.GET)
            return render(request, "volumes/_create_checks.html", context)
        form = _create_form(request, choices, initial=_create_initial(request, choices))
        return _render_create(request, form, choices)

    edited = metadata_rows_edited(request.POST)
    if edited is not None:
        # "Add row" / "Remove": show the form again with the rows changed; nothing is sent.
        form = _create_form(request, choices, initial=edited)
        if target == "metadata-rows":
            return render(request, "volumes/_metadata_rows.html", {"form": form})
        return _render_create(request, form, choices)

    form = _create_form(request, choices, data=request.POST)
    if not form.is_valid():
        return _render_create(request, form, choices, status=400)
    data = form.cleaned_data
    outcome = services.volume_create(
        cloud_context(request),
        key=data["create_key"],
        size=data["size"],
        availability_zone=data["availability_zone"],
        name=data["name"],
        description=data["description"],
        snapshot_id=data["snapshot_id"],
        source_volid=data["source_volid"],
        image_id=data["image_id"],
        metadata=data["metadata"],
        volume_type=data["volume_type"],
    )
    return _create_answer(request, outcome, form=form, choices=choices)


def _create_answer(
    request: HttpRequest,
    outcome: services.CreateOutcome,
    *,
    form: VolumeCreateForm | None,
    choices: CreateChoices | None,
    key: str = "",
) -> HttpResponse:
    if outcome.state == services.CREATED:
        detail = reverse("volumes:detail", args=[outcome.volume_id])
        if outcome.duplicate:
            messages.info(request, "That form was already submitted: this is the volume it created.")
        else:
            name = outcome.volume.name if outcome.volume else outcome.volume_id
            messages.success(request, f"Volume “{name}” is being created (request {outcome.request_id}).")
        return redirect(detail)
    if outcome.state == services.FAILED and form is not None and choices is not None:
        # Nothing was created. The form comes back with the values and a fresh key.
        again = _create_form(request, choices, initial={**form.data.dict(), "create_key": new_create_key()})
        notice = outcome.message or ("" if outcome.error else "That submission did not create a volume.")
        return _render_create(request, again, choices, error=outcome.error, status=400, notice=notice)
    key = key or (form.cleaned_data["create_key"] if form is not None else "")
    context = {"outcome": outcome, "key": key, "status_url": reverse("volumes:create_status", args=[key])}
    status = 200 if outcome.state == services.FAILED else 202
    return render(request, "volumes/create_status.html", context, status=status)


@login_required
@require_safe
def volume_create_status(request: HttpRequest, key: str) -> HttpResponse:
    """What became of a create form (after no answer, or while it is still running)."""
    if not create_key_is_valid(key):
        raise Http404("No such form.")
    outcome = services.volume_create_outcome(cloud_context(request), key=key)
    return _create_answer(request, outcome, form=None, choices=None, key=key)


# --- edit -----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def volume_edit(request: HttpRequest, volume_id: str) -> HttpResponse:
    try:
        volume = _find_or_404(request, volume_id)
    except Unauthorized:
        raise
    except Http404:
        raise
    except ApiError as error:
        return _error_page(request, error, title="Edit volume")
    error = None
    status = 200
    if request.method == "GET":
        form = VolumeEditForm(initial=edit_initial(volume))
    elif (edited := metadata_rows_edited(request.POST)) is not None:
        form = VolumeEditForm(initial=edited)
        if _htmx_target(request) == "metadata-rows":
            return render(request, "volumes/_metadata_rows.html", {"form": form})
    else:
        form = VolumeEditForm(request.POST)
        if form.is_valid():
            try:
                updated, request_id = services.volume_update(
                    cloud_context(request),
                    volume=volume,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    metadata=form.cleaned_data["metadata"],
                )
            except Unauthorized:
                raise
            except NotFound:
                raise Http404("No such volume in this project and region.") from None
            except ApiError as api_error:
                error, status = api_error, 400
            else:
                messages.success(request, f"Volume “{updated.name}” was saved (request {request_id}).")
                return redirect("volumes:detail", volume_id=volume.id)
        else:
            status = 400
    return render(
        request, "volumes/edit.html", {"form": form, "volume": volume, "error": error}, status=status
    )


# --- extend ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def volume_extend(request: HttpRequest, volume_id: str) -> HttpResponse:
    """Grow a volume (os-extend). Where the cloud cannot (the seed's API has no extend; a volume in
    use without the microversion or Compute for it), the page says why and offers no form."""
    try:
        volume = _find_or_404(request, volume_id)
    except Unauthorized:
        raise
    except Http404:
        raise
    except ApiError as error:
        return _error_page(request, error, title="Extend volume")
    ctx = cloud_context(request)
    dialect = dialect_of(ctx)
    refusal = dialect.extend_refusal(ctx, volume)
    usage = quota_usage(ctx)
    data = request.POST if request.method == "POST" else None
    form = VolumeExtendForm(
        data,
        volume=volume,
        usage=usage,
        max_size=dialect.max_volume_size,
        initial={"new_size": volume.size + 1},
    )
    error = None
    status = 200
    if request.method == "POST":
        if refusal:
            status = 409
        elif form.is_valid():
            new_size = form.cleaned_data["new_size"]
            try:
                request_id = services.volume_extend(ctx, volume=volume, new_size=new_size)
            except Unauthorized:
                raise
            except NotFound:
                raise Http404("No such volume in this project and region.") from None
            except ApiError as api_error:
                error, status = api_error, 400
            else:
                messages.success(
                    request,
                    f"Volume “{volume.name}” is being extended to {new_size} GB (request {request_id}).",
                )
                return redirect("volumes:detail", volume_id=volume.id)
        else:
            status = 400
    try:
        shown = int(form.data.get("new_size", "")) if form.is_bound else volume.size + 1
    except ValueError:
        shown = volume.size
    context = {
        "volume": volume,
        "info": status_info(volume.status),
        "form": form,
        "refusal": refusal,
        "error": error,
        "usage": usage,
        "usage_after": usage.after(gigabytes=max(0, shown - volume.size)),
    }
    return render(request, "volumes/extend.html", context, status=status)


# --- delete ---------------------------------------------------------------------------------------


def _stored_error(stored: dict, *, request_id: str) -> ApiError:
    """An API error kept in the session (as plain values) made whole again for the error component."""
    if stored["status"] is None:
        return ApiError(None, stored["message"], fault=stored["fault"], request_id=request_id)
    return status_error(
        stored["status"], stored["message"], fault=stored["fault"], request_id=request_id, retry_after=None
    )


@login_required
@require_http_methods(["GET", "POST"])
def volume_delete(request: HttpRequest, volume_id: str) -> HttpResponse:
    try:
        volume = _find_or_404(request, volume_id)
    except Unauthorized:
        raise
    except Http404:
        raise
    except ApiError as error:
        return _error_page(request, error, title="Delete volume")
    ctx = cloud_context(request)
    snapshots = volume_snapshots(listing_get(ctx, "snapshots").items, volume_id=volume.id)
    blockers = volume_delete_blockers(volume, has_snapshots=bool(snapshots), **_delete_rule(ctx))
    servers = {server.id: server.name for server in listing_get(ctx, "servers").items}
    attached = volume_attached(volume, Lookups(servers=servers, snapshots={}, volumes={}))
    error = None
    status = 200
    if request.method == "POST":
        if blockers:
            status = 409
        else:
            try:
                request_id = services.volume_delete(ctx, volume_id=volume.id)
            except Unauthorized:
                raise
            except NotFound as gone:
                # Deleted meanwhile (another tab or session): what was asked has happened; say so,
                # with the API's request id.
                listing_invalidate(ctx, "volumes")
                messages.info(
                    request, f"Volume “{volume.name}” was already deleted (request {gone.request_id})."
                )
                return redirect("volumes:list")
            except ApiError as api_error:
                error, status = api_error, 400
            else:
                messages.success(request, f"Volume “{volume.name}” is being deleted (request {request_id}).")
                return redirect("volumes:list")
    context = {
        "volume": volume,
        "info": status_info(volume.status),
        "blockers": blockers,
        "blocker_kinds": {blocker.kind for blocker in blockers},
        "snapshots": snapshots,
        "attached": attached,
        "error": error,
    }
    return render(request, "volumes/delete.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def volume_bulk_delete(request: HttpRequest) -> HttpResponse:
    """POST ids: the confirmation page. POST ids + confirm: delete, then GET: a result for each."""
    if request.method == "GET":
        results = request.session.pop(BULK_RESULT_KEY, None)
        if results is None:
            return redirect("volumes:list")
        for result in results:
            if result["error"] is not None:
                result["error"] = _stored_error(result["error"], request_id=result["request_id"])
        return render(request, "volumes/bulk_delete_result.html", {"results": results})
    ids = list(dict.fromkeys(i for i in request.POST.getlist("ids") if id_is_plausible(i)))
    if not ids:
        messages.warning(request, "Select the volumes to delete first.")
        return redirect("volumes:list")
    if len(ids) > BULK_MAX:
        messages.error(request, f"Delete at most {BULK_MAX} volumes at a time.")
        return redirect("volumes:list")
    ctx = cloud_context(request)
    if request.POST.get("confirm") != "yes":
        volumes = listing_get(ctx, "volumes")
        snapshots = listing_get(ctx, "snapshots")
        planned = []
        for volume_id in ids:
            volume = volumes.by_id.get(volume_id)
            if volume is None:
                planned.append({"id": volume_id, "name": volume_id, "volume": None, "blockers": []})
                continue
            has_snapshots = bool(volume_snapshots(snapshots.items, volume_id=volume_id))
            planned.append(
                {
                    "id": volume_id,
                    "name": volume.name,
                    "volume": volume,
                    "info": status_info(volume.status),
                    "blockers": volume_delete_blockers(
                        volume, has_snapshots=has_snapshots, **_delete_rule(ctx)
                    ),
                }
            )
        deletable = [item for item in planned if item["volume"] is not None and not item["blockers"]]
        return render(
            request, "volumes/bulk_delete_confirm.html", {"planned": planned, "deletable": deletable}
        )
    results = services.volume_delete_many(ctx, volume_ids=ids)
    deleted = sum(result.deleted for result in results)
    if deleted:
        messages.success(request, f"{deleted} of {len(results)} volumes are being deleted.")
    else:
        messages.warning(request, f"None of the {len(results)} volumes could be deleted.")
    request.session[BULK_RESULT_KEY] = [
        {
            "id": result.volume_id,
            "name": result.name,
            "deleted": result.deleted,
            "exists": result.exists,
            "reason": result.reason,
            "request_id": result.request_id,
            # An API refusal is shown again through the error component.
            "error": None
            if result.error is None
            else {
                "status": result.error.status,
                "message": result.error.message,
                "fault": result.error.fault,
            },
        }
        for result in results
    ]
    return redirect("volumes:bulk_delete")
