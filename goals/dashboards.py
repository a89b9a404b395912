"""What each dashboard shows, put together from the selectors (rollups only, a fixed number of queries
whatever the number of partners) and drawn by `goals.figures`.

- backbone staff: progress against each goal, one goal month by month, the monthly trend, the partners
  (commitment, count so far, reporting), completeness and contracts late in the pipeline;
- partner staff: their organization's progress against its commitments, its own trend beside the
  network's, and the network's goals;
- state viewers: every network of the state side by side, the statewide trend, progress against every
  goal, and the identified figures of only those partners that share them with the state;
- site administrators: the networks of every state compared.

Every aggregate of a dashboard but the backbone's is published to its viewer (a `network.selectors.Viewer`)
through `metrics.publication`, by the selectors; a suppressed cell of a table says so in words
(`core.figures.Suppressed`), a chart leaves it out, and a summary does not state it.
"""

import datetime
from dataclasses import dataclass, field

from core.disclosure import Reason
from core.figures import Chart, Suppressed, Table
from core.numbers import percent
from goals import figures, selectors
from goals.forms import DashboardFilters
from goals.models import Goal
from goals.selectors import Freshness, GoalStanding, MonthPeriod, Viewer
from metrics import completeness as completeness_reads
from metrics.completeness import CellState, Completeness, MonthReporting, PartnerCompleteness
from metrics.publication import Figure
from network.models import Network
from network.partnership import contracting
from partners.models import Organization, State


@dataclass
class Board:
    """A dashboard's freshness, charts and tables; every table downloads as CSV."""

    filters: DashboardFilters
    freshness: Freshness

    def __post_init__(self) -> None:
        for table in self.tables:
            figures.noted(table)

    @property
    def tables(self) -> list[Table]:
        return [value for value in vars(self).values() if isinstance(value, Table)]


# Backbone staff


PARTNER_COLUMNS = [
    "Partner",
    "Commitment",
    "So far toward the goal",
    "Counted up to",
    "Share of the commitment (%)",
    "In the period",
    "Last month reported",
    "Latest month due",
    "Reports received in the period",
]


@dataclass
class PartnerLine:
    organization_id: int
    name: str
    commitment: int | None = None
    toward: int | None = None
    counted_to: datetime.date | None = None
    in_period: int = 0
    reporting: PartnerCompleteness | None = None

    @property
    def share(self) -> int | None:
        if self.commitment is None or self.toward is None:
            return None
        return percent(self.toward, self.commitment)

    def reporting_cells(self, months: list[datetime.date]) -> list[object]:
        if self.reporting is None:
            return [None, "Does not report monthly", None]
        received = [
            month
            for month, cell in zip(months, self.reporting.cells, strict=True)
            if cell.state in (CellState.ON_TIME, CellState.LATE)
        ]
        due = [
            (month, cell)
            for month, cell in zip(months, self.reporting.cells, strict=True)
            if cell.state in (CellState.ON_TIME, CellState.LATE, CellState.MISSING)
        ]
        latest = f"{due[-1][1].label} ({due[-1][0]:%B %Y})" if due else "None due yet"
        tally = self.reporting.tally
        return [
            f"{received[-1]:%B %Y}" if received else None,
            latest,
            f"{tally.received} of {tally.expected}",
        ]


@dataclass
class NetworkBoard(Board):
    network: Network
    standings: list[GoalStanding]
    selected: GoalStanding | None
    goals_table: Table
    goals_chart: Chart | None
    goal_table: Table | None
    goal_chart: Chart | None
    trend_table: Table
    trend_chart: Chart
    partners: list[PartnerLine]
    partners_table: Table
    partners_chart: Chart | None
    completeness: Completeness
    completeness_table: Table
    late_contracts: list[contracting.ContractDurations]
    contracts_table: Table
    alert_days: int = 0


