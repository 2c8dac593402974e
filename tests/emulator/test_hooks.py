"""The emulator's test hooks (docs/emulator.md): stats, fault injection, accounts, tokens, log; restarts."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.emulator.conftest import Api, assert_fault, make_api, wait_for_status
from tests.emulator_process import FAST, EmulatorProcess


def _project_stats(emulator, project_id) -> dict:
    return emulator.stats(project_id)["projects"].get(
        project_id, {"total": 0, "overlimit": 0, "by_method": {}, "by_status": {}}
    )


def _delta(after: dict, before: dict, key: str) -> dict:
    return {
        k: v - before.get(key, {}).get(k, 0)
        for k, v in after.get(key, {}).items()
        if v - before.get(key, {}).get(k, 0)
    }


def test_stats_count_calls_by_method_and_status(emulator, api):
    before = _project_stats(emulator, api.project_id)
    api.vol("GET", "/volumes")
    api.vol("GET", "/volumes/detail")
    api.vol("GET", "/volumes/no-such-volume")
    api.vol("POST", "/volumes", {"volume": {"size": 1}})
    api.vol("POST", "/volumes", {"volume": {"size": 0}})
    api.comp("GET", "/servers")
    for _ in range(3):
        emulator.stats(api.project_id)  # hooks are not counted
    after = _project_stats(emulator, api.project_id)
    assert after["total"] - before["total"] == 6
    assert _delta(after, before, "by_method") == {"GET": 4, "POST": 2}
    assert {str(k): v for k, v in _delta(after, before, "by_status").items()} == {
        "200": 4,
        "404": 1,
        "400": 1,
    }
    assert after["overlimit"] == before["overlimit"]
    assert len(after["times"]) >= 6
    assert all(abs(t - time.time()) < 600 for t in after["times"][-6:])
    whole = emulator.stats()
    assert whole["total"] >= after["total"]


def test_stats_count_identity_calls_apart(emulator, account):
    before = emulator.stats()["identity"]["total"]
    Api(emulator, account)  # one POST /v3/auth/tokens
    assert emulator.stats()["identity"]["total"] >= before + 1
    assert _project_stats(emulator, account["project_id"])["total"] == 0  # not an API call of the project


def test_stats_reset(private_emulator):
    api = make_api(private_emulator)
    api.vol("GET", "/volumes")
    assert private_emulator.stats()["total"] >= 1
    private_emulator.reset_stats()
    stats = private_emulator.stats()
    assert stats["total"] == 0 and stats["overlimit"] == 0
    api.vol("GET", "/volumes")
    assert _project_stats(private_emulator, api.project_id)["total"] == 1


def test_log_lists_calls_newest_first(emulator, api):
    first = api.vol("GET", "/volumes")
    second = api.vol("GET", "/volumes/no-such-volume")
    log = emulator.hook("GET", f"/_emulator/log?project={api.project_id}&limit=2")
    entries = log if isinstance(log, list) else next(v for v in log.values() if isinstance(v, list))
    assert len(entries) == 2
    text = [json.dumps(e) for e in entries]
    assert second.headers["X-Compute-Request-Id"] in text[0]
    assert first.headers["X-Compute-Request-Id"] in text[1]
    assert "404" in text[0] and "/volumes/no-such-volume" in text[0]


# --- fault injection (own emulator) ------
@pytest.fixture
def faulty(private_emulator):
    api = make_api(private_emulator, "f")
    yield private_emulator, api
    private_emulator.set_faults()


def test_faults_read_back_and_clear(faulty):
    emu, _ = faulty
    shown = emu.set_faults(latency_ms=5, error_rate=0.25)
    current = emu.hook("GET", "/_emulator/faults")
    assert current["latency_ms"] == 5 and current["error_rate"] == 0.25
    assert shown.get("error_rate", current["error_rate"]) == 0.25
    emu.hook("PUT", "/_emulator/faults", {})
    current = emu.hook("GET", "/_emulator/faults")
    assert all(
        not current[key]
        for key in ("latency_ms", "error_rate", "drop_rate", "overlimit_rate", "malformed_rate")
    )


def test_latency(faulty):
    emu, api = faulty
    emu.set_faults(latency_ms=400)
    started = time.monotonic()
    r = api.vol("GET", "/volumes")
    assert r.status == 200
    assert time.monotonic() - started >= 0.4


def test_error_rate(faulty):
    emu, api = faulty
    emu.set_faults(error_rate=1.0)
    replies = (api.vol("GET", "/volumes"), api.vol("GET", "/volumes", fmt="xml"), api.comp("GET", "/servers"))
    for reply in replies:
        assert 500 <= reply.status < 600, reply
        assert_fault(reply, reply.status)
    emu.set_faults()
    assert api.vol("GET", "/volumes").status == 200


def test_drop_rate(faulty):
    emu, api = faulty
    emu.set_faults(drop_rate=1.0)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{api.volume_base}/volumes", headers={"X-Auth-Token": api.token}, timeout=10)
    emu.set_faults()
    assert api.vol("GET", "/volumes").status == 200
    by_status = _project_stats(emu, api.project_id)["by_status"]
    assert by_status.get("dropped") == 1 and by_status.get("200") == 1, by_status


def test_overlimit_rate(faulty):
    emu, api = faulty
    emu.set_faults(overlimit_rate=1.0)
    r = api.vol("GET", "/volumes")
    assert_fault(r, 413, "overLimit", "This request was rate-limited.")
    assert "Retry-After" in r.headers
    r = api.vol("POST", "/volumes", {"volume": {"size": 1}})
    assert_fault(r, 413, "overLimit")
    emu.set_faults()
    assert api.vol("GET", "/volumes/detail").body["volumes"] == []  # the refused create did not run
    assert _project_stats(emu, api.project_id)["overlimit"] == 2


def test_faults_can_target_one_project(faulty):
    emu, api = faulty
    other = make_api(emu, "g")
    emu.set_faults(error_rate=1.0, project=api.project_id)
    assert 500 <= api.vol("GET", "/volumes").status < 600
    assert other.vol("GET", "/volumes").status == 200


def test_malformed_rate(faulty):
    emu, api = faulty
    emu.set_faults(malformed_rate=1.0)
    r = requests.get(f"{api.volume_base}/volumes/detail", headers={"X-Auth-Token": api.token}, timeout=10)
    with pytest.raises(ValueError):
        json.loads(r.content)
    emu.set_faults()
    assert api.vol("GET", "/volumes").status == 200


def test_faults_from_the_environment_at_start_up():
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0", "EMULATOR_FAULT_ERROR_RATE": "1"}).start()
    try:
        assert proc.hook("GET", "/_emulator/faults")["error_rate"] == 1.0
        proc.set_faults()
        api = make_api(proc)
        proc.set_faults(error_rate=1.0)
        assert 500 <= api.vol("GET", "/volumes").status < 600
    finally:
        proc.stop()


# --- accounts and tokens ------
def test_new_accounts_come_with_servers_and_images(emulator, account):
    api = Api(emulator, account)
    assert account["project_id"]
    images = api.images()
    assert images
    for image in images:
        assert image["id"] and image["name"]
        assert int(image["minDisk"]) >= 0
    r = api.comp("GET", "/images")
    assert r.status == 200 and {i["id"] for i in r.body["images"]} == {i["id"] for i in images}


def test_expire_all_tokens(private_emulator):
    one, two = make_api(private_emulator), make_api(private_emulator)
    private_emulator.expire_tokens()
    assert_fault(one.vol("GET", "/volumes"), 401)
    assert_fault(two.vol("GET", "/volumes"), 401)


def test_short_token_ttl_expires_by_itself():
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0", "EMULATOR_TOKEN_TTL": "1"}).start()
    try:
        api = make_api(proc)
        deadline = time.monotonic() + 10
        while api.vol("GET", "/volumes").status == 200:
            assert time.monotonic() < deadline, "token never expired"
            time.sleep(0.2)
        assert_fault(api.vol("GET", "/volumes"), 401)
    finally:
        proc.stop()


# --- restarts ------
def test_state_survives_a_restart(private_emulator):
    api = make_api(private_emulator, "k")
    vol = api.create_volume(size=2, display_name="durable", metadata={"k": "v"})
    snap = api.create_snapshot(vol["id"], display_name="snap")
    backup = api.create_backup(vol["id"], name="bk")
    attached = api.create_volume()
    server = api.server_in("az2")
    api.attach(server, attached["id"])
    pending = api.create_volume(wait=None)  # still creating when the emulator stops

    private_emulator.restart()

    again = Api(private_emulator, api.account)
    got = again.show("volumes", vol["id"])
    assert (got["size"], got["display_name"], got["metadata"], got["status"]) == (
        2,
        "durable",
        {"k": "v"},
        "available",
    )
    assert again.show("snapshots", snap["id"])["display_name"] == "snap"
    assert again.show("backups", backup["id"])["name"] == "bk"
    assert again.show("volumes", attached["id"])["attachments"][0]["server_id"] == server
    assert wait_for_status(again, "volumes", pending["id"], "available")["status"] == "available"
    # the old token survives too (the state lives in the emulator's database)
    assert api.vol("GET", "/volumes").status == 200


# --- quotas ------
def test_quotas_hook_changes_limits_and_enforcement(emulator, api):
    hook = f"/_emulator/quotas/{api.project_id}"
    shown = emulator.hook("PUT", hook, {"volumes": 2, "gigabytes": 50})
    assert (shown["volumes"], shown["gigabytes"]) == (2, 50)
    absolute = api.vol("GET", "/limits").body["limits"]["absolute"]
    assert (absolute["maxTotalVolumes"], absolute["maxTotalVolumeGigabytes"]) == (2, 50)
    api.create_volume(size=10, wait=None)
    assert_fault(api.vol("POST", "/volumes", {"volume": {"size": 41}}), 413, "overLimit")
    api.create_volume(size=40, wait=None)
    r = api.vol("POST", "/volumes", {"volume": {"size": 1}})
    assert_fault(r, 413, "overLimit")
    emulator.hook("PUT", hook, {"volumes": None, "gigabytes": None})
    assert emulator.hook("GET", hook)["volumes"] == 10
    assert api.vol("POST", "/volumes", {"volume": {"size": 1}}).status == 200


def test_failure_rate_sends_every_transition_to_its_error_state():
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0", "EMULATOR_FAILURE_RATE": "1"}).start()
    try:
        api = make_api(proc)
        vol = api.create_volume(display_name="plain", wait="error")
        assert vol["status"] == "error"
    finally:
        proc.stop()
