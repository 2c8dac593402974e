"""The Celery application of the console (celery/celery examples/django; cookiecutter-django).

Tasks live in each app's `tasks.py`, take ids and call services. Settings named CELERY_* in the
Django settings override the defaults below, which pick the broker from the environment:

- CELERY_BROKER_URL when set, else REDIS_URL (production: Redis for the cache, sessions and broker),
- else kombu's *filesystem* transport under var/celery/: the embedded default of `make run`, which
  needs no separately installed server (one worker process, messages are files).

Beat (`celery -A console beat`, or `worker -B` in development) sends `watches_drive` every
WATCH_TICK seconds (it re-drives every active watch, so a restart loses nothing) and prunes the
request log and old watches once a day.
"""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

app = Celery("console")
app.config_from_object("django.conf:settings", namespace="CELERY")


def broker_url() -> str:
    from django.conf import settings

    return os.environ.get("CELERY_BROKER_URL") or getattr(settings, "REDIS_URL", "") or "filesystem://"


def defaults() -> dict:
    """Configuration used where the Django settings say nothing (lowest precedence)."""
    from django.conf import settings

    from console.watch_settings import watch_setting

    broker = getattr(settings, "CELERY_BROKER_URL", "") or broker_url()
    transport_options: dict = {}
    if broker.startswith("filesystem"):
        folder = Path(settings.VAR_DIR) / "celery"
        queue, control = folder / "queue", folder / "control"
        for path in (queue, control):
            path.mkdir(parents=True, exist_ok=True)
        transport_options = {
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "control_folder": str(control),
        }
    tick = watch_setting("WATCH_TICK")
    return {
        "broker_url": broker,
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 3,
        # A console action never waits long for a broker that is down: beat sends the step later.
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "timezone": "UTC",
        "worker_prefetch_multiplier": 1,
        # The console's LOGGING (JSON lines in production) applies to the worker too.
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "beat_schedule_filename": str(Path(settings.VAR_DIR) / "celerybeat-schedule"),
        "beat_schedule": {
            "watches-drive": {
                "task": "console.tasks.watches_drive",
                "schedule": tick,
                "options": {"expires": max(5.0, 2 * tick)},
            },
            "request-log-prune": {
                "task": "console.tasks.request_log_prune",
                "schedule": crontab(minute=17, hour=3),
            },
            "watches-prune": {
                "task": "console.tasks.watches_prune_task",
                "schedule": crontab(minute=27, hour=3),
            },
        },
    }


app.add_defaults(defaults)
app.autodiscover_tasks()
