"""Structured logs for production: one JSON object per line, with the console request id.

`RequestIdLogMiddleware` (after console.middleware.RequestIdMiddleware) makes the id of the request
being served available to every log record written while serving it; Celery tasks log their task
id instead. gunicorn's access log lines (logger "gunicorn.access") become JSON too, with method,
path, status, duration and the X-Request-Id the console answered with. Query strings, headers and
bodies are never logged.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("console_request_id", default="")

# gunicorn's access-log atoms (record.args) kept in the JSON line, and their names there.
ACCESS_FIELDS = {"m": "method", "U": "path", "s": "status", "M": "duration_ms", "B": "bytes", "h": "remote"}


class RequestIdLogMiddleware:
    """Tag the log records of this request with its console request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_id_var.set(getattr(request, "console_request_id", ""))
        try:
            return self.get_response(request)
        finally:
            request_id_var.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id or task_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            entry["message"] = "request"
            for atom, name in ACCESS_FIELDS.items():
                entry[name] = record.args.get(atom)
            entry["request_id"] = record.args.get("{x-request-id}o") or ""
        else:
            entry["message"] = record.getMessage()
            if request_id := request_id_var.get():
                entry["request_id"] = request_id
            if task_id := _current_task_id():
                entry["task_id"] = task_id
        if record.exc_text:  # already written out (and secrets redacted: console.redact)
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _current_task_id() -> str:
    from celery import current_task

    request = getattr(current_task, "request", None)
    return getattr(request, "id", "") or ""


def logging_config(level: str = "INFO") -> dict:
    """The LOGGING of production: JSON lines on stderr, for Django, Celery and gunicorn alike."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "filters": ["secrets"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "console.jsonlog.JsonFormatter"}},
        "filters": {"secrets": {"()": "console.redact.SecretLogFilter"}},
        "handlers": {"json": handler},
        "root": {"handlers": ["json"], "level": level},
        "loggers": {
            "django.server": {"level": "WARNING"},
            "gunicorn.error": {"handlers": ["json"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["json"], "level": "INFO", "propagate": False},
        },
    }
