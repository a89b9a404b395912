"""The dashboards' figures: the selectors' counts reshaped with pandas, drawn with plotly, and the same
numbers as tables (shown beside the charts and offered as CSV), in `core.figures`' pieces."""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from core.calendar import month_add, month_name
from core.disclosure import DEFAULT_THRESHOLD, Reason, note
from core.figures import (
    BLUE,
    COLOURS,
    GREY,
    INK,
    MUTED,
    SKY_BLUE,
    VERMILLION,
    Chart,
    Suppressed,
    Table,
    bar,
    chart,
    figure,
    hline,
    scatter,
)
from core.numbers import as_percent
from goals.selectors import CommitmentStanding, Counting, GoalStanding, MonthPeriod
from metrics.completeness import MonthReporting

# Suppressed cells, said in words

# How a chart summary speaks of a suppressed count (a table's note is `core.disclosure.note`).
SUPPRESSED_WORDS = "suppressed to protect privacy"


@dataclass(frozen=True)
class Withheld:
    """A table cell left out because it would give away one partner's own figure: the commitments to a
    goal added up, where all but one partner's are the viewer's own."""

    is_suppressed = True  # drawn as a suppressed cell (templates/includes/table.html)

    def __str__(self) -> str:
        return "Not shown (one partner's commitment)"


def noted(table: Table) -> Table:
    """The table, its caption saying so where some of its cells are suppressed."""
    thresholds = [cell.threshold for row in table.rows for cell in row if isinstance(cell, Suppressed)]
    if thresholds:
        table.caption = f"{table.caption.rstrip('.')}. {note(max(thresholds))}"
    return table


# Shapes


@dataclass(frozen=True)
class Monthly:
    """Counts by month (rows) and series (columns). NaN where no report was approved yet, or where the
    count is suppressed, which ``hidden`` says (label -> months) with the threshold of each series;
    ``reporting`` says, for the series of networks or states, how far each month's reports are in
    (a month not complete is provisional)."""

    counts: pd.DataFrame
    hidden: Mapping[str, frozenset[datetime.date]] = field(default_factory=dict)
    thresholds: Mapping[str, int] = field(default_factory=dict)
    reporting: Mapping[str, Mapping[datetime.date, MonthReporting]] = field(default_factory=dict)
    reasons: Mapping[str, Mapping[datetime.date, Reason]] = field(default_factory=dict)

    def is_provisional(self, column: str, month: datetime.date) -> bool:
        found = self.reporting.get(column, {}).get(month)
        return found is not None and not found.complete

    def reporting_cell(self, column: str, month: datetime.date) -> str:
        found = self.reporting.get(column, {}).get(month)
        return found.short_words if found else "month not over"

    @property
    def any_provisional(self) -> bool:
        return any(not found.complete for column in self.reporting.values() for found in column.values())

    @property
    def columns(self) -> list[str]:
        return list(self.counts.columns)

    def threshold(self, column: str) -> int:
        return self.thresholds.get(column, DEFAULT_THRESHOLD)

    def is_hidden(self, column: str, month: datetime.date) -> bool:
        return month in self.hidden.get(column, frozenset())

    def total(self, column: str) -> int | None:
        """The series' count over the months: suppressed where a month's is, which the months shown
        beside it would give away (`goals.selectors.published_sum`)."""
        if self.hidden.get(column):
            return None
        return int(self.counts[column].sum())

    def cell(self, column: str, month: datetime.date) -> int | Suppressed | None:
        if self.is_hidden(column, month):
            reason = self.reasons.get(column, {}).get(month, Reason.COMPLEMENT)
            return Suppressed(self.threshold(column), reason)
        return _count(self.counts.loc[month, column])

    def total_reason(self, column: str) -> Reason:
        """Why the series' total is not shown: provisional where every month hidden is, else it
        includes a suppressed count."""
        reasons = {
            self.reasons.get(column, {}).get(m, Reason.COMPLEMENT) for m in self.hidden.get(column, ())
        }
        return Reason.PROVISIONAL if reasons == {Reason.PROVISIONAL} else Reason.INCLUDES

    def total_cell(self, column: str) -> int | Suppressed:
        total = self.total(column)
        return Suppressed(self.threshold(column), self.total_reason(column)) if total is None else total

    def total_words(self, column: str) -> str:
        total = self.total(column)
        return SUPPRESSED_WORDS if total is None else f"{total:,}"


