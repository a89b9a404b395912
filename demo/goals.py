"""The Bright Spot Initiative demo's shared goals: one per demo network, "increase enrollment in the
National DPP by 20 % by 2026-12-31", with its baseline from the demo's first year of approved reports and
a commitment from every supplier that reports monthly; and one for a population of focus, Hispanic or
Latino adults (30 % more), which the equity pages show beside the ethnicity breakdown.

Each supplier commits to a little less than its part of the target (its share of the baseline), so the
commitments cover most of the target but not all of it, as a backbone finds in a real network. Run it
after the reports and their rollups (`manage.py load_demo` does). Idempotent: a second run finds the goal
by its name and sets the same figures again.
"""

import datetime
from decimal import Decimal
from typing import TextIO

from django.db import transaction

from core.calendar import month_add
from demo.network import STATES
from demo.reports import first_month
from goals import selectors, services
from goals.models import Commitment, Goal, TargetKind
from goals.selectors import MonthPeriod
from metrics.models import Category, Measure
from network.models import Network

GOAL_NAME = "Increase enrollment in the National DPP by 20 % by 2026-12-31"
FOCUS_GOAL_NAME = "Increase enrollment of Hispanic or Latino adults by 30 % by 2026-12-31"
INCREASE = Decimal(20)
FOCUS_INCREASE = Decimal(30)
STARTS_ON = datetime.date(2026, 1, 1)
DEADLINE = datetime.date(2026, 12, 31)
COMMITTED_SHARE = Decimal("0.93")  # of each supplier's part of the target
SMALLEST_COMMITMENT = 6


def _baseline(network: Network) -> MonthPeriod:
    first = first_month(network)
    return MonthPeriod(first=first, last=month_add(first, 11))


def _goal_set(network: Network, name: str, fields: dict[str, object]) -> Goal:
    goal = network.goals.filter(name=name).first()
    if goal is None:
        return services.goal_create(network=network, name=name, **fields)
    return services.goal_update(goal=goal, **fields)


def _build_focus_goal(network: Network, enrollments: Measure, hispanic: Category) -> Goal:
    """Hispanic or Latino enrollments 30 % over the first year's; no commitments yet."""
    baseline = _baseline(network)
    counted = selectors.network_series(
        network_ids=[network.pk], measure_id=enrollments.pk, category_id=hispanic.pk, period=baseline
    )
    return _goal_set(
        network,
        FOCUS_GOAL_NAME,
        {
            "measure": enrollments,
            "population": hispanic,
            "baseline_start": baseline.first,
            "baseline_end": month_add(baseline.last, 1) - datetime.timedelta(days=1),
            "baseline_value": sum(counted.get(network.pk, {}).values()),
            "target_kind": TargetKind.PERCENT_INCREASE,
            "target_value": FOCUS_INCREASE,
            "starts_on": STARTS_ON,
            "deadline": DEADLINE,
        },
    )


def _build_network(network: Network, enrollments: Measure) -> tuple[Goal, int]:
    baseline = _baseline(network)
    suppliers = list(
        network.memberships.current()
        .filter(reports_monthly=True)
        .exclude(organization_id=network.backbone_id)
        .select_related("organization")
        .order_by("organization__name")
    )
    sums = {
        row.organization_id: row.in_period
        for row in selectors.partner_sums(
            network_ids=[network.pk], measure_id=enrollments.pk, period=baseline
        )
    }
    fields = {
        "measure": enrollments,
        "population": None,
        "baseline_start": baseline.first,
        "baseline_end": month_add(baseline.last, 1) - datetime.timedelta(days=1),
        "baseline_value": sum(sums.values()),
        "target_kind": TargetKind.PERCENT_INCREASE,
        "target_value": INCREASE,
        "starts_on": STARTS_ON,
        "deadline": DEADLINE,
    }
    goal = _goal_set(network, GOAL_NAME, fields)
    growth = 1 + INCREASE / 100
    amounts = {
        membership.organization: max(
            SMALLEST_COMMITMENT,
            round(Decimal(sums.get(membership.organization_id, 0)) * growth * COMMITTED_SHARE),
        )
        for membership in suppliers
    }
    services.commitments_set(goal=goal, amounts=amounts)
    return goal, len(amounts)


def build_goals(stdout: TextIO | None = None) -> dict[str, int]:
    """Set (or set again) each demo network's goal and its suppliers' commitments; return how many."""
    with transaction.atomic():
        enrollments = Measure.objects.get(code="enrollments")
        hispanic = Category.objects.get(breakdown__code="ethnicity", code="hispanic")
        networks = Network.objects.filter(slug__in=[plan.slug for plan in STATES]).order_by("slug")
        goals = [_build_network(network, enrollments)[0] for network in networks]
        focus = [_build_focus_goal(network, enrollments, hispanic) for network in networks]
        counts = {
            "goals": len(goals) + len(focus),
            "commitments": Commitment.objects.filter(goal__in=goals).count(),
        }
    if stdout is not None:
        targets = ", ".join(f"{goal.network.slug} {goal.target:,}" for goal in goals)
        stdout.write(
            f"Goals: {counts['goals']} goals, “{GOAL_NAME}” (targets: {targets}), "
            f"{counts['commitments']} commitments, and “{FOCUS_GOAL_NAME}” in each network.\n"
        )
    return counts
