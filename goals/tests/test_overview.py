"""The network overview's goals come from the goals themselves: those running now, each as published to
the viewer; a goal that ended is never presented as the network's goal."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import Goal
from metrics.models import Measure
from network.models import Network

pytestmark = pytest.mark.django_db


def goal(network: Network, name: str, starts_on: datetime.date, deadline: datetime.date) -> Goal:
    return Goal.objects.create(
        network=network,
        name=name,
        measure=Measure.objects.get(code="enrollments"),
        baseline_start=starts_on.replace(year=starts_on.year - 1),
        baseline_end=starts_on - datetime.timedelta(days=1),
        baseline_value=100,
        target_value=Decimal(150),
        starts_on=starts_on,
        deadline=deadline,
    )


def test_the_overview_shows_the_goals_running_now_not_one_that_ended(world, client_for):
    today = timezone.localdate()
    year = datetime.timedelta(days=365)
    goal(world.network, "Reach 150 by last year", today - 2 * year, today - year)
    url = reverse("network:network_detail", args=["kansas"])
    page = client_for(world.partner).get(url).content.decode()
    assert "No shared goal is running now." in page
    assert "Reach 150 by last year" in page and "ended on" in page

    goal(world.network, "Reach 150 by next year", today - datetime.timedelta(days=40), today + year)
    goal(world.network, "Reach 200 later", today + year, today + 2 * year)
    for user in (world.partner, world.state_viewer, world.backbone):
        page = client_for(user).get(url).content.decode()
        running = page[page.index("Shared goals now") : page.index("The partnership at a glance")]
        assert "Reach 150 by next year" in running
        assert "Reach 150 by last year" not in running and "Reach 200 later" not in running
        assert "No shared goal is running now." not in running
