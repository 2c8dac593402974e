"""The one way out: `request()` sends every call of console.api.

One requests.Session per process (connection pooling; re-made after a fork), explicit connect and
read timeouts on every call, the project's call budget before every Block Storage and Compute call,
one mapping of failures to typed errors (console.api.errors), bounded retries of reads only, and one
request-log row per call sent (support.recorder).

Every call is bounded, whatever the cloud does:
- in time: the call, its retries and their pauses included, ends by API_CALL_DEADLINE (or by the
  tighter deadline of an enclosing `call_deadline()` block). Socket timeouts alone cannot promise that
  (a server that sends one byte a second never trips a read timeout), so a `_Cutoff` shuts the call's
  socket down at the deadline, which ends any read blocked on it;
- in size: the body is streamed and counted after decompression; past API_MAX_RESPONSE_BYTES the call
  is refused (ResponseTooLarge) and the connection dropped, so a gzip bomb never unpacks.
"""

from __future__ import annotations

import contextvars
import http.cookiejar
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from django.conf import settings
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from console.api.budget import Party, budget_acquire, budget_sending
from console.api.context import CloudContext
from console.api.errors import (
    ApiError,
    BudgetExhausted,
    ConnectionFailed,
    HostNotAllowed,
    MalformedResponse,
    OverLimit,
    ResponseTooLarge,
    ServerError,
    Timeout,
    status_error,
)
from console.api.wire import DecodeError, WireFormat, body_format, fault_parse
from console.redact import secret_note

log = logging.getLogger(__name__)

IDENTITY = "identity"
VOLUME = "volume"
COMPUTE = "compute"

REQUEST_ID_HEADERS = ("X-Compute-Request-Id", "X-Openstack-Request-Id")
USER_AGENT = "block-storage-console"
# First pause between two attempts of a read; it doubles with each attempt, up to API_RETRY_MAX_WAIT.
BACKOFF_SECONDS = 0.5
# Bodies are read in pieces of this many (decompressed) bytes.
CHUNK_BYTES = 64 * 1024
# A request id longer than this, or with anything but printable ASCII, is not one (it is stored,
# shown and searched: a hostile header must not become a 10 kB "id").
MAX_REQUEST_ID = 64
_REQUEST_ID_JUNK = re.compile(r"[^\x21-\x7e]")

_session_lock = threading.Lock()
_session_state: tuple[int, requests.Session] | None = None
_captured: contextvars.ContextVar[tuple[list[str], ...]] = contextvars.ContextVar("captured", default=())
# The deadline (time.monotonic()) of every call made inside a `call_deadline()` block.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)
# Seconds the calls of this context waited for their turns in the call budget, in all (turn_waited()).
_turn_waited: contextvars.ContextVar[float] = contextvars.ContextVar("turn_waited", default=0.0)


