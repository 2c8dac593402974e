"""Settings of the Block Storage Console.

Everything comes from the environment (see `.env.example` and the README's configuration table).
The defaults are a development profile that `make run` and `make test` need and nothing else:
production refuses to start without its secrets (see `console.settings_production`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

from console.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CONSOLE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", True)
# Development-only default; console.settings_production requires DJANGO_SECRET_KEY.
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "console",
    "support",
    "volumes",
    "snapshots",
    "backups",
    "attachments",
    "emulator",
]

MIDDLEWARE = [
    # Outermost: every response (static files, redirects, CSRF refusals, 404, 500) gets the headers.
    "console.security.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "console.middleware.RequestIdMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # DEBUG only: the console's 404 page (it needs the user), never Django's list of URL patterns.
    "console.security.DebugNotFoundMiddleware",
    "console.security.AdminLoginThrottleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Need the session, the user, messages and request.htmx: keep these last.
    "console.middleware.CloudSessionMiddleware",
    "console.middleware.MethodNotAllowedPageMiddleware",
    # A read-only role's write pages say so before any API call (console.roles).
    "console.roles.ReadOnlyRoleMiddleware",
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "console.context_processors.frame",
            ],
        },
    },
]


def database_from_url(url: str) -> dict:
    """Parse DATABASE_URL: sqlite:///relative.db, sqlite:////abs.db or postgres://user:pw@host:port/name."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path[1:] if parsed.path.startswith("/") else parsed.path)
        name = Path(path) if Path(path).is_absolute() else BASE_DIR / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                # WAL and IMMEDIATE transactions let the web server, the Celery worker and test
                # processes share one file without "database is locked" errors.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {"NAME": None},
        }
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(f"DATABASE_URL has an unsupported scheme: {parsed.scheme!r}.")


