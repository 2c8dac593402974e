"""The cloud token goes only to hosts the operator allows: by default the Identity host and the hosts
the catalog named at login; API_TOKEN_HOSTS pins them. Two hostile clouds on loopback (different
ports, so different hosts to the console) show where a token did or did not go."""

from __future__ import annotations

import pytest
from django.test import Client

from console import api
from console.api import http
from console.api.context import CloudContext
from console.api.wire import JSON
from support.models import ApiCall
from tests.console.login_helpers import cloud_token
from tests.hostile_cloud import TOKEN, HostileCloud

pytestmark = pytest.mark.django_db

LOGIN = {"username": "mallory", "password": "mallory-password", "project": "hostile"}


@pytest.fixture(scope="module")
def clouds():
    with HostileCloud() as home, HostileCloud() as elsewhere:
        yield home, elsewhere


@pytest.fixture
def home(clouds, settings):
    home, elsewhere = clouds
    home.reset()
    elsewhere.reset()
    settings.IDENTITY_URL = home.identity_url
    settings.API_RATE_PER_PROJECT = 0
    settings.API_TOKEN_HOSTS = []
    return home


@pytest.fixture
def elsewhere(clouds, home):
    return clouds[1]


def tokens_seen(cloud: HostileCloud) -> list[str]:
    return [seen.path for seen in cloud.requests if seen.headers.get("X-Auth-Token")]


def test_by_default_the_catalog_hosts_get_the_token(home, elsewhere):
    home.catalog_base = elsewhere.url  # Identity here, Block Storage and Compute there
    client = Client()
    assert client.post("/login/", LOGIN).status_code == 302
    assert client.get("/volumes/").status_code == 200
    assert "/volume/region-a.geo-1/v1/0123456789abcdef/volumes/detail" in tokens_seen(elsewhere)


def test_a_pinned_list_refuses_a_catalog_pointing_elsewhere(home, elsewhere, settings):
    settings.API_TOKEN_HOSTS = [f"127.0.0.1:{home.server.server_address[1]}"]
    home.catalog_base = elsewhere.url
    client = Client()
    response = client.post("/login/", LOGIN)
    assert response.status_code == 200
    page = response.content.decode()
    port = elsewhere.server.server_address[1]
    assert f"service catalog points at 127.0.0.1:{port}, where this console may not send your token" in page
    assert "API_TOKEN_HOSTS" in page
    assert "_auth_user_id" not in client.session
    assert elsewhere.requests == []


def test_a_pinned_list_that_names_the_catalog_hosts_logs_in(home, elsewhere, settings):
    settings.API_TOKEN_HOSTS = ["127.0.0.1"]  # any port of that host
    home.catalog_base = elsewhere.url
    client = Client()
    assert client.post("/login/", LOGIN).status_code == 302
    assert client.get("/volumes/").status_code == 200
    assert tokens_seen(elsewhere)


def test_an_https_identity_never_lets_the_token_travel_over_http(home, settings):
    settings.IDENTITY_URL = "https://identity.example/v3"
    with pytest.raises(api.HostNotAllowed):
        http.token_destination_check(home.volume_url + "/volumes", endpoints=(home.volume_url,))


def test_a_url_the_cloud_hands_back_to_another_host_is_refused(home, elsewhere):
    """E.g. a pagination "next" link: the call is refused before anything is sent."""
    client = Client()
    assert client.post("/login/", LOGIN).status_code == 302
    ctx = CloudContext(
        token=cloud_token(client),
        user_id="u",
        user_name="mallory",
        project_id="0123456789abcdef",
        project_name="hostile",
        region="region-a.geo-1",
        volume_url=home.volume_url,
        compute_url=home.compute_url,
    )
    for url in (
        f"{elsewhere.url}/volume/region-a.geo-1/v1/0123456789abcdef/volumes/detail?marker=x",
        f"http://localhost:{home.server.server_address[1]}/volume/x/volumes/detail",  # another name
        f"https://127.0.0.1:{home.server.server_address[1]}/volume/x/volumes/detail",  # another scheme
        "file:///etc/passwd",
        "http:///volumes",
    ):
        with pytest.raises(api.HostNotAllowed) as caught:
            http.request(ctx, service=http.VOLUME, method="GET", url=url, fmt=JSON)
        assert "where your token may not be sent. Nothing was sent." in caught.value.message
    assert elsewhere.requests == []
    assert not ApiCall.objects.filter(path__contains="/volume/x/").exists()
    assert TOKEN not in str([seen.headers for seen in elsewhere.requests])
