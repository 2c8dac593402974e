"""Creating volumes: sources, sizes, zones, metadata rows, quota, the spec's rules before any call,
the API's own answer when it disagrees, and exactly one volume per form."""

from __future__ import annotations

import dataclasses
import re
import threading

import pytest
from django.core.cache import cache
from django.test import Client

from console import api
from console.inventory import listing_get
from console.models import LifecycleEvent
from tests.console.login_helpers import context_of, log_in
from tests.volumes.conftest import calls, create_form, wait_for

pytestmark = pytest.mark.django_db

CREATE_KEY = "console-create-key"


def volume_ids(emulator, account) -> list[str]:
    """The project's volumes as the API has them (a direct look, bypassing the console)."""
    client = Client()
    client.post(
        "/login/",
        {"username": account["user"], "password": account["password"], "project": account["project"]},
    )
    return [volume.id for volume in api.volume_list(context_of(client))]


def test_create_blank_volume_with_metadata(client_in, emulator, account):
    data = create_form(
        client_in,
        name="data-1",
        description="first disk",
        size="5",
        availability_zone="az3",
        meta_key_0="team",
        meta_value_0="storage",
    )
    response = client_in.post("/volumes/create/", data)
    assert response.status_code == 302
    volume_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    volume = api.volume_get(context_of(client_in), volume_id)
    assert (volume.display_name, volume.display_description, volume.size) == ("data-1", "first disk", 5)
    assert volume.availability_zone == "az3"
    assert volume.metadata == {"team": "storage", CREATE_KEY: data["create_key"]}
    page = client_in.get(response["Location"])
    html = page.content.decode()
    assert "Volume “data-1” is being created (request req-" in html
    # The list shows it at once, and the timeline has the action with its request id.
    assert listing_get(context_of(client_in), "volumes", refresh=False).by_id[volume_id]
    event = LifecycleEvent.objects.get(resource_id=volume_id, to_status="creating")
    assert event.source == "action" and event.request_id.startswith("req-")
    assert event.request_id in html


