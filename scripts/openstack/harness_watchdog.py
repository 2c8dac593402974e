"""Stop this service when the process that started it is gone.

tests/openstack/cloud.py starts Keystone and Cinder in their own process groups (so that a Ctrl-C in
a terminal reaches the launcher, which stops them in order) and names itself in
OPENSTACK_HARNESS_PARENT. If the launcher dies without stopping them (killed, a pytest timeout),
the services stop themselves within a second instead of holding their ports on a shared machine.
"""

from __future__ import annotations

import os
import signal
import threading
import time


def watch_parent() -> None:
    parent = int(os.environ.get("OPENSTACK_HARNESS_PARENT", "0") or 0)
    if not parent:
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="harness-watchdog", daemon=True).start()
