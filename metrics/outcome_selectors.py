"""Reads for the program outcome pages: a partner's, a network's or a state's cohorts as a viewer may see
them (`metrics.outcome_publication`), as tables, survival-style charts and an equity breakdown.

Rows are cohorts: by month for a viewer who sees them identified, by calendar quarter otherwise. A cohort
is *still running* while its year is not over (by today, or by the organization's last session read):
its later program months and outcomes are not all counted yet, so shares over several cohorts (the
charts, the equity breakdown, a partner's line) count only the cohorts whose year is over.

A rate is shown only where both its counts are. The equity rule, said on the page: a group "stays less"
where its share still in the program at month 6 or 12 is at least ``GAP_POINTS`` percentage points
below everyone's, and "meets the outcome less often" where its share meeting it is; only for a group of
at least ``SMALLEST_GROUP`` participants, whose shares do not swing on one person.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404

from core.calendar import month_name, quarter_label
from core.disclosure import DEFAULT_THRESHOLD, Reason
from core.figures import COLOURS, SYMBOLS, Chart, Suppressed, Table, chart, figure, scatter
from core.numbers import percent
from metrics.catalogue import COUNTY_BREAKDOWN, TOTAL_BREAKDOWN
from metrics.models import Breakdown, Category
from metrics.outcome_publication import OutcomePublication, OutcomePublications
from metrics.outcomes import (
    ATTENDANCE,
    EVALUATED,
    MET_OUTCOME,
    OUTCOMES,
    PROGRAM_MONTHS,
    RETAINED,
    SESSIONS,
    STARTED,
    retained_code,
)
from metrics.publication import NO_DATA, Figure
from network.models import Membership, Network
from network.selectors import Viewer
from partners.models import State

GAP_POINTS = 10  # a gap this many percentage points below everyone's is material
SMALLEST_GROUP = 20  # participants a group needs before its gap is said in words
TABLE_MONTHS = (3, 6, 9, 12)  # the program months the cohort table shows; the chart shows all twelve
DEFAULT_BREAKDOWN = "race"


def outcome_partner_get(*, network: Network, organization_id: int, viewer: Viewer) -> Membership:
    """A partner whose own outcomes the viewer may see: its own staff whatever it chose; those who see
    its identified figures only once it shares its outcomes. 404 if it never was a partner of the
    network, 403 to anyone else. One query."""
    membership = (
        network.memberships.select_related("organization")
        .filter(organization_id=organization_id)
        .order_by(F("left_on").desc(nulls_first=True), "-joined_on")  # the current one first
        .first()
    )
    if membership is None:
        raise Http404("That organization is not a partner in this network.")
    if organization_id in viewer.organization_ids:
        return membership
    if membership.outcomes_shared and viewer.knows(network.pk, organization_id):
        return membership
    raise PermissionDenied(
        "This partner's program outcomes are for its staff until it chooses to share them."
    )


def breakdown_chosen(choices: Sequence[Breakdown], asked: str | None, counted: set[str]) -> Breakdown:
    """The breakdown asked for; else the default, or the first with counts where the default has none."""
    by_code = {breakdown.code: breakdown for breakdown in choices}
    if asked in by_code:
        return by_code[asked]
    if DEFAULT_BREAKDOWN not in counted:
        return next((b for b in choices if b.code in counted), by_code.get(DEFAULT_BREAKDOWN, choices[0]))
    return by_code.get(DEFAULT_BREAKDOWN, choices[0])


def breakdowns() -> list[Breakdown]:
    """The breakdowns an equity view may choose: every one but the total and the counties. One query."""
    return list(
        Breakdown.objects.exclude(code__in=[TOTAL_BREAKDOWN, COUNTY_BREAKDOWN]).order_by("order", "code")
    )


# Cells as tables show them


def shown(value: Figure, threshold: int) -> object:
    """A count as a table cell: the number, the words of why it is hidden, or None for no data."""
    if value.hidden:
        return Suppressed(threshold, value.reason or Reason.COMPLEMENT)
    return value.value


def share(part: Figure, whole: Figure) -> int | None:
    """``part`` of ``whole`` as a whole percentage, only where both are shown and ``whole`` is not 0."""
    if part.value is None or whole.value is None:
        return None
    return percent(part.value, whole.value)


def share_cell(part: Figure, whole: Figure, threshold: int) -> object:
    if part.hidden or whole.hidden:
        return Suppressed(threshold, Reason.INCLUDES)
    return share(part, whole)


@dataclass
class CohortRow:
    """One cohort's counts as published: every measure's figure, and whether its year is still running."""

    cohort: datetime.date
    label: str
    running: bool
    figures: dict[str, Figure]

    def share(self, measure: str, of: str = STARTED.code) -> int | None:
        return share(self.figures[measure], self.figures[of])


EVALUATION_MONTH = 10  # a participant is evaluated once their last session is 9 months after their first


def cohort_rows(publication: OutcomePublication) -> list[CohortRow]:
    """The cohort table: one row per cohort (month, or quarter where published), latest first, with
    every measure of `metrics.outcomes`."""
    codes = [STARTED, *RETAINED, *SESSIONS, EVALUATED, *ATTENDANCE, *OUTCOMES, MET_OUTCOME]
    label = month_name if publication.identified else quarter_label
    # What a cohort still running cannot have yet is not shown (not a zero): those in the program in a
    # month none of them has reached, and the evaluation, which takes until program month 10.
    needs = {retained_code(month): month for month in PROGRAM_MONTHS}
    needs |= {measure.code: EVALUATION_MONTH for measure in [EVALUATED, *ATTENDANCE, *OUTCOMES, MET_OUTCOME]}

    def figure(cohort: datetime.date, code: str) -> Figure:
        if code in needs and not publication.reached(cohort, needs[code]):
            return NO_DATA
        return publication.figure(cohort, code)

    return [
        CohortRow(
            cohort=cohort,
            label=label(cohort),
            running=cohort in publication.running,
            figures={measure.code: figure(cohort, measure.code) for measure in codes},
        )
        for cohort in reversed(publication.cohorts)
    ]


def finished(publication: OutcomePublication) -> list[datetime.date]:
    """The cohorts whose year is over: what shares over several cohorts count."""
    return [cohort for cohort in publication.cohorts if cohort not in publication.running]


@dataclass
class Line:
    """One line of a survival-style chart: the share of a group still in the program by program month."""

    name: str
    started: Figure
    shares: list[int | None]  # program months 1 to 12; None where hidden or nothing started
    hidden: bool  # some share is hidden (its counts include a suppressed one)
    joined: bool = False  # published for some months only (`metrics.outcomes.BY_GROUP`): drawn through them


def survival_line(
    publication: OutcomePublication, name: str, cohorts: Sequence[datetime.date], category: int | None = None
) -> Line:
    started = publication.total(cohorts, STARTED.code, category)
    retained = [publication.total(cohorts, retained_code(month), category) for month in PROGRAM_MONTHS]
    return Line(
        name=name,
        started=started,
        shares=[share(count, started) for count in retained],
        hidden=started.hidden or any(count.hidden for count in retained),
        joined=not all(publication.by_group(retained_code(month), category) for month in PROGRAM_MONTHS),
    )


def survival_chart(lines: Sequence[Line], *, title: str, element_id: str) -> Chart | None:
    """Share still in the program by program month, one line per group; None with nothing to draw."""
    drawn = [line for line in lines if any(value is not None for value in line.shares)]
    if not drawn:
        return None
    traces = [
        scatter(
            x=list(PROGRAM_MONTHS),
            y=line.shares,
            name=line.name,
            mode="lines+markers",
            line={"color": COLOURS[index % len(COLOURS)]},
            marker={"symbol": SYMBOLS[index % len(SYMBOLS)], "size": 8},
            connectgaps=line.joined,
            hovertemplate=f"{line.name}, program month %{{x}}: %{{y}} %<extra></extra>",
        )
        for index, line in enumerate(drawn)
    ]
    layout = figure(
        traces,
        height=380,
        xaxis={"title": {"text": "Program month (from each participant's first session)"}, "dtick": 1},
        yaxis={"title": {"text": "Share still in the program (%)"}, "range": [0, 100]},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02},
        margin={"t": 70},
    )
    last = [f"{line.name}: {line.shares[-1]} %" for line in drawn if line.shares[-1] is not None]
    summary = f"{title}, by program month from 1 to 12."
    if last:
        summary += " Still in the program in month 12: " + "; ".join(last) + "."
    return chart(layout, summary=summary, element_id=element_id)


def survival_table(lines: Sequence[Line], *, caption: str, slug: str, threshold: int) -> Table:
    rows = []
    for line in lines:
        cells = [
            Suppressed(threshold, Reason.INCLUDES) if value is None and line.hidden else value
            for value in line.shares
        ]
        rows.append([line.name, shown(line.started, threshold), *cells])
    columns = ["Cohorts", "Started", *(f"Month {month} (%)" for month in PROGRAM_MONTHS)]
    return Table(caption=caption, columns=columns, rows=rows, slug=slug)


@dataclass
class OutcomeSection:
    """A partner's, network's or state's cohorts on a page: the cohort tables and the survival chart."""

    name: str
    publication: OutcomePublication
    rows: list[CohortRow]
    retention: Table
    sessions: Table
    outcomes: Table
    survival: Table
    chart: Chart | None

    @property
    def tables(self) -> list[Table]:
        return [self.retention, self.sessions, self.outcomes, self.survival]

    @property
    def by_quarter(self) -> bool:
        return not self.publication.identified

    @property
    def any_hidden(self) -> bool:
        return bool(self.publication.hidden)


