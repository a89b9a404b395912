"""What the equity pages show: a breakdown measured against the eligible population, its trend, the
goals for populations of focus, and the coverage gaps. A viewer who may not see every partner's counts
identified reads them from the publication layer (`metrics.publication`) before any table, chart,
hover text or CSV is made from them: by whole calendar quarter, the same cells the dashboards and the
goals publish. Every share, ratio and gap is computed from the published counts only."""

import dataclasses
import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from core import figures
from core.calendar import quarter_label, quarter_months, quarter_of
from core.disclosure import Published, Reason, note
from core.figures import Chart, Suppressed, Table, chart
from core.numbers import as_percent
from equity import selectors
from equity.forms import EquityFilters
from equity.geography import county_map_geo, county_shapes
from equity.measures import UNSTABLE_BELOW, BreakdownMeasures, Group, GroupMeasures, breakdown_measures
from equity.models import EstimateSource
from equity.selectors import Coverage, Scope
from goals.selectors import MonthPeriod, goal_standings_for, goals_of, published
from metrics.catalogue import UNKNOWN
from metrics.models import Breakdown, Category
from metrics.publication import Publication

# Formatting: what a cell says


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _or_suppressed(value: object, group: GroupMeasures, threshold: int) -> object:
    return Suppressed(threshold, group.reason or Reason.COMPLEMENT) if group.suppressed else value


def _interval(group: GroupMeasures) -> str | None:
    if group.rate_ratio is None:
        return None
    if group.ci_low is None or group.ci_high is None:
        return f"{group.rate_ratio:.2f}"
    return f"{group.rate_ratio:.2f} ({group.ci_low:.2f} to {group.ci_high:.2f})"


def _stability(group: GroupMeasures) -> str:
    if group.suppressed:
        return ""
    if group.reference:
        return "Reference group" + (
            f", unstable: fewer than {UNSTABLE_BELOW} participants" if group.unstable else ""
        )
    if not group.unstable:
        return "Stable"
    if group.count is not None and group.count >= UNSTABLE_BELOW:
        return f"Unstable: the reference group has fewer than {UNSTABLE_BELOW} participants"
    return f"Unstable: fewer than {UNSTABLE_BELOW} participants"


# Publishing and measuring


@dataclass
class Read:
    """What a breakdown's figures are made of: its categories, the eligible population and its sources,
    and the counts: by month and category for a viewer who sees every count of the scope, else as
    published to the viewer (`metrics.publication`, by whole quarter). A fixed number of queries."""

    categories: list[Category]
    period: MonthPeriod
    counts: selectors.CategoryMonths
    publication: Publication | None
    eligible: dict[int, int]
    sources: list[EstimateSource]

    @classmethod
    def of(cls, scope: Scope, filters: EquityFilters, breakdown: Breakdown, today: datetime.date) -> "Read":
        counts: selectors.CategoryMonths = {}
        publication = None
        if scope.everything_identified:
            counts = selectors.category_months(
                scope=scope, measure=filters.measure, breakdown=breakdown, period=filters.period
            )
        else:
            found = published(
                networks=list(scope.networks), measure_id=filters.measure.pk, viewer=scope.viewer, today=today
            )
            publication = found.network(scope.network.pk) if scope.network else found.state(scope.state.pk)
        eligible, sources = selectors.eligible(state=scope.state, breakdown=breakdown)
        categories = selectors.categories_of(breakdown=breakdown, state=scope.state)
        return cls(categories, filters.period, counts, publication, eligible, sources)

    @property
    def reported(self) -> set[datetime.date]:
        """The months with an approved count."""
        if self.publication is None:
            return {month for month, _ in self.counts}
        return set(self.publication.month_figures)

    def published(self, months: list[datetime.date]) -> Published[str]:
        """Every category's count over the months (zero where none was reported), as the viewer may see
        it, with the total of the months it covers."""
        codes = {category.pk: category.code for category in self.categories}
        if self.publication is None:
            totals = selectors.in_period(self.counts, months)
            cells = {code: totals.get(pk, 0) for pk, code in codes.items()}
            return Published(total=sum(cells.values()), cells=cells)
        figures = self.publication.group_over(codes, months)
        covered = self.publication.months_of_quarters(months)
        if not covered:
            # A whole quarter whose reports are not all in is provisional; a part of one is never shown.
            whole = any(set(quarter_months(quarter_of(m))) <= set(months) for m in months)
            reason = Reason.PROVISIONAL if whole else Reason.QUARTERLY
            return Published(
                total=None,
                cells=dict.fromkeys(codes.values()),
                reasons=dict.fromkeys(codes.values(), reason),
                total_reason=reason,
            )
        total = self.publication.total_over(covered)
        return Published(
            total=total.value if total.value is not None else (None if total.hidden else 0),
            cells={
                codes[pk]: figure.value if figure.value is not None or figure.hidden else 0
                for pk, figure in figures.items()
            },
            reasons={codes[pk]: figure.reason for pk, figure in figures.items() if figure.hidden},
            total_reason=total.reason,
        )

    def measured(self, months: list[datetime.date] | None = None) -> BreakdownMeasures:
        """The measures over the months (the whole period if none are given) as the viewer may see them."""
        months = self.period.months if months is None else months
        groups = [Group(c.code, c.name, self.eligible.get(c.pk)) for c in self.categories]
        measured = breakdown_measures(groups, self.published(months), unknown_key=UNKNOWN[0])
        if self.publication is None:
            return measured
        covered = self.publication.months_of_quarters(months)
        complete = self.publication.complete_total(months)
        return dataclasses.replace(
            measured,
            covers=_quarters_words(covered) if covered != list(months) else "",
            complete_total=complete.value,
            complete_reason=complete.reason,
        )


