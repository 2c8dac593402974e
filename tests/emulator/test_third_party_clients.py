"""Real third-party clients against the emulator: python-cinderclient 4.3.0 (the last with the v1 API) and
python-novaclient 18.13.1, installed in their own virtualenv (.venv-clients) by `make test`.

The Python API is driven by clients_driver.py running under that virtualenv's interpreter; the CLIs
(`cinder`, `nova`) are run as a user would run them. See docs/emulator-clients.md for where these clients
and the spec disagree.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.emulator.conftest import REGION_A, REGION_B, Api, assert_fault, v3_token
from tests.emulator_process import ROOT

pytestmark = pytest.mark.clients

CLIENTS_BIN = ROOT / ".venv-clients" / "bin"
DRIVER = Path(__file__).with_name("clients_driver.py")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TOO_MANY = "VolumeLimitExceeded: Maximum number of volumes allowed (10) exceeded"
TOO_BIG = "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed Gigabytes quota"


@pytest.fixture(scope="module")
def clients_bin() -> Path:
    if not (CLIENTS_BIN / "cinder").exists() or not (CLIENTS_BIN / "nova").exists():
        message = "the third-party clients are not installed: run `make clients`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CLIENTS_BIN


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "CINDER_", "NOVA_", "PYTHON"))}
    env["PYTHONWARNINGS"] = "ignore"
    return env


def run(args: list[str], check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, env=_env(), cwd="/")
    if check:
        assert proc.returncode == 0, f"{args[:4]}... exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def drive(clients_bin: Path, scenario: str, cfg: dict) -> dict:
    proc = run([str(clients_bin / "python"), str(DRIVER), scenario, json.dumps(cfg)])
    return json.loads(proc.stdout)


def client_cfg(emulator, account, region=REGION_A, **extra) -> dict:
    return {
        "url": emulator.url,
        "user": account["user"],
        "password": account["password"],
        "project": account["project"],
        "region": region,
        **extra,
    }


def table(text: str) -> list[dict]:
    """Rows of a prettytable as printed by the clients' CLIs."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    if not lines:
        return []
    head = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [
        dict(zip(head, (cell.strip() for cell in line.strip("|").split("|")), strict=True))
        for line in lines[1:]
    ]


def properties(text: str) -> dict:
    return {row["Property"]: row["Value"] for row in table(text)}


# --- python-cinderclient, Python API ------
def test_cinderclient_v1_python_api_full_lifecycle(clients_bin, emulator, account):
    out = drive(clients_bin, "cinder_lifecycle", client_cfg(emulator, account))
    api = Api(emulator, account)

    created = out["create"]
    assert UUID.match(created["id"])
    assert created["status"] == "creating"
    assert (created["size"], created["availability_zone"], created["display_name"]) == (2, "az1", "cc-vol")
    assert created["metadata"] == {"owner": "cinderclient"}
    assert out["available"]["status"] == "available"
    assert created["id"] in out["list_ids"] and created["id"] in out["detail_ids"]
    assert out["renamed"] == "cc-renamed"

    assert out["snapshot_create"]["status"] == "creating"
    assert (out["snapshot"]["status"], out["snapshot"]["volume_id"], out["snapshot"]["size"]) == (
        "available",
        created["id"],
        2,
    )
    assert out["snapshot_ids"] == [out["snapshot"]["id"]]
    # cinderclient sends size null (and every other source key null) for a volume from a snapshot
    assert (out["from_snapshot"]["status"], out["from_snapshot"]["size"]) == ("available", 2)
    assert out["from_snapshot"]["snapshot_id"] == out["snapshot"]["id"]
    assert (out["clone"]["status"], out["clone"]["source_volid"]) == ("available", created["id"])

    assert out["backup_create"]["name"] == "cc-backup"
    backup = out["backup"]
    assert (backup["status"], backup["volume_id"], backup["size"], backup["container"]) == (
        "available",
        created["id"],
        2,
        "volumebackups",
    )
    assert backup["description"] == "cinderclient backup"
    assert [b["id"] for b in out["backup_list"]] == [backup["id"]]
    assert set(out["backup_list"][0]) == {"id", "links", "name"}
    assert out["backup_detail_ids"] == [backup["id"]]

    assert out["restore_existing"] == {"backup_id": backup["id"], "volume_id": out["clone"]["id"]}
    assert out["restored_existing"] == "available"
    assert out["restore_new"]["backup_id"] == backup["id"]
    new = out["restored_new"]
    assert (new["status"], new["availability_zone"], new["size"]) == ("available", "az2", 2)

    assert out["limits"]["maxTotalVolumes"] == 10
    assert out["limits"]["maxTotalVolumeGigabytes"] == 3000
    assert out["delete_with_snapshot"]["class"] == "BadRequest"
    assert out["delete_with_snapshot"]["code"] == 400

    # what the client did is what the API shows
    assert sorted(v["id"] for v in api.listing("volumes")) == out["left"]
    assert sorted(out["left"]) == sorted([out["clone"]["id"], new["id"]])
    assert api.listing("snapshots") == [] and api.listing("backups") == []