def outcome_section(publication: OutcomePublication, *, slug: str) -> OutcomeSection:
    """The cohort tables (retention, sessions attended, outcomes) and the survival-style chart by year of
    cohorts (whose year is over) of one publication; ``slug`` keeps its downloads and chart apart from
    the other sections of the page."""
    rows = cohort_rows(publication)
    t = publication.threshold
    cohort = (
        "Cohort (month of first session)" if publication.identified else "Cohort (quarter of first session)"
    )

    def status(row: CohortRow) -> str:
        return "Still running" if row.running else "Year over"

    retention = Table(
        caption=f"Retention by cohort: {publication.name}",
        columns=[
            cohort,
            "Year",
            STARTED.label,
            *(part for month in TABLE_MONTHS for part in (f"In month {month}", f"In month {month} (%)")),
        ],
        rows=[
            [
                row.label,
                status(row),
                shown(row.figures[STARTED.code], t),
                *(
                    part
                    for month in TABLE_MONTHS
                    for part in (
                        shown(row.figures[retained_code(month)], t),
                        share_cell(row.figures[retained_code(month)], row.figures[STARTED.code], t),
                    )
                ),
            ]
            for row in rows
        ],
        slug=f"{slug}-retention",
    )
    sessions = Table(
        caption=f"Sessions attended by cohort: {publication.name}",
        columns=[cohort, STARTED.label, *(measure.label for measure in SESSIONS)],
        rows=[
            [
                row.label,
                shown(row.figures[STARTED.code], t),
                *(shown(row.figures[m.code], t) for m in SESSIONS),
            ]
            for row in rows
        ],
        slug=f"{slug}-sessions",
    )
    outcomes = Table(
        caption=f"Outcomes by cohort: {publication.name}",
        columns=[
            cohort,
            "Year",
            EVALUATED.label,
            *(measure.label for measure in ATTENDANCE),
            *(measure.label for measure in OUTCOMES),
            MET_OUTCOME.label,
            f"{MET_OUTCOME.label} (% of evaluated)",
        ],
        rows=[
            [
                row.label,
                status(row),
                shown(row.figures[EVALUATED.code], t),
                *(shown(row.figures[m.code], t) for m in [*ATTENDANCE, *OUTCOMES, MET_OUTCOME]),
                share_cell(row.figures[MET_OUTCOME.code], row.figures[EVALUATED.code], t),
            ]
            for row in rows
        ],
        slug=f"{slug}-outcomes",
    )
    by_year: dict[int, list[datetime.date]] = {}
    for cohort_month in finished(publication):
        by_year.setdefault(cohort_month.year, []).append(cohort_month)
    lines = [survival_line(publication, f"Cohorts of {year}", cohorts) for year, cohorts in by_year.items()]
    title = f"Share still in the program: {publication.name}, by year of cohorts whose year is over"
    return OutcomeSection(
        name=publication.name,
        publication=publication,
        rows=rows,
        retention=retention,
        sessions=sessions,
        outcomes=outcomes,
        survival=survival_table(lines, caption=title, slug=f"{slug}-survival", threshold=t),
        chart=survival_chart(lines, title=title, element_id=f"{slug}-survival-chart"),
    )


