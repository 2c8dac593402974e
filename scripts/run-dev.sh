#!/usr/bin/env bash
# Starts the emulator, the console and a Celery worker (with beat) for development; Ctrl-C stops
# everything it started. The worker's broker is kombu's filesystem transport under var/celery/
# (no server to install); its log is var/log/celery.log.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && set -a && . ./.env && set +a
PY=.venv/bin/python
CELERY=.venv/bin/celery
EMULATOR_PORT=${EMULATOR_PORT:-8776}
CONSOLE_PORT=${CONSOLE_PORT:-8000}
mkdir -p var/log
pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

$PY manage.py runemulator --addr 127.0.0.1 --port "$EMULATOR_PORT" &
pids+=($!)
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$EMULATOR_PORT/_emulator/stats" >/dev/null && break
  sleep 0.2
done
$PY manage.py runserver "127.0.0.1:$CONSOLE_PORT" --noreload &
pids+=($!)
# Messages left by an earlier run or by tests are dropped: beat re-drives every active watch from
# the database, so nothing is lost.
$CELERY -A console purge -f >/dev/null 2>&1 || true
$CELERY -A console worker --beat --concurrency 1 --loglevel INFO --hostname "console@%h" \
  >>var/log/celery.log 2>&1 &
pids+=($!)
worker="NOT answering (see var/log/celery.log)"
for _ in $(seq 1 6); do
  if $CELERY -A console inspect ping --timeout 5 >/dev/null 2>&1; then
    worker="ready (filesystem broker under var/celery/, log var/log/celery.log)"
    break
  fi
done
cat <<MSG

  Block Storage Console  http://127.0.0.1:$CONSOLE_PORT/
  Emulator               http://127.0.0.1:$EMULATOR_PORT/  (identity /v3, block storage, compute)
  Celery worker: $worker

  Demo logins (user / password / project):
    demo / demo-password / demo
    acme / acme-password / acme

  Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
