"""Secrets never on a page, debug pages included: with DEBUG on (the default of `make run`), an
exception inside the HTTP layer shows Django's technical 500 page, whose frames hold the request
headers (the token), the login body (the password) and whose cookies hold the session key. None of
them may appear there, in the plain-text report, in the e-mail to ADMINS or in the log. And a 404
is the console's own page, not a list of every URL pattern."""

from __future__ import annotations

import io
import logging

import pytest
from django.core import mail
from django.test import Client
from django.utils.log import AdminEmailHandler

from console.api import http
from console.redact import SecretLogFilter
from tests.console.login_helpers import cloud_token, log_in

FORCED = "forced failure inside the HTTP layer"


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    settings.ADMINS = [("Ops", "ops@example.com")]
    return settings


@pytest.fixture
def broken_http(monkeypatch):
    """Every call to the cloud fails deep inside urllib3, below requests, with the headers (and the
    login's body) in the frames above it."""

    def explode(self):
        raise RuntimeError(FORCED)

    monkeypatch.setattr(http._WatchedHTTPConnection, "getresponse", explode)


@pytest.fixture
def reports(debug):
    """What the log handlers and the ADMINS e-mail get of the requests made during the test."""
    stream = io.StringIO()
    handlers = [
        h for h in logging.getLogger().handlers if any(isinstance(f, SecretLogFilter) for f in h.filters)
    ]
    assert handlers, "the configured log handlers must redact secrets"
    originals = [handler.setStream(stream) for handler in handlers]
    mailer = AdminEmailHandler(include_html=True)
    request_log = logging.getLogger("django.request")
    request_log.addHandler(mailer)
    yield stream
    request_log.removeHandler(mailer)
    for handler, original in zip(handlers, originals, strict=True):
        handler.setStream(original)


def everything(response, stream: io.StringIO) -> str:
    parts = [response.content.decode(errors="replace"), str(response.cookies), stream.getvalue()]
    for message in mail.outbox:
        parts.append(message.subject + message.body)
        parts.extend(content for content, _ in getattr(message, "alternatives", []))
    return "\n".join(parts)


@pytest.mark.django_db
def test_the_technical_500_page_shows_no_token_and_no_session_key(client_in, broken_http, reports):
    token = cloud_token(client_in)
    session_key = client_in.session.session_key
    client = Client(raise_request_exception=False)
    client.cookies = client_in.cookies
    for accept in ("text/html", "text/plain"):
        response = client.get("/volumes/", HTTP_ACCEPT=accept)
        assert response.status_code == 500
        text = everything(response, reports)
        # It is the debug report, with the frames of the HTTP layer and of requests in it...
        assert FORCED in text and "_send" in text and "requests/sessions.py" in text
        if accept == "text/html":
            assert "<td>headers</td>" in text  # the frames' variables are shown
        # ...and no secret.
        assert token not in text
        assert session_key not in text
        assert "********************" in text
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_the_technical_500_page_of_a_login_shows_no_password(account, debug, broken_http, reports):
    client = Client(raise_request_exception=False)
    response = log_in(client, account)
    assert response.status_code == 500
    text = everything(response, reports)
    assert FORCED in text and "_token_create" in text and "auth/tokens" in text
    assert account["password"] not in text
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_404_is_the_consoles_page_not_a_list_of_url_patterns(client_in, debug, caplog):
    caplog.set_level(logging.INFO, logger="console.debug")
    for path in ("/no-such-page/", "/volumes/not-a-real-id-0000/nope/", "/support/calls/999999/"):
        response = client_in.get(path)
        assert response.status_code == 404, path
        page = response.content.decode()
        assert "Not found" in page and "There is nothing here" in page
        for detail in ("URLconf", "admin/", "healthz", "str:kind", "Raised by", "technical"):
            assert detail not in page, (path, detail)
    assert "Not found: /no-such-page/ (no URL pattern matches)" in caplog.text
    assert client_in.get("/volumes").status_code == 301  # CommonMiddleware still adds the slash


@pytest.mark.django_db
def test_a_long_lived_thread_keeps_only_its_recent_secrets():
    """A Celery worker's thread is never reset by a request: it notes one token per watch step, and
    must keep a bounded few (the latest), not every token it ever sent."""
    import threading

    from console import redact

    kept: list[set[str]] = []

    def worker() -> None:
        for number in range(1000):
            redact.secret_note(f"token-number-{number:04d}")
        kept.append(redact.secrets_of())

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert kept[0] == {f"token-number-{number:04d}" for number in range(1000 - redact.KEEP_NOTED, 1000)}
    assert redact.redact("sent token-number-0999", kept[0]) == "sent ********************"
