"""Helpers of the console's tests against the harness: logging in through the console's forms, the
API as the logged-in user sees it, waiting for what a user would see."""

from __future__ import annotations

import re
import time
from html import unescape

from django.test import Client

from tests.console.login_helpers import context_of
from tests.openstack.cloud import Account

DEADLINE = 60.0  # seconds for a volume, snapshot or backup to settle in Cinder


def project_of(account: Account) -> str:
    return next(iter(account.projects))


def log_in(client: Client, account: Account, *, project: str | None = None, **fields: str):
    """POST the password login form (domains Default unless given); the unfollowed response."""
    data = {
        "username": account.name,
        "password": account.password,
        "project": project or project_of(account),
        "user_domain": "Default",
        "project_domain": "Default",
    }
    data.update(fields)
    return client.post("/login/", data)


def text_of(response) -> str:
    """A page's text as a person reads it: tags out, entities decoded, spaces collapsed."""
    html = response.content.decode() if hasattr(response, "content") else response
    html = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def wait_for(predicate, timeout: float = DEADLINE, pause: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(pause)
    raise AssertionError("condition not met in time")


def ctx_of(client: Client):
    """The CloudContext the console built for this client's login (to prepare data through the API)."""
    return context_of(client)
