"""Identity v3 and v2.0: tokens, the service catalog (spec 3.3), and what the APIs do with bad tokens."""

from __future__ import annotations

import pytest
import requests

from tests.emulator.conftest import REGION_A, REGION_B, TIMEOUT, Api, assert_fault, decode, v3_auth_body

REGIONS = (REGION_A, REGION_B)


def test_v3_password_token_carries_a_catalog_pointing_back_at_the_emulator(emulator, account):
    r = requests.post(
        f"{emulator.url}/v3/auth/tokens",
        json=v3_auth_body(account["user"], account["password"], account["project"]),
        timeout=TIMEOUT,
    )
    assert r.status_code == 201, r.text
    assert r.headers["X-Subject-Token"]
    token = r.json()["token"]
    assert token["project"]["id"] == account["project_id"]
    assert token["expires_at"]

    services = {service["type"]: service for service in token["catalog"]}
    assert {"volume", "compute"} <= set(services)
    assert services["volume"]["name"] == "Block Storage"
    for kind, url_of in (("volume", emulator.volume_url), ("compute", emulator.compute_url)):
        service = services[kind]
        assert service["id"]
        assert service["links"]["self"].startswith(emulator.url + "/v3/services/")  # spec 3.3's shape
        endpoints = {ep["region"]: ep for ep in service["endpoints"] if ep["interface"] == "public"}
        assert set(endpoints) == set(REGIONS), service
        for region, endpoint in endpoints.items():
            assert endpoint["url"] == url_of(account["project_id"], region)
            assert endpoint["id"]
            assert endpoint["links"]["self"] == f"{emulator.url}/v3/endpoints/{endpoint['id']}"
            # spec 3.3 spells the back reference service_Id; keystone spells it service_id
            assert service["id"] in (endpoint.get("service_Id"), endpoint.get("service_id")), endpoint


