"""Reads of goals and of the rollups behind the dashboards, shared by pages and the API.

The counts come only from the rollup tables (`metrics.models.Rollup*`), never from reports, each read in
one grouped query (``values().annotate(Sum())``) however many partners there are. Who may see a
partner's identified figures is answered here too, once, for the dashboards and the API.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from goals.models import Commitment, Goal
from goals.progress import Progress, add_months, coverage, month_start, months_between, progress
from metrics.catalogue import COUNTY_BREAKDOWN, TOTAL_BREAKDOWN
from metrics.models import (
    Category,
    Measure,
    RollupFreshness,
    RollupNetworkMonth,
    RollupPartnerMonth,
    RollupStateMonth,
)
from network.models import DataSharing, Membership, Network
from network.selectors import (
    Access,
    User,
    networks_visible_to,
    organizations_for_user,
    states_viewed_by,
)
from partners.models import Organization, State

# Periods of months


@dataclass(frozen=True)
class MonthPeriod:
    """The months from ``first`` to ``last`` (first days of the months), both included."""

    first: datetime.date
    last: datetime.date

    @property
    def months(self) -> list[datetime.date]:
        return [add_months(self.first, n) for n in range(months_between(self.first, self.last))]

    def __str__(self) -> str:
        if self.first == self.last:
            return f"{self.first:%B %Y}"
        return f"{self.first:%B %Y} to {self.last:%B %Y}"


DEFAULT_MONTHS = 12


def last_complete_month(today: datetime.date) -> datetime.date:
    """The month before ``today``'s, which is still being reported."""
    return add_months(month_start(today), -1)


def period_default(*, today: datetime.date, months: int = DEFAULT_MONTHS) -> MonthPeriod:
    """The ``months`` complete months up to the last one."""
    last = last_complete_month(today)
    return MonthPeriod(first=add_months(last, -(months - 1)), last=last)


# Goals and commitments


def population_choices() -> QuerySet[Category]:
    """Categories a goal may focus on: any breakdown's but the total's (everyone) and the counties'."""
    return (
        Category.objects.exclude(breakdown__code__in=[TOTAL_BREAKDOWN, COUNTY_BREAKDOWN])
        .select_related("breakdown")
        .order_by("breakdown__order", "breakdown__code", "order", "code")
    )


def goals_of(*, network_ids: Iterable[int]) -> QuerySet[Goal]:
    """Goals of the networks with their measure, population and commitments (with the partners): two
    queries however many goals and commitments there are."""
    return (
        Goal.objects.filter(network_id__in=list(network_ids))
        .select_related("network", "measure", "population", "population__breakdown")
        .prefetch_related(Prefetch("commitments", queryset=Commitment.objects.select_related("organization")))
        .order_by("network__name", "deadline", "name", "pk")
    )


def goal_list(*, network: Network) -> QuerySet[Goal]:
    """The network's goals with how much their partners committed, in one query."""
    return (
        network.goals.select_related("measure", "population", "population__breakdown")
        .annotate(committed=Sum("commitments__amount"))
        .order_by("deadline", "name", "pk")
    )


def goal_get(*, network: Network, pk: int) -> Goal:
    goal = network.goals.select_related("measure", "population").filter(pk=pk).first()
    if goal is None:
        raise Http404("No such goal in this network.")
    return goal


def partners_for_commitments(*, network: Network) -> QuerySet[Organization]:
    """Current partners that may commit to a goal: every one but the backbone organization."""
    return (
        Organization.objects.filter(memberships__network=network, memberships__left_on__isnull=True)
        .exclude(pk=network.backbone_id)
        .order_by("name", "pk")
    )


# What the rollups say


def _cell(measure_id: int, category_id: int | None) -> Q:
    """Rows of one measure for one category, or for everyone (the total) without a category."""
    if category_id is None:
        return Q(measure_id=measure_id, breakdown__code=TOTAL_BREAKDOWN)
    return Q(measure_id=measure_id, category_id=category_id)


def _in(period: MonthPeriod) -> Q:
    return Q(month__gte=period.first, month__lte=period.last)


def _goal_rows(goal: Goal) -> Q:
    return _cell(goal.measure_id, goal.population_id) & _in(goal_period(goal))


