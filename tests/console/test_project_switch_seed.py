"""The project switcher against the seed's Identity (the emulator), which lists no projects: the page
says how to work in another project instead, and a forged switch changes nothing. (Keystone's list
and the switch itself: tests/openstack/test_login.py.)"""

from __future__ import annotations

import pytest

from tests.console.login_helpers import cloud_session, log_in

pytestmark = pytest.mark.django_db


def test_the_switcher_explains_when_identity_lists_no_projects(client, settings, emulator, account):
    settings.IDENTITY_URL = emulator.identity_url
    settings.API_RATE_PER_PROJECT = 0
    assert log_in(client, account).status_code == 302
    page = client.get("/project/")
    assert page.status_code == 200
    assert "does not list your projects" in page.content.decode()
    forged = client.post("/project/", {"project_id": "10000000000001"})
    assert forged.status_code == 400
    assert cloud_session(client)["project_name"] == account["project"]
