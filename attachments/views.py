"""Servers and attachments: the project's servers, what is attached to each, attach and detach.

Every page reads the shared servers and volumes listings (no per-server API call); only attach and
detach call the API. Unknown ids, and ids of another project (which the project's listings do not
hold), are a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from attachments import services
from attachments.forms import ServerForVolumeForm, VolumeToServerForm
from attachments.selectors import (
    DEFAULT_SERVER_SORT,
    DETACHABLE_STATUSES,
    MAX_ATTACHED,
    SERVER_SORTS,
    ServersInventory,
    attachable_servers,
    attachable_volumes,
    server_rows_filtered,
    servers_inventory_get,
)
from console.api import Attachment
from console.api.dialects import dialect_of
from console.api.errors import ApiError, Unauthorized
from console.inventory import listing_get
from console.lists import page_of, sort_context
from console.live import poller_context
from console.session import cloud_context
from console.statuses import status_info

PANEL_ID = "attachments-panel"


def _unavailable(request: HttpRequest, inventory: ServersInventory, title: str) -> HttpResponse:
    """The page when the listings it needs could not be read at all (the API failing)."""
    return render(request, "attachments/unavailable.html", {"title": title, "error": inventory.error})


def _no_compute(request: HttpRequest, title: str) -> HttpResponse | None:
    """The page of a region whose catalog has no Compute: why servers cannot be shown or used, and
    what the Block Storage API says about the volumes' attachments. None when Compute is there."""
    ctx = cloud_context(request)
    refusal = dialect_of(ctx).attach_refusal(ctx)
    if not refusal:
        return None
    volumes = listing_get(ctx, "volumes")
    attached = [(volume, status_info(volume.status)) for volume in volumes.items if volume.attachments]
    context = {"title": title, "refusal": refusal, "attached": attached, "volumes_loaded": volumes.loaded}
    return render(request, "attachments/no_compute.html", context)


def _server_or_404(inventory: ServersInventory, server_id: str):
    server = inventory.server(server_id)
    if server is None:
        raise Http404("No such server in this project and region.")
    return server


@login_required
@require_safe
def server_list(request: HttpRequest) -> HttpResponse:
    """The servers, filtered and sorted like every list (console.lists); htmx asks for the results."""
    if (absent := _no_compute(request, "Servers")) is not None:
        return absent
    inventory = servers_inventory_get(ctx=cloud_context(request))
    if not inventory.servers.loaded:
        return _unavailable(request, inventory, "Servers")
    rows = inventory.all_server_attachments()
    q = request.GET.get("q", "").strip()[:255]
    status = request.GET.get("status", "").strip()[:32]
    zone = request.GET.get("zone", "").strip()[:32]
    sort = request.GET.get("sort") or DEFAULT_SERVER_SORT
    found = server_rows_filtered(rows, q=q, status=status, zone=zone, sort=sort)
    page = page_of(found, request.GET.get("page"))
    context = {
        "rows": list(page),
        "page": page,
        "total": len(rows),
        "matching": len(found),
        "q": q,
        "status": status,
        "zone": zone,
        "statuses": sorted({row.server.status for row in rows if row.server.status} | ({status} - {""})),
        "zones": sorted({row.server.availability_zone for row in rows if row.server.availability_zone}),
        **sort_context(sort, SERVER_SORTS, DEFAULT_SERVER_SORT),
        "error": inventory.error,
        "max_attached": MAX_ATTACHED,
        "volumes_loaded": inventory.volumes.loaded,
    }
    if request.htmx and request.htmx.target == "server-results":
        return render(request, "attachments/_server_results.html", context)
    return render(request, "attachments/server_list.html", context)


