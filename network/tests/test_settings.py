"""The network's settings page (backbone staff only) and the overview's goals, which come from the goals
themselves: a goal that ended is never presented as the network's goal."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import Goal
from metrics.models import Measure
from network.models import Network

pytestmark = pytest.mark.django_db

OK, FORBIDDEN, NOT_FOUND = 200, 403, 404

SETTINGS = {
    "report_due_day": 10,
    "report_lock_days": 45,
    "completeness_threshold": 90,
    "suppression_threshold": 15,
    "contract_stage_alert_days": 30,
}


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("backbone", OK),
        ("admin", OK),
        ("partner", FORBIDDEN),
        ("state_viewer", FORBIDDEN),
        ("other_backbone", NOT_FOUND),
        ("outsider", NOT_FOUND),
    ],
)
def test_only_backbone_staff_change_the_settings(world, client_for, role, status):
    client = client_for(getattr(world, role))
    url = reverse("network:network_settings", args=["kansas"])
    assert client.get(url).status_code == status
    response = client.post(url, SETTINGS)
    world.network.refresh_from_db()
    if status == OK:
        assert response.status_code == 302
        assert world.network.completeness_threshold == 90 and world.network.report_due_day == 10
    else:
        assert response.status_code == status
        assert world.network.completeness_threshold == 100 and world.network.report_due_day == 15


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("completeness_threshold", 40),
        ("completeness_threshold", 101),
        ("suppression_threshold", 10),
        ("report_due_day", 31),
        ("report_lock_days", "²"),
    ],
)
def test_settings_out_of_bounds_are_refused_with_a_message(world, client_for, field, value):
    client = client_for(world.backbone)
    url = reverse("network:network_settings", args=["kansas"])
    response = client.post(url, {**SETTINGS, field: value})
    assert response.status_code == OK
    assert field in response.context["form"].errors
    assert "The settings were not saved" in response.content.decode()
    assert Network.objects.get(pk=world.network.pk).completeness_threshold == 100


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
