"""The whole story support is for: a user sees an error banner with a request id, support pastes the
id into the search and finds the call, with its 413 and the cloud's message.

The user works on the volumes section's real create form. Its own quota check passes (the console
read the quota when the form opened), then an administrator lowers the project's quota before the
user submits: the cloud refuses the create with 413, and the form shows the console's one error
component with the cloud's request id.
"""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from support.models import ApiCall
from tests.console.login_helpers import cloud_token, log_in
from tests.support.conftest import support_group
from tests.volumes.conftest import create_form

pytestmark = pytest.mark.django_db


def staff_login(emulator, name: str) -> Client:
    """A second cloud user, whose local user an administrator put in the "Support staff" group."""
    account = {"user": name, "password": f"{name}-password", "project": name, **emulator.new_account(name)}
    client = Client()
    assert log_in(client, account).status_code == 302
    user = get_user_model().objects.get(username=account["user_id"])
    user.groups.add(support_group())
    return client


def test_support_finds_the_call_behind_an_error_banner(settings, emulator, account):
    settings.IDENTITY_URL = emulator.identity_url
    user = Client()
    assert log_in(user, account).status_code == 302
    token = cloud_token(user)

    # The user opens the create form (the console reads the quota: 3000 GB), then the project's
    # quota is lowered before they submit: the cloud refuses, the form shows an error banner.
    data = create_form(user, name="too big", size="5")
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"gigabytes": 3})
    banner = user.post("/volumes/create/", data)
    page = banner.content.decode()
    assert 'role="alert"' in page
    assert "This would go over your project&#x27;s quota." in page
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
