"""The public scorecard's figures: the shared goals' progress, enrollments month by month and the equity
picture, each published for the public through the publication layer (`metrics.publication`).

The public is `PUBLIC`, an empty `network.selectors.Viewer`: it knows no partner identified, so every
count it is shown is a network aggregate, counts from 1 to 10 (or the network's threshold) are hidden,
and so is any count that could be worked out from those shown. Every figure comes from the selectors
and builders the dashboards and equity pages use (`goals.selectors`, `goals.figures`, `equity.boards`)
for that one viewer, so a count the public sees is the same count every page shows where it is shown.

The public page is also read by those who see some partners identified: each partner's staff (their own
figures) and the state's viewers (the partners sharing with the state). A count the public is shown that
one of them is not (a network's month of 34 that is 30 of one partner's own and 4 of the others') would
give them, by subtraction, what their own pages hide. So the public is shown a cell only where each of
them is shown it too (`public_publication`): what each of them then reads here is a part of what their
own pages show them, so it tells them nothing more.

Program outcomes (what happens after people enroll) are published by the same rule
(`scorecard.outcomes`).

Built once per network and day while the rollups do not change (`metrics.figure_cache`; a rebuild of a
partner's cohorts marks its networks' figures changed): a visit costs a cache read, whatever the number
of partners; a build solves one publication per partner that reports, and one per partner sharing its
outcomes."""

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.disclosure import Reason, threshold_for
from core.figures import Chart, Table
from core.numbers import as_percent
from equity import boards as equity_boards
from equity import selectors as equity_selectors
from equity.models import EstimateSource
from goals import figures, selectors
from goals.forms import DEFAULT_MEASURE
from goals.models import Goal
from goals.selectors import Freshness, GoalStanding, MonthPeriod, PublishedCounts, period_default, published
from metrics import completeness
from metrics.figure_cache import cached
from metrics.models import Measure, PartnerFigure
from metrics.publication import Figure, Publication, Publications
from network.models import Network
from network.selectors import Viewer
from scorecard.outcomes import PublicOutcomes, public_outcomes
from scorecard.readers import PUBLIC, viewers_identifying

TREND_MONTHS = 24  # two years of months: a legislative session's view
EQUITY_BREAKDOWNS = ("race", "ethnicity")

# What a reader outside the network does not need of the dashboards' and the equity pages' tables.
GOAL_COLUMNS_LEFT_OUT = {
    "Measure",
    "Counted from",
    "Why not further",
    "Pace (%)",
    "Recent monthly rate",
    "Committed by partners",
    "Commitment coverage (%)",
}
EQUITY_COLUMNS_LEFT_OUT = {
    "Reach per 1,000 eligible",
    "Rate ratio to the reference group (95% confidence interval)",
    "More participants needed for a fair share",
}


def viewers_identifying_some(*, network: Network, measure_id: int) -> list[Viewer]:
    """`viewers_identifying` the partners with a count of the measure. Two queries."""
    reporting = PartnerFigure.objects.filter(network=network, measure_id=measure_id)
    organizations = reporting.values_list("organization_id", flat=True).order_by().distinct()
    return viewers_identifying(network=network, organization_ids=organizations)


def public_publication(*, network: Network, measure_id: int, today: datetime.date) -> Publication:
    """The network's counts of the measure as published to the public: the publication layer's for the
    viewer who knows no partner (`PUBLIC`), less each cell (a month's total, a quarter's category) that
    one of `viewers_identifying_some` is not shown. Those cells say why: so that another count cannot be
    worked out."""
    public = published(networks=[network], measure_id=measure_id, viewer=PUBLIC, today=today).network(
        network.pk
    )
    months, quarters = dict(public.month_figures), dict(public.quarter_figures)
    for viewer in viewers_identifying_some(network=network, measure_id=measure_id):
        theirs = published(networks=[network], measure_id=measure_id, viewer=viewer, today=today)
        own = theirs.network(network.pk)
        for month, figure in months.items():
            if figure.value is not None and own.month(month).hidden:
                months[month] = Figure(None, Reason.COMPLEMENT)
        for key, figure in quarters.items():
            found = own.quarter_figures.get(key)
            if figure.value is not None and found is not None and found.hidden:
                quarters[key] = Figure(None, Reason.COMPLEMENT)
    return dataclasses.replace(public, month_figures=months, quarter_figures=quarters)


