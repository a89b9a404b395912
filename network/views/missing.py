"""Who is missing: sectors, populations, counties and co-leaders the network still lacks."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from network import selectors
from network.selectors import Access


@login_required
def who_is_missing(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    return render(
        request,
        "network/who_is_missing.html",
        {
            "network": network,
            "access": access,
            "missing": selectors.who_is_missing(network=network),
            "co_leader_sectors_needed": selectors.CO_LEADER_SECTORS_NEEDED,
        },
    )
