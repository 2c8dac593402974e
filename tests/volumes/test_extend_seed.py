"""Extend on the seed's Cinder v1 (the emulator): its API has no extend, so the action is there but
refused with the reason, its page says why and offers no form, and a forced POST sends nothing.
(Extending on Cinder v3 is in tests/openstack/test_actions.py.)"""

from __future__ import annotations

import re
from html import unescape

import pytest

from console import api
from tests.console.login_helpers import context_of
from tests.volumes.conftest import calls, wait_for

pytestmark = pytest.mark.django_db

NO_EXTEND = "This cloud's Block Storage API (the seed's Cinder v1) has no extend action."


def test_extend_is_refused_with_its_reason_and_sends_nothing(client_in, emulator, account):
    ctx = context_of(client_in)
    volume = api.volume_create(ctx, size=2, display_name="grow-me")
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "available")

    detail = unescape(client_in.get(f"/volumes/{volume.id}/").content.decode())
    action = re.search(r'data-testid="action-extend">(.*?)</li>', detail, re.S).group(1)
    assert NO_EXTEND in action and "href" not in action  # no link: a disabled button and why

    page = client_in.get(f"/volumes/{volume.id}/extend/")
    html = unescape(page.content.decode())
    assert page.status_code == 200 and NO_EXTEND in html and 'name="new_size"' not in html

    before = calls(emulator, account["project_id"])
    refused = client_in.post(f"/volumes/{volume.id}/extend/", {"new_size": "5"})
    assert refused.status_code == 409 and NO_EXTEND in unescape(refused.content.decode())
    assert calls(emulator, account["project_id"]) == before
    assert api.volume_get(ctx, volume.id).size == 2

    with pytest.raises(api.Unsupported):
        api.volume_extend(ctx, volume.id, new_size=5)
    assert calls(emulator, account["project_id"]) == before + 1  # only the volume_get above
