"""Security headers on every response, and the login throttle. See docs/security.md.

SecurityHeadersMiddleware is the outermost middleware, so every response gets the header set:
pages, redirects, static files served by WhiteNoise, CSRF refusals, 404 and 500 pages alike.

The login throttle counts failed logins per user name and per client address in the Django cache
(shared by every web process). Each attempt claims a "tally" before Identity is called: a cache key
taken with `cache.add`, which is atomic on every backend (Redis, the database cache, locmem), unlike
`cache.incr` on the database cache (a read and a write that also resets the key's expiry). A tally
expires `LOGIN_THROTTLE_WINDOW` seconds after its attempt, so the limit holds over any sliding
window. When all tallies of a user or an address are taken, the attempt is refused without calling
Identity. A successful login clears the user's tallies and returns its address tally; an attempt that
failed on the cloud's side (Identity down, 5xx) returns both, since the credentials were never judged.
The console's login view calls it; AdminLoginThrottleMiddleware does the same for the admin site's login.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import Resolver404, resolve, reverse
from django.utils.crypto import salted_hmac
from django.utils.html import format_html
from django.views.defaults import page_not_found

debug_log = logging.getLogger("console.debug")

THROTTLED = "Too many login attempts for this user or from this address. Try again in {wait}."
THROTTLED_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Too many login attempts</title>'
    '<link rel="stylesheet" href="{}"></head><body class="no-frame">'
    '<main class="content"><h1>Too many login attempts</h1><p class="alert alert--error">{}</p>'
    '<p><a href="{}">Back to the login page</a></p></main></body></html>'
)


def security_headers(*, debug_error_page: bool = False) -> dict[str, str]:
    """The header set every response carries.

    With DEBUG on, Django's technical 500 page uses inline styles and scripts: its policy is sent
    report-only, so a developer still sees a readable error page (and any violation in the console).
    (A 404 is the console's own page with DEBUG on too: DebugNotFoundMiddleware.)
    """
    policy_header = "Content-Security-Policy-Report-Only" if debug_error_page else "Content-Security-Policy"
    return {
        policy_header: settings.CONTENT_SECURITY_POLICY,
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": settings.SECURE_REFERRER_POLICY,
        "Permissions-Policy": settings.PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": settings.SECURE_CROSS_ORIGIN_OPENER_POLICY,
        "Cross-Origin-Resource-Policy": "same-origin",
    }


class SecurityHeadersMiddleware:
    """Put the security header set on every response (a header a view set itself is kept)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        debug_error_page = settings.DEBUG and response.status_code == 500
        for name, value in security_headers(debug_error_page=debug_error_page).items():
            response.headers.setdefault(name, value)
        return response


class DebugNotFoundMiddleware:
    """With DEBUG on (the default of `make run`), a 404 is the console's own "Not found" page, as in
    production, instead of Django's technical 404, which lists every URL pattern of the project.

    A page that does not exist says so and nothing more, whoever asks; the developer finds why in the
    log (no pattern matched, or the view's own reason). It sits inside CommonMiddleware, which still
    redirects /volumes to /volumes/, and after the user and messages are known (the page needs them).
    With DEBUG off it does nothing: handler404 already answers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DEBUG:
            try:
                resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return self.not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404):
            return self.not_found(request, exception)
        return None

    def not_found(self, request: HttpRequest, exception: Exception) -> HttpResponse:
        reason = "no URL pattern matches" if isinstance(exception, Resolver404) else str(exception)
        debug_log.info("Not found: %s (%s)", request.path_info[:300], reason[:300])
        return page_not_found(request, exception)


# --- Login throttle ------------------------------------------------------------------------------


def client_address(request: HttpRequest) -> str:
    """The address the throttle counts: REMOTE_ADDR, or the header your proxy sets.

    `LOGIN_THROTTLE_ADDRESS_HEADER` (a request.META key such as "HTTP_X_REAL_IP") is empty by default:
    a client can write any X-Forwarded-For it likes. Set it only behind a proxy that overwrites that
    header; the last comma-separated value (the one the nearest proxy added) is used. IPv6 addresses
    count per /64, the block one host usually has to itself.
    """
    header = settings.LOGIN_THROTTLE_ADDRESS_HEADER
    raw = request.META.get(header, "") if header else ""
    raw = raw.split(",")[-1].strip() or request.META.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64] or "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _tally_keys(scope: str, value: str, limit: int) -> list[str]:
    # Keyed by an HMAC: any user name (long, unicode, NUL) makes a valid cache key, and the cache
    # holds no user names.
    digest = salted_hmac("console.security.login-throttle", f"{scope}:{value}").hexdigest()
    return [f"login-throttle:{scope}:{digest}:{slot}" for slot in range(limit)]


def _tally_claim(keys: list[str]) -> tuple[str | None, float]:
    """Take a free tally: (its key, 0), or (None, seconds until the oldest tally expires)."""
    window = settings.LOGIN_THROTTLE_WINDOW
    now = time.time()
    taken = cache.get_many(keys)
    for key in keys:
        if key not in taken and cache.add(key, now + window, timeout=window):
            return key, 0.0
    expiries = [value for value in cache.get_many(keys).values() if isinstance(value, int | float)]
    return None, max(min(expiries, default=now + window) - now, 1.0)


def _minutes(seconds: float) -> str:
    minutes = max(math.ceil(seconds / 60), 1)
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


@dataclass
class LoginAttempt:
    """A login attempt that holds its tallies (or was refused: `refused`, `message`, `retry_after`)."""

    user_keys: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    retry_after: int = 0

    @property
    def refused(self) -> bool:
        return self.retry_after > 0

    @property
    def message(self) -> str:
        return THROTTLED.format(wait=_minutes(self.retry_after))

    def succeeded(self) -> None:
        """The credentials were right: the user's count starts again, the address gets its tally back."""
        cache.delete_many([*self.user_keys, *self.claims])

    def release(self) -> None:
        """The cloud failed before judging the credentials: this attempt does not count."""
        cache.delete_many(self.claims)


def login_attempt_begin(request: HttpRequest, *, username: str) -> LoginAttempt:
    """Count a login attempt before Identity is called; a refused attempt must not call Identity.

    User names are compared case-insensitively, so "Demo" and "demo" share one count.
    """
    user_keys = _tally_keys("user", username.strip().casefold(), settings.LOGIN_THROTTLE_PER_USER)
    address_keys = _tally_keys("address", client_address(request), settings.LOGIN_THROTTLE_PER_ADDRESS)
    user_claim, user_wait = _tally_claim(user_keys)
    if user_claim is None:
        return LoginAttempt(retry_after=math.ceil(user_wait))
    address_claim, address_wait = _tally_claim(address_keys)
    if address_claim is None:
        cache.delete(user_claim)
        return LoginAttempt(retry_after=math.ceil(address_wait))
    return LoginAttempt(user_keys=user_keys, claims=[user_claim, address_claim])


class AdminLoginThrottleMiddleware:
    """The admin site's login form (local staff accounts) counts against the same limits.

    It runs after CsrfViewMiddleware's check (process_view), so a post the CSRF check refuses never
    counts: another site cannot lock an account out through a visitor's browser.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        attempt = getattr(request, "admin_login_attempt", None)
        if attempt is not None and response.status_code == 302 and request.user.is_authenticated:
            attempt.succeeded()
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if request.method != "POST" or request.path_info != reverse("admin:login"):
            return None
        username = request.POST.get("username", "")
        if not username or not request.POST.get("password"):
            return None  # the form refuses it without checking any password
        attempt = login_attempt_begin(request, username=username[:255])
        if attempt.refused:
            page = format_html(THROTTLED_PAGE, static("console/console.css"), attempt.message, request.path)
            response = HttpResponse(page, status=429)
            response["Retry-After"] = str(attempt.retry_after)
            return response
        request.admin_login_attempt = attempt
        return None