def goal_period(goal: Goal) -> MonthPeriod:
    return MonthPeriod(first=month_start(goal.starts_on), last=month_start(goal.deadline))


def _any(conditions: Iterable[Q]) -> Q:
    combined = Q(pk__in=[])
    for condition in conditions:
        combined |= condition
    return combined


Series = dict[datetime.date, int]


def network_series(
    *, network_ids: Sequence[int], measure_id: int, category_id: int | None = None, period: MonthPeriod
) -> dict[int, Series]:
    """Each network's count by month (of everyone, or of one category), from RollupNetworkMonth in one
    query. Months without an approved report are missing, not 0."""
    rows = (
        RollupNetworkMonth.objects.filter(network_id__in=list(network_ids))
        .filter(_cell(measure_id, category_id) & _in(period))
        .values("network_id", "month")
        .annotate(total=Sum("count"))
        .order_by()
    )
    series: dict[int, Series] = defaultdict(dict)
    for row in rows:
        series[row["network_id"]][row["month"]] = row["total"]
    return series


def network_partners_reporting(
    *, network_ids: Sequence[int], measure_id: int, period: MonthPeriod
) -> dict[int, int]:
    """The most partners whose approved reports a network's total summed in one month of the period."""
    rows = (
        RollupNetworkMonth.objects.filter(network_id__in=list(network_ids))
        .filter(_cell(measure_id, None) & _in(period))
        .values("network_id")
        .annotate(partners=Max("partners"))
        .order_by()
    )
    return {row["network_id"]: row["partners"] for row in rows}


def state_series(
    *, state_ids: Sequence[int], measure_id: int, category_id: int | None = None, period: MonthPeriod
) -> dict[int, Series]:
    """Each state's count by month, summed over its networks, from RollupStateMonth in one query."""
    rows = (
        RollupStateMonth.objects.filter(state_id__in=list(state_ids))
        .filter(_cell(measure_id, category_id) & _in(period))
        .values("state_id", "month")
        .annotate(total=Sum("count"))
        .order_by()
    )
    series: dict[int, Series] = defaultdict(dict)
    for row in rows:
        series[row["state_id"]][row["month"]] = row["total"]
    return series


def partner_series(*, network: Network, organization_id: int, measure_id: int, period: MonthPeriod) -> Series:
    """One partner's count by month for everyone, from RollupPartnerMonth in one query."""
    rows = (
        RollupPartnerMonth.objects.filter(network=network, organization_id=organization_id)
        .filter(_cell(measure_id, None) & _in(period))
        .values("month")
        .annotate(total=Sum("count"))
        .order_by()
    )
    return {row["month"]: row["total"] for row in rows}


def goal_series(*, goals: Sequence[Goal], organization_id: int | None = None) -> dict[int, Series]:
    """Each goal's count by month over its own period: the network's (RollupNetworkMonth) or, given an
    organization, that partner's (RollupPartnerMonth). One query for all the goals."""
    if not goals:
        return {}
    model = RollupNetworkMonth if organization_id is None else RollupPartnerMonth
    rows = model.objects.filter(network_id__in={goal.network_id for goal in goals})
    if organization_id is not None:
        rows = rows.filter(organization_id=organization_id)
    periods = [goal_period(goal) for goal in goals]
    rows = (
        rows.filter(_any(_goal_rows(goal) for goal in goals))
        .values("network_id", "measure_id", "category_id", "breakdown__code", "month")
        .annotate(total=Sum("count"))
        .order_by()
    )
    series: dict[int, Series] = {goal.pk: {} for goal in goals}
    for row in rows:
        for goal, period in zip(goals, periods, strict=True):
            if goal.population_id is None:
                same_category = row["breakdown__code"] == TOTAL_BREAKDOWN
            else:
                same_category = row["category_id"] == goal.population_id
            if (
                same_category
                and row["network_id"] == goal.network_id
                and row["measure_id"] == goal.measure_id
                and period.first <= row["month"] <= period.last
            ):
                series[goal.pk][row["month"]] = row["total"]
    return series


@dataclass(frozen=True)
class PartnerSums:
    """One partner's counts: toward each goal (its own period), and of a measure in a period."""

    network_id: int
    organization_id: int
    organization_name: str
    toward: dict[int, int]  # goal id -> count
    in_period: int