def monthly_frame(
    series: Mapping[str, Mapping[datetime.date, int | None]],
    period: MonthPeriod,
    thresholds: Mapping[str, int] | None = None,
    reporting: Mapping[str, Mapping[datetime.date, MonthReporting]] | None = None,
    reasons: Mapping[str, Mapping[datetime.date, Reason]] | None = None,
) -> Monthly:
    """One column per series, one row per month of the period, from the selectors' {label: {month:
    count}} (None where a count is suppressed). A month without any approved report is missing (NaN),
    not 0: its reports may still come. ``reporting`` (label -> month -> `MonthReporting`) marks the
    months of a series whose reports are not all in as provisional."""
    long = pd.DataFrame(
        [
            (label, month, count)
            for label, counts in series.items()
            for month, count in counts.items()
            if period.first <= month <= period.last and count is not None
        ],
        columns=["series", "month", "count"],
    ).astype({"count": "float64"})
    wide = long.pivot_table(index="month", columns="series", values="count", aggfunc="sum")
    hidden = {
        label: frozenset(
            month for month, count in counts.items() if count is None and period.first <= month <= period.last
        )
        for label, counts in series.items()
    }
    return Monthly(
        counts=wide.reindex(index=period.months, columns=list(series)),
        hidden={label: months for label, months in hidden.items() if months},
        thresholds=dict(thresholds or {}),
        reporting=dict(reporting or {}),
        reasons=dict(reasons or {}),
    )


def _count(value: float) -> int | None:
    return None if pd.isna(value) else int(value)


def one_decimal(value: float | None) -> float | int | None:
    if value is None:
        return None
    rounded = round(float(value), 1)
    return int(rounded) if float(rounded).is_integer() else rounded


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


# The monthly trend


PROVISIONAL_NOTE = (
    "A month is provisional until the reports expected for it are in (or enough of them for the "
    "network's completeness threshold): its count may still grow, and progress does not count it yet."
)


def trend_table(monthly: Monthly, *, caption: str, slug: str = "trend") -> Table:
    """A row per month (empty where no report was approved yet) and the months' total; beside each
    series of a network or a state, how far the month's reports are in, "provisional" until complete."""
    with_reporting = [column for column in monthly.columns if column in monthly.reporting]
    columns = ["Month"]
    for column in monthly.columns:
        columns.append(column)
        if column in monthly.reporting:
            columns.append(f"Reports in: {column}" if len(with_reporting) > 1 else "Reports in")
    table = Table(caption=caption, columns=columns, slug=slug)
    if monthly.any_provisional:
        table.caption = f"{caption}. {PROVISIONAL_NOTE}"
    for month in monthly.counts.index:
        row: list[object] = [month_name(month)]
        for column in monthly.columns:
            row.append(monthly.cell(column, month))
            if column in monthly.reporting:
                row.append(monthly.reporting_cell(column, month))
        table.rows.append(row)
    totals: list[object] = ["All months"]
    for column in monthly.columns:
        totals.append(monthly.total_cell(column))
        if column in monthly.reporting:
            totals.append(None)
    table.rows.append(totals)
    return table


