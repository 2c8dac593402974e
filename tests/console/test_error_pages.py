"""The console's own error pages: plain words, no traceback, no private data."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import path

from tests.console.login_helpers import log_in

pytestmark = pytest.mark.django_db


def explode(request):
    raise RuntimeError("secret internals")


urlpatterns = [path("boom/", explode)]


@override_settings(DEBUG=False)
def test_unknown_url_gets_the_not_found_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "There is nothing here" in response.content.decode()


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_server_error_page_says_what_to_do_without_a_traceback(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in body and "secret internals" not in body
    assert response["X-Request-Id"]


def test_a_form_target_opened_as_a_page_says_so(client, account, settings, emulator):
    settings.IDENTITY_URL = emulator.identity_url
    assert log_in(client, account).status_code == 302
    response = client.get("/region/")  # the region switcher's target: POST only
    body = response.content.decode()
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "Not available this way" in body and "it takes POST only" in body
    assert "Nothing was changed." in body
    assert '<input type="hidden" name="next" value="/">' in body  # the region switch leads away
    # An htmx request keeps the plain 405 (htmx shows no error pages).
    assert client.get("/region/", headers={"HX-Request": "true"}).content == b""


def test_a_form_sent_to_a_page_that_takes_none_says_so(client, account, settings, emulator):
    settings.IDENTITY_URL = emulator.identity_url
    assert log_in(client, account).status_code == 302
    response = client.post("/snapshots/")  # a list: GET (and HEAD) only
    body = response.content.decode()
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert "This page can only be opened, not sent a form (it takes GET or HEAD only)." in body
    assert client.head("/snapshots/").status_code == 200


@override_settings(DEBUG=False, DATA_UPLOAD_MAX_NUMBER_FILES=2)
def test_too_many_files_gets_the_too_much_page(client, account, settings, emulator):
    settings.IDENTITY_URL = emulator.identity_url
    assert log_in(client, account).status_code == 302
    files = {f"file{n}": SimpleUploadedFile(f"f{n}.txt", b"x") for n in range(3)}
    response = client.post("/region/", {"region": "region-b.geo-1", **files})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Too much to send" in body and "nothing was changed" in body
    assert client.session["cloud"]["region"] == "region-a.geo-1"
