"""The page frame's views: the two logins, logout, the project and region switches (the overview is
console/overview.py)."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
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
from console.api.errors import ApiError, Forbidden, NotFound, Unauthorized
from console.api.records import Project
from console.forms import ApplicationCredentialForm, LoginForm, ProjectForm, RegionForm

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
APPLICATION_CREDENTIAL_REFUSED = (
    "That application credential was not accepted. Check its id and secret, and that it has not expired."
)
ACCOUNT_DISABLED = "This account may not use the console. Ask an administrator."
LOGIN_TEMPLATE = "registration/login.html"


@sensitive_post_parameters("password")
@sensitive_variables("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    """Log in through Identity with a user name, password and project (in their domains). GET
    touches no session, so anonymous visits create no session rows."""

    def log_in(data: dict, console_request_id: str) -> identity.AuthResult:
        return identity.authenticate(
            username=data["username"],
            password=data["password"],
            project=data["project"],
            user_domain=data["user_domain"],
            project_domain=data["project_domain"],
            console_request_id=console_request_id,
        )

    return _login(
        request,
        LoginForm,
        log_in,
        who=lambda data: data["username"],
        refused=CREDENTIALS_REFUSED,
        method="password",
        local=_support_login,
    )


@sensitive_variables("data")
def _support_login(request: HttpRequest, data: dict, attempt, next_url: str | None, context: dict):
    """Support staff with a console account (no cloud user) leave the project empty: their local
    account logs them in to the support pages. None: a cloud login, go on."""
    if data["project"]:
        return None
    user = support_account(request, username=data["username"], password=data["password"])
    if user is not None:
        attempt.succeeded()
        auth.login(request, user)  # cycles the session key
        return redirect(support_landing(next_url))
    form = context["form"]
    form.add_error(None, CREDENTIALS_REFUSED)
    form.add_error("project", PROJECT_NEEDED)
    return render(request, LOGIN_TEMPLATE, context)


@sensitive_post_parameters("secret")
@sensitive_variables("secret")
@csrf_protect
@never_cache
def login_application_credential(request: HttpRequest) -> HttpResponse:
    """Log in with an application credential (id and secret) instead of a password."""

    def log_in(data: dict, console_request_id: str) -> identity.AuthResult:
        return identity.authenticate_application_credential(
            credential_id=data["credential_id"], secret=data["secret"], console_request_id=console_request_id
        )

    return _login(
        request,
        ApplicationCredentialForm,
        log_in,
        who=lambda data: "appcred:" + data["credential_id"],
        refused=APPLICATION_CREDENTIAL_REFUSED,
        method="application_credential",
    )


@sensitive_variables("result")
def _login(
    request: HttpRequest,
    form_class: type[forms.Form],
    log_in: Callable[[dict, str], identity.AuthResult],
    *,
    who: Callable[[dict], str],
    refused: str,
    method: str,
    local: Callable[..., HttpResponse | None] | None = None,
) -> HttpResponse:
    next_url = session.safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "GET" and session.is_cloud_login(request):
        return redirect(next_url or "overview")
    api_error = None
    form = form_class(request.POST) if request.method == "POST" else form_class()
    context = {"form": form, "next": next_url, "api_error": None, "method": method}
    if request.method == "POST" and form.is_valid():
        # Counted before Identity is called: a throttled attempt costs no Identity call.
        attempt = security.login_attempt_begin(request, username=who(form.cleaned_data))
        if attempt.refused:
            form.add_error(None, attempt.message)
            response = render(request, LOGIN_TEMPLATE, context, status=429)
            response["Retry-After"] = str(attempt.retry_after)
            return response
        if local is not None and (answer := local(request, form.cleaned_data, attempt, next_url, context)):
            return answer
        try:
            result = log_in(form.cleaned_data, request.console_request_id)
        except (Unauthorized, Forbidden):
            # Never say which of them was wrong.
            form.add_error(None, refused)
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
    context["api_error"] = api_error
    return render(request, LOGIN_TEMPLATE, context)


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


PROJECTS_UNLISTED = (
    "This cloud's Identity service does not list your projects. To work in another project, log out and "
    "log in again with its name."
)
APPLICATION_CREDENTIAL_PROJECT = (
    "You logged in with an application credential, which belongs to one project. To work in another "
    "project, log in with that project's credential or with your password."
)


@login_required
@require_http_methods(["GET", "POST"])
def switch_project(request: HttpRequest) -> HttpResponse:
    """The project switcher: the user's projects (Identity's GET /auth/projects), and a switch that
    trades the token for one of the chosen project (no password asked again)."""
    login = session.cloud_login(request)
    if login is None:
        return redirect("login")
    ctx = session.cloud_context(request)
    context: dict = {"projects": [], "note": "", "api_error": None, "current": login["project_id"]}
    if login.get("method") == identity.APPLICATION_CREDENTIAL:
        context["note"] = APPLICATION_CREDENTIAL_PROJECT
        return render(request, "registration/project.html", context)
    try:
        projects = identity.project_list(ctx)
    except Unauthorized:
        raise  # the token has ended: log in again
    except NotFound:
        projects, context["note"] = [], PROJECTS_UNLISTED
    except ApiError as error:
        projects, context["api_error"] = [], error
    if projects and not any(project.id == login["project_id"] for project in projects):
        projects.insert(0, Project(login["project_id"], login["project_name"]))
    context["projects"] = projects
    form = ProjectForm(
        request.POST if request.method == "POST" else None,
        projects=[(project.id, project.name) for project in projects],
        initial={"project_id": login["project_id"]},
    )
    context["form"] = form
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, "That project is not one of yours.")
            return render(request, "registration/project.html", context, status=400)
        chosen = form.cleaned_data["project_id"]
        if chosen == login["project_id"]:
            return redirect("overview")
        try:
            result = identity.rescope(ctx, project_id=chosen)
        except (Unauthorized, Forbidden) as refused:
            # The cloud would not scope a token to that project: the current login is unharmed.
            context["api_error"] = refused
            return render(request, "registration/project.html", context, status=403)
        except ApiError as error:
            context["api_error"] = error
            return render(request, "registration/project.html", context)
        if result.user_id != login["user_id"]:
            return redirect("logout")  # another user's token: never mix two users in one session
        request.session.cycle_key()
        session.store_login(request, result, region=login["region"])
        messages.success(request, f"Now working in project {result.project_name}.")
        return redirect("overview")
    return render(request, "registration/project.html", context)


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
