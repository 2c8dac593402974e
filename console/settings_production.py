"""Production settings: `DJANGO_SETTINGS_MODULE=console.settings_production`.

Everything of console.settings, then: DEBUG off; the secret key, the host names, the database and
Redis are required from the environment (start-up fails naming the missing variable); TLS-only
cookies, HSTS and the HTTPS redirect; sessions, the inventory and the call budget in Redis (shared
by every web worker and Celery worker), Redis as the Celery broker; compressed, hashed static files
served by WhiteNoise; JSON-lines logs with the console request id. See docs/deployment.md.

`manage.py check --deploy` reports nothing with these settings (tests/console/test_production_settings.py).
"""

from django.core.exceptions import ImproperlyConfigured

from console.env import env_bool, env_float, env_int, env_list, env_str
from console.jsonlog import logging_config
from console.settings import *  # noqa: F403
from console.settings import MIDDLEWARE, STORAGES, cache_from_url, database_from_url

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "Set the environment variable DJANGO_ALLOWED_HOSTS (comma-separated host names)."
    )

DATABASES = {"default": database_from_url(env_str("DATABASE_URL"))}

# --- Redis: the shared cache (sessions, inventory, call budget) and the Celery broker ------------
REDIS_URL = env_str("REDIS_URL")
CACHES = {"default": cache_from_url(env_str("CACHE_URL", REDIS_URL))}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A Redis that is down fails fast (pages show an error, /healthz says 503) instead of hanging.
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": env_float("REDIS_CONNECT_TIMEOUT", 2.0),
        "socket_timeout": env_float("REDIS_TIMEOUT", 5.0),
    }
# Sessions are read from the cache and written through to the database: fast, and a Redis flush
# logs nobody out. The token stays server-side either way.
SESSION_ENGINE = env_str("SESSION_ENGINE", "django.contrib.sessions.backends.cached_db")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}

# --- HTTPS ------------------------------------------------------------------------------------
# Plain HTTP is redirected to HTTPS. Behind a TLS-terminating proxy, set
# DJANGO_SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO (the proxy must set X-Forwarded-Proto and
# strip it from clients), or every request looks like HTTP and is redirected forever. That setting
# is the only way a header decides the scheme: without it no X-Forwarded-Proto is believed, from any
# peer (gunicorn.conf.py trusts none either).
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# Load balancers probe /healthz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
_proxy_header = env_str("DJANGO_SECURE_PROXY_SSL_HEADER", "")
SECURE_PROXY_SSL_HEADER = (
    (_proxy_header, env_str("DJANGO_SECURE_PROXY_SSL_VALUE", "https")) if _proxy_header else None
)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
# Only for a loopback stack without TLS (make run-prod, the integration tests): never in production.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
# The __Host- prefix: a browser keeps such a cookie only when it is Secure, has Path=/ and no Domain,
# so no other host (a sibling subdomain, a plain-HTTP page) can set or overwrite the session or the
# CSRF cookie. Only with TLS cookies: browsers refuse a __Host- cookie that is not Secure.
if SESSION_COOKIE_SECURE:
    SESSION_COOKIE_NAME = "__Host-sessionid"
if CSRF_COOKIE_SECURE:
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Static files: hashed names, compressed, served by WhiteNoise (collectstatic first) ------------
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

# --- Logs: JSON lines with the console request id ------------------------------------------------
MIDDLEWARE = [
    *MIDDLEWARE[: MIDDLEWARE.index("console.middleware.RequestIdMiddleware") + 1],
    "console.jsonlog.RequestIdLogMiddleware",
    *MIDDLEWARE[MIDDLEWARE.index("console.middleware.RequestIdMiddleware") + 1 :],
]
LOGGING = logging_config(env_str("LOG_LEVEL", "INFO"))
