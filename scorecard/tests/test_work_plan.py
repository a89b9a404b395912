""" "What we will do" on the public scorecard: the work plan's strategies and their actions, a partner
named only where it chose to be."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from goals.plan import services as plan

pytestmark = pytest.mark.django_db


def test_the_work_plan_s_actions_are_on_the_public_page(world, flint, reported, published):
    due = timezone.localdate() + datetime.timedelta(days=30)
    strategy = plan.strategy_create(network=world.network, title="Reach rural counties", goal=reported)
    for title, owner in [("Open a class in Emporia", world.supplier), ("Train two coaches", flint)]:
        plan.action_create(
            network=world.network,
            title=title,
            owner=owner,
            due_on=due,
            user=world.backbone,
            strategy=strategy,
        )
    page = Client().get(reverse("scorecard:public", args=[world.network.slug])).content.decode()
    assert "Reach rural counties" in page and f"Toward “{reported.name}”" in page
    # Prairie YMCA chose to be named; Flint Hills Clinic did not, and is shown by its sector.
    assert f"Open a class in Emporia: {world.supplier.name}, by {due:%B} {due.day}, {due.year}" in page
    assert "Train two coaches: A partner (" in page
    assert flint.name not in page
