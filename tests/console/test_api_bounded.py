"""Every call to the cloud is bounded in time and in size, whatever the server does byte by byte.

A real server on loopback (tests/hostile_cloud.py) drips its answers, never ends them, or sends a
gzip bomb; the console's one client (console.api.http) must end each call, retries included, by
API_CALL_DEADLINE and refuse any answer over API_MAX_RESPONSE_BYTES (counted after decompression)
while it streams in, with a clear message.
"""

from __future__ import annotations

import gzip
import time
import tracemalloc

import pytest

from console import api
from console.api import http
from console.api.context import CloudContext
from support.models import ApiCall
from tests.hostile_cloud import Answer, HostileCloud, drip, endless

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def server():
    with HostileCloud() as cloud:
        yield cloud


@pytest.fixture
def cloud(server, settings):
    server.reset()
    settings.API_RATE_PER_PROJECT = 0
    settings.API_READ_TIMEOUT = 20.0  # far longer than the deadlines below: they must do the cutting
    settings.API_READ_RETRIES = 2
    settings.API_CALL_DEADLINE = 2.0
    return server


def ctx_for(cloud: HostileCloud) -> CloudContext:
    return CloudContext(
        token="t0ken",
        user_id="u1",
        user_name="alice",
        project_id="p1",
        project_name="alpha",
        region="region-a.geo-1",
        volume_url=cloud.volume_url,
        compute_url=cloud.compute_url,
    )


def timed(call):
    started = time.monotonic()
    try:
        call()
    except api.ApiError as error:
        return time.monotonic() - started, error
    return time.monotonic() - started, None


def test_an_answer_that_drips_its_headers_ends_at_the_deadline(cloud):
    cloud.answers[("GET", "/volumes/detail")] = drip(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 500, every=0.1)
    elapsed, error = timed(lambda: api.volume_list(ctx_for(cloud)))
    assert isinstance(error, api.Timeout)
    assert error.message == "The cloud did not answer in time."
    assert elapsed < 3.0  # API_CALL_DEADLINE 2 s, not 3 x API_READ_TIMEOUT


def test_an_answer_that_drips_its_body_ends_at_the_deadline(cloud):
    body = b'{"volumes": [' + b" " * 2000 + b"]}"
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    cloud.answers[("GET", "/volumes/detail")] = drip(head.encode() + body, every=0.02)
    elapsed, error = timed(lambda: api.volume_list(ctx_for(cloud)))
    assert isinstance(error, api.Timeout)
    assert elapsed < 3.0
    assert ApiCall.objects.get().fault == "timeout"  # one attempt: no time was left for a retry


def test_retries_and_their_pauses_stay_inside_the_deadline(cloud, settings, monkeypatch):
    settings.API_READ_RETRIES = 10
    settings.API_RETRY_MAX_WAIT = 1.0
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0.4)

    def slow_failure(handler):
        time.sleep(0.5)
        from tests.hostile_cloud import write

        write(handler, Answer(503, b'{"serviceUnavailable": {"code": 503, "message": "Busy."}}'))

    cloud.answers[("GET", "/snapshots/detail")] = slow_failure
    elapsed, error = timed(lambda: api.snapshot_list(ctx_for(cloud)))
    assert isinstance(error, api.ServiceUnavailable) and error.message == "Busy."
    assert elapsed < 2.6
    assert 1 < ApiCall.objects.count() < 11


def test_a_tighter_call_deadline_block_wins(cloud):
    cloud.answers[("GET", "/limits")] = drip(b"HTTP/1.1 200 OK\r\n" + b"X" * 100, every=0.1)
    with http.call_deadline(0.5):
        elapsed, error = timed(lambda: api.limits_get(ctx_for(cloud)))
    assert isinstance(error, api.Timeout) and elapsed < 1.4


def test_an_endless_body_is_refused_at_the_size_limit(cloud, settings):
    settings.API_MAX_RESPONSE_BYTES = 1 * MiB
    cloud.answers[("GET", "/volumes/detail")] = endless(b'{"volumes": [' + b" " * 65536)
    elapsed, error = timed(lambda: api.volume_list(ctx_for(cloud)))
    assert isinstance(error, api.ResponseTooLarge) and isinstance(error, api.MalformedResponse)
    assert error.message == "The cloud's answer was larger than the console accepts (1 MiB); it was not read."
    assert error.status == 200
    assert elapsed < 2.0
    row = ApiCall.objects.get()
    assert (row.fault, row.status) == ("responseTooLarge", 200)


def test_a_declared_length_over_the_limit_is_refused_before_reading(cloud, settings):
    settings.API_MAX_RESPONSE_BYTES = 1000
    cloud.answers[("GET", "/backups/detail")] = Answer(200, b'{"backups": []}' + b" " * 2000)
    _, error = timed(lambda: api.backup_list(ctx_for(cloud)))
    assert isinstance(error, api.ResponseTooLarge)
    assert "(1000 bytes)" in error.message


def test_a_gzip_bomb_is_refused_without_unpacking_it(cloud, settings):
    """64 MiB of JSON whitespace packs into about 64 kB: only the first MiB is ever inflated."""
    settings.API_MAX_RESPONSE_BYTES = 1 * MiB
    bomb = gzip.compress(b'{"volumes": [' + b" " * (64 * MiB) + b"]}", compresslevel=9)
    assert len(bomb) < 128 * 1024
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    cloud.answers[("GET", "/volumes/detail")] = Answer(200, bomb, headers)
    tracemalloc.start()
    try:
        _, error = timed(lambda: api.volume_list(ctx_for(cloud)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(error, api.ResponseTooLarge)
    assert peak < 8 * MiB, f"{peak / MiB:.1f} MiB held while refusing a bomb"


def test_a_small_gzip_answer_is_read(cloud):
    body = gzip.compress(b'{"volumes": []}')
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    cloud.answers[("GET", "/volumes/detail")] = Answer(200, body, headers)
    assert api.volume_list(ctx_for(cloud)) == []


def test_a_broken_gzip_answer_is_malformed(cloud):
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    cloud.answers[("GET", "/volumes/detail")] = Answer(200, b"\x1f\x8b\x08\x00garbage", headers)
    _, error = timed(lambda: api.volume_list(ctx_for(cloud)))
    assert isinstance(error, api.MalformedResponse)


def test_a_truncated_answer_is_a_broken_connection_and_retried(cloud, monkeypatch):
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0.01)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    cloud.answers[("GET", "/volumes/detail")] = drip(head + b'{"volumes": [', every=0)
    _, error = timed(lambda: api.volume_list(ctx_for(cloud)))
    assert isinstance(error, api.ConnectionFailed)
    assert error.message == "The cloud's answer broke off before its end."
    assert ApiCall.objects.count() == 3


def test_a_hostile_request_id_is_cut_to_printable_ascii(cloud):
    headers = {"Content-Type": "application/json", "X-Compute-Request-Id": "req-" + "\x01é<b>" + "x" * 5000}
    cloud.answers[("GET", "/volumes/detail")] = Answer(200, b'{"volumes": []}', headers)
    with api.capture_request_ids() as ids:
        api.volume_list(ctx_for(cloud))
    assert ids == [("req-<b>" + "x" * 5000)[: http.MAX_REQUEST_ID]]
