#!/usr/bin/env bash
# Starts the emulator, the console and a Celery worker (with beat) for development; Ctrl-C stops
# everything it started. The worker's broker is kombu's filesystem transport under var/celery/
# (no server to install); its log is var/log/celery.log.
# The console outlives the others: when the emulator stops (killed, crashed, stopped to try an outage)
# the console keeps serving and shows the cloud as unreachable; only the console's own end or
# Ctrl-C stops everything.
# With IDENTITY_URL set to another cloud (e.g. a real Keystone: `make openstack`), the console talks to
# that cloud and the emulator is not started.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && set -a && . ./.env && set +a
PY=.venv/bin/python
CELERY=.venv/bin/celery
EMULATOR_PORT=${EMULATOR_PORT:-8776}
CONSOLE_PORT=${CONSOLE_PORT:-8000}
EMULATED=${IDENTITY_URL:+no}
export IDENTITY_URL=${IDENTITY_URL:-http://127.0.0.1:$EMULATOR_PORT/v3}
VAR=${CONSOLE_VAR_DIR:-var}
mkdir -p "$VAR/log"
pids=()
# Ctrl-C: everything gets SIGTERM. The Celery worker then finishes the task it is running (a watch
# step: 30 s at most) and shuts its pool and beat down, which takes seconds even when idle (7 s
# measured, far more on a busy machine); after STOP_GRACE seconds, or at a second Ctrl-C, whatever
# is left is killed (beat re-drives every active watch at the next start: nothing is lost).
STOP_GRACE=${STOP_GRACE:-10}
kill_left() {
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      pkill -KILL -P "$pid" 2>/dev/null || true  # the worker's pool and beat processes
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}
stop() {
  trap - TERM EXIT
  trap 'kill_left; exit 130' INT
  echo; echo "Stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  left=yes
  for _ in $(seq 1 $((STOP_GRACE * 5))); do
    left=no
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=yes; done
    [ "$left" = no ] && break
    sleep 0.2
  done
  if [ "$left" = yes ]; then
    echo "  Still running after ${STOP_GRACE} s: stopped at once."
    kill_left
  fi
  wait 2>/dev/null || true
  exit 0  # a trap on INT or TERM would otherwise return to where the script was waiting
}
trap stop INT TERM EXIT

emulator_pid=""
if [ "$EMULATED" != no ]; then
  $PY manage.py runemulator --addr 127.0.0.1 --port "$EMULATOR_PORT" &
  emulator_pid=$!
  pids+=("$emulator_pid")
  for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$EMULATOR_PORT/_emulator/stats" >/dev/null && break
    sleep 0.2
  done
fi
$PY manage.py runserver "127.0.0.1:$CONSOLE_PORT" --noreload &
console_pid=$!
pids+=("$console_pid")
# Messages left by an earlier run or by tests are dropped: beat re-drives every active watch from
# the database, so nothing is lost.
$CELERY -A console purge -f >/dev/null 2>&1 || true
$CELERY -A console worker --beat --concurrency 1 --loglevel INFO --hostname "console@%h" \
  >>"$VAR/log/celery.log" 2>&1 &
worker_pid=$!
pids+=("$worker_pid")
worker="NOT answering (see $VAR/log/celery.log)"
for _ in $(seq 1 6); do
  if $CELERY -A console inspect ping --timeout 5 >/dev/null 2>&1; then
    worker="ready (filesystem broker under $VAR/celery/, log $VAR/log/celery.log)"
    break
  fi
done
if [ "$EMULATED" != no ]; then
  cat <<MSG

  Block Storage Console  http://127.0.0.1:$CONSOLE_PORT/
  Emulator               http://127.0.0.1:$EMULATOR_PORT/  (identity /v3, block storage, compute)
  Celery worker: $worker

  Demo logins (user / password / project):
    demo / demo-password / demo
    acme / acme-password / acme

  Ctrl-C stops everything.
MSG
else
  cat <<MSG

  Block Storage Console  http://127.0.0.1:$CONSOLE_PORT/
  Cloud                  $IDENTITY_URL  (log in with that cloud's users; no emulator started)
  Celery worker: $worker

  Ctrl-C stops everything.
MSG
fi

# Wait for whichever ends first, again and again, while the console runs.
running=("${pids[@]}")
while kill -0 "$console_pid" 2>/dev/null; do
  status=0
  wait -n "${running[@]}" || status=$?
  still=()
  for pid in "${running[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      still+=("$pid")
    elif [ "$pid" = "$emulator_pid" ]; then
      cat <<MSG

  The emulator stopped (exit status $status). The console keeps running and says that the cloud
  cannot be reached. Start the emulator again in another terminal:
    $PY manage.py runemulator --addr 127.0.0.1 --port $EMULATOR_PORT

MSG
    elif [ "$pid" = "$worker_pid" ]; then
      echo "  The Celery worker stopped (exit status $status; see $VAR/log/celery.log). The console keeps running."
    fi
  done
  running=("${still[@]}")
done
echo "  The console stopped."
