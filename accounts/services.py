"""Writes about accounts: API tokens made and revoked."""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from accounts.models import ApiToken, token_digest

# How often a token's "last used" is written: not on every request, which would be a write each.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


def api_token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``, valid for ``API_TOKEN_DAYS``. Returns the row and the secret, which
    is shown once and never stored."""
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "API token",
        digest=token_digest(secret),
        password_check=user.get_session_auth_hash(),
        created_at=now,
        expires_at=now + datetime.timedelta(days=settings.API_TOKEN_DAYS),
    )
    return token, secret


def api_token_revoke(*, user: AbstractBaseUser, token_id: int) -> bool:
    """Revoke one of ``user``'s own tokens; False when they have none with that id."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)


def api_token_used(*, token: ApiToken) -> None:
    """Note that ``token`` was just used, at most once a minute."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def api_tokens_prune(*, user: AbstractBaseUser) -> None:
    """Delete ``user``'s tokens that can no longer open anything: expired, or made before the password
    last changed."""
    stale = [
        token.pk
        for token in ApiToken.objects.filter(user=user).select_related("user")
        if not token.in_force()
    ]
    if stale:
        ApiToken.objects.filter(pk__in=stale).delete()
