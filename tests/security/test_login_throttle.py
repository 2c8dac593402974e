"""Login throttling: at most 5 failures per user name and 20 per client address in 15 minutes,
counted in the shared cache before Identity is called; a success resets the user's count."""

from __future__ import annotations

import threading

import pytest
from django.contrib.sessions.models import Session
from django.test import RequestFactory, override_settings

from console import security
from console.views import CREDENTIALS_REFUSED
from tests.console.login_helpers import log_in
from tests.emulator_process import free_port

pytestmark = pytest.mark.django_db

THROTTLED = "Too many login attempts for this user or from this address. Try again in 15 minutes."


def identity_calls(emulator) -> int:
    return emulator.stats()["identity"]["total"]


def attempt(client, account, password: str | None = None, **extra):
    """POST the login form (`extra`: request headers or META such as REMOTE_ADDR)."""
    data = {
        "username": account["user"],
        "password": password or account["password"],
        "project": account["project"],
    }
    return client.post("/login/", data, **extra)


def fail(client, account, times: int, **extra) -> None:
    for _ in range(times):
        response = attempt(client, account, "wrong", **extra)
        assert response.status_code == 200
        assert CREDENTIALS_REFUSED in response.content.decode()


def test_sixth_attempt_for_a_user_is_refused_without_calling_identity(client, account, emulator):
    fail(client, account, 5)
    before = identity_calls(emulator)

    response = log_in(client, account)  # even the right password waits
    html = response.content.decode()
    assert response.status_code == 429
    assert THROTTLED in html
    assert 'name="password"' in html  # the login form is still there
    assert 880 <= int(response["Retry-After"]) <= 900  # seconds until the oldest failure expires
    assert identity_calls(emulator) == before
    assert Session.objects.count() == 0  # not logged in, and no session row either


def test_user_names_count_without_regard_to_case_or_spaces(client, account):
    for variant in (
        account["user"].upper(),
        f" {account['user']} ",
        account["user"].title(),
        account["user"],
    ):
        fail(client, {**account, "user": variant}, 1)
    fail(client, account, 1)
    assert log_in(client, account).status_code == 429


def test_other_users_from_the_same_address_are_not_held_up(client, account, emulator):
    fail(client, account, 5)
    other = emulator.new_account(f"{account['user']}-other")
    response = log_in(
        client,
        {
            "user": f"{account['user']}-other",
            "password": f"{account['user']}-other-password",
            "project": f"{account['user']}-other",
            **other,
        },
    )
    assert response.status_code == 302


def test_a_success_resets_the_users_count(client, account):
    fail(client, account, 4)
    assert log_in(client, account).status_code == 302
    client.post("/logout/")
    fail(client, account, 4)
    assert log_in(client, account).status_code == 302


def test_twenty_failures_from_one_address_hold_up_every_user_from_it(client, account, emulator):
    for n in range(20):
        fail(client, {**account, "user": f"guess-{n}"}, 1)
    before = identity_calls(emulator)
    response = log_in(client, account)
    assert response.status_code == 429 and THROTTLED in response.content.decode()
    assert identity_calls(emulator) == before
    # The same user from another address is fine: its own count is at 0.
    assert attempt(client, account, REMOTE_ADDR="192.0.2.7").status_code == 302


