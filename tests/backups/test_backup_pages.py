"""The backups section against the real emulator: list, detail, create, restore, delete, bad input."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from console import api
from tests.console.login_helpers import context_of, log_in
from tests.snapshots.helpers import calls, submission_of, volume_attached, volume_ready, wait_for

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><b onmouseover=alert(1)>'


def start_backup(client, volume: str, **data):
    page = client.get(f"/backups/create/?volume_id={volume}")
    assert page.status_code == 200
    fields = {"volume_id": volume, "container": "volumebackups", "submission": submission_of(page)}
    fields.update(data)
    return client.post("/backups/create/", fields)


def backup_id_of(response) -> str:
    return response["Location"].strip("/").split("/")[-1]


def backup_ready(client, ctx, volume, name="bk") -> api.Backup:
    response = start_backup(client, volume.id, name=name)
    assert response.status_code == 302, response.content.decode()[:2000]
    backup_id = backup_id_of(response)
    return wait_for(lambda: _available(api.backup_get(ctx, backup_id)))


def _available(record):
    return record if record.status == "available" else None


def restore(client, backup_id: str, **data):
    page = client.get(f"/backups/{backup_id}/restore/")
    assert page.status_code == 200
    fields = {"target": "new", "submission": submission_of(page)}
    fields.update(data)
    return client.post(f"/backups/{backup_id}/restore/", fields)


def test_empty_list_says_so(client_in):
    page = client_in.get("/backups/").content.decode()
    assert "No backups yet." in page


def test_back_up_a_volume_and_watch_both_move(client_in, ctx, emulator, account):
    volume = volume_ready(ctx, size=3, name="db")
    form = client_in.get(f"/backups/create/?volume_id={volume.id}").content.decode()
    assert 'value="volumebackups"' in form
    response = start_backup(client_in, volume.id, name="weekly", description="full copy")
    assert response.status_code == 302
    backup_id = backup_id_of(response)
    page = client_in.get(response["Location"]).content.decode()
    assert "Backup weekly" in page and "full copy" in page
    assert "Backing up volume db" in page
    # The volume's badge is on the page, followed by a poller of kind volumes.
    assert f'id="status-volumes-{volume.id}"' in page
    assert "/live/volumes/?s=" in page and "/live/backups/?s=" in page
    wait_for(lambda: client_in.get(f"/live/backups/?s={backup_id}:creating").status_code == 286)
    wait_for(lambda: client_in.get(f"/live/volumes/?s={volume.id}:backing-up").status_code == 286)
    listing = client_in.get("/backups/").content.decode()
    assert "weekly" in listing and "volumebackups" in listing and "3 GB" in listing
    assert f'href="/volumes/{volume.id}/"' in listing
    backup = api.backup_get(ctx, backup_id)
    assert backup.object_count > 0 and str(backup.object_count) in listing
    detail = client_in.get(f"/backups/{backup_id}/").content.decode()
    assert f"/backups/{backup_id}/restore/" in detail and f"/backups/{backup_id}/delete/" in detail
    assert "Creating" in detail and "Available" in detail  # the timeline
    assert calls(emulator, account["project_id"], "POST", "/backups") == 1


def test_only_an_available_volume_can_be_backed_up(client_in, ctx, emulator, account):
    volume = volume_attached(ctx)
    page = client_in.get(f"/backups/create/?volume_id={volume.id}").content.decode()
    assert "attached to a server" in page
    response = start_backup(client_in, volume.id)
    assert response.status_code == 200
    assert "only an available volume can be backed up" in response.content.decode()
    assert calls(emulator, account["project_id"], "POST", "/backups") == 0


def test_fail_create_shows_the_reason_in_plain_words(client_in, ctx):
    volume = volume_ready(ctx)
    response = start_backup(client_in, volume.id, name="nope fail-create")
    backup_id = backup_id_of(response)
    wait_for(lambda: api.backup_get(ctx, backup_id).status == "error")
    page = wait_for(
        lambda: (
            (html := client_in.get(f"/backups/{backup_id}/").content.decode())
            and "fail-reason" in html
            and html
        )
    )
    assert "This backup failed." in page and "could not write it" in page
    assert "back the volume up again" in page
    assert f"/backups/{backup_id}/restore/" not in page


def test_restore_into_a_new_volume_in_az2(client_in, ctx, emulator, account):
    volume = volume_ready(ctx, size=2, name="src", zone="az1")
    backup = backup_ready(client_in, ctx, volume)
    form = client_in.get(f"/backups/{backup.id}/restore/").content.decode()
    assert "az2" in form and 'href="/volumes/create/"' in form and "Quota" in form
    response = restore(client_in, backup.id, target="new")
    assert response.status_code == 302 and response["Location"] == f"/backups/{backup.id}/"
    page = client_in.get(response["Location"]).content.decode()
    assert "Restoring backup" in page and "into a new volume in az2" in page
    new_volume = next(v for v in api.volume_list(ctx) if v.id != volume.id)
    assert new_volume.availability_zone == "az2" and new_volume.size == 2
    assert f'id="status-volumes-{new_volume.id}"' in page
    wait_for(lambda: api.volume_get(ctx, new_volume.id).status == "available")
    wait_for(lambda: client_in.get(f"/live/volumes/?s={new_volume.id}:restoring-backup").status_code == 286)
    detail = client_in.get(response["Location"]).content.decode()
    assert f"restore_backup_{backup.id}" in detail


def test_restore_into_an_existing_volume_asks_to_type_its_name(client_in, ctx, emulator, account):
    volume = volume_ready(ctx, size=2, name="src")
    backup = backup_ready(client_in, ctx, volume)
    small = volume_ready(ctx, size=1, name="small")
    attached = volume_attached(ctx, name="busy")
    target = volume_ready(ctx, size=5, name="target")
    wait_for(lambda: "target" in client_in.get(f"/backups/{backup.id}/restore/").content.decode())
    form = client_in.get(f"/backups/{backup.id}/restore/").content.decode()
    # Only the fitting, available volumes are offered; the others are listed with the reason.
    assert f'name="volume_id" value="{target.id}"' in form
    assert f'name="volume_id" value="{small.id}"' not in form
    assert f'name="volume_id" value="{attached.id}"' not in form
    assert "less than the backup&#x27;s 2 GB" in form and "is in-use" in form

    for volume_id, message in (
        (small.id, "less than the backup&#x27;s 2 GB"),
        (attached.id, "a backup can only be restored into an available volume"),
        (target.id, "Type the volume&#x27;s name exactly"),
    ):
        refused = restore(client_in, backup.id, target="existing", volume_id=volume_id, confirm="small")
        assert refused.status_code == 200 and message in refused.content.decode()
    assert calls(emulator, account["project_id"], "POST", "/restore") == 0

    done = restore(client_in, backup.id, target="existing", volume_id=target.id, confirm="target")
    assert done.status_code == 302
    page = client_in.get(done["Location"]).content.decode()
    assert "into volume target" in page and f'id="status-volumes-{target.id}"' in page
    assert "Restoring backup" in page
    wait_for(lambda: client_in.get(f"/live/volumes/?s={target.id}:restoring-backup").status_code == 286)
    assert api.volume_get(ctx, target.id).status == "available"
    assert len(api.volume_list(ctx)) == 4  # no new volume


def test_fail_restore_shows_the_backups_error_and_the_target_in_error_restoring(client_in, ctx):
    volume = volume_ready(ctx, name="src")
    backup = backup_ready(client_in, ctx, volume)
    target = volume_ready(ctx, name="t fail-restore")
    wait_for(lambda: "t fail-restore" in client_in.get(f"/backups/{backup.id}/restore/").content.decode())
    done = restore(client_in, backup.id, target="existing", volume_id=target.id, confirm="t fail-restore")
    assert done.status_code == 302
    wait_for(lambda: api.volume_get(ctx, target.id).status == "error_restoring")
    page = wait_for(
        lambda: (
            (html := client_in.get(done["Location"]).content.decode()) and "Error restoring" in html and html
        )
    )
    assert "The backup could not be restored onto this volume." in page
    # The cloud sets the backup to error (spec 4.5.4): the page says so, with the cloud's reason.
    page = wait_for(
        lambda: (
            (html := client_in.get(done["Location"]).content.decode())
            and "The restore of this backup failed" in html
            and html
        )
    )
    assert "The restore failed: the backup could not be written to its target volume." in page
    assert f'href="/backups/{backup.id}/restore/"' not in page  # a backup in error cannot be restored
    assert api.backup_get(ctx, backup.id).status == "error"


def test_restore_into_another_projects_volume_is_refused(client_in, ctx, emulator):
    volume = volume_ready(ctx, name="src")
    backup = backup_ready(client_in, ctx, volume)
    name = "bkother" + ctx.project_id[-6:]
    emulator.new_account(name)
    other = Client()
    assert log_in(other, {"user": name, "password": f"{name}-password", "project": name}).status_code == 302
    other_ctx = context_of(other)
    theirs = volume_ready(other_ctx, size=5, name="theirs")
    refused = restore(client_in, backup.id, target="existing", volume_id=theirs.id, confirm="theirs")
    assert refused.status_code == 200
    assert "There is no such volume in this project" in refused.content.decode()
    assert api.volume_get(other_ctx, theirs.id).status == "available"
    # Their backups are 404 here, and nothing of theirs changes.
    their_backup = api.backup_create(other_ctx, volume_id=theirs.id, name="theirs")
    for url in (f"/backups/{their_backup.id}/", f"/backups/{their_backup.id}/restore/"):
        response = client_in.get(url)
        assert response.status_code == 404 and "theirs" not in response.content.decode()
    assert client_in.post(f"/backups/{their_backup.id}/delete/").status_code == 404
    assert client_in.post(f"/backups/{their_backup.id}/restore/", {"target": "new"}).status_code == 404
    assert client_in.get(f"/backups/create/?volume_id={theirs.id}").status_code == 404
    assert len(api.volume_list(other_ctx)) == 1
    assert client_in.get("/backups/nope/").status_code == 404
    assert client_in.get("/backups/" + "y" * 200 + "/").status_code == 404


def test_delete_confirms_then_follows_the_backup_until_it_is_gone(client_in, ctx):
    volume = volume_ready(ctx)
    backup = backup_ready(client_in, ctx, volume, name="old")
    wait_for(lambda: "Available" in client_in.get(f"/backups/{backup.id}/").content.decode())
    confirm = client_in.get(f"/backups/{backup.id}/delete/").content.decode()
    assert "Delete backup old?" in confirm
    response = client_in.post(f"/backups/{backup.id}/delete/")
    assert response.status_code == 302
    assert "Deleting" in client_in.get(response["Location"]).content.decode()
    live_url = f"/live/backups/?s={backup.id}:deleting"
    wait_for(lambda: "Deleted" in client_in.get(live_url).content.decode())
    gone = client_in.get(f"/backups/{backup.id}/")
    assert gone.status_code == 404 and "This backup was deleted" in gone.content.decode()


def test_double_submits_start_one_backup_and_one_restore(client_in, ctx):
    volume = volume_ready(ctx, name="once")
    page = client_in.get(f"/backups/create/?volume_id={volume.id}")
    data = {"volume_id": volume.id, "container": "", "name": "once", "submission": submission_of(page)}
    first = client_in.post("/backups/create/", data)
    second = client_in.post("/backups/create/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert len(api.backup_list(ctx)) == 1
    backup_id = backup_id_of(first)
    wait_for(lambda: api.backup_get(ctx, backup_id).status == "available")
    wait_for(lambda: "Restore" in client_in.get(f"/backups/{backup_id}/").content.decode())
    form = client_in.get(f"/backups/{backup_id}/restore/")
    restore_data = {"target": "new", "submission": submission_of(form)}
    assert client_in.post(f"/backups/{backup_id}/restore/", restore_data).status_code == 302
    again = client_in.post(f"/backups/{backup_id}/restore/", restore_data)
    assert (
        again.status_code == 302 and "already submitted" in client_in.get(again["Location"]).content.decode()
    )
    assert len(api.volume_list(ctx)) == 2  # the origin and one restored volume


def test_html_everywhere_is_text(client_in, ctx):
    volume = volume_ready(ctx)
    response = start_backup(
        client_in, volume.id, name=XSS, description=XSS, container="c" + XSS[:50].replace("/", "")
    )
    assert response.status_code == 302
    backup_id = backup_id_of(response)
    wait_for(lambda: api.backup_get(ctx, backup_id).status == "available")
    for url in (f"/backups/{backup_id}/", "/backups/", f"/backups/{backup_id}/delete/"):
        page = wait_for(lambda u=url: client_in.get(u).content.decode())
        assert "<script>alert" not in page and "<b onmouseover" not in page
        assert "&lt;script&gt;" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "n" * 256}, "Ensure this value has at most 255 characters"),
        ({"container": "a/b"}, "A container name cannot contain"),
        ({"volume_id": ""}, "Choose the volume to back up."),
        ({"volume_id": "00000000-0000-0000-0000-000000000000"}, "Choose one of this project"),
    ],
)
def test_bad_input_is_refused_before_the_call(client_in, ctx, emulator, account, data, message):
    volume = volume_ready(ctx)
    response = start_backup(client_in, volume.id, **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert calls(emulator, account["project_id"], "POST", "/backups") == 0


def test_filter_by_status_and_volume(client_in, ctx):
    first = volume_ready(ctx, name="first")
    second = volume_ready(ctx, name="second")
    backup_ready(client_in, ctx, first, name="b-first")
    backup_ready(client_in, ctx, second, name="b-second")
    start_backup(client_in, second.id, name="b-broken fail-create")
    wait_for(lambda: any(b.status == "error" for b in api.backup_list(ctx)))
    wait_for(lambda: "b-broken" in client_in.get("/backups/?status=error").content.decode())
    errors = client_in.get("/backups/?status=error").content.decode()
    assert "1 backup of 3" in errors and "b-first" not in errors
    of_second = client_in.get(
        f"/backups/?volume={second.id}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="backup-results"
    ).content.decode()
    assert "<html" not in of_second
    assert "2 backups of 3" in of_second and "b-first" not in of_second
    assert re.search(r"b-second", of_second)


def test_search_by_name_and_sort_by_any_column(client_in, ctx):
    small = volume_ready(ctx, name="small", size=1)
    large = volume_ready(ctx, name="large", size=3)
    for volume, name in ((small, "alpha"), (large, "charlie"), (small, "bravo")):
        backup_ready(client_in, ctx, volume, name=name)
    cache.clear()  # the list reads all three from the API

    def order(query: str) -> list[str]:
        html = client_in.get(f"/backups/?{query}").content.decode()
        return re.findall(r'href="/backups/[\w-]+/">(alpha|bravo|charlie)</a>', html)

    assert order("") == ["bravo", "charlie", "alpha"]  # newest first
    assert order("sort=name") == ["alpha", "bravo", "charlie"]
    assert order("sort=-name") == ["charlie", "bravo", "alpha"]
    assert order("sort=-size")[0] == "charlie"
    assert order("sort=created") == ["alpha", "charlie", "bravo"]
    assert order("sort=bogus") == order("")  # an unknown order is the default one
    page = client_in.get("/backups/?sort=name").content.decode()
    assert 'aria-sort="ascending"' in page and 'href="?sort=-name"' in page  # the header flips it
    assert '<input type="hidden" name="sort" value="name">' in page  # and the form keeps it
    # A header click swaps the results only: the answer brings the form's sort field along (out of
    # band), so the next filter change keeps the order the header chose.
    clicked = client_in.get("/backups/?sort=-size", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="backup-results")
    html = clicked.content.decode()
    assert 'id="backup-sort-field" hx-swap-oob="true"' in html
    assert '<input type="hidden" name="sort" value="-size">' in html
    assert "hx-swap-oob" not in page  # the full page has the field once, in the form
    found = client_in.get("/backups/?q=RAV", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="backup-results")
    html = found.content.decode()
    assert "<html" not in html and "1 backup of 3" in html and "bravo" in html and "alpha" not in html
    assert 'value="RAV"' in client_in.get("/backups/?q=RAV").content.decode()  # kept in the form


def test_fail_delete_says_the_backup_could_not_be_deleted(client_in, ctx):
    volume = volume_ready(ctx)
    backup = backup_ready(client_in, ctx, volume, name="sticky fail-delete")
    wait_for(lambda: "Available" in client_in.get(f"/backups/{backup.id}/").content.decode())
    assert client_in.post(f"/backups/{backup.id}/delete/").status_code == 302
    wait_for(lambda: api.backup_get(ctx, backup.id).status == "error")
    page = wait_for(
        lambda: (
            (html := client_in.get(f"/backups/{backup.id}/").content.decode())
            and "fail-reason" in html
            and html
        )
    )
    assert "This backup could not be deleted." in page
    assert "could not be deleted from object storage" in page
    assert f"/backups/{backup.id}/delete/" in page


def test_the_apis_refusal_of_a_create_is_shown_and_the_form_can_be_sent_again(
    client_in, ctx, emulator, account
):
    volume = volume_ready(ctx)
    form = client_in.get(f"/backups/create/?volume_id={volume.id}")
    data = {"volume_id": volume.id, "container": "", "name": "retry", "submission": submission_of(form)}
    emulator.set_faults(error_rate=1.0, project=account["project_id"])
    try:
        refused = client_in.post("/backups/create/", data)
    finally:
        emulator.set_faults()
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "The cloud had a problem with this request." in html and "Request id" in html
    # The one-time key was released: the same form goes through once the cloud is back.
    accepted = client_in.post("/backups/create/", data)
    assert accepted.status_code == 302
    assert len(api.backup_list(ctx)) == 1


def test_a_new_volume_that_would_exceed_the_quota_is_refused_before_the_call(
    client_in, ctx, emulator, account
):
    volume = volume_ready(ctx, size=2)
    backup = backup_ready(client_in, ctx, volume)
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"gigabytes": 3})
    cache.clear()  # the limits listing is cached for minutes; a fresh one sees the new quota
    refused = restore(client_in, backup.id, target="new")
    assert refused.status_code == 200
    assert "A new volume of 2 GB does not fit: only 1 GB" in refused.content.decode()
    assert calls(emulator, account["project_id"], "POST", "/restore") == 0
    assert len(api.volume_list(ctx)) == 1


def test_a_backup_outlives_its_volume(client_in, ctx):
    volume = volume_ready(ctx, name="short-lived")
    backup = backup_ready(client_in, ctx, volume, name="survivor")
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "available")
    api.volume_delete(ctx, volume.id)
    wait_for(lambda: volume.id not in {v.id for v in api.volume_list(ctx)})
    listing = wait_for(
        lambda: (html := client_in.get("/backups/").content.decode()) and "deleted volume" in html and html
    )
    assert "survivor" in listing and f"/volumes/{volume.id}/" not in listing
    detail = client_in.get(f"/backups/{backup.id}/").content.decode()
    assert "deleted volume" in detail and "the backup does not depend on it" in detail
    assert f"/backups/{backup.id}/restore/" in detail
