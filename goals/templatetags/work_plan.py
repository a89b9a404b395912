"""The work plan's part of the meeting page: the network app sits below goals, so its meeting page asks
for the action items recorded at a meeting through this tag rather than importing them."""

from typing import Any

from django import template
from django.utils import timezone

from goals.plan import selectors
from goals.plan.forms import ActionForm
from network.models import Meeting
from network.selectors import Access

register = template.Library()


@register.inclusion_tag("goals/_meeting_actions.html", takes_context=True)
def meeting_action_items(context: dict[str, Any], meeting: Meeting) -> dict[str, Any]:
    """The meeting's action items; for backbone staff, the form to record another. One query, and
    four more for the form's owners and strategies."""
    network = context["network"]
    actions = selectors.actions_at_meeting(meeting=meeting, today=timezone.localdate())
    form = None
    if context.get("access") == Access.MANAGE:
        form = ActionForm(network=network, owners=selectors.owner_choices(network=network))
    return {
        "network": network,
        "meeting": meeting,
        "actions": actions,
        "form": form,
        "csrf_token": context.get("csrf_token"),
    }
