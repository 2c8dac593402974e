"""Found by the fault soak: a page that cannot be built because the cloud failed is the error
component with the API's request id, answered 200, never a 5xx: the console itself did not fail (a
5xx reads as the console's outage to monitors), and htmx 2 swaps no 5xx answer, so a live panel
asking for it would drop the error silently."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db


def test_a_volume_page_the_cloud_cannot_serve_shows_its_error_without_a_5xx(client_in, emulator, account):
    emulator.set_faults(error_rate=1.0, project=account["project_id"])
    try:
        cache.clear()
        for path in (
            "/volumes/00000000-0000-0000-0000-000000000001/",
            "/volumes/00000000-0000-0000-0000-000000000001/delete/",
        ):
            response = client_in.get(path)
            html = response.content.decode()
            assert response.status_code == 200, path
            assert 'class="error-box"' in html
            assert re.search(r'<code class="request-id">req-[0-9a-f-]{36}</code>', html)
    finally:
        emulator.set_faults()
