"""A create that gets no answer: the console looks for the volume (by the form's key in its metadata)
before it reports anything, and never makes a second one. Runs on its own emulator, whose faults
would disturb the session's."""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.core.cache import cache

from console import api
from console.inventory import listing_invalidate
from console.models import LifecycleEvent
from tests.console.login_helpers import context_of, log_in
from tests.emulator_process import FAST, EmulatorProcess
from tests.volumes.conftest import calls, create_form

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def faulty_emulator():
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0"}).start()
    yield proc
    proc.stop()


@pytest.fixture
def faulty(client, settings, faulty_emulator):
    settings.IDENTITY_URL = faulty_emulator.identity_url
    settings.API_RATE_PER_PROJECT = 0
    settings.API_READ_TIMEOUT = 1.0  # the emulator's latency fault below is longer
    cache.clear()
    name = f"to{os.getpid()}x{os.urandom(3).hex()}"
    account = {
        "user": name,
        "password": f"{name}-password",
        "project": name,
        **faulty_emulator.new_account(name),
    }
    assert log_in(client, account).status_code == 302
    yield client, account
    faulty_emulator.set_faults()


def clear_faults_after(emulator, seconds: float) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(seconds), emulator.set_faults()))
    thread.start()
    return thread


def test_timed_out_create_is_found_not_repeated(faulty, faulty_emulator):
    client, account = faulty
    data = create_form(client, name="slow-one", size="1")
    faulty_emulator.reset_stats()
    faulty_emulator.set_faults(latency_ms=1500, project=account["project_id"])
    # The POST waits 1.5 s in the emulator and is then carried out; the console gives up after 1 s.
    # The faults end meanwhile, so the console's looks get answers.
    clear_faults_after(faulty_emulator, 0.5)
    response = client.post("/volumes/create/", data)
    assert response.status_code == 302
    ctx = context_of(client)
    volumes = api.volume_list(ctx)
    assert [v.metadata["console-create-key"] for v in volumes] == [data["create_key"]]
    assert response["Location"] == f"/volumes/{volumes[0].id}/"
    page = client.get(response["Location"]).content.decode()
    assert "Volume “slow-one” is being created" in page
    assert "found after the create call got no answer" in page  # the timeline says how it was found
    # Submitting the same form again does not call the API again.
    again = client.post("/volumes/create/", data)
    assert again["Location"] == response["Location"]
    assert calls(faulty_emulator, account["project_id"], "POST") == 1
    assert len(api.volume_list(ctx)) == 1


def test_unconfirmed_create_is_checked_again_and_never_duplicated(faulty, faulty_emulator):
    client, account = faulty
    data = create_form(client, name="very-slow", size="1")
    faulty_emulator.reset_stats()
    # Every call waits 2.5 s: the create and all the console's looks time out.
    faulty_emulator.set_faults(latency_ms=2500, project=account["project_id"])
    response = client.post("/volumes/create/", data)
    html = response.content.decode()
    assert response.status_code == 202
    assert "The cloud did not confirm whether the volume was created." in html
    assert "The cloud took too long to answer." in html  # the error component, with an id
    assert 'class="request-id"' in html
    status_url = f"/volumes/create/{data['create_key']}/"
    assert f'href="{status_url}"' in html
    # Sending the form again meanwhile does not create a second volume.
    assert client.post("/volumes/create/", data).status_code == 202
    faulty_emulator.set_faults()
    checked = client.get(status_url)
    assert checked.status_code == 302
    volumes = api.volume_list(context_of(client))
    assert len(volumes) == 1 and checked["Location"] == f"/volumes/{volumes[0].id}/"
    assert client.post("/volumes/create/", data)["Location"] == checked["Location"]
    assert calls(faulty_emulator, account["project_id"], "POST") == 1
    assert LifecycleEvent.objects.filter(resource_id=volumes[0].id, source="action").exists()


def test_failed_create_that_did_not_happen_offers_the_form_again(faulty, faulty_emulator):
    client, account = faulty
    data = create_form(client, name="refused", size="1")
    # 5xx without running the call; the faults end before the console's looks are done.
    faulty_emulator.set_faults(error_rate=1.0, project=account["project_id"])
    clear_faults_after(faulty_emulator, 0.3)
    response = client.post("/volumes/create/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "the volume did not appear: it was not created" in html
    assert "The cloud had a problem with this request." in html
    assert 'class="request-id"' in html
    assert data["create_key"] not in html  # a fresh key: this one is spent
    assert 'name="name" value="refused"' in html
    assert api.volume_list(context_of(client)) == []
    # The spent key does not create anything either.
    stale = client.post("/volumes/create/", data)
    assert stale.status_code == 400 and api.volume_list(context_of(client)) == []


def test_unknown_create_key_in_the_url_is_404(faulty):
    client, _ = faulty
    assert client.get("/volumes/create/not-a-key/").status_code == 404
    missing = client.get(f"/volumes/create/{'0' * 32}/")
    assert missing.status_code == 200
    assert "This form did not create a volume." in missing.content.decode()
    assert 'href="/volumes/create/"' in missing.content.decode()


def test_a_failed_refresh_is_shown_and_the_rows_stay(faulty, faulty_emulator):
    client, account = faulty
    ctx = context_of(client)
    api.volume_create(ctx, size=1, display_name="kept")
    assert "kept" in client.get("/volumes/").content.decode()
    listing_invalidate(ctx, "volumes")  # due now
    faulty_emulator.set_faults(error_rate=1.0, project=account["project_id"])
    html = client.get("/volumes/").content.decode()
    faulty_emulator.set_faults()
    assert "The cloud had a problem with this request." in html
    assert 'class="request-id"' in html
    assert "kept" in html  # the last listing is still shown
