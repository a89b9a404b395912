"""The network overview's goals, from the goals themselves: the network app sits below goals, so its
overview page asks for them through this tag rather than importing them."""

from typing import Any

from django import template
from django.utils import timezone

from goals import selectors
from network.models import Network
from network.selectors import viewer_for

register = template.Library()


@register.inclusion_tag("goals/_live_goals.html", takes_context=True)
def live_goals(context: dict[str, Any], network: Network) -> dict[str, Any]:
    """The goals running now, each with where it stands as published to the viewer; or, where none
    runs, the last one that ended and the next to start."""
    request = context["request"]
    today = timezone.localdate()
    viewer = viewer_for(user=request.user, network=network, access=context["access"])
    running = selectors.goals_running(network=network, today=today)
    return {
        "network": network,
        "standings": selectors.goal_standings_for(goals=running.live, today=today, viewer=viewer),
        "ended": running.last_ended,
        "upcoming": running.next_up,
    }
