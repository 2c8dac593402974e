#!/usr/bin/env bash
# Installs the Debian packages named on the command line when their program is missing.
# Usage: scripts/ensure-system-packages.sh chromium [redis-server ...]
set -euo pipefail
missing=()
for pkg in "$@"; do
  case "$pkg" in
    chromium) cmd=/usr/bin/chromium ;;
    redis-server) cmd=/usr/bin/redis-server ;;
    postgresql) cmd=/usr/lib/postgresql ;;
    nodejs) cmd=/usr/bin/node ;;
    *) cmd="/usr/bin/$pkg" ;;
  esac
  [ -e "$cmd" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "!!! Missing Debian packages: ${missing[*]} (run as root or install them by hand)." >&2
  echo "!!! Tests that need them will say so; in CI they are mandatory." >&2
fi
