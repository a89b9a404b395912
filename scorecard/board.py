"""The public scorecard's figures: the shared goals' progress, enrollments month by month and the equity
picture, each published for the public through the publication layer (`metrics.publication`).

The public is `PUBLIC`, an empty `network.selectors.Viewer`: it knows no partner identified, so every
count it is shown is a network aggregate, counts from 1 to 10 (or the network's threshold) are hidden,
and so is any count that could be worked out from those shown. Every figure comes from the selectors
and builders the dashboards and equity pages use (`goals.selectors`, `goals.figures`, `equity.boards`)
for that one viewer, so a count the public sees is the same count every page shows where it is shown.
Built once per network and day while the rollups do not change (`metrics.figure_cache`): a visit costs
a cache read, whatever the number of partners."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.disclosure import note, threshold_for
from core.figures import Chart, Table
from core.numbers import as_percent
from equity import boards as equity_boards
from equity import selectors as equity_selectors
from equity.forms import EquityFilters
from equity.models import EstimateSource
from equity.selectors import Scope
from goals import figures, selectors
from goals.dashboards import reports_in_words
from goals.forms import DEFAULT_MEASURE
from goals.selectors import Freshness, GoalStanding, MonthPeriod, period_default
from metrics import completeness
from metrics.figure_cache import cached
from metrics.models import Measure
from network.models import Network
from network.selectors import Viewer

# The public's level: nobody identified.
PUBLIC = Viewer()

TREND_MONTHS = 24  # two years of months: a legislative session's view
EQUITY_BREAKDOWNS = ("race", "ethnicity")

# The goals' columns a reader outside the network needs (`goals.figures.GOAL_COLUMNS`).
GOAL_COLUMNS = [
    "Goal",
    "Population of focus",
    "Deadline",
    "Counted up to",
    "Target",
    "So far",
    "Share of the target (%)",
    "Expected by now",
    "Projected by the deadline",
    "Outlook",
    "Needed each month",
]
# The equity table's columns (`equity.boards.BREAKDOWN_COLUMNS`).
EQUITY_COLUMNS = [
    "Group",
    "Participants",
    "Share of participants (%)",
    "Eligible adults with prediabetes",
    "Share of the eligible (%)",
    "Representation ratio",
    "Stability",
]


def _columns(table: Table, keep: Sequence[str]) -> Table:
    """The table with only the columns ``keep``, in its own order."""
    index = [table.columns.index(name) for name in keep]
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
    reports_in: str  # how far the period's reports are in, in words
    measure: str
    standings: list[GoalStanding]
    goals_said: list[GoalWords]
    goals_table: Table
    goals_chart: Chart | None
    trend_table: Table
    trend_chart: Chart
    equity: list[EquityPicture] = field(default_factory=list)
    equity_period: MonthPeriod | None = None

    def __post_init__(self) -> None:
        for table in self.tables:
            figures.noted(table)

    @property
    def tables(self) -> list[Table]:
        return [self.goals_table, self.trend_table, *(picture.table for picture in self.equity)]

    @property
    def note(self) -> str:
        return note(self.threshold)


def public_board(*, network: Network, today: datetime.date) -> PublicBoard:
    """The network's scorecard figures as published to the public, from the figures' cache while
    nothing they are made from changed."""
    return cached(
        name="scorecard",
        network_ids=[network.pk],
        parts=[today],
        build=lambda: _public_board(network=network, today=today),
    )


def _goal_words(standing: GoalStanding) -> GoalWords:
    goal, progress = standing.goal, standing.progress
    deadline = f"{goal.deadline:%B} {goal.deadline.day}, {goal.deadline.year}"
    said = [f"Target: {progress.target:,} {goal.measure.name.lower()} by {deadline}."]
    if standing.counted_to is None:
        said.append("No month of the goal is complete yet, so nothing is counted so far.")
    elif "actual" in standing.hidden:
        said.append(f"The count so far is not shown: {standing.so_far_hidden_words.lower()}.")
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
    counts = selectors.published_counts(
        networks=[network],
        measure_id=measure.pk,
        period=period,
        viewer=PUBLIC,
        with_states=False,
        today=today,
    )
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
    standings = selectors.goal_standings_for(goals=goals, today=today, viewer=PUBLIC, already=counts)
    goals_table = _columns(
        figures.goals_table(standings, caption=f"Progress toward the shared goals of the {network.name}"),
        GOAL_COLUMNS,
    )
    threshold = threshold_for(network.suppression_threshold)
    equity, equity_period = _equity(network, measure, threshold, today)
    return PublicBoard(
        freshness=selectors.freshness(network_ids=[network.pk]),
        threshold=threshold,
        period=period,
        reports_in=reports_in_words(reporting, period),
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
    )


def _equity(
    network: Network, measure: Measure, threshold: int, today: datetime.date
) -> tuple[list[EquityPicture], MonthPeriod]:
    """Representation ratios by race and by ethnicity over the last 12 complete months, as the equity
    pages publish them to a viewer who knows no partner (`equity.boards.breakdown_for`)."""
    scope = Scope(
        state=network.state, viewer=PUBLIC, network=network, threshold=threshold, networks=(network,)
    )
    period = period_default(today=today)
    pictures = []
    for breakdown in equity_selectors.breakdowns():
        if breakdown.code not in EQUITY_BREAKDOWNS:
            continue
        filters = EquityFilters(period=period, measure=measure, breakdown=breakdown)
        measured, sources = equity_boards.breakdown_for(scope, filters, today)
        covers = f", counted over {measured.covers}" if measured.covers else ""
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
            EQUITY_COLUMNS,
        )
        shown = [g for g in measured.groups if not g.suppressed and g.representation is not None]
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
    return pictures, period
