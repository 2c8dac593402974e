"""Secrets never appear on a page, in an error report or in a log line, debug pages included.

The secrets are the cloud token, the password typed at login and the session key. Django's
`sensitive_variables` hides them only in the frames of decorated functions, and only with DEBUG off;
a crash deep inside requests or urllib3 shows their locals (the request headers, the login body) on
the technical 500 page. So the console hides secrets by value, wherever they appear:

- `secret_note()` records a secret as it passes (the HTTP layer notes the token it sends and the token
  Identity answers with; the login view the password; RequestIdMiddleware the session cookie). The
  notes live in a context variable, forgotten at the start of every request.
- `SecretFilter` (DEFAULT_EXCEPTION_REPORTER_FILTER) is active with DEBUG on too, also hides the
  session cookie, and replaces every frame variable whose text holds a secret.
- `SecretReporter` (DEFAULT_EXCEPTION_REPORTER) redacts the whole rendered report (the debug page, the
  e-mail to ADMINS): frames, settings, META, cookies, POST, the exception's message.
- `SecretLogFilter` (on every log handler) redacts a record's message and traceback.
"""

from __future__ import annotations

import contextvars
import html
import json
import logging
from collections.abc import Iterable
from contextlib import suppress
from typing import Any
from urllib.parse import quote, quote_plus

from django.conf import settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

SUBSTITUTE = "********************"
# Shorter values are not hidden by value (a 3-letter password would blank out every "the").
MIN_SECRET = 6

# The most recent secrets a thread keeps: a request notes two or three; a Celery worker's thread, which
# no middleware resets, notes one token per watch step and must not gather them all.
KEEP_NOTED = 16

_noted: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("secrets", default=())


def secret_note(*values: Any) -> None:
    """Remember secrets seen while serving this request (or running this task)."""
    noted = _noted.get()
    new = tuple(v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET and v not in noted)
    if new:
        _noted.set((*noted, *new)[-KEEP_NOTED:])


def secrets_forget() -> None:
    """A new request starts with no secrets noted (threads serve one request after another)."""
    _noted.set(())


def secrets_of(request: Any = None) -> set[str]:
    """The secrets noted so far, and those the request carries: the session key (cookie and
    session), the token kept in the session, a posted password."""
    found = set(_noted.get())
    if request is not None:
        cookies = getattr(request, "COOKIES", None) or {}
        found.add(cookies.get(settings.SESSION_COOKIE_NAME, ""))
        session = getattr(request, "session", None)
        if session is not None:
            found.add(getattr(session, "session_key", None) or "")
            # A session that cannot be read (database down) holds nothing to hide here.
            with suppress(Exception):
                from console.session import TOKEN_KEY

                found.add(session.get(TOKEN_KEY) or "")
        if getattr(request, "method", "") == "POST":
            # An unreadable body (too big, bad multipart) shows no password either.
            with suppress(Exception):
                found.update(request.POST.getlist("password"))
    return {value for value in found if isinstance(value, str) and len(value) >= MIN_SECRET}


def _forms(secret: str) -> set[str]:
    """The ways a secret can be written in a report: as is, escaped for Python, JSON, URLs and HTML."""
    forms = {
        secret,
        repr(secret)[1:-1],
        json.dumps(secret)[1:-1],
        repr(secret.encode("utf-8", "surrogatepass"))[2:-1],
        quote(secret, safe=""),
        quote_plus(secret),
    }
    return forms | {html.escape(form) for form in forms} | {html.escape(form, quote=False) for form in forms}


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every form of every secret replaced by SUBSTITUTE (longest first)."""
    forms = sorted({form for secret in secrets for form in _forms(secret) if form}, key=len, reverse=True)
    for form in forms:
        if form in text:
            text = text.replace(form, SUBSTITUTE)
    return text


class _Redacted:
    """A frame variable whose text held a secret: shown as that text, redacted."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class SecretFilter(SafeExceptionReporterFilter):
    """Django's filter, active with DEBUG on too, hiding the session cookie and secrets by value."""

    def is_active(self, request: Any) -> bool:
        return True

    def get_safe_cookies(self, request: Any) -> dict:
        cookies = super().get_safe_cookies(request)
        if settings.SESSION_COOKIE_NAME in cookies:
            cookies[settings.SESSION_COOKIE_NAME] = self.cleansed_substitute
        return cookies

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any):
        secrets = secrets_of(request)
        cleansed = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if secrets and value is not self.cleansed_substitute:
                try:
                    text = repr(value)
                except Exception as exc:  # a repr that fails shows that it failed, as Django does
                    text = f"{exc!r} while evaluating the variable"
                    value = _Redacted(text)
                redacted = redact(text, secrets)
                if redacted != text:
                    value = _Redacted(redacted)
            cleansed.append((name, value))
        return cleansed


class SecretReporter(ExceptionReporter):
    """Django's reporter, its rendered text redacted whole: whatever a secret hid in (a header in a
    frame, the exception's message, a setting), it does not reach the page or the e-mail."""

    def get_traceback_html(self) -> str:
        return redact(super().get_traceback_html(), secrets_of(self.request))

    def get_traceback_text(self) -> str:
        return redact(super().get_traceback_text(), secrets_of(self.request))


class SecretLogFilter(logging.Filter):
    """On every handler: a record's message and traceback with the noted secrets redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = secrets_of(getattr(record, "request", None))
        if not secrets:
            return True
        if isinstance(record.args, dict):
            # Named arguments (gunicorn's access atoms, which console.jsonlog keeps as fields of the
            # JSON line, leaving the query string out): redacted where they are, not flattened into
            # a message that would lose the fields and carry the query string.
            for key, value in list(record.args.items()):
                if isinstance(value, str):
                    record.args[key] = redact(value, secrets)
        else:
            try:
                message = record.getMessage()
            except Exception:  # a broken format string: logging reports it itself
                return True
            record.msg, record.args = redact(message, secrets), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        return True