# Equity: do some groups stay less?


@dataclass
class EquityGroup:
    name: str
    started: Figure
    month_6: int | None
    month_12: int | None
    met: int | None  # share of the evaluated who met the outcome
    hidden: bool  # a share is not shown because a count it needs is hidden


@dataclass
class OutcomeEquity:
    breakdown: Breakdown
    total: EquityGroup
    groups: list[EquityGroup]
    stay_less: list[str] = field(default_factory=list)  # names of the groups that stay less
    meet_less: list[str] = field(default_factory=list)
    table: Table | None = None
    chart: Chart | None = None
    survival: Table | None = None

    @property
    def tables(self) -> list[Table]:
        return [table for table in (self.table, self.survival) if table is not None]


@dataclass
class Summary:
    """A group of cohorts in the five counts a summary of them reads: who started, who was still in the
    program at months 6 and 12, who was evaluated and who met the outcome."""

    started: Figure
    month_6: Figure
    month_12: Figure
    evaluated: Figure
    met: Figure

    @property
    def figures(self) -> list[Figure]:
        return [self.started, self.month_6, self.month_12, self.evaluated, self.met]


def summary(
    publication: OutcomePublication, cohorts: Sequence[datetime.date], category: int | None = None
) -> Summary:
    def total(code: str) -> Figure:
        return publication.total(cohorts, code, category)

    return Summary(
        started=total(STARTED.code),
        month_6=total(retained_code(6)),
        month_12=total(retained_code(12)),
        evaluated=total(EVALUATED.code),
        met=total(MET_OUTCOME.code),
    )