def network_dashboard(
    *, network: Network, goals: list[Goal], filters: DashboardFilters, today: datetime.date
) -> NetworkBoard:
    """The backbone's dashboard. ``goals`` come from `selectors.goals_of`."""
    period, measure = filters.period, filters.measure
    standings = selectors.goal_standings(goals=goals, today=today)
    selected = next((s for s in standings if filters.goal and s.goal.pk == filters.goal.pk), None)
    goal_table = figures.burnup_table(selected) if selected else None

    series = selectors.network_series(network_ids=[network.pk], measure_id=measure.pk, period=period)
    months_in = completeness_reads.reporting_by_month(
        networks=[network], first=period.first, last=period.last, today=today
    )
    monthly = figures.monthly_frame(
        {network.name: series.get(network.pk, {})}, period, reporting={network.name: months_in[network.pk]}
    )
    trend_caption = f"{measure.name} a month in the {network.name}, {period}"

    partners = _partner_lines(network, selected.goal if selected else None, filters, today)
    reporting = completeness_reads.completeness(
        network=network, end=period.last, months=len(period.months), today=today
    )
    by_id = {line.organization_id: line for line in partners}
    for row in reporting.partners:
        line = by_id.get(row.organization.pk)
        if line is None:
            line = by_id[row.organization.pk] = PartnerLine(row.organization.pk, row.organization.name)
            partners.append(line)
        line.reporting = row
    partners.sort(key=lambda line: (line.name.lower(), line.organization_id))
    partners_table = Table(
        caption=(
            f"Partners: commitments to “{selected.goal.name}”, {measure.name.lower()} in {period}, reporting"
            if selected
            else f"Partners: {measure.name.lower()} in {period}, and reporting"
        ),
        columns=PARTNER_COLUMNS,
        rows=[
            [
                line.name,
                line.commitment,
                line.toward,
                f"{line.counted_to:%B %Y}" if line.counted_to else None,
                line.share,
                line.in_period,
                *line.reporting_cells(reporting.months),
            ]
            for line in partners
        ],
        slug="partners",
    )
    _, completeness_table = completeness_reads.completeness_tables(reporting)
    contracts = contracting.contracting_summary(network=network, today=today)
    return NetworkBoard(
        filters=filters,
        freshness=selectors.freshness(network_ids=[network.pk]),
        network=network,
        standings=standings,
        selected=selected,
        goals_table=figures.goals_table(standings, caption=f"Progress against the goals of {network.name}"),
        goals_chart=figures.goals_chart(standings) if standings else None,
        goal_table=goal_table,
        goal_chart=figures.burnup_chart(selected, goal_table) if selected and goal_table else None,
        trend_table=figures.trend_table(monthly, caption=trend_caption),
        trend_chart=figures.trend_chart(
            monthly,
            measure=measure.name,
            summary=f"A line: {trend_caption}, {monthly.total_words(network.name)} in all; months without "
            "an approved report yet are left empty.",
        ),
        partners=partners,
        partners_table=partners_table,
        partners_chart=_partners_chart(partners, selected, measure.name, period),
        completeness=reporting,
        completeness_table=completeness_table,
        late_contracts=contracts.past_alert,
        contracts_table=Table(
            caption="Contracts late in the pipeline",
            columns=["Contract", "Partner", "Stage", "Days in the stage", "Alert after (days)"],
            rows=[
                [
                    row.contract.title,
                    row.contract.organization.name,
                    row.contract.get_stage_display(),
                    row.days_in_current_stage,
                    row.alert_days,
                ]
                for row in contracts.past_alert
            ],
            slug="contracts-late",
        ),
        alert_days=contracts.alert_days,
    )


def _partner_lines(
    network: Network, goal: Goal | None, filters: DashboardFilters, today: datetime.date
) -> list[PartnerLine]:
    """Every partner with a count in the period, toward the goal or a commitment to it; its count
    toward the goal is counted as its commitment is, up to the last month its own reports are in for."""
    sums = selectors.partner_sums(
        network_ids=[network.pk], measure_id=filters.measure.pk, period=filters.period
    )
    lines = {
        row.organization_id: PartnerLine(row.organization_id, row.organization_name, in_period=row.in_period)
        for row in sums
    }
    if goal is not None:
        for commitment in goal.commitments.all():
            line = lines.setdefault(
                commitment.organization_id,
                PartnerLine(commitment.organization_id, commitment.organization.name),
            )
            line.commitment = commitment.amount
        so_far = selectors.partners_so_far(
            network=network, goals=[goal], organization_ids=list(lines), today=today
        )
        for pk, line in lines.items():
            line.toward = so_far[goal.pk, pk].so_far
            line.counted_to = so_far[goal.pk, pk].counting.counted_to
    return list(lines.values())


def _partners_chart(
    partners: list[PartnerLine], selected: GoalStanding | None, measure: str, period: MonthPeriod
) -> Chart | None:
    if not partners:
        return None
    names = [line.name for line in partners]
    if selected:
        return figures.bars_chart(
            names,
            {
                "Commitment": [line.commitment for line in partners],
                "So far toward the goal": [line.toward for line in partners],
            },
            axis=selected.goal.measure.name,
            summary=(
                f"Horizontal bars: each of {len(partners)} partners' commitment to “{selected.goal.name}” "
                "beside what it reached so far."
            ),
            element_id="partners-chart",
        )
    return figures.bars_chart(
        names,
        {measure: [line.in_period for line in partners]},
        axis=measure,
        summary=f"Horizontal bars: {measure.lower()} of each of {len(partners)} partners in {period}.",
        element_id="partners-chart",
    )


