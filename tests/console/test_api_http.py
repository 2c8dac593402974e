"""console.api.http against canned answers (`responses`): the cases a well-behaved emulator does not
produce on demand. Fault mapping, malformed bodies, timeouts, retries, and the request log."""

import socket

import pytest
import requests
import responses
from django.test import override_settings

from console import api
from console.api import http
from console.api.context import CloudContext
from support.models import ApiCall

pytestmark = pytest.mark.django_db

BASE = "http://cloud.test/volume/region-a.geo-1/v1/p1"
COMPUTE = "http://cloud.test/compute/region-a.geo-1/v2/p1"
TOKEN = "tok-SECRET-123"
VOLUME = (
    b'{"volume": {"id": "v1", "status": "available", "size": 1, "availability_zone": "az2", '
    b'"display_name": "data", "created_at": "2013-01-30T13:38:50.411386", "bootable": "false", '
    b'"attachments": [], "metadata": {}}}'
)


@pytest.fixture(autouse=True)
def _fast(settings, monkeypatch):
    settings.API_RATE_PER_PROJECT = 0  # no budget waits here: tests/console/test_api_budget.py
    settings.API_READ_RETRIES = 2
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0.01)


def make_ctx(volume_url: str = BASE, **changes) -> CloudContext:
    values = {
        "token": TOKEN,
        "user_id": "u1",
        "user_name": "alice",
        "project_id": "p1",
        "project_name": "alpha",
        "region": "region-a.geo-1",
        "volume_url": volume_url,
        "compute_url": COMPUTE,
        "console_request_id": "console-req-1",
        **changes,
    }
    return CloudContext(**values)


def test_context_repr_hides_the_token():
    assert TOKEN not in repr(make_ctx())
    assert "alice" in repr(make_ctx())


@responses.activate
def test_success_sends_token_accept_and_logs_one_row():
    responses.get(f"{BASE}/volumes/v1", body=VOLUME, headers={"X-Compute-Request-Id": "req-aaa"})
    volume = api.volume_get(make_ctx(), "v1")
    assert volume.id == "v1" and volume.name == "data"
    sent = responses.calls[0].request
    assert sent.headers["X-Auth-Token"] == TOKEN
    assert sent.headers["Accept"] == "application/json"
    (row,) = ApiCall.objects.all()
    assert (row.request_id, row.console_request_id, row.status, row.method) == (
        "req-aaa",
        "console-req-1",
        200,
        "GET",
    )
    assert (row.service, row.path, row.resource_type, row.resource_id) == (
        "volume",
        "/volume/region-a.geo-1/v1/p1/volumes/v1",
        "volume",
        "v1",
    )
    assert (row.user_id, row.user_name, row.project_id, row.project_name, row.region) == (
        "u1",
        "alice",
        "p1",
        "alpha",
        "region-a.geo-1",
    )
    assert row.duration_ms >= 0 and row.fault == "" and row.attempt == 1 and row.priority == "user"


@responses.activate
@override_settings(BLOCK_STORAGE_FORMAT="xml")
def test_xml_requests_send_xml_bodies():
    responses.post(
        f"{BASE}/volumes",
        body=b'<volume id="v1" status="creating" size="1" display_name="data"><metadata/></volume>',
        headers={"Content-Type": "application/xml"},
    )
    volume = api.volume_create(make_ctx(), size=1, display_name="data", metadata={"k": "v"})
    sent = responses.calls[0].request
    assert sent.headers["Accept"] == sent.headers["Content-Type"] == "application/xml"
    assert (
        sent.body.startswith(b"<?xml") and b'size="1"' in sent.body and b'<meta key="k">v</meta>' in sent.body
    )
    assert (volume.status, volume.display_name) == ("creating", "data")


@responses.activate
def test_json_request_bodies_leave_out_what_was_not_given():
    responses.put(f"{BASE}/volumes/v1", body=VOLUME)
    api.volume_update(make_ctx(), "v1", display_description=None)
    assert responses.calls[0].request.body == b'{"volume": {"display_description": null}}'
    responses.post(f"{BASE}/backups/b1/restore", body=b'{"restore": {"backup_id": "b1", "volume_id": "v9"}}')
    assert api.backup_restore(make_ctx(), "b1") == api.Restore("b1", "v9")
    assert responses.calls[1].request.body == b'{"restore": {}}'