def test_v3_scope_by_project_id_works_too(emulator, account):
    body = v3_auth_body(account["user"], account["password"], project_id=account["project_id"])
    r = requests.post(f"{emulator.url}/v3/auth/tokens", json=body, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    api = Api(emulator, account, token=r.headers["X-Subject-Token"])
    assert api.vol("GET", "/volumes").status == 200


def test_v2_token_and_catalog(emulator, account):
    r = requests.post(
        f"{emulator.url}/v2.0/tokens",
        json={
            "auth": {
                "passwordCredentials": {"username": account["user"], "password": account["password"]},
                "tenantName": account["project"],
            }
        },
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
    access = r.json()["access"]
    token = access["token"]
    assert token["tenant"]["id"] == account["project_id"]
    services = {service["type"]: service for service in access["serviceCatalog"]}
    for kind, url_of in (("volume", emulator.volume_url), ("compute", emulator.compute_url)):
        endpoints = {ep["region"]: ep["publicURL"] for ep in services[kind]["endpoints"]}
        assert endpoints == {region: url_of(account["project_id"], region) for region in REGIONS}

    api = Api(emulator, account, token=token["id"])
    assert api.vol("GET", "/volumes/detail").status == 200


def test_v2_scope_by_tenant_id(emulator, account):
    r = requests.post(
        f"{emulator.url}/v2.0/tokens",
        json={
            "auth": {
                "passwordCredentials": {"username": account["user"], "password": account["password"]},
                "tenantId": account["project_id"],
            }
        },
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
    assert r.json()["access"]["token"]["tenant"]["id"] == account["project_id"]


@pytest.mark.parametrize("version", ["v3", "v2.0"])
@pytest.mark.parametrize("what", ["password", "project"])
def test_bad_credentials_are_401(emulator, account, version, what):
    password = "wrong" if what == "password" else account["password"]
    project = "no-such-project" if what == "project" else account["project"]
    if version == "v3":
        url, body = f"{emulator.url}/v3/auth/tokens", v3_auth_body(account["user"], password, project)
    else:
        url = f"{emulator.url}/v2.0/tokens"
        body = {
            "auth": {
                "passwordCredentials": {"username": account["user"], "password": password},
                "tenantName": project,
            }
        }
    r = requests.post(url, json=body, timeout=TIMEOUT)
    assert r.status_code == 401, r.text
    assert "X-Subject-Token" not in r.headers


@pytest.mark.parametrize("version", ["v3/auth/tokens", "v2.0/tokens"])
def test_malformed_identity_body_is_400(emulator, version):
    r = requests.post(
        f"{emulator.url}/{version}",
        data="{not json",
        timeout=TIMEOUT,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_missing_or_wrong_token_is_401_with_a_fault(api, fmt, token):
    for reply in (
        api.vol("GET", "/volumes", fmt=fmt, token=token),
        api.vol("POST", "/volumes", {"volume": {"size": 1}}, fmt, token=token),
        api.comp("GET", f"/servers/{api.server_in('az2')}/os-volume_attachments", fmt=fmt, token=token),
    ):
        assert reply.fmt == fmt
        assert_fault(reply, 401)
    assert api.count() == 0


def test_expired_token_is_401_and_a_new_token_works(emulator, account):
    api = Api(emulator, account)
    assert api.vol("GET", "/volumes").status == 200
    emulator.expire_tokens(account["user"])
    assert_fault(api.vol("GET", "/volumes"), 401)
    assert_fault(api.comp("GET", "/servers"), 401)
    fresh = Api(emulator, account)
    assert fresh.vol("GET", "/volumes").status == 200


def test_token_expiry_is_per_user(emulator, account, other_api):
    api = Api(emulator, account)
    emulator.expire_tokens(account["user"])
    assert_fault(api.vol("GET", "/volumes"), 401)
    assert other_api.vol("GET", "/volumes").status == 200


def test_token_of_one_project_does_not_open_another_projects_url(api, other_api):
    vol = other_api.create_volume(display_name="theirs")
    foreign = api.request("GET", f"{other_api.volume_base}/volumes/detail")
    assert 400 <= foreign.status < 500, foreign
    assert vol["id"] not in foreign.text
    foreign_get = api.request("GET", f"{other_api.volume_base}/volumes/{vol['id']}")
    assert 400 <= foreign_get.status < 500, foreign_get
    assert "theirs" not in foreign_get.text


def test_identity_replies_carry_request_id_and_date(emulator, account):
    r = requests.post(
        f"{emulator.url}/v3/auth/tokens",
        json=v3_auth_body(account["user"], account["password"], account["project"]),
        timeout=TIMEOUT,
    )
    assert r.headers["X-Compute-Request-Id"].startswith("req-")
    assert r.headers["Date"].endswith("GMT")
    body, fmt = decode(r)
    assert fmt == "json" and "token" in body


# --- Identity answers its errors in its own shape (Keystone's), the APIs in the spec's (4.4) ------
def _identity_error(r: requests.Response, code: int, title: str) -> str:
    assert r.status_code == code, r.text
    assert r.headers["Content-Type"].split(";")[0] == "application/json", r.headers
    assert r.headers["X-Compute-Request-Id"].startswith("req-")
    body = r.json()
    assert set(body) == {"error"}, body
    assert (body["error"]["code"], body["error"]["title"]) == (code, title), body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    return body["error"]["message"]


@pytest.mark.parametrize("version", ["v3/auth/tokens", "v2.0/tokens"])
def test_identity_errors_have_identitys_own_shape(emulator, account, version):
    if version.startswith("v3"):
        wrong = v3_auth_body(account["user"], "wrong", account["project"])
    else:
        wrong = {"auth": {"passwordCredentials": {"username": account["user"], "password": "wrong"}}}
    url = f"{emulator.url}/{version}"
    r = requests.post(url, json=wrong, headers={"Accept": "application/xml"}, timeout=TIMEOUT)
    assert "requires authentication" in _identity_error(r, 401, "Unauthorized")
    assert r.headers["WWW-Authenticate"] == f'Keystone uri="{emulator.url}/v3"'
    r = requests.post(url, data="{not json", headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    _identity_error(r, 400, "Bad Request")
    _identity_error(requests.get(url, timeout=TIMEOUT), 405, "Method Not Allowed")


def test_the_apis_keep_the_specs_fault_shape_for_a_bad_token(api):
    reply = api.vol("GET", "/volumes", token="not-a-token")
    assert_fault(reply, 401, "unauthorized")
    assert "error" not in reply.body and "WWW-Authenticate" not in reply.headers