def _equity_group(publication: OutcomePublication, name: str, category: int | None) -> EquityGroup:
    counts = summary(publication, finished(publication), category)
    return EquityGroup(
        name=name,
        started=counts.started,
        month_6=share(counts.month_6, counts.started),
        month_12=share(counts.month_12, counts.started),
        met=share(counts.met, counts.evaluated),
        hidden=any(figure.hidden for figure in counts.figures),
    )


def below(value: int | None, total: int | None) -> bool:
    """A material gap: ``GAP_POINTS`` or more below everyone's share."""
    return value is not None and total is not None and total - value >= GAP_POINTS


def outcome_equity(
    publication: OutcomePublication,
    *,
    breakdown: Breakdown,
    categories: Sequence[Category],
    slug: str,
) -> OutcomeEquity:
    """Each group of ``breakdown`` (its ``categories``, in order) against everyone: started, share still
    in the program at months 6 and 12, share of the evaluated meeting the outcome, over the cohorts whose
    year is over; the groups that stay less, or meet the outcome less often, by the rule above."""
    t = publication.threshold
    total = _equity_group(publication, "Everyone", None)
    groups = [_equity_group(publication, category.name, category.pk) for category in categories]
    equity = OutcomeEquity(breakdown=breakdown, total=total, groups=groups)
    for group in groups:
        big_enough = group.started.value is not None and group.started.value >= SMALLEST_GROUP
        if big_enough and (below(group.month_6, total.month_6) or below(group.month_12, total.month_12)):
            equity.stay_less.append(group.name)
        if big_enough and below(group.met, total.met):
            equity.meet_less.append(group.name)

    def percent_cell(value: int | None, group: EquityGroup) -> object:
        return Suppressed(t, Reason.INCLUDES) if value is None and group.hidden else value

    def gap(value: int | None, everyone: int | None, group: EquityGroup) -> object:
        if group is total or value is None or everyone is None:
            return None
        return value - everyone

    equity.table = Table(
        caption=f"Retention and outcomes by {breakdown.name.lower()}: {publication.name}",
        columns=[
            breakdown.name,
            STARTED.label,
            "In month 6 (%)",
            "Points from everyone's, month 6",
            "In month 12 (%)",
            "Points from everyone's, month 12",
            "Met the outcome (% of evaluated)",
            "Points from everyone's, outcome",
        ],
        rows=[
            [
                group.name,
                shown(group.started, t),
                percent_cell(group.month_6, group),
                gap(group.month_6, total.month_6, group),
                percent_cell(group.month_12, group),
                gap(group.month_12, total.month_12, group),
                percent_cell(group.met, group),
                gap(group.met, total.met, group),
            ]
            for group in [total, *groups]
        ],
        slug=f"{slug}-equity",
    )
    lines = [survival_line(publication, "Everyone", finished(publication))] + [
        survival_line(publication, category.name, finished(publication), category.pk)
        for category in categories
    ]
    title = f"Share still in the program by {breakdown.name.lower()}: {publication.name}"
    equity.survival = survival_table(lines, caption=title, slug=f"{slug}-equity-survival", threshold=t)
    equity.chart = survival_chart(lines, title=title, element_id=f"{slug}-equity-chart")
    return equity


def categories_of(*, breakdown: Breakdown, seen: set[int]) -> list[Category]:
    """The breakdown's categories that have counts, in order. One query."""
    return list(Category.objects.filter(breakdown=breakdown, pk__in=sorted(seen)).order_by("order", "name"))


# Lines of several partners or networks side by side


