#!/usr/bin/env bash
# A private PostgreSQL cluster and a Redis server on loopback, from Debian's packages, for
# `make run-prod` and the integration tests (tests/integration). Nothing listens beyond 127.0.0.1.
#
#   scripts/services.sh start    start both (initialising the cluster and its role on first use)
#   scripts/services.sh stop     stop both
#   scripts/services.sh status   exit 0 when both answer
#   scripts/services.sh env      print DATABASE_URL and REDIS_URL for them
#
# State lives under var/pg and var/redis (PG_DIR, REDIS_DIR). Ports: PG_PORT (54329) and
# REDIS_PORT (63799), chosen not to clash with system-wide servers. As root, PostgreSQL runs as the
# `postgres` user (it refuses root); otherwise as the current user.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PG_PORT=${PG_PORT:-54329}
REDIS_PORT=${REDIS_PORT:-63799}
PG_DIR_SET=${PG_DIR:+1}
PG_DIR=${PG_DIR:-$ROOT/var/pg}
REDIS_DIR=${REDIS_DIR:-$ROOT/var/redis}
PG_USER=console
PG_PASSWORD=${PG_PASSWORD:-console}
PG_DB=console

# As root, PostgreSQL runs as `postgres`, which must reach PG_DIR: a checkout under a private home
# (e.g. /root) is not reachable, so the cluster then lives under /var/tmp instead.
if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 && [ -z "${PG_DIR_SET:-}" ]; then
  probe=$(dirname "$PG_DIR")
  mkdir -p "$probe"
  if ! runuser -u postgres -- test -x "$probe"; then
    PG_DIR=/var/tmp/console-pg-$(echo "$ROOT" | md5sum | cut -c1-8)
  fi
fi

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$dir" ] || { echo "!!! PostgreSQL is not installed (scripts/ensure-system-packages.sh postgresql)." >&2; return 1; }
  echo "$dir"
}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

pg_ready() {
  local bin
  bin=$(pg_bin) || return 1
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
}

redis_ready() {
  command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
}

pg_start() {
  local bin
  bin=$(pg_bin)
  if pg_ready; then return 0; fi
  mkdir -p "$PG_DIR/run"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$PG_DIR"
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    local pwfile="$PG_DIR/.pw"
    (umask 077 && echo "$PG_PASSWORD" >"$pwfile")
    [ "$(id -u)" -eq 0 ] && chown postgres: "$pwfile"
    as_pg "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1
    rm -f "$pwfile"
    local fresh=1
  fi
  as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 start \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR/run -c max_connections=200" >/dev/null
  if [ "${fresh:-0}" = 1 ]; then
    as_pg "$bin/psql" -q -h "$PG_DIR/run" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
      -c "CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'" \
      -c "CREATE DATABASE $PG_DB OWNER $PG_USER"
  fi
}

redis_start() {
  if redis_ready; then return 0; fi
  command -v redis-server >/dev/null || { echo "!!! redis-server is not installed." >&2; return 1; }
  mkdir -p "$REDIS_DIR"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DIR" --daemonize yes \
    --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --save "" --appendonly no \
    --protected-mode yes >/dev/null
  for _ in $(seq 1 50); do redis_ready && return 0; sleep 0.1; done
  echo "!!! redis-server did not start (see $REDIS_DIR/redis.log)." >&2
  return 1
}

case "${1:-}" in
  start)
    pg_start
    redis_start
    echo "PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT"
    ;;
  stop)
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then
      as_pg "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null || true
    fi
    if redis_ready; then redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; fi
    ;;
  status)
    pg_ready && redis_ready
    ;;
  env)
    echo "DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
    echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
    ;;
  *)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
