"""The Celery application of the console.

Tasks live in each app's `tasks.py`, take ids and call services. The broker and result backend
come from the environment (see the README); the worker is started by `make run`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

app = Celery("console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
