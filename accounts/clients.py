"""Who is asking: the client's address as the proxies in front of Tandem saw it.

Each proxy appends the address it was reached from to ``X-Forwarded-For``, so with N trusted proxies
the client's address is the N-th entry from the right; anything left of it was written by the client
and proves nothing. With no trusted proxy (``TRUSTED_PROXY_COUNT=0``, the default) the header is
ignored and the address is the connection's.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's IP address; the connection's when the header is missing, short or not an address."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    entries = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    entries = [entry for entry in entries if entry]
    if len(entries) < proxies:
        # The request did not pass every proxy (it reached an inner one directly): trust nothing in it.
        return remote
    candidate = entries[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
