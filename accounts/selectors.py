"""Reads about accounts: a user's API tokens."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from accounts.models import ApiToken, token_digest


def api_token_for_secret(*, secret: str) -> ApiToken | None:
    """The token with this secret and its user (one query), or None. Looked up by digest: the secret
    is never compared, and the digest of a random secret tells nothing about it."""
    return ApiToken.objects.select_related("user").filter(digest=token_digest(secret)).first()


def api_tokens_of(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """``user``'s tokens, newest first (one query); call ``api_tokens_prune`` first to drop ended ones."""
    return ApiToken.objects.filter(user=user)
