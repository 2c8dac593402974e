"""The one way out: `request()` sends every call of console.api.

One requests.Session per process (connection pooling; re-made after a fork), explicit connect and
read timeouts on every call, the project's call budget before every Block Storage and Compute call,
one mapping of failures to typed errors (console.api.errors), bounded retries of reads only, and one
request-log row per call sent (support.recorder).
"""

from __future__ import annotations

import contextvars
import http.cookiejar
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils import timezone
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from console.api.budget import budget_acquire
from console.api.context import CloudContext
from console.api.errors import (
    ApiError,
    BudgetExhausted,
    ConnectionFailed,
    MalformedResponse,
    OverLimit,
    ServerError,
    Timeout,
    status_error,
)
from console.api.wire import DecodeError, WireFormat, body_format, fault_parse

log = logging.getLogger(__name__)

IDENTITY = "identity"
VOLUME = "volume"
COMPUTE = "compute"

REQUEST_ID_HEADERS = ("X-Compute-Request-Id", "X-Openstack-Request-Id")
USER_AGENT = "block-storage-console"
# First pause between two attempts of a read; it doubles with each attempt, up to API_RETRY_MAX_WAIT.
BACKOFF_SECONDS = 0.5

_session_lock = threading.Lock()
_session_state: tuple[int, requests.Session] | None = None
_captured: contextvars.ContextVar[tuple[list[str], ...]] = contextvars.ContextVar("captured", default=())


def _session() -> requests.Session:
    """This process's session (a forked worker makes its own: pooled sockets must not be shared)."""
    global _session_state
    state = _session_state
    if state is None or state[0] != os.getpid():
        with _session_lock:
            state = _session_state
            if state is None or state[0] != os.getpid():
                session = requests.Session()
                session.trust_env = False  # no proxies or .netrc credentials from the environment
                session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
                adapter = HTTPAdapter(pool_connections=8, pool_maxsize=32, max_retries=0)
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                state = _session_state = (os.getpid(), session)
    return state[1]


@contextmanager
def capture_request_ids() -> Iterator[list[str]]:
    """Collect the X-Compute-Request-Id of every call made inside the block (in order)."""
    ids: list[str] = []
    token = _captured.set((*_captured.get(), ids))
    try:
        yield ids
    finally:
        _captured.reset(token)


@dataclass(frozen=True)
class Reply:
    status: int
    request_id: str
    headers: CaseInsensitiveDict
    data: Any  # what `decode` made of the body; None without a decoder


Decoder = Callable[[WireFormat, bytes], Any]


def request(
    ctx: CloudContext,
    *,
    service: str,
    method: str,
    url: str,
    fmt: WireFormat,
    body: bytes | None = None,
    decode: Decoder | None = None,
) -> Reply:
    """Send one API call (with its retries) and return the decoded reply.

    A read is retried on connection errors, 5xx and 413. A write is retried only when the API
    refused it unprocessed, by its rate limit (a 413 with a retry delay): sending it again cannot
    make anything twice. Any other failure of a write is never retried blindly.

    Raises an ApiError subclass: the fault of an error status, Timeout, ConnectionFailed,
    MalformedResponse, or BudgetExhausted (nothing was sent).
    """
    attempts = 1 + max(0, int(settings.API_READ_RETRIES))
    attempt = 1
    last_error: ApiError | None = None
    while True:
        if service != IDENTITY:
            try:
                budget_acquire(project_id=ctx.project_id, priority=ctx.priority)
            except BudgetExhausted:
                if last_error is None:
                    raise
                raise last_error from None  # a retry found no turn: report what went wrong before
        try:
            return _send(
                ctx,
                service=service,
                method=method,
                url=url,
                fmt=fmt,
                body=body,
                decode=decode,
                attempt=attempt,
            )
        except (ConnectionFailed, ServerError, OverLimit) as failed:
            pause = _retry_pause(failed, attempt)
            if attempt == attempts or pause is None or not (method == "GET" or _rate_limited(failed)):
                raise
            last_error = failed
        log.info("retrying %s %s in %.1f s after %r", method, _path(url), pause, last_error)
        time.sleep(pause)
        attempt += 1


def _rate_limited(error: ApiError) -> bool:
    """A rate-limit refusal (413 with a delay to wait), as opposed to a quota refusal (retryAfter 0).

    The console paces itself to the limit, so this is rare: network jitter or a load spike that
    delayed one call until it came too close to the next."""
    return isinstance(error, OverLimit) and bool(error.retry_after)


def _retry_pause(error: ApiError, attempt: int) -> float | None:
    """Seconds to wait before the next attempt of a read, or None when retrying cannot help."""
    cap = float(settings.API_RETRY_MAX_WAIT)
    pause = min(cap, BACKOFF_SECONDS * 2 ** (attempt - 1))
    if isinstance(error, OverLimit):
        if error.retry_after is not None and error.retry_after > cap:
            return None  # the cloud asks for more patience than a person waiting has
        pause = max(pause, error.retry_after or 0.0)
    return pause