def trend_chart(monthly: Monthly, *, measure: str, summary: str, element_id: str = "trend-chart") -> Chart:
    """A line per series; a suppressed month is left out of its line (a gap), so neither the line nor
    its hover text carries the count. Provisional months are drawn as a dashed line with open markers
    in the series' colour, and their hover text says so with the reports in."""
    frame = monthly.counts
    months = list(frame.index)
    traces = []
    for index, column in enumerate(frame.columns):
        colour = COLOURS[index % len(COLOURS)]
        counts = [_count(value) for value in frame[column]]
        provisional = [monthly.is_provisional(column, month) for month in months]
        complete = [None if late else count for count, late in zip(counts, provisional, strict=True)]
        traces.append(
            scatter(
                x=[month.isoformat() for month in months],
                y=complete,
                name=str(column),
                legendgroup=str(column),
                mode="lines+markers",
                line={"color": colour},
                connectgaps=False,
                hovertemplate=f"{column}, %{{x|%B %Y}}: %{{y}}<extra></extra>",
            )
        )
        if any(provisional):
            # The dashed line starts at the last complete month before each provisional one, so the
            # two read as one series.
            shown = [
                count if late or (n + 1 < len(provisional) and provisional[n + 1]) else None
                for n, (count, late) in enumerate(zip(counts, provisional, strict=True))
            ]
            words = [
                monthly.reporting_cell(column, month) if late else "complete"
                for month, late in zip(months, provisional, strict=True)
            ]
            traces.append(
                scatter(
                    x=[month.isoformat() for month in months],
                    y=shown,
                    name=f"{column}, provisional",
                    legendgroup=str(column),
                    mode="lines+markers",
                    line={"color": colour, "dash": "dash"},
                    marker={"symbol": "circle-open", "size": 9},
                    connectgaps=False,
                    customdata=words,
                    hovertemplate=f"{column}, %{{x|%B %Y}}: %{{y}} (%{{customdata}})<extra></extra>",
                )
            )
    drawn = figure(
        traces,
        height=380,
        xaxis={"title": {"text": "Month"}, "tickformat": "%b %Y"},
        yaxis={"title": {"text": f"{measure} a month"}, "rangemode": "tozero"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02},
        margin={"t": 70},
    )
    if monthly.any_provisional:
        summary = (
            f"{summary} Dashed lines with open circles are provisional months, whose reports are not all in."
        )
    return chart(drawn, summary=summary, element_id=element_id)


# Goals


GOAL_COLUMNS = [
    "Goal",
    "Measure",
    "Population of focus",
    "Counted from",
    "Deadline",
    "Counted up to",
    "Why not further",
    "Target",
    "So far",
    "Share of the target (%)",
    "Expected by now",
    "Pace (%)",
    "Recent monthly rate",
    "Projected by the deadline",
    "Outlook",
    "Needed each month",
    "Committed by partners",
    "Commitment coverage (%)",
]


def _population(standing: GoalStanding) -> str:
    population = standing.goal.population
    return f"{population.breakdown.name}: {population.name}" if population else "Everyone"


def _shown(standing: GoalStanding, name: str, value: object) -> object:
    """A figure of the standing, or the words saying it is suppressed or withheld from the viewer."""
    if name in standing.hidden:
        return Suppressed(standing.threshold, standing.reasons.get(name, Reason.INCLUDES))
    if name in standing.withheld:
        return Withheld()
    return value


def goal_row(standing: GoalStanding) -> list[object]:
    goal, progress = standing.goal, standing.progress
    return [
        goal.name,
        goal.measure.name,
        _population(standing),
        month_name(goal.starts_on),
        f"{goal.deadline:%B} {goal.deadline.day}, {goal.deadline.year}",
        month_name(standing.counted_to) if standing.counted_to else None,
        standing.counting.why or None,
        progress.target,
        _shown(standing, "actual", progress.actual),
        _shown(standing, "share", as_percent(progress.share)),
        round(progress.expected_by_now),
        _shown(standing, "pace", as_percent(progress.pace)),
        _shown(standing, "run_rate", one_decimal(progress.run_rate)),
        _shown(standing, "projected", round(progress.projected)),
        _shown(standing, "outlook", str(progress.outlook).capitalize()),
        _shown(standing, "needed_per_month", one_decimal(progress.needed_per_month)),
        _shown(standing, "committed", standing.committed),
        _shown(standing, "coverage", as_percent(standing.coverage)),
    ]


