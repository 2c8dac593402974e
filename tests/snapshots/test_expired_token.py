"""Found by the fault soak: a token that expires mid-session (the cloud answers 401 to the create or
delete call itself) sends the user to the login page with the message, as every other page does; it
used to be shown as an ordinary API error, leaving a login the cloud no longer accepts."""

from __future__ import annotations

import pytest

from tests.snapshots.helpers import submission_of, volume_ready

pytestmark = pytest.mark.django_db

ENDED = "Your session with the cloud has ended. Please log in again."


def test_a_create_refused_for_an_expired_token_goes_to_the_login_page(
    client_in, ctx, settings, emulator, account
):
    settings.INVENTORY_IDLE_INTERVAL = 600  # the listings stay fresh: the 401 comes from the create call
    volume = volume_ready(ctx, name="expiring")
    form = client_in.get(f"/snapshots/create/?volume_id={volume.id}")
    assert form.status_code == 200
    emulator.expire_tokens(account["user"])
    response = client_in.post(
        "/snapshots/create/", {"volume_id": volume.id, "submission": submission_of(form)}
    )
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert ENDED in client_in.get(response["Location"]).content.decode()


def test_a_backup_refused_for_an_expired_token_goes_to_the_login_page(
    client_in, ctx, settings, emulator, account
):
    settings.INVENTORY_IDLE_INTERVAL = 600
    volume = volume_ready(ctx, name="expiring")
    form = client_in.get(f"/backups/create/?volume_id={volume.id}")
    assert form.status_code == 200
    emulator.expire_tokens(account["user"])
    response = client_in.post(
        "/backups/create/",
        {"volume_id": volume.id, "container": "volumebackups", "submission": submission_of(form)},
    )
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert ENDED in client_in.get(response["Location"]).content.decode()
