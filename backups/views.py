"""The backups section: list, detail, create from a volume, restore, delete.

Plain function views over the shared inventory; each mutation is one API call, the inventory
update, then a redirect. Pages show the backup's badge and its volumes' badges (backing-up,
restoring-backup) with one poller per kind; panels reload when a status changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from backups import selectors, services
from backups.forms import EXISTING, NEW, BackupCreateForm, BackupRestoreForm
from console import live
from console.api.context import CloudContext
from console.api.dialects import dialect_of
from console.api.errors import ApiError, NotFound, Unauthorized
from console.api.records import Backup
from console.ids import MAX_ID, id_is_plausible
from console.inventory import listing_get
from console.lists import page_of, sort_context
from console.quota import quota_usage
from console.session import cloud_context
from console.statuses import DELETED, status_info
from console.timeline import timeline_for
from snapshots import services as submissions
from snapshots.forms import new_submission_key
from snapshots.selectors import (
    failed_while,
    listing_error,
    status_observed,
    volume_find,
)
from snapshots.views import ALREADY_SENT, api_failure, confirm_delete, not_found

STATUSES = ("creating", "available", "restoring", "deleting", "error")


def _backup(request: HttpRequest, ctx: CloudContext, backup_id: str) -> Backup | HttpResponse:
    """The project's backup, or the page to answer with instead (404, or the API's failure)."""
    if not id_is_plausible(backup_id):  # no API call (and no NUL sent) for what is no id
        return not_found(request, kind="backups", resource_id=backup_id)
    listing = listing_get(ctx, "backups")
    if backup_id in listing.by_id:
        return listing.by_id[backup_id]
    if status_observed(ctx, resource_type="backup", resource_id=backup_id) == DELETED:
        return not_found(request, kind="backups", resource_id=backup_id, ctx=ctx)
    try:
        return selectors.backup_find(ctx, backup_id=backup_id)
    except NotFound:
        return not_found(request, kind="backups", resource_id=backup_id, ctx=ctx)
    except ApiError as error:
        if isinstance(error, Unauthorized):
            raise  # the login ended: CloudSessionMiddleware sends the user to log in again
        return api_failure(request, error, title="Backup")


def _durations(ctx: CloudContext, backups: Iterable[Backup]) -> dict[tuple[int, int], list[float]]:
    return selectors.backup_durations(ctx, sizes={b.id: b.size for b in backups if b.size is not None})


@login_required
@require_safe
def backup_list(request: HttpRequest) -> HttpResponse:
    ctx = cloud_context(request)
    listing = listing_get(ctx, "backups")
    volumes = listing_get(ctx, "volumes")
    status = request.GET.get("status", "")[:32]
    volume_id = request.GET.get("volume", "")[:MAX_ID]
    name = request.GET.get("q", "").strip()[:255]
    sort = request.GET.get("sort") or selectors.DEFAULT_SORT
    found = selectors.backup_filter(listing.items, status=status, volume_id=volume_id, name=name, sort=sort)
    page = page_of(found, request.GET.get("page"))
    durations = _durations(ctx, listing.items)
    rows = []
    for backup in page:
        creating = backup.status == "creating"
        rows.append(
            {
                "backup": backup,
                "volume": volumes.by_id.get(backup.volume_id),
                "info": status_info(backup.status),
                "running": selectors.running_for(backup) if creating else "",
                "running_seconds": selectors.running_seconds(backup) if creating else None,
                "typical": selectors.backup_typical(durations, size=backup.size) if creating else None,
            }
        )
    volume_ids = sorted({b.volume_id for b in listing.items if b.volume_id})
    context = {
        "rows": rows,
        "page": page,
        "total": len(listing.items),
        "matching": len(found),
        "status": status,
        "volume": volume_id,
        "q": name,
        **sort_context(sort, selectors.SORTS, selectors.DEFAULT_SORT),
        "statuses": sorted(set(STATUSES) | {b.status for b in listing.items if b.status}),
        "volume_choices": [(vid, volumes.by_id.get(vid)) for vid in volume_ids],
        "volumes_loaded": volumes.loaded,
        "error": listing_error(listing),
        "stale_failure": listing.failure if listing.loaded else None,
        "poller": live.poller_context("backups", {b.id: b.status for b in page}, listing=listing),
    }
    if request.htmx and request.htmx.target == "backup-results":
        return render(request, "backups/_results.html", context)
    return render(request, "backups/list.html", context)


@login_required
@require_safe
def backup_detail(request: HttpRequest, backup_id: str) -> HttpResponse:
    ctx = cloud_context(request)
    found = _backup(request, ctx, backup_id)
    if isinstance(found, HttpResponse):
        return found
    listing = listing_get(ctx, "backups")
    # As the listing has it after this read (which may have refreshed it since the backup was found):
    # the badge, the facts, the poller and the timeline agree.
    backup = listing.by_id.get(found.id, found)
    volumes = listing_get(ctx, "volumes")
    source = volumes.by_id.get(backup.volume_id)
    target_id = selectors.restored_into(ctx, backup_id=backup.id)
    target = volumes.by_id.get(target_id) if target_id else None
    followed = {volume.id: volume.status for volume in (source, target) if volume is not None}
    creating = backup.status == "creating"
    timeline = timeline_for(ctx, resource_type="backup", resource_id=backup.id)
    context = {
        "backup": backup,
        "info": status_info(backup.status),
        "source": source,
        "source_info": status_info(source.status) if source else None,
        "target_id": target_id,
        "target": target,
        "target_info": status_info(target.status) if target else None,
        "volumes_loaded": volumes.loaded,
        "can_restore": backup.status == "available",
        "can_delete": backup.status in selectors.DELETABLE,
        "running": selectors.running_for(backup) if creating else "",
        "running_seconds": selectors.running_seconds(backup) if creating else None,
        "typical": (
            selectors.backup_typical(_durations(ctx, listing.items), size=backup.size) if creating else None
        ),
        "timeline": timeline,
        "failed_while": failed_while(timeline),
        "poller": live.poller_context("backups", {backup.id: backup.status}, listing=listing),
        "volume_poller": live.poller_context("volumes", followed, listing=volumes),
    }
    if request.htmx and request.htmx.target == "backup-panel":
        return render(request, "backups/_detail_panel.html", context)
    return render(request, "backups/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def backup_create(request: HttpRequest) -> HttpResponse:
    ctx = cloud_context(request)
    volumes_listing = listing_get(ctx, "volumes")
    volumes = list(volumes_listing.items)
    chosen_id = request.POST.get("volume_id") or request.GET.get("volume_id") or ""
    if request.method == "GET" and chosen_id and chosen_id not in volumes_listing.by_id:
        if not id_is_plausible(chosen_id):
            return not_found(request, kind="backups", resource_id="")
        try:
            volumes.insert(0, volume_find(ctx, volume_id=chosen_id))
        except NotFound:
            return render(request, "snapshots/volume_not_found.html", {"volume_id": chosen_id}, status=404)
        except ApiError as error:
            if isinstance(error, Unauthorized):
                raise  # the login ended: CloudSessionMiddleware sends the user to log in again
            return api_failure(request, error, title="Back up a volume")
    api_error = None
    earlier = submissions.submission_result(ctx, key=request.POST.get("submission", ""))
    if request.method == "POST" and earlier:
        messages.info(request, "This form was already submitted: here is the backup it started.")
        return redirect("backups:detail", backup_id=earlier)
    if request.method == "POST":
        form = BackupCreateForm(request.POST, volumes=volumes, quota=quota_usage(ctx, "backup"))
        if form.is_valid():
            data = form.cleaned_data
            key = data["submission"]
            earlier = submissions.submission_claim(ctx, key=key)
            if earlier == submissions.PENDING:
                form.add_error(None, ALREADY_SENT)
            elif earlier:
                messages.info(request, "This form was already submitted: here is the backup it started.")
                return redirect("backups:detail", backup_id=earlier)
            else:
                try:
                    backup = services.backup_create(
                        ctx,
                        volume=data["volume"],
                        container=data["container"],
                        name=data["name"],
                        description=data["description"],
                    )
                except ApiError as error:
                    submissions.submission_release(ctx, key=key)
                    if isinstance(error, Unauthorized):
                        raise  # the login ended: CloudSessionMiddleware sends the user to log in again
                    api_error = error
                else:
                    submissions.submission_complete(ctx, key=key, resource_id=backup.id)
                    messages.success(
                        request,
                        f"Backing up volume {data['volume'].name}: it shows “Backing up” until the backup "
                        "is written.",
                    )
                    return redirect("backups:detail", backup_id=backup.id)
    else:
        form = BackupCreateForm(
            initial={
                "volume_id": chosen_id,
                "container": selectors.DEFAULT_CONTAINER,
                "submission": new_submission_key(),
            },
            volumes=volumes,
        )
    chosen = next((volume for volume in volumes if volume.id == chosen_id), None)
    context = {
        "form": form,
        "api_error": api_error,
        "volumes_error": listing_error(volumes_listing),
        "chosen": chosen,
        "chosen_info": status_info(chosen.status) if chosen else None,
    }
    if request.htmx and request.htmx.target == "backup-volume-info":
        return render(request, "backups/_volume_info.html", context)
    return render(request, "backups/create.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def backup_restore(request: HttpRequest, backup_id: str) -> HttpResponse:
    ctx = cloud_context(request)
    found = _backup(request, ctx, backup_id)
    if isinstance(found, HttpResponse):
        return found
    backup = found
    volumes = list(listing_get(ctx, "volumes").items)
    quota = quota_usage(ctx)  # a restore into a new volume makes a volume
    restore_zone = dialect_of(ctx).restore_zone
    api_error = None
    if request.method == "POST" and submissions.submission_result(
        ctx, key=request.POST.get("submission", "")
    ):
        messages.info(request, "This restore was already submitted: here is how it goes.")
        return redirect("backups:detail", backup_id=backup.id)
    if request.method == "POST" and backup.status == "available":
        form = BackupRestoreForm(request.POST, backup=backup, volumes=volumes, quota=quota)
        if form.is_valid():
            data = form.cleaned_data
            key = data["submission"]
            earlier = submissions.submission_claim(ctx, key=key)
            if earlier == submissions.PENDING:
                form.add_error(None, ALREADY_SENT)
            elif earlier:
                messages.info(request, "This restore was already submitted: here is how it goes.")
                return redirect("backups:detail", backup_id=backup.id)
            else:
                target = data.get("volume") if data["target"] == EXISTING else None
                try:
                    restore = services.backup_restore(ctx, backup=backup, volume=target)
                except ApiError as error:
                    submissions.submission_release(ctx, key=key)
                    if isinstance(error, Unauthorized):
                        raise  # the login ended: CloudSessionMiddleware sends the user to log in again
                    api_error = error
                else:
                    submissions.submission_complete(ctx, key=key, resource_id=restore.volume_id)
                    into = (
                        f"volume {target.name}"
                        if target
                        else "a new volume" + (f" in {restore_zone}" if restore_zone else "")
                    )
                    messages.success(request, f"Restoring backup {backup.label} into {into}.")
                    return redirect("backups:detail", backup_id=backup.id)
    else:
        chosen = request.GET.get("volume_id", "")
        form = BackupRestoreForm(
            initial={
                "target": EXISTING if chosen else NEW,
                "volume_id": chosen,
                "submission": new_submission_key(),
            },
            backup=backup,
            volumes=volumes,
            quota=quota,
        )
    targets = selectors.restore_targets(backup=backup, volumes=volumes)
    refused = [
        (volume, selectors.restore_refusal(backup=backup, volume=volume))
        for volume in volumes
        if volume not in targets
    ]
    context = {
        "backup": backup,
        "info": status_info(backup.status),
        "form": form,
        "api_error": api_error,
        "targets": targets,
        "refused": refused,
        "chosen_volume": form["volume_id"].value() or "",
        "chosen_target": form["target"].value() or NEW,
        "quota": quota,
        "after": quota.after(count=1, gigabytes=backup.size or 0),
        "NEW": NEW,
        "EXISTING": EXISTING,
        "restore_zone": restore_zone,
    }
    return render(request, "backups/restore.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def backup_delete(request: HttpRequest, backup_id: str) -> HttpResponse:
    ctx = cloud_context(request)
    found = _backup(request, ctx, backup_id)
    if isinstance(found, HttpResponse):
        return found
    backup = found

    def page(api_error: ApiError | None) -> HttpResponse:
        context = {
            "backup": backup,
            "info": status_info(backup.status),
            "can_delete": backup.status in selectors.DELETABLE,
            "restoring_into": selectors.restored_into(ctx, backup_id=backup.id)
            if backup.status == "restoring"
            else None,
            "api_error": api_error,
        }
        return render(request, "backups/delete.html", context)

    return confirm_delete(
        request,
        record=backup,
        noun="Backup",
        label=backup.label,
        deletable=selectors.DELETABLE,
        delete=lambda: services.backup_delete(ctx, backup_id=backup.id),
        detail_url=reverse("backups:detail", args=[backup.id]),
        page=page,
    )