def goals_table(standings: Sequence[GoalStanding], *, caption: str, with_network: bool = False) -> Table:
    return Table(
        caption=caption,
        columns=(["Network"] if with_network else []) + GOAL_COLUMNS,
        rows=[
            ([standing.goal.network.name] if with_network else []) + goal_row(standing)
            for standing in standings
        ],
        slug="goals",
    )


def goals_chart(standings: Sequence[GoalStanding], *, with_network: bool = False) -> Chart:
    """Each goal's share of its target so far beside where a straight line would be by now. A goal whose
    count so far is suppressed has no "so far" bar, and its hover text and summary say so."""
    names = [
        f"{standing.goal.network.name}: {standing.goal.name}" if with_network else standing.goal.name
        for standing in standings
    ]
    positions = list(range(len(standings)))
    expected = [
        as_percent(s.progress.expected_by_now / s.progress.target if s.progress.target else None)
        for s in standings
    ]
    outlooks = [s.outlook or f"outlook {SUPPRESSED_WORDS}" for s in standings]
    drawn = figure(
        [
            bar(
                name="Expected by now on a straight line",
                y=positions,
                x=expected,
                orientation="h",
                marker={"color": GREY},
                customdata=names,
                hovertemplate="%{customdata}: %{x} % expected by now<extra></extra>",
            ),
            bar(
                name="So far",
                y=positions,
                x=[None if "share" in s.hidden else as_percent(s.progress.share) for s in standings],
                orientation="h",
                marker={"color": BLUE},
                customdata=[f"{name} ({outlook})" for name, outlook in zip(names, outlooks, strict=True)],
                hovertemplate="%{customdata}: %{x} % of the target<extra></extra>",
            ),
        ],
        barmode="group",
        height=max(300, 140 + 60 * len(standings)),
        xaxis={"title": {"text": "Share of the target (%)"}, "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "automargin": True, "tickvals": positions, "ticktext": names},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02},
        margin={"t": 70},
    )
    said = ", ".join(f"{name}: {outlook}" for name, outlook in zip(names, outlooks, strict=True))
    return chart(
        drawn,
        summary="Horizontal bars: the share of the target reached so far by "
        f"{_plural(len(standings), 'goal')}, next to where a straight line to the target would be by now. "
        f"{said}.",
        element_id="goals-chart",
    )


def reporting_words(counting: Counting, month: datetime.date) -> str:
    """How far a month's reports are in, and whether the goal counts it."""
    found = counting.reporting.get(month)
    if found is None:
        return "month not over"
    if not counting.is_provisional(month):
        return found.short_words
    if found.complete:
        return f"{found.short_words}, provisional until the months before it are complete"
    return found.short_words


def burnup_rows(standing: GoalStanding) -> list[list[object]]:
    """Month by month over the goal's period: the count, how far its reports are in, the count so far,
    a straight line from 0 to the target, and the projection from the recent monthly rate once the
    complete months run out. A provisional month shows its count so far, never adds it up."""
    goal, progress = standing.goal, standing.progress
    first = goal.starts_on.replace(day=1)
    rows: list[list[object]] = []
    so_far = 0
    for n in range(progress.months_total):
        month = month_add(first, n)
        line = round(progress.target * (n + 1) / progress.months_total)
        words = reporting_words(standing.counting, month)
        count = standing.monthly.get(month, 0)
        reason = standing.monthly_reasons.get(month, Reason.COMPLEMENT)
        shown = Suppressed(standing.threshold, reason) if count is None else count
        if standing.by_quarter and month not in standing.monthly:
            shown = Suppressed(standing.threshold, Reason.QUARTERLY)
        if n < progress.months_elapsed:
            so_far += count or 0
            projected = so_far if n == progress.months_elapsed - 1 else None
            rows.append([month_name(month), shown, words, so_far, line, projected])
        else:
            ahead = n - progress.months_elapsed + 1
            # A provisional month without an approved report has no count yet: not a zero.
            in_month = shown if month in standing.monthly else None
            rows.append(
                [month_name(month), in_month, words, None, line, round(so_far + progress.run_rate * ahead)]
            )
    return rows


BURNUP_COLUMNS = [
    "Month",
    "In the month",
    "Reports in",
    "So far",
    "On a straight line to the target",
    "Projected",
]


def burnup_table(standing: GoalStanding) -> Table:
    caption = f"{standing.goal.name}: month by month"
    if standing.counting.provisional:
        caption = f"{caption}. {PROVISIONAL_NOTE}"
    return Table(caption=caption, columns=BURNUP_COLUMNS, rows=burnup_rows(standing), slug="goal-by-month")


def _number(value: object) -> int | None:
    return value if isinstance(value, int) else None


def burnup_chart(standing: GoalStanding, table: Table) -> Chart:
    goal, progress = standing.goal, standing.progress
    months = [month_add(goal.starts_on.replace(day=1), n) for n in range(len(table.rows))]
    x = [month.isoformat() for month in months]
    column = {name: [row[i] for row in table.rows] for i, name in enumerate(BURNUP_COLUMNS)}
    late = [standing.counting.is_provisional(month) for month in months]
    in_month = [_number(value) for value in column["In the month"]]
    drawn = figure(
        [
            bar(
                name="In the month",
                x=x,
                y=[None if provisional else value for value, provisional in zip(in_month, late, strict=True)],
                marker={"color": SKY_BLUE},
                hovertemplate="%{x|%B %Y}: %{y} in the month<extra></extra>",
            ),
            bar(
                name="In the month, provisional (not counted yet)",
                x=x,
                y=[value if provisional else None for value, provisional in zip(in_month, late, strict=True)],
                marker={
                    "color": "white",
                    "line": {"color": BLUE, "width": 1.5},
                    "pattern": {"shape": "/", "fgcolor": BLUE},
                },
                customdata=column["Reports in"],
                hovertemplate="%{x|%B %Y}: %{y} in the month so far, provisional (%{customdata})"
                "<extra></extra>",
            ),
            scatter(
                name="So far",
                x=x,
                y=column["So far"],
                mode="lines+markers",
                line={"color": BLUE, "width": 3},
                hovertemplate="%{x|%B %Y}: %{y} so far<extra></extra>",
            ),
            scatter(
                name="On a straight line to the target",
                x=x,
                y=column["On a straight line to the target"],
                mode="lines",
                line={"color": MUTED, "dash": "dot"},
                hovertemplate="%{x|%B %Y}: %{y} on a straight line<extra></extra>",
            ),
            scatter(
                name="Projected from the recent monthly rate",
                x=x,
                y=column["Projected"],
                mode="lines",
                line={"color": VERMILLION, "dash": "dash"},
                connectgaps=False,
                hovertemplate="%{x|%B %Y}: %{y} projected<extra></extra>",
            ),
        ],
        **hline(progress.target, line={"color": INK, "dash": "longdash"}, text=f"Target {progress.target:,}"),
        barmode="overlay",
        height=420,
        xaxis={"title": {"text": "Month"}, "tickformat": "%b %Y"},
        yaxis={"title": {"text": goal.measure.name}, "rangemode": "tozero"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02},
        margin={"t": 80},
    )
    summary = (
        f"{goal.name}: {progress.actual:,} of the target of {progress.target:,} after "
        f"{_plural(progress.months_elapsed, 'complete month')} of {progress.months_total}; "
        f"{round(progress.projected):,} projected by the deadline, {progress.outlook}."
    )
    if standing.counting.provisional:
        summary += (
            f" Not counted yet: {_plural(len(standing.counting.provisional), 'provisional month')}, drawn as "
            f"hatched bars ({standing.counting.why})."
        )
    return chart(drawn, summary=summary, element_id="goal-chart")


# A partner's commitments


COMMITMENT_COLUMNS = [
    "Goal",
    "Measure",
    "Population of focus",
    "Deadline",
    "Counted up to",
    "Why not further",
    "Commitment",
    "So far",
    "Share of the commitment (%)",
    "Pace (%)",
    "Projected by the deadline",
    "Outlook",
    "Needed each month",
]


def _own_why(counting: Counting) -> str | None:
    """Why a partner's own progress is not counted further: its report of the next month is not in."""
    waiting = counting.waiting_for
    return f"{waiting.month:%B %Y}: its report is not in yet" if waiting else None


def commitments_table(standings: Sequence[CommitmentStanding], *, organization: str) -> Table:
    rows = []
    for standing in standings:
        goal, progress = standing.commitment.goal, standing.progress
        population = goal.population
        rows.append(
            [
                goal.name,
                goal.measure.name,
                f"{population.breakdown.name}: {population.name}" if population else "Everyone",
                f"{goal.deadline:%B} {goal.deadline.day}, {goal.deadline.year}",
                month_name(standing.counted_to) if standing.counted_to else None,
                _own_why(standing.counting),
                progress.target,
                progress.actual,
                as_percent(progress.share),
                as_percent(progress.pace),
                round(progress.projected),
                str(progress.outlook).capitalize(),
                one_decimal(progress.needed_per_month),
            ]
        )
    return Table(
        caption=f"Progress of {organization} against its commitments",
        columns=COMMITMENT_COLUMNS,
        rows=rows,
        slug="commitments",
    )


def commitments_chart(standings: Sequence[CommitmentStanding], *, organization: str) -> Chart:
    names = [standing.commitment.goal.name for standing in standings]
    positions = list(range(len(standings)))
    drawn = figure(
        [
            bar(
                name="Commitment",
                y=positions,
                x=[s.progress.target for s in standings],
                orientation="h",
                marker={"color": GREY},
                customdata=names,
                hovertemplate="%{customdata}: commitment %{x}<extra></extra>",
            ),
            bar(
                name="So far",
                y=positions,
                x=[s.progress.actual for s in standings],
                orientation="h",
                marker={"color": BLUE},
                customdata=names,
                hovertemplate="%{customdata}: %{x} so far<extra></extra>",
            ),
        ],
        barmode="group",
        height=max(280, 140 + 60 * len(standings)),
        yaxis={"autorange": "reversed", "automargin": True, "tickvals": positions, "ticktext": names},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02},
        margin={"t": 70},
    )
    outlooks = "; ".join(
        f"{s.commitment.goal.name}: {s.progress.actual:,} of {s.progress.target:,}, {s.progress.outlook}"
        for s in standings
    )
    return chart(
        drawn,
        summary=f"Horizontal bars: what {organization} committed to each goal and what it reached so far. "
        f"{outlooks}.",
        element_id="commitments-chart",
    )


# Bars per network, per partner


def bars_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[int | None]],
    *,
    axis: str,
    summary: str,
    element_id: str,
) -> Chart:
    """Horizontal bars, one group per label: for networks, partners or states side by side. A None
    value (no count, or a suppressed one) draws no bar and has no hover text."""
    positions = list(range(len(labels)))
    colours = [GREY, BLUE] if len(series) == 2 else [None] * len(series)
    drawn = figure(
        [
            bar(
                name=name,
                y=positions,
                x=list(values),
                orientation="h",
                marker={"color": colour} if colour else {},
                customdata=list(labels),
                hovertemplate=f"%{{customdata}}: %{{x}} ({name.lower()})<extra></extra>",
            )
            for (name, values), colour in zip(series.items(), colours, strict=True)
        ],
        barmode="group",
        height=max(280, 120 + (24 + 16 * len(series)) * len(labels)),
        xaxis={"title": {"text": axis}, "rangemode": "tozero"},
        yaxis={
            "autorange": "reversed",
            "automargin": True,
            "tickvals": positions,
            "ticktext": list(labels),
        },
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02},
        showlegend=len(series) > 1,
        margin={"t": 70},
    )
    return chart(drawn, summary=summary, element_id=element_id)
