"""API tokens: made by signing in, hashed at rest, expiring, ended by a password change, listed and
revoked by their owner through the API and on the API tokens page."""

import datetime
import importlib
import re

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, token_digest

pytestmark = pytest.mark.django_db

TOKEN = reverse("api:token")
TOKENS = reverse("api:tokens")
ME = reverse("api:me")
PAGE = reverse("accounts:api_tokens")
PASSWORD = "a-test-password-1"


def with_token(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def test_signing_in_gives_a_token_that_opens_the_api_and_is_kept_only_as_a_digest(user, settings):
    response = APIClient().post(TOKEN, {"username": "rosalind", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires"}
    expires = datetime.datetime.fromisoformat(body["expires"])
    assert abs(
        expires - timezone.now() - datetime.timedelta(days=settings.API_TOKEN_DAYS)
    ) < datetime.timedelta(minutes=1)
    assert with_token(body["token"]).get(ME).json()["user"]["username"] == "rosalind"
    stored = ApiToken.objects.get()
    assert stored.digest == token_digest(body["token"]) != body["token"]
    assert body["token"] not in {getattr(stored, field.attname) for field in ApiToken._meta.fields}


def test_each_sign_in_is_its_own_token_with_the_name_given(user):
    first = APIClient().post(TOKEN, {"username": "rosalind", "password": PASSWORD, "name": "nightly upload"})
    second = APIClient().post(TOKEN, {"username": "rosalind", "password": PASSWORD})
    assert first.json()["token"] != second.json()["token"]
    assert sorted(ApiToken.objects.values_list("name", flat=True)) == ["API sign-in", "nightly upload"]
    for response in (first, second):
        assert with_token(response.json()["token"]).get(ME).status_code == 200


def test_a_wrong_token_gets_401_asking_for_a_token(user):
    response = with_token("not-a-token").get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_an_expired_token_is_refused_and_deleted(user):
    token, secret = services.api_token_create(user=user, name="old")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = with_token(secret).get(ME)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_a_password_change_ends_every_token_of_the_user(user, make_user):
    _, secret = services.api_token_create(user=user, name="integration")
    _, other_secret = services.api_token_create(user=make_user(), name="someone else's")
    assert with_token(secret).get(ME).status_code == 200
    user.set_password("a-new-password-2")
    user.save()
    assert with_token(secret).get(ME).status_code == 401
    assert with_token(other_secret).get(ME).status_code == 200


def test_an_inactive_user_s_token_is_refused(user):
    _, secret = services.api_token_create(user=user, name="integration")
    user.is_active = False
    user.save()
    assert with_token(secret).get(ME).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(user):
    token, secret = services.api_token_create(user=user, name="integration")
    client = with_token(secret)
    client.get(TOKENS)
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    client.get(TOKENS)
    token.refresh_from_db()
    assert token.last_used_at == first_use
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - datetime.timedelta(minutes=2))
    client.get(TOKENS)
    token.refresh_from_db()
    assert token.last_used_at > first_use - datetime.timedelta(minutes=1)


def test_the_owner_lists_tokens_without_their_secrets(user, make_user):
    _, secret = services.api_token_create(user=user, name="nightly upload")
    services.api_token_create(user=user, name="spreadsheet macro")
    services.api_token_create(user=make_user(), name="someone else's")
    response = with_token(secret).get(TOKENS)
    assert response.status_code == 200
    listed = response.json()
    assert [token["name"] for token in listed] == ["spreadsheet macro", "nightly upload"]
    assert set(listed[0]) == {"id", "name", "created", "last_used", "expires", "current"}
    assert [token["current"] for token in listed] == [False, True]
    assert secret not in response.content.decode()


def test_deleting_the_current_token_signs_out(user):
    _, secret = services.api_token_create(user=user, name="integration")
    _, other = services.api_token_create(user=user, name="other")
    client = with_token(secret)
    assert client.delete(TOKEN).status_code == 204
    assert client.get(ME).status_code == 401
    assert with_token(other).get(ME).status_code == 200


def test_signing_out_needs_a_token(user):
    assert APIClient().delete(TOKEN).status_code == 401


def test_the_owner_revokes_one_token_and_no_one_else_s(user, make_user):
    _, secret = services.api_token_create(user=user, name="integration")
    spare, spare_secret = services.api_token_create(user=user, name="spare")
    theirs, their_secret = services.api_token_create(user=make_user(), name="someone else's")
    client = with_token(secret)
    assert client.delete(reverse("api:token_detail", args=[theirs.pk])).status_code == 404
    assert with_token(their_secret).get(ME).status_code == 200
    assert client.delete(reverse("api:token_detail", args=[spare.pk])).status_code == 204
    assert with_token(spare_secret).get(ME).status_code == 401
    assert client.get(ME).status_code == 200


# The API tokens page


def test_the_page_lists_makes_and_revokes_the_user_s_own_tokens(user, client_for, make_user):
    token, secret = services.api_token_create(user=user, name="nightly upload")
    services.api_token_create(user=make_user(), name="someone else's")
    client = client_for(user)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "nightly upload" in html
    assert "someone else" not in html
    assert secret not in html and token.digest not in html
    assert page["Cache-Control"].startswith("max-age=0")

    made = client.post(PAGE, {"name": "spreadsheet macro"})
    assert made.status_code == 200
    new = ApiToken.objects.get(name="spreadsheet macro")
    new_secret = re.search(r'<code class="tandem-secret">([^<]+)</code>', made.content.decode())[1]
    assert new.digest == token_digest(new_secret)
    assert with_token(new_secret).get(ME).status_code == 200
    assert new_secret not in client.get(PAGE).content.decode()

    revoked = client.post(PAGE, {"revoke": token.pk}, follow=True)
    assert "The token is revoked" in revoked.content.decode()
    assert with_token(secret).get(ME).status_code == 401


def test_the_page_revokes_no_one_else_s_token_and_needs_a_name(user, client_for, make_user):
    theirs, their_secret = services.api_token_create(user=make_user(), name="someone else's")
    client = client_for(user)
    answer = client.post(PAGE, {"revoke": theirs.pk}, follow=True)
    assert "already revoked" in answer.content.decode()
    assert with_token(their_secret).get(ME).status_code == 200
    unnamed = client.post(PAGE, {"name": "  "})
    assert unnamed.status_code == 400
    assert "Name the token" in unnamed.content.decode()
    assert not ApiToken.objects.filter(user=user).exists()


def test_the_page_needs_a_signed_in_user_and_is_in_the_menu(user, client, client_for):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    home = client_for(user).get(reverse("network:home"))
    assert f'href="{PAGE}"' in home.content.decode()


def test_tokens_made_before_are_carried_over_hashed_and_expiring(user, settings):
    """Django REST framework's tokens (plain text in ``authtoken_token``) keep working after the
    migration, now expiring, and their plain-text copies are gone."""
    migration = importlib.import_module("accounts.migrations.0002_carry_over_drf_tokens")
    key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [key, timezone.now(), user.pk])

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.carry_over(apps, editor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
    assert with_token(key).get(ME).json()["user"]["username"] == "rosalind"
    carried = ApiToken.objects.get()
    assert carried.expires_at - timezone.now() > datetime.timedelta(days=settings.API_TOKEN_DAYS - 1)
