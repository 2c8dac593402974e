"""The whole story support is for: a user sees an error banner with a request id, support pastes the
id into the search and finds the call, with its 413 and the cloud's message.

The create goes through a logged-in console request (the middleware gives it its X-Request-Id, the
session its CloudContext) to console.api.volume_create, and the banner is the console's one error
component. (The volumes section's own create form checks the quota before it calls the API, so it
would not send the call that the cloud refuses; this view does, on purpose.)
"""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client, override_settings
from django.urls import include, path
from django.views.decorators.http import require_POST

from console import api
from console.api.errors import ApiError
from console.session import cloud_context
from support.models import ApiCall
from tests.console.login_helpers import cloud_token, log_in
from tests.support.conftest import support_group

pytestmark = pytest.mark.django_db

QUOTA_MESSAGE = (
    "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed Gigabytes quota"
)
BANNER_PAGE = engines["django"].from_string(
    '{% extends "base.html" %}{% load console_tags %}{% block content %}{% api_error error %}{% endblock %}'
)


@require_POST
def create_volume(request: HttpRequest) -> HttpResponse:
    """Ask the cloud for a volume; show the console's error banner when it refuses."""
    ctx = cloud_context(request)
    try:
        api.volume_create(ctx, size=int(request.POST["size"]), display_name=request.POST["name"])
    except ApiError as error:
        return HttpResponse(BANNER_PAGE.render({"error": error}, request), status=200)
    return HttpResponse("created")


urlpatterns = [path("test-create-volume/", create_volume), path("", include("console.urls"))]


def staff_login(emulator, name: str) -> Client:
    """A second cloud user, whose local user an administrator put in the "Support staff" group."""
    account = {"user": name, "password": f"{name}-password", "project": name, **emulator.new_account(name)}
    client = Client()
    assert log_in(client, account).status_code == 302
    user = get_user_model().objects.get(username=account["user_id"])
    user.groups.add(support_group())
    return client


@override_settings(ROOT_URLCONF=__name__)
def test_support_finds_the_call_behind_an_error_banner(settings, emulator, account):
    settings.IDENTITY_URL = emulator.identity_url
    user = Client()
    assert log_in(user, account).status_code == 302
    token = cloud_token(user)
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"gigabytes": 3})

    # The user: an error banner, with the request id to quote.
    banner = user.post("/test-create-volume/", {"size": "5", "name": "too big"})
    page = banner.content.decode()
    assert 'role="alert"' in page
    assert "VolumeSizeExceedsAvailableQuota" in page
    request_id = re.search(r'<code class="request-id">([^<]+)</code>', page).group(1)
    assert request_id.startswith("req-")
    assert f'data-copy="{request_id}"' in page  # the copy button carries the same id

    # Support: the id, pasted the way people paste (spaces, other case), finds exactly that call.
    staff = staff_login(emulator, f"{account['user']}-support")
    emulator.reset_stats()
    results = staff.get("/support/", {"q": f"  {request_id.upper()} "})
    assert results.status_code == 200
    links = re.findall(r'href="(/support/calls/\d+/)">([^<]+)</a>', results.content.decode())
    assert links == [(links[0][0], request_id)]

    call_page = staff.get(links[0][0])
    body = call_page.content.decode()
    assert call_page.status_code == 200
    assert "413" in body and "badge--warn" in body
    assert (
        "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed Gigabytes quota"
        in body
    )
    assert "overLimit" in body
    assert "POST" in body and f"/volume/region-a.geo-1/v1/{account['project_id']}/volumes" in body
    assert account["user"] in body and account["project"] in body and "region-a.geo-1" in body
    call = ApiCall.objects.get(request_id=request_id)
    assert call.console_request_id == banner["X-Request-Id"]  # the console request that made it
    assert call.console_request_id in body

    exported = json.loads(staff.get(f"{links[0][0]}export.json").content)
    assert exported["call"]["status"] == 413 and exported["call"]["request_id"] == request_id

    # Support pages read the local log only: not one API call for either project.
    stats = emulator.stats()
    assert stats["projects"].get(account["project_id"], {}).get("total", 0) == 0
    assert sum(project["total"] for project in stats["projects"].values()) == 0

    # Metadata only, never the token: not in the log, not on the support pages or the export.
    for row in ApiCall.objects.all():
        for field in ApiCall._meta.concrete_fields:
            assert token not in str(getattr(row, field.attname)), field.name
    for response in (
        results,
        call_page,
        staff.get(f"{links[0][0]}export.json"),
        staff.get("/support/export.json"),
    ):
        assert token not in response.content.decode()
        assert "X-Auth-Token" not in response.content.decode()