def _quarters_words(months: list[datetime.date]) -> str:
    if not months:
        return "no whole quarter"
    first, last = quarter_label(quarter_of(months[0])), quarter_label(quarter_of(months[-1]))
    return first if first == last else f"{first} to {last}"


MOST_BARS = 15  # groups a bar chart shows readably
MOST_LINES = 8  # groups a line chart shows readably, each in its own colour

BREAKDOWN_COLUMNS = [
    "Group",
    "Participants",
    "Share of participants (%)",
    "Eligible adults with prediabetes",
    "Share of the eligible (%)",
    "Representation ratio",
    "Reach per 1,000 eligible",
    "Rate ratio to the reference group (95% confidence interval)",
    "More participants needed for a fair share",
    "Stability",
]


def breakdown_rows(measured: BreakdownMeasures, threshold: int) -> list[list[object]]:
    rows: list[list[object]] = []
    for group in measured.groups:
        rows.append(
            [
                group.name,
                _or_suppressed(group.count, group, threshold),
                _or_suppressed(as_percent(group.share, digits=1), group, threshold),
                group.eligible,
                as_percent(group.eligible_share, digits=1),
                _or_suppressed(_ratio(group.representation), group, threshold),
                _or_suppressed(None if group.reach is None else round(group.reach, 1), group, threshold),
                _or_suppressed(_interval(group), group, threshold),
                _or_suppressed(group.fair_share_gap, group, threshold),
                _stability(group),
            ]
        )
    if measured.unknown is not None:
        unknown = measured.unknown
        rows.append(
            [
                unknown.name,
                _or_suppressed(unknown.count, unknown, threshold),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                "Not compared: no eligible population",
            ]
        )
    eligible = sum(group.eligible or 0 for group in measured.groups) or None
    label = f"All participants, {measured.covers}" if measured.covers else "All participants"
    total = measured.total
    rows.append([label, _count_or(total, measured.total_reason, threshold), None, eligible, *[None] * 5, ""])
    if measured.covers:
        # The same figure the dashboards give: the total of the complete months of the period.
        complete = _count_or(measured.complete_total, measured.complete_reason, threshold)
        rows.append(["All participants in the complete months of the period", complete, *[None] * 7, ""])
    return rows


def _count_or(count: int | None, reason: Reason | None, threshold: int) -> object:
    return Suppressed(threshold, reason or Reason.INCLUDES) if count is None else count


