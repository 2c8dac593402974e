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

# Every step takes 0.4 s: long enough for a watcher polling every 20 ms to see each status.
STEP = "0.4"
STEPS = {
    "EMULATOR_RATE": "0",
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
    """Reads the three detail lists over and over, keeping every (resource, status) it sees."""

    def __init__(self, api: Api) -> None:
        super().__init__(daemon=True)
        self.api = Api(api.emulator, api.account, token=api.token)  # its own HTTP session
        self.seen: set[tuple[str, str]] = set()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for kind in ("volumes", "snapshots", "backups"):
                for item in self.api.listing(kind):
                    self.seen.add((kind[:-1], item["status"]))
            time.sleep(0.02)


@pytest.fixture
def stepped_api():
    proc = EmulatorProcess(env=STEPS).start()
    try:
        yield make_api(proc, "st")
    finally:
        proc.stop()


def _drive_every_lifecycle(api) -> None:
    server = api.server_in("az2")
    image = next(img for img in api.images() if int(img.get("minDisk") or 0) >= 1)
    vol = api.create_volume(display_name="plain")
    api.create_volume(imageRef=image["id"], size=int(image["minDisk"]), wait="available")
    api.create_volume(display_name="v fail-create", wait="error")
    snap = api.create_snapshot(vol["id"], display_name="s")
    api.create_snapshot(vol["id"], display_name="s fail-create", wait="error")
    backup = api.create_backup(vol["id"], name="b")
    api.create_backup(vol["id"], name="b fail-create", wait="error")
    assert (
        api.vol("POST", f"/backups/{backup['id']}/restore", {"restore": {"volume_id": vol["id"]}}).status
        == 202
    )
    api.wait("volumes", vol["id"], "available")
    api.wait("backups", backup["id"], "available")
    bad_target = api.create_volume(display_name="t fail-restore")
    r = api.vol("POST", f"/backups/{backup['id']}/restore", {"restore": {"volume_id": bad_target["id"]}})
    assert r.status == 202, r
    api.wait("volumes", bad_target["id"], "error_restoring")
    api.wait("backups", backup["id"], "error")
    assert api.attach(server, vol["id"]).status == 200
    assert api.detach(server, vol["id"]).status == 202
    stuck = api.create_volume(display_name="v fail-attach")
    assert api.attach(server, stuck["id"], wait="error_attaching").status == 200
    sticky = api.create_volume(display_name="v fail-detach")
    api.attach(server, sticky["id"])
    assert api.detach(server, sticky["id"], wait="error_detaching").status == 202
    # deletes, and deletes that fail
    for kind, ident in (("snapshots", snap["id"]), ("backups", backup["id"]), ("volumes", bad_target["id"])):
        assert api.vol("DELETE", f"/{kind}/{ident}").status == 202
        api.wait(kind, ident, "gone")
    doomed = api.create_volume(display_name="v fail-delete")
    doomed_snap = api.create_snapshot(vol["id"], display_name="s fail-delete")
    doomed_backup = api.create_backup(vol["id"], name="b fail-delete")
    for kind, ident in (
        ("volumes", doomed["id"]),
        ("snapshots", doomed_snap["id"]),
        ("backups", doomed_backup["id"]),
    ):
        assert api.vol("DELETE", f"/{kind}/{ident}").status == 202
        assert api.wait(kind, ident, "error", "gone")["status"] == "error"


def test_every_status_shown_is_the_specs_or_documented(stepped_api):
    watcher = Watcher(stepped_api)
    watcher.start()
    try:
        _drive_every_lifecycle(stepped_api)
    finally:
        watcher.done.set()
        watcher.join(10)
    seen = watcher.seen
    outside_spec = {(kind, status) for kind, status in seen if status not in SPEC_STATUSES[kind]}
    # what the emulator shows beyond the spec is exactly what the docs' table lists
    assert outside_spec == documented_extra_statuses()
    # and the drive really went through the spec's lifecycles (so the comparison means something)
    for kind, statuses in SPEC_STATUSES.items():
        assert {status for k, status in seen if k == kind} >= statuses, (kind, sorted(seen))
