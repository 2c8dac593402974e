"""Keystone for the test harness: set up a throw-away deployment and serve it, in one process.

Runs with the Keystone virtualenv's Python (.venv-keystone, `make openstack-venvs`), never the
console's. The four `keystone-manage` steps (db_sync, fernet_setup, credential_setup, bootstrap) run
in this process, then Keystone's WSGI application (`keystone.wsgi.api`) is served by waitress, a
threaded WSGI server, on the given loopback port. Keystone is imported once; the key repositories
are made first, then db_sync and bootstrap run in a forked child (keystone-manage's global state,
e.g. its locked registry of backends, stays there) while the parent loads the application on the
other core: about 10 s less per start than five processes on a 2-core machine.

    .venv-keystone/bin/python scripts/openstack/keystone_server.py --config-file keystone.conf \
        --port 5000 --admin-password secret --public-url http://127.0.0.1:5000/v3/
"""

from __future__ import annotations

import argparse
import getpass
import grp
import os
import sys

from harness_watchdog import watch_parent


def _manage(config_file: str, *args: str) -> None:
    """One `keystone-manage` command, run in this process."""
    from keystone.cmd import cli
    from oslo_config import cfg

    cli.main(argv=["keystone-manage", "--config-file", config_file, *args])
    # keystone-manage parses the command line once per process: forget it before the next command.
    cfg.CONF.clear()
    cfg.CONF.unregister_opt(cli.command_opt)


def start_set_up(options: argparse.Namespace) -> int:
    """Make the key repositories (loading the application needs them), then start the database's
    steps in a child process that shares the parent's imports; its pid."""
    import keystone.server.flask.core  # noqa: F401 - imported once, before the fork, for both processes

    owner = ["--keystone-user", getpass.getuser(), "--keystone-group", grp.getgrgid(os.getgid()).gr_name]
    _manage(options.config_file, "fernet_setup", *owner)
    _manage(options.config_file, "credential_setup", *owner)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            _set_up(options)
            code = 0
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return pid


def wait_for_set_up(pid: int) -> None:
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"keystone: set-up failed (exit status {os.waitstatus_to_exitcode(status)})")


def _set_up(options: argparse.Namespace) -> None:
    _manage(options.config_file, "db_sync")
    _manage(
        options.config_file,
        "bootstrap",
        "--bootstrap-password",
        options.admin_password,
        "--bootstrap-public-url",
        options.public_url,
        "--bootstrap-region-id",
        options.region,
    )


def load_application(options: argparse.Namespace):
    """Keystone's WSGI application (keystone.wsgi.api), loaded while the set-up runs: loading reads
    the configuration and builds the routes, and touches neither the database nor the keys."""
    # keystone.wsgi.api reads its configuration files from the environment; oslo.config would also
    # parse sys.argv, which holds this script's options.
    os.environ["OS_KEYSTONE_CONFIG_FILES"] = options.config_file
    sys.argv = sys.argv[:1]
    from keystone.wsgi.api import application

    return application


def serve(application, options: argparse.Namespace) -> None:
    import waitress

    print(f"keystone: serving on http://{options.host}:{options.port}", flush=True)
    waitress.serve(
        application,
        host=options.host,
        port=options.port,
        threads=options.threads,
        ident="keystone",
        clear_untrusted_proxy_headers=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--config-file", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--admin-password", required=True)
    parser.add_argument("--public-url", required=True, help="the identity endpoint put in the catalog")
    parser.add_argument("--region", default="RegionOne")
    parser.add_argument("--threads", type=int, default=8)
    options = parser.parse_args()
    set_up = start_set_up(options)
    application = load_application(options)  # on the other core, meanwhile
    wait_for_set_up(set_up)
    watch_parent()
    serve(application, options)


if __name__ == "__main__":
    main()
