"""Logging in to the console against the real emulator, for the frame's tests."""

from __future__ import annotations

from django.contrib.auth import get_user
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory

from console.api.context import CloudContext
from console.session import CLOUD_KEY, TOKEN_KEY, cloud_context


def log_in(client: Client, account: dict, *, next_url: str | None = None, **overrides: str):
    """POST the login form; returns the (unfollowed) response."""
    data = {"username": account["user"], "password": account["password"], "project": account["project"]}
    data.update(overrides)
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login/", data)


def cloud_session(client: Client) -> dict:
    """The cloud login kept server-side for this client's session."""
    return client.session[CLOUD_KEY]


def cloud_token(client: Client) -> str:
    """The cloud token kept server-side for this client's session."""
    return client.session[TOKEN_KEY]


def session_rows() -> int:
    return Session.objects.count()


def context_of(client: Client) -> CloudContext:
    """The CloudContext the console builds for this client's login (to prepare data through the API)."""
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = get_user(request)
    return cloud_context(request)
