"""The console's own error pages: plain words, no traceback, no private data."""

import pytest
from django.test import override_settings
from django.urls import path

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
