"""Grant, revoke and list support access (the support pages: the request log) for cloud users."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from support.access import GROUP, support_access_grant, support_access_holders, support_access_revoke

MAX_NAME = 150  # a cloud user's name is kept in the local user's first_name


class Command(BaseCommand):
    help = (
        "Support access for cloud users, by their cloud user name: `grant NAME`, `revoke NAME`, `list`. "
        "A granted user sees the Support section after logging in at /login/ as usual; a user the "
        "console has not seen yet gets it at their first login."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{grant,revoke,list}")
        grant = actions.add_parser("grant", help="Grant support access to a cloud user.")
        grant.add_argument("name", help="The cloud user name (as typed at login).")
        revoke = actions.add_parser("revoke", help="Take support access away from a cloud user.")
        revoke.add_argument("name", help="The cloud user name.")
        actions.add_parser("list", help="Who has support access.")

    def handle(self, *args: object, action: str, name: str = "", **options: object) -> None:
        if action == "list":
            self._list()
            return
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise CommandError(f"Give the cloud user name (1 to {MAX_NAME} characters).")
        if action == "grant":
            users = support_access_grant(name=name)
            if users:
                ids = ", ".join(user.get_username() for user in users)
                self.stdout.write(f'Support access granted to {name} (console user {ids}, now in "{GROUP}").')
            else:
                self.stdout.write(
                    f"Support access granted to {name}. The console has not seen this user yet: "
                    "they get it when they log in."
                )
            return
        existed, users = support_access_revoke(name=name)
        if not existed and not users:
            raise CommandError(f"{name} has no support access to revoke (see `support_access list`).")
        left = f' ({len(users)} console user{"s" if len(users) != 1 else ""} left "{GROUP}")' if users else ""
        self.stdout.write(f"Support access revoked from {name}{left}.")

    def _list(self) -> None:
        holders = support_access_holders()
        if not holders:
            self.stdout.write("Nobody has support access. Grant it with: manage.py support_access grant NAME")
            return
        width = max(len(holder.name) for holder in holders)
        for holder in holders:
            seen = (
                f"last login {holder.last_login:%Y-%m-%d %H:%M} UTC"
                if holder.last_login
                else "never logged in"
            )
            user_id = f"  cloud user id {holder.user_id}" if holder.user_id else ""
            self.stdout.write(f"{holder.name:<{width}}  {holder.kind}; {seen}{user_id}")