def representation_chart(measured: BreakdownMeasures, *, caption: str, element_id: str) -> Chart | None:
    """Horizontal bars of each group's representation ratio against the fair share line at 1. A
    suppressed group has no bar, and its label says so in words. Past `MOST_BARS` groups (counties)
    bars stop being readable: the table, and the coverage map, show them instead."""
    groups = [group for group in measured.groups if group.eligible]
    if not groups or len(groups) > MOST_BARS:
        return None
    labels = [
        group.name + (" (suppressed)" if group.suppressed else " (unstable)" if group.unstable else "")
        for group in groups
    ]
    hover = [
        (
            f"{group.name}: suppressed to protect privacy"
            if group.suppressed
            else f"{group.name}: representation ratio {group.representation:.2f}; "
            f"{as_percent(group.share, digits=1)}% of participants, "
            f"{as_percent(group.eligible_share, digits=1)}% of the eligible"
            + (" (unstable: fewer than 20 participants)" if group.unstable else "")
            if group.representation is not None
            else f"{group.name}: no ratio"
        )
        for group in groups
    ]
    ratios = [None if group.suppressed else _ratio(group.representation) for group in groups]
    figure = go.Figure(
        go.Bar(
            y=labels,
            x=ratios,
            orientation="h",
            marker_color=figures.BLUE,
            # The ratio beside each bar, so a ratio of 0 reads differently from a suppressed group.
            text=[
                "Suppressed" if group.suppressed else "" if ratio is None else f"{ratio:.2f}"
                for group, ratio in zip(groups, ratios, strict=True)
            ],
            textposition="outside",
            cliponaxis=False,
            hovertext=hover,
            hoverinfo="text",
            name="Representation ratio",
        )
    )
    figure.add_vline(
        x=1,
        line_dash="dash",
        line_color=figures.INK,
        annotation_text="Fair share (1.0)",
        annotation_position="top",
    )
    figure.update_layout(
        xaxis_title="Representation ratio",
        yaxis={"autorange": "reversed", "ticklabelstandoff": 6},
        height=max(260, 56 * len(groups) + 120),
        showlegend=False,
    )
    shown = [group for group in groups if not group.suppressed and group.representation is not None]
    below = [group.name for group in shown if group.representation < 0.8]
    summary = f"Horizontal bars: {caption}. " + (
        f"Under-represented (ratio below 0.8): {', '.join(below)}. " if below else ""
    )
    hidden = [group.name for group in groups if group.suppressed]
    if hidden:
        summary += f"Suppressed: {', '.join(hidden)}."
    return chart(figure, summary=summary, element_id=element_id)


# The trend of the ratios


def quarters(period: MonthPeriod) -> list[tuple[str, list[datetime.date]]]:
    """Calendar quarters of the period (the first and last may be partial), labelled."""
    found: dict[str, list[datetime.date]] = {}
    for month in period.months:
        found.setdefault(f"{month.year} Q{(month.month - 1) // 3 + 1}", []).append(month)
    return list(found.items())


def trend(scope: Scope, read: Read, period: MonthPeriod, breakdown_name: str) -> tuple[Table, Chart | None]:
    """Each quarter's representation ratios, each quarter published on its own."""
    reported = read.reported
    by_quarter = [(label, read.measured(months)) for label, months in quarters(period)]
    # Quarters at the end with no approved report yet (still being reported) say nothing.
    while by_quarter and not reported & set(dict(quarters(period))[by_quarter[-1][0]]):
        by_quarter.pop()
    compared = [category for category in read.categories if read.eligible.get(category.pk)]
    table = Table(
        caption=f"Representation ratio by {breakdown_name.lower()}, quarter by quarter, {period}",
        columns=["Quarter", *(category.name for category in compared)],
        slug="trend",
    )
    series: dict[str, list[float | None]] = {category.name: [] for category in compared}
    for label, measured in by_quarter:
        groups = {group.key: group for group in measured.groups}
        row: list[object] = [label]
        for category in compared:
            group = groups[category.code]
            row.append(_or_suppressed(_ratio(group.representation), group, scope.threshold))
            series[category.name].append(None if group.suppressed else _ratio(group.representation))
        table.rows.append(row)
    if not compared or len(by_quarter) < 2 or len(compared) > MOST_LINES:
        return table, None
    labels = [label for label, _ in by_quarter]
    figure = go.Figure(
        [
            go.Scatter(
                x=labels,
                y=values,
                name=name,
                mode="lines+markers",
                connectgaps=False,
                hovertemplate=f"{name}, %{{x}}: %{{y}}<extra></extra>",
            )
            for name, values in series.items()
        ]
    )
    figure.add_hline(y=1, line_dash="dash", line_color=figures.INK)
    figure.update_layout(
        yaxis_title="Representation ratio",
        xaxis_title="Quarter",
        height=480,
        legend={"orientation": "h", "x": 0, "y": -0.3, "yanchor": "top"},
    )
    return table, chart(
        figure,
        summary=f"Lines: {table.caption}; a gap is a suppressed quarter or one without an estimate.",
        element_id="trend-chart",
    )


# Goals for populations of focus


