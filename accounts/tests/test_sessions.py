"""Sessions end after a while idle, a while after signing in, and at a change of password; their cookie
is out of reach of scripts."""

import time

import pytest
from django.urls import reverse

from accounts import sessions

pytestmark = pytest.mark.django_db

HOME = reverse("network:home")


def set_session(client, **values) -> None:
    session = client.session
    session.update(values)
    session.save()


def test_an_idle_session_ends_with_a_message(user, client_for, settings):
    client = client_for(user)
    assert client.get(HOME).status_code == 200
    set_session(client, **{sessions.SEEN: int(time.time()) - settings.SESSION_IDLE_MINUTES * 60 - 5})
    response = client.get(HOME, follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert (
        f"signed out after {settings.SESSION_IDLE_MINUTES} minutes without activity"
        in response.content.decode()
    )


def test_an_active_session_ends_hours_after_signing_in(user, client_for, settings):
    client = client_for(user)
    now = int(time.time())
    set_session(
        client, **{sessions.SIGNED_IN: now - settings.SESSION_MAX_HOURS * 3600 - 5, sessions.SEEN: now}
    )
    response = client.get(HOME, follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert f"signed out {settings.SESSION_MAX_HOURS} hours after signing in" in response.content.decode()


def test_a_request_keeps_a_session_alive(user, client_for, settings):
    client = client_for(user)
    stale = int(time.time()) - settings.SESSION_IDLE_MINUTES * 60 + 30  # idle, but not for too long
    set_session(client, **{sessions.SEEN: stale})
    assert client.get(HOME).status_code == 200
    assert client.session[sessions.SEEN] > stale


def test_a_password_change_ends_the_user_s_other_sessions(user, client_for):
    client = client_for(user)
    assert client.get(HOME).status_code == 200
    user.set_password("a-new-password-2")
    user.save()
    assert client.get(HOME).status_code == 302


def test_the_session_cookie_is_http_only_and_same_site(user, client):
    response = client.post(reverse("login"), {"username": "rosalind", "password": "a-test-password-1"})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) <= 12 * 3600


def test_a_new_password_needs_twelve_characters(user):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("Tandem-2026", user)
    validate_password("Tandem-health-2026", user)