def partner_sums(
    *,
    network_ids: Sequence[int],
    goals: Sequence[Goal] = (),
    measure_id: int,
    period: MonthPeriod,
    shared_with_state_only: bool = False,
) -> list[PartnerSums]:
    """Each partner's count toward each goal and of ``measure_id`` in ``period``: one GROUP BY over
    RollupPartnerMonth, however many partners and goals. ``shared_with_state_only`` keeps only partners
    whose current membership shares identified figures with the state."""
    in_period = _cell(measure_id, None) & _in(period)
    sums = {f"goal_{goal.pk}": Sum("count", filter=_goal_rows(goal)) for goal in goals}
    rows = RollupPartnerMonth.objects.filter(network_id__in=list(network_ids)).filter(
        _any([in_period, *(_goal_rows(goal) for goal in goals)])
    )
    if shared_with_state_only:
        rows = rows.filter(
            Exists(
                Membership.objects.filter(
                    network_id=OuterRef("network_id"),
                    organization_id=OuterRef("organization_id"),
                    left_on__isnull=True,
                    data_sharing=DataSharing.BACKBONE_AND_STATE,
                )
            )
        )
    rows = (
        rows.values("network_id", "organization_id", "organization__name")
        .annotate(in_period=Sum("count", filter=in_period), **sums)
        .order_by("network_id", "organization__name", "organization_id")
    )
    return [
        PartnerSums(
            network_id=row["network_id"],
            organization_id=row["organization_id"],
            organization_name=row["organization__name"],
            toward={goal.pk: row[f"goal_{goal.pk}"] or 0 for goal in goals},
            in_period=row["in_period"] or 0,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Freshness:
    earliest: datetime.datetime | None
    latest: datetime.datetime | None


def freshness(*, network_ids: Sequence[int]) -> Freshness:
    """When the networks' rollups were last brought up to date: the earliest and the latest."""
    found = RollupFreshness.objects.filter(network_id__in=list(network_ids)).aggregate(
        earliest=Min("refreshed_at"), latest=Max("refreshed_at")
    )
    return Freshness(earliest=found["earliest"], latest=found["latest"])


# Progress against goals


def counted_until(series: Series, today: datetime.date) -> datetime.date:
    """The day progress is worked out on: ``today``, or, while the latest months' reports are still to
    be approved, the first day after the latest month with approved figures. A month whose reports are
    still in review is not a month of zero: it counts once approved."""
    if not series:
        return today
    return min(today, add_months(max(series), 1))


def _progress(target: int, goal: Goal, series: Series, today: datetime.date) -> Progress:
    return progress(
        target=target,
        starts_on=goal.starts_on,
        deadline=goal.deadline,
        monthly=series,
        today=counted_until(series, today),
    )


@dataclass
class GoalStanding:
    """Where a goal stands: its progress, its monthly counts and how much partners committed."""

    goal: Goal
    progress: Progress
    monthly: Series
    committed: int

    @property
    def coverage(self) -> float | None:
        return coverage(target=self.goal.target, commitments=[self.committed])

    @property
    def counted_to(self) -> datetime.date | None:
        """The last month counted, if any."""
        return _last_counted(self.goal, self.progress)


def _last_counted(goal: Goal, counted: Progress) -> datetime.date | None:
    if not counted.months_elapsed:
        return None
    return add_months(month_start(goal.starts_on), counted.months_elapsed - 1)


def goal_standings(*, goals: Sequence[Goal], today: datetime.date) -> list[GoalStanding]:
    """Progress of each goal (fetched with `goals_of`) from the network rollups: one query."""
    series = goal_series(goals=goals)
    return [
        GoalStanding(
            goal=goal,
            progress=_progress(goal.target, goal, series[goal.pk], today),
            monthly=series[goal.pk],
            committed=sum(commitment.amount for commitment in goal.commitments.all()),
        )
        for goal in goals
    ]


@dataclass
class CommitmentStanding:
    """A partner's progress against its commitment to a goal."""

    commitment: Commitment
    progress: Progress
    monthly: Series

    @property
    def counted_to(self) -> datetime.date | None:
        return _last_counted(self.commitment.goal, self.progress)


def commitment_standings(
    *, network: Network, organization: Organization, today: datetime.date
) -> list[CommitmentStanding]:
    """The organization's commitments to the network's goals, each with its progress from the
    organization's own rollups (counted up to its latest month approved): two queries."""
    commitments = list(
        Commitment.objects.filter(goal__network=network, organization=organization)
        .select_related("goal", "goal__measure", "goal__population", "goal__population__breakdown")
        .order_by("goal__deadline", "goal__name", "goal_id")
    )
    series = goal_series(goals=[c.goal for c in commitments], organization_id=organization.pk)
    return [
        CommitmentStanding(
            commitment=commitment,
            progress=_progress(commitment.amount, commitment.goal, series[commitment.goal_id], today),
            monthly=series[commitment.goal_id],
        )
        for commitment in commitments
    ]


# Who sees which partner's identified figures


@dataclass(frozen=True)
class Identified:
    """The partners of one network whose identified figures a user may see."""

    every_partner: bool
    organization_ids: frozenset[int]

    def __contains__(self, organization_id: object) -> bool:
        return self.every_partner or organization_id in self.organization_ids


def identified_for(*, user: User, network: Network, access: Access) -> Identified:
    """Backbone staff see every partner; partner staff their own organizations; a state viewer the
    partners whose current membership shares with the state. A fixed number of queries."""
    if access >= Access.MANAGE:
        return Identified(True, frozenset())
    own = set(organizations_for_user(user=user).values_list("pk", flat=True))
    if states_viewed_by(user=user).filter(pk=network.state_id).exists():
        own |= set(
            network.memberships.filter(
                left_on__isnull=True, data_sharing=DataSharing.BACKBONE_AND_STATE
            ).values_list("organization_id", flat=True)
        )
    return Identified(False, frozenset(own))


def partner_get_for_dashboard(
    *, user: User, network: Network, access: Access, organization_id: int
) -> tuple[Organization, Identified]:
    """A partner of the network (now or before) whose identified figures the user may see: 404 if it
    never was a partner, 403 if the user may see the network but not this partner's figures."""
    membership = (
        network.memberships.select_related("organization")
        .filter(organization_id=organization_id)
        .order_by("-joined_on")
        .first()
    )
    if membership is None:
        raise Http404("That organization is not a partner in this network.")
    identified = identified_for(user=user, network=network, access=access)
    if organization_id not in identified:
        raise PermissionDenied("This partner's own figures are for its staff and the backbone staff.")
    return membership.organization, identified


# The state and the cross-state views


def state_get_for_viewer(*, user: User, code: str) -> State:
    """A state whose dashboard the user may see: its state viewers' and site administrators'. 403 for
    backbone and partner staff of a network in the state, 404 for everyone else."""
    state = State.objects.filter(code=code.upper()).first()
    if state is None or not user.is_authenticated or not user.is_active:
        raise Http404("No such state.")
    if user.is_superuser or states_viewed_by(user=user).filter(pk=state.pk).exists():
        return state
    if networks_visible_to(user=user).filter(state=state).exists():
        raise PermissionDenied("The statewide dashboard is for the state health department's viewers.")
    raise Http404("No such state.")


def networks_in(*, states: Iterable[State] | None = None) -> list[Network]:
    """Networks (of the states, or of every state) with their state, backbone and ``partner_count``
    (current partners but the backbone organization), by state and name: one query."""
    current_partners = Q(memberships__left_on__isnull=True) & ~Q(memberships__organization=F("backbone"))
    networks = (
        Network.objects.select_related("state", "backbone")
        .annotate(partner_count=Count("memberships", filter=current_partners, distinct=True))
        .order_by("state__name", "name", "pk")
    )
    if states is not None:
        networks = networks.filter(state__in=list(states))
    return list(networks)


def measures() -> list[Measure]:
    return list(Measure.objects.order_by("order", "code"))


def measure_by_code(found: Sequence[Measure], code: str) -> Measure | None:
    return next((measure for measure in found if measure.code == code), None)


def counts_in(series: Mapping[datetime.date, int], period: MonthPeriod) -> int:
    return sum(count for month, count in series.items() if period.first <= month <= period.last)
