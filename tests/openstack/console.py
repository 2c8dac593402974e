"""Helpers of the console's tests against the harness: logging in through the console's forms, the
API as the logged-in user sees it, waiting for what a user would see."""

from __future__ import annotations

import re
import time
from html import unescape

from django.test import Client

from tests.console.login_helpers import context_of
from tests.openstack.cloud import Account

DEADLINE = 60.0  # seconds for a volume, snapshot or backup to settle in Cinder


def project_of(account: Account) -> str:
    return next(iter(account.projects))


def log_in(client: Client, account: Account, *, project: str | None = None, **fields: str):
    """POST the password login form (domains Default unless given); the unfollowed response."""
    data = {
        "username": account.name,
        "password": account.password,
        "project": project or project_of(account),
        "user_domain": "Default",
        "project_domain": "Default",
    }
    data.update(fields)
    return client.post("/login/", data)


def text_of(response) -> str:
    """A page's text as a person reads it: tags out, entities decoded, spaces collapsed."""
    html = response.content.decode() if hasattr(response, "content") else response
    html = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def wait_for(predicate, timeout: float = DEADLINE, pause: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(pause)
    raise AssertionError("condition not met in time")


def ctx_of(client: Client):
    """The CloudContext the console built for this client's login (to prepare data through the API)."""
    return context_of(client)


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([0-9a-f]{{32}})"', page).group(1)


def create_volume(client: Client, **values) -> str:
    """Create a volume through the console's form; the new volume's id."""
    data = {
        "create_key": _hidden(client.get("/volumes/create/").content.decode(), "create_key"),
        "snapshot_id": "",
        "source_volid": "",
        "image_id": "",
        "size": "1",
        "availability_zone": "",
        "volume_type": "",
        "name": "",
        "description": "",
        "meta_rows": "1",
        "meta_key_0": "",
        "meta_value_0": "",
    }
    data.update({key: str(value) for key, value in values.items()})
    response = client.post("/volumes/create/", data)
    assert response.status_code == 302, text_of(response)[:3000]
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def take_snapshot(client: Client, volume_id: str, **values) -> str:
    """Take a snapshot through the console's form; the new snapshot's id."""
    page = client.get(f"/snapshots/create/?volume_id={volume_id}").content.decode()
    data = {"volume_id": volume_id, "name": "", "description": "", "submission": _hidden(page, "submission")}
    data.update({key: str(value) for key, value in values.items()})
    response = client.post("/snapshots/create/", data)
    assert response.status_code == 302, text_of(response)[:3000]
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def back_up(client: Client, volume_id: str, **values) -> str:
    """Back a volume up through the console's form; the new backup's id."""
    page = client.get(f"/backups/create/?volume_id={volume_id}").content.decode()
    data = {
        "volume_id": volume_id,
        "container": "",
        "name": "",
        "description": "",
        "submission": _hidden(page, "submission"),
    }
    data.update({key: str(value) for key, value in values.items()})
    response = client.post("/backups/create/", data)
    assert response.status_code == 302, text_of(response)[:3000]
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def badge_settles(client: Client, kind: str, resource_id: str, shown: str, label: str) -> str:
    """Poll the console's badge endpoint (as a page's poller does, showing `shown`) until it stops
    polling on `label`; the answer's HTML."""

    def settled():
        answer = client.get(f"/live/{kind}/?s={resource_id}:{shown}", headers={"HX-Request": "true"})
        html = answer.content.decode()
        return html if answer.status_code == 286 and label in html else None

    return wait_for(settled)
