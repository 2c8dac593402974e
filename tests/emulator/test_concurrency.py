"""Rules that must hold when calls arrive at once (the emulator is a threaded server)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.emulator.conftest import Api, make_api
from tests.emulator.test_limits_and_quota import TOO_MANY


def _at_once(api: Api, calls: list[tuple[str, str, str, dict | None]]) -> list:
    """Each call in its own thread and session; returns the replies in call order."""

    def one(call):
        base, method, path, body = call
        mine = Api(api.emulator, api.account, region=api.region, token=api.token, session=requests.Session())
        return (mine.vol if base == "vol" else mine.comp)(method, path, body)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(one, calls))


def test_concurrent_creates_never_exceed_the_quota(api):
    replies = _at_once(api, [("vol", "POST", "/volumes", {"volume": {"size": 1}})] * 16)
    statuses = sorted(r.status for r in replies)
    assert statuses == [200] * 10 + [413] * 6, statuses
    assert all(r.fault[1]["message"] == TOO_MANY for r in replies if r.status == 413)
    assert api.count() == 10


def test_concurrent_attaches_of_one_volume_let_exactly_one_in(api):
    servers = [s["id"] for s in api.servers() if s.get("OS-EXT-AZ:availability_zone") == "az2"]
    vol = api.create_volume()
    calls = [
        (
            "comp",
            "POST",
            f"/servers/{server}/os-volume_attachments",
            {"volumeAttachment": {"volumeId": vol["id"]}},
        )
        for server in servers
        for _ in range(4)
    ]
    replies = _at_once(api, calls)
    assert sorted(r.status for r in replies) == [200] + [400] * (len(calls) - 1)
    assert len(api.wait("volumes", vol["id"], "in-use")["attachments"]) == 1


def test_concurrent_attaches_to_one_server_get_distinct_devices(api):
    server = api.server_in("az2")
    vols = [api.create_volume(wait=None)["id"] for _ in range(6)]
    for vid in vols:
        api.wait("volumes", vid, "available")
    replies = _at_once(
        api,
        [
            (
                "comp",
                "POST",
                f"/servers/{server}/os-volume_attachments",
                {"volumeAttachment": {"volumeId": vid}},
            )
            for vid in vols
        ],
    )
    assert [r.status for r in replies] == [200] * 6
    devices = sorted(r.body["volumeAttachment"]["device"] for r in replies)
    assert devices == [f"/dev/vd{c}" for c in "cdefgh"]


def test_concurrent_snapshot_and_delete_leave_a_consistent_state(api):
    """Snapshotting while deleting: either the delete wins (no snapshot) or the snapshot does (no delete)."""
    for _ in range(3):
        vol = api.create_volume()
        snap, delete = _at_once(
            api,
            [
                ("vol", "POST", "/snapshots", {"snapshot": {"volume_id": vol["id"]}}),
                ("vol", "DELETE", f"/volumes/{vol['id']}", None),
            ],
        )
        assert (snap.status, delete.status) in ((200, 400), (400, 202)), (snap, delete)
        if snap.status == 200:
            api.wait("snapshots", snap.body["snapshot"]["id"], "available")
            assert api.show("volumes", vol["id"])["status"] == "available"
        else:
            api.wait("volumes", vol["id"], "gone")


def test_concurrent_calls_meet_the_rate_limit_once(limited_emulator):
    api = make_api(limited_emulator, "c")
    time.sleep(1.1)
    replies = _at_once(api, [("vol", "GET", "/volumes", None)] * 6)
    assert sorted(r.status for r in replies) == [200] + [413] * 5
