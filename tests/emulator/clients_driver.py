"""Drives the emulator with python-cinderclient 4.3.0 (v1 API) and python-novaclient 18.13.1.

Runs under .venv-clients/bin/python (NOT the project's virtualenv): the test suite starts it with
`python clients_driver.py SCENARIO '{"url": ..., "user": ..., ...}'` and reads one JSON object from
stdout. Everything it reports comes from the clients' own objects and exceptions, so the tests check
what a user of those clients would see.
"""

import json
import sys
import time

from cinderclient import client as cinder_client
from cinderclient import exceptions as cinder_exc
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from keystoneauth1.identity import v2, v3
from novaclient import client as nova_client
from novaclient import exceptions as nova_exc

DEADLINE = 15.0


def make_session(cfg, identity=None):
    identity = identity or cfg.get("identity", "v3")
    if identity == "v3":
        auth = v3.Password(
            auth_url=cfg["url"] + "/v3",
            username=cfg["user"],
            password=cfg["password"],
            project_name=cfg["project"],
            user_domain_id="default",
            project_domain_id="default",
        )
    elif identity == "v2.0":
        auth = v2.Password(
            auth_url=cfg["url"] + "/v2.0",
            username=cfg["user"],
            password=cfg["password"],
            tenant_name=cfg["project"],
        )
    else:  # token and endpoint, no catalog
        auth = token_endpoint.Token(cfg["endpoint"], cfg["token"])
    return ks_session.Session(auth=auth, timeout=15)


def cinder(cfg, identity=None, retries=0):
    return cinder_client.Client(
        "1", session=make_session(cfg, identity), region_name=cfg["region"], retries=retries
    )


def nova(cfg):
    return nova_client.Client("2", session=make_session(cfg), region_name=cfg["region"])


def wait(getter, ident, *statuses):
    deadline = time.monotonic() + DEADLINE
    seen = []
    while True:
        try:
            item = getter(ident)
        except cinder_exc.NotFound:
            if "gone" in statuses:
                return None
            raise
        if not seen or seen[-1] != item.status:
            seen.append(item.status)
        if item.status in statuses:
            return item
        if time.monotonic() > deadline:
            raise AssertionError(f"{ident} never reached {statuses}; saw {seen}")
        time.sleep(0.05)


def error_info(exc):
    return {
        "class": type(exc).__name__,
        "code": getattr(exc, "code", None),
        "message": getattr(exc, "message", str(exc)),
        "request_id": getattr(exc, "request_id", None),
    }


