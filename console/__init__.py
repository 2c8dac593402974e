"""The Block Storage Console: Django project package and shared core."""

# The Celery app is loaded with Django, so that @shared_task uses it when a web process sends a task.
from console.celery import app as celery_app

__all__ = ("celery_app",)
