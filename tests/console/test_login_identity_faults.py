"""Identity answering badly: each failure gets a clear message on the login page, never a 500."""

from __future__ import annotations

import pytest
import requests
import responses

from tests.console.login_helpers import session_rows

pytestmark = pytest.mark.django_db

IDENTITY = "http://identity.invalid/v3"
TOKENS = f"{IDENTITY}/auth/tokens"
CREDENTIALS = {"username": "demo", "password": "demo-password", "project": "demo"}


@pytest.fixture(autouse=True)
def identity(settings):
    settings.IDENTITY_URL = IDENTITY
    with responses.RequestsMock() as mock:
        yield mock


def token_document(catalog: list[dict]) -> dict:
    return {
        "token": {
            "expires_at": "2099-01-01T00:00:00.000000Z",
            "user": {"id": "u1", "name": "demo"},
            "project": {"id": "10000000000001", "name": "demo"},
            "catalog": catalog,
        }
    }


def compute_only_catalog() -> list[dict]:
    return [
        {
            "type": "compute",
            "endpoints": [
                {
                    "interface": "public",
                    "region": "region-a.geo-1",
                    "url": "http://c.invalid/v2/10000000000001",
                }
            ],
        }
    ]


def test_catalog_without_block_storage(client, identity):
    identity.post(
        TOKENS,
        json=token_document(compute_only_catalog()),
        status=201,
        headers={"X-Subject-Token": "tok-secret-1", "X-Openstack-Request-Id": "req-catalog-1"},
    )
    response = client.post("/login/", CREDENTIALS)
    html = response.content.decode()
    assert response.status_code == 200
    assert "no Block Storage endpoint" in html
    assert "enable Block Storage for the project" in html
    assert '<code class="request-id">req-catalog-1</code>' in html
    assert "tok-secret-1" not in html
    assert session_rows() == 0


def test_identity_timeout(client, identity):
    identity.post(TOKENS, body=requests.exceptions.ReadTimeout("read timed out"))
    response = client.post("/login/", CREDENTIALS)
    assert response.status_code == 200
    assert "took too long" in response.content.decode()
    assert session_rows() == 0


def test_identity_server_error_shows_its_request_id(client, identity):
    identity.post(
        TOKENS,
        json={"identityFault": {"code": 500, "message": "Identity is having a bad day."}},
        status=500,
        headers={"X-Compute-Request-Id": "req-500-1"},
    )
    response = client.post("/login/", CREDENTIALS)
    html = response.content.decode()
    assert response.status_code == 200
    assert "contact support and quote the id" in html
    assert '<code class="request-id">req-500-1</code>' in html


def test_identity_answer_without_a_token(client, identity):
    identity.post(TOKENS, json=token_document([]), status=201)
    response = client.post("/login/", CREDENTIALS)
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert session_rows() == 0
