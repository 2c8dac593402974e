"""The rate limit (spec 4.4 OverLimit, 4.5.x Rate Limits: 1 call per second per project)."""

from __future__ import annotations

import time

import pytest

from tests.emulator.conftest import assert_fault, make_api

RATE_LIMITED = "This request was rate-limited."


@pytest.fixture
def limited(limited_emulator):
    api = make_api(limited_emulator, "r")
    time.sleep(1.1)  # whatever getting the token cost, the bucket is full again
    return api


def _limited_reply(reply):
    detail = assert_fault(reply, 413, "overLimit", RATE_LIMITED)
    retry_after = int(reply.headers["Retry-After"])
    assert retry_after >= 1
    if reply.fmt == "json":
        assert detail["retryAfter"] == retry_after
    return retry_after


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_second_call_in_the_same_second_is_413_with_retry_after(limited, fmt):
    first = limited.vol("GET", "/volumes", fmt=fmt)
    second = limited.vol("GET", "/volumes", fmt=fmt)
    assert first.status == 200, first
    assert second.fmt == fmt
    retry_after = _limited_reply(second)
    time.sleep(retry_after + 0.1)
    assert limited.vol("GET", "/volumes", fmt=fmt).status == 200


def test_a_rate_limited_create_creates_nothing(limited):
    assert limited.vol("GET", "/volumes").status == 200
    _limited_reply(limited.vol("POST", "/volumes", {"volume": {"size": 1, "display_name": "nope"}}))
    time.sleep(1.1)
    r = limited.vol("GET", "/volumes/detail")
    assert r.status == 200, r
    assert r.body["volumes"] == []


def test_the_limit_is_per_project(limited_emulator, limited):
    other = make_api(limited_emulator, "r")
    time.sleep(1.1)
    assert limited.vol("GET", "/volumes").status == 200
    _limited_reply(limited.vol("GET", "/volumes"))
    assert other.vol("GET", "/volumes").status == 200


def test_hooks_are_never_rate_limited_and_count_the_413s(limited_emulator, limited):
    before = limited_emulator.stats(limited.project_id)["projects"].get(limited.project_id, {})
    limited.vol("GET", "/volumes")
    _limited_reply(limited.vol("GET", "/volumes"))
    for _ in range(5):
        limited_emulator.stats()
    after = limited_emulator.stats(limited.project_id)["projects"][limited.project_id]
    assert after["overlimit"] - before.get("overlimit", 0) == 1
    assert after["total"] - before.get("total", 0) == 2
