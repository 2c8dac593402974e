"""Hostile text in every field the API stores, beyond a volume's own pages (test_escaping.py):
snapshot and backup names, descriptions and containers, volume names shown on other sections'
pages, metadata keys and values, server names (seeded through the emulator's accounts hook) and
attachment devices, on every page, htmx fragment, live poll and JSON export that shows them.

Each page answers 200 (or 286 for a poll), shows the text escaped (so the check means something),
and holds no live markup (tests/security/payloads.py). The payloads are split in two texts, A and
B; every test runs twice, once with each as the names, so every field meets every payload.
"""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from console import api
from support.models import ApiCall
from tests.console.login_helpers import context_of, log_in
from tests.security.hostile_world import World, pages_of, world_build
from tests.security.payloads import HOSTILE_A, HOSTILE_B, escaped, live_markup_in
from tests.support.conftest import support_group

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["A-in-names", "B-in-names"])
def world(request, emulator) -> World:
    name, other = (HOSTILE_A, HOSTILE_B) if request.param == "A-in-names" else (HOSTILE_B, HOSTILE_A)
    return world_build(emulator, name, other)


ERRORS = re.compile(r'class="[^"]*(?:error|alert)[^"]*"[^>]*>\s*([^<]*)')
INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.I | re.S)


def escaping_problems(url: str, html: str, texts: set[str]) -> list[str]:
    problems = [f"{url} renders {fragment!r}" for fragment in live_markup_in(html)]
    problems += [f"{url} does not show {text[:40]!r}… escaped" for text in texts if escaped(text) not in html]
    # No script element has content (the CSP allows none), so U+2028 and "</script>" can never end
    # up inside one: in the HTML they are text.
    problems += [f"{url} has an inline script" for body in INLINE_SCRIPT.findall(html) if body.strip()]
    return problems


def header_problems(url: str, response) -> list[str]:
    """Response headers (HX-Trigger and the like) never carry API text."""
    return [f"{url}: header {key} carries API text" for key, value in response.items() if "__pwned" in value]


def assert_escaped(url: str, html: str, texts: set[str]) -> None:
    problems = escaping_problems(url, html, texts)
    assert not problems, "\n".join(problems)


def test_every_page_shows_hostile_api_text_escaped(world):
    problems = []
    for url, texts in pages_of(world).items():
        response = world.client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        problems += escaping_problems(url, response.content.decode(), texts)
        problems += header_problems(url, response)
    assert not problems, "\n".join(problems)


def test_metadata_keys_and_values_are_text(world):
    html = world.client.get(f"/volumes/{world.volume.id}/").content.decode()
    for key, value in world.volume.metadata.items():
        assert escaped(key) in html and escaped(value) in html
    # In the edit form they are input values: quotes escaped, so no attribute ends early.
    edit = world.client.get(f"/volumes/{world.volume.id}/edit/").content.decode()
    assert f'value="{escaped(world.name)}"' in edit
    assert f'value="{escaped(world.other)}"' in edit


def test_htmx_fragments_show_hostile_api_text_escaped(world):
    w = world
    fragments = {
        ("/volumes/", "volume-list"): {w.name, w.other},
        (f"/volumes/{w.attached.id}/", "volume-live"): {w.name, w.other},
        ("/snapshots/", "snapshot-results"): {w.name, w.other},
        (f"/snapshots/{w.snapshot.id}/", "snapshot-panel"): {w.name},
        (f"/snapshots/create/?volume_id={w.volume.id}", "snapshot-volume-info"): {w.other},
        ("/backups/", "backup-results"): {w.name},
        (f"/backups/{w.backup.id}/", "backup-panel"): {w.name, w.other},
        (f"/backups/create/?volume_id={w.volume.id}", "backup-volume-info"): {w.other},
        (f"/servers/{w.server.id}/", "attachments-panel"): {w.name},
        ("/", "overview-charts"): set(),
    }
    for (url, target), texts in fragments.items():
        response = w.client.get(url, headers={"HX-Request": "true", "HX-Target": target})
        html = response.content.decode()
        assert response.status_code == 200, f"{url} #{target}: {response.status_code}"
        assert "<html" not in html, f"{url} #{target} is not a fragment"
        assert_escaped(f"{url} #{target}", html, texts)
        assert header_problems(url, response) == []


def test_live_polls_carry_ids_not_api_text(world):
    w = world
    polls = {
        "volumes": f"{w.attached.id}:attaching",
        "snapshots": f"{w.snapshot.id}:creating",
        "backups": f"{w.backup.id}:creating",
    }
    for kind, followed in polls.items():
        response = w.client.get(f"/live/{kind}/?s={followed}", headers={"HX-Request": "true"})
        html = response.content.decode()
        assert response.status_code == 286, f"{kind}: {response.status_code}"  # all settled now
        assert "hx-swap-oob" in html  # the badge that moved is swapped
        assert live_markup_in(html) == [] and escaped(w.name) not in html
        trigger = json.loads(response["HX-Trigger"])
        assert trigger == {"status-changed": {"kind": kind, "ids": [followed.split(":")[0]]}}


