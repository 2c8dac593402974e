"""The volume driver of the test harness: Cinder's own fake driver, plus a device cinder-backup can open.

`cinder.tests.fake_driver.FakeLoggingVolumeDriver` stores nothing and answers every call, so volumes,
snapshots, extends and attachments go through Cinder's real API, scheduler and volume manager. Its
connections are iSCSI, which cinder-backup cannot open on a machine without an initiator (nor
root); here a connection is os-brick's `local` type instead, a small file per volume under the state
path, so backups and restores run through the real backup manager (with the fake backup service).
Loaded by scripts/openstack/cinder_all.py, in the Cinder virtualenv.
"""

from __future__ import annotations

import contextlib
import os

from cinder.tests import fake_driver
from oslo_config import cfg

CONF = cfg.CONF


class LoopbackVolumeDriver(fake_driver.FakeLoggingVolumeDriver):
    """FakeLoggingVolumeDriver whose connections are files on this machine."""

    def _device_path(self, resource_id: str) -> str:
        folder = os.path.join(CONF.state_path, "devices")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, resource_id)
        if not os.path.exists(path):
            with open(path, "wb"):
                pass
        return path

    def _local(self, resource_id: str, data: dict | None = None) -> dict:
        return {
            "driver_volume_type": "local",
            "data": {**(data or {}), "device_path": self._device_path(resource_id)},
        }

    def validate_connector(self, connector):
        """A local file needs no initiator (the iSCSI target of the parent driver wants one)."""

    def initialize_connection(self, volume, connector):
        info = super().initialize_connection(volume, connector)
        return self._local(volume["id"], info.get("data"))

    def initialize_connection_snapshot(self, snapshot, connector):
        return self._local(snapshot["id"])

    def delete_volume(self, volume):
        super().delete_volume(volume)
        self._forget(volume["id"])

    def delete_snapshot(self, snapshot):
        super().delete_snapshot(snapshot)
        self._forget(snapshot["id"])

    def _forget(self, resource_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(CONF.state_path, "devices", resource_id))