def test_cinderclient_errors_carry_the_specs_messages(clients_bin, emulator, account):
    out = drive(clients_bin, "cinder_errors", client_cfg(emulator, account))
    for key in ("size_0", "size_2048", "bad_zone", "two_sources", "clone_too_small"):
        assert (out[key]["class"], out[key]["code"]) == ("BadRequest", 400), (key, out[key])
        assert out[key]["request_id"].startswith("req-"), out[key]
    for key in ("unknown_volume", "unknown_backup"):
        assert (out[key]["class"], out[key]["code"]) == ("NotFound", 404), (key, out[key])
    assert (out["over_quota"]["class"], out["over_quota"]["code"]) == ("OverLimit", 413)
    assert out["over_quota"]["message"] == TOO_MANY
    assert (out["too_big"]["class"], out["too_big"]["message"]) == ("OverLimit", TOO_BIG)
    assert out["count"] == 9
    assert out["bad_password"] is not None and out["bad_password"]["http_status"] == 401


def test_cinderclient_through_v3_v2_and_a_bare_token(clients_bin, emulator, account):
    api = Api(emulator, account)
    vol = api.create_volume()
    cfg = client_cfg(emulator, account, token=api.token, endpoint=api.volume_base)
    out = drive(clients_bin, "cinder_identities", cfg)
    assert out == {"v3": [vol["id"]], "v2.0": [vol["id"]], "token": [vol["id"]]}


def test_cinderclient_region_b_has_its_own_state(clients_bin, emulator, account):
    api = Api(emulator, account, region=REGION_B)
    vol = api.create_volume()
    Api(emulator, account).create_volume()
    out = drive(
        clients_bin,
        "cinder_identities",
        client_cfg(emulator, account, region=REGION_B, token=api.token, endpoint=api.volume_base),
    )
    assert out["v3"] == out["v2.0"] == out["token"] == [vol["id"]]


def test_cinderclient_meets_and_rides_out_the_rate_limit(clients_bin, limited_emulator):
    name = f"rl{os.getpid()}"
    info = limited_emulator.new_account(name)
    account = {"user": name, "password": f"{name}-password", "project": name, **info}
    out = drive(clients_bin, "cinder_rate_limited", client_cfg(limited_emulator, account))
    assert out["no_retry"] is not None, out
    assert (out["no_retry"]["class"], out["no_retry"]["code"]) == ("OverLimit", 413)
    assert out["no_retry"]["message"] == "This request was rate-limited."
    assert out["no_retry"]["retry_after"] >= 1  # read from the Retry-After header
    assert out["with_retries"] == [0, 0, 0, 0]


# --- python-novaclient, Python API ------
def test_novaclient_volume_attachments(clients_bin, emulator, account):
    out = drive(clients_bin, "nova_attachments", client_cfg(emulator, account))
    vols, server = out["volumes"], out["server"]
    assert out["zones"] == ["az1", "az2", "az3"]
    att = out["attach"]
    assert (att["volumeId"], att["serverId"], att["device"]) == (vols["first"], server, "/dev/vdc")
    assert out["in_use"]["status"] == "in-use"
    assert out["in_use"]["attachments"][0]["server_id"] == server
    assert out["attach_second"]["device"] == "/dev/vdd"
    assert sorted((a["volumeId"], a["device"]) for a in out["list"]) == sorted(
        [(vols["first"], "/dev/vdc"), (vols["second"], "/dev/vdd")]
    )
    assert out["get"] == att
    assert (out["cross_zone"]["class"], out["cross_zone"]["code"]) == ("BadRequest", 400)
    assert (out["again"]["class"], out["again"]["code"]) == ("BadRequest", 400)
    assert (out["snapshot_in_use"]["class"], out["snapshot_in_use"]["code"]) == ("BadRequest", 400)
    # spec 4.5.3: no snapshot of an attached volume, force or not (docs/emulator.md)
    assert (out["snapshot_forced"]["class"], out["snapshot_forced"]["code"]) == ("BadRequest", 400)
    assert out["snapshots_after"] == 0
    assert (out["detached"]["status"], out["detached"]["attachments"]) == ("available", [])
    assert out["after_detach"] == [vols["second"]]
    assert (out["get_detached"]["class"], out["get_detached"]["code"]) == ("NotFound", 404)

    api = Api(emulator, account)
    listed = api.comp("GET", f"/servers/{server}/os-volume_attachments").body["volumeAttachments"]
    assert [a["volumeId"] for a in listed] == [vols["second"]]


