"""Who may use the support pages, and granting that to cloud users by name.

Support access is the permission support.view_apicall, given by the "Support staff" group (console
migration 0002; superusers have every permission). Two kinds of users hold it:

- cloud users, who log in at /login/ with their cloud user name, password and project, and see the
  support pages in the console's frame. `manage.py support_access grant NAME` grants it by cloud user
  name: users the console already knows join the group at once, the others at their next login
  (a SupportGrant keeps the name until it is revoked);
- console accounts an administrator made in the Django admin (a user name and a password, in the
  group). They log in at /login/ with the project left empty and see the support pages only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db.models import Q

from support.models import SupportGrant

PERMISSION = "support.view_apicall"
GROUP = "Support staff"


def support_group() -> Group:
    """The "Support staff" group with its permission (made again if someone deleted it)."""
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="support", codename="view_apicall"))
    return group


def is_cloud_user(user: AbstractBaseUser) -> bool:
    """Local users of cloud users have no usable password (console.auth.CloudBackend)."""
    return not user.has_usable_password()


def _users_named(name: str):
    """Cloud users of this name (their display name), or the user whose user name this is (a cloud
    user id, or a console account)."""
    return get_user_model().objects.filter(
        Q(first_name=name, password__startswith=UNUSABLE_PASSWORD_PREFIX) | Q(username=name)
    )


def support_access_grant(*, name: str) -> list[AbstractBaseUser]:
    """Grant support access to the cloud user `name`; returns the users who have it now."""
    SupportGrant.objects.get_or_create(user_name=name)
    group = support_group()
    users = list(_users_named(name))
    for user in users:
        user.groups.add(group)
    return users


def support_access_revoke(*, name: str) -> tuple[bool, list[AbstractBaseUser]]:
    """Take support access away from `name`: (whether a grant existed, the users who left the group)."""
    deleted, _ = SupportGrant.objects.filter(user_name=name).delete()
    group = support_group()
    users = list(_users_named(name).filter(groups=group))
    for user in users:
        user.groups.remove(group)
    return bool(deleted), users


def support_access_on_login(user: AbstractBaseUser) -> None:
    """A cloud user granted by name gets the group at login (the grant may predate their first one)."""
    if is_cloud_user(user) and SupportGrant.objects.filter(user_name=user.first_name).exists():
        user.groups.add(support_group())


@dataclass(frozen=True)
class Holder:
    """Someone with support access, or a grant still waiting for its user's first login."""

    name: str
    kind: str  # cloud user | console account | superuser | granted, not logged in yet
    user_id: str
    last_login: datetime | None


def support_access_holders() -> list[Holder]:
    """Everyone who may use the support pages now, and the grants no user has logged in for yet."""
    holders = []
    users = get_user_model().objects.filter(Q(groups__name=GROUP) | Q(is_superuser=True)).distinct()
    seen = set()
    for user in users.order_by("first_name", "username"):
        cloud = is_cloud_user(user)
        name = (user.first_name or user.username) if cloud else user.username
        seen.add(name)
        if user.is_superuser and not user.groups.filter(name=GROUP).exists():
            kind = "superuser"
        else:
            kind = "cloud user" if cloud else "console account"
        holders.append(Holder(name, kind, user.username if cloud else "", user.last_login))
    for grant in SupportGrant.objects.exclude(user_name__in=seen):
        holders.append(Holder(grant.user_name, "granted, not logged in yet", "", None))
    return holders
