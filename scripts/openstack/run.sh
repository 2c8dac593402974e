#!/usr/bin/env bash
# `make openstack`: real Keystone 30 + Cinder 29 on loopback, in the foreground, with throw-away state.
# Prints the IDENTITY_URL, the users and their passwords to use with `IDENTITY_URL=... make run`.
# Ports: OPENSTACK_KEYSTONE_PORT (5000) and OPENSTACK_CINDER_PORT (8786; the emulator of `make run`
# keeps 8776). OPENSTACK_CATALOG: devstack (default: block-storage and volumev3), block-storage or
# volumev3. Options are passed on: scripts/openstack/run.sh --help. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/../.."
for venv in .venv-keystone .venv-cinder; do
  if [ ! -e "$venv/.installed" ]; then
    echo "!!! $venv is missing: run \`make openstack-venvs\` (or \`make openstack\`)." >&2
    exit 1
  fi
done
exec "${PYTHON:-.venv/bin/python}" -m tests.openstack.cloud "$@"
