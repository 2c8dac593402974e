"""Every status the emulator shows is one of the spec's lifecycles (4.5.2-4.5.5), or is documented.

The test drives every lifecycle over HTTP, success and failure (the `fail-*` words), while a watcher
reads the detail lists every few milliseconds; then it compares the statuses seen per resource with
the spec's lifecycles and with the table "Statuses the spec does not list" of docs/emulator.md.
A status the emulator starts using without saying so, or a stale row in the table, fails here.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from tests.emulator.conftest import Api, make_api
from tests.emulator_process import EmulatorProcess

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"

# The statuses each lifecycle of the spec names (4.5.2 volumes, also 4.5.5; 4.5.3 snapshots; 4.5.4 backups).
SPEC_STATUSES = {
    "volume": {
        "creating",
        "downloading",
        "available",
        "attaching",
        "in-use",
        "detaching",
        "backing-up",
        "restoring-backup",
        "error",
        "error_attaching",
        "error_detaching",
        "error_restoring",
    },
    "snapshot": {"creating", "available", "error"},
    "backup": {"creating", "available", "restoring", "deleting", "error"},
}

# Every step takes 1 s: a watcher per resource kind, listing it over and over, sees each status even on
# a loaded machine. Independent steps run side by side, so the whole drive takes about ten steps.
STEP = "1"
STEPS = {
    "EMULATOR_RATE": "0",
    "EMULATOR_QUOTA_VOLUMES": "-1",  # the drive holds 9 volumes and 3 snapshots at once
    "EMULATOR_SPEED": "1",
    **{
        f"EMULATOR_{kind}_SECONDS": STEP
        for kind in ("CREATE", "DOWNLOAD", "ATTACH", "DETACH", "BACKUP", "RESTORE", "DELETE")
    },
}


def documented_extra_statuses() -> set[tuple[str, str]]:
    """(resource, status) rows of the table under "## Statuses the spec does not list"."""
    text = DOC.read_text()
    match = re.search(r"^## Statuses the spec does not list\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, "docs/emulator.md has no section 'Statuses the spec does not list'"
    rows = set()
    for line in match.group(1).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] in SPEC_STATUSES:
            rows.add((cells[0], cells[1].strip("`")))
    return rows


class Watcher(threading.Thread):
    """Lists one kind of resource over and over, keeping every (resource, status) it sees."""

    def __init__(self, api: Api, kind: str) -> None:
        super().__init__(daemon=True)
        self.api = Api(api.emulator, api.account, token=api.token)  # its own HTTP session
        self.kind = kind
        self.seen: set[tuple[str, str]] = set()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for item in self.api.listing(self.kind):
                self.seen.add((self.kind[:-1], item["status"]))
            time.sleep(0.01)


@pytest.fixture
def stepped_api():
    proc = EmulatorProcess(env=STEPS).start()
    try:
        yield make_api(proc, "st")
    finally:
        proc.stop()


def _wait_all(api, kind: str, ids, *statuses: str) -> None:
    for ident in ids:
        api.wait(kind, ident, *statuses)


def _drive_every_lifecycle(api) -> None:
    server = api.server_in("az2")
    image = next(img for img in api.images() if int(img.get("minDisk") or 0) >= 1)
    names = ("a", "b", "c", "t fail-restore", "v fail-attach", "v fail-detach", "v fail-delete")
    vols = {name: api.create_volume(display_name=name, wait=None)["id"] for name in names}
    bootable = api.create_volume(imageRef=image["id"], size=int(image["minDisk"]), wait=None)["id"]
    broken = api.create_volume(display_name="v fail-create", wait=None)["id"]
    _wait_all(api, "volumes", [*vols.values(), bootable], "available")
    api.wait("volumes", broken, "error")

    snaps = {
        name: api.create_snapshot(vols["a"], display_name=name, wait=None)["id"]
        for name in ("s", "s fail-create", "s fail-delete")
    }
    backups = {
        name: api.create_backup(vols[source], name=name, wait=None)["id"]
        for name, source in (("b", "a"), ("b fail-create", "b"), ("b fail-delete", "c"))
    }
    _wait_all(api, "snapshots", [snaps["s"], snaps["s fail-delete"]], "available")
    api.wait("snapshots", snaps["s fail-create"], "error")
    _wait_all(api, "backups", [backups["b"], backups["b fail-delete"]], "available")
    api.wait("backups", backups["b fail-create"], "error")
    _wait_all(api, "volumes", [vols["a"], vols["b"], vols["c"]], "available")

    def restore(target: str) -> None:
        body = {"restore": {"volume_id": vols[target]}}
        assert api.vol("POST", f"/backups/{backups['b']}/restore", body).status == 202

    restore("b")  # restoring-backup, then available
    api.wait("volumes", vols["b"], "available")
    api.wait("backups", backups["b"], "available")
    restore("t fail-restore")  # error_restoring, and the backup in error
    api.wait("volumes", vols["t fail-restore"], "error_restoring")
    api.wait("backups", backups["b"], "error")

    for name in ("b", "v fail-attach", "v fail-detach"):
        assert api.attach(server, vols[name], wait=None).status == 200
    _wait_all(api, "volumes", [vols["b"], vols["v fail-detach"]], "in-use")
    api.wait("volumes", vols["v fail-attach"], "error_attaching")
    for name in ("b", "v fail-detach"):
        assert api.detach(server, vols[name], wait=None).status == 202
    api.wait("volumes", vols["b"], "available")
    api.wait("volumes", vols["v fail-detach"], "error_detaching")

    # deletes that succeed, and deletes that fail
    gone = [("snapshots", snaps["s"]), ("backups", backups["b"]), ("volumes", vols["t fail-restore"])]
    failing = [
        ("volumes", vols["v fail-delete"]),
        ("snapshots", snaps["s fail-delete"]),
        ("backups", backups["b fail-delete"]),
    ]
    for kind, ident in gone + failing:
        assert api.vol("DELETE", f"/{kind}/{ident}").status == 202
    for kind, ident in gone:
        api.wait(kind, ident, "gone")
    for kind, ident in failing:
        assert api.wait(kind, ident, "error", "gone")["status"] == "error"


def test_every_status_shown_is_the_specs_or_documented(stepped_api):
    watchers = [Watcher(stepped_api, kind) for kind in ("volumes", "snapshots", "backups")]
    for watcher in watchers:
        watcher.start()
    try:
        _drive_every_lifecycle(stepped_api)
    finally:
        for watcher in watchers:
            watcher.done.set()
            watcher.join(10)
    seen = set().union(*(watcher.seen for watcher in watchers))
    outside_spec = {(kind, status) for kind, status in seen if status not in SPEC_STATUSES[kind]}
    # what the emulator shows beyond the spec is exactly what the docs' table lists
    assert outside_spec == documented_extra_statuses()
    # and the drive really went through the spec's lifecycles (so the comparison means something)
    for kind, statuses in SPEC_STATUSES.items():
        assert {status for k, status in seen if k == kind} >= statuses, (kind, sorted(seen))