def test_a_region_without_compute_has_no_servers_and_cannot_attach():
    ctx = make_ctx(compute_url="")
    assert api.server_list(ctx) == [] and api.image_list(ctx) == []
    with pytest.raises(api.CatalogError):
        api.attachment_create(ctx, "s1", volume_id="v1")
    assert ApiCall.objects.count() == 0


@responses.activate
def test_resource_ids_cannot_escape_their_path_segment():
    responses.get(f"{BASE}/volumes/..%2Fsnapshots%3Fx", body=VOLUME)
    api.volume_get(make_ctx(), "../snapshots?x")
    assert responses.calls[0].request.path_url.endswith("/volumes/..%2Fsnapshots%3Fx")


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, api.BadRequest),
        (401, api.Unauthorized),
        (403, api.Forbidden),
        (404, api.NotFound),
        (409, api.ApiError),
        (413, api.OverLimit),
        (500, api.ServerError),
        (503, api.ServiceUnavailable),
    ],
)
@responses.activate
def test_fault_statuses_map_to_typed_errors(status, cls):
    body = f'{{"someFault": {{"code": {status}, "message": "It went wrong."}}}}'
    responses.delete(
        f"{BASE}/volumes/v1", body=body, status=status, headers={"X-Compute-Request-Id": "req-f"}
    )
    with pytest.raises(cls) as caught:
        api.volume_delete(make_ctx(), "v1")
    assert type(caught.value) is cls
    assert (caught.value.status, caught.value.message, caught.value.fault, caught.value.request_id) == (
        status,
        "It went wrong.",
        "someFault",
        "req-f",
    )
    row = ApiCall.objects.get()
    assert (row.status, row.fault, row.message, row.request_id) == (
        status,
        "someFault",
        "It went wrong.",
        "req-f",
    )


@responses.activate
@override_settings(BLOCK_STORAGE_FORMAT="xml")
def test_fault_body_in_the_other_format_is_read():
    responses.delete(
        f"{BASE}/volumes/v1",
        status=404,
        body=b'{"itemNotFound": {"code": 404, "message": "Volume v1 could not be found."}}',
        headers={"X-Compute-Request-Id": "req-x"},
    )
    with pytest.raises(api.NotFound) as caught:
        api.volume_delete(make_ctx(), "v1")
    assert (caught.value.message, caught.value.fault) == ("Volume v1 could not be found.", "itemNotFound")


@responses.activate
def test_xml_fault_when_json_was_asked_for():
    responses.post(
        f"{BASE}/snapshots",
        status=400,
        body=b'<badRequest code="400" xmlns="http://docs.openstack.org/volume/api/v1">'
        b"<message>Invalid volume: must be available</message></badRequest>",
    )
    with pytest.raises(api.BadRequest) as caught:
        api.snapshot_create(make_ctx(), volume_id="v1")
    assert (caught.value.message, caught.value.fault) == ("Invalid volume: must be available", "badRequest")


@responses.activate
def test_fault_without_body_still_has_a_message_and_request_id():
    responses.delete(f"{BASE}/volumes/v1", status=403, body=b"", headers={"X-Compute-Request-Id": "req-e"})
    with pytest.raises(api.Forbidden) as caught:
        api.volume_delete(make_ctx(), "v1")
    assert caught.value.message == "403 Forbidden"
    assert (caught.value.fault, caught.value.request_id) == ("", "req-e")


@pytest.mark.parametrize(
    "body",
    [
        b'{"volume": {"id": "v1"',
        b'{"volumes": []}',
        b"<volume id='v1' status='available'",
        b"",
        b"plain text",
    ],
)
@responses.activate
def test_malformed_success_bodies_raise_malformed_response_with_the_request_id(body):
    responses.get(f"{BASE}/volumes/v1", body=body, headers={"X-Compute-Request-Id": "req-m"})
    with pytest.raises(api.MalformedResponse) as caught:
        api.volume_get(make_ctx(), "v1")
    assert (caught.value.status, caught.value.request_id) == (200, "req-m")
    row = ApiCall.objects.get()
    assert (row.status, row.fault) == (200, "malformedResponse")


