"""Cinder for the test harness: API, scheduler, one volume service per backend and backup, in one process.

Runs with the Cinder virtualenv's Python (.venv-cinder, `make openstack-venvs`), never the
console's:

    .venv-cinder/bin/python scripts/openstack/cinder_all.py --config-file cinder.conf

With `transport_url = fake:/` (oslo.messaging's in-process driver) every Cinder service has to live
in the process that sends it messages, so this script starts them all under one oslo.service
launcher, after migrating the database (`cinder-manage db sync`). The configuration is written by
tests/openstack/cloud.py.

Two corrections to Cinder for this set-up:
- `Service.service_id` is kept on the class, so in one process only the last service started would
  send heartbeats; after `service_down_time` the others would look down and every create would end
  in `error` (NoValidBackend). Each service here heartbeats for itself.
- cinder-backup asks os-brick for this host's initiators (iSCSI, NVMe, ...) before it connects a
  volume; os-brick finds them through `sudo` and privileged helpers, which a test machine does not
  have (the backup then stays `creating` for ever). This host has no initiator: it answers with the
  plain host facts, and the harness driver's connections are local files (harness_driver.py).
"""

from cinder import monkey_patch  # isort: skip

monkey_patch.patch()

import logging as python_logging  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402

import os_brick  # noqa: E402
from cinder import i18n  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_log import log as logging  # noqa: E402
from oslo_privsep import priv_context  # noqa: E402
from oslo_service import service as oslo_service  # noqa: E402

i18n.enable_lazy()

from cinder import coordination, objects, rpc, service, utils, version  # noqa: E402
from cinder.cmd import backup as backup_cmd  # noqa: E402, F401 - registers cinder-backup's options
from cinder.common import config  # noqa: E402 - also registers the global options
from cinder.db import migration  # noqa: E402
from cinder.volume import volume_utils  # noqa: E402

CONF = cfg.CONF
LOG = logging.getLogger("cinder_all")

# The harness's volume driver (harness_driver.py) and watchdog.py sit next to this script.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness_watchdog import watch_parent  # noqa: E402


class HarnessService(service.Service):
    """A Cinder service that reports its own heartbeat, not the last-started service's."""

    def report_state(self) -> None:
        # Cinder reads the id from the class attribute; set it to this service's own id first.
        # (The attribute is read before report_state's first I/O, so no other green thread runs in
        # between.)
        service.Service.service_id = self.origin_service_id
        super().report_state()


def connector_properties(multipath: bool = False, enforce_multipath: bool = False) -> dict:
    """This host as os-brick describes it, without initiators (stands for
    volume_utils.brick_get_connector_properties)."""
    return {
        "platform": platform.machine(),
        "os_type": sys.platform,
        "ip": CONF.my_ip,
        "host": CONF.host,
        "multipath": False,
        "enforce_multipath": False,
    }


def main() -> None:
    objects.register_all()
    CONF(sys.argv[1:], project="cinder", version=version.version_string())
    config.set_middleware_defaults()
    logging.setup(CONF, "cinder")
    python_logging.captureWarnings(True)
    priv_context.init(root_helper=shlex.split(utils.get_root_helper()))
    os_brick.setup(CONF)
    volume_utils.brick_get_connector_properties = connector_properties

    migration.db_sync()
    LOG.info("cinder_all: database migrated")
    rpc.init(CONF)
    coordination.COORDINATOR.start()

    launcher = oslo_service.ServiceLauncher(CONF, restart_method="mutate")
    launcher.launch_service(service.WSGIService("osapi_volume"))
    launcher.launch_service(HarnessService.create(binary="cinder-scheduler"))
    launcher.launch_service(
        HarnessService.create(
            binary="cinder-backup",
            coordination=True,
            service_name="backup",
            process_number=1,
            semaphore=utils.semaphore_factory(CONF.backup_max_operations, CONF.backup_workers),
        )
    )
    # Volume services last, so that the scheduler is listening when they report their capabilities.
    for backend in filter(None, CONF.enabled_backends):
        launcher.launch_service(
            HarnessService.create(
                host=f"{CONF.host}@{backend}",
                service_name=backend,
                binary="cinder-volume",
                coordination=True,
            )
        )
    LOG.info("cinder_all: all services launched")
    watch_parent()
    launcher.wait()


if __name__ == "__main__":
    main()
