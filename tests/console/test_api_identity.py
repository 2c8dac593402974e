"""console.api.identity against canned Identity answers: catalog parsing and the login's errors.
(The same login against the real emulator is in test_api_client.py.)"""

import json
from datetime import UTC, datetime

import pytest
import responses

from console import api
from console.api.identity import identity_probe
from support.models import ApiCall

pytestmark = pytest.mark.django_db

IDENTITY = "http://identity.test/v3"
TOKENS = f"{IDENTITY}/auth/tokens"


@pytest.fixture(autouse=True)
def _identity(settings):
    settings.IDENTITY_URL = IDENTITY


def token_body(catalog):
    return json.dumps(
        {
            "token": {
                "expires_at": "2030-01-01T12:00:00.000000Z",
                "user": {"id": "u1", "name": "alice"},
                "project": {"id": "10000000000001", "name": "alpha"},
                "catalog": catalog,
            }
        }
    )


CATALOG = [
    {"type": "identity", "endpoints": [{"interface": "public", "region": "r1", "url": "http://id"}]},
    {
        "type": "volume",
        "endpoints": [
            {"interface": "admin", "region": "region-a.geo-1", "url": "http://admin/volume-a"},
            {"interface": "public", "region": "region-a.geo-1", "url": "http://x/volume-a"},
            {"interface": "public", "region_id": "region-b.geo-1", "url": "http://x/volume-b"},
        ],
    },
    {
        "type": "compute",
        "endpoints": [{"interface": "public", "region": "region-a.geo-1", "url": "http://x/compute-a"}],
    },
]


@responses.activate
def test_login_reads_the_token_user_project_and_catalog():
    responses.post(TOKENS, body=token_body(CATALOG), status=201, headers={"X-Subject-Token": "tok-1"})
    result = api.authenticate(
        username="alice", password="pw-secret", project="alpha", console_request_id="c1"
    )
    assert (result.token, result.user_id, result.user_name, result.project_id, result.project_name) == (
        "tok-1",
        "u1",
        "alice",
        "10000000000001",
        "alpha",
    )
    assert result.expires_at == datetime(2030, 1, 1, 12, tzinfo=UTC)
    assert result.regions == {
        "region-a.geo-1": api.Endpoints("region-a.geo-1", "http://x/volume-a", "http://x/compute-a"),
        "region-b.geo-1": api.Endpoints("region-b.geo-1", "http://x/volume-b", ""),
    }
    assert "tok-1" not in repr(result)
    sent = json.loads(responses.calls[0].request.body)
    assert sent["auth"]["identity"]["password"]["user"]["password"] == "pw-secret"
    assert sent["auth"]["scope"]["project"]["name"] == "alpha"
    row = ApiCall.objects.get()
    assert (row.service, row.method, row.path, row.status, row.console_request_id) == (
        "identity",
        "POST",
        "/v3/auth/tokens",
        201,
        "c1",
    )
    assert (row.user_id, row.user_name, row.project_id, row.project_name) == (
        "u1",
        "alice",
        "10000000000001",
        "alpha",
    )
    assert not any(
        "pw-secret" in str(v) or "tok-1" in str(v) for v in ApiCall.objects.values().get().values()
    )


@responses.activate
def test_wrong_password_is_unauthorized():
    responses.post(
        TOKENS,
        status=401,
        body=b'{"error": {"code": 401, "title": "Unauthorized", "message": "Invalid credentials."}}',
    )
    with pytest.raises(api.Unauthorized) as caught:
        api.authenticate(username="alice", password="wrong", project="alpha")
    assert (caught.value.status, caught.value.message) == (401, "Invalid credentials.")
    assert len(responses.calls) == 1  # "alpha" is no project id: no second try


@responses.activate
def test_a_project_id_is_tried_as_an_id_after_the_name_fails():
    responses.post(TOKENS, status=401, body=b"")
    responses.post(TOKENS, body=token_body(CATALOG), status=201, headers={"X-Subject-Token": "tok-2"})
    result = api.authenticate(username="alice", password="pw", project="10000000000001")
    assert result.project_id == "10000000000001"
    scopes = [json.loads(call.request.body)["auth"]["scope"]["project"] for call in responses.calls]
    assert scopes == [{"name": "10000000000001", "domain": {"id": "default"}}, {"id": "10000000000001"}]
    by_id = ApiCall.objects.get(status=201)
    assert (by_id.project_id, by_id.project_name, by_id.user_id) == ("10000000000001", "alpha", "u1")


@responses.activate
def test_catalog_without_block_storage_is_a_catalog_error():
    catalog = [c for c in CATALOG if c["type"] != "volume"]
    responses.post(
        TOKENS,
        body=token_body(catalog),
        status=201,
        headers={"X-Subject-Token": "t", "X-Openstack-Request-Id": "req-i"},
    )
    with pytest.raises(api.CatalogError) as caught:
        api.authenticate(username="alice", password="pw", project="alpha")
    assert "no Block Storage endpoint" in caught.value.message
    assert caught.value.request_id == "req-i"


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (token_body(CATALOG), {}),  # no X-Subject-Token
        ("{not json", {"X-Subject-Token": "t"}),
        ('{"token": {"user": {}}}', {"X-Subject-Token": "t"}),
    ],
)
@responses.activate
def test_unreadable_identity_answers_are_malformed(body, headers):
    responses.post(TOKENS, body=body, status=201, headers=headers)
    with pytest.raises(api.MalformedResponse):
        api.authenticate(username="alice", password="pw", project="alpha")


def test_identity_unreachable_is_connection_failed(settings):
    settings.IDENTITY_URL = "http://127.0.0.1:9/v3"  # discard port: nothing listens
    with pytest.raises(api.ConnectionFailed):
        api.authenticate(username="alice", password="pw", project="alpha")


def test_identity_probe_answers_the_status_or_raises(settings):
    settings.IDENTITY_URL = "http://127.0.0.1:9/v3"
    with pytest.raises(api.ConnectionFailed):
        identity_probe(timeout=2)
    assert ApiCall.objects.count() == 0


@responses.activate
def test_identity_probe_is_not_logged():
    responses.get(IDENTITY, status=300, body=b"{}")
    assert identity_probe(timeout=2) == 300
    assert ApiCall.objects.count() == 0
