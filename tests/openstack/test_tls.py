"""A cloud whose endpoints are HTTPS signed by its own CA (real Keystone and Cinder behind TLS
proxies): without API_CA_BUNDLE the console refuses the unverifiable certificate and says what to set;
with the operator's CA bundle it logs in and works. Verification is never turned off."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.openstack.console import badge_settles, create_volume, log_in, text_of
from tests.openstack.tls import TlsProxy, make_certificates

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def tls_cloud(openstack, tmp_path_factory):
    """(certificates, Identity URL over HTTPS) of the harness behind HTTPS proxies."""
    certificates = make_certificates(tmp_path_factory.mktemp("tls"))
    cinder = TlsProxy(openstack.cinder_port, certificates).start()
    keystone = TlsProxy(
        openstack.keystone_port,
        certificates,
        rewrite={openstack.cinder_root: f"https://127.0.0.1:{cinder.port}"},
    ).start()
    yield certificates, f"https://127.0.0.1:{keystone.port}/v3"
    keystone.stop()
    cinder.stop()


def test_a_private_ca_is_refused_without_the_bundle_and_trusted_with_it(
    client, settings, tls_cloud, openstack_account
):
    certificates, identity_url = tls_cloud
    settings.IDENTITY_URL = identity_url
    settings.API_RATE_PER_PROJECT = 0
    settings.INVENTORY_ACTIVE_INTERVAL = 0.2
    cache.clear()

    settings.API_CA_BUNDLE = ""
    refused = log_in(client, openstack_account)
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "The cloud's TLS certificate could not be verified" in text_of(refused)
    assert "API_CA_BUNDLE" in text_of(refused)

    settings.API_CA_BUNDLE = str(certificates.ca)
    assert log_in(client, openstack_account).status_code == 302
    login = client.session["cloud"]
    assert login["regions"][login["region"]]["volume"].startswith("https://127.0.0.1:")
    assert login["regions"][login["region"]]["dialect"] == "cinder-v3"
    volume_id = create_volume(client, name="over-tls")
    badge_settles(client, "volumes", volume_id, "creating", "Available")
    assert "over-tls" in text_of(client.get("/volumes/"))