class _Cutoff:
    """Ends one call at its deadline whatever the server does byte by byte.

    A timer fires at the deadline and shuts down the socket of the call's connection (the connection
    classes below hand it over when they wait for the answer): a read blocked on it returns at once,
    and requests reports the broken connection, which `_send` then reports as a Timeout.
    """

    _current: contextvars.ContextVar[_Cutoff | None] = contextvars.ContextVar("cutoff", default=None)

    def __init__(self, seconds: float) -> None:
        self.seconds = max(0.0, seconds)
        self.fired = False
        self._done = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(self.seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Cutoff:
        self._token = self._current.set(self)
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.disarm()
        self._current.reset(self._token)

    def disarm(self) -> bool:
        """Stop the timer; True when it had already fired (what was read may be cut short: a
        server's half-sent headers can even look like a whole answer)."""
        with self._lock:
            self._done = True
            self._sock = None
        self._timer.cancel()
        return self.fired

    @classmethod
    def watch(cls, sock: socket.socket | None) -> None:
        """The socket the current call is about to wait on (called by the connection classes)."""
        cutoff = cls._current.get()
        if cutoff is None or sock is None:
            return
        with cutoff._lock:
            if cutoff._done:
                return
            cutoff._sock = sock
            fired = cutoff.fired
        if fired:
            _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            sock = self._sock
        if sock is not None:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    # socket.socket's own shutdown, also for a TLS socket: it ends a read blocked in another thread
    # without touching the TLS object that thread is using. OSError: already closed.
    with suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedHTTPConnection(HTTPConnection):
    def getresponse(self):  # type: ignore[override]
        _Cutoff.watch(self.sock)
        return super().getresponse()


class _WatchedHTTPSConnection(HTTPSConnection):
    def getresponse(self):  # type: ignore[override]
        _Cutoff.watch(self.sock)
        return super().getresponse()


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _Adapter(HTTPAdapter):
    """requests' adapter with connections whose answers a _Cutoff can end."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


@contextmanager
def call_deadline(seconds: float) -> Iterator[None]:
    """Every call made inside the block ends within `seconds` from now (or by an enclosing block's
    deadline, if that is sooner), retries included. E.g. a page's inventory refresh gets a few
    seconds, so a hung cloud cannot hold the page."""
    deadline = time.monotonic() + max(0.0, seconds)
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


def turn_waited() -> float:
    """Seconds the calls made so far in this context (a request, a task) waited for their turns in
    the call budget. Deadlines are the cloud's time: the console's own pacing does not count against
    them (a listing of 10 pages takes 10 turns at 1 call/s however well the cloud answers)."""
    return _turn_waited.get()


def _turn_came(waited: float) -> None:
    """A call waited `waited` s for its turn: the enclosing `call_deadline()` moves on by as much."""
    if waited <= 0:
        return
    _turn_waited.set(_turn_waited.get() + waited)
    outer = _deadline.get()
    if outer is not None:
        _deadline.set(outer + waited)  # until the block ends (call_deadline resets it)


def _call_deadline() -> float:
    """The deadline (time.monotonic()) of a call starting now."""
    own = time.monotonic() + max(0.0, float(settings.API_CALL_DEADLINE))
    outer = _deadline.get()
    return own if outer is None else min(own, outer)


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
                adapter = _Adapter(pool_connections=8, pool_maxsize=32, max_retries=0)
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
    headers: Mapping[str, str] | None = None,
    metered: bool = True,
) -> Reply:
    """Send one API call (with its retries) and return the decoded reply.

    `headers` are added to the call's own (a dialect's microversion header, for example).
    `metered=False`: a call no project's rate limit counts (an API's version document, read without
    a token), which takes no budget slot, like Identity's.

    A read is retried on connection errors, 5xx and 413. A write is retried only when the API
    refused it unprocessed, by its rate limit (a 413 with a retry delay): sending it again cannot
    make anything twice. Any other failure of a write is never retried blindly.

    Everything, retries included, ends by the call's deadline (API_CALL_DEADLINE, or a tighter
    `call_deadline()`): a retry that would start after it is not made.

    A call carrying a token goes only to a host the token may go to (`token_destination_check`).

    Raises an ApiError subclass: the fault of an error status, Timeout, ConnectionFailed,
    MalformedResponse (ResponseTooLarge), or BudgetExhausted or HostNotAllowed (nothing was sent).
    """
    if ctx.token:
        token_destination_check(url, endpoints=(ctx.volume_url, ctx.compute_url))
    attempts = 1 + max(0, int(settings.API_READ_RETRIES))
    attempt = 1
    last_error: ApiError | None = None
    deadline = _call_deadline()
    while True:
        turn: float | None = None
        waited = 0.0
        if service != IDENTITY and metered:
            asked = time.monotonic()
            try:
                turn = budget_acquire(
                    project_id=ctx.project_id,
                    priority=ctx.priority,
                    party=Party(session=ctx.session_key, user=ctx.user_id),
                    api=service,
                )
            except BudgetExhausted:
                if last_error is None:
                    raise
                raise last_error from None  # a retry found no turn: report what went wrong before
            # Waiting for the turn is the console's pacing, not the cloud's time: the deadlines move on.
            waited = time.monotonic() - asked
            deadline += waited
            _turn_came(waited)
        if time.monotonic() >= deadline:
            # The turn came too late to be of use (the caller's deadline has passed): send nothing.
            # The console's own pacing made it late, not the cloud: no Timeout, which would make
            # pages stop waiting for a cloud that answers well (console.inventory, HUNG_SECONDS).
            raise last_error or BudgetExhausted(
                None,
                "The console paces its calls to the cloud (the project's rate limit) and this one's turn "
                "came after the page's time was spent. Nothing was sent; try again in a moment.",
                fault="budgetExhausted",
            )
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
                deadline=deadline,
                turn=turn,
                waited=waited,
                extra_headers=headers,
            )
        except (ConnectionFailed, ServerError, OverLimit) as failed:
            pause = _retry_pause(failed, attempt)
            if attempt == attempts or pause is None or not (method == "GET" or _rate_limited(failed)):
                raise
            if time.monotonic() + pause >= deadline:
                raise  # the next attempt could not even start before the deadline
            last_error = failed
        log.info("retrying %s %s in %.1f s after %r", method, _path(url), pause, last_error)
        time.sleep(pause)
        attempt += 1


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, the port filled in for http and https; ValueError when it has
    no host or an impossible port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not host or scheme not in ("http", "https"):
        raise ValueError(url)
    return scheme, host, parts.port or {"http": 80, "https": 443}[scheme]


def _pinned(entry: str) -> tuple[str, int | None]:
    """An API_TOKEN_HOSTS entry: "host" (any port) or "host:port" (IPv6: "[::1]:8776")."""
    parts = urlsplit("//" + entry.strip())
    return (parts.hostname or "").lower(), parts.port


def token_destination_check(url: str, *, endpoints: tuple[str, ...]) -> None:
    """Raise HostNotAllowed unless the token may be sent to `url`.

    With API_TOKEN_HOSTS set, the URL's host must be one of them. Otherwise it must be on the
    origin (scheme, host and port) of IDENTITY_URL or of one of `endpoints` (the catalog's URLs the
    login gave this session). Either way, when Identity is reached over HTTPS the token never goes
    over plain HTTP. So a URL the cloud hands back (a "next" link, a redirect) cannot take the
    token anywhere else.
    """
    try:
        scheme, host, port = _origin(url)
        identity = _origin(settings.IDENTITY_URL)
    except ValueError:
        allowed = False
    else:
        pins = [_pinned(entry) for entry in settings.API_TOKEN_HOSTS if entry.strip()]
        if identity[0] == "https" and scheme != "https":
            allowed = False
        elif pins:
            allowed = any(host == pin_host and pin_port in (None, port) for pin_host, pin_port in pins)
        else:
            origins = {identity}
            for endpoint in endpoints:
                with suppress(ValueError):
                    origins.add(_origin(endpoint))
            allowed = (scheme, host, port) in origins
    if not allowed:
        where = urlsplit(url).netloc or url
        log.warning("refused to send the token to %s (%s)", where[:200], _path(url)[:200])
        raise HostNotAllowed(
            None,
            f"The cloud pointed the console at {where[:200]}, where your token may not be sent. "
            "Nothing was sent. Ask the console's operator if this host should be allowed.",
            fault="hostNotAllowed",
        )


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
            return _REQUEST_ID_JUNK.sub("", value)[:MAX_REQUEST_ID]
    return ""


def _deadline_error() -> Timeout:
    return Timeout(None, "The cloud did not answer in time.", fault="timeout")


class _TooLarge(Exception):
    pass


def _read_body(response: requests.Response) -> bytes:
    """The whole body, decompressed, or _TooLarge as soon as it is past API_MAX_RESPONSE_BYTES.

    Read in pieces of CHUNK_BYTES decompressed bytes (urllib3 inflates a compressed body only as far
    as each piece needs), so neither a huge body nor a small gzip bomb is ever held whole.
    """
    limit = int(settings.API_MAX_RESPONSE_BYTES)
    try:
        declared = int(response.headers.get("Content-Length", ""))
    except ValueError:
        declared = None
    if declared is not None and declared > limit:
        raise _TooLarge
    pieces: list[bytes] = []
    size = 0
    for piece in response.iter_content(CHUNK_BYTES):
        size += len(piece)
        if size > limit:
            raise _TooLarge
        pieces.append(piece)
    return b"".join(pieces)


@sensitive_variables("headers")
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
    deadline: float | None = None,
    turn: float | None = None,
    waited: float = 0.0,
    extra_headers: Mapping[str, str] | None = None,
) -> Reply:
    headers = {"Accept": fmt.media_type, "User-Agent": USER_AGENT, **(extra_headers or {})}
    if body is not None:
        headers["Content-Type"] = fmt.media_type
    if ctx.token:
        headers["X-Auth-Token"] = ctx.token
        secret_note(ctx.token)  # hidden from any error page or log line from here on
    created_at = timezone.now()
    started = time.monotonic()
    remaining = max(0.001, (deadline if deadline is not None else _call_deadline()) - started)
    response: requests.Response | None = None
    content = b""
    request_id = ""
    error: ApiError | None = None
    data: Any = None
    with _Cutoff(remaining) as cutoff:
        if turn is not None:
            budget_sending(
                project_id=ctx.project_id, turn=turn, api=service
            )  # the budget counts from now if late
        try:
            response = _session().request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=(
                    min(float(settings.API_CONNECT_TIMEOUT), remaining),
                    min(float(settings.API_READ_TIMEOUT), remaining),
                ),
                allow_redirects=False,
                stream=True,
                verify=tls_verify(),
            )
            secret_note(response.headers.get("X-Subject-Token"))  # a login's new token
            request_id = _request_id(response)
            content = _read_body(response)
            if cutoff.disarm():
                error = _deadline_error()
        except _TooLarge:
            limit = _megabytes(int(settings.API_MAX_RESPONSE_BYTES))
            log.warning("%s %s: answer over %s, refused (request %s)", method, _path(url), limit, request_id)
            error = ResponseTooLarge(
                response.status_code if response is not None else None,
                f"The cloud's answer was larger than the console accepts ({limit}); it was not read.",
                fault="responseTooLarge",
                request_id=request_id,
            )
        except (requests.RequestException, OSError, urllib3.exceptions.HTTPError, HTTPException) as exc:
            log.info("%s %s failed: %r", method, _path(url), exc)
            answered = response is not None
            error = _deadline_error() if cutoff.fired else _transport_error(exc, answered=answered)
        finally:
            if response is not None:
                response.close()  # back to the pool when read whole; dropped otherwise
    duration_ms = round((time.monotonic() - started) * 1000)
    if response is not None:
        if request_id:
            for ids in _captured.get():
                ids.append(request_id)
        if error is not None:
            pass  # the answer could not be read whole: its status alone says nothing reliable
        elif response.status_code >= 400:
            error = _fault_error(response, content, request_id)
        elif decode is not None:
            try:
                data = decode(body_format(content, fmt), content)
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
        waited_ms=round(waited * 1000),
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


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MiB" if size >= 1024 * 1024 else f"{size} bytes"


def probe(url: str, *, timeout: float) -> int:
    """GET `url` and return the HTTP status: a reachability check (e.g. /healthz), not an API call,
    so no token, no budget slot and no request-log row; the body is never read. Raises Timeout or
    ConnectionFailed."""
    with _Cutoff(2 * timeout) as cutoff:
        try:
            response = _session().get(
                url, timeout=(timeout, timeout), allow_redirects=False, stream=True, verify=tls_verify()
            )
        except requests.RequestException as exc:
            raise (_deadline_error() if cutoff.fired else _transport_error(exc)) from None
        response.close()
    return response.status_code


def tls_verify() -> bool | str:
    """How HTTPS answers are checked: against API_CA_BUNDLE (the operator's CA certificates, a PEM
    file) when set, else against the system's trusted CAs. Verification is never turned off."""
    return settings.API_CA_BUNDLE or True


