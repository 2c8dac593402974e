"""The rate limits (spec 4.4 OverLimit, 4.5.x Rate Limits: 1 call per second per project, per API)."""

from __future__ import annotations

import time

import pytest

from tests.emulator.conftest import assert_fault, make_api
from tests.emulator_process import FAST, EmulatorProcess

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


# --- one budget per API (spec 4.5.2: Block Storage's own 1 call/s; 4.5.5: Compute has its own) ------
def test_compute_calls_do_not_spend_the_block_storage_budget(limited):
    server = limited.server_in("az2")
    time.sleep(1.1)
    # one call of each API in the same instant: both go through, each spends its own API's budget
    assert limited.vol("GET", "/volumes").status == 200
    attachments = limited.comp("GET", f"/servers/{server}/os-volume_attachments")
    assert attachments.status == 200, attachments
    _limited_reply(limited.vol("GET", "/volumes"))
    _limited_reply(limited.comp("GET", "/images/detail"))


def test_compute_has_its_own_limit_with_retry_after(limited):
    assert limited.comp("GET", "/servers").status == 200
    retry_after = _limited_reply(limited.comp("GET", "/servers/detail"))
    assert limited.vol("GET", "/limits").status == 200  # Block Storage's budget is untouched
    time.sleep(retry_after + 0.1)
    assert limited.comp("GET", "/images").status == 200


def test_stats_count_each_api_apart(limited_emulator, limited):
    limited.vol("GET", "/volumes")
    limited.comp("GET", "/servers")
    _limited_reply(limited.comp("GET", "/servers"))
    by_api = limited_emulator.stats(limited.project_id)["projects"][limited.project_id]["by_api"]
    assert (by_api["compute"]["total"], by_api["compute"]["overlimit"]) == (2, 1)
    assert (by_api["volume"]["total"], by_api["volume"]["overlimit"]) == (1, 0)
    assert len(by_api["compute"]["times"]) == by_api["compute"]["total"]


@pytest.mark.parametrize(
    ("env", "volume_limited", "compute_limited"),
    [
        ({"EMULATOR_RATE": "1", "EMULATOR_COMPUTE_RATE": "0"}, True, False),
        ({"EMULATOR_RATE": "0", "EMULATOR_COMPUTE_RATE": "1"}, False, True),
        ({"EMULATOR_RATE": "0"}, False, False),  # Compute's limit follows EMULATOR_RATE when unset
        ({"EMULATOR_RATE": "1", "EMULATOR_COMPUTE_RATE": "2", "EMULATOR_COMPUTE_BURST": "3"}, True, False),
    ],
)
def test_each_apis_limit_is_configured_on_its_own(env, volume_limited, compute_limited):
    proc = EmulatorProcess(env={**FAST, **env}).start()
    try:
        api = make_api(proc, "c")
        time.sleep(1.1)
        volume = [api.vol("GET", "/volumes").status for _ in range(3)]
        compute = [api.comp("GET", "/servers").status for _ in range(3)]
    finally:
        proc.stop()
    assert (413 in volume) is volume_limited, volume
    assert (413 in compute) is compute_limited, compute
