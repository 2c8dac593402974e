"""The overview when /limits fails, is slow, rate-limited, malformed, or answers odd shapes.

Failures come from a separate emulator's fault hook; `responses` serves only the /limits shapes the
emulator cannot produce (missing keys, zero or invalid maxima, total*Used fields, rate limits).
"""

from __future__ import annotations

import json
import re

import pytest
import responses
from django.core.cache import cache

from console import api
from tests.attachments.conftest import wait_for
from tests.console.login_helpers import context_of, log_in
from tests.emulator_process import FAST, EmulatorProcess

pytestmark = pytest.mark.django_db

LIMITS_URL = re.compile(r".*/volume/region-a\.geo-1/v1/\d+/limits(\.json)?$")


@pytest.fixture(scope="module")
def faulty():
    proc = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0"}).start()
    yield proc
    proc.stop()


@pytest.fixture
def console_on(client, settings):
    """Log a fresh account in to the console against `emulator`; returns (client, account)."""
    accounts = iter(range(10**6))

    def login(emulator):
        settings.IDENTITY_URL = emulator.identity_url
        settings.API_RATE_PER_PROJECT = 0
        settings.API_RETRY_MAX_WAIT = 0.2
        cache.clear()
        name = f"ovf{id(client) % 10**6}x{next(accounts)}"
        account = {"user": name, "password": f"{name}-password", "project": name}
        account.update(emulator.new_account(name))
        assert log_in(client, account).status_code == 302
        return client, account

    return login


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def faults_off(faulty):
    yield
    faulty.set_faults()


@pytest.mark.parametrize("wire", ["json", "xml"])
@pytest.mark.parametrize(
    ("faults", "words"),
    [
        ({"error_rate": 1.0}, "The cloud had a problem with this request."),
        ({"overlimit_rate": 1.0}, "This request was rate-limited."),
        ({"malformed_rate": 1.0}, "The cloud answered something the console cannot read."),
    ],
)
def test_failing_limits_still_render_with_the_request_id(
    faulty, faults_off, console_on, settings, wire, faults, words
):
    settings.BLOCK_STORAGE_FORMAT = wire
    client, account = console_on(faulty)
    faulty.set_faults(project=account["project_id"], **faults)
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html and words in html
    request_id = re.search(r'<code class="request-id">([^<]+)</code>', html).group(1)
    assert request_id.startswith("req-")
    log = faulty.hook("GET", f"/_emulator/log?project={account['project_id']}&limit=100")["log"]
    assert request_id in {entry["request_id"] for entry in log}
    text = text_of(html)
    assert "Quota in region-a.geo-1" in text and "limit unknown" in text and "The limit is unknown." in text
    assert "The rate limits could not be read" in text


def test_slow_limits_too_slow_to_wait_for(faulty, faults_off, console_on, settings):
    client, account = console_on(faulty)
    settings.API_READ_TIMEOUT = 0.3
    settings.API_READ_RETRIES = 0
    faulty.set_faults(project=account["project_id"], latency_ms=1200)
    html = client.get("/").content.decode()
    assert "The cloud did not answer in time." in html
    assert re.search(r"Console request id:</span>\s*<code class=\"request-id\">[0-9a-f]{32}</code>", html)

    # Slow but within the timeout: the charts show as usual.
    settings.API_READ_TIMEOUT = 5.0
    faulty.set_faults(project=account["project_id"], latency_ms=300)
    cache.clear()
    html = client.get("/").content.decode()
    assert "0 of 10 used (0%)" in text_of(html)


def test_usage_above_the_maximum(emulator, console_on):
    client, account = console_on(emulator)
    ctx = context_of(client)
    made = [api.volume_create(ctx, size=1, display_name=f"v{n}") for n in range(3)]
    wait_for(lambda: all(api.volume_get(ctx, v.id).status == "available" for v in made))
    emulator.hook("PUT", f"/_emulator/quotas/{account['project_id']}", {"volumes": 2, "gigabytes": 2})
    text = text_of(client.get("/").content.decode())
    assert "3 of 2 used (150%)" in text and "Over the limit: 3 used of 2." in text
    assert "3 of 2 GB used (150%)" in text


