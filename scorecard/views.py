"""The public scorecard: the backbone's page to write its story, preview it and switch it on or off, and
the public page (with an embeddable variant) anyone may open while it is on.

Fetch, authorise, call, render: the figures are built in `scorecard.board`, for the public alone.
"""

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_POST

from core.figures import download_or_none
from goals.selectors import work_plan_public
from network.models import Network
from network.selectors import Access, network_get_for_user
from scorecard import board, selectors, services
from scorecard.forms import StoryForm
from scorecard.models import Scorecard

# How long a browser or a proxy may keep the public page: figures change at most with a rollup, and a
# scorecard switched off (or a partner no longer named) disappears within this.
PUBLIC_MAX_AGE = 120


def _public_context(request: HttpRequest, scorecard: Scorecard, **extra: object) -> dict[str, object]:
    network = scorecard.network
    figures = board.public_board(network=network, today=timezone.localdate())
    public_url = request.build_absolute_uri(reverse("scorecard:public", args=[network.slug]))
    return {
        "network": network,
        "scorecard": scorecard,
        "board": figures,
        "named": selectors.partners_named(network=network),
        "plan": work_plan_public(network=network, today=timezone.localdate()),
        "public_url": public_url,
        "embed_url": request.build_absolute_uri(reverse("scorecard:embed", args=[network.slug])),
        **extra,
    }


def _public_page(request: HttpRequest, scorecard: Scorecard, **extra: object) -> HttpResponse:
    context = _public_context(request, scorecard, **extra)
    if download := download_or_none(request, *context["board"].tables):
        return download
    return render(request, "scorecard/public.html", context)


# The backbone's pages


@login_required
def scorecard_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Backbone staff: the story behind the curve, and the switch."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    scorecard = selectors.scorecard_of(network=network)
    form = StoryForm(request.POST or None, instance=scorecard)
    if request.method == "POST" and form.is_valid():
        try:
            services.scorecard_story_update(network=network, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            on = "and it is on the public web now" if scorecard.published else "it is not on the public web"
            messages.success(request, f"Saved the story behind the curve; {on}.")
            return redirect("scorecard:edit", slug=network.slug)
    return render(
        request,
        "scorecard/edit.html",
        {
            "network": network,
            "access": access,
            "scorecard": scorecard,
            "form": form,
            "named": selectors.partners_named(network=network),
            "plan": work_plan_public(network=network, today=timezone.localdate()),
            "public_url": request.build_absolute_uri(reverse("scorecard:public", args=[network.slug])),
        },
    )


@login_required
def scorecard_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """Backbone staff: the public page as it would be, switched on or not."""
    network, _ = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    return _public_page(request, selectors.scorecard_of(network=network), preview=True)


def _switch(request: HttpRequest, slug: str, *, on: bool) -> HttpResponse:
    network: Network
    network, _ = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    if on:
        services.scorecard_publish(network=network, user=request.user)
        messages.success(request, f"The scorecard of the {network.name} is on the public web.")
    else:
        services.scorecard_unpublish(network=network, user=request.user)
        messages.success(
            request, f"The scorecard of the {network.name} is off: its address answers “not found”."
        )
    return redirect("scorecard:edit", slug=network.slug)


@login_required
@require_POST
def scorecard_publish(request: HttpRequest, slug: str) -> HttpResponse:
    return _switch(request, slug, on=True)


@login_required
@require_POST
def scorecard_unpublish(request: HttpRequest, slug: str) -> HttpResponse:
    return _switch(request, slug, on=False)


# The public's pages: no sign-in, 404 unless switched on


@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def public_scorecard(request: HttpRequest, slug: str) -> HttpResponse:
    return _public_page(request, selectors.scorecard_published_get(slug=slug))


@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def public_scorecard_embed(request: HttpRequest, slug: str) -> HttpResponse:
    """The scorecard without Tandem's header and footer, for another site's page: the one response
    any site may show in a frame."""
    return _public_page(request, selectors.scorecard_published_get(slug=slug), embedded=True)
