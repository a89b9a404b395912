"""The dashboards' figures: the selectors' counts reshaped with pandas, drawn with plotly, and the same
numbers as tables (shown beside the charts and offered as CSV), in `network.figures`' pieces."""

import datetime
from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from goals.progress import add_months
from goals.selectors import CommitmentStanding, GoalStanding, MonthPeriod, Series
from network.figures import Chart, Table, chart

# Shapes


def monthly_frame(series: Mapping[str, Series], period: MonthPeriod) -> pd.DataFrame:
    """One column per series, one row per month of the period, from the selectors' {label: {month:
    count}}. A month without any approved report is missing (NaN), not 0: its reports may still come."""
    long = pd.DataFrame(
        [
            (label, month, count)
            for label, counts in series.items()
            for month, count in counts.items()
            if period.first <= month <= period.last
        ],
        columns=["series", "month", "count"],
    ).astype({"count": "float64"})
    wide = long.pivot_table(index="month", columns="series", values="count", aggfunc="sum")
    return wide.reindex(index=period.months, columns=list(series))


def _count(value: float) -> int | None:
    return None if pd.isna(value) else int(value)


def _month_label(month: datetime.date) -> str:
    return f"{month:%B %Y}"


def _percent(share: float | None) -> int | None:
    return None if share is None else round(100 * share)


def one_decimal(value: float | None) -> float | int | None:
    if value is None:
        return None
    rounded = round(float(value), 1)
    return int(rounded) if float(rounded).is_integer() else rounded


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


# The monthly trend


def trend_table(frame: pd.DataFrame, *, caption: str, slug: str = "trend") -> Table:
    """A row per month (empty where no report was approved yet) and the months' total."""
    table = Table(caption=caption, columns=["Month", *frame.columns], slug=slug)
    for month, row in frame.iterrows():
        table.rows.append([_month_label(month), *(_count(value) for value in row)])
    table.rows.append(["All months", *(int(total) for total in frame.sum())])
    return table


def trend_chart(frame: pd.DataFrame, *, measure: str, summary: str, element_id: str = "trend-chart") -> Chart:
    months = [month.isoformat() for month in frame.index]
    figure = go.Figure(
        [
            go.Scatter(
                x=months,
                y=[_count(value) for value in frame[column]],
                name=str(column),
                mode="lines+markers",
                connectgaps=False,
                hovertemplate=f"{column}, %{{x|%B %Y}}: %{{y}}<extra></extra>",
            )
            for column in frame.columns
        ]
    )
    figure.update_layout(
        height=380,
        xaxis={"title": {"text": "Month"}, "tickformat": "%b %Y"},
        yaxis={"title": {"text": f"{measure} a month"}, "rangemode": "tozero"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02},
        margin={"t": 70},
    )
    return chart(figure, summary=summary, element_id=element_id)


# Goals