def limits_body(absolute: dict, rate: list | None = None) -> str:
    return json.dumps({"limits": {"rate": rate or [], "absolute": absolute}})


@pytest.fixture
def limits_answer(emulator):
    """Serve GET /limits from `responses`; every other call goes to the real emulator."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(emulator.url)

        def answer(absolute: dict, rate: list | None = None) -> None:
            mock.add(
                responses.GET,
                LIMITS_URL,
                body=limits_body(absolute, rate),
                content_type="application/json",
                headers={"X-Compute-Request-Id": "req-limits-mock"},
            )

        yield answer


def test_missing_keys_say_what_is_missing(emulator, console_on, limits_answer):
    limits_answer({})
    client, _ = console_on(emulator)
    html = client.get("/").content.decode()
    warning = text_of(re.search(r'data-testid="limits-missing">.*?</div>', html, re.S).group(0))
    assert "maxTotalVolumes (the most volumes and snapshots)" in warning
    assert "maxTotalVolumeGigabytes (the most gigabytes)" in warning
    assert "req-limits-mock" in warning
    assert text_of(html).count("The limit is unknown.") == 2


def test_zero_and_invalid_maxima(emulator, console_on, limits_answer):
    limits_answer({"maxTotalVolumes": 0, "maxTotalVolumeGigabytes": -5})
    client, _ = console_on(emulator)
    html = client.get("/").content.decode()
    text = text_of(html)
    assert "The quota is 0: nothing more can be created." in text
    assert "maxTotalVolumeGigabytes (the most gigabytes)" in text and "maxTotalVolumes (" not in text
    assert "-5" not in text


def test_reported_usage_wins_and_rate_limits_are_listed_escaped(emulator, console_on, limits_answer):
    rate = [
        {
            "uri": "<script>alert(1)</script>",
            "regex": ".*",
            "limit": [{"verb": "POST", "value": 10, "unit": "MINUTE", "remaining": 7}],
        }
    ]
    absolute = {
        "maxTotalVolumes": 10,
        "maxTotalVolumeGigabytes": 100,
        "totalVolumesUsed": 7,
        "totalSnapshotsUsed": 1,
        "totalGigabytesUsed": 85,
    }
    limits_answer(absolute, rate)
    client, _ = console_on(emulator)
    html = client.get("/").content.decode()
    text = text_of(html)
    assert "8 of 10 used (80%)" in text and "Nearly full (80%). 2 left." in text
    assert "85 of 100 GB used (85%)" in text and "Used: 85 GB" in text
    table = re.search(r'data-testid="rate-limits">.*?</table>', html, re.S).group(0)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in table and "<script>alert" not in html
    assert "10 per minute" in text_of(table) and "7" in text_of(table)
    assert "The API reports no rate limits." not in text
    assert "The spec documents a limit of 1 call per second for each project." in text


def test_a_cloud_that_refuses_connections_is_called_unreachable_on_every_page(console_on, settings):
    """A stored failure keeps its kind: pages say the console could not reach the cloud (what to check
    first), never "something went wrong" (which sends people to support)."""
    gone = EmulatorProcess(env={**FAST, "EMULATOR_RATE": "0"}).start()
    try:
        client, account = console_on(gone)
        assert client.get("/volumes/").status_code == 200  # the listings are loaded
        cache.clear()  # every page must fetch its listings again, from a cloud that is gone
        gone.stop()
        for url in ("/", "/volumes/", "/snapshots/", "/backups/", "/servers/"):
            text = text_of(client.get(url).content.decode())
            assert "The console could not reach the cloud." in text, url
            assert "Something went wrong" not in text, url
    finally:
        gone.stop()
