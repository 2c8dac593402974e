"""Logging in to the console against the real emulator, for the frame's tests."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.test import Client

from console.session import CLOUD_KEY, TOKEN_KEY


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
