"""The Bright Spot Initiative demo's shared goals: one per demo network, "increase enrollment in the
National DPP by 20 % by December 31, 2026", with its baseline from the demo's first year of approved
reports and a commitment from every supplier that reports monthly; and one for a population of focus,
Hispanic or Latino adults (30 % more), which the equity pages show beside the ethnicity breakdown.

Kansas also gets a work plan (`build_work_plan`): three strategies under its goals and workgroups and
their actions, some overdue on the demo's "today" (`demo.network.ANCHOR`), one owned by the organization of
partner-kansas-2, one recorded at the last meeting before that day.

Each supplier commits to a little less than its part of the target (its share of the baseline), so the
commitments cover most of the target but not all of it, as a backbone finds in a real network. Run it
after the reports and their rollups (`manage.py load_demo` does). Idempotent: a second run finds the goal
by its name and sets the same figures again.
"""

import datetime
from decimal import Decimal
from typing import TextIO

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.calendar import month_add
from demo.network import ANCHOR, STATES
from demo.reports import first_month
from goals import selectors, services
from goals.models import Action, ActionStatus, Commitment, Goal, Owner, Strategy, TargetKind
from goals.plan import services as plan_services
from goals.selectors import MonthPeriod
from metrics.models import Category, Measure
from network.models import Network
from partners.models import Organization

GOAL_NAME = "Increase enrollment in the National DPP by 20 % by December 31, 2026"
FOCUS_GOAL_NAME = "Increase enrollment of Hispanic or Latino adults by 30 % by December 31, 2026"
# The names an older demo gave them (a date as a computer writes it), found again and renamed on a reload.
FORMER_NAMES = {
    GOAL_NAME: "Increase enrollment in the National DPP by 20 % by 2026-12-31",
    FOCUS_GOAL_NAME: "Increase enrollment of Hispanic or Latino adults by 30 % by 2026-12-31",
}
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
    goal = network.goals.filter(name__in=[name, FORMER_NAMES.get(name, name)]).order_by("-name").first()
    if goal is None:
        return services.goal_create(network=network, name=name, **fields)
    return services.goal_update(goal=goal, name=name, **fields)


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


# The Kansas work plan: strategies (title, goal, workgroup, order) and their actions (title, strategy,
# owner, days from ANCHOR to the due date, status, recorded at the last meeting before ANCHOR).
BACKBONE_STAFF = "backbone-kansas"
PLAN_STRATEGIES = (
    ("Grow referrals from clinics and pharmacies", GOAL_NAME, "Referrals and Enrollment", 1),
    ("Reach Hispanic and Latino adults in southwest Kansas", FOCUS_GOAL_NAME, "", 2),
    ("One way to collect enrollment data", "", "Data Sharing and Reporting", 3),
)
PLAN_ACTIONS = (
    (
        "Send every clinic partner the referral form and its fax-back instructions",
        PLAN_STRATEGIES[0][0],
        "Cottonwood Bend Community Health Center",  # partner-kansas-2's organization
        45,
        ActionStatus.PLANNED,
        False,
    ),
    (
        "Ask the pharmacies to add the prediabetes risk test to their screenings",
        PLAN_STRATEGIES[0][0],
        BACKBONE_STAFF,
        -12,
        ActionStatus.IN_PROGRESS,
        False,
    ),
    (
        "Map the rural counties with no class within 30 miles",
        PLAN_STRATEGIES[0][0],
        "Referrals and Enrollment",
        -30,
        ActionStatus.PLANNED,
        True,
    ),
    (
        "Recruit two Spanish-speaking lifestyle coaches",
        PLAN_STRATEGIES[1][0],
        "Cimarron Promotoras de Salud",
        90,
        ActionStatus.IN_PROGRESS,
        False,
    ),
    (
        "Translate the enrollment flyer into Spanish",
        PLAN_STRATEGIES[1][0],
        "Tallgrass Valley YMCA",
        -40,
        ActionStatus.DONE,
        False,
    ),
    (
        "Agree the age groups of the monthly report with every supplier",
        PLAN_STRATEGIES[2][0],
        "Data Sharing and Reporting",
        120,
        ActionStatus.PLANNED,
        False,
    ),
    (
        "Draft the data-sharing agreement template",
        PLAN_STRATEGIES[2][0],
        BACKBONE_STAFF,
        -5,
        ActionStatus.IN_PROGRESS,
        False,
    ),
)


def _owner(network: Network, name: str) -> Owner | None:
    if name == BACKBONE_STAFF:
        return get_user_model().objects.get(username=name)
    workgroup = network.workgroups.filter(name=name).first()
    return workgroup or Organization.objects.filter(name=name, memberships__network=network).first()


def build_work_plan(network: Network) -> tuple[int, int]:
    """Set (or set again) the network's demo work plan; return how many strategies and actions."""
    strategies: dict[str, Strategy] = {}
    for title, goal_name, workgroup_name, order in PLAN_STRATEGIES:
        fields = {
            "title": title,
            "description": "",
            "goal": network.goals.filter(name=goal_name).first(),
            "workgroup": network.workgroups.filter(name=workgroup_name).first(),
            "order": order,
        }
        found = network.strategies.filter(title=title).first()
        strategies[title] = (
            plan_services.strategy_update(strategy=found, **fields)
            if found
            else plan_services.strategy_create(network=network, **fields)
        )
    zone = timezone.get_current_timezone()
    anchor = datetime.datetime.combine(ANCHOR, datetime.time(9), zone)
    last_meeting = network.meetings.filter(starts_at__lt=anchor).order_by("-starts_at").first()
    staff = get_user_model().objects.get(username=BACKBONE_STAFF)
    for title, strategy, owner_name, days, status, at_meeting in PLAN_ACTIONS:
        fields = {
            "title": title,
            "owner": _owner(network, owner_name),
            "due_on": ANCHOR + datetime.timedelta(days=days),
            "strategy": strategies[strategy],
        }
        action = network.actions.filter(title=title).first()
        if action is None:
            action = plan_services.action_create(
                network=network, user=staff, meeting=last_meeting if at_meeting else None, **fields
            )
        else:
            action = plan_services.action_update(action=action, notes=action.notes, **fields)
        # Closed a few days after it was due: a fixed moment, so a second run changes nothing.
        closed = anchor + datetime.timedelta(days=days + 3)
        plan_services.action_set_status(action=action, status=status, user=staff, now=closed)
    return len(strategies), Action.objects.filter(network=network).count()


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
        kansas = networks.filter(slug="kansas").first()
        plan = build_work_plan(kansas) if kansas is not None else (0, 0)
    if stdout is not None:
        targets = ", ".join(f"{goal.network.slug} {goal.target:,}" for goal in goals)
        stdout.write(
            f"Goals: {counts['goals']} goals, “{GOAL_NAME}” (targets: {targets}), "
            f"{counts['commitments']} commitments, and “{FOCUS_GOAL_NAME}” in each network.\n"
            f"Work plan of Kansas: {plan[0]} strategies, {plan[1]} actions.\n"
        )
    return counts