def test_a_hostile_device_is_refused_by_the_attach_forms(world):
    w = world
    forms = {
        f"/servers/{w.other_server.id}/attach/": {"volume_id": w.volume.id},
        f"/servers/attach/?volume_id={w.volume.id}": {"server_id": w.other_server.id},
    }
    for url, data in forms.items():
        response = w.client.post(url, {**data, "device": w.name[:16]})
        html = response.content.decode()
        assert response.status_code == 200, f"{url}: {response.status_code}"
        assert "Enter a device like /dev/vdc or /dev/sdb" in html
        assert_escaped(url, html, {w.name[:16]})
    # Nothing was attached: the volume is still available, the server has nothing.
    ctx = context_of(w.client)
    assert api.volume_get(ctx, w.volume.id).status == "available"
    assert api.attachment_list(ctx, w.other_server.id) == []


def test_a_hostile_device_from_the_api_is_shown_escaped(world):
    w = world
    device = escaped(w.name)
    pages = [
        "/volumes/",
        f"/volumes/{w.attached.id}/",
        f"/volumes/{w.attached.id}/delete/",
        f"/servers/{w.server.id}/",
        f"/servers/{w.server.id}/detach/{w.attached.id}/",
    ]
    for url in pages:
        html = w.client.get(url).content.decode()
        assert f"<code>{device}</code>" in html, f"{url} does not show the device escaped"
        assert live_markup_in(html) == []


def test_bulk_delete_confirmation_shows_names_escaped(world):
    w = world
    response = w.client.post("/volumes/delete/", {"ids": [w.attached.id, w.volume.id]})
    assert response.status_code == 200
    assert_escaped("/volumes/delete/", response.content.decode(), {w.name, w.other})
    ctx = context_of(w.client)
    assert {api.volume_get(ctx, v).status for v in (w.attached.id, w.volume.id)} == {"in-use", "available"}


def test_a_hostile_fault_message_in_support_pages_and_export(world, emulator):
    """A fault message that quotes API input (a metadata key) reaches the request log: support's
    pages show it escaped and its JSON exports carry it JSON-escaped, as application/json."""
    w = world
    with pytest.raises(api.BadRequest) as refused:
        api.volume_create(context_of(w.client), size=1, metadata={w.name: 1})
    call = ApiCall.objects.get(request_id=refused.value.request_id)
    assert "<" in call.message or "javascript:" in call.message  # the payload is in the message

    staff = Client()
    assert log_in(staff, w.account).status_code == 302
    get_user_model().objects.get(username=w.account["user_id"]).groups.add(support_group())
    search = staff.get(f"/support/?q={call.request_id}")
    assert search.status_code == 200
    assert call.request_id in search.content.decode()  # found (the list shows no messages)
    detail = staff.get(f"/support/calls/{call.pk}/")
    assert detail.status_code == 200
    assert_escaped("/support/calls/", detail.content.decode(), {call.message})
    for url in (f"/support/calls/{call.pk}/export.json", f"/support/export.json?q={call.request_id}"):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/json")
        assert response["X-Content-Type-Options"] == "nosniff"  # never sniffed as HTML
        exported = json.loads(response.content)  # valid JSON: the message's quotes are escaped
        messages = [row["message"] for row in [exported.get("call", {}), *exported.get("calls", [])] if row]
        assert call.message in messages, url


def test_refused_forms_give_hostile_input_back_escaped(world):
    """A form the console refuses shows what was typed again, escaped, and creates nothing."""
    w = world
    ctx = context_of(w.client)
    before = (len(api.snapshot_list(ctx)), len(api.backup_list(ctx)))
    text = {"name": w.name, "description": w.other}
    posts = {
        # The volume is attached: a snapshot and a backup are refused.
        "/snapshots/create/": {"volume_id": w.attached.id, **text},
        "/backups/create/": {"volume_id": w.attached.id, "container": w.other, **text},
    }
    for url, data in posts.items():
        response = w.client.post(url, data)
        html = response.content.decode()
        assert response.status_code in {200, 400, 409}, f"{url}: {response.status_code}"
        assert "attached" in html  # the reason is given
        assert_escaped(url, html, {w.name, w.other})
    assert (len(api.snapshot_list(ctx)), len(api.backup_list(ctx))) == before


def test_messages_after_actions_show_hostile_names_escaped(world):
    """The messages shown after an action name what it acted on: escaped like the rest."""
    w = world

    def submission(url: str) -> str:
        return re.search(r'name="submission" value="([^"]+)"', w.client.get(url).content.decode())[1]

    actions = [
        (
            f"/servers/{w.server.id}/detach/{w.attached.id}/",
            {},
            f"Detaching {w.name} from {w.name}.",
        ),
        (
            "/snapshots/create/",
            {
                "volume_id": w.volume.id,
                "name": w.name,
                "description": w.other,
                "submission": submission(f"/snapshots/create/?volume_id={w.volume.id}"),
            },
            f"Taking snapshot {w.name} of volume {w.other}.",
        ),
        (f"/snapshots/{w.snapshot.id}/delete/", {}, f"Deleting snapshot {w.name}."),
        (
            f"/backups/{w.backup.id}/restore/",
            {
                "target": "existing",
                "volume_id": w.volume.id,
                "confirm": w.other,  # the volume's name, typed to confirm the overwrite
                "submission": submission(f"/backups/{w.backup.id}/restore/?volume_id={w.volume.id}"),
            },
            f"Restoring backup {w.name} into volume {w.other}.",
        ),
    ]
    for url, data, message in actions:
        response = w.client.post(url, data, follow=True)
        html = response.content.decode()
        assert response.status_code == 200, f"{url}: {response.status_code}"
        assert response.redirect_chain, f"{url} was refused: {ERRORS.findall(html)}"
        assert_escaped(url, html, {message})