def test_x_forwarded_for_is_not_trusted_by_default(client, account):
    for n in range(20):
        fail(client, {**account, "user": f"guess-{n}"}, 1, headers={"X-Forwarded-For": f"198.51.100.{n}"})
    response = attempt(client, account, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 429


def test_behind_a_proxy_the_configured_header_names_the_client(client, account, settings):
    settings.LOGIN_THROTTLE_ADDRESS_HEADER = "HTTP_X_REAL_IP"
    for n in range(20):
        fail(client, {**account, "user": f"guess-{n}"}, 1, headers={"X-Real-IP": "198.51.100.1"})
    assert attempt(client, account, HTTP_X_REAL_IP="198.51.100.1").status_code == 429
    assert attempt(client, account, HTTP_X_REAL_IP="198.51.100.2").status_code == 302


def test_ipv6_clients_count_per_64_block():
    factory = RequestFactory()
    one = security.client_address(factory.get("/", REMOTE_ADDR="2001:db8:1:2::1"))
    two = security.client_address(factory.get("/", REMOTE_ADDR="2001:db8:1:2:ffff::9"))
    assert one == two == "2001:db8:1:2::/64"
    assert security.client_address(factory.get("/", REMOTE_ADDR="::ffff:192.0.2.1")) == "192.0.2.1"


def test_identity_failures_do_not_count(client, account, settings):
    good_identity = settings.IDENTITY_URL
    settings.IDENTITY_URL = f"http://127.0.0.1:{free_port()}/v3"
    for _ in range(7):
        response = log_in(client, account)
        assert response.status_code == 200 and "could not reach the cloud" in response.content.decode()
    settings.IDENTITY_URL = good_identity
    assert log_in(client, account).status_code == 302


def test_the_wait_shown_is_the_time_until_the_oldest_failure_expires(client, account, settings):
    settings.LOGIN_THROTTLE_WINDOW = 90
    fail(client, account, 5)
    response = log_in(client, account)
    assert "Try again in 2 minutes." in response.content.decode()
    settings.LOGIN_THROTTLE_WINDOW = 30
    security.login_attempt_begin(RequestFactory().post("/login/"), username="someone-else")
    blocked = [security.login_attempt_begin(RequestFactory().post("/"), username="x") for _ in range(6)][-1]
    assert blocked.refused and blocked.message.endswith("Try again in 1 minute.")


@override_settings(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}}
)
def test_concurrent_attempts_cannot_exceed_the_limit():
    """40 simultaneous guesses for one user: exactly 5 get through to Identity (claims are atomic)."""
    request = RequestFactory().post("/login/", REMOTE_ADDR="192.0.2.10")
    admitted = []
    start = threading.Barrier(40)

    def attempt() -> None:
        start.wait()
        if not security.login_attempt_begin(request, username="target").refused:
            admitted.append(1)

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 5


# --- The admin site's login (local staff accounts) ------------------------------------------------
ADMIN_PASSWORD = "root-Pa55word!"


@pytest.fixture
def staff(django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, for tests
    return django_user_model.objects.create_superuser("root", "root@example.com", ADMIN_PASSWORD)


def admin_login(client, password: str, **extra):
    return client.post("/admin/login/?next=/admin/", {"username": "root", "password": password}, **extra)


def test_admin_login_is_throttled_like_the_consoles(client, staff):
    for _ in range(5):
        response = admin_login(client, "wrong")
        assert (
            response.status_code == 200 and "Please enter the correct username" in response.content.decode()
        )
    response = admin_login(client, ADMIN_PASSWORD)
    assert response.status_code == 429
    assert THROTTLED in response.content.decode()
    assert 880 <= int(response["Retry-After"]) <= 900  # seconds until the oldest failure expires
    assert Session.objects.count() == 0


def test_admin_login_success_resets_the_count(client, staff):
    for _ in range(4):
        admin_login(client, "wrong")
    assert admin_login(client, ADMIN_PASSWORD).status_code == 302
    client.post("/admin/logout/")
    for _ in range(4):
        admin_login(client, "wrong")
    assert admin_login(client, ADMIN_PASSWORD).status_code == 302


def test_admin_posts_refused_by_the_csrf_check_do_not_count(staff):
    from django.test import Client

    forged = Client(enforce_csrf_checks=True)
    for _ in range(10):
        assert admin_login(forged, "wrong").status_code == 403
    assert admin_login(Client(), ADMIN_PASSWORD).status_code == 302


def test_console_and_admin_failures_share_the_address_count(client, account, staff):
    for n in range(15):
        fail(client, {**account, "user": f"guess-{n}"}, 1)
    for _ in range(5):
        admin_login(client, "wrong")
    assert admin_login(client, ADMIN_PASSWORD).status_code == 429