def _path(url: str) -> str:
    return urlsplit(url).path


def _request_id(response: requests.Response) -> str:
    for name in REQUEST_ID_HEADERS:
        if value := response.headers.get(name):
            return value
    return ""


def _send(
    ctx: CloudContext,
    *,
    service: str,
    method: str,
    url: str,
    fmt: WireFormat,
    body: bytes | None,
    decode: Decoder | None,
    attempt: int,
) -> Reply:
    headers = {"Accept": fmt.media_type, "User-Agent": USER_AGENT}
    if body is not None:
        headers["Content-Type"] = fmt.media_type
    if ctx.token:
        headers["X-Auth-Token"] = ctx.token
    created_at = timezone.now()
    started = time.monotonic()
    response: requests.Response | None = None
    request_id = ""
    error: ApiError | None = None
    data: Any = None
    try:
        response = _session().request(
            method,
            url,
            data=body,
            headers=headers,
            timeout=(float(settings.API_CONNECT_TIMEOUT), float(settings.API_READ_TIMEOUT)),
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        log.info("%s %s failed: %r", method, _path(url), exc)
        error = _transport_error(exc)
    duration_ms = round((time.monotonic() - started) * 1000)
    if response is not None:
        request_id = _request_id(response)
        if request_id:
            for ids in _captured.get():
                ids.append(request_id)
        if response.status_code >= 400:
            error = _fault_error(response, request_id)
        elif decode is not None:
            try:
                data = decode(body_format(response.content, fmt), response.content)
            except DecodeError as exc:
                log.warning("%s %s: undecodable answer (%s), request %s", method, _path(url), exc, request_id)
                error = MalformedResponse(
                    response.status_code,
                    "The cloud answered something the console cannot read.",
                    fault="malformedResponse",
                    request_id=request_id,
                )
    _record(
        ctx,
        service=service,
        method=method,
        url=url,
        created_at=created_at,
        duration_ms=duration_ms,
        attempt=attempt,
        status=None if response is None else response.status_code,
        request_id=request_id,
        error=error,
        data=data,
    )
    if error is not None:
        raise error
    assert response is not None  # noqa: S101 - no error means a response came back
    return Reply(status=response.status_code, request_id=request_id, headers=response.headers, data=data)


def probe(url: str, *, timeout: float) -> int:
    """GET `url` and return the HTTP status: a reachability check (e.g. /healthz), not an API call,
    so no token, no budget slot and no request-log row. Raises Timeout or ConnectionFailed."""
    try:
        response = _session().get(url, timeout=(timeout, timeout), allow_redirects=False)
    except requests.RequestException as exc:
        raise _transport_error(exc) from None
    response.close()
    return response.status_code


def _transport_error(exc: requests.RequestException) -> ApiError:
    """The typed error of a call that got no HTTP answer."""
    if isinstance(exc, requests.Timeout):
        return Timeout(None, "The cloud did not answer in time.", fault="timeout")
    return ConnectionFailed(None, "The cloud could not be reached.", fault="connectionFailed")


def _fault_error(response: requests.Response, request_id: str) -> ApiError:
    fault = fault_parse(response.content)
    message = (fault.message if fault else "") or f"{response.status_code} {response.reason or 'Error'}"
    retry_after = fault.retry_after if fault else None
    if retry_after is None:
        try:
            retry_after = float(response.headers.get("Retry-After", ""))
        except ValueError:
            retry_after = None
    return status_error(
        response.status_code,
        message,
        fault=fault.name if fault else "",
        request_id=request_id,
        retry_after=retry_after,
    )


def _record(
    ctx: CloudContext,
    *,
    service: str,
    method: str,
    url: str,
    created_at: Any,
    duration_ms: int,
    attempt: int,
    status: int | None,
    request_id: str,
    error: ApiError | None,
    data: Any,
) -> None:
    # Imported here: console.api is imported by modules that load before the app registry is ready.
    from support.recorder import api_call_record

    api_call_record(
        created_at=created_at,
        request_id=request_id,
        console_request_id=ctx.console_request_id,
        # A login's answer (identity.AuthResult) names who logged in, which its caller did not know.
        user_id=ctx.user_id or str(getattr(data, "user_id", "")),
        user_name=ctx.user_name,
        project_id=ctx.project_id or str(getattr(data, "project_id", "")),
        project_name=ctx.project_name or str(getattr(data, "project_name", "")),
        region=ctx.region,
        service=service,
        method=method,
        path=_path(url),
        status=status,
        duration_ms=duration_ms,
        attempt=attempt,
        priority=ctx.priority.value,
        fault=error.fault if error else "",
        message=error.message if error else "",
        created_id=str(getattr(data, "id", "")) if method == "POST" else "",
    )