@pytest.mark.parametrize("field", ["snapshot_id", "source_volid"])
def test_a_volume_from_a_snapshot_or_a_clone_is_made_in_its_sources_zone(client_in, emulator, account, field):
    """The cloud refuses such a volume in another zone: the form preselects the source's zone and says
    so before any call when another one is chosen."""
    ctx = context_of(client_in)
    origin = api.volume_create(ctx, size=2, display_name="in-az1", availability_zone="az1")
    wait_for(lambda: api.volume_get(ctx, origin.id).status == "available")
    source = origin.id
    if field == "snapshot_id":
        source = api.snapshot_create(ctx, volume_id=origin.id, display_name="snap").id
        wait_for(lambda: api.snapshot_get(ctx, source).status == "available")
    cache.clear()
    page = client_in.get(f"/volumes/create/?{field}={source}").content.decode()
    assert '<option value="az1" selected>az1</option>' in page
    before = calls(emulator, account["project_id"], "POST")
    refused = client_in.post("/volumes/create/", create_form(client_in, size="2", **{field: source}))
    assert refused.status_code == 400
    assert "is in az1, so choose az1." in refused.content.decode()
    assert calls(emulator, account["project_id"], "POST") == before
    made = client_in.post(
        "/volumes/create/", create_form(client_in, size="2", availability_zone="az1", **{field: source})
    )
    assert made.status_code == 302, made.content.decode()
    volume = api.volume_get(ctx, made["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert volume.availability_zone == "az1"


def test_form_defaults_zone_az2_and_size_1(client_in):
    html = client_in.get("/volumes/create/").content.decode()
    assert '<option value="az2" selected>az2</option>' in html
    assert 'name="size" value="1"' in html
    assert re.search(r'name="create_key" value="[0-9a-f]{32}"', html)
    assert 'id="quota-panel"' in html


def test_sources_preselected_and_created(client_in, emulator, account):
    ctx = context_of(client_in)
    origin = api.volume_create(ctx, size=4, display_name="origin")
    wait_for(lambda: api.volume_get(ctx, origin.id).status == "available")
    snapshot = api.snapshot_create(ctx, volume_id=origin.id, display_name="snap")
    wait_for(lambda: api.snapshot_get(ctx, snapshot.id).status == "available")
    image = next(i for i in api.image_list(ctx) if i.name.startswith("ubuntu"))  # minDisk 5
    cache.clear()

    page = client_in.get(f"/volumes/create/?snapshot_id={snapshot.id}").content.decode()
    assert f'<option value="{snapshot.id}" selected>' in page and 'name="size" value="4"' in page
    page = client_in.get(f"/volumes/create/?source_volid={origin.id}").content.decode()
    assert f'<option value="{origin.id}" selected>' in page
    page = client_in.get(f"/volumes/create/?image_id={image.id}").content.decode()
    assert f'<option value="{image.id}" selected>' in page and 'name="size" value="5"' in page

    made = {}
    for field, value, name in (
        ("snapshot_id", snapshot.id, "from-snap"),
        ("source_volid", origin.id, "clone"),
        ("image_id", image.id, "bootable"),
    ):
        response = client_in.post(
            "/volumes/create/", create_form(client_in, name=name, size="", **{field: value})
        )
        assert response.status_code == 302, response.content.decode()
        made[name] = api.volume_get(ctx, response["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert made["from-snap"].snapshot_id == snapshot.id and made["from-snap"].size == 4
    assert made["clone"].source_volid == origin.id and made["clone"].size == 4
    assert made["bootable"].bootable and made["bootable"].size == 5


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ("0", "0 GB is not possible"),
        ("2048", "2048 GB is not possible"),
        ("-1", "-1 GB is not possible"),
        ("1.5", "“1.5” is not a whole number of GB"),
        ("abc", "“abc” is not a whole number of GB"),
        ("", "Enter the size in GB"),
    ],
)
def test_bad_sizes_are_refused_before_any_call(client_in, emulator, account, size, message):
    client_in.get("/volumes/")
    emulator.reset_stats()
    response = client_in.post("/volumes/create/", create_form(client_in, size=size, name="bad"))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert calls(emulator, account["project_id"], "POST") == 0


def test_bad_text_sources_and_metadata_are_refused(client_in, emulator, account):
    ctx = context_of(client_in)
    busy = api.volume_create(ctx, size=1, display_name="busy-fail-create")  # ends in error
    wait_for(lambda: api.volume_get(ctx, busy.id).status == "error")
    image = api.image_list(ctx)[0]
    cache.clear()
    client_in.get("/volumes/")
    emulator.reset_stats()

    cases = [
        ({"name": "x" * 256}, "at most 255 characters (it has 256)"),
        ({"description": "d" * 300}, "at most 255 characters (it has 300)"),
        (
            {"source_volid": busy.id, "image_id": image.id},
            "Choose one source only: you chose a volume and a image",
        ),
        ({"source_volid": busy.id}, "Only an available volume can be cloned; this one is error"),
        ({"snapshot_id": "no-such-snapshot"}, "There is no such snapshot in this project and region."),
        ({"image_id": image.id, "size": "1"}, "At least"),
        ({"meta_key_0": "", "meta_value_0": "orphan"}, "Give this value a key"),
        ({"meta_key_0": "k" * 256, "meta_value_0": "v"}, "at most 255 characters (it has 256)"),
        ({"meta_key_0": "a", "meta_value_0": "v" * 256}, "at most 255 characters (it has 256)"),
        ({"meta_key_0": CREATE_KEY, "meta_value_0": "mine"}, "This key is reserved"),
        (
            {"meta_key_0": "dup", "meta_value_0": "1", "meta_key_1": "dup", "meta_value_1": "2"},
            "is used twice",
        ),
        ({"availability_zone": "az9"}, "Select a valid choice"),
        ({"create_key": "not-a-key"}, "This form is damaged; reload the page."),
    ]
    for values, message in cases:
        response = client_in.post("/volumes/create/", create_form(client_in, **values))
        html = response.content.decode()
        assert response.status_code == 400, values
        assert message in html.replace("&#x27;", "'"), (values, message)
    assert calls(emulator, account["project_id"], "POST") == 0
    assert listing_get(ctx, "volumes").by_id.keys() == {busy.id}


def test_quota_is_checked_with_the_numbers(client_in, emulator, account):
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": 1, "gigabytes": 10})
    cache.clear()
    response = client_in.post("/volumes/create/", create_form(client_in, size="11"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "0 of 10 GB are used, 10 GB are left and this volume needs 11 GB" in html
    assert client_in.post("/volumes/create/", create_form(client_in, size="10")).status_code == 302
    response = client_in.post("/volumes/create/", create_form(client_in, size="1"))
    assert response.status_code == 400
    assert (
        "the project has 1 of 1 volumes and snapshots, so this volume would be number 2"
        in response.content.decode()
    )


def test_quota_counts_the_project_in_every_region(client_in, emulator, account):
    """Quotas are the project's, in every region (spec 4.5.2): what the console has seen of the other
    region counts, and a region it has not seen yet is named as left out, at no extra call."""
    ctx = context_of(client_in)
    region_b = dataclasses.replace(
        ctx,
        region="region-b.geo-1",
        volume_url=ctx.volume_url.replace("region-a.geo-1", "region-b.geo-1"),
        compute_url=ctx.compute_url.replace("region-a.geo-1", "region-b.geo-1"),
    )
    for _ in range(3):
        api.volume_create(region_b, size=4)
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": 4})
    cache.clear()

    def region_b_calls() -> int:
        log = emulator.hook("GET", f"/_emulator/log?project={account['project_id']}&limit=1000")["log"]
        return sum("/region-b.geo-1/" in entry["path"] for entry in log)

    before = region_b_calls()
    page = client_in.get("/volumes/create/").content.decode()
    assert "Usage in region-b.geo-1 is left out until you open that region" in page
    assert "Now 0 of 4" in page
    assert region_b_calls() == before  # the gauges never call for another region
    # The user opens region-b (its listings are read), then comes back to region-a.
    client_in.post("/region/", {"region": "region-b.geo-1"})
    assert "Now 3 of 4" in client_in.get("/volumes/create/").content.decode()
    client_in.post("/region/", {"region": "region-a.geo-1"})
    page = client_in.get("/volumes/create/").content.decode()
    assert "left out until you open that region" not in page
    assert "Now 3 of 4" in page and "Now 12 of 3000 GB" in page
    assert client_in.post("/volumes/create/", create_form(client_in, size="1")).status_code == 302
    refused = client_in.post("/volumes/create/", create_form(client_in, size="1"))
    assert refused.status_code == 400
    assert "the project has 4 of 4 volumes and snapshots" in refused.content.decode()


def test_the_apis_own_answer_is_shown_when_it_disagrees(client_in, emulator, account):
    data = create_form(client_in, name="over", size="2")  # the console has read the quota: 10 volumes
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": 0})
    response = client_in.post("/volumes/create/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "This would go over your project&#x27;s quota." in html
    assert "VolumeLimitExceeded" in html
    assert re.search(r'<code class="request-id">req-[0-9a-f-]+</code>', html)
    # The values come back, with a fresh key (that one was used).
    assert 'name="name" value="over"' in html and data["create_key"] not in html
    assert listing_get(context_of(client_in), "volumes").items == ()


def test_double_submit_makes_one_volume(client_in, emulator, account):
    data = create_form(client_in, name="once", size="1")
    emulator.reset_stats()
    first = client_in.post("/volumes/create/", data)
    second = client_in.post("/volumes/create/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert calls(emulator, account["project_id"], "POST") == 1
    page = client_in.get(second["Location"]).content.decode()
    assert "That form was already submitted: this is the volume it created." in page
    assert len(volume_ids(emulator, account)) == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submits_make_one_volume(settings, emulator, account):
    settings.IDENTITY_URL = emulator.identity_url
    settings.API_RATE_PER_PROJECT = 0
    # The shared cache in memory: the in-memory test database locks whole tables under threads.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "race"}
    }
    cache.clear()
    clients = [Client(), Client()]
    for client in clients:
        assert log_in(client, account).status_code == 302
    data = create_form(clients[0], name="race", size="1")
    answers: list = []

    def submit(client: Client) -> None:
        try:
            answers.append(client.post("/volumes/create/", data))
        except Exception as error:  # noqa: BLE001 - shown by the assertion below
            answers.append(error)

    threads = [threading.Thread(target=submit, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(not isinstance(answer, Exception) for answer in answers), answers
    assert sorted(answer.status_code for answer in answers) == [302, 302], [
        re.findall(r"(?:field-error|error-message|role=\"alert\"><p)[^>]*>([^<]+)", a.content.decode())
        for a in answers
    ]
    assert answers[0]["Location"] == answers[1]["Location"]
    assert len(volume_ids(emulator, account)) == 1


def test_quota_panel_follows_size_and_source(client_in, emulator, account):
    ctx = context_of(client_in)
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": 20})
    origin = api.volume_create(ctx, size=2, display_name="origin")
    wait_for(lambda: api.volume_get(ctx, origin.id).status == "available")
    for index in range(8):
        api.snapshot_create(ctx, volume_id=origin.id, display_name=f"s{index}")
    cache.clear()
    panel = client_in.get(
        "/volumes/create/?size=100", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="create-checks"
    ).content.decode()
    # The content of #create-checks only: the element itself stays on the page (its triggers with it).
    assert 'id="create-checks"' not in panel and 'data-testid="quota-gigabytes"' in panel
    assert "after: <strong>118 of 3000 GB</strong>" in panel  # 2 GB volume + 8 x 2 GB snapshots + 100
    assert "after: <strong>10 of 20</strong>" in panel
    assert "derived-warning" not in panel
    panel = client_in.get(
        f"/volumes/create/?size=&source_volid={origin.id}",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="create-checks",
    ).content.decode()
    assert "after: <strong>20 of 3000 GB</strong>" in panel  # an empty size counts as the source's
    assert "already has 8 volumes and snapshots made from it" in panel
    assert "the 11th and later are created in the “error” state" in panel
    assert "This one would be number 9." in panel


def test_metadata_rows_are_added_and_removed_without_a_call(client_in, emulator, account):
    client_in.get("/volumes/create/")
    emulator.reset_stats()
    data = create_form(
        client_in, name="rows", meta_key_0="a", meta_value_0="1", meta_key_1="b", meta_value_1="2"
    )
    page = client_in.post("/volumes/create/", {**data, "add_row": "1"}).content.decode()
    assert 'name="meta_rows" value="3"' in page and 'name="meta_key_2"' in page
    assert 'name="name" value="rows"' in page
    page = client_in.post("/volumes/create/", {**data, "remove_row": "0"}).content.decode()
    assert 'name="meta_rows" value="1"' in page and 'name="meta_key_0" value="b"' in page
    fragment = client_in.post(
        "/volumes/create/", {**data, "add_row": "1"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="metadata-rows"
    ).content.decode()
    assert fragment.lstrip().startswith("{#") is False and 'id="metadata-rows"' in fragment
    assert "<html" not in fragment and 'name="meta_key_2"' in fragment
    assert calls(emulator, account["project_id"], "POST") == 0


def test_html_in_name_description_and_metadata_is_escaped(client_in, emulator, account):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = client_in.post(
        "/volumes/create/",
        create_form(client_in, name=evil, description=evil, meta_key_0="<b>key</b>", meta_value_0=evil),
    )
    assert response.status_code == 302
    for url in (response["Location"], "/volumes/"):
        html = client_in.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>key</b>" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_a_fresh_form_projects_its_default_size(client_in):
    html = client_in.get("/volumes/create/").content.decode()
    assert "after: <strong>1 of 3000 GB</strong>" in html
    assert "after: <strong>1 of 10</strong>" in html