# Partner staff


@dataclass
class PartnerBoard(Board):
    organization: Organization
    commitments: list[selectors.CommitmentStanding]
    commitments_table: Table
    commitments_chart: Chart | None
    trend_table: Table
    trend_chart: Chart
    standings: list[GoalStanding] = field(default_factory=list)
    goals_table: Table | None = None


def partner_dashboard(
    *,
    network: Network,
    organization: Organization,
    goals: list[Goal],
    filters: DashboardFilters,
    today: datetime.date,
    viewer: Viewer,
) -> PartnerBoard:
    """A partner's own progress and trend, next to the network's aggregates as published to the
    ``viewer``. Only call it for a user who may see this partner's identified figures
    (`selectors.partner_get_for_dashboard`, which gives the viewer)."""
    period, measure = filters.period, filters.measure
    commitments = selectors.commitment_standings(network=network, organization=organization, today=today)
    own = selectors.partner_series(
        network=network, organization_id=organization.pk, measure_id=measure.pk, period=period
    )
    counts = selectors.published_counts(
        networks=[network], measure_id=measure.pk, period=period, viewer=viewer, with_states=False
    )
    whole = "The whole network"
    months_in = completeness_reads.reporting_by_month(
        networks=[network], first=period.first, last=period.last, today=today
    )
    monthly = figures.monthly_frame(
        {organization.name: own, whole: counts.networks[network.pk]},
        period,
        thresholds={whole: counts.network_thresholds[network.pk]},
        reporting={whole: months_in[network.pk]},
        reasons={whole: counts.network_reasons[network.pk]},
    )
    caption = f"{measure.name} a month: {organization.name} and the whole {network.name}, {period}"
    standings = selectors.goal_standings_for(goals=goals, today=today, viewer=viewer, already=counts)
    return PartnerBoard(
        filters=filters,
        freshness=selectors.freshness(network_ids=[network.pk]),
        organization=organization,
        commitments=commitments,
        commitments_table=figures.commitments_table(commitments, organization=organization.name),
        commitments_chart=(
            figures.commitments_chart(commitments, organization=organization.name) if commitments else None
        ),
        trend_table=figures.trend_table(monthly, caption=caption),
        trend_chart=figures.trend_chart(
            monthly,
            measure=measure.name,
            summary=(
                f"Two lines: {caption}; {monthly.total_words(organization.name)} by {organization.name}, "
                f"and in the network {monthly.total_words(whole)}."
            ),
        ),
        standings=standings,
        goals_table=figures.goals_table(standings, caption=f"Progress against the goals of {network.name}"),
    )


# State viewers and site administrators


NETWORK_COLUMNS = [
    "Network",
    "Backbone organization",
    "Partners",
    "Reports in",
    "In the complete months of the period",
    "Monthly mean of the complete months",
    "Goals",
    "On track or reached",
    "At risk",
    "Off track",
]


def reports_in_words(reporting: dict[datetime.date, MonthReporting], period: MonthPeriod) -> str:
    """How far a network's (or a state's) reports are in over the period, in words: "complete to
    September 2026; October 2026: 3 of 5 partners have reported"."""
    counting = selectors.counting_of(reporting, period)
    said = [f"complete to {counting.counted_to:%B %Y}"] if counting.counted_to else []
    if counting.why:
        said.append(counting.why)
    text = "; ".join(said)
    return text[0].upper() + text[1:] if text else "No month of the period is over"


def _network_rows(
    networks: list[Network],
    counts: selectors.PublishedCounts,
    reporting: dict[int, dict[datetime.date, MonthReporting]],
    standings: list[GoalStanding],
    period: MonthPeriod,
    with_state: bool = False,
) -> list[list[object]]:
    rows = []
    for network in networks:
        own = [s for s in standings if s.goal.network_id == network.pk]
        outlooks = [s.outlook for s in own]
        total = _total(counts, network, reporting[network.pk])
        threshold = counts.network_thresholds[network.pk]
        rows.append(
            ([network.state.name] if with_state else [])
            + [
                network.name,
                network.backbone.name,
                network.partner_count,
                reports_in_words(reporting[network.pk], period),
                Suppressed(threshold, total.reason) if total.hidden else total.value,
                _complete_mean(counts.networks[network.pk], reporting[network.pk], threshold),
                len(own),
                sum(outlook in ("on track", "reached") for outlook in outlooks),
                outlooks.count("at risk"),
                outlooks.count("off track"),
            ]
        )
    return rows