DATABASES = {"default": database_from_url(env_str("DATABASE_URL", "sqlite:///var/console.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_from_url(url: str) -> dict:
    """CACHE_URL: db://table (default, shared by every local process), redis://..., locmem://."""
    parsed = urlparse(url)
    if parsed.scheme == "db":
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": parsed.netloc or "console_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    if parsed.scheme in {"redis", "rediss"}:
        # Django's, reusing one Redis client per connection pool (console/cache.py).
        return {"BACKEND": "console.cache.RedisCache", "LOCATION": url}
    if parsed.scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": parsed.netloc}
    raise ImproperlyConfigured(f"CACHE_URL has an unsupported scheme: {parsed.scheme!r}.")


REDIS_URL = env_str("REDIS_URL", "")
CACHES = {"default": cache_from_url(env_str("CACHE_URL", REDIS_URL or "db://console_cache"))}

# Server-side sessions only: the cloud token lives in the session and never in a cookie.
SESSION_ENGINE = env_str("SESSION_ENGINE", "django.contrib.sessions.backends.db")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
# No script reads the CSRF cookie: forms carry {% csrf_token %} and htmx sends the token from
# hx-headers on <body> (templates/base.html). So the cookie is HttpOnly: script injected into a page
# could still read the token from the page, but never the cookie itself.
CSRF_COOKIE_HTTPONLY = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = False


# A cloud login (console.auth.CloudBackend) makes a local user per cloud user, so groups and
# permissions work; ModelBackend serves the admin site's local accounts.
AUTHENTICATION_BACKENDS = [
    "console.auth.CloudBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- The cloud -------------------------------------------------------------------------------
# Identity endpoint (v3). The default is the embedded emulator started by `make run`.
IDENTITY_URL = env_str("IDENTITY_URL", "http://127.0.0.1:8776/v3")
# Wire format towards the Block Storage and Compute APIs: "json" (default) or "xml".
BLOCK_STORAGE_FORMAT = env_str("BLOCK_STORAGE_FORMAT", "json").lower()
if BLOCK_STORAGE_FORMAT not in {"json", "xml"}:
    raise ImproperlyConfigured("BLOCK_STORAGE_FORMAT must be json or xml.")
# TLS: a PEM file of the CA certificates that sign the cloud's endpoints, when they are not signed by
# a CA the system trusts (a private cloud's own CA). Empty: the system's trusted CAs. Verification is
# never turned off.
API_CA_BUNDLE = env_str("API_CA_BUNDLE", "")
if API_CA_BUNDLE and not Path(API_CA_BUNDLE).is_file():
    raise ImproperlyConfigured(f"API_CA_BUNDLE names no readable file: {API_CA_BUNDLE!r}.")
# Roles whose holders may change things in a project. A login whose roles include "reader" but none of
# these is read-only: the console shows every page and says "your role can only read" instead of
# offering actions the cloud would refuse.
CLOUD_WRITER_ROLES = [
    role.lower() for role in env_list("CLOUD_WRITER_ROLES", ["admin", "member", "_member_", "manager"])
]
# The seed API's osapi_max_limit: a list answer this long is continued with ?offset= (Cinder v3 says
# so itself, with next links).
BLOCK_STORAGE_MAX_LIMIT = env_int("BLOCK_STORAGE_MAX_LIMIT", 1000)
# Timeouts of every outbound call, in seconds.
API_CONNECT_TIMEOUT = env_float("API_CONNECT_TIMEOUT", 3.05)
API_READ_TIMEOUT = env_float("API_READ_TIMEOUT", 20.0)
# The spec's limit: 1 call per second per project. Every outbound call is metered against it.
API_RATE_PER_PROJECT = env_float("API_RATE_PER_PROJECT", 1.0)
# Compute (servers, images, os-volume_attachments) has its own limit, metered apart. Unset (None):
# the same rate as Block Storage (the spec points to Compute's own limits without stating them).
API_COMPUTE_RATE_PER_PROJECT = (
    env_float("API_COMPUTE_RATE_PER_PROJECT", 1.0) if env_str("API_COMPUTE_RATE_PER_PROJECT", "") else None
)
# How long a user action may wait for its turn in the call budget before it is refused.
API_BUDGET_MAX_WAIT = env_float("API_BUDGET_MAX_WAIT", 10.0)
# Fair shares of the budget: user calls one session, and one cloud user across all of its sessions,
# may have waiting for their turn at once; one more is refused at once ("you have calls waiting").
API_BUDGET_SESSION_WAITING = env_int("API_BUDGET_SESSION_WAITING", 1)
API_BUDGET_USER_WAITING = env_int("API_BUDGET_USER_WAITING", 2)
# Bounded retries of safe reads (connection errors, 5xx, rate-limit 413).
API_READ_RETRIES = env_int("API_READ_RETRIES", 2)
# Longest pause before retrying a read (backoff, or the API's retryAfter; asking for more: no retry).
API_RETRY_MAX_WAIT = env_float("API_RETRY_MAX_WAIT", 5.0)
# Background refreshes only take a budget slot that starts within this many seconds (0: free now).
API_BUDGET_BACKGROUND_WAIT = env_float("API_BUDGET_BACKGROUND_WAIT", 0.0)
# Every call, its retries included, ends within this many seconds, whatever the cloud does byte by
# byte (a server that drips its answer is cut off at the deadline).
API_CALL_DEADLINE = env_float("API_CALL_DEADLINE", 30.0)
# The hosts the cloud token may be sent to: "host" (any port) or "host:port", comma-separated. Empty
# (the default): the Identity host, and the hosts the service catalog named at login. Set, it pins
# them: a login whose catalog points anywhere else is refused with a clear message.
API_TOKEN_HOSTS = env_list("API_TOKEN_HOSTS", [])
# The largest answer read from the cloud, counted after decompression; a larger one is refused while
# it streams in (32 MiB: a listing of tens of thousands of volumes).
API_MAX_RESPONSE_BYTES = env_int("API_MAX_RESPONSE_BYTES", 32 * 1024 * 1024)

# Secrets (the token, a password, the session key) are hidden on every error page and report, debug
# pages included, wherever they appear (console.redact); log handlers redact them too.
DEFAULT_EXCEPTION_REPORTER = "console.redact.SecretReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "console.redact.SecretFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {"secrets": {"()": "console.redact.SecretLogFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["secrets"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
    },
}

# --- Inventory: the shared, cached listings that pages and badges read ----------------------------
# Seconds between refreshes of a listing while something in it is changing (never shorter than the
# call budget allows a refresh: 1.155 s at 1 call/s), and when all is still.
INVENTORY_ACTIVE_INTERVAL = env_float("INVENTORY_ACTIVE_INTERVAL", 1.0)
INVENTORY_IDLE_INTERVAL = env_float("INVENTORY_IDLE_INTERVAL", 30.0)
# Servers and images change rarely.
INVENTORY_STATIC_INTERVAL = env_float("INVENTORY_STATIC_INTERVAL", 300.0)
# Seconds a page may wait for the cloud in all (its listing refreshes share them): a hung cloud then
# gets a page with the last known data and a notice, not a page that hangs with it.
INVENTORY_PAGE_WAIT = env_float("INVENTORY_PAGE_WAIT", 4.0)
# How long a request waits for another request that is loading a project's first listing.
INVENTORY_FIRST_LOAD_WAIT = env_float("INVENTORY_FIRST_LOAD_WAIT", 10.0)
# An id absent from a listing at most this many seconds old is not found without an API call; an
# older listing is fetched again first, at most INVENTORY_LOOKUP_REFRESHES times a minute per session.
INVENTORY_LOOKUP_FRESH = env_float("INVENTORY_LOOKUP_FRESH", 5.0)
INVENTORY_LOOKUP_REFRESHES = env_int("INVENTORY_LOOKUP_REFRESHES", 3)
# How often badges poll the console (never the API), in seconds: just after their listing's next
# refresh, at most BADGE_POLL_INTERVAL and at least BADGE_POLL_MIN_INTERVAL apart (console.live).
BADGE_POLL_INTERVAL = env_float("BADGE_POLL_INTERVAL", 2.0)
BADGE_POLL_MIN_INTERVAL = env_float("BADGE_POLL_MIN_INTERVAL", 0.5)

# --- Request log (support.ApiCall) ---------------------------------------------------------------
# Days of API calls kept; `manage.py prune_request_log` deletes older rows.
REQUEST_LOG_DAYS = env_int("REQUEST_LOG_DAYS", 30)

# --- Security headers and the login throttle (console.security, docs/security.md) ----------------
# No inline scripts or styles anywhere; htmx is configured to match (templates/base.html).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in [
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    ]
)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Failed logins allowed per user name and per client address within the window (seconds); the
# counts live in the cache, so every web process shares them. Each limit must be at least 1.
LOGIN_THROTTLE_WINDOW = env_int("LOGIN_THROTTLE_WINDOW", 900)
LOGIN_THROTTLE_PER_USER = env_int("LOGIN_THROTTLE_PER_USER", 5)
LOGIN_THROTTLE_PER_ADDRESS = env_int("LOGIN_THROTTLE_PER_ADDRESS", 20)
# The client address is REMOTE_ADDR. Behind a reverse proxy, name the request.META key of the header
# the proxy overwrites with the client's address (e.g. HTTP_X_REAL_IP); never trust it otherwise.
LOGIN_THROTTLE_ADDRESS_HEADER = env_str("LOGIN_THROTTLE_ADDRESS_HEADER", "")
