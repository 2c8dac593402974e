"""The database cache's table, made by `migrate` like every other table.

`CACHE_URL=db://<table>` (the default) keeps sessions' companions, the inventory and the call budget
in a table that Django's `createcachetable` creates; without it the first login answers 500 ("no such
table: console_cache"). This migration runs that command, so `python manage.py migrate` alone gives a
working database. It creates only the tables of the database caches configured now and skips those
that exist; a cache on Redis needs no table and this step does nothing.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0003_watches"),
    ]

    operations = [
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop, elidable=False),
    ]
