"""Servers and attachments against the real emulator: pages, attach, detach, error states, bad input."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from console import api
from console.models import LifecycleEvent
from tests.attachments.conftest import make_volume, server_named, wait_for
from tests.console.login_helpers import context_of, log_in
from tests.emulator_process import FAST, EmulatorProcess

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def emulator():
    """As the session's emulator (fast lifecycles, no rate limit), but a detach takes 5 s (100 s at
    EMULATOR_SPEED 0.05) instead of 0.1 s: the page read right after a detach must find the volume
    still detaching however busy the machine is."""
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0", "EMULATOR_DETACH_SECONDS": "100"}).start()
    yield proc
    proc.stop()


def html_of(response) -> str:
    return response.content.decode()


def api_calls(emulator, account, method: str, suffix: str) -> int:
    """How many calls of `method` on a path ending with `suffix` reached the API for this project."""
    entries = emulator.hook("GET", f"/_emulator/log?project={account['project_id']}&limit=10000")["log"]
    return sum(1 for e in entries if e["method"] == method and e["path"].rstrip("/").endswith(suffix))


def attach_posts(emulator, account) -> int:
    return api_calls(emulator, account, "POST", "/os-volume_attachments")


def main_of(html: str) -> str:
    return html.split('<main id="main"', 1)[1]


def badge_text(html: str, volume_id: str) -> str:
    match = re.search(rf'id="status-volumes-{volume_id}"[^>]*>(.*?)</span>\s*</span>', html, re.S)
    assert match, f"no badge for {volume_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def test_servers_page_lists_servers_with_zone_and_slots(console, ctx, emulator, account):
    web = server_named(ctx, "web-01")
    volume = make_volume(ctx, name="data")
    api.attachment_create(ctx, web.id, volume_id=volume.id)
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "in-use")
    emulator.reset_stats()

    html = html_of(console.get("/servers/"))
    for name in ("web-01", "web-02", "app-01", "app-02", "db-01"):
        assert name in html
    assert re.search(rf'data-testid="slots-{web.id}">.*?1 of 26', html, re.S)
    assert html.count("0 of 26") == 4
    assert f'href="/servers/{web.id}/"' in html
    # The list costs the servers and volumes listings only: never a call per server.
    paths = emulator.stats(account["project_id"])["projects"][account["project_id"]]["by_path"]
    assert not any("os-volume_attachments" in path for path in paths)


def test_server_page_shows_attachment_with_device_and_guest_path(console, ctx):
    web = server_named(ctx, "web-01")
    volume = make_volume(ctx, name="logs")
    attachment = api.attachment_create(ctx, web.id, volume_id=volume.id)
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "in-use")

    html = html_of(console.get(f"/servers/{web.id}/"))
    assert f'href="/volumes/{volume.id}/"' in html and ">logs</a>" in html
    assert attachment.device in html
    assert f"/dev/disk/by-id/virtio-{volume.id[:20]}" in html
    assert badge_text(html, volume.id) == "In use"
    assert '1</span><span class="metric-label">of 26 volumes attached' in html
    assert f'href="/servers/{web.id}/detach/{volume.id}/"' in html
    assert "status-poller-volumes" not in html  # nothing is moving: no poller


def test_attach_from_the_server_page_offers_only_available_volumes_of_its_zone(console, ctx):
    web = server_named(ctx, "web-01")
    here = make_volume(ctx, name="here-az1")
    make_volume(ctx, name="there-az2", zone="az2")
    busy = make_volume(ctx, name="busy-az1")
    api.attachment_create(ctx, server_named(ctx, "web-02").id, volume_id=busy.id)

    page = html_of(console.get(f"/servers/{web.id}/attach/"))
    options = re.findall(r'<option value="([^"]+)"', main_of(page))
    assert options == [here.id]
    assert "advisory" in page.lower() and "/dev/vdc" in page

    response = console.post(f"/servers/{web.id}/attach/", {"volume_id": here.id, "device": ""})
    assert response.status_code == 302 and response["Location"] == f"/servers/{web.id}/"
    detail = console.get(response["Location"])
    html = html_of(detail)
    assert f"virtio-{here.id[:20]}" in html  # the success message names the guest path
    assert badge_text(html, here.id) == "Attaching"
    assert 'id="status-poller-volumes"' in html and f"s={here.id}%3Aattaching" in html

    def in_use():
        page = html_of(console.get(f"/servers/{web.id}/"))
        return badge_text(page, here.id) == "In use" and page

    html = wait_for(in_use)
    assert "status-poller-volumes" not in html
    steps = list(
        LifecycleEvent.objects.filter(resource_id=here.id).values_list("to_status", "source", "request_id")
    )
    assert steps[0][0] == "attaching" and steps[0][1] == "action" and steps[0][2].startswith("req-")
    assert ("in-use", "refresh") in [(to, source) for to, source, _ in steps]


def test_attach_for_a_volume_offers_only_servers_of_its_zone(console, ctx):
    volume = make_volume(ctx, name="for-app", zone="az2")
    app1, app2 = server_named(ctx, "app-01"), server_named(ctx, "app-02")

    page = html_of(console.get(f"/servers/attach/?volume_id={volume.id}"))
    options = re.findall(r'<option value="([^"]+)"', main_of(page))
    assert sorted(options) == sorted([app1.id, app2.id])
    assert f"/dev/disk/by-id/virtio-{volume.id[:20]}" in page

    response = console.post("/servers/attach/", {"volume_id": volume.id, "server_id": app2.id})
    assert response.status_code == 302 and response["Location"] == f"/servers/{app2.id}/"
    wait_for(lambda: badge_text(html_of(console.get(f"/servers/{app2.id}/")), volume.id) == "In use")

    # Attached now: the page for the volume says where, and offers nothing.
    page = html_of(console.get(f"/servers/attach/?volume_id={volume.id}"))
    assert "already attached to" in page and f'href="/servers/{app2.id}/"' in page
    assert "<option" not in main_of(page)


def test_detach_confirms_then_badge_follows_detaching_to_available(console, ctx):
    web = server_named(ctx, "web-01")
    volume = make_volume(ctx, name="to-detach")
    api.attachment_create(ctx, web.id, volume_id=volume.id)
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "in-use")
    url = f"/servers/{web.id}/detach/{volume.id}/"

    confirm = html_of(console.get(url))
    assert "Detach to-detach from web-01?" in confirm and 'method="post"' in confirm
    assert api.volume_get(ctx, volume.id).status == "in-use"  # GET changes nothing

    response = console.post(url)
    assert response.status_code == 302 and response["Location"] == f"/servers/{web.id}/"
    html = html_of(console.get(response["Location"]))
    assert badge_text(html, volume.id) == "Detaching"
    assert "Detaching to-detach from web-01." in html

    # Once detached the volume leaves the server's page, and is available again.
    wait_for(lambda: 'data-testid="no-attachments"' in html_of(console.get(f"/servers/{web.id}/")))
    assert api.volume_get(ctx, volume.id).status == "available"


def test_failed_attach_shows_error_attaching_with_what_to_do(console, ctx):
    web = server_named(ctx, "web-01")
    volume = make_volume(ctx, name="disk fail-attach")
    response = console.post(f"/servers/{web.id}/attach/", {"volume_id": volume.id})
    assert response.status_code == 302

    html = wait_for(
        lambda: (
            (page := html_of(console.get(f"/servers/{web.id}/")))
            and badge_text(page, volume.id) == "Error attaching"
            and page
        )
    )
    assert "The volume could not be attached." in html
    assert f"/servers/{web.id}/detach/{volume.id}/" not in html  # nothing to detach
    blocked = html_of(console.get(f"/servers/attach/?volume_id={volume.id}"))
    assert "error attaching" in blocked and "<form" not in blocked.split('class="att-layout"')[1]


def test_failed_detach_shows_error_detaching_with_what_to_do(console, ctx):
    web = server_named(ctx, "web-01")
    volume = make_volume(ctx, name="disk fail-detach")
    console.post(f"/servers/{web.id}/attach/", {"volume_id": volume.id})
    wait_for(lambda: badge_text(html_of(console.get(f"/servers/{web.id}/")), volume.id) == "In use")
    assert console.post(f"/servers/{web.id}/detach/{volume.id}/").status_code == 302

    html = wait_for(
        lambda: (
            (page := html_of(console.get(f"/servers/{web.id}/")))
            and badge_text(page, volume.id) == "Error detaching"
            and page
        )
    )
    assert "The volume could not be detached." in html
    # Detaching again is allowed from error_detaching.
    assert f'href="/servers/{web.id}/detach/{volume.id}/"' in html


def test_bad_input_is_refused_before_any_call(console, ctx, emulator, account):
    web = server_named(ctx, "web-01")
    far = make_volume(ctx, name="far", zone="az3")
    near = make_volume(ctx, name="near")
    console.get(f"/servers/{web.id}/")  # the console's listings now know both volumes
    before = attach_posts(emulator, account)

    cases = [
        ({"volume_id": far.id}, "same availability zone"),
        ({"volume_id": near.id, "device": "<script>alert(1)</script>"}, "Enter a device like /dev/vdc"),
        ({"volume_id": near.id, "device": "/dev/../x"}, "Enter a device like /dev/vdc"),
        ({"volume_id": near.id, "device": "/dev/vd" + "a" * 300}, "Enter a device like /dev/vdc"),
        ({"volume_id": "nope"}, "There is no such volume in this project and region."),
        ({"volume_id": ""}, "This field is required."),
    ]
    for data, message in cases:
        response = console.post(f"/servers/{web.id}/attach/", data)
        html = html_of(response)
        assert response.status_code == 200, data
        assert message in html, data
        assert "<script>alert(1)" not in html
    assert attach_posts(emulator, account) == before
    assert api.volume_get(ctx, near.id).status == "available"

    # A valid device is passed on; the guest still picks its own name.
    response = console.post(f"/servers/{web.id}/attach/", {"volume_id": near.id, "device": "/dev/sdq"})
    assert response.status_code == 302
    assert attach_posts(emulator, account) == before + 1


def test_attaching_twice_is_refused_by_the_console_and_the_api_answer_is_shown(
    console, ctx, emulator, account, settings
):
    web, web2 = server_named(ctx, "web-01"), server_named(ctx, "web-02")
    volume = make_volume(ctx, name="once")
    assert console.post(f"/servers/{web.id}/attach/", {"volume_id": volume.id}).status_code == 302
    # The console knows: refused before a call.
    before = attach_posts(emulator, account)
    html = html_of(console.post(f"/servers/{web2.id}/attach/", {"volume_id": volume.id}))
    assert "already attached to web-01" in html
    assert attach_posts(emulator, account) == before

    # Attached behind the console's back (its listing is still fresh): the API's answer is shown.
    settings.INVENTORY_IDLE_INTERVAL = 300
    other = make_volume(ctx, name="sneaky")
    wait_for(lambda: other.id in html_of(console.get(f"/servers/{web2.id}/attach/")))
    api.attachment_create(ctx, web.id, volume_id=other.id)
    response = console.post(f"/servers/{web2.id}/attach/", {"volume_id": other.id})
    html = html_of(response)
    assert response.status_code == 200
    assert 'role="alert"' in html and "must be available to be attached" in html
    assert re.search(r'<code class="request-id">req-[0-9a-f-]+</code>', html)


def test_a_full_server_takes_no_more_volumes(console, ctx, emulator, account):
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": 40})
    web = server_named(ctx, "web-01")
    volumes = [
        api.volume_create(ctx, size=1, availability_zone="az1", display_name=f"v{n}") for n in range(27)
    ]
    wait_for(lambda: all(v.status == "available" for v in api.volume_list(ctx)))
    for volume in volumes[:26]:
        api.attachment_create(ctx, web.id, volume_id=volume.id)
    wait_for(lambda: sum(v.status == "in-use" for v in api.volume_list(ctx)) == 26)
    last = volumes[26]

    html = html_of(console.get(f"/servers/{web.id}/"))
    assert 'data-testid="attached-count">26<' in html and "This server is full" in html
    assert "/dev/vdaa" in html  # after /dev/vdz the guest goes on with /dev/vdaa
    assert re.search(rf'data-testid="slots-{web.id}">.*?26 of 26', html_of(console.get("/servers/")), re.S)

    page = html_of(console.get(f"/servers/{web.id}/attach/"))
    assert "already has 26 of 26 volumes attached" in page and "<select" not in main_of(page)
    before = attach_posts(emulator, account)
    html = html_of(console.post(f"/servers/{web.id}/attach/", {"volume_id": last.id}))
    assert "already has 26 of 26 volumes attached, the most a server can take" in html
    # For the volume, the full server is not offered, and the page says why.
    page = html_of(console.get(f"/servers/attach/?volume_id={last.id}"))
    assert f'<option value="{web.id}"' not in page and "web-01" in page and "26 volumes" in page
    html = html_of(console.post("/servers/attach/", {"volume_id": last.id, "server_id": web.id}))
    assert "already has 26 volumes attached" in html
    assert attach_posts(emulator, account) == before
    assert api.volume_get(ctx, last.id).status == "available"


def test_unknown_and_foreign_ids_are_404_and_change_nothing(console, ctx, emulator):
    web = server_named(ctx, "web-01")
    mine = make_volume(ctx, name="mine")
    other = emulator.new_account(f"other{mine.id[:8]}")
    other_client = Client()
    other_account = {"user": f"other{mine.id[:8]}", "password": f"other{mine.id[:8]}-password"}
    other_account["project"] = other_account["user"]
    assert log_in(other_client, other_account).status_code == 302
    other_ctx = context_of(other_client)
    assert other_ctx.project_id == other["project_id"]
    theirs = make_volume(other_ctx, name="theirs")
    their_server = server_named(other_ctx, "web-01")
    api.attachment_create(other_ctx, their_server.id, volume_id=theirs.id)
    wait_for(lambda: api.volume_get(other_ctx, theirs.id).status == "in-use")

    for url in (
        "/servers/00000000-0000-0000-0000-000000000000/",
        f"/servers/{their_server.id}/",
        f"/servers/{their_server.id}/attach/",
        f"/servers/attach/?volume_id={theirs.id}",
        "/servers/attach/",
        "/servers/attach/?volume_id=%3Cscript%3E",
        f"/servers/{their_server.id}/detach/{theirs.id}/",
        f"/servers/{web.id}/detach/{theirs.id}/",
        f"/servers/{web.id}/detach/nope/",
    ):
        response = console.get(url)
        assert response.status_code == 404, url
        assert "theirs" not in html_of(response) and their_server.id not in main_of(html_of(response))
    assert console.post(f"/servers/{their_server.id}/detach/{theirs.id}/").status_code == 404
    assert console.post(f"/servers/{web.id}/attach/", {"volume_id": theirs.id}).status_code == 200
    assert console.post("/servers/attach/", {"volume_id": theirs.id, "server_id": web.id}).status_code == 404
    assert api.volume_get(other_ctx, theirs.id).status == "in-use"
    assert api.volume_get(ctx, mine.id).status == "available"


def test_html_in_names_is_escaped(console, ctx):
    web = server_named(ctx, "web-01")
    volume = make_volume(ctx, name='<script>alert("x")</script><b>bold</b>')
    console.post(f"/servers/{web.id}/attach/", {"volume_id": volume.id})
    for url in (
        f"/servers/{web.id}/",
        f"/servers/attach/?volume_id={volume.id}",
        f"/servers/{web.id}/detach/{volume.id}/",
    ):
        html = html_of(console.get(url))
        assert "<script>alert" not in html and "<b>bold" not in html, url
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html, url


def test_detach_is_blocked_with_an_explanation_while_attaching(console, ctx, emulator, account):
    web = server_named(ctx, "web-01")
    volume = make_volume(ctx, name="unattached")
    url = f"/servers/{web.id}/detach/{volume.id}/"
    html = html_of(console.get(url))
    assert "This volume is not attached to this server." in html and "<form" not in main_of(html)
    response = console.post(url)
    assert response.status_code == 409
    assert api_calls(emulator, account, "DELETE", f"/os-volume_attachments/{volume.id}") == 0


def test_mutations_need_post_and_csrf(settings, emulator, account, console, ctx):
    web = server_named(ctx, "web-01")
    volume = make_volume(ctx, name="csrf")
    strict = Client(enforce_csrf_checks=True)
    assert log_in(strict, account).status_code in (302, 403)
    strict.cookies = console.cookies
    response = strict.post(f"/servers/{web.id}/attach/", {"volume_id": volume.id})
    assert response.status_code == 403
    assert console.put(f"/servers/{web.id}/attach/").status_code == 405
    assert api.volume_get(ctx, volume.id).status == "available"


def test_panel_fragment_for_htmx(console, ctx):
    web = server_named(ctx, "web-01")
    response = console.get(
        f"/servers/{web.id}/", headers={"HX-Request": "true", "HX-Target": "attachments-panel"}
    )
    html = html_of(response)
    assert html.lstrip().startswith('<section id="attachments-panel"')
    assert "<html" not in html and 'hx-trigger="status-changed from:body"' in html


def test_an_ended_login_sends_the_user_to_log_in_again(console, account, emulator):
    assert console.get("/servers/").status_code == 200
    emulator.expire_tokens(account["user"])
    wait_for(lambda: console.get("/servers/").status_code == 302)
    response = console.get("/servers/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_detach_while_attaching_is_explained_and_refused(client, settings, slow_attach_emulator):
    emulator = slow_attach_emulator
    settings.IDENTITY_URL = emulator.identity_url
    cache.clear()
    account = {"user": "attaching", "password": "attaching-password", "project": "attaching"}
    account.update(emulator.new_account("attaching"))
    assert log_in(client, account).status_code == 302
    ctx = context_of(client)
    web = server_named(ctx, "web-01")
    volume = make_volume(ctx, name="slow")
    assert client.post(f"/servers/{web.id}/attach/", {"volume_id": volume.id}).status_code == 302

    html = html_of(client.get(f"/servers/{web.id}/"))
    assert badge_text(html, volume.id) == "Attaching" and 'data-testid="attached-count">1<' in html
    url = f"/servers/{web.id}/detach/{volume.id}/"
    assert "still attaching. Wait until it is in use" in html_of(client.get(url))
    assert client.post(url).status_code == 409
    assert api_calls(emulator, account, "DELETE", f"/os-volume_attachments/{volume.id}") == 0
    assert api.volume_get(ctx, volume.id).status == "attaching"
