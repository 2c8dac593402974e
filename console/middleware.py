"""The console's own middleware: request ids, the cloud session, private pages not cached."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect

from console import session
from console.api.errors import Unauthorized
from console.redact import secret_note, secrets_forget

SESSION_ENDED = "Your session with the cloud has ended. Please log in again."


class RequestIdMiddleware:
    """Give every console request an id: `request.console_request_id` and the X-Request-Id header.

    The id travels with every API call the request causes (CloudContext.console_request_id), so the
    request log ties each outbound call to the page that made it. An incoming X-Request-Id is not
    trusted: the id is always ours.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.console_request_id = uuid.uuid4().hex
        # Secrets noted while serving the previous request of this thread are forgotten; this one's
        # session key is hidden from any error page or log line it causes (console.redact).
        secrets_forget()
        secret_note(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
        response = self.get_response(request)
        response["X-Request-Id"] = request.console_request_id
        return response


class CloudSessionMiddleware:
    """Keep the Django login and the cloud token together.

    - A login whose token has passed its expiry is logged out before the view runs, so no call is
      made with a token the cloud would refuse.
    - A 401 from the API (token expired early or revoked) does the same from `process_exception`.
      Either way the user lands on the login page with a message and `next` pointing back at the
      page they were on (an HX-Redirect header for htmx requests).
    - Responses to logged-in users are private and never stored, so the back button after logging
      out shows nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if session.is_cloud_login(request) and session.token_expired(request):
            response = self.end_session(request)
        else:
            response = self.get_response(request)
        if request.user.is_authenticated or getattr(request, "cloud_session_ended", False):
            patch_cache_control(response, private=True, no_cache=True, no_store=True, max_age=0)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Unauthorized):
            return self.end_session(request)
        return None

    def end_session(self, request: HttpRequest) -> HttpResponse:
        next_url = self.page_to_come_back_to(request)
        logout(request)
        request.cloud_session_ended = True
        messages.warning(request, SESSION_ENDED)
        login_redirect = redirect_to_login(next_url)
        if request.htmx:
            return HttpResponseClientRedirect(login_redirect["Location"])
        return login_redirect

    def page_to_come_back_to(self, request: HttpRequest) -> str:
        if request.htmx:
            # The page the user sees, not the URL of the fragment it asked for.
            try:
                candidate = request.htmx.current_url_abs_path or ""
            except ValueError:  # an HX-Current-URL no browser sends, such as "http://[::1"
                candidate = ""
        elif request.method == "GET":
            candidate = request.get_full_path()
        else:
            # A form was posted: go back to the page that showed the form.
            candidate = request.headers.get("Referer", "")
        next_url = session.safe_next(request, candidate) or "/"
        # Back to "Log out?" after logging in again would be a strange welcome.
        return "/" if next_url.startswith(reverse("logout")) else next_url


class MethodNotAllowedPageMiddleware:
    """A 405 (a view that takes only some methods, e.g. GET /region/) gets a page that says so
    instead of Django's empty body. The status and the Allow header stay."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or request.htmx:
            return response
        allowed = response.get("Allow", "")
        # The region switcher of this page leads to the overview, not back to this address.
        context = {"allowed": allowed.replace(", ", " or "), "region_next": "/"}
        page = render(request, "405.html", context, status=405)
        page["Allow"] = allowed
        return page