def focus_goals_table(scope: Scope, breakdown_id: int, today: datetime.date) -> Table:
    goals = list(
        goals_of(network_ids=[network.pk for network in scope.networks]).filter(
            population__breakdown_id=breakdown_id
        )
    )
    table = Table(
        caption="Goals for populations of focus",
        columns=[
            "Goal",
            "Network",
            "Population of focus",
            "Deadline",
            "Counted up to",
            "Why not further",
            "Target",
            "So far",
            "Share of the target (%)",
            "Outlook",
        ],
        slug="focus-goals",
    )
    # The goals count the whole network, so they are published to the viewer even on one partner's page.
    for standing in goal_standings_for(goals=goals, today=today, viewer=scope.viewer):
        progress = standing.progress

        def shown(name: str, value: object, standing=standing) -> object:
            reason = standing.reasons.get(name)
            return Suppressed(standing.threshold, reason) if reason else value

        table.rows.append(
            [
                standing.goal.name,
                standing.goal.network.name,
                standing.goal.population.name if standing.goal.population else "Everyone",
                f"{standing.goal.deadline:%B} {standing.goal.deadline.day}, {standing.goal.deadline.year}",
                f"{standing.counted_to:%B %Y}" if standing.counted_to else None,
                ("Counted by whole quarter. " if standing.by_quarter else "") + (standing.counting.why or "")
                or None,
                progress.target,
                shown("actual", progress.actual),
                shown("share", as_percent(progress.share, digits=1)),
                shown("outlook", str(progress.outlook).capitalize()),
            ]
        )
    return table


@dataclass
class EquityBoard:
    scope: Scope
    filters: EquityFilters
    sources: list[EstimateSource]
    measured: BreakdownMeasures
    table: Table
    chart: Chart | None
    trend_table: Table
    trend_chart: Chart | None
    goals_table: Table
    whole_quarters: MonthPeriod | None = None  # the period of whole quarters the groups' counts cover

    @property
    def tables(self) -> list[Table]:
        return [self.table, self.trend_table, self.goals_table]

    @property
    def note(self) -> str:
        return note(self.scope.threshold)

    @property
    def too_many_for_a_chart(self) -> bool:
        return len(self.measured.groups) > MOST_BARS

    @property
    def mostly_hidden(self) -> bool:
        return sum(group.suppressed for group in self.measured.groups) * 2 > len(self.measured.groups)


def breakdown_for(
    scope: Scope, filters: EquityFilters, today: datetime.date
) -> tuple[BreakdownMeasures, list[EstimateSource]]:
    """The period's measures of the breakdown, as the scope's viewer may see them (the API's figures)."""
    read = Read.of(scope, filters, filters.breakdown, today)
    return read.measured(), read.sources


def equity_board(*, scope: Scope, filters: EquityFilters, today: datetime.date) -> EquityBoard:
    breakdown, period = filters.breakdown, filters.period
    read = Read.of(scope, filters, breakdown, today)
    measured = read.measured()
    caption = (
        f"{filters.measure.name} by {breakdown.name.lower()} against the eligible population: "
        f"{scope.name}, {period}"
    )
    trend_table, trend_chart = trend(scope, read, period, breakdown.name)
    covered = read.publication.months_of_quarters(period.months) if read.publication else []
    return EquityBoard(
        whole_quarters=MonthPeriod(covered[0], covered[-1]) if measured.covers and covered else None,
        scope=scope,
        filters=filters,
        sources=read.sources,
        measured=measured,
        table=Table(
            caption=caption,
            columns=BREAKDOWN_COLUMNS,
            rows=breakdown_rows(measured, scope.threshold),
            slug="breakdown",
        ),
        chart=representation_chart(
            measured,
            caption=(
                f"representation ratio of each group, {filters.measure.name.lower()}, {scope.name}, {period}"
            ),
            element_id="representation-chart",
        ),
        trend_table=trend_table,
        trend_chart=trend_chart,
        goals_table=focus_goals_table(scope, breakdown.pk, today),
    )


# Coverage gaps


COUNTY_COLUMNS = [
    "County",
    "Eligible adults with prediabetes",
    "Participants",
    "Reach per 1,000 eligible",
    "Suppliers serving it",
    "Served by a supplier",
]


@dataclass
class CoverageBoard:
    scope: Scope
    filters: EquityFilters
    sources: list[EstimateSource]
    coverage: Coverage
    counties_table: Table
    map: Chart | None
    unserved: list[str]
    populations_table: Table

    @property
    def tables(self) -> list[Table]:
        return [self.counties_table, self.populations_table]

    @property
    def note(self) -> str:
        return note(self.scope.threshold)


