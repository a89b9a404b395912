"""API tokens: what an integration sends as ``Authorization: Token <token>``.

Only a SHA-256 digest of each token is kept, so the table alone opens nothing. A token is a random
256-bit secret, so a plain fast hash is enough (no salt or slow hash: there is nothing to guess).
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(
        max_length=100, help_text="What the token is for, so its owner knows which to revoke."
    )
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token, in hex.")
    # The user's session auth hash (an HMAC of their password hash) when the token was made: once the
    # password changes it no longer matches and the token ends, as the user's sessions do.
    password_check = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    def in_force(self) -> bool:
        """Not expired, and made since the user's password last changed (reads ``self.user``)."""
        return self.expires_at > timezone.now() and secrets.compare_digest(
            self.password_check, self.user.get_session_auth_hash()
        )
