"""Smoke tests of the harness: real Keystone 30 + Cinder 29 on loopback answer as a cloud does.

Plain HTTP with requests, no console: these hold the facts the console's OpenStack dialect relies on
(tests/openstack/cloud.py starts the services; docs/openstack-harness.md lists the facts).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import requests

from tests.openstack.cloud import REGIONS, ZONES

TIMEOUT = 30  # seconds per HTTP call
DEADLINE = 60  # seconds for a volume, snapshot or backup to settle


def call(method: str, url: str, token: str, body: object = None, **headers: str) -> requests.Response:
    return requests.request(
        method,
        url,
        json=body,
        headers={"X-Auth-Token": token, "Accept": "application/json", **headers},
        timeout=TIMEOUT,
    )


def wait_for(url: str, token: str, key: str, statuses: tuple[str, ...]) -> dict:
    """The record at `url` once its status is one of `statuses` (fails after DEADLINE)."""
    end = time.monotonic() + DEADLINE
    record: dict = {}
    while time.monotonic() < end:
        reply = call("GET", url, token)
        assert reply.status_code == 200, reply.text
        record = reply.json()[key]
        if record["status"] in statuses:
            return record
        time.sleep(0.2)
    raise AssertionError(f"{key} at {url} is still {record.get('status')!r}, not one of {statuses}")


def member(openstack, account):
    """(token, block-storage URL) of a fresh account's member, on its own project."""
    token, _ = openstack.token_of(account)
    return token, openstack.volume_url(next(iter(account.projects)))


def create_volume(url: str, token: str, **fields) -> dict:
    reply = call("POST", f"{url}/volumes", token, {"volume": {"size": 1, **fields}})
    assert reply.status_code == 202, reply.text
    return reply.json()["volume"]


def test_token_carries_the_catalog_with_block_storage_in_two_regions_and_no_compute(openstack):
    token, body = openstack.token("alice", "alpha")

    assert token
    assert body["project"]["name"] == "alpha"
    assert body["project"]["domain"]["name"] == "Default"
    assert {"member", "reader"} <= {role["name"] for role in body["roles"]}
    services = {service["type"]: service for service in body["catalog"]}
    assert set(services) == {"identity", *openstack.service_types}
    assert {"block-storage", "volumev3"} == set(openstack.service_types)  # devstack's catalog
    for service_type in openstack.service_types:
        endpoints = services[service_type]["endpoints"]
        assert {(e["region_id"], e["interface"]) for e in endpoints} == {(r, "public") for r in REGIONS}
        assert {e["url"] for e in endpoints} == {f"{openstack.cinder_root}/v3/{body['project']['id']}"}
    assert "compute" not in services


def test_the_catalog_can_list_one_block_storage_type(openstack):
    try:
        openstack.set_catalog("volumev3")
        _, volumev3_only = openstack.token("alice", "alpha")
        openstack.set_catalog("block-storage")
        _, block_storage_only = openstack.token("alice", "alpha")
    finally:
        openstack.set_catalog("devstack")
    _, both = openstack.token("alice", "alpha")

    def types(body: dict) -> set[str]:
        return {service["type"] for service in body["catalog"]}

    assert types(volumev3_only) == {"identity", "volumev3"}
    assert types(block_storage_only) == {"identity", "block-storage"}
    assert types(both) == {"identity", "volumev3", "block-storage"}
    endpoints = [e for s in both["catalog"] if s["type"] == "volumev3" for e in s["endpoints"]]
    assert sorted(e["region_id"] for e in endpoints) == sorted(REGIONS)


def test_keystone_refuses_a_wrong_password_with_its_error_body(openstack):
    reply = requests.post(
        f"{openstack.identity_url}/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {"user": {"name": "alice", "domain": {"name": "Default"}, "password": "no"}},
                }
            }
        },
        timeout=TIMEOUT,
    )

    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == 401
    assert reply.headers["X-Openstack-Request-Id"].startswith("req-")


def test_application_credential_logs_in_to_its_project(openstack):
    token, body = openstack.app_credential_token()

    assert body["methods"] == ["application_credential"]
    assert body["project"]["id"] == openstack.project_ids["alpha"]
    reply = call("GET", f"{openstack.volume_url('alpha')}/volumes/detail", token)
    assert reply.status_code == 200, reply.text


def test_volume_create_reaches_available_in_the_chosen_zone(openstack, openstack_account):
    token, url = member(openstack, openstack_account)

    reply = call(
        "POST", f"{url}/volumes", token, {"volume": {"size": 1, "name": "first", "availability_zone": "az2"}}
    )

    assert reply.status_code == 202, reply.text
    assert reply.headers["X-Openstack-Request-Id"] == reply.headers["X-Compute-Request-Id"]
    volume = reply.json()["volume"]
    assert (volume["name"], volume["status"]) == ("first", "creating")
    volume = wait_for(f"{url}/volumes/{volume['id']}", token, "volume", ("available", "error"))
    assert (volume["status"], volume["availability_zone"], volume["size"]) == ("available", "az2", 1)