@login_required
@require_safe
def server_detail(request: HttpRequest, server_id: str) -> HttpResponse:
    if (absent := _no_compute(request, "Server")) is not None:
        return absent
    inventory = servers_inventory_get(ctx=cloud_context(request))
    if not inventory.loaded:
        return _unavailable(request, inventory, "Server")
    server = _server_or_404(inventory, server_id)
    row = inventory.server_attachments(server)
    context = {
        "server": server,
        "row": row,
        "error": inventory.error,
        "max_attached": MAX_ATTACHED,
        "panel_id": PANEL_ID,
        "poller": poller_context("volumes", row.statuses, listing=inventory.volumes),
    }
    if request.htmx and request.htmx.target == PANEL_ID:
        return render(request, "attachments/_attachments_panel.html", context)
    return render(request, "attachments/server_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def server_attach(request: HttpRequest, server_id: str) -> HttpResponse:
    """Attach a volume to this server: only available volumes in the server's zone are offered."""
    if (absent := _no_compute(request, "Attach a volume")) is not None:
        return absent
    ctx = cloud_context(request)
    inventory = servers_inventory_get(ctx=ctx)
    if not inventory.loaded:
        return _unavailable(request, inventory, "Attach a volume")
    server = _server_or_404(inventory, server_id)
    row = inventory.server_attachments(server)
    choices = attachable_volumes(inventory=inventory, server=server)
    data = request.POST if request.method == "POST" else None
    form = VolumeToServerForm(data, inventory=inventory, server=server, choices=choices)
    api_error = None
    if request.method == "POST" and form.is_valid():
        try:
            attachment = services.attachment_create(
                ctx=ctx, server=server, volume=form.volume, device=form.cleaned_data["device"]
            )
        except Unauthorized:
            raise
        except ApiError as error:
            api_error = error
        else:
            messages.success(request, _attached_message(form.volume.name, server.name, attachment.guest_path))
            return redirect("attachments:detail", server_id=server.id)
    context = {
        "mode": "server",
        "server": server,
        "row": row,
        "form": form,
        "has_choices": bool(choices),
        "api_error": api_error,
        "max_attached": MAX_ATTACHED,
    }
    return render(request, "attachments/attach.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def volume_attach(request: HttpRequest) -> HttpResponse:
    """Attach one volume (?volume_id=ID) to a server: only servers in the volume's zone are offered."""
    if (absent := _no_compute(request, "Attach a volume")) is not None:
        return absent
    ctx = cloud_context(request)
    inventory = servers_inventory_get(ctx=ctx)
    if not inventory.loaded:
        return _unavailable(request, inventory, "Attach a volume")
    volume_id = request.POST.get("volume_id") or request.GET.get("volume_id") or ""
    volume = inventory.volume(volume_id)
    if volume is None:
        raise Http404("No such volume in this project and region.")
    attachment = inventory.attachment_of(volume)
    attached_to = inventory.server(attachment.server_id) if attachment else None
    choices = attachable_servers(inventory=inventory, volume=volume)
    data = request.POST if request.method == "POST" else None
    form = ServerForVolumeForm(data, inventory=inventory, volume=volume, choices=choices)
    api_error = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.attachment_create(
                ctx=ctx, server=form.server, volume=volume, device=form.cleaned_data["device"]
            )
        except Unauthorized:
            raise
        except ApiError as error:
            api_error = error
        else:
            messages.success(request, _attached_message(volume.name, form.server.name, created.guest_path))
            return redirect("attachments:detail", server_id=form.server.id)
    same_zone = [s for s in inventory.servers.items if s.availability_zone == volume.availability_zone]
    full_servers = [s for s in same_zone if inventory.server_attachments(s).full]
    context = {
        "mode": "volume",
        "volume": volume,
        "volume_info": status_info(volume.status),
        "guest_path": Attachment(volume.id, "", volume.id, None).guest_path,
        "attached_to": attached_to,
        "form": form,
        "has_choices": bool(choices),
        "full_servers": full_servers,
        "api_error": api_error,
        "max_attached": MAX_ATTACHED,
    }
    return render(request, "attachments/attach.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def detach(request: HttpRequest, server_id: str, volume_id: str) -> HttpResponse:
    """Confirm, then detach. Explains why a detach is blocked (attaching, already detaching...).
    Only ever through Compute: detaching through Block Storage would leave the server using a volume
    it no longer has."""
    if (absent := _no_compute(request, "Detach a volume")) is not None:
        return absent
    ctx = cloud_context(request)
    inventory = servers_inventory_get(ctx=ctx)
    if not inventory.loaded:
        return _unavailable(request, inventory, "Detach a volume")
    server = _server_or_404(inventory, server_id)
    attached = next(
        (item for item in inventory.server_attachments(server).attached if item.volume.id == volume_id), None
    )
    if attached is None:
        if inventory.volume(volume_id) is None:
            raise Http404("No such volume in this project and region.")
        blocked = "This volume is not attached to this server."
    elif attached.volume.status not in DETACHABLE_STATUSES:
        blocked = _detach_blocked(attached.volume.status)
    else:
        blocked = ""
    volume = inventory.volume(volume_id)
    api_error = None
    if request.method == "POST" and not blocked:
        try:
            services.attachment_delete(ctx=ctx, server=server, volume=volume)
        except Unauthorized:
            raise
        except ApiError as error:  # e.g. 404: detached meanwhile, by another tab or tool
            api_error = error
        else:
            messages.success(request, f"Detaching {volume.name} from {server.name}.")
            return redirect("attachments:detail", server_id=server.id)
    context = {
        "server": server,
        "volume": volume,
        "attached": attached,
        "blocked": blocked,
        "api_error": api_error,
    }
    status = 409 if blocked and request.method == "POST" else 200
    return render(request, "attachments/detach.html", context, status=status)


def _attached_message(volume_name: str, server_name: str, guest_path: str) -> str:
    return (
        f"Attaching {volume_name} to {server_name}. Inside the guest it will appear as {guest_path} "
        "(use that path rather than the device name)."
    )


def _detach_blocked(status: str) -> str:
    if status == "attaching":
        return "The volume is still attaching. Wait until it is in use, then detach it."
    if status == "detaching":
        return "The volume is already being detached."
    if status == "error_attaching":
        return "The attach failed, so the volume is not attached: there is nothing to detach."
    return f"A volume can be detached only when it is in use (its status is {status})."
