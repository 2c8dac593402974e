"""Logging in to real Keystone 30 + Cinder 29 through the console, as OpenStack users expect: user
and project domains, a project by name or id, an application credential, the project switcher, the
region switch; the console learns at login that the cloud speaks Cinder v3 and at which microversion.
"""

from __future__ import annotations

import pytest

from support.models import ApiCall
from tests.console.login_helpers import cloud_session, cloud_token
from tests.openstack.cloud import REGIONS
from tests.openstack.console import log_in, project_of, text_of

pytestmark = pytest.mark.django_db

REFUSED = "Those credentials were not accepted. Check the user name, password and project."


def test_a_member_logs_in_with_domains_and_the_console_speaks_cinder_v3(
    client, console_on_openstack, openstack_account
):
    form = client.get("/login/").content.decode()
    assert 'name="user_domain"' in form and 'name="project_domain"' in form and 'value="Default"' in form

    response = log_in(client, openstack_account)
    assert response.status_code == 302 and response["Location"] == "/"
    login = cloud_session(client)
    assert (
        login["project_name"] == project_of(openstack_account)
        and login["user_name"] == openstack_account.name
    )
    assert sorted(login["regions"]) == sorted(REGIONS)
    region = login["regions"][login["region"]]
    # Keystone's catalog has block-storage (and its alias volumev3); Cinder 29 offers up to 3.71.
    assert (region["type"], region["dialect"], region["microversion"]) == (
        "block-storage",
        "cinder-v3",
        "3.60",
    )
    assert not login["read_only"]

    overview = text_of(client.get("/"))
    assert "Block Storage API Cinder v3 (microversion 3.60)" in overview
    # The version document was read once, and is in the request log like any call.
    discovery = ApiCall.objects.get(method="GET", path="/v3/")
    assert (discovery.service, discovery.status, discovery.region) == ("volume", 200, login["region"])
    # Keystone answers with x-openstack-request-id only: the login's row carries it.
    token_call = ApiCall.objects.get(method="POST", path="/v3/auth/tokens")
    assert token_call.status == 201 and token_call.request_id.startswith("req-")


def test_wrong_password_domain_or_project_is_refused_without_saying_which(
    client, console_on_openstack, openstack_account
):
    for fields in (
        {"password": "not-it"},
        {"user_domain": "Elsewhere"},
        {"project_domain": "Elsewhere"},
        {"project": "nope"},
    ):
        response = log_in(client, openstack_account, **fields)
        assert response.status_code == 200, fields
        assert REFUSED in text_of(response), fields
        assert "_auth_user_id" not in client.session


def test_the_project_may_be_given_by_id(client, console_on_openstack, openstack_account):
    project_id = console_on_openstack.project_ids[project_of(openstack_account)]
    response = log_in(client, openstack_account, project=project_id)
    assert response.status_code == 302
    assert cloud_session(client)["project_id"] == project_id


def test_an_application_credential_logs_in_to_its_own_project(client, console_on_openstack):
    credential = console_on_openstack.app_credential
    page = client.get("/login/application-credential/")
    assert "Application credential id" in text_of(page)
    assert "Log in with an application credential" in text_of(client.get("/login/"))

    wrong = client.post("/login/application-credential/", {"credential_id": credential.id, "secret": "nope"})
    assert "That application credential was not accepted" in text_of(wrong)
    assert "_auth_user_id" not in client.session

    response = client.post(
        "/login/application-credential/", {"credential_id": credential.id, "secret": credential.secret}
    )
    assert response.status_code == 302
    login = cloud_session(client)
    assert (login["user_name"], login["project_name"], login["method"]) == (
        credential.user,
        credential.project,
        "application_credential",
    )
    assert login["regions"][login["region"]]["dialect"] == "cinder-v3"
    assert credential.secret not in str(login)
    assert client.get("/volumes/").status_code == 200
    switcher = text_of(client.get("/project/"))
    assert "application credential, which belongs to one project" in switcher


def test_the_project_switcher_lists_keystones_projects_and_switches_without_a_password(
    client, console_on_openstack
):
    carol = console_on_openstack.accounts["carol"]  # a member of alpha and beta
    assert log_in(client, carol, project="alpha").status_code == 302
    first_token = cloud_token(client)
    page = client.get("/project/")
    listed = text_of(page)
    assert "alpha" in listed and "beta" in listed
    assert "Switch project" in text_of(client.get("/"))  # the header links to the switcher

    beta = console_on_openstack.project_ids["beta"]
    switched = client.post("/project/", {"project_id": beta})
    assert switched.status_code == 302
    login = cloud_session(client)
    assert (login["project_id"], login["project_name"]) == (beta, "beta")
    assert cloud_token(client) != first_token
    assert login["regions"][login["region"]]["dialect"] == "cinder-v3"
    assert "Now working in project beta." in text_of(client.get("/"))


def test_the_switcher_refuses_a_project_that_is_not_the_users(client, console_on_openstack):
    bob = console_on_openstack.accounts["bob"]  # beta only
    assert log_in(client, bob, project="beta").status_code == 302
    alpha = console_on_openstack.project_ids["alpha"]
    page = text_of(client.get("/project/"))
    assert "beta" in page and "alpha" not in page
    refused = client.post("/project/", {"project_id": alpha})
    assert refused.status_code == 400 and "That project is not one of yours." in text_of(refused)
    assert cloud_session(client)["project_name"] == "beta"


def test_the_region_switch_offers_the_catalogs_regions_and_learns_each_ones_dialect(
    client, console_on_openstack, openstack_account
):
    assert log_in(client, openstack_account).status_code == 302
    login = cloud_session(client)
    other = next(region for region in REGIONS if region != login["region"])
    assert "dialect" not in login["regions"][other]  # learnt when first used, not at login
    header = client.get("/").content.decode()
    assert all(f'<option value="{region}"' in header for region in REGIONS)
    response = client.post("/region/", {"region": other, "next": "/volumes/"})
    assert response.status_code == 302
    login = cloud_session(client)
    assert login["region"] == other
    assert login["regions"][other]["dialect"] == "cinder-v3"
    assert client.get("/volumes/").status_code == 200