def _transport_error(exc: Exception, *, answered: bool = False) -> ApiError:
    """The typed error of a call that got no (whole) HTTP answer."""
    if isinstance(exc, requests.exceptions.SSLError):
        return ConnectionFailed(
            None,
            "The cloud's TLS certificate could not be verified. If the cloud uses its own certificate "
            "authority, the console's operator sets API_CA_BUNDLE to its CA certificates.",
            fault="tlsError",
        )
    if isinstance(exc, requests.Timeout):
        return _deadline_error()
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return MalformedResponse(
            None, "The cloud's answer could not be unpacked (bad compression).", fault="malformedResponse"
        )
    if answered:
        message = "The cloud's answer broke off before its end."
        return ConnectionFailed(None, message, fault="connectionFailed")
    return ConnectionFailed(None, "The cloud could not be reached.", fault="connectionFailed")


def _fault_error(response: requests.Response, content: bytes, request_id: str) -> ApiError:
    fault = fault_parse(content)
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
    waited_ms: int = 0,
) -> None:
    # Imported here: console.api is imported by modules that load before the app registry is ready.
    from support.recorder import api_call_record

    api_call_record(
        created_at=created_at,
        request_id=request_id,
        console_request_id=ctx.console_request_id,
        # A login's answer (identity.AuthResult) names who logged in, which its caller did not know.
        user_id=ctx.user_id or str(getattr(data, "user_id", "")),
        user_name=ctx.user_name or str(getattr(data, "user_name", "")),
        project_id=ctx.project_id or str(getattr(data, "project_id", "")),
        project_name=ctx.project_name or str(getattr(data, "project_name", "")),
        region=ctx.region,
        service=service,
        method=method,
        path=_path(url),
        status=status,
        duration_ms=duration_ms,
        waited_ms=waited_ms,
        attempt=attempt,
        priority=ctx.priority.value,
        fault=error.fault if error else "",
        message=error.message if error else "",
        created_id=str(getattr(data, "id", "")) if method == "POST" else "",
    )
