"""The page frame's views: login, logout and the region switch (the overview is console/overview.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from console import security, session
from console.api import identity
from console.api.errors import ApiError, Forbidden, Unauthorized
from console.forms import LoginForm, RegionForm

# The sections whose pages show one region's resources (URL namespaces), and the query parameters
# that name a resource (a create form's source, a list's volume filter): neither exists elsewhere.
REGIONAL_SECTIONS = ("volumes", "snapshots", "backups", "attachments")
RESOURCE_PARAMETERS = (
    "volume_id",
    "snapshot_id",
    "source_volid",
    "image_id",
    "server_id",
    "volume",
    "source",
)

CREDENTIALS_REFUSED = "Those credentials were not accepted. Check the user name, password and project."
PROJECT_NEEDED = "Enter your project's name or id (only support staff with a console account leave it empty)."
SUPPORT_PERMISSION = "support.view_apicall"
ACCOUNT_DISABLED = "This account may not use the console. Ask an administrator."


@sensitive_post_parameters("password")
@sensitive_variables("password", "result")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    """Log in through Identity. GET touches no session, so anonymous visits create no session rows."""
    next_url = session.safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "GET" and session.is_cloud_login(request):
        return redirect(next_url or "overview")
    api_error = None
    if request.method == "POST":
        form = LoginForm(request.POST)
        if form.is_valid():
            # Counted before Identity is called: a throttled attempt costs no Identity call.
            attempt = security.login_attempt_begin(request, username=form.cleaned_data["username"])
            if attempt.refused:
                form.add_error(None, attempt.message)
                context = {"form": form, "next": next_url, "api_error": None}
                response = render(request, "registration/login.html", context, status=429)
                response["Retry-After"] = str(attempt.retry_after)
                return response
            password = form.cleaned_data["password"]
            if not form.cleaned_data["project"]:
                user = support_account(request, username=form.cleaned_data["username"], password=password)
                if user is not None:
                    attempt.succeeded()
                    auth.login(request, user)  # cycles the session key
                    return redirect(support_landing(next_url))
                form.add_error(None, CREDENTIALS_REFUSED)
                form.add_error("project", PROJECT_NEEDED)
                return render(request, "registration/login.html", {"form": form, "next": next_url})
            try:
                result = identity.authenticate(
                    username=form.cleaned_data["username"],
                    password=password,
                    project=form.cleaned_data["project"],
                    console_request_id=request.console_request_id,
                )
            except (Unauthorized, Forbidden):
                # Never say which of the three was wrong.
                form.add_error(None, CREDENTIALS_REFUSED)
            except ApiError as error:
                attempt.release()  # the cloud failed, the credentials were not judged
                api_error = error
            else:
                user = auth.authenticate(request, cloud_auth=result)
                if user is None:
                    form.add_error(None, ACCOUNT_DISABLED)
                else:
                    attempt.succeeded()
                    auth.login(request, user)  # cycles the session key
                    session.store_login(request, result)
                    return redirect(next_url or "overview")
    else:
        form = LoginForm()
    context = {"form": form, "next": next_url, "api_error": api_error}
    return render(request, "registration/login.html", context)


@sensitive_variables("password")
def support_account(request: HttpRequest, *, username: str, password: str):
    """The console account (made by an administrator, not a cloud user) of a member of the support
    staff with these credentials, else None. Other local accounts may not log in here."""
    user = auth.authenticate(request, username=username, password=password)
    if user is None or not user.has_perm(SUPPORT_PERMISSION):
        return None
    return user


def support_landing(next_url: str | None) -> str:
    """A console account sees the support pages only: `next` when it is one of them."""
    if next_url and next_url.startswith("/support/"):
        return next_url
    return "/support/"


@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """POST logs out. A visit (a typed or bookmarked /logout/) asks first: a GET changes nothing, so
    no link or image elsewhere can log anyone out."""
    if request.method == "GET":
        if not request.user.is_authenticated:
            return redirect("login")
        return render(request, "registration/logout.html")
    auth.logout(request)  # flushes the session: the token goes with it
    messages.info(request, "You have logged out.")
    return redirect("login")


@login_required
@require_POST
def switch_region(request: HttpRequest) -> HttpResponse:
    form = RegionForm(request.POST, regions=session.regions(request))
    next_url = session.safe_next(request, request.POST.get("next"))
    if form.is_valid():
        session.switch_region(request, form.cleaned_data["region"])
        messages.success(request, f"Now working in {form.cleaned_data['region']}.")
        next_url = region_landing(next_url) if next_url else None
    else:
        messages.error(request, "That region is not in your project's catalog.")
    return redirect(next_url or "overview")


def region_landing(url: str) -> str:
    """Where a region switch made on `url` lands: the same page when it exists in every region (a
    list, a create form, the overview), else the nearest one that does. A resource's pages (its id
    in the path) go to their section's list, and parameters naming a resource are left out: the
    other region has none of this one's resources."""
    path, _, query = url.partition("?")
    try:
        match = resolve(path)
    except Resolver404:
        return url
    if match.namespace not in REGIONAL_SECTIONS:
        return url
    if match.kwargs:
        return f"/{path.split('/')[1]}/"  # "/volumes/ID/edit/" -> "/volumes/"
    kept = QueryDict(query, mutable=True)
    for name in RESOURCE_PARAMETERS:
        kept.pop(name, None)
    return f"{path}?{kept.urlencode()}" if kept else path


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 (handler400): a form body over DATA_UPLOAD_MAX_MEMORY_SIZE or with more than
    DATA_UPLOAD_MAX_NUMBER_FIELDS fields says so, instead of a bare "Bad Request (400)". Rendered
    without the request, like 500.html: the request's body is what could not be read."""
    context = {
        "too_big": isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent),
        "max_megabytes": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024:g}",
        "max_fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
    }
    return HttpResponseBadRequest(render_to_string("400.html", context))