def _total(
    counts: selectors.PublishedCounts, network: Network, reporting: dict[datetime.date, MonthReporting]
) -> Figure:
    """A network's count over the complete months of the period, as published (the same figure the
    equity pages give for all participants): suppressed where one of those months' is."""
    months = [month for month, found in reporting.items() if found.complete]
    assert counts.publications is not None
    return counts.publications.network(network.pk).total_over(months)


def _state_total(
    counts: selectors.PublishedCounts, state: State, reporting: dict[datetime.date, MonthReporting]
) -> Figure:
    """A state's count over the complete months of the period, as published."""
    months = [month for month, found in reporting.items() if found.complete]
    assert counts.publications is not None
    if state.pk in counts.publications.states:
        return counts.publications.state(state.pk).total_over(months)
    shown = counts.states.get(state.pk, {})
    return Figure(selectors.published_sum(shown.get(m) for m in months if m in shown))


def _shown(figure: Figure, threshold: int) -> object:
    return Suppressed(threshold, figure.reason or Reason.INCLUDES) if figure.hidden else figure.value


def _complete_mean(
    shown: selectors.Shown, reporting: dict[datetime.date, MonthReporting], threshold: int
) -> object:
    """The mean count of the period's complete months (a provisional month would pull it down): None
    where no month is complete, suppressed where a complete month's count is."""
    months = [month for month, found in reporting.items() if found.complete]
    if not months:
        return None
    total = selectors.published_sum(shown.get(month, 0) for month in months)
    if total is None:
        return Suppressed(threshold, Reason.INCLUDES)
    return figures.one_decimal(total / len(months))


@dataclass
class StateBoard(Board):
    state: State
    networks: list[Network]
    networks_table: Table
    networks_chart: Chart | None
    trend_table: Table
    trend_chart: Chart
    standings: list[GoalStanding]
    goals_table: Table
    goals_chart: Chart | None
    shared_table: Table


def state_dashboard(
    *, state: State, filters: DashboardFilters, today: datetime.date, viewer: Viewer
) -> StateBoard:
    """Every network of the state side by side, as published to the ``viewer``
    (`network.selectors.viewer_for_states`); partners' own figures only where they share them with the
    state. Only call it for the state's viewers (`selectors.state_get_for_viewer`)."""
    period, measure = filters.period, filters.measure
    networks = selectors.networks_in(states=[state])
    ids = [network.pk for network in networks]
    counts = selectors.published_counts(
        networks=networks, measure_id=measure.pk, period=period, viewer=viewer
    )
    reporting = completeness_reads.reporting_by_month(
        networks=networks, first=period.first, last=period.last, today=today
    )
    statewide = f"All of {state.name}"
    monthly = figures.monthly_frame(
        {
            **{network.name: counts.networks[network.pk] for network in networks},
            statewide: counts.states.get(state.pk, {}),
        },
        period,
        thresholds={
            **{network.name: counts.network_thresholds[network.pk] for network in networks},
            statewide: counts.state_thresholds.get(state.pk, selectors.threshold_of_group(networks)),
        },
        reporting={
            **{network.name: reporting[network.pk] for network in networks},
            statewide: completeness_reads.reporting_combined(list(reporting.values())),
        },
        reasons={
            **{network.name: counts.network_reasons[network.pk] for network in networks},
            statewide: counts.state_reasons.get(state.pk, {}),
        },
    )
    totals = {network.pk: _total(counts, network, reporting[network.pk]).value for network in networks}
    standings = selectors.goal_standings_for(
        goals=list(selectors.goals_of(network_ids=ids)), today=today, viewer=viewer, already=counts
    )
    shared = selectors.partner_sums(
        network_ids=ids, measure_id=measure.pk, period=period, shared_with_state_only=True
    )
    names = {network.pk: network.name for network in networks}
    caption = f"{measure.name} a month in {state.name}, network by network, {period}"
    return StateBoard(
        filters=filters,
        freshness=selectors.freshness(network_ids=ids),
        state=state,
        networks=networks,
        networks_table=Table(
            caption=f"The networks of {state.name} side by side: {measure.name.lower()} in {period}",
            columns=NETWORK_COLUMNS,
            rows=_network_rows(networks, counts, reporting, standings, period),
            slug="networks",
        ),
        networks_chart=(
            figures.bars_chart(
                [network.name for network in networks],
                {measure.name: [totals[network.pk] for network in networks]},
                axis=f"{measure.name} in the period",
                summary=f"Horizontal bars: {measure.name.lower()} of each of {len(networks)} networks in "
                f"{state.name}, {period}{_left_out(totals)}.",
                element_id="networks-chart",
            )
            if networks
            else None
        ),
        trend_table=figures.trend_table(monthly, caption=caption),
        trend_chart=figures.trend_chart(
            monthly,
            measure=measure.name,
            summary=f"Lines: {caption}, and the statewide total ({monthly.total_words(statewide)}).",
        ),
        standings=standings,
        goals_table=figures.goals_table(
            standings,
            caption=f"Progress against the goals of the networks in {state.name}",
            with_network=True,
        ),
        goals_chart=figures.goals_chart(standings, with_network=True) if standings else None,
        shared_table=Table(
            caption=f"Partners sharing their figures with the state: {measure.name.lower()} in {period}",
            columns=["Partner", "Network", "In the period"],
            rows=[[row.organization_name, names[row.network_id], row.in_period] for row in shared],
            slug="partners-sharing",
        ),
    )


