"""Reads of goals and of the rollups behind the dashboards, shared by pages and the API.

The counts come only from the rollup tables (`metrics.models.Rollup*`), never from reports, each read in
one grouped query (``values().annotate(Sum())``) however many partners there are. Who may see a
partner's identified figures is answered here too, once, for the dashboards and the API, and every
aggregate a viewer may not see identified is published through `metrics.publication` here.
"""

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from core.calendar import month_add, month_count, month_of, quarter_months
from core.disclosure import DEFAULT_THRESHOLD, Reason, sum_shown, threshold_for, words
from goals.models import Commitment, Goal, Strategy

# The public scorecard's "what we will do": the work plan as the public may see it (`goals.plan`).
from goals.plan.selectors import work_plan_public as work_plan_public
from goals.progress import RUN_RATE_MONTHS, Progress, coverage, progress
from metrics import completeness
from metrics.catalogue import COUNTY_BREAKDOWN, TOTAL_BREAKDOWN
from metrics.completeness import MonthReporting
from metrics.models import (
    Breakdown,
    Category,
    Measure,
    PartnerFigure,
    RollupFreshness,
    RollupNetworkMonth,
    RollupStateMonth,
)
from metrics.publication import Baseline, Publication, Publications, publications, sum_figures
from network.models import DataSharing, Membership, Network
from network.selectors import (
    EVERYONE_IDENTIFIED,
    Access,
    User,
    Viewer,
    partners_current,
    viewer_for,
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
        return [month_add(self.first, n) for n in range(month_count(self.first, self.last))]

    def __str__(self) -> str:
        if self.first == self.last:
            return f"{self.first:%B %Y}"
        return f"{self.first:%B %Y} to {self.last:%B %Y}"


DEFAULT_MONTHS = 12


def last_complete_month(today: datetime.date) -> datetime.date:
    """The month before ``today``'s, which is still being reported."""
    return month_add(month_of(today), -1)


def period_default(*, today: datetime.date, months: int = DEFAULT_MONTHS) -> MonthPeriod:
    """The ``months`` complete months up to the last one."""
    last = last_complete_month(today)
    return MonthPeriod(first=month_add(last, -(months - 1)), last=last)


def threshold_of(network: Network) -> int:
    """The smallest count a network's aggregates publish (`core.disclosure.threshold_for`)."""
    return threshold_for(network.suppression_threshold)


def threshold_of_group(networks: Iterable[Network]) -> int:
    """The threshold of a group of networks (a state's): the largest of theirs."""
    return max((threshold_of(network) for network in networks), default=DEFAULT_THRESHOLD)


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


@dataclass(frozen=True)
class GoalsRunning:
    """A network's goals as of a day: those running (started, deadline not passed), the one that
    ended last and the next to start."""

    live: list[Goal]
    last_ended: Goal | None
    next_up: Goal | None


def goals_running(*, network: Network, today: datetime.date) -> GoalsRunning:
    """The network's goals running ``today``; an ended goal is never one of them, whatever replaced
    it. Two queries (the goals, their commitments)."""
    goals = list(goals_of(network_ids=[network.pk]))
    ended = [goal for goal in goals if goal.deadline < today]
    upcoming = [goal for goal in goals if goal.starts_on > today]
    return GoalsRunning(
        live=[goal for goal in goals if goal.starts_on <= today <= goal.deadline],
        last_ended=max(ended, key=lambda goal: (goal.deadline, goal.pk), default=None),
        next_up=min(upcoming, key=lambda goal: (goal.starts_on, goal.pk), default=None),
    )


def goal_list(*, network: Network, viewer: Viewer = EVERYONE_IDENTIFIED) -> QuerySet[Goal]:
    """The network's goals with how much their partners committed, in one query. ``committed_withheld``
    where the commitments the viewer may not see are one partner's (`commitments_withheld`);
    ``strategy_count``: the strategies of the work plan under each goal."""
    strategies = (
        Strategy.objects.filter(goal=OuterRef("pk"))
        .order_by()
        .values("goal")
        .annotate(n=Count("pk"))
        .values("n")
    )
    goals = network.goals.select_related("measure", "population", "population__breakdown").annotate(
        committed=Sum("commitments__amount"), strategy_count=Coalesce(Subquery(strategies), 0)
    )
    if viewer.sees_all_of(network.pk):
        goals = goals.annotate(committed_withheld=Value(False))
    else:
        known = sorted(viewer.known_in(network.pk))
        unseen = Count("commitments", filter=~Q(commitments__organization_id__in=known))
        goals = goals.annotate(unseen_commitments=unseen).annotate(
            committed_withheld=Case(When(unseen_commitments=1, then=True), default=False)
        )
    return goals.order_by("deadline", "name", "pk")


def goal_get(*, network: Network, pk: int) -> Goal:
    goal = network.goals.select_related("measure", "population").filter(pk=pk).first()
    if goal is None:
        raise Http404("No such goal in this network.")
    return goal


def partners_for_commitments(*, network: Network) -> QuerySet[Organization]:
    """Current partners that may commit to a goal: every one but the backbone organization."""
    return partners_current(network=network).exclude(pk=network.backbone_id).order_by("name", "pk")


# What the rollups say


def _cell(measure_id: int, category_id: int | None) -> Q:
    """Rows of one measure for one category, or for everyone (the total) without a category."""
    if category_id is None:
        # The total breakdown's id as a subquery PostgreSQL runs once (an InitPlan), so the rollup
        # indexes on (network, measure, breakdown, month) narrow the rows; joining the breakdown to test
        # its code would read every category's rows first.
        total = Subquery(Breakdown.objects.filter(code=TOTAL_BREAKDOWN).values("id")[:1])
        return Q(measure_id=measure_id, breakdown_id=total)
    return Q(measure_id=measure_id, category_id=category_id)


def _in(period: MonthPeriod) -> Q:
    return Q(month__gte=period.first, month__lte=period.last)


def goal_period(goal: Goal) -> MonthPeriod:
    return MonthPeriod(first=month_of(goal.starts_on), last=month_of(goal.deadline))


Series = dict[datetime.date, int]


def _series_by(rows: QuerySet, key: str) -> dict[int, Series]:
    """Rollup rows summed by ``key`` (a network or state id) and month."""
    series: dict[int, Series] = defaultdict(dict)
    for row in rows.values(key, "month").annotate(total=Sum("count")).order_by():
        series[row[key]][row["month"]] = row["total"]
    return series


def network_series(
    *, network_ids: Sequence[int], measure_id: int, category_id: int | None = None, period: MonthPeriod
) -> dict[int, Series]:
    """Each network's count by month (of everyone, or of one category), from RollupNetworkMonth in one
    query. Months without an approved report are missing, not 0."""
    rows = RollupNetworkMonth.objects.filter(network_id__in=list(network_ids))
    return _series_by(rows.filter(_cell(measure_id, category_id) & _in(period)), "network_id")


def state_series(
    *, state_ids: Sequence[int], measure_id: int, category_id: int | None = None, period: MonthPeriod
) -> dict[int, Series]:
    """Each state's count by month, summed over its networks, from RollupStateMonth in one query."""
    rows = RollupStateMonth.objects.filter(state_id__in=list(state_ids))
    return _series_by(rows.filter(_cell(measure_id, category_id) & _in(period)), "state_id")


def partner_series(*, network: Network, organization_id: int, measure_id: int, period: MonthPeriod) -> Series:
    """One partner's count by month for everyone, from PartnerFigure in one query."""
    rows = (
        PartnerFigure.objects.filter(network=network, organization_id=organization_id)
        .filter(_cell(measure_id, None) & _in(period))
        .values("month")
        .annotate(total=Sum("count"))
        .order_by()
    )
    return {row["month"]: row["total"] for row in rows}


def goal_series(*, goals: Sequence[Goal], organization_id: int | None = None) -> dict[int, Series]:
    """Each goal's count by month over its own period: the network's (RollupNetworkMonth) or, given an
    organization, that partner's (PartnerFigure). One query for all the goals."""
    if not goals:
        return {}
    model = PartnerFigure if organization_id is not None else RollupNetworkMonth
    rows = model.objects.filter(network_id__in={goal.network_id for goal in goals})
    if organization_id is not None:
        rows = rows.filter(organization_id=organization_id)
    series: dict[int, Series] = {goal.pk: {} for goal in goals}
    for goal, row in _matched_to_goals(goals, rows):
        series[goal.pk][row["month"]] = row["total"]
    return series


def goal_series_by_partner(
    *, goals: Sequence[Goal], organization_ids: Iterable[int]
) -> dict[tuple[int, int], Series]:
    """Each partner's count by month toward each goal, over the goal's period: (goal id,
    organization id) -> series, from PartnerFigure in one query for all the goals and partners."""
    if not goals:
        return {}
    rows = PartnerFigure.objects.filter(
        network_id__in={goal.network_id for goal in goals}, organization_id__in=sorted(set(organization_ids))
    )
    series: dict[tuple[int, int], Series] = defaultdict(dict)
    for goal, row in _matched_to_goals(goals, rows, "organization_id"):
        series[goal.pk, row["organization_id"]][row["month"]] = row["total"]
    return series


def _matched_to_goals(goals: Sequence[Goal], rows: QuerySet, *keys: str) -> Iterable[tuple[Goal, dict]]:
    """Rollup rows summed by network cell and month (and ``keys``), each with every goal it counts
    toward. A coarse filter the rollup indexes serve (the measures, the total or the populations, the
    months of every goal), then each row matched to its goals: one condition a goal would leave
    PostgreSQL to plan a hundred-way OR over millions of rows."""
    periods = [goal_period(goal) for goal in goals]
    cells = Q(category_id__in={goal.population_id for goal in goals if goal.population_id})
    if any(goal.population_id is None for goal in goals):
        cells |= Q(breakdown_id=Subquery(Breakdown.objects.filter(code=TOTAL_BREAKDOWN).values("id")[:1]))
    rows = (
        rows.filter(
            cells,
            measure_id__in={goal.measure_id for goal in goals},
            month__gte=min(period.first for period in periods),
            month__lte=max(period.last for period in periods),
        )
        .values("network_id", "measure_id", "category_id", "breakdown__code", "month", *keys)
        .annotate(total=Sum("count"))
        .order_by()
    )
    # The goals counting each cell: a network's measure for a population, or for everyone (None).
    by_cell: dict[tuple[int, int, int | None], list[tuple[Goal, MonthPeriod]]] = defaultdict(list)
    for goal, period in zip(goals, periods, strict=True):
        by_cell[(goal.network_id, goal.measure_id, goal.population_id)].append((goal, period))
    for row in rows:
        population = None if row["breakdown__code"] == TOTAL_BREAKDOWN else row["category_id"]
        for goal, period in by_cell.get((row["network_id"], row["measure_id"], population), ()):
            if period.first <= row["month"] <= period.last:
                yield goal, row


@dataclass(frozen=True)
class PartnerSums:
    """One partner's count of a measure in a period."""

    network_id: int
    organization_id: int
    organization_name: str
    in_period: int


def partner_sums(
    *,
    network_ids: Sequence[int],
    measure_id: int,
    period: MonthPeriod,
    shared_with_state_only: bool = False,
) -> list[PartnerSums]:
    """Each partner's count of ``measure_id`` in ``period``: one GROUP BY over PartnerFigure,
    however many partners. ``shared_with_state_only`` keeps only partners whose current membership
    shares identified figures with the state."""
    in_period = _cell(measure_id, None) & _in(period)
    rows = PartnerFigure.objects.filter(network_id__in=list(network_ids)).filter(in_period)
    if shared_with_state_only:
        rows = rows.filter(
            Exists(
                Membership.objects.current().filter(
                    network_id=OuterRef("network_id"),
                    organization_id=OuterRef("organization_id"),
                    data_sharing=DataSharing.BACKBONE_AND_STATE,
                )
            )
        )
    rows = (
        rows.values("network_id", "organization_id", "organization__name")
        .annotate(in_period=Sum("count"))
        .order_by("network_id", "organization__name", "organization_id")
    )
    return [
        PartnerSums(
            network_id=row["network_id"],
            organization_id=row["organization_id"],
            organization_name=row["organization__name"],
            in_period=row["in_period"] or 0,
        )
        for row in rows
    ]


# Publishing aggregates to a viewer (metrics.publication)

Shown = dict[datetime.date, int | None]  # a count by month as published: None where it is suppressed
Why = dict[datetime.date, Reason]  # why each month of a `Shown` not shown is not


def baselines_of(goals: Iterable[Goal]) -> list[Baseline]:
    """The goals' baselines as the publication layer protects them: shown to every viewer of a goal."""
    return [
        Baseline(
            key=goal.pk,
            network_id=goal.network_id,
            months=tuple(MonthPeriod(month_of(goal.baseline_start), month_of(goal.baseline_end)).months),
            category_id=goal.population_id,
            value=goal.baseline_value,
        )
        for goal in goals
    ]


def published(
    *, networks: Sequence[Network], measure_id: int, viewer: Viewer, today: datetime.date
) -> Publications:
    """The measure's counts of the networks as published to the viewer (`metrics.publication`): with
    every network of each state the viewer sees statewide (and the state's cells), and every goal's
    baseline, so that a count is published the same on every page whichever networks it shows."""
    chosen = {network.pk: network for network in networks}
    statewide = {network.state_id for network in networks} & set(viewer.states)
    if statewide:
        for network in Network.objects.filter(state_id__in=statewide).select_related("state"):
            chosen.setdefault(network.pk, network)
    hidden_from = [pk for pk in chosen if not viewer.sees_all_of(pk)]
    goals = Goal.objects.filter(network_id__in=hidden_from, measure_id=measure_id) if hidden_from else []
    return publications(
        networks=list(chosen.values()),
        measure=measure_id,
        viewer=viewer,
        today=today,
        with_states=bool(statewide),
        baselines=baselines_of(goals),
    )


def published_sum(counts: Iterable[int | None]) -> int | None:
    """A count over several published counts: hidden where any of them is (`core.disclosure.sum_shown`)."""
    return sum_shown(counts)


@dataclass(frozen=True)
class PublishedCounts:
    """Each network's and each state's count by month as published to one viewer, why each count not
    shown is not, and the threshold each applies (a state's: the largest of its networks')."""

    networks: dict[int, Shown]
    states: dict[int, Shown]
    network_thresholds: dict[int, int]
    state_thresholds: dict[int, int]
    network_reasons: dict[int, Why] = dataclasses.field(default_factory=dict)
    state_reasons: dict[int, Why] = dataclasses.field(default_factory=dict)
    publications: Publications | None = None
    measure_id: int | None = None


def published_counts(
    *,
    networks: Sequence[Network],
    measure_id: int,
    period: MonthPeriod,
    viewer: Viewer,
    with_states: bool = True,
    today: datetime.date | None = None,
) -> PublishedCounts:
    """The networks' counts by month (for everyone) and, ``with_states``, their states' (the sum over
    each state's networks), as published to the viewer (`published`)."""
    today = today or timezone.localdate()
    found = published(networks=networks, measure_id=measure_id, viewer=viewer, today=today)
    months = period.months
    network_pubs = {network.pk: found.network(network.pk) for network in networks}
    state_ids = sorted({network.state_id for network in networks}) if with_states else []
    state_pubs = {state_id: _state_publication(found, state_id, networks) for state_id in state_ids}
    return PublishedCounts(
        networks={pk: pub.series(months) for pk, pub in network_pubs.items()},
        states={pk: pub.series(months) for pk, pub in state_pubs.items()},
        network_thresholds={pk: pub.threshold for pk, pub in network_pubs.items()},
        state_thresholds={pk: pub.threshold for pk, pub in state_pubs.items()},
        network_reasons={pk: pub.reasons(months) for pk, pub in network_pubs.items()},
        state_reasons={pk: pub.reasons(months) for pk, pub in state_pubs.items()},
        publications=found,
        measure_id=measure_id,
    )


def _state_publication(found: Publications, state_id: int, networks: Sequence[Network]) -> Publication:
    """A state's publication; for a viewer who sees it only through networks they see every partner
    of (backbone staff), the sum of those networks'."""
    if state_id in found.states:
        return found.state(state_id)
    members = [found.network(n.pk) for n in networks if n.state_id == state_id]
    combined = Publication(
        threshold=max(p.threshold for p in members), identified=all(p.identified for p in members)
    )
    for member in members:
        for month, figure in member.month_figures.items():
            before = combined.month_figures.get(month)
            combined.month_figures[month] = figure if before is None else sum_figures([before, figure])
    return combined


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


def _progress(
    target: int, goal: Goal, series: Series, counted: datetime.date | None, today: datetime.date
) -> Progress:
    return progress(
        target=target,
        starts_on=goal.starts_on,
        deadline=goal.deadline,
        monthly=series,
        counted_to=counted,
        today=today,
    )


def _reporting_span(goals: Sequence[Goal]) -> MonthPeriod | None:
    periods = [goal_period(goal) for goal in goals]
    if not periods:
        return None
    return MonthPeriod(first=min(p.first for p in periods), last=max(p.last for p in periods))


# A standing's figures hidden from a viewer: those from the count so far, those from the recent
# months' rate, and the commitments added up.
SO_FAR_FIGURES = frozenset({"actual", "share", "pace", "projected", "needed_per_month", "outlook"})
RATE_FIGURES = frozenset({"run_rate", "projected", "outlook"})
COMMITTED_FIGURES = frozenset({"committed", "coverage"})


@dataclass
class Counting:
    """Up to which month a goal (or a commitment) is counted, and why not further: the reporting of
    every month of its period that is over (`metrics.completeness.MonthReporting`)."""

    reporting: dict[datetime.date, MonthReporting]  # the months of the period that are over, oldest first
    counted_to: datetime.date | None

    @property
    def provisional(self) -> list[MonthReporting]:
        """The months after the last one counted that are over: shown, not counted."""
        return [
            r for month, r in self.reporting.items() if self.counted_to is None or month > self.counted_to
        ]

    @property
    def waiting_for(self) -> MonthReporting | None:
        """The month that holds the count back: the first one after the last counted."""
        return next(iter(self.provisional), None)

    def is_provisional(self, month: datetime.date) -> bool:
        return month in self.reporting and (self.counted_to is None or month > self.counted_to)

    @property
    def why(self) -> str:
        """ "October 2026: 3 of 5 partners have reported", or "" where every month over is counted."""
        waiting = self.waiting_for
        return f"{waiting.month:%B %Y}: {waiting.partners_words}" if waiting else ""


def counting_of(reporting: Mapping[datetime.date, MonthReporting], period: MonthPeriod) -> Counting:
    """A period's months that are over with their reporting, and the last one up to which all are
    complete."""
    months = {month: reporting[month] for month in period.months if month in reporting}
    return Counting(reporting=months, counted_to=completeness.counted_to(months, period.months))


@dataclass
class GoalStanding:
    """Where a goal stands: its progress over the complete months, its monthly counts, how far each
    month's reports are in, and how much partners committed; and, for a viewer who may not see every
    partner identified, which of its figures they may not see."""

    goal: Goal
    progress: Progress
    monthly: Shown  # None where the month's count is suppressed; provisional months included
    committed: int
    counting: Counting
    hidden: frozenset[str] = frozenset()  # suppressed: computed from a count that may not be shown
    withheld: frozenset[str] = frozenset()  # would give away one partner's own commitment
    threshold: int = DEFAULT_THRESHOLD
    reasons: dict[str, Reason] = dataclasses.field(default_factory=dict)  # why each hidden figure is
    monthly_reasons: Why = dataclasses.field(default_factory=dict)  # why each month's count not shown is not
    by_quarter: bool = False  # counted by whole quarter (a population's count, for a viewer who may
    # not see every partner): a quarter's count stands on its last month
    baseline_withheld: bool = False

    @property
    def coverage(self) -> float | None:
        return coverage(target=self.goal.target, commitments=[self.committed])

    def why_hidden(self, name: str) -> str:
        """Why a figure of the standing is not shown, in words."""
        return words(self.reasons.get(name, Reason.INCLUDES), self.threshold)

    @property
    def so_far_hidden_words(self) -> str:
        return self.why_hidden("actual")

    @property
    def outlook_hidden_words(self) -> str:
        return self.why_hidden("outlook")

    @property
    def outlook(self) -> str | None:
        """The outlook as the viewer may see it: None where it is suppressed."""
        return None if "outlook" in self.hidden else str(self.progress.outlook)

    @property
    def counted_to(self) -> datetime.date | None:
        """The last month counted, if any: every month up to it is complete."""
        return _last_counted(self.goal, self.progress)


def _last_counted(goal: Goal, counted: Progress) -> datetime.date | None:
    if not counted.months_elapsed:
        return None
    return month_add(month_of(goal.starts_on), counted.months_elapsed - 1)


def goal_reporting(
    *, goals: Sequence[Goal], today: datetime.date
) -> dict[int, dict[datetime.date, MonthReporting]]:
    """The reporting of each goal's network over the goals' months (`reporting_by_month`): two queries
    for all the goals."""
    span = _reporting_span(goals)
    if span is None:
        return {}
    networks = list({goal.network_id: goal.network for goal in goals}.values())
    return completeness.reporting_by_month(networks=networks, first=span.first, last=span.last, today=today)


def goal_standings(*, goals: Sequence[Goal], today: datetime.date) -> list[GoalStanding]:
    """Progress of each goal (fetched with `goals_of`) from the network rollups, counted over its
    complete months: three queries."""
    series = goal_series(goals=goals)
    reporting = goal_reporting(goals=goals, today=today)
    standings = []
    for goal in goals:
        counting = counting_of(reporting[goal.network_id], goal_period(goal))
        standings.append(
            GoalStanding(
                goal=goal,
                progress=_progress(goal.target, goal, series[goal.pk], counting.counted_to, today),
                monthly=series[goal.pk],
                committed=sum(commitment.amount for commitment in goal.commitments.all()),
                counting=counting,
            )
        )
    return standings


def goal_standings_for(
    *,
    goals: Sequence[Goal],
    today: datetime.date,
    viewer: Viewer,
    already: PublishedCounts | None = None,
) -> list[GoalStanding]:
    """`goal_standings` as published to the viewer (fetch the goals with `goals_of`), from the
    publication layer (`published`): a month's count as published; the count so far, and all that is
    computed from it, hidden where a month counted is; the recent monthly rate where one of its months
    is; the commitments added up where those the viewer may not see are one partner's. A goal for a
    population is counted by whole quarter, the way such counts are published. ``already``: the page's
    `published_counts`, whose publications serve the goals of its measure and networks."""
    standings = goal_standings(goals=goals, today=today)
    hidden_from = [s for s in standings if not viewer.sees_all_of(s.goal.network_id)]
    by_measure: dict[int, list[GoalStanding]] = defaultdict(list)
    for standing in hidden_from:
        by_measure[standing.goal.measure_id].append(standing)
    found: dict[int, GoalStanding] = {}
    for measure_id, group in by_measure.items():
        networks = list({s.goal.network_id: s.goal.network for s in group}.values())
        reused = already.publications if already and already.measure_id == measure_id else None
        if reused and all(network.pk in reused.networks for network in networks):
            pubs = reused
        else:
            pubs = published(networks=networks, measure_id=measure_id, viewer=viewer, today=today)
        for standing in group:
            found[standing.goal.pk] = _published(
                standing, pubs.network(standing.goal.network_id), viewer, today
            )
    return [found.get(standing.goal.pk, standing) for standing in standings]


def _published(
    standing: GoalStanding, publication: Publication, viewer: Viewer, today: datetime.date
) -> GoalStanding:
    goal = standing.goal
    months = goal_period(goal).months
    counted = months[: standing.progress.months_elapsed]
    reasons: dict[str, Reason] = {}
    if goal.population_id is None:
        monthly = publication.series(months)
        monthly_reasons = publication.reasons(months)
        progress_ = standing.progress
        so_far = publication.total_over(counted)
        rate = publication.total_over(counted[-RUN_RATE_MONTHS:])
        by_quarter = False
    else:
        # Published by whole quarter: each quarter's count stands on its last month.
        quarters = publication.quarters_in(counted)
        figures = {q: publication.quarter(goal.population_id, q) for q in quarters}
        monthly = {quarter_months(q)[-1]: f.value for q, f in figures.items()}
        monthly_reasons = {quarter_months(q)[-1]: f.reason for q, f in figures.items() if f.hidden}
        counted_to = quarter_months(quarters[-1])[-1] if quarters else None
        shown = {month: value or 0 for month, value in monthly.items()}
        progress_ = _progress(goal.target, goal, shown, counted_to, today)
        so_far = sum_figures(figures.values())
        rate = sum_figures(list(figures.values())[-1:])
        by_quarter = True
    if so_far.hidden:
        for name in SO_FAR_FIGURES:
            reasons[name] = so_far.reason
    if rate.hidden:
        for name in RATE_FIGURES:
            reasons.setdefault(name, rate.reason)
    return dataclasses.replace(
        standing,
        progress=progress_,
        monthly=monthly,
        monthly_reasons=monthly_reasons,
        hidden=frozenset(reasons),
        reasons=reasons,
        withheld=COMMITTED_FIGURES if commitments_withheld(goal, viewer) else frozenset(),
        threshold=publication.threshold,
        by_quarter=by_quarter,
        baseline_withheld=goal.pk in publication.withheld_baselines,
    )


def commitments_withheld(goal: Goal, viewer: Viewer) -> bool:
    """Whether the commitments to a goal added up would give away one partner's own commitment (an
    identified figure) to the viewer: where those they may not see are a single partner's."""
    unseen = {
        commitment.organization_id
        for commitment in goal.commitments.all()
        if not viewer.knows(goal.network_id, commitment.organization_id)
    }
    return len(unseen) == 1


@dataclass
class CommitmentStanding:
    """A partner's progress against its commitment to a goal, counted up to the last month of the
    goal's period by which every report the partner owed is in."""

    commitment: Commitment
    progress: Progress
    monthly: Series
    counting: Counting

    @property
    def counted_to(self) -> datetime.date | None:
        return _last_counted(self.commitment.goal, self.progress)


def commitment_standings(
    *, network: Network, organization: Organization, today: datetime.date
) -> list[CommitmentStanding]:
    """The organization's commitments to the network's goals, each with its progress from the
    organization's own rollups, counted over the months its own reports are in for: four queries."""
    commitments = list(
        Commitment.objects.filter(goal__network=network, organization=organization)
        .select_related("goal", "goal__measure", "goal__population", "goal__population__breakdown")
        .order_by("goal__deadline", "goal__name", "goal_id")
    )
    goals = [c.goal for c in commitments]
    series = goal_series(goals=goals, organization_id=organization.pk)
    reporting = partner_reporting(
        network=network, organization_ids=[organization.pk], goals=goals, today=today
    )
    standings = []
    for commitment in commitments:
        counting = counting_of(reporting.get(organization.pk, {}), goal_period(commitment.goal))
        standings.append(
            CommitmentStanding(
                commitment=commitment,
                progress=_progress(
                    commitment.amount, commitment.goal, series[commitment.goal_id], counting.counted_to, today
                ),
                monthly=series[commitment.goal_id],
                counting=counting,
            )
        )
    return standings


def partner_reporting(
    *, network: Network, organization_ids: Iterable[int], goals: Sequence[Goal], today: datetime.date
) -> dict[int, dict[datetime.date, MonthReporting]]:
    """Each partner's own reporting over the goals' months (`partners_reporting_by_month`): two
    queries."""
    span = _reporting_span(goals)
    if span is None:
        return {}
    return completeness.partners_reporting_by_month(
        network=network, organization_ids=organization_ids, first=span.first, last=span.last, today=today
    )


@dataclass(frozen=True)
class PartnerSoFar:
    """A partner's count toward a goal over the months its own reports are in for, as on its
    commitment (`commitment_standings`)."""

    so_far: int
    counting: Counting


def partners_so_far(
    *, network: Network, goals: Sequence[Goal], organization_ids: Iterable[int], today: datetime.date
) -> dict[tuple[int, int], PartnerSoFar]:
    """Each partner's count toward each of the network's goals, counted as its commitment is: (goal
    id, organization id) -> `PartnerSoFar`. Three queries, however many partners and goals."""
    ids = sorted(set(organization_ids))
    monthly = goal_series_by_partner(goals=goals, organization_ids=ids)
    reporting = partner_reporting(network=network, organization_ids=ids, goals=goals, today=today)
    found = {}
    for goal in goals:
        period = goal_period(goal)
        for pk in ids:
            counting = counting_of(reporting.get(pk, {}), period)
            counted = [m for m in period.months if counting.counted_to and m <= counting.counted_to]
            series = monthly.get((goal.pk, pk), {})
            found[goal.pk, pk] = PartnerSoFar(sum(series.get(m, 0) for m in counted), counting)
    return found


# Who sees which partner's identified figures


def partner_get_for_dashboard(
    *, user: User, network: Network, access: Access, organization_id: int
) -> tuple[Organization, Viewer]:
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
    viewer = viewer_for(user=user, network=network, access=access)
    if not viewer.knows(network.pk, organization_id):
        raise PermissionDenied("This partner's own figures are for its staff and the backbone staff.")
    return membership.organization, viewer


# The state and the cross-state views


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


def network_ids_in(*, states: Iterable[State] | None = None) -> list[int]:
    """The ids of the networks of the states (of every state): what a statewide page's cached figures
    are keyed by."""
    networks = Network.objects.all() if states is None else Network.objects.filter(state__in=list(states))
    return sorted(networks.values_list("pk", flat=True))


def measures() -> list[Measure]:
    return list(Measure.objects.order_by("order", "code"))


def measure_by_code(found: Sequence[Measure], code: str) -> Measure | None:
    return next((measure for measure in found if measure.code == code), None)