def coverage_board(*, scope: Scope, filters: EquityFilters, today: datetime.date) -> CoverageBoard:
    read = Read.of(scope, filters, selectors.county_breakdown(), today)
    categories, sources, measured = read.categories, read.sources, read.measured()
    found = selectors.coverage(scope=scope)
    by_code = {group.key: group for group in measured.groups}
    counties = [category for category in categories if category.county_id]
    rows, unserved = [], []
    for category in counties:
        group = by_code[category.code]
        suppliers = found.suppliers_by_county.get(category.county_id, [])
        if not suppliers:
            unserved.append(category.name)
        rows.append(
            [
                category.name,
                group.eligible,
                _or_suppressed(group.count, group, scope.threshold),
                _or_suppressed(
                    None if group.reach is None else round(group.reach, 1), group, scope.threshold
                ),
                "; ".join(suppliers) or "None",
                "Yes" if suppliers else "No supplier serves this county",
            ]
        )
    period = filters.period
    caption = (
        f"Counties of {scope.state.name}: {filters.measure.name.lower()} per 1,000 eligible adults, "
        f"{scope.name}, {period}"
    )
    populations = Table(
        caption="Populations of focus and the partners that serve them",
        columns=["Population of focus", "Partners serving it", "How many"],
        rows=[
            [population.name, "; ".join(names) or "No partner serves this population", len(names)]
            for population, names in found.partners_by_population.items()
        ],
        slug="populations",
    )
    return CoverageBoard(
        scope=scope,
        filters=filters,
        sources=sources,
        coverage=found,
        counties_table=Table(caption=caption, columns=COUNTY_COLUMNS, rows=rows, slug="counties"),
        map=county_map(scope, counties, by_code, found, caption=caption),
        unserved=unserved,
        populations_table=populations,
    )


def county_map(
    scope: Scope,
    counties: Sequence[Category],
    groups: dict[str, GroupMeasures],
    found: Coverage,
    *,
    caption: str,
) -> Chart | None:
    """Counties shaded by reach per 1,000 eligible; a suppressed county, or one without an estimate,
    is grey and says why when hovered; a county no supplier serves says so too."""
    shapes = county_shapes(scope.state.fips)
    if not shapes.get("features") or not counties:
        return None
    shaded, grey = [], []
    for category in counties:
        group = groups[category.code]
        served = (
            "" if found.suppliers_by_county.get(category.county_id) else "<br>No supplier serves this county"
        )
        if group.suppressed:
            grey.append((category.code, f"{category.name}: suppressed{served}"))
        elif group.reach is None:
            grey.append((category.code, f"{category.name}: no eligible-population estimate{served}"))
        else:
            shaded.append(
                (
                    category.code,
                    round(group.reach, 1),
                    f"{category.name}: {group.reach:.1f} per 1,000 eligible{served}",
                )
            )
    traces = []
    if grey:
        traces.append(
            go.Choropleth(
                geojson=shapes,
                locations=[code for code, _ in grey],
                z=[0] * len(grey),
                colorscale=[[0, figures.PALE_GREY], [1, figures.PALE_GREY]],
                showscale=False,
                hovertext=[text for _, text in grey],
                hoverinfo="text",
                marker_line_color=figures.MUTED,
                marker_line_width=0.5,
                name="Suppressed or no estimate",
            )
        )
    if shaded:
        traces.append(
            go.Choropleth(
                geojson=shapes,
                locations=[code for code, _, _ in shaded],
                z=[reach for _, reach, _ in shaded],
                colorscale="Blues",
                colorbar={
                    "orientation": "h",
                    "x": 0.5,
                    "xanchor": "center",
                    "y": 0,
                    "yanchor": "top",
                    "len": 0.6,
                    "thickness": 14,
                    "title": {"text": "Participants per 1,000 eligible", "side": "top"},
                },
                hovertext=[text for _, _, text in shaded],
                hoverinfo="text",
                marker_line_color=figures.MUTED,
                marker_line_width=0.5,
                name="Reach per 1,000 eligible",
            )
        )
    figure = go.Figure(traces)
    figure.update_geos(**county_map_geo(scope.state.fips))
    figure.update_layout(height=460)
    unserved = [c.name for c in counties if not found.suppliers_by_county.get(c.county_id)]
    summary = (
        f"A map: {caption}. {len(shaded)} counties shaded by reach, {len(grey)} grey (suppressed or "
        f"without an estimate). {len(unserved)} counties have no supplier."
    )
    # Room for the colour bar below.
    return chart(figure, summary=summary, element_id="county-map", margin={"l": 0, "r": 0, "t": 10, "b": 70})
