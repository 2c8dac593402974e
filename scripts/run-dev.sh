#!/usr/bin/env bash
# Starts the emulator and the console for development; Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && set -a && . ./.env && set +a
PY=.venv/bin/python
EMULATOR_PORT=${EMULATOR_PORT:-8776}
CONSOLE_PORT=${CONSOLE_PORT:-8000}
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
sleep 1
cat <<MSG

  Block Storage Console  http://127.0.0.1:$CONSOLE_PORT/
  Emulator               http://127.0.0.1:$EMULATOR_PORT/  (identity /v3, block storage, compute)

  Demo logins (user / password / project):
    demo / demo-password / demo
    acme / acme-password / acme

  Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