def public_counts(
    *, network: Network, measure_id: int, period: MonthPeriod, today: datetime.date
) -> PublishedCounts:
    """`public_publication` in the shape the dashboards' selectors take (`goals.selectors.published_counts`),
    so that the goals' standings read it too."""
    publication = public_publication(network=network, measure_id=measure_id, today=today)
    months = period.months
    return PublishedCounts(
        networks={network.pk: publication.series(months)},
        states={},
        network_thresholds={network.pk: publication.threshold},
        state_thresholds={},
        network_reasons={network.pk: publication.reasons(months)},
        publications=Publications(networks={network.pk: publication}, states={}),
        measure_id=measure_id,
    )


def public_standings(
    *, network: Network, goals: Sequence[Goal], counts: PublishedCounts, today: datetime.date
) -> list[GoalStanding]:
    """The goals' standings as the dashboards compute them for a viewer (`goal_standings_for`), each from
    the public's publication of its measure (``counts`` where it is of that measure)."""
    by_measure: dict[int, list[Goal]] = defaultdict(list)
    for goal in goals:
        by_measure[goal.measure_id].append(goal)
    found: dict[int, GoalStanding] = {}
    for measure_id, group in by_measure.items():
        already = (
            counts
            if counts.measure_id == measure_id
            else public_counts(
                network=network, measure_id=measure_id, period=MonthPeriod(today, today), today=today
            )
        )
        for standing in selectors.goal_standings_for(
            goals=group, today=today, viewer=PUBLIC, already=already
        ):
            found[standing.goal.pk] = standing
    return [found[goal.pk] for goal in goals]


def _columns(table: Table, *, leave_out: set[str]) -> Table:
    """The table without the columns ``leave_out``."""
    index = [n for n, name in enumerate(table.columns) if name not in leave_out]
    table.columns = [table.columns[i] for i in index]
    table.rows = [[row[i] for i in index] for row in table.rows]
    return table


@dataclass
class GoalWords:
    """A goal's progress said in a sentence or two, with nothing the public may not see."""

    name: str
    sentences: list[str]


@dataclass
class EquityPicture:
    breakdown: str
    table: Table
    chart: Chart | None
    sources: list[EstimateSource]
    under_represented: list[str]


@dataclass
class PublicBoard:
    freshness: Freshness
    threshold: int
    period: MonthPeriod
    provisional: list[datetime.date]  # the months over whose reports are not all in yet
    measure: str
    standings: list[GoalStanding]
    goals_said: list[GoalWords]
    goals_table: Table
    goals_chart: Chart | None
    trend_table: Table
    trend_chart: Chart
    equity: list[EquityPicture] = field(default_factory=list)
    equity_period: str = ""  # the months the ratios count, in words: whole quarters where not every month
    last_complete: datetime.date | None = None  # the latest month with every report in
    outcomes: PublicOutcomes | None = None  # what happens after people enroll

    @property
    def tables(self) -> list[Table]:
        return [
            self.goals_table,
            self.trend_table,
            *(picture.table for picture in self.equity),
            *(self.outcomes.tables if self.outcomes else []),
        ]


def public_board(*, network: Network, today: datetime.date) -> PublicBoard:
    """The network's scorecard figures as published to the public, from the figures' cache while
    nothing they are made from changed."""
    return cached(
        name="scorecard",
        network_ids=[network.pk],
        parts=[today],
        build=lambda: _public_board(network=network, today=today),
    )


def _why_not(standing: GoalStanding) -> str:
    """Why a goal's count so far is not shown, in a clause."""
    match standing.reasons.get("actual", Reason.INCLUDES):
        case Reason.PROVISIONAL:
            return "not all the reports of a month it counts are in yet"
        case Reason.SMALL:
            return f"it is fewer than {standing.threshold}, hidden to protect privacy"
        case Reason.COMPLEMENT:
            return "another count could be worked out from it, so it is hidden to protect privacy"
        case _:
            return "it includes a count hidden to protect privacy"


def _goal_words(standing: GoalStanding) -> GoalWords:
    goal, progress = standing.goal, standing.progress
    deadline = f"{goal.deadline:%B} {goal.deadline.day}, {goal.deadline.year}"
    said = [f"Target: {progress.target:,} {goal.measure.name.lower()} by {deadline}."]
    if standing.counted_to is None:
        said.append("No month of the goal is complete yet, so nothing is counted so far.")
    elif "actual" in standing.hidden:
        said.append(f"The count so far is not shown: {_why_not(standing)}.")
    else:
        share = as_percent(progress.share)
        said.append(
            f"So far, to the end of {standing.counted_to:%B %Y}: {progress.actual:,} ({share} % of the "
            "target)."
        )
    if standing.outlook is not None and standing.counted_to is not None:
        said.append(f"Outlook at the recent pace: {standing.outlook}.")
    return GoalWords(goal.name, said)


