"""The accounts hook's optional "servers" (docs/emulator.md): a new project's seeded servers, in every
region, are the ones given; anything but 1-26 {"name", "zone"} objects is a clear 400."""

from __future__ import annotations

import pytest
import requests

from tests.emulator.conftest import REGION_B, TIMEOUT, Api, server_az, unique_name

HOSTILE = '<img src=x onerror="window.__pwned=1">'


def _post_account(emulator, name: str, servers) -> requests.Response:
    body = {"user": name, "password": f"{name}-password", "project": name, "servers": servers}
    return requests.post(f"{emulator.url}/_emulator/accounts", json=body, timeout=TIMEOUT)


def test_accounts_hook_seeds_the_servers_given(emulator):
    name = unique_name("srv")
    servers = [{"name": HOSTILE, "zone": "az1"}, {"name": "x" * 255, "zone": "az3"}]
    api = Api(emulator, _account(emulator, name, servers=servers))
    for region_api in (api, api.in_region(REGION_B)):
        seeded = sorted((s["name"], server_az(s)) for s in region_api.servers())
        assert seeded == sorted((s["name"], s["zone"]) for s in servers)
    # The project exists now: asking again changes nothing of its servers.
    emulator.new_account(name, servers=[{"name": "other", "zone": "az2"}])
    assert len(api.servers()) == 2
    # Without "servers", new projects still get the default ones.
    assert {server_az(s) for s in Api(emulator, _account(emulator, unique_name("dflt"))).servers()} == {
        "az1",
        "az2",
        "az3",
    }


def _account(emulator, name: str, **kwargs) -> dict:
    info = emulator.new_account(name, **kwargs)
    return {"user": name, "password": f"{name}-password", "project": name, **info}


@pytest.mark.parametrize(
    "servers",
    [
        [{"name": f"s{i}", "zone": "az1"} for i in range(27)],
        "web-01",
        {"name": "web", "zone": "az1"},
        ["web-01"],
        [{"name": "", "zone": "az1"}],
        [{"name": "x" * 256, "zone": "az1"}],
        [{"name": 7, "zone": "az1"}],
        [{"name": "web", "zone": "az4"}],
        [{"name": "web"}],
        [{"name": "web", "zone": "az1", "status": "ERROR"}],
    ],
)
def test_accounts_hook_refuses_bad_servers_clearly(emulator, servers):
    name = unique_name("bad")
    response = _post_account(emulator, name, servers)
    assert response.status_code == 400
    message = response.json()["badRequest"]["message"]
    assert message.startswith("Invalid servers: a list of at most 26 objects")
    assert "az1, az2, az3" in message
    # Nothing was created: the same name makes a fresh project afterwards, with the servers given then.
    api = Api(emulator, _account(emulator, name, servers=[{"name": "ok", "zone": "az2"}]))
    assert [(s["name"], server_az(s)) for s in api.servers()] == [("ok", "az2")]


def test_accounts_hook_makes_a_project_without_servers(emulator):
    api = Api(emulator, _account(emulator, unique_name("bare"), servers=[]))
    assert api.servers() == []
