"""`python manage.py emulator_account USER PASSWORD PROJECT`: add a user and a project to the emulator."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from emulator.config import Config
from emulator.store import Store


class Command(BaseCommand):
    requires_system_checks = []  # the emulator uses nothing of the console's
    help = (
        "Create a user and a project in the emulator's database (EMULATOR_DB), with seeded servers. "
        "An existing user gets the new password and joins the project."
    )

    def add_arguments(self, parser):
        parser.add_argument("user")
        parser.add_argument("password")
        parser.add_argument("project")

    def handle(self, *args, **options):
        store = Store(Config.from_env().db_path)
        info = store.add_account(options["user"], options["password"], options["project"])
        self.stdout.write(
            f"User {options['user']} ({info['user_id']}) is a member of project {info['project']} "
            f"({info['project_id']})."
        )
