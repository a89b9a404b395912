"""The tables and charts of self-assessment results: item scores, phases, closeness, the trend across
rounds, ratings by organization and every answer."""

import plotly.graph_objects as go
from django.utils import timezone

from core import figures
from network.models import (
    AssessmentRound,
    Closeness,
)
from network.partnership import assessments
from network.partnership.assessments import RatingsByOrganization, RoundResults, Trend

# Plotly's mode bar puts buttons inside the chart, which the shared chart template marks role="img" (a
# role whose content must not be interactive), and one of them ("Share chart...") would send the
# figure's data to Plotly's cloud. These small charts need none of them: the table has the numbers.
MODE_BAR_BUTTONS = [
    "toImage",
    "sendChartToCloud",
    "zoom2d",
    "pan2d",
    "select2d",
    "lasso2d",
    "zoomIn2d",
    "zoomOut2d",
    "autoScale2d",
    "resetScale2d",
    "toggleHover",
    "toggleSpikelines",
    "hoverClosestCartesian",
    "hoverCompareCartesian",
]


def chart(figure: go.Figure, *, summary: str, element_id: str) -> figures.Chart:
    figure.update_layout(modebar_remove=MODE_BAR_BUTTONS)
    return figures.chart(figure, summary=summary, element_id=element_id)


def mean(value: float | None) -> str | None:
    """Means with two decimals everywhere (3.00, not 3.0), in the table and its CSV alike."""
    return None if value is None else f"{value:.2f}"


def items_table(results: RoundResults) -> figures.Table:
    labels = results.assessment_round.instrument.scale_labels or {}
    return figures.Table(
        caption=f"Scores per item in {results.assessment_round.title}",
        columns=[
            "Item",
            "Answers",
            "Mean score",
            *(f"{s}: {labels[str(s)]}" if str(s) in labels else str(s) for s in results.scale),
        ],
        rows=[[row.name, row.answers, mean(row.mean), *row.distribution.values()] for row in results.items],
        slug="scores-per-item",
    )


# From the lowest score to the highest.
SCALE_COLOURS = figures.BLUES


def scale_colours(scale: list[int]) -> list[str]:
    if len(scale) <= 1:
        return SCALE_COLOURS[-1:]
    last = len(SCALE_COLOURS) - 1
    return [SCALE_COLOURS[round(i * last / (len(scale) - 1))] for i in range(len(scale))]


def items_chart(results: RoundResults) -> figures.Chart:
    labels = results.assessment_round.instrument.scale_labels or {}
    names = [row.name for row in results.items][::-1]  # plotly draws the first category at the bottom
    figure = go.Figure(
        [
            go.Bar(
                name=f"{score}: {labels.get(str(score), '')}".rstrip(": "),
                y=names,
                x=[row.distribution[score] for row in results.items][::-1],
                orientation="h",
                marker_color=colour,
            )
            for score, colour in zip(results.scale, scale_colours(results.scale), strict=True)
        ]
    )
    figure.update_layout(barmode="stack", xaxis_title="Answers", legend_title="Score", yaxis_automargin=True)
    means = "; ".join(
        f"{row.name} {row.mean:.1f}" if row.mean is not None else f"{row.name} no answers"
        for row in results.items
    )
    return chart(
        figure,
        summary=f"How many answers gave each score, per item. Mean scores: {means}.",
        element_id="items-chart",
    )


def phase_table(results: RoundResults) -> figures.Table:
    return figures.Table(
        caption="The phase partners place the network in",
        columns=["Phase", "Partners"],
        rows=[[label, n] for _, label, n in results.phases],
        slug="phases",
    )


def closeness_table(results: RoundResults) -> figures.Table:
    return figures.Table(
        caption="How closely partners say they work together",
        columns=["Closeness", "Ties named"],
        rows=[[label, n] for _, label, n in results.closeness],
        slug="closeness",
    )


def counts_chart(counts: list[tuple[str, str, int]], element_id: str, what: str) -> figures.Chart:
    figure = go.Figure(go.Bar(x=[label for _, label, _ in counts], y=[n for _, _, n in counts]))
    figure.update_layout(yaxis_title="Count", yaxis_rangemode="tozero", yaxis_dtick=1)
    summary = "; ".join(f"{label}: {n}" for _, label, n in counts)
    return chart(figure, summary=f"{what}: {summary}.", element_id=element_id)


def round_label(assessment_round: AssessmentRound) -> str:
    return f"{assessment_round.title} ({assessment_round.opened_at:%b %Y})"


def trend_table(trend: Trend) -> figures.Table:
    return figures.Table(
        caption="Mean score per item, round by round",
        columns=["Round", "Opened on", "Partners answering", *(name for _, name in trend.items)],
        rows=[
            [
                row.assessment_round.title,
                timezone.localdate(row.assessment_round.opened_at).isoformat(),
                f"{row.assessment_round.answered_count} of {row.assessment_round.invited_count}",
                *(mean(row.means[item.pk]) for item, _ in trend.items),
            ]
            for row in trend.rounds
        ],
        slug="trend",
    )


def trend_chart(trend: Trend) -> figures.Chart:
    x = [round_label(row.assessment_round) for row in trend.rounds]
    figure = go.Figure(
        [
            go.Scatter(name=name, x=x, y=[row.means[item.pk] for row in trend.rounds], mode="lines+markers")
            for item, name in trend.items
        ]
    )
    if trend.rounds:
        instrument = trend.rounds[0].assessment_round.instrument
        figure.update_layout(yaxis_range=[instrument.scale_min - 0.2, instrument.scale_max + 0.2])
    figure.update_layout(yaxis_title="Mean score", legend_title="Item")
    return chart(
        figure,
        summary=f"Mean score of each item, round by round ({len(trend.rounds)} so far).",
        element_id="trend-chart",
    )


def ratings_table(ratings: RatingsByOrganization) -> figures.Table:
    return figures.Table(
        caption="How the other partners rate each organization",
        columns=["Organization", "Partners naming it", *(f"Mean {domain}" for domain in ratings.domains)],
        rows=[
            [row.organization.name, row.named_by, *(mean(row.domain_means[d]) for d in ratings.domains)]
            for row in ratings.rows
        ],
        slug="ratings-by-organization",
    )


def organization_closeness_table(ratings: RatingsByOrganization) -> figures.Table:
    return figures.Table(
        caption="How closely the other partners say they work with each organization",
        columns=["Organization", *Closeness.labels],
        rows=[[row.organization.name, *row.closeness.values()] for row in ratings.rows],
        slug="closeness-by-organization",
    )


def answers_table(assessment_round: AssessmentRound) -> figures.Table:
    answers = assessments.assessment_answers_by_partner(assessment_round=assessment_round)
    items = list(assessment_round.instrument.items.all())
    return figures.Table(
        caption="Each partner's answers",
        columns=[
            "Organization",
            "Answered on",
            "Phase",
            *(assessments.item_name(item, items) for item in items),
        ],
        rows=[
            [
                row.invitation.organization.name,
                timezone.localdate(row.invitation.submitted_at).isoformat(),
                row.invitation.get_phase_display() or None,
                *(row.scores.get(item.pk) for item in items),
            ]
            for row in answers
        ],
        slug="answers-by-partner",
    )