def _left_out(totals: dict[int, int | None]) -> str:
    """What a bar chart's summary says of the bars left out because their count is suppressed."""
    hidden = sum(total is None for total in totals.values())
    return f" ({hidden} {figures.SUPPRESSED_WORDS}, so not drawn)" if hidden else ""


@dataclass
class CrossStateBoard(Board):
    states: list[State]
    states_table: Table
    trend_table: Table
    trend_chart: Chart
    networks_table: Table
    networks_chart: Chart | None


def cross_state_dashboard(
    *, filters: DashboardFilters, today: datetime.date, viewer: Viewer
) -> CrossStateBoard:
    """The networks of every state compared, for site administrators: network and state aggregates
    only, as published to the ``viewer`` (`network.selectors.viewer_for_states`)."""
    period, measure = filters.period, filters.measure
    networks = selectors.networks_in()
    ids = [network.pk for network in networks]
    states = list({network.state_id: network.state for network in networks}.values())
    counts = selectors.published_counts(
        networks=networks, measure_id=measure.pk, period=period, viewer=viewer
    )
    reporting = completeness_reads.reporting_by_month(
        networks=networks, first=period.first, last=period.last, today=today
    )
    by_state = {
        state.pk: completeness_reads.reporting_combined(
            [reporting[network.pk] for network in networks if network.state_id == state.pk]
        )
        for state in states
    }
    standings = selectors.goal_standings_for(
        goals=list(selectors.goals_of(network_ids=ids)), today=today, viewer=viewer, already=counts
    )
    monthly = figures.monthly_frame(
        {state.name: counts.states.get(state.pk, {}) for state in states},
        period,
        thresholds={state.name: counts.state_thresholds[state.pk] for state in states},
        reporting={state.name: by_state[state.pk] for state in states},
        reasons={state.name: counts.state_reasons.get(state.pk, {}) for state in states},
    )
    totals = {network.pk: _total(counts, network, reporting[network.pk]).value for network in networks}
    caption = f"{measure.name} a month, state by state, {period}"
    return CrossStateBoard(
        filters=filters,
        freshness=selectors.freshness(network_ids=ids),
        states=states,
        states_table=Table(
            caption=f"States compared: {measure.name.lower()} in {period}",
            columns=[
                "State",
                "Networks",
                "Reports in",
                "In the complete months of the period",
                "Monthly mean of the complete months",
            ],
            rows=[
                [
                    state.name,
                    sum(network.state_id == state.pk for network in networks),
                    reports_in_words(by_state[state.pk], period),
                    _shown(_state_total(counts, state, by_state[state.pk]), monthly.threshold(state.name)),
                    _complete_mean(
                        counts.states.get(state.pk, {}), by_state[state.pk], monthly.threshold(state.name)
                    ),
                ]
                for state in states
            ],
            slug="states",
        ),
        trend_table=figures.trend_table(monthly, caption=caption),
        trend_chart=figures.trend_chart(monthly, measure=measure.name, summary=f"Lines: {caption}."),
        networks_table=Table(
            caption=f"The networks of every state compared: {measure.name.lower()} in {period}",
            columns=["State", *NETWORK_COLUMNS],
            rows=_network_rows(networks, counts, reporting, standings, period, with_state=True),
            slug="networks",
        ),
        networks_chart=(
            figures.bars_chart(
                [f"{network.name} ({network.state.code})" for network in networks],
                {measure.name: [totals[network.pk] for network in networks]},
                axis=f"{measure.name} in the period",
                summary=f"Horizontal bars: {measure.name.lower()} of each of {len(networks)} networks in "
                f"{period}, by state{_left_out(totals)}.",
                element_id="networks-chart",
            )
            if networks
            else None
        ),
    )