@responses.activate
@override_settings(BLOCK_STORAGE_FORMAT="xml")
def test_malformed_xml_raises_malformed_response():
    responses.get(f"{BASE}/volumes/detail", body=b"<volumes><volume id='v1'></volumes>")
    with pytest.raises(api.MalformedResponse):
        api.volume_list(make_ctx())


@responses.activate
def test_timeout_of_a_create_is_not_retried():
    responses.post(f"{BASE}/volumes", body=requests.ReadTimeout("slow"))
    with pytest.raises(api.Timeout) as caught:
        api.volume_create(make_ctx(), size=1)
    assert caught.value.status is None
    assert len(responses.calls) == 1
    row = ApiCall.objects.get()
    assert (row.status, row.fault, row.request_id) == (None, "timeout", "")


@responses.activate
def test_connection_reset_of_a_read_is_retried():
    responses.get(f"{BASE}/volumes/v1", body=requests.ConnectionError("reset by peer"))
    responses.get(f"{BASE}/volumes/v1", body=VOLUME, headers={"X-Compute-Request-Id": "req-2"})
    assert api.volume_get(make_ctx(), "v1").id == "v1"
    assert list(ApiCall.objects.order_by("id").values_list("attempt", "status", "fault")) == [
        (1, None, "connectionFailed"),
        (2, 200, ""),
    ]


def test_connection_refused_on_a_closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nobody listens there
    ctx = make_ctx(volume_url=f"http://127.0.0.1:{port}/volume/region-a.geo-1/v1/p1")
    with pytest.raises(api.ConnectionFailed) as caught:
        api.volume_list(ctx)
    assert caught.value.status is None
    assert ApiCall.objects.count() == 3  # the first try and API_READ_RETRIES retries


@responses.activate
def test_5xx_is_retried_for_get():
    responses.get(
        f"{BASE}/snapshots/detail", status=500, body=b'{"computeFault": {"code": 500, "message": "x"}}'
    )
    responses.get(f"{BASE}/snapshots/detail", status=503, body=b"")
    responses.get(f"{BASE}/snapshots/detail", body=b'{"snapshots": []}')
    assert api.snapshot_list(make_ctx()) == []
    assert len(responses.calls) == 3


@responses.activate
def test_5xx_retries_are_bounded():
    responses.get(f"{BASE}/snapshots/detail", status=500, body=b"")
    with pytest.raises(api.ServerError):
        api.snapshot_list(make_ctx())
    assert len(responses.calls) == 3


@responses.activate
def test_5xx_is_not_retried_for_post():
    responses.post(f"{BASE}/backups", status=500, body=b'{"computeFault": {"code": 500, "message": "x"}}')
    with pytest.raises(api.ServerError):
        api.backup_create(make_ctx(), volume_id="v1")
    assert len(responses.calls) == 1


@responses.activate
def test_rate_limit_413_on_get_waits_retry_after(monkeypatch):
    pauses = []
    monkeypatch.setattr(http.time, "sleep", pauses.append)
    responses.get(
        f"{BASE}/limits",
        status=413,
        body=b'{"overLimit": {"code": 413, "message": "This request was rate-limited.", "retryAfter": 2}}',
    )
    responses.get(f"{BASE}/limits", body=b'{"limits": {"rate": [], "absolute": {"maxTotalVolumes": 10}}}')
    assert api.limits_get(make_ctx()).max_total_volumes == 10
    assert pauses == [2.0]


