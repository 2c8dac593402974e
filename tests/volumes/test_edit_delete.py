"""Editing and deleting volumes: confirmation, what blocks a delete (with links), bulk delete with a
result for each volume, and the list and timeline showing each change at once."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from console import api
from console.inventory import listing_get
from console.models import LifecycleEvent
from tests.console.login_helpers import context_of
from tests.volumes.conftest import calls, wait_for

pytestmark = pytest.mark.django_db


def available(ctx, **fields):
    volume = api.volume_create(ctx, **fields)
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "available")
    return api.volume_get(ctx, volume.id)


def test_edit_name_description_and_metadata(client_in, emulator, account):
    ctx = context_of(client_in)
    volume = available(ctx, size=1, display_name="old", metadata={"a": "1", "console-create-key": "f" * 32})
    cache.clear()
    page = client_in.get(f"/volumes/{volume.id}/edit/").content.decode()
    assert 'name="name" value="old"' in page and 'name="meta_key_0" value="a"' in page
    assert "console-create-key" not in page  # the console's own key is not editable
    response = client_in.post(
        f"/volumes/{volume.id}/edit/",
        {
            "name": "new",
            "description": "described",
            "meta_rows": "2",
            "meta_key_0": "a",
            "meta_value_0": "2",
            "meta_key_1": "b",
            "meta_value_1": "3",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/volumes/{volume.id}/"
    updated = api.volume_get(ctx, volume.id)
    assert (updated.display_name, updated.display_description) == ("new", "described")
    assert updated.metadata == {"a": "2", "b": "3", "console-create-key": "f" * 32}
    html = client_in.get(response["Location"]).content.decode()
    assert re.search(r"Volume “new” was saved \(request req-[0-9a-f-]+\)", html)
    assert listing_get(ctx, "volumes", refresh=False).by_id[volume.id].display_name == "new"


def test_edit_refuses_bad_input_before_any_call(client_in, emulator, account):
    ctx = context_of(client_in)
    volume = available(ctx, size=1, display_name="keep")
    cache.clear()
    client_in.get(f"/volumes/{volume.id}/edit/")
    emulator.reset_stats()
    response = client_in.post(
        f"/volumes/{volume.id}/edit/",
        {"name": "n" * 256, "description": "", "meta_rows": "1", "meta_key_0": "", "meta_value_0": "v"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "at most 255 characters (it has 256)" in html and "Give this value a key" in html
    assert calls(emulator, account["project_id"], "PUT") == 0
    assert api.volume_get(ctx, volume.id).display_name == "keep"


def test_delete_confirms_then_deletes_and_records_it(client_in, emulator, account):
    ctx = context_of(client_in)
    volume = available(ctx, size=1, display_name="doomed")
    cache.clear()
    page = client_in.get(f"/volumes/{volume.id}/delete/").content.decode()
    assert "Delete volume “doomed”" in page and ">Delete volume</button>" in page
    assert api.volume_get(ctx, volume.id).status == "available"  # GET changed nothing
    response = client_in.post(f"/volumes/{volume.id}/delete/")
    assert response.status_code == 302 and response["Location"] == "/volumes/"
    html = client_in.get("/volumes/").content.decode()
    assert re.search(r"Volume “doomed” is being deleted \(request req-[0-9a-f-]+\)", html)
    assert f'id="status-volumes-{volume.id}"' in html and "Deleting" in html
    event = LifecycleEvent.objects.get(resource_id=volume.id, to_status="deleting")
    assert event.source == "action" and event.request_id.startswith("req-")


def test_delete_blocked_by_snapshots_attachment_and_busy_status(client_in, emulator, account):
    ctx = context_of(client_in)
    with_snapshot = available(ctx, size=1, display_name="has-snap")
    snapshot = api.snapshot_create(ctx, volume_id=with_snapshot.id, display_name="keepme")
    server = next(s for s in api.server_list(ctx) if s.name == "db-01")
    attached = available(ctx, size=1, display_name="attached", availability_zone="az3")
    api.attachment_create(ctx, server.id, volume_id=attached.id)
    wait_for(lambda: api.volume_get(ctx, attached.id).status == "in-use")
    cache.clear()
    emulator.reset_stats()

    page = client_in.get(f"/volumes/{with_snapshot.id}/delete/").content.decode()
    assert "This volume cannot be deleted now." in page
    assert f'<a href="/snapshots/{snapshot.id}/">keepme</a>' in page
    assert f'href="/snapshots/{snapshot.id}/delete/"' in page
    assert ">Delete volume</button>" not in page

    page = client_in.get(f"/volumes/{attached.id}/delete/").content.decode()
    assert "The volume is attached to a server: detach it first." in page
    assert f'<a href="/servers/{server.id}/">db-01</a>' in page
    assert f'href="/servers/{server.id}/detach/{attached.id}/">Detach</a>' in page
    assert ">Delete volume</button>" not in page

    # A forged POST is refused by the console as well, without a call.
    assert client_in.post(f"/volumes/{attached.id}/delete/").status_code == 409
    assert calls(emulator, account["project_id"], "DELETE") == 0

    busy = api.volume_create(ctx, size=1, display_name="busy")
    cache.clear()
    page = client_in.get(f"/volumes/{busy.id}/delete/").content.decode()
    assert "The volume is creating: wait until that finishes, then delete it." in page


def test_delete_shows_the_apis_refusal_with_its_request_id(client_in, emulator, account):
    ctx = context_of(client_in)
    volume = available(ctx, size=1, display_name="stale")
    cache.clear()
    client_in.get(f"/volumes/{volume.id}/delete/")  # the console's listings: no snapshots
    api.snapshot_create(ctx, volume_id=volume.id)  # ... behind its back
    response = client_in.post(f"/volumes/{volume.id}/delete/")
    html = response.content.decode()
    assert response.status_code == 400
    assert "The cloud refused the request." in html and "still has 1 snapshot(s)" in html
    assert re.search(r'<code class="request-id">req-[0-9a-f-]+</code>', html)
    assert api.volume_get(ctx, volume.id).status == "available"


def test_bulk_delete_confirms_and_reports_each_volume(client_in, emulator, account):
    ctx = context_of(client_in)
    free = available(ctx, size=1, display_name="free")
    blocked = available(ctx, size=1, display_name="blocked")
    api.snapshot_create(ctx, volume_id=blocked.id)
    stale = available(ctx, size=1, display_name="stale")
    cache.clear()
    client_in.get("/volumes/")
    api.snapshot_create(ctx, volume_id=stale.id)  # the console does not know yet: the API will say
    ids = [free.id, blocked.id, stale.id, "0000-unknown"]

    confirm = client_in.post("/volumes/delete/", {"ids": ids})
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "Delete 4 volumes?" in html
    assert "Skipped: The volume has snapshots: delete them first." in html
    assert "Skipped: not found in this project." in html
    assert ">Delete 2 volumes</button>" in html
    assert api.volume_get(ctx, free.id).status == "available"  # nothing happened yet

    done = client_in.post("/volumes/delete/", {"ids": ids, "confirm": "yes"})
    assert done.status_code == 302 and done["Location"] == "/volumes/delete/"
    result = client_in.get("/volumes/delete/").content.decode()
    assert "1 of 4 volumes are being deleted." in result
    assert result.count('data-testid="result"') == 4
    # A deleted volume is named (with its id), no longer linked; the others are.
    assert re.search(
        rf'free <code class="mono muted">{free.id}</code>:\s*<strong class="result-ok">deleted', result
    )
    assert f'href="/volumes/{free.id}/"' not in result and 'href="/volumes/0000-unknown/"' not in result
    assert re.search(
        r">blocked</a>:\s*<strong class=\"result-refused\">refused</strong>: The volume has", result
    )
    assert ">stale</a>" in result and "still has 1 snapshot(s)" in result
    assert re.search(r'<code class="request-id">req-[0-9a-f-]+</code>', result)  # the API's refusal
    assert "Not found in this project." in result
    wait_for(lambda: free.id not in {v.id for v in api.volume_list(ctx)})
    assert {v.id for v in api.volume_list(ctx)} == {blocked.id, stale.id}
    # The result is shown once (PRG): reloading goes back to the list.
    assert client_in.get("/volumes/delete/")["Location"] == "/volumes/"


def test_bulk_delete_needs_a_selection(client_in):
    response = client_in.post("/volumes/delete/", {}, follow=True)
    assert "Select the volumes to delete first." in response.content.decode()


def test_delete_of_a_volume_deleted_meanwhile_says_so_with_the_request_id(client_in, emulator, account):
    """Found by the fault soak: two sessions delete the same volume; the second one's DELETE is
    answered 404. It used to end on a bare 404 page without the API's request id."""
    ctx = context_of(client_in)
    volume = available(ctx, size=1, display_name="twice")
    cache.clear()
    client_in.get(f"/volumes/{volume.id}/delete/")  # the console's listing has it, available
    api.volume_delete(ctx, volume.id)  # ... another session deletes it
    wait_for(lambda: volume.id not in {v.id for v in api.volume_list(ctx)})
    response = client_in.post(f"/volumes/{volume.id}/delete/")
    assert response.status_code == 302 and response["Location"] == "/volumes/"
    html = client_in.get("/volumes/").content.decode()
    assert re.search(r"Volume “twice” was already deleted \(request req-[0-9a-f-]+\)", html)
