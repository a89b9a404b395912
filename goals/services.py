"""Writes of goals and commitments: backbone staff set a network's goals and what each partner commits.

Views check that the user manages the network; these services keep the goal itself sound.
"""

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from goals.models import Commitment, Goal, TargetKind
from metrics.catalogue import COUNTY_BREAKDOWN, TOTAL_BREAKDOWN
from metrics.models import Category, Measure
from network.models import Network
from partners.models import Organization

GOAL_FIELDS = (
    "name",
    "measure",
    "population",
    "baseline_start",
    "baseline_end",
    "baseline_value",
    "target_kind",
    "target_value",
    "starts_on",
    "deadline",
)


def _goal_check(goal: Goal) -> None:
    """What a goal must be, beyond its fields' own types: every problem at once, by field."""
    errors: dict[str, str] = {}
    population = goal.population
    if population is not None and population.breakdown.code in (TOTAL_BREAKDOWN, COUNTY_BREAKDOWN):
        errors["population"] = "Choose a group of people (e.g. Hispanic or Latino), not a total or a county."
    if goal.target_value is not None and goal.target_value <= 0:
        errors["target_value"] = "The target is above 0."
    elif (
        goal.target_kind == TargetKind.PERCENT_INCREASE
        and goal.target_value is not None
        and not goal.baseline_value
    ):
        errors["target_value"] = (
            "A percentage increase needs a baseline above 0: give the target as a number instead."
        )
    if goal.baseline_end and goal.starts_on and goal.baseline_end >= goal.starts_on:
        errors["baseline_end"] = "The baseline period ends before the goal starts."
    if goal.deadline and goal.starts_on and goal.deadline <= goal.starts_on:
        errors["deadline"] = "The deadline comes after the start."
    if errors:
        raise ValidationError(errors)
    goal.full_clean(exclude=["network"])


@transaction.atomic
def goal_create(
    *,
    network: Network,
    name: str,
    measure: Measure,
    population: Category | None,
    baseline_start: datetime.date,
    baseline_end: datetime.date,
    baseline_value: int,
    target_kind: str,
    target_value: Decimal,
    starts_on: datetime.date,
    deadline: datetime.date,
) -> Goal:
    """Set a new goal for the network: a measure counted from ``starts_on`` to ``deadline`` against a
    target (a number, or a percentage increase over the baseline), for everyone or a population."""
    goal = Goal(
        network=network,
        name=name.strip(),
        measure=measure,
        population=population,
        baseline_start=baseline_start,
        baseline_end=baseline_end,
        baseline_value=baseline_value,
        target_kind=target_kind,
        target_value=target_value,
        starts_on=starts_on,
        deadline=deadline,
    )
    _goal_check(goal)
    goal.save()
    return goal


@transaction.atomic
def goal_update(*, goal: Goal, **fields: object) -> Goal:
    """Change a goal's fields (any of `GOAL_FIELDS`); its commitments stay."""
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise TypeError(f"Not a field of a goal: {', '.join(sorted(unknown))}")
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    for field, value in fields.items():
        setattr(goal, field, value.strip() if isinstance(value, str) and field == "name" else value)
    _goal_check(goal)
    goal.save()
    return goal


def commitment_set(
    *, goal: Goal, organization: Organization, amount: int | None, note: str = ""
) -> Commitment | None:
    """Set what a current partner commits to a goal; no amount (or 0) takes its commitment back."""
    if amount is not None and amount < 0:
        raise ValidationError({"amount": "A commitment is 0 or more."})
    if not amount:
        Commitment.objects.filter(goal=goal, organization=organization).delete()
        return None
    is_partner = goal.network.memberships.current().filter(organization=organization).exists()
    if not is_partner or organization.pk == goal.network.backbone_id:
        raise ValidationError(f"{organization} is not a partner of {goal.network} that can commit to a goal.")
    commitment, _ = Commitment.objects.update_or_create(
        goal=goal, organization=organization, defaults={"amount": amount, "note": note.strip()}
    )
    return commitment


@transaction.atomic
def commitments_set(*, goal: Goal, amounts: Mapping[Organization, int | None]) -> list[Commitment]:
    """Set the commitments of many partners at once (the commitments table): all or none."""
    saved = []
    for organization, amount in amounts.items():
        commitment = commitment_set(goal=goal, organization=organization, amount=amount)
        if commitment is not None:
            saved.append(commitment)
    return saved
