"""Settings read from the environment: the URLs operators write must parse as they expect."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from console.settings import BASE_DIR, cache_from_url, database_from_url


def test_sqlite_relative_path_is_under_the_project():
    db = database_from_url("sqlite:///var/console.sqlite3")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == BASE_DIR / "var" / "console.sqlite3"


def test_sqlite_absolute_path_is_kept():
    assert (
        database_from_url("sqlite:////srv/console/db.sqlite3")["NAME"].as_posix() == "/srv/console/db.sqlite3"
    )


def test_postgres_url_with_escaped_password():
    db = database_from_url("postgres://console:p%40ss@db.internal:5433/console?sslmode=require")
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "console",
        "p@ss",
        "db.internal",
        "5433",
        "console",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_unknown_schemes_fail_loudly():
    with pytest.raises(ImproperlyConfigured):
        database_from_url("mysql://x/y")
    with pytest.raises(ImproperlyConfigured):
        cache_from_url("memcached://x")


def test_cache_urls():
    assert cache_from_url("db://console_cache")["LOCATION"] == "console_cache"
    assert cache_from_url("redis://127.0.0.1:6379/1")["BACKEND"].endswith("RedisCache")