# --- the cinder CLI ------
@pytest.fixture
def cinder_cli(clients_bin, emulator, account):
    token, _ = v3_token(emulator, account["user"], account["password"], account["project"])
    project = account["project_id"]
    base = [
        str(clients_bin / "cinder"),
        "--os-volume-api-version",
        "1",
        "--os-auth-type",
        "admin_token",
        "--os-token",
        token,
        "--os-endpoint",
        emulator.volume_url(project),
        "--os-project-id",
        project,
    ]

    def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run([*base, *args], check=check)

    return cli


def test_cinder_cli_create_list_show_snapshot_backup_restore_limits(cinder_cli, emulator, account):
    api = Api(emulator, account)
    created = properties(
        cinder_cli(
            "create",
            "--display-name",
            "cli-vol",
            "--availability-zone",
            "az3",
            "--metadata",
            "team=storage",
            "--",
            "3",
        ).stdout
    )
    vid = created["id"]
    assert UUID.match(vid)
    assert (created["status"], created["size"], created["availability_zone"]) == ("creating", "3", "az3")
    assert created["display_name"] == "cli-vol"
    api.wait("volumes", vid, "available")

    rows = table(cinder_cli("list").stdout)
    assert [(r["ID"], r["Status"], r["Display Name"], r["Size"]) for r in rows] == [
        (vid, "available", "cli-vol", "3")
    ]
    shown = properties(cinder_cli("show", vid).stdout)
    assert (shown["status"], shown["availability_zone"], shown["bootable"]) == ("available", "az3", "false")
    assert "team" in shown["metadata"] and "storage" in shown["metadata"]

    snap = properties(cinder_cli("snapshot-create", "--display-name", "cli-snap", vid).stdout)
    api.wait("snapshots", snap["id"], "available")
    rows = table(cinder_cli("snapshot-list").stdout)
    assert [(r["ID"], r["Volume ID"], r["Status"], r["Display Name"], r["Size"]) for r in rows] == [
        (snap["id"], vid, "available", "cli-snap", "3")
    ]

    backup = properties(cinder_cli("backup-create", "--display-name", "cli-backup", vid).stdout)
    assert (backup["name"], backup["volume_id"]) == ("cli-backup", vid)
    api.wait("backups", backup["id"], "available")
    rows = table(cinder_cli("backup-list").stdout)
    assert [(r["ID"], r["Volume ID"], r["Status"], r["Name"], r["Size"], r["Container"]) for r in rows] == [
        (backup["id"], vid, "available", "cli-backup", "3", "volumebackups")
    ]

    cinder_cli("backup-restore", "--volume-id", vid, backup["id"])
    assert api.show("volumes", vid)["status"] in ("restoring-backup", "available")
    api.wait("volumes", vid, "available")
    api.wait("backups", backup["id"], "available")
    cinder_cli("backup-restore", backup["id"])  # into a new az2 volume
    rows = table(cinder_cli("list").stdout)
    assert len(rows) == 2
    (new,) = [r for r in rows if r["ID"] != vid]
    assert new["Size"] == "3"
    assert api.wait("volumes", new["ID"], "available")["availability_zone"] == "az2"

    limits = {r["Name"]: r["Value"] for r in table(cinder_cli("absolute-limits").stdout)}
    assert (limits["maxTotalVolumes"], limits["maxTotalVolumeGigabytes"]) == ("10", "3000")


def test_cinder_cli_prints_the_specs_quota_errors(cinder_cli, emulator, account):
    """Spec 4.5.2: 'The error reported to the user when using the standard python-cinderclient is ...'."""
    api = Api(emulator, account)
    api.create_volume(size=2047, wait=None)
    too_big = cinder_cli("create", "954", check=False)
    assert too_big.returncode != 0
    assert f"ERROR: {TOO_BIG}" in too_big.stderr
    for _ in range(9):
        api.create_volume(wait=None)
    too_many = cinder_cli("create", "1", check=False)
    assert too_many.returncode != 0
    assert f"ERROR: {TOO_MANY}" in too_many.stderr
    assert api.count() == 10