GOAL_COLUMNS = [
    "Goal",
    "Measure",
    "Population of focus",
    "Counted from",
    "Deadline",
    "Counted up to",
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


def goal_row(standing: GoalStanding) -> list[object]:
    goal, progress = standing.goal, standing.progress
    return [
        goal.name,
        goal.measure.name,
        _population(standing),
        _month_label(goal.starts_on),
        f"{goal.deadline:%B} {goal.deadline.day}, {goal.deadline.year}",
        _month_label(standing.counted_to) if standing.counted_to else None,
        progress.target,
        progress.actual,
        _percent(progress.share),
        round(progress.expected_by_now),
        _percent(progress.pace),
        one_decimal(progress.run_rate),
        round(progress.projected),
        str(progress.outlook).capitalize(),
        one_decimal(progress.needed_per_month),
        standing.committed,
        _percent(standing.coverage),
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
    """Each goal's share of its target so far beside where a straight line would be by now."""
    names = [
        f"{standing.goal.network.name}: {standing.goal.name}" if with_network else standing.goal.name
        for standing in standings
    ]
    positions = list(range(len(standings)))
    expected = [
        _percent(s.progress.expected_by_now / s.progress.target if s.progress.target else None)
        for s in standings
    ]
    figure = go.Figure(
        [
            go.Bar(
                name="Expected by now on a straight line",
                y=positions,
                x=expected,
                orientation="h",
                marker_color="#a9aeb1",
                customdata=names,
                hovertemplate="%{customdata}: %{x} % expected by now<extra></extra>",
            ),
            go.Bar(
                name="So far",
                y=positions,
                x=[_percent(s.progress.share) for s in standings],
                orientation="h",
                marker_color="#005ea2",
                customdata=[
                    f"{name} ({s.progress.outlook})" for name, s in zip(names, standings, strict=True)
                ],
                hovertemplate="%{customdata}: %{x} % of the target<extra></extra>",
            ),
        ]
    )
    figure.update_layout(
        barmode="group",
        height=max(300, 140 + 60 * len(standings)),
        xaxis={"title": {"text": "Share of the target (%)"}, "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "automargin": True, "tickvals": positions, "ticktext": names},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02},
        margin={"t": 70},
    )
    outlooks = ", ".join(f"{name}: {s.progress.outlook}" for name, s in zip(names, standings, strict=True))
    return chart(
        figure,
        summary="Horizontal bars: the share of the target reached so far by "
        f"{_plural(len(standings), 'goal')}, next to where a straight line to the target would be by now. "
        f"{outlooks}.",
        element_id="goals-chart",
    )


def burnup_rows(standing: GoalStanding) -> list[list[object]]:
    """Month by month over the goal's period: the count, the count so far, a straight line from 0 to
    the target, and the projection from the recent monthly rate once the complete months run out."""
    goal, progress = standing.goal, standing.progress
    first = goal.starts_on.replace(day=1)
    rows: list[list[object]] = []
    so_far = 0
    for n in range(progress.months_total):
        month = add_months(first, n)
        line = round(progress.target * (n + 1) / progress.months_total)
        if n < progress.months_elapsed:
            count = standing.monthly.get(month, 0)
            so_far += count
            projected = so_far if n == progress.months_elapsed - 1 else None
            rows.append([_month_label(month), count, so_far, line, projected])
        else:
            ahead = n - progress.months_elapsed + 1
            rows.append([_month_label(month), None, None, line, round(so_far + progress.run_rate * ahead)])
    return rows


BURNUP_COLUMNS = ["Month", "In the month", "So far", "On a straight line to the target", "Projected"]


def burnup_table(standing: GoalStanding) -> Table:
    return Table(
        caption=f"{standing.goal.name}: month by month",
        columns=BURNUP_COLUMNS,
        rows=burnup_rows(standing),
        slug="goal-by-month",
    )


def burnup_chart(standing: GoalStanding, table: Table) -> Chart:
    goal, progress = standing.goal, standing.progress
    months = [add_months(goal.starts_on.replace(day=1), n).isoformat() for n in range(len(table.rows))]
    column = {name: [row[i] for row in table.rows] for i, name in enumerate(BURNUP_COLUMNS)}
    figure = go.Figure(
        [
            go.Bar(
                name="In the month",
                x=months,
                y=column["In the month"],
                marker_color="#73b3e7",
                hovertemplate="%{x|%B %Y}: %{y} in the month<extra></extra>",
            ),
            go.Scatter(
                name="So far",
                x=months,
                y=column["So far"],
                mode="lines+markers",
                line={"color": "#005ea2", "width": 3},
                hovertemplate="%{x|%B %Y}: %{y} so far<extra></extra>",
            ),
            go.Scatter(
                name="On a straight line to the target",
                x=months,
                y=column["On a straight line to the target"],
                mode="lines",
                line={"color": "#565c65", "dash": "dot"},
                hovertemplate="%{x|%B %Y}: %{y} on a straight line<extra></extra>",
            ),
            go.Scatter(
                name="Projected from the recent monthly rate",
                x=months,
                y=column["Projected"],
                mode="lines",
                line={"color": "#c05600", "dash": "dash"},
                connectgaps=False,
                hovertemplate="%{x|%B %Y}: %{y} projected<extra></extra>",
            ),
        ]
    )
    figure.add_hline(
        y=progress.target,
        line={"color": "#00a91c", "dash": "longdash"},
        annotation_text=f"Target {progress.target:,}",
        annotation_position="top left",
    )
    figure.update_layout(
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
    return chart(figure, summary=summary, element_id="goal-chart")


# A partner's commitments


COMMITMENT_COLUMNS = [
    "Goal",
    "Measure",
    "Population of focus",
    "Deadline",
    "Counted up to",
    "Commitment",
    "So far",
    "Share of the commitment (%)",
    "Pace (%)",
    "Projected by the deadline",
    "Outlook",
    "Needed each month",
]


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
                _month_label(standing.counted_to) if standing.counted_to else None,
                progress.target,
                progress.actual,
                _percent(progress.share),
                _percent(progress.pace),
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
    figure = go.Figure(
        [
            go.Bar(
                name="Commitment",
                y=positions,
                x=[s.progress.target for s in standings],
                orientation="h",
                marker_color="#a9aeb1",
                customdata=names,
                hovertemplate="%{customdata}: commitment %{x}<extra></extra>",
            ),
            go.Bar(
                name="So far",
                y=positions,
                x=[s.progress.actual for s in standings],
                orientation="h",
                marker_color="#005ea2",
                customdata=names,
                hovertemplate="%{customdata}: %{x} so far<extra></extra>",
            ),
        ]
    )
    figure.update_layout(
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
        figure,
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
    """Horizontal bars, one group per label: for networks, partners or states side by side."""
    positions = list(range(len(labels)))
    colours = ["#a9aeb1", "#005ea2"] if len(series) == 2 else [None] * len(series)
    figure = go.Figure(
        [
            go.Bar(
                name=name,
                y=positions,
                x=list(values),
                orientation="h",
                marker_color=colour,
                customdata=list(labels),
                hovertemplate=f"%{{customdata}}: %{{x}} ({name.lower()})<extra></extra>",
            )
            for (name, values), colour in zip(series.items(), colours, strict=True)
        ]
    )
    figure.update_layout(
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
    return chart(figure, summary=summary, element_id=element_id)