def summary_table(
    publications: Sequence[OutcomePublication], *, caption: str, first_column: str, slug: str
) -> Table:
    """One line per partner (or network): over its cohorts whose year is over, the participants who
    started, the shares still in the program at months 6 and 12, and the share meeting the outcome."""
    rows = []
    for publication in publications:
        group = _equity_group(publication, publication.name, None)
        t = publication.threshold

        def cell(value: int | None, group: EquityGroup = group, t: int = t) -> object:
            return Suppressed(t, Reason.INCLUDES) if value is None and group.hidden else value

        rows.append(
            [
                publication.name,
                shown(group.started, t),
                cell(group.month_6),
                cell(group.month_12),
                cell(group.met),
                sum(1 for cohort in publication.cohorts if cohort in publication.running),
            ]
        )
    return Table(
        caption=caption,
        columns=[
            first_column,
            "Started (cohorts whose year is over)",
            "In month 6 (%)",
            "In month 12 (%)",
            "Met the outcome (% of evaluated)",
            "Cohorts still running",
        ],
        rows=rows,
        slug=slug,
    )


# The pages


@dataclass
class PartnerOutcomes:
    """A partner's page: its own cohorts (identified) beside the network's as published to its staff."""

    membership: Membership
    own: OutcomeSection
    network: OutcomeSection

    @property
    def tables(self) -> list[Table]:
        return [*self.own.tables, *self.network.tables]


def outcomes_partner(
    *, publications: OutcomePublications, membership: Membership, network: Network
) -> PartnerOutcomes:
    own = publications.partners[network.pk, membership.organization_id]
    return PartnerOutcomes(
        membership=membership,
        own=outcome_section(own, slug="own"),
        network=outcome_section(publications.networks[network.pk], slug="network"),
    )


@dataclass
class NetworkOutcomes:
    """The backbone's page: the network's total of sharing partners, each sharing partner, the equity
    breakdown, and who shares."""

    network: OutcomeSection
    partners: Table
    equity: OutcomeEquity
    sharing: list[Membership]
    not_sharing: list[Membership]

    @property
    def current_count(self) -> int:
        return len(self.sharing) + len(self.not_sharing)

    @property
    def tables(self) -> list[Table]:
        return [*self.network.tables, self.partners, *self.equity.tables]


def _equity(
    publication: OutcomePublication, publications: OutcomePublications, breakdown: Breakdown, slug: str
):
    seen = {c for c in publication.categories() if publications.breakdown_of.get(c) == breakdown.code}
    return outcome_equity(
        publication, breakdown=breakdown, categories=categories_of(breakdown=breakdown, seen=seen), slug=slug
    )


def outcomes_network(
    *, publications: OutcomePublications, network: Network, breakdown: Breakdown
) -> NetworkOutcomes:
    published = publications.networks[network.pk]
    current = [
        m for m in publications.memberships if m.is_current and m.organization_id != network.backbone_id
    ]
    sharing = [m for m in current if m.outcomes_shared]
    partners = [
        publications.partners[network.pk, m.organization_id]
        for m in sharing
        if (network.pk, m.organization_id) in publications.partners
    ]
    return NetworkOutcomes(
        network=outcome_section(published, slug="network"),
        partners=summary_table(
            partners, caption="Each partner sharing its outcomes", first_column="Partner", slug="partners"
        ),
        equity=_equity(published, publications, breakdown, "network"),
        sharing=sharing,
        not_sharing=[m for m in current if not m.outcomes_shared],
    )


@dataclass
class StateOutcomes:
    """A state's page: the state's cohorts, each network's as published, the equity breakdown, and the
    partners the viewer sees identified (sharing both their outcomes and their figures with the state)."""

    state: OutcomeSection
    networks: Table
    partners: Table | None
    equity: OutcomeEquity

    @property
    def tables(self) -> list[Table]:
        return [
            *self.state.tables,
            self.networks,
            *([self.partners] if self.partners else []),
            *self.equity.tables,
        ]


def outcomes_state(
    *, publications: OutcomePublications, state: State, networks: Sequence[Network], breakdown: Breakdown
) -> StateOutcomes:
    published = publications.states.get(state.pk)
    if published is None:  # a state with no network yet
        published = OutcomePublication(name=state.name, threshold=DEFAULT_THRESHOLD, identified=False)
    known = sorted(publications.partners.values(), key=lambda publication: publication.name)
    return StateOutcomes(
        state=outcome_section(published, slug="state"),
        networks=summary_table(
            [publications.networks[network.pk] for network in networks],
            caption="Each network: its partners sharing their outcomes",
            first_column="Network",
            slug="networks",
        ),
        partners=summary_table(
            known,
            caption="Partners sharing their outcomes and figures with the state",
            first_column="Partner",
            slug="partners",
        )
        if known
        else None,
        equity=_equity(published, publications, breakdown, "state"),
    )