def test_cinder_cli_bad_input_and_bad_token(cinder_cli, clients_bin, emulator, account):
    bad = cinder_cli("create", "--availability-zone", "az7", "1", check=False)
    assert bad.returncode != 0 and "(HTTP 400)" in bad.stderr and "Request-ID: req-" in bad.stderr
    proc = run(
        [
            str(clients_bin / "cinder"),
            "--os-volume-api-version",
            "1",
            "--os-auth-type",
            "admin_token",
            "--os-token",
            "not-a-token",
            "--os-endpoint",
            emulator.volume_url(account["project_id"]),
            "--os-project-id",
            account["project_id"],
            "list",
        ],
        check=False,
    )
    assert proc.returncode != 0 and "(HTTP 401)" in proc.stderr
    assert Api(emulator, account).count() == 0


def test_cinder_cli_by_name_rename_force_and_delete(cinder_cli, emulator, account):
    """The CLI finds volumes by name (GET /volumes/{name} -> 404, then /volumes/detail?all_tenants=1&
    display_name=...), and sends snapshot-create --force as the string "True" (read as true; an
    attached volume is refused all the same, spec 4.5.3)."""
    api = Api(emulator, account)
    vol = api.create_volume(display_name="by-name")
    assert properties(cinder_cli("show", "by-name").stdout)["id"] == vol["id"]
    cinder_cli("rename", "by-name", "renamed", "--display-description", "new words")
    now = api.show("volumes", vol["id"])
    assert (now["display_name"], now["display_description"]) == ("renamed", "new words")

    api.attach(api.server_in("az2"), vol["id"])
    refused = cinder_cli("snapshot-create", "renamed", check=False)
    assert refused.returncode != 0 and "(HTTP 400)" in refused.stderr
    refused = cinder_cli("snapshot-create", "--force", "False", "renamed", check=False)
    assert refused.returncode != 0 and "(HTTP 400)" in refused.stderr
    # "--force True" arrives as the string "True": read as true, and still refused (spec 4.5.3)
    refused = cinder_cli("snapshot-create", "--force", "True", "renamed", check=False)
    assert refused.returncode != 0 and "(HTTP 400)" in refused.stderr
    assert "attached to a server" in refused.stderr
    assert api.listing("snapshots") == []

    api.detach(api.server_in("az2"), vol["id"])
    cold = cinder_cli("snapshot-create", "--force", "True", "--display-name", "cold", "renamed")
    snap = properties(cold.stdout)
    assert api.wait("snapshots", snap["id"], "available")["volume_id"] == vol["id"]
    blocked = cinder_cli("delete", "renamed", check=False)
    assert "Delete for volume renamed failed" in blocked.stdout + blocked.stderr
    assert api.show("volumes", vol["id"])["status"] == "available"
    cinder_cli("snapshot-delete", snap["id"])
    api.wait("snapshots", snap["id"], "gone")
    cinder_cli("delete", "renamed")
    assert api.wait("volumes", vol["id"], "gone") is None


# --- the nova CLI ------
def test_nova_cli_volume_attach_attachments_detach(clients_bin, emulator, account):
    api = Api(emulator, account)
    server = api.server_in("az2")
    vol = api.create_volume(display_name="nova-cli")
    nova = [
        str(clients_bin / "nova"),
        "--os-auth-url",
        emulator.identity_url,
        "--os-username",
        account["user"],
        "--os-password",
        account["password"],
        "--os-project-name",
        account["project"],
        "--os-user-domain-id",
        "default",
        "--os-project-domain-id",
        "default",
        "--os-region-name",
        REGION_A,
        "--os-compute-api-version",
        "2",
    ]

    attached = properties(run([*nova, "volume-attach", server, vol["id"], "/dev/vdk"]).stdout)
    assert (attached["volumeId"], attached["serverId"], attached["device"]) == (vol["id"], server, "/dev/vdc")
    api.wait("volumes", vol["id"], "in-use")
    rows = table(run([*nova, "volume-attachments", server]).stdout)
    assert [(r["VOLUME ID"], r["SERVER ID"], r["DEVICE"]) for r in rows] == [(vol["id"], server, "/dev/vdc")]

    run([*nova, "volume-detach", server, vol["id"]])
    assert api.wait("volumes", vol["id"], "available")["attachments"] == []
    assert table(run([*nova, "volume-attachments", server]).stdout) == []
    again = run([*nova, "volume-detach", server, vol["id"]], check=False)
    assert again.returncode != 0 and "(HTTP 404)" in again.stderr
    assert_fault(api.comp("GET", f"/servers/{server}/os-volume_attachments/{vol['id']}"), 404)