def test_zones_and_volume_types_come_from_the_cloud(openstack, openstack_account):
    token, url = member(openstack, openstack_account)

    zones = call("GET", f"{url}/os-availability-zone", token).json()["availabilityZoneInfo"]
    types = call("GET", f"{url}/types", token).json()["volume_types"]

    assert sorted(zone["zoneName"] for zone in zones if zone["zoneState"]["available"]) == list(ZONES)
    assert {"__DEFAULT__", "standard", "fast"} <= {t["name"] for t in types}


def test_listing_past_osapi_max_limit_follows_next_links(openstack, openstack_account):
    token, url = member(openstack, openstack_account)
    created = {
        create_volume(url, token, name=f"page{n:02d}")["id"] for n in range(2 * openstack.max_limit + 3)
    }

    first = call("GET", f"{url}/volumes/detail", token).json()
    seen, pages, next_url = [], 0, f"{url}/volumes/detail"
    while next_url:
        page = call("GET", next_url, token).json()
        pages += 1
        seen += [volume["id"] for volume in page["volumes"]]
        next_url = next(
            (link["href"] for link in page.get("volumes_links", []) if link["rel"] == "next"), None
        )

    assert len(first["volumes"]) == openstack.max_limit
    assert [link["rel"] for link in first["volumes_links"]] == ["next"]
    assert pages == 3
    assert sorted(seen) == sorted(created)


def test_another_projects_volume_is_not_found(openstack, openstack_account):
    token, url = member(openstack, openstack_account)
    volume = create_volume(url, token, name="mine")
    other = openstack.new_account("other")
    other_token, other_url = member(openstack, other)

    reply = call("GET", f"{other_url}/volumes/{volume['id']}", other_token)
    listing = call("GET", f"{other_url}/volumes/detail", other_token).json()["volumes"]

    assert reply.status_code == 404
    assert reply.json()["itemNotFound"]["message"] == f"Volume {volume['id']} could not be found."
    assert volume["id"] not in {v["id"] for v in listing}


def test_reader_lists_but_gets_403_on_create(openstack):
    token, _ = openstack.token("rita", "alpha")
    url = openstack.volume_url("alpha")

    listing = call("GET", f"{url}/volumes/detail", token)
    reply = call("POST", f"{url}/volumes", token, {"volume": {"size": 1}})

    assert listing.status_code == 200
    assert reply.status_code == 403
    assert reply.json() == {
        "forbidden": {"code": 403, "message": "Policy doesn't allow volume:create to be performed."}
    }


def test_snapshot_backup_and_restore_reach_available(openstack, openstack_account):
    token, url = member(openstack, openstack_account)
    volume = create_volume(url, token, name="source")
    wait_for(f"{url}/volumes/{volume['id']}", token, "volume", ("available",))

    snapshot = call("POST", f"{url}/snapshots", token, {"snapshot": {"volume_id": volume["id"], "name": "s"}})
    assert snapshot.status_code == 202, snapshot.text
    snapshot = wait_for(
        f"{url}/snapshots/{snapshot.json()['snapshot']['id']}", token, "snapshot", ("available", "error")
    )
    assert snapshot["status"] == "available"

    backup = call("POST", f"{url}/backups", token, {"backup": {"volume_id": volume["id"], "name": "b"}})
    assert backup.status_code == 202, backup.text
    backup_id = backup.json()["backup"]["id"]
    backup = wait_for(f"{url}/backups/{backup_id}", token, "backup", ("available", "error"))
    assert backup["status"] == "available", backup["fail_reason"]

    restore = call("POST", f"{url}/backups/{backup_id}/restore", token, {"restore": {"name": "restored"}})
    assert restore.status_code == 202, restore.text
    restored = wait_for(
        f"{url}/volumes/{restore.json()['restore']['volume_id']}",
        token,
        "volume",
        ("available", "error_restoring"),
    )
    assert (restored["status"], restored["name"]) == ("available", "restored")
    assert wait_for(f"{url}/backups/{backup_id}", token, "backup", ("available",))["status"] == "available"


def gone(url: str, token: str) -> int:
    """The status of GET `url` once it is no longer 200 (fails after DEADLINE)."""
    end = time.monotonic() + DEADLINE
    while (reply := call("GET", url, token)).status_code == 200:
        assert time.monotonic() < end, reply.text
        time.sleep(0.2)
    return reply.status_code


