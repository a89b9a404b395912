"""Sign-in that resists guessing: the sign-in page, the API's token endpoint and password reset, keyed
on the client's real address (X-Forwarded-For only as far as TRUSTED_PROXY_COUNT trusts it) and on the
account. The same across web processes: tests/test_signin_gunicorn.py."""

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import limits
from accounts.clients import client_ip

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
TOKEN = reverse("api:token")
RESET = reverse("password_reset")
PASSWORD = "a-test-password-1"  # the factories' password


@pytest.fixture(autouse=True)
def fresh_counters():
    """Reset counters live in the shared cache, outside the test's transaction."""
    cache.clear()
    yield
    cache.clear()


def sign_in(client: Client, password: str, username: str = "rosalind", **headers: str):
    return client.post(LOGIN, {"username": username, "password": password}, headers=headers)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_after_ten_wrong_ones_is_refused_with_when_to_try_again(user, client):
    statuses = [sign_in(client, f"guess-{n}").status_code for n in range(10)]
    assert statuses == [200] * 9 + [429]  # the form again, then the pause
    response = sign_in(client, PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    assert response["Retry-After"] == "900"
    page = response.content.decode()
    assert "Signing in is paused" in page
    assert "(in 15 minutes)" in page
    assert "rosalind" not in page  # names no account


def test_sign_in_works_again_after_the_cool_off(user, client, settings):
    for n in range(10):
        sign_in(client, f"guess-{n}")
    assert sign_in(client, PASSWORD).status_code == 429
    # The cool-off counts from the last try: move every try back past it.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME
    )
    response = sign_in(client, PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_a_spoofed_forwarded_for_changes_nothing_without_a_trusted_proxy(user, client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    # Every try names another account and claims another address: only the connection's address counts.
    for n in range(10):
        sign_in(client, "guess", username=f"someone-{n}", **{"X-Forwarded-For": f"198.51.100.{n}"})
    response = sign_in(client, PASSWORD, **{"X-Forwarded-For": "203.0.113.77"})
    assert response.status_code == 429
    assert not signed_in(client)


def test_behind_one_proxy_the_address_the_proxy_saw_counts(user, client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The proxy appends the address it saw; whatever the client wrote before it is ignored.
    for n in range(10):
        sign_in(client, "guess", username=f"someone-{n}", **{"X-Forwarded-For": f"10.0.0.{n}, 203.0.113.5"})
    assert sign_in(client, PASSWORD, **{"X-Forwarded-For": "10.9.9.9, 203.0.113.5"}).status_code == 429
    # Another client behind the same proxy is not paused.
    assert sign_in(client, PASSWORD, **{"X-Forwarded-For": "203.0.113.6"}).status_code == 302


def test_an_account_is_paused_whatever_address_the_tries_come_from(user, client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(10):
        sign_in(client, f"guess-{n}", **{"X-Forwarded-For": f"203.0.113.{n}"})
    assert sign_in(client, PASSWORD, **{"X-Forwarded-For": "198.51.100.1"}).status_code == 429


def test_an_unknown_username_is_paused_the_same_way(user, client):
    """The answer tells nothing about whether an account exists."""

    def page(username: str) -> str:
        html = sign_in(Client(), "guess", username=username).content.decode().replace(username, "")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)

    assert page("rosalind") == page("nobody-here")
    for _ in range(9):
        sign_in(client, "guess", username="nobody-here")
    assert sign_in(client, "guess", username="nobody-here").status_code == 429


def test_the_admin_sign_in_is_paused_too(user, client):
    for n in range(10):
        client.post(reverse("admin:login"), {"username": "rosalind", "password": f"guess-{n}"})
    assert (
        client.post(reverse("admin:login"), {"username": "rosalind", "password": PASSWORD}).status_code == 429
    )


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "192.0.2.1", "203.0.113.9", "192.0.2.1"),
        (1, "192.0.2.1", "203.0.113.9", "203.0.113.9"),
        (1, "192.0.2.1", "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        (2, "192.0.2.1", "1.2.3.4, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "192.0.2.1", "203.0.113.9", "192.0.2.1"),  # fewer entries than proxies: not through them all
        (1, "192.0.2.1", "", "192.0.2.1"),
        (1, "192.0.2.1", "not-an-address", "192.0.2.1"),
        (1, "192.0.2.1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address(rf, settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


# The API's token endpoint


def test_the_token_endpoint_and_the_sign_in_page_count_failures_together(user, client):
    for n in range(5):
        sign_in(client, f"guess-{n}")
    api = APIClient()
    statuses = [
        api.post(TOKEN, {"username": "rosalind", "password": f"guess-{n}"}).status_code for n in range(5)
    ]
    assert statuses == [400] * 4 + [429]
    response = api.post(TOKEN, {"username": "rosalind", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "token" not in response.json()
    assert response.json()["detail"].endswith("Try again in 15 minutes.")
    assert response.json()["problems"] == []
    assert response["Retry-After"] == "900"


def test_the_token_endpoint_ignores_a_spoofed_forwarded_for(user, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    api = APIClient()
    for n in range(10):
        api.post(
            TOKEN, {"username": f"someone-{n}", "password": "guess"}, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )
    response = api.post(
        TOKEN, {"username": "rosalind", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.1"
    )
    assert response.status_code == 429


def test_a_wrong_password_gets_the_same_answer_as_an_unknown_user(user):
    wrong = APIClient().post(TOKEN, {"username": "rosalind", "password": "guess"}, format="json")
    unknown = APIClient().post(TOKEN, {"username": "nobody-here", "password": "guess"}, format="json")
    assert wrong.status_code == unknown.status_code == 400
    assert (
        wrong.json()
        == unknown.json()
        == {
            "detail": "The request was refused.",
            "problems": [{"message": "Unable to log in with provided credentials."}],
        }
    )


# Password reset


def test_reset_e_mails_to_one_address_are_limited(user, client, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 3
    statuses = [Client().post(RESET, {"email": "rosalind@example.org"}).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert len(mail.outbox) == 3
    response = client.post(RESET, {"email": "ROSALIND@example.org"})  # the same address
    assert response.status_code == 429
    assert "Too many password reset requests" in response.content.decode()
    assert int(response["Retry-After"]) <= settings.PASSWORD_RESET_WINDOW_SECONDS
    assert len(mail.outbox) == 3


def test_reset_requests_from_one_client_are_limited(user, client, settings):
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 5
    statuses = [client.post(RESET, {"email": f"someone-{n}@example.org"}).status_code for n in range(5)]
    assert statuses == [302] * 5
    assert client.post(RESET, {"email": "rosalind@example.org"}).status_code == 429
    assert mail.outbox == []
    # Another client still gets its e-mail.
    assert Client(REMOTE_ADDR="192.0.2.44").post(RESET, {"email": "rosalind@example.org"}).status_code == 302
    assert len(mail.outbox) == 1


def test_an_unknown_address_is_counted_and_answered_like_a_known_one(user, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 1
    for email in ("rosalind@example.org", "nobody@example.org"):
        first = Client().post(RESET, {"email": email})
        second = Client().post(RESET, {"email": email})
        assert (first.status_code, first["Location"]) == (302, reverse("password_reset_done"))
        assert second.status_code == 429
    assert len(mail.outbox) == 1


def test_a_limit_counts_per_key_and_waits_until_its_window_ends():
    assert limits.limit_take(scope="t", key="k", limit=1, window=3600) == 0
    wait = limits.limit_take(scope="t", key="k", limit=1, window=3600)
    assert 0 < wait <= 3600
    assert abs(limits.limit_take(scope="t", key="K ", limit=1, window=3600) - wait) <= 1  # the same key
    assert limits.limit_take(scope="t", key="other", limit=1, window=3600) == 0
    assert limits.limit_take(scope="u", key="k", limit=1, window=3600) == 0
