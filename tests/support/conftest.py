"""Fixtures of the support console's tests: staff and non-staff users, request-log rows."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone

from support.models import ApiCall

SUPPORT_GROUP = "Support staff"
# A local account, as the admin site logs in (the default, CloudBackend, expects a cloud session).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
P = "/volume/region-a.geo-1/v1/10000000000001"
_numbers = itertools.count(1)


def support_group() -> Group:
    """The group the data migration made (made again after a transactional test flushed it)."""
    group, _ = Group.objects.get_or_create(name=SUPPORT_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="support", codename="view_apicall"))
    return group


def make_user(name: str, *, staff_group: bool = False, **fields) -> object:
    """A local Django user (as the admin site would have), optionally in the "Support staff" group."""
    user = get_user_model().objects.create_user(username=name, password=f"{name}-Pa55word!", **fields)
    if staff_group:
        user.groups.add(support_group())
    return user


@pytest.fixture
def staff_client(db) -> Client:
    client = Client()
    client.force_login(make_user("helpdesk", staff_group=True), backend=MODEL_BACKEND)
    return client


@pytest.fixture
def plain_client(db) -> Client:
    """A logged-in user outside the group."""
    client = Client()
    client.force_login(make_user("someone", is_staff=True), backend=MODEL_BACKEND)
    return client


def call_row(*, created_at: datetime | None = None, save: bool = True, **fields) -> ApiCall:
    """One request-log row with plausible defaults (an available volume's GET)."""
    number = next(_numbers)
    values = {
        "created_at": created_at or timezone.now() - timedelta(seconds=number),
        "request_id": f"req-{uuid.uuid4()}",
        "console_request_id": uuid.uuid4().hex,
        "user_id": "u-alice",
        "user_name": "alice",
        "project_id": "10000000000001",
        "project_name": "demo",
        "region": "region-a.geo-1",
        "service": "volume",
        "method": "GET",
        "path": f"{P}/volumes/v-{number}",
        "status": 200,
        "duration_ms": 12,
        "resource_type": "volume",
        "resource_id": f"v-{number}",
        **fields,
    }
    call = ApiCall(**values)
    if save:
        call.save()
    return call