def test_backup_snapshot_and_volume_deletes_go_through_to_404(openstack, openstack_account):
    token, url = member(openstack, openstack_account)
    volume = create_volume(url, token)
    wait_for(f"{url}/volumes/{volume['id']}", token, "volume", ("available",))
    snapshot = call("POST", f"{url}/snapshots", token, {"snapshot": {"volume_id": volume["id"]}}).json()[
        "snapshot"
    ]
    wait_for(f"{url}/snapshots/{snapshot['id']}", token, "snapshot", ("available",))
    backup = call("POST", f"{url}/backups", token, {"backup": {"volume_id": volume["id"]}}).json()["backup"]
    wait_for(f"{url}/backups/{backup['id']}", token, "backup", ("available",))

    blocked = call("DELETE", f"{url}/volumes/{volume['id']}", token)  # it has a snapshot
    deletes = [
        call("DELETE", f"{url}/backups/{backup['id']}", token).status_code,
        gone(f"{url}/backups/{backup['id']}", token),
        call("DELETE", f"{url}/snapshots/{snapshot['id']}", token).status_code,
        gone(f"{url}/snapshots/{snapshot['id']}", token),
        call("DELETE", f"{url}/volumes/{volume['id']}", token).status_code,
        gone(f"{url}/volumes/{volume['id']}", token),
    ]

    assert blocked.status_code == 400
    assert "have snapshots" in blocked.json()["badRequest"]["message"]
    assert deletes == [202, 404, 202, 404, 202, 404]


def test_extend_grows_the_volume(openstack, openstack_account):
    token, url = member(openstack, openstack_account)
    volume = create_volume(url, token)
    wait_for(f"{url}/volumes/{volume['id']}", token, "volume", ("available",))

    reply = call("POST", f"{url}/volumes/{volume['id']}/action", token, {"os-extend": {"new_size": 3}})

    assert reply.status_code == 202, reply.text
    end = time.monotonic() + DEADLINE
    while (record := call("GET", f"{url}/volumes/{volume['id']}", token).json()["volume"])["size"] != 3:
        assert time.monotonic() < end, record
        time.sleep(0.2)
    assert wait_for(f"{url}/volumes/{volume['id']}", token, "volume", ("available",))["size"] == 3


def test_attach_helper_puts_the_volume_in_use_and_delete_is_refused(openstack, openstack_account):
    token, url = member(openstack, openstack_account)
    volume = create_volume(url, token)
    wait_for(f"{url}/volumes/{volume['id']}", token, "volume", ("available",))

    attached = openstack.attach(volume["id"], instance_uuid="11111111-2222-3333-4444-555555555555")
    seen = call("GET", f"{url}/volumes/{volume['id']}", token).json()["volume"]
    refused = call("DELETE", f"{url}/volumes/{volume['id']}", token)

    assert attached["status"] == seen["status"] == "in-use"
    assert [(a["server_id"], a["device"]) for a in seen["attachments"]] == [
        ("11111111-2222-3333-4444-555555555555", "/dev/vdb")
    ]
    assert refused.status_code == 400
    assert "Volume status must be available" in refused.json()["badRequest"]["message"]
    assert openstack.detach(volume["id"])["status"] == "available"


def test_services_keep_heartbeats_past_service_down_time(openstack, openstack_account):
    """Every Cinder service of the one process reports for itself: past service_down_time all are
    still up, and a create still reaches available (without this, it would end in error)."""
    admin = openstack.volume_url("admin")
    token = openstack.admin_token()

    def services() -> list[dict]:
        return call("GET", f"{admin}/os-services", token).json()["services"]

    def stamp(service: dict) -> datetime:
        return datetime.fromisoformat(service["updated_at"])

    start = min(stamp(service) for service in services())
    wanted = start + timedelta(seconds=openstack.service_down_time + openstack.report_interval)
    end = time.monotonic() + 3 * openstack.service_down_time + 30
    current = services()
    while not all(s["state"] == "up" and stamp(s) > wanted for s in current):
        assert time.monotonic() < end, f"a service stopped reporting: {current}"
        time.sleep(0.5)
        current = services()

    member_token, url = member(openstack, openstack_account)
    volume = create_volume(url, member_token)
    assert wait_for(f"{url}/volumes/{volume['id']}", member_token, "volume", ("available", "error"))[
        "status"
    ] == ("available")


def test_status_helpers_show_through_the_api(openstack, openstack_account):
    token, url = member(openstack, openstack_account)
    volume = create_volume(url, token)
    wait_for(f"{url}/volumes/{volume['id']}", token, "volume", ("available",))
    backup = call("POST", f"{url}/backups", token, {"backup": {"volume_id": volume["id"]}}).json()["backup"]
    wait_for(f"{url}/backups/{backup['id']}", token, "backup", ("available",))

    openstack.reset_status("volume", volume["id"], "maintenance")
    in_maintenance = call("GET", f"{url}/volumes/{volume['id']}", token).json()["volume"]["status"]
    openstack.put_status("backup", backup["id"], "restoring")
    restoring = call("GET", f"{url}/backups/{backup['id']}", token).json()["backup"]["status"]
    openstack.put_status("backup", backup["id"], "available")
    openstack.reset_status("volume", volume["id"], "available")

    assert (in_maintenance, restoring) == ("maintenance", "restoring")
