"""Another project's ids in URLs and forms: 404 (or a plain refusal), nothing leaked, nothing changed.
Generic over the URL patterns: every route that takes a volume, snapshot, backup or server id."""

from __future__ import annotations

import pytest
from django.test import Client

from console import api
from tests.console.login_helpers import context_of, log_in
from tests.security.conftest import volume_available, wait_for
from tests.security.routes import route_paths

pytestmark = pytest.mark.django_db

RESOURCE_PARAMS = {"volume_id", "snapshot_id", "backup_id", "server_id"}


@pytest.fixture
def other_project(client_in, account):
    """Project A (the `account` fixture's) with a volume, a snapshot and a backup; their ids and names."""
    ctx = context_of(client_in)
    volume = volume_available(ctx, display_name="alpha-private-volume")
    snapshot = api.snapshot_create(ctx, volume_id=volume.id, display_name="alpha-private-snapshot")
    wait_for(lambda: api.snapshot_get(ctx, snapshot.id).status == "available")
    backup = api.backup_create(ctx, volume_id=volume.id, name="alpha-private-backup")
    wait_for(lambda: api.backup_get(ctx, backup.id).status == "available")
    wait_for(lambda: api.volume_get(ctx, volume.id).status == "available")
    server = api.server_list(ctx)[0]
    return {
        "ctx": ctx,
        "ids": {
            "volume_id": volume.id,
            "snapshot_id": snapshot.id,
            "backup_id": backup.id,
            "server_id": server.id,
        },
        "names": ["alpha-private-volume", "alpha-private-snapshot", "alpha-private-backup", server.name],
    }


@pytest.fixture
def intruder(emulator, account):
    """Project B's user, logged in on its own client."""
    name = f"{account['user']}-b"
    emulator.new_account(name)
    client = Client()
    assert log_in(client, {"user": name, "password": f"{name}-password", "project": name}).status_code == 302
    return client


def state_of(ctx) -> tuple:
    return (
        sorted((v.id, v.status, v.display_name, len(v.attachments)) for v in api.volume_list(ctx)),
        sorted((s.id, s.status) for s in api.snapshot_list(ctx)),
        sorted((b.id, b.status) for b in api.backup_list(ctx)),
    )


def test_routes_with_another_projects_ids_answer_404(other_project, intruder):
    ids, names = other_project["ids"], other_project["names"]
    before = state_of(other_project["ctx"])
    intruder.raise_request_exception = False
    checked, problems = [], []
    for route, url in route_paths(ids):
        if not RESOURCE_PARAMS & set(route.params) or route.name.startswith("admin:"):
            continue
        forged = {"confirm": "yes", "volume_id": ids["volume_id"], "name": "taken-over", "size": "1"}
        for method, response in (("GET", intruder.get(url)), ("POST", intruder.post(url, forged))):
            html = response.content.decode(errors="replace")
            # 405: the view does not take this method at all, before looking anything up.
            if response.status_code not in {404, 405}:
                problems.append(f"{method} {url} ({route.name}): {response.status_code}, not 404")
            problems += [f"{method} {url} shows {name!r}" for name in names if name in html]
        checked.append(route.name)
    assert not problems, "\n".join(problems)
    assert {"volumes:detail", "volumes:delete", "snapshots:delete", "backups:restore"} <= set(checked)
    assert state_of(other_project["ctx"]) == before


def test_forms_given_another_projects_ids_create_nothing_and_show_nothing(other_project, intruder):
    ids, names = other_project["ids"], other_project["names"]
    before = state_of(other_project["ctx"])
    intruder.raise_request_exception = False
    pages = [
        ("/volumes/create/", {"source_volid": ids["volume_id"]}),
        ("/volumes/create/", {"snapshot_id": ids["snapshot_id"]}),
        ("/snapshots/create/", {"volume_id": ids["volume_id"]}),
        ("/backups/create/", {"volume_id": ids["volume_id"]}),
        ("/servers/attach/", {"volume_id": ids["volume_id"]}),
    ]
    for url, query in pages:
        for response in (intruder.get(url, query), intruder.post(url, {**query, "name": "x", "size": "1"})):
            html = response.content.decode(errors="replace")
            assert response.status_code < 500, f"{url} {query}: {response.status_code}"
            assert not [name for name in names if name in html], (
                f"{url} {query} shows another project's names"
            )
    assert state_of(other_project["ctx"]) == before
