"""`manage.py load_demo`: the network demo, its reports, their rollups and each network's goal with its
suppliers' commitments; a second run changes nothing.

Building the demo takes seconds, so the module runs the command once inside a transaction rolled back
at the end; each test runs in a savepoint inside it.
"""

import datetime
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F, Sum

from demo.goals import FOCUS_GOAL_NAME, FORMER_NAMES, GOAL_NAME, build_goals
from demo.network import STATES
from demo.tests.conftest import built_once
from goals.models import Action, ActionStatus, Commitment, Goal, Strategy, TargetKind
from metrics.models import MonthlyReport, ReportStatus, ReportValue, RollupNetworkMonth
from network.models import Network, Role, RoleKind

pytestmark = pytest.mark.django_db


def _load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker) -> str:
    with built_once(django_db_blocker, _load_demo) as output:
        yield output


@pytest.fixture
def networks(demo_output: str) -> list[Network]:
    return list(Network.objects.filter(slug__in=[plan.slug for plan in STATES]).order_by("slug"))


def test_the_command_builds_networks_reports_rollups_and_goals(demo_output):
    assert "Bright Spot Initiative demo: 5 networks" in demo_output
    assert "Monthly reports: " in demo_output and "new reports this run" in demo_output
    assert "Rollups rebuilt" in demo_output
    assert "Program outcomes: " in demo_output and "cohort counts for 3 Kansas suppliers" in demo_output
    assert "Goals: 10 goals" in demo_output and "commitments" in demo_output


def approved_in_baseline(goal: Goal, **cell: object) -> int | None:
    """Enrollments of the goal's network over its baseline, from the approved reports themselves."""
    return ReportValue.objects.filter(
        version__report__network=goal.network,
        version__report__status=ReportStatus.APPROVED,
        version__report__month__range=(goal.baseline_start, goal.baseline_end),
        version__report__current_version_id=F("version_id"),
        measure__code="enrollments",
        **cell,
    ).aggregate(n=Sum("count"))["n"]


def test_each_network_has_its_goal_with_a_baseline_from_the_first_year(networks):
    for network in networks:
        goal = Goal.objects.get(network=network, name=GOAL_NAME)
        assert goal.name == GOAL_NAME and goal.measure.code == "enrollments" and goal.population is None
        assert (goal.baseline_start, goal.baseline_end) == (
            datetime.date(2024, 10, 1),
            datetime.date(2025, 9, 30),
        )
        approved = approved_in_baseline(goal, category__code="all")
        assert goal.baseline_value == approved > 0
        assert goal.target_kind == TargetKind.PERCENT_INCREASE and goal.target == round(approved * 1.2)
        assert (goal.starts_on, goal.deadline) == (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
        # Every supplier reporting monthly commits; together they cover most of the target, not all.
        suppliers = set(
            network.memberships.filter(left_on__isnull=True, reports_monthly=True).values_list(
                "organization_id", flat=True
            )
        )
        commitments = Commitment.objects.filter(goal=goal)
        assert set(commitments.values_list("organization_id", flat=True)) == suppliers
        committed = commitments.aggregate(n=Sum("amount"))["n"]
        assert 0.8 * goal.target <= committed < goal.target


def test_each_network_has_a_goal_for_hispanic_or_latino_adults(networks):
    for network in networks:
        goal = Goal.objects.get(network=network, name=FOCUS_GOAL_NAME)
        assert (goal.population.breakdown.code, goal.population.code) == ("ethnicity", "hispanic")
        approved = approved_in_baseline(goal, category=goal.population)
        assert goal.baseline_value == approved > 0
        assert goal.target == round(approved * 1.3) and not goal.commitments.exists()


def test_the_rollups_are_built_for_the_dashboards(networks):
    for network in networks:
        assert RollupNetworkMonth.objects.filter(network=network).exists()
        assert MonthlyReport.objects.filter(network=network, status=ReportStatus.APPROVED).exists()


def test_a_second_run_of_the_goals_changes_nothing(networks):
    before = (
        list(Goal.objects.order_by("pk").values_list()),
        list(Commitment.objects.order_by("pk").values_list("goal_id", "organization_id", "amount")),
    )
    counts = build_goals()
    assert counts == {"goals": 10, "commitments": Commitment.objects.count()}
    after = (
        list(Goal.objects.order_by("pk").values_list()),
        list(Commitment.objects.order_by("pk").values_list("goal_id", "organization_id", "amount")),
    )
    assert after == before


def test_the_goals_say_their_deadline_in_words_and_an_older_demo_s_are_renamed(networks):
    assert not re.search(r"\d{4}-\d{2}-\d{2}", GOAL_NAME + FOCUS_GOAL_NAME)
    kansas = Goal.objects.get(network__slug="kansas", name=GOAL_NAME)
    Goal.objects.filter(pk=kansas.pk).update(name=FORMER_NAMES[GOAL_NAME])
    goals = Goal.objects.count()
    build_goals()
    assert Goal.objects.count() == goals
    assert Goal.objects.get(pk=kansas.pk).name == GOAL_NAME


def test_kansas_has_a_work_plan_and_a_second_run_changes_nothing(networks):
    kansas = next(network for network in networks if network.slug == "kansas")
    actions = Action.objects.filter(network=kansas)
    anchor = datetime.date(2026, 11, 1)
    assert actions.overdue(anchor).count() >= 2
    partner_2 = Role.objects.get(user__username="partner-kansas-2", kind=RoleKind.PARTNER_STAFF)
    assert actions.filter(owner_organization=partner_2.organization).exists()
    recorded = actions.get(meeting__isnull=False)
    assert recorded.meeting.network == kansas and recorded.meeting.starts_at.date() < anchor
    assert actions.filter(status=ActionStatus.DONE, closed_at__isnull=False).exists()
    assert not Action.objects.exclude(network=kansas).exists()
    before = list(Action.objects.order_by("pk").values_list()), list(Strategy.objects.values_list())
    build_goals()
    assert (list(Action.objects.order_by("pk").values_list()), list(Strategy.objects.values_list())) == before