@responses.activate
def test_rate_limit_retry_after_header_and_cap(monkeypatch, settings):
    settings.API_RETRY_MAX_WAIT = 5
    monkeypatch.setattr(http.time, "sleep", lambda seconds: None)
    responses.get(f"{BASE}/limits", status=413, body=b"", headers={"Retry-After": "60"})
    with pytest.raises(api.OverLimit) as caught:
        api.limits_get(make_ctx())
    assert caught.value.retry_after == 60.0
    assert len(responses.calls) == 1  # asked to wait longer than the cap: no retry


@responses.activate
def test_quota_413_on_create_is_not_retried():
    message = "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed Gigabytes quota"
    responses.post(
        f"{BASE}/volumes",
        status=413,
        body=f'{{"overLimit": {{"code": 413, "message": "{message}", "retryAfter": 0}}}}',
    )
    with pytest.raises(api.OverLimit) as caught:
        api.volume_create(make_ctx(), size=2000)
    assert (caught.value.message, caught.value.retry_after) == (message, 0.0)
    assert len(responses.calls) == 1


@responses.activate
def test_rate_limited_create_is_sent_again_after_the_delay(monkeypatch):
    """A rate-limit 413 means the API refused the create unprocessed: sending it again is safe."""
    pauses = []
    monkeypatch.setattr(http.time, "sleep", pauses.append)
    responses.post(
        f"{BASE}/volumes",
        status=413,
        body=b'{"overLimit": {"code": 413, "message": "This request was rate-limited.", "retryAfter": 1}}',
    )
    responses.post(f"{BASE}/volumes", body=VOLUME)
    volume = api.volume_create(make_ctx(), size=1)
    assert volume.id and len(responses.calls) == 2
    assert 1.0 in pauses


@responses.activate
def test_capture_request_ids_collects_every_call():
    responses.get(f"{BASE}/volumes/v1", body=VOLUME, headers={"X-Compute-Request-Id": "req-1"})
    responses.get(
        f"{COMPUTE}/servers/detail", body=b'{"servers": []}', headers={"X-Compute-Request-Id": "req-2"}
    )
    with api.capture_request_ids() as outer:
        api.volume_get(make_ctx(), "v1")
        with api.capture_request_ids() as inner:
            api.server_list(make_ctx())
    assert (outer, inner) == (["req-1", "req-2"], ["req-2"])


@responses.activate
def test_a_failing_request_log_never_breaks_the_call(monkeypatch, caplog):
    def broken_save(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ApiCall, "save", broken_save)
    responses.get(f"{BASE}/volumes/v1", body=VOLUME)
    assert api.volume_get(make_ctx(), "v1").id == "v1"
    assert "could not write the request log row" in caplog.text


@responses.activate
def test_no_token_in_the_request_log():
    responses.get(f"{BASE}/volumes/v1", status=401, body=b'{"unauthorized": {"code": 401, "message": "no"}}')
    with pytest.raises(api.Unauthorized):
        api.volume_get(make_ctx(), "v1")
    row = ApiCall.objects.values().get()
    assert not any(TOKEN in str(value) for value in row.values())


@responses.activate
def test_a_retry_that_gets_no_budget_turn_reports_the_real_error(settings, monkeypatch):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.API_RATE_PER_PROJECT = 0.1  # one call per 10 s: a background retry finds no free slot
    monkeypatch.setattr(http.time, "sleep", lambda seconds: None)
    responses.get(f"{BASE}/volumes/detail", status=500, body=b"")
    with pytest.raises(api.ServerError):
        api.volume_list(make_ctx(priority=api.Priority.BACKGROUND))
    assert len(responses.calls) == 1


@responses.activate
def test_every_call_has_explicit_timeouts_and_one_pooled_session(settings, monkeypatch):
    settings.API_CONNECT_TIMEOUT, settings.API_READ_TIMEOUT = 1.5, 7.0
    responses.get(f"{BASE}/volumes/v1", body=VOLUME)
    api.volume_get(make_ctx(), "v1")
    assert responses.calls[0].request.req_kwargs["timeout"] == (1.5, 7.0)
    session = http._session()
    assert http._session() is session  # one per process, reused (connection pooling)
    monkeypatch.setattr(http.os, "getpid", lambda: -1)  # as in a forked worker
    assert http._session() is not session
