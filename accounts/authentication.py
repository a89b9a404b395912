"""``Authorization: Token <token>`` against Tandem's API tokens: hashed, expiring, revocable, and ended
by a change of password."""

from django.contrib.auth.models import AbstractBaseUser
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts import selectors, services
from accounts.models import ApiToken

ENDED = "This token has expired, or ended when its owner's password changed: sign in again for a new one."


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's header parsing (``Token`` keyword, 401 with ``WWW-Authenticate: Token``), Tandem's tokens."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[AbstractBaseUser, ApiToken]:
        token = selectors.api_token_for_secret(secret=key)
        if token is None:
            raise AuthenticationFailed("Invalid token.")
        if not token.in_force():
            token.delete()
            raise AuthenticationFailed(ENDED)
        if not token.user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        services.api_token_used(token=token)
        return token.user, token
