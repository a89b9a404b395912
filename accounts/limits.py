"""Limits on guessing and on e-mail: what happens when a client or an account asks too often.

Sign-in (the page and the API's token endpoint) is limited by django-axes, which counts failures in
the database and so across every web process; ``lockout_response`` is the answer it gives. Password
reset e-mails are limited here, with counters in the shared cache (``CACHES``).
"""

import datetime
import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone


def wait_text(seconds: int) -> str:
    minutes = -(-seconds // 60)
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def refused(request: HttpRequest, *, template: str, seconds: int, detail: str) -> HttpResponse:
    """A 429 that says when to try again: JSON for the API, a page for a person."""
    retry_at = timezone.now() + datetime.timedelta(seconds=seconds)
    if request.path.startswith("/api/"):
        # The API's problem format (core.api); when to try again is in the Retry-After header.
        response: HttpResponse = JsonResponse(
            {"detail": f"{detail} Try again in {wait_text(seconds)}.", "problems": []}, status=429
        )
    else:
        context = {"retry_at": retry_at, "wait": wait_text(seconds)}
        response = render(request, template, context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in. Every attempt during a lockout counts as a failure
    and starts the cool-off again, so it ends one cool-off after this one. It names no account and
    reads the same whether or not the username exists."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return refused(
        request,
        template="accounts/locked_out.html",
        seconds=seconds,
        detail="Too many failed sign-ins for this account or from this address.",
    )


def limit_take(*, scope: str, key: str, limit: int, window: int) -> int:
    """Count one use of ``key`` in the current window of ``window`` seconds. Returns 0 while within
    ``limit``, else the seconds until the window ends. Keys are hashed: no address lands in the cache."""
    now = time.time()
    start = int(now // window) * window
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()
    name = f"limit:{scope}:{digest}:{start}"
    cache.add(name, 0, timeout=window)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=window)
        count = 1
    return 0 if count <= limit else max(1, int(start + window - now))


def password_reset_wait(*, email: str, client: str) -> int:
    """Seconds before another reset e-mail may be asked for this address or by this client; 0 if now.
    Counted whether or not an account has the address, so the answer tells nothing about accounts."""
    window = settings.PASSWORD_RESET_WINDOW_SECONDS
    by_client = limit_take(
        scope="reset-client", key=client, limit=settings.PASSWORD_RESET_LIMIT_PER_CLIENT, window=window
    )
    by_address = limit_take(
        scope="reset-address", key=email, limit=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS, window=window
    )
    return max(by_client, by_address)