def _public_board(*, network: Network, today: datetime.date) -> PublicBoard:
    measure = next(m for m in selectors.measures() if m.code == DEFAULT_MEASURE)
    period = period_default(today=today, months=TREND_MONTHS)
    counts = public_counts(network=network, measure_id=measure.pk, period=period, today=today)
    reporting = completeness.reporting_by_month(
        networks=[network], first=period.first, last=period.last, today=today
    )[network.pk]
    monthly = figures.monthly_frame(
        {network.name: counts.networks[network.pk]},
        period,
        thresholds={network.name: counts.network_thresholds[network.pk]},
        reporting={network.name: reporting},
        reasons={network.name: counts.network_reasons[network.pk]},
    )
    caption = f"{measure.name} a month in the {network.name}, {period}"

    running = selectors.goals_running(network=network, today=today)
    goals = running.live or ([running.last_ended] if running.last_ended else [])
    standings = public_standings(network=network, goals=goals, counts=counts, today=today)
    goals_table = _columns(
        figures.goals_table(standings, caption=f"Progress toward the shared goals of the {network.name}"),
        leave_out=GOAL_COLUMNS_LEFT_OUT,
    )
    threshold = threshold_for(network.suppression_threshold)
    publication = counts.publications.network(network.pk) if counts.publications else None
    equity, equity_period = _equity(network, measure, publication, threshold, today)
    return PublicBoard(
        freshness=selectors.freshness(network_ids=[network.pk]),
        threshold=threshold,
        period=period,
        provisional=[month for month, found in reporting.items() if not found.complete],
        last_complete=max((month for month, found in reporting.items() if found.complete), default=None),
        measure=measure.name,
        standings=standings,
        goals_said=[_goal_words(standing) for standing in standings],
        goals_table=goals_table,
        goals_chart=figures.goals_chart(standings) if standings else None,
        trend_table=figures.trend_table(monthly, caption=caption),
        trend_chart=figures.trend_chart(
            monthly,
            measure=measure.name,
            summary=f"A line: {caption}, {monthly.total_words(network.name)} in all; months whose count is "
            "hidden or whose reports are not all in are left out.",
        ),
        equity=equity,
        equity_period=equity_period,
        outcomes=public_outcomes(network=network, today=today),
    )


def _equity(
    network: Network, measure: Measure, publication: Publication | None, threshold: int, today: datetime.date
) -> tuple[list[EquityPicture], str]:
    """Representation ratios by race and by ethnicity over the last 12 complete months, measured as the
    equity pages measure them for a viewer who may not see every partner (`equity.boards.Read`), from
    the public's publication."""
    period = period_default(today=today)
    pictures = []
    counted = str(period)
    for breakdown in equity_selectors.breakdowns():
        if breakdown.code not in EQUITY_BREAKDOWNS:
            continue
        eligible, sources = equity_selectors.eligible(state=network.state, breakdown=breakdown)
        categories = equity_selectors.categories_of(breakdown=breakdown, state=network.state)
        read = equity_boards.Read(categories, period, {}, publication, eligible, sources)
        measured = read.measured()
        covers = f", counted over {measured.covers}" if measured.covers else ""
        counted = measured.covers or counted
        caption = (
            f"{measure.name} by {breakdown.name.lower()} against the eligible population, {period}{covers}"
        )
        table = _columns(
            Table(
                caption=caption,
                columns=equity_boards.BREAKDOWN_COLUMNS,
                rows=equity_boards.breakdown_rows(measured, threshold),
                slug=f"equity-{breakdown.code}",
            ),
            leave_out=EQUITY_COLUMNS_LEFT_OUT,
        )
        shown = [
            g for g in measured.groups if not g.suppressed and not g.unstable and g.representation is not None
        ]
        pictures.append(
            EquityPicture(
                breakdown=breakdown.name,
                table=table,
                chart=equity_boards.representation_chart(
                    measured,
                    caption=f"representation ratio of each group by {breakdown.name.lower()}, {period}",
                    element_id=f"equity-{breakdown.code}-chart",
                ),
                sources=sources,
                under_represented=[g.name for g in shown if g.representation < 0.8],
            )
        )
    return pictures, counted