def expect_error(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except (cinder_exc.ClientException, nova_exc.ClientException) as exc:
        return error_info(exc)
    return {"class": None}


# --- scenarios ------
def cinder_lifecycle(cfg):
    """Every cinderclient v1 call the console's users would make, in order; reports what came back."""
    c = cinder(cfg)
    out = {}
    vol = c.volumes.create(
        2,
        display_name="cc-vol",
        display_description="made by cinderclient",
        availability_zone="az1",
        metadata={"owner": "cinderclient"},
    )
    out["create"] = dict(vol._info)
    vol = wait(c.volumes.get, vol.id, "available", "error")
    out["available"] = dict(vol._info)
    out["list_ids"] = [v.id for v in c.volumes.list(detailed=False)]
    out["detail_ids"] = [v.id for v in c.volumes.list()]
    c.volumes.update(vol, display_name="cc-renamed")
    out["renamed"] = c.volumes.get(vol.id).display_name

    snap = c.volume_snapshots.create(vol.id, display_name="cc-snap")
    out["snapshot_create"] = dict(snap._info)
    snap = wait(c.volume_snapshots.get, snap.id, "available", "error")
    out["snapshot"] = dict(snap._info)
    out["snapshot_ids"] = [s.id for s in c.volume_snapshots.list()]

    from_snap = c.volumes.create(None, snapshot_id=snap.id, display_name="cc-from-snap")
    out["from_snapshot"] = dict(wait(c.volumes.get, from_snap.id, "available", "error")._info)
    clone = c.volumes.create(2, source_volid=vol.id, display_name="cc-clone")
    out["clone"] = dict(wait(c.volumes.get, clone.id, "available", "error")._info)

    backup = c.backups.create(vol.id, name="cc-backup", description="cinderclient backup")
    out["backup_create"] = dict(backup._info)
    backup = wait(c.backups.get, backup.id, "available", "error")
    out["backup"] = dict(backup._info)
    out["backup_list"] = [dict(b._info) for b in c.backups.list(detailed=False)]
    out["backup_detail_ids"] = [b.id for b in c.backups.list()]

    restore = c.restores.restore(backup.id, clone.id)
    out["restore_existing"] = dict(restore._info)
    out["restored_existing"] = wait(c.volumes.get, clone.id, "available", "error_restoring").status
    wait(c.backups.get, backup.id, "available")
    restore = c.restores.restore(backup.id)
    out["restore_new"] = dict(restore._info)
    out["restored_new"] = dict(wait(c.volumes.get, restore.volume_id, "available", "error_restoring")._info)

    out["limits"] = {limit.name: limit.value for limit in c.limits.get().absolute}

    c.volumes.delete(from_snap.id)
    wait(c.volumes.get, from_snap.id, "gone")
    out["delete_with_snapshot"] = expect_error(c.volumes.delete, vol.id)
    c.volume_snapshots.delete(snap.id)
    wait(c.volume_snapshots.get, snap.id, "gone")
    c.backups.delete(backup.id)
    wait(c.backups.get, backup.id, "gone")
    c.volumes.delete(vol.id)
    wait(c.volumes.get, vol.id, "gone")
    out["left"] = sorted(v.id for v in c.volumes.list())
    return out


def cinder_errors(cfg):
    c = cinder(cfg)
    out = {
        "size_0": expect_error(c.volumes.create, 0),
        "size_2048": expect_error(c.volumes.create, 2048),
        "bad_zone": expect_error(c.volumes.create, 1, availability_zone="az9"),
        "unknown_volume": expect_error(c.volumes.get, "00000000-0000-0000-0000-000000000000"),
        "unknown_backup": expect_error(c.backups.get, "00000000-0000-0000-0000-000000000000"),
    }
    vol = wait(c.volumes.get, c.volumes.create(2).id, "available")
    snap = wait(c.volume_snapshots.get, c.volume_snapshots.create(vol.id).id, "available")
    out["two_sources"] = expect_error(c.volumes.create, 2, snapshot_id=snap.id, source_volid=vol.id)
    out["clone_too_small"] = expect_error(c.volumes.create, 1, source_volid=vol.id)
    c.volumes.create(2047)  # 2 + 2 + 2047 GB in use
    out["too_big"] = expect_error(c.volumes.create, 950)
    for _ in range(7):  # 2 volumes + 1 snapshot + 7 = the quota of 10
        c.volumes.create(1)
    out["over_quota"] = expect_error(c.volumes.create, 1)
    out["count"] = len(c.volumes.list())
    bad = dict(cfg, password="wrong")
    try:
        cinder(bad).volumes.list()
        out["bad_password"] = None
    except Exception as exc:  # keystoneauth raises its own Unauthorized
        out["bad_password"] = {"class": type(exc).__name__, "http_status": getattr(exc, "http_status", None)}
    return out


def cinder_identities(cfg):
    """The same listing through Identity v3, Identity v2.0 and a bare token plus endpoint."""
    return {
        identity: sorted(v.id for v in cinder(cfg, identity).volumes.list())
        for identity in ("v3", "v2.0", "token")
    }


def nova_attachments(cfg):
    n = nova(cfg)
    c = cinder(cfg)
    out = {}
    servers = n.servers.list()
    by_zone = {}
    for server in servers:
        by_zone.setdefault(getattr(server, "OS-EXT-AZ:availability_zone", None), []).append(server.id)
    out["zones"] = sorted(z for z in by_zone if z)
    server = by_zone["az2"][0]
    vol = wait(c.volumes.get, c.volumes.create(1, display_name="nv", availability_zone="az2").id, "available")
    second = wait(c.volumes.get, c.volumes.create(1, availability_zone="az2").id, "available")
    elsewhere = wait(c.volumes.get, c.volumes.create(1, availability_zone="az1").id, "available")

    att = n.volumes.create_server_volume(server, vol.id, "/dev/vdz")
    out["attach"] = dict(att._info)
    out["in_use"] = dict(wait(c.volumes.get, vol.id, "in-use", "error_attaching")._info)
    att2 = n.volumes.create_server_volume(server, second.id)
    out["attach_second"] = dict(att2._info)
    wait(c.volumes.get, second.id, "in-use")
    out["list"] = [dict(a._info) for a in n.volumes.get_server_volumes(server)]
    out["get"] = dict(n.volumes.get_server_volume(server, vol.id)._info)
    out["cross_zone"] = expect_error(n.volumes.create_server_volume, server, elsewhere.id)
    out["again"] = expect_error(n.volumes.create_server_volume, server, vol.id)
    out["snapshot_in_use"] = expect_error(c.volume_snapshots.create, vol.id)
    out["snapshot_forced"] = expect_error(c.volume_snapshots.create, vol.id, force=True)
    out["snapshots_after"] = len(c.volume_snapshots.list())
    n.volumes.delete_server_volume(server, vol.id)
    out["detached"] = dict(wait(c.volumes.get, vol.id, "available", "error_detaching")._info)
    out["after_detach"] = [a.volumeId for a in n.volumes.get_server_volumes(server)]
    out["get_detached"] = expect_error(n.volumes.get_server_volume, server, vol.id)
    out["server"] = server
    out["volumes"] = {"first": vol.id, "second": second.id, "elsewhere": elsewhere.id}
    return out


def cinder_rate_limited(cfg):
    """Against the rate-limited emulator: no retries meets the 413; retries ride it out via Retry-After."""
    plain = cinder(cfg)
    plain.volumes.list()
    out = {"no_retry": None}
    try:
        plain.volumes.list()
    except cinder_exc.OverLimit as exc:
        out["no_retry"] = dict(error_info(exc), retry_after=exc.retry_after)
    patient = cinder(cfg, retries=5)
    out["with_retries"] = [len(patient.volumes.list()) for _ in range(4)]
    return out


SCENARIOS = {
    f.__name__: f
    for f in (cinder_lifecycle, cinder_errors, cinder_identities, nova_attachments, cinder_rate_limited)
}

if __name__ == "__main__":
    result = SCENARIOS[sys.argv[1]](json.loads(sys.argv[2]))
    sys.stdout.write(json.dumps(result, default=str))
