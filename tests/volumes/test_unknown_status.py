"""A status the console does not know (a newer cloud's) never freezes a badge: it is shown as it is,
followed at the idle pace, and the badge moves on when the cloud does."""

from __future__ import annotations

import dataclasses
import re

import pytest
from django.core.cache import cache

from console import api
from console.inventory import KEEP_SECONDS, listing_get, listing_invalidate, listing_key
from tests.console.login_helpers import context_of
from tests.volumes.conftest import wait_for

pytestmark = pytest.mark.django_db


def test_an_unknown_status_is_followed_slowly_and_its_badge_moves_on(client_in, settings):
    settings.INVENTORY_IDLE_INTERVAL = 30
    ctx = context_of(client_in)
    volume = api.volume_create(ctx, size=1, display_name="odd")
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "available")
    wait_for(lambda: listing_get(ctx, "volumes").by_id[volume.id].status == "available")
    listing = listing_get(ctx, "volumes")
    # The cloud reports a status no version of the console knows.
    odd = dataclasses.replace(listing.by_id[volume.id], status="frobnicating")
    cache.set(listing_key(ctx, "volumes"), dataclasses.replace(listing, items=(odd,)), KEEP_SECONDS)

    html = client_in.get(f"/volumes/{volume.id}/").content.decode()
    assert "frobnicating" in html
    poller = re.search(r'<div id="status-poller-volumes"[^>]*>', html).group(0)
    assert f"s={volume.id}%3Afrobnicating" in poller and 'data-interval="30' in poller

    still = client_in.get(f"/live/volumes/?s={volume.id}:frobnicating", headers={"HX-Request": "true"})
    assert still.status_code == 200  # still followed (286 would stop the poller for good)
    assert "every 30" in still.content.decode()

    listing_invalidate(ctx, "volumes")  # the next read asks the cloud, which says available
    moved = client_in.get(f"/live/volumes/?s={volume.id}:frobnicating", headers={"HX-Request": "true"})
    assert moved.status_code == 286 and "Available" in moved.content.decode()
