"""Typed errors of the cloud API.

Every error carries the HTTP status (None when no response came back), the API's human message,
the fault name of the body (e.g. "itemNotFound") and the X-Compute-Request-Id support needs.
`status_error()` maps a fault response to the right class.
"""

from __future__ import annotations


class ApiError(Exception):
    """Any failure of a call to the cloud."""

    def __init__(self, status: int | None, message: str, *, fault: str = "", request_id: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fault = fault
        self.request_id = request_id

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, message={self.message!r}, "
            f"fault={self.fault!r}, request_id={self.request_id!r})"
        )


class BadRequest(ApiError):
    """400: the API refused the request as malformed or against its rules."""


class Unauthorized(ApiError):
    """401: wrong credentials, or a missing, invalid or expired token."""


class Forbidden(ApiError):
    """403"""


class NotFound(ApiError):
    """404: the resource does not exist (any more)."""


class OverLimit(ApiError):
    """413: a quota is exhausted, or the call was rate-limited (retry_after in seconds, if given)."""

    def __init__(
        self,
        status: int | None,
        message: str,
        *,
        fault: str = "",
        request_id: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, message, fault=fault, request_id=request_id)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the cloud failed; retrying later may help."""


class ServiceUnavailable(ServerError):
    """503"""


class Timeout(ApiError):
    """No answer in time. For a write, the cloud may or may not have done it: look before retrying."""


class ConnectionFailed(ApiError):
    """The cloud could not be reached (connection refused, reset, DNS)."""


class MalformedResponse(ApiError):
    """The cloud answered something that is not the documented JSON or XML."""


class ResponseTooLarge(MalformedResponse):
    """The cloud's answer was larger than API_MAX_RESPONSE_BYTES (after decompression): refused
    while it streamed in, never read whole."""


class HostNotAllowed(ApiError):
    """The call would have taken the token to a host it may not go to (API_TOKEN_HOSTS, or the
    hosts of the login's catalog); nothing was sent."""


class BudgetExhausted(ApiError):
    """The console's own per-project call budget refused the call; nothing was sent."""


class CallsWaiting(BudgetExhausted):
    """The caller's session (or user) already has calls waiting for their turn in the project's
    budget: this one was refused at once, to keep the budget fair; nothing was sent."""


class CatalogError(ApiError):
    """Identity accepted the login but its catalog lacks what the console needs."""


class Unsupported(ApiError):
    """The cloud's API has no such operation (e.g. extend on the seed's Cinder v1); nothing was sent."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    413: OverLimit,
    503: ServiceUnavailable,
}


def status_error(
    status: int, message: str, *, fault: str, request_id: str, retry_after: float | None
) -> ApiError:
    """The typed error of an HTTP error status."""
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    if cls is OverLimit:
        return OverLimit(status, message, fault=fault, request_id=request_id, retry_after=retry_after)
    return cls(status, message, fault=fault, request_id=request_id)


# Errors that come without an HTTP status (nothing was sent, or nothing came back), by fault name.
_BY_FAULT: dict[str, type[ApiError]] = {
    "timeout": Timeout,
    "connectionFailed": ConnectionFailed,
    "malformedResponse": MalformedResponse,
    "responseTooLarge": ResponseTooLarge,
    "hostNotAllowed": HostNotAllowed,
    "budgetExhausted": BudgetExhausted,
    "callsWaiting": CallsWaiting,
    "catalogError": CatalogError,
}


def error_of(status: int | None, message: str, *, fault: str = "", request_id: str = "") -> ApiError:
    """The typed error again, from what was kept of it (e.g. a listing's failed refresh in the cache):
    by its HTTP status when the cloud answered, else by its fault name, so that "could not be reached"
    stays that and does not become "something went wrong"."""
    if status is not None and not (fault in _BY_FAULT and issubclass(_BY_FAULT[fault], MalformedResponse)):
        return status_error(status, message, fault=fault, request_id=request_id, retry_after=None)
    return _BY_FAULT.get(fault, ApiError)(status, message, fault=fault, request_id=request_id)
