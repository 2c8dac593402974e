#!/usr/bin/env bash
# The production profile on one machine (make run-prod): PostgreSQL and Redis from Debian's packages
# on loopback (scripts/services.sh), migrations and collectstatic, gunicorn with 2 workers x 4 threads,
# a Celery worker and Celery beat, and the emulator. Ctrl-C stops everything it started.
#
# It serves plain HTTP on 127.0.0.1, so the TLS-only settings are relaxed here (no HTTPS redirect,
# no Secure cookies, no HSTS); behind a TLS proxy keep the defaults (see docs/deployment.md).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .env ] && set -a && . ./.env && set +a
VENV=.venv
EMULATOR_PORT=${EMULATOR_PORT:-8776}
CONSOLE_PORT=${CONSOLE_PORT:-8000}
mkdir -p var/log

scripts/ensure-system-packages.sh postgresql redis-server
services_started=0
if ! scripts/services.sh status; then
  scripts/services.sh start
  services_started=1
fi
set -a
eval "$(scripts/services.sh env)"
set +a

if [ ! -s var/secret-key ]; then
  (umask 077 && $VENV/bin/python -c "import secrets; print(secrets.token_urlsafe(50))" >var/secret-key)
fi
export DJANGO_SETTINGS_MODULE=console.settings_production
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-$(cat var/secret-key)}
export DJANGO_ALLOWED_HOSTS=${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}
export DJANGO_SECURE_SSL_REDIRECT=${DJANGO_SECURE_SSL_REDIRECT:-0}
export DJANGO_SECURE_HSTS_SECONDS=${DJANGO_SECURE_HSTS_SECONDS:-0}
export SESSION_COOKIE_SECURE=${SESSION_COOKIE_SECURE:-0}
export CSRF_COOKIE_SECURE=${CSRF_COOKIE_SECURE:-0}
export IDENTITY_URL=${IDENTITY_URL:-http://127.0.0.1:$EMULATOR_PORT/v3}

$VENV/bin/python manage.py migrate --noinput -v 0
$VENV/bin/python manage.py collectstatic --noinput -v 0

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$services_started" = 1 ]; then scripts/services.sh stop; fi
}
trap stop INT TERM EXIT

# The emulator keeps its own SQLite state (var/emulator.sqlite3), as in development.
DJANGO_SETTINGS_MODULE=console.settings $VENV/bin/python manage.py runemulator \
  --addr 127.0.0.1 --port "$EMULATOR_PORT" >>var/log/emulator.log 2>&1 &
pids+=($!)
$VENV/bin/gunicorn -c gunicorn.conf.py --bind "127.0.0.1:$CONSOLE_PORT" >>var/log/gunicorn.log 2>&1 &
pids+=($!)
$VENV/bin/celery -A console worker --concurrency 2 --loglevel INFO --hostname "worker@%h" \
  >>var/log/celery-worker.log 2>&1 &
pids+=($!)
$VENV/bin/celery -A console beat --loglevel INFO --schedule var/celerybeat-schedule-prod \
  >>var/log/celery-beat.log 2>&1 &
pids+=($!)

health="not answering (see var/log/gunicorn.log)"
for _ in $(seq 1 60); do
  if body=$(curl -sf "http://127.0.0.1:$CONSOLE_PORT/healthz"); then health="$body"; break; fi
  sleep 0.5
done
worker="NOT answering (see var/log/celery-worker.log)"
for _ in $(seq 1 6); do
  if $VENV/bin/celery -A console inspect ping --timeout 5 >/dev/null 2>&1; then
    worker="ready (Redis broker)"
    break
  fi
done
cat <<MSG

  Block Storage Console (production profile)  http://127.0.0.1:$CONSOLE_PORT/
  Health                                      $health
  Emulator                                    http://127.0.0.1:$EMULATOR_PORT/
  PostgreSQL ${DATABASE_URL##*@}   Redis ${REDIS_URL#redis://}
  gunicorn: 2 workers x 4 threads    Celery worker: $worker    Celery beat: running
  Logs (JSON lines): var/log/gunicorn.log, var/log/celery-worker.log, var/log/celery-beat.log

  Demo logins (user / password / project):
    demo / demo-password / demo
    acme / acme-password / acme

  Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
