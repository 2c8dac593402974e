"""gunicorn settings of the console: `gunicorn -c gunicorn.conf.py` (make run-prod, the Procfile).

Threaded workers (gthread): a request waiting for its turn in the project's call budget sleeps in
its thread while the others serve. Everything can be overridden from the environment.
"""

import os

wsgi_app = "console.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# An action may wait API_BUDGET_MAX_WAIT (10 s) for its turn; its call ends by API_CALL_DEADLINE (30 s).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
# Longer than the badge poll interval (2 s), so a tab's next poll reuses its connection instead of
# racing the server closing it (gunicorn's default is 2 s).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# No control socket in the home directory: several stacks (and the tests) run side by side.
control_socket_disable = True
# gunicorn never decides the scheme from a header (its default believes X-Forwarded-Proto from any
# loopback peer): the console's DJANGO_SECURE_PROXY_SSL_HEADER, read by Django, is the one setting
# that says a TLS proxy is in front (docs/deployment.md). FORWARDED_ALLOW_IPS: the proxy's addresses,
# for gunicorn's other forwarded headers only; nobody by default.
secure_scheme_headers: dict[str, str] = {}
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
# Access and error logs as JSON lines on stderr (console.jsonlog), like Django's and Celery's.
accesslog = "-"
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "console.jsonlog.JsonFormatter"}},
    "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["json"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["json"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["json"], "level": "INFO", "propagate": False},
    },
}
