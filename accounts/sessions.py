"""Sessions that end: after ``SESSION_IDLE_MINUTES`` without a request, and ``SESSION_MAX_HOURS`` after
signing in however active. (A password change ends every other session by Django's own check.)"""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse

SIGNED_IN = "tandem_signed_in_at"
SEEN = "tandem_seen_at"
# How stale "last seen" may get before it is written again: one write a minute, not one a request.
SEEN_PRECISION = 60


def stamp(sender: object, request: HttpRequest | None, user: object, **kwargs: object) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN] = now
        request.session[SEEN] = now


def connect() -> None:
    user_logged_in.connect(stamp, dispatch_uid="accounts.sessions.stamp")


class SessionTimeoutMiddleware:
    """Signs out a session idle or old past its limits, with a message on the sign-in page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            session = request.session
            now = int(time.time())
            signed_in = session.get(SIGNED_IN)
            seen = session.get(SEEN)
            if signed_in is None or seen is None:  # a session from before these limits
                session[SIGNED_IN] = signed_in = now
                session[SEEN] = seen = now
            idle = now - seen > settings.SESSION_IDLE_MINUTES * 60
            old = now - signed_in > settings.SESSION_MAX_HOURS * 3600
            if idle or old:
                logout(request)
                messages.info(
                    request,
                    f"You were signed out after {settings.SESSION_IDLE_MINUTES} minutes without activity."
                    if idle
                    else f"You were signed out {settings.SESSION_MAX_HOURS} hours after signing in.",
                )
            elif now - seen >= SEEN_PRECISION:
                session[SEEN] = now
        return self.get_response(request)
