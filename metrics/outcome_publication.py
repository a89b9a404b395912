"""Program outcomes (`metrics.outcomes`, kept as `CohortCount`) as published to a viewer: the same rule
as every other aggregate (`metrics.publication`, `core.disclosure`), on cells of their own.

Whose counts enter an aggregate: a network's are the sum over its partners that chose to share their
outcomes (``Membership.outcomes_shared``) and whose membership is current or covers the cohort month
(`Membership.is_member_in`); a state's are its networks' added up. A partner that does not share counts
in nothing but its own page.

A viewer sees identified (by cohort month, nothing held back): a network whose every partner they see
(backbone staff), and the partners they know (`Viewer.knows`: their own organization; for a state viewer
a partner sharing both its outcomes and its identified figures with the state). Everyone else is
published the *rest* (the count less the part the viewer knows) in fixed, non-overlapping cells: each
network's (and state's) count of a measure for a calendar quarter of cohorts, in all and by category,
with the equations that link them, so no hidden count can be worked out:
- the categories of a breakdown add up to the total;
- the sessions buckets add up to the participants who started, and everyone who started was in the
  program in month 1 (``retained_m1 == started``);
- a state's cell is its networks' cells added up.
Measures are not otherwise additive (retained at month 6 is part of month 3's, not a sum), so no other
equation holds between them. Where a cell is shown it is the whole count, the viewer's own part
included, as `metrics.publication` shows it.

Solving is remembered by what it was given (`metrics.publication.protect_remembered`), so a page
repeated solves nothing again while the counts stay the same. Three queries, whatever the number of
partners.
"""

import datetime
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Max

from core.calendar import month_add, month_end, quarter_of
from core.disclosure import Equation, Reason, threshold_for
from metrics.catalogue import TOTAL_BREAKDOWN
from metrics.models import CohortCount, ParticipantSession
from metrics.outcomes import MEASURES, RETAINED, SESSIONS, STARTED
from metrics.publication import NO_DATA, Figure, protect_groups, sum_figures
from network.models import Membership, Network
from network.selectors import Viewer

# (cohort, measure code, category id or None for the total) -> count
Key = tuple[datetime.date, str, int | None]
Cell = tuple[Hashable, ...]  # ("N", network, *Key) or ("S", state, *Key)


def cohort_running(cohort_month: datetime.date, as_of: datetime.date) -> bool:
    """Whether a cohort's year is not over by ``as_of``: its participants who started on the month's
    last day are in their twelfth program month until the end of the month twelve months later."""
    return as_of < month_end(month_add(cohort_month, 12))


@dataclass
class OutcomePublication:
    """One partner's, network's or state's cohort counts as published to a viewer: by cohort month
    where ``identified``, else by calendar quarter of cohorts (each keyed by its first month)."""

    name: str
    threshold: int
    identified: bool
    counts: dict[Key, int] = field(default_factory=dict)
    hidden: dict[Key, Reason] = field(default_factory=dict)
    running: set[datetime.date] = field(default_factory=set)  # cohorts whose year is not over

    @property
    def cohorts(self) -> list[datetime.date]:
        return sorted({cohort for cohort, _, _ in self.counts})

    def figure(self, cohort: datetime.date, measure: str, category: int | None = None) -> Figure:
        key = (cohort, measure, category)
        if key in self.hidden:
            return Figure(None, self.hidden[key])
        if cohort not in self._cohorts:
            return NO_DATA
        return Figure(self.counts.get(key, 0))

    def total(self, cohorts: Iterable[datetime.date], measure: str, category: int | None = None) -> Figure:
        """A count over several cohorts: hidden where one of them is."""
        return sum_figures(self.figure(cohort, measure, category) for cohort in cohorts)

    @cached_property
    def _cohorts(self) -> set[datetime.date]:
        return {cohort for cohort, _, _ in self.counts}

    def categories(self) -> set[int]:
        return {category for _, _, category in self.counts if category is not None}


@dataclass
class OutcomePublications:
    """What one viewer is published of the outcomes of some networks (and their states)."""

    networks: dict[int, OutcomePublication]
    states: dict[int, OutcomePublication]
    # The partners the viewer sees identified, by (network, organization): each sharing partner they
    # know, and their own organizations whatever they chose.
    partners: dict[tuple[int, int], OutcomePublication]
    memberships: list[Membership]  # every membership of the networks, with its organization
    breakdown_of: dict[int, str]  # category id -> breakdown code


def outcome_publications(
    *, networks: Sequence[Network], viewer: Viewer, today: datetime.date, with_states: bool = False
) -> OutcomePublications:
    """The networks' outcomes (and, ``with_states``, their states') as published to the viewer, with
    the partners they see identified. Three queries."""
    ids = [network.pk for network in networks]
    memberships = list(
        Membership.objects.filter(network_id__in=ids)
        .select_related("organization")
        .order_by("network_id", "organization__name", "joined_on")
    )
    sharing = [m for m in memberships if m.outcomes_shared]
    own = {m.organization_id for m in memberships if m.organization_id in viewer.organization_ids}
    wanted = {m.organization_id for m in sharing} | own
    by_org: dict[int, dict[Key, int]] = defaultdict(dict)
    breakdown_of: dict[int, str] = {}
    rows = CohortCount.objects.filter(organization_id__in=sorted(wanted)).values_list(
        "organization_id", "cohort_month", "measure", "category_id", "category__breakdown__code", "count"
    )
    for organization_id, month, measure, category_id, breakdown, count in rows:
        category = None if breakdown == TOTAL_BREAKDOWN else category_id
        if category is not None:
            breakdown_of[category] = breakdown
        by_org[organization_id][month, measure, category] = count
    last_session = dict(
        ParticipantSession.objects.filter(organization_id__in=sorted(wanted))
        .values("organization_id")
        .annotate(last=Max("session_date"))
        .values_list("organization_id", "last")
    )

    def running_of(organization_id: int) -> set[datetime.date]:
        as_of = min(today, last_session.get(organization_id) or today)
        months = {month for month, _, _ in by_org.get(organization_id, {})}
        return {month for month in months if cohort_running(month, as_of)}

    solver = _Solver(networks, viewer, breakdown_of)
    # A partner may have left and joined again: its counts enter once, where any sharing membership
    # is current or covers the cohort month.
    spans: dict[tuple[int, int], list[Membership]] = defaultdict(list)
    for membership in sharing:
        spans[membership.network_id, membership.organization_id].append(membership)
    for (n, organization_id), members in spans.items():
        running = running_of(organization_id)
        covered = {
            month: any(m.is_current or m.is_member_in(month) for m in members)
            for month, _, _ in by_org.get(organization_id, {})
        }
        for key, count in by_org.get(organization_id, {}).items():
            if covered[key[0]]:
                solver.add(n, organization_id, key, count, key[0] in running)
    partners = {}
    for membership in memberships:
        n, organization_id = membership.network_id, membership.organization_id
        shown = membership.outcomes_shared and viewer.knows(n, organization_id)
        if (shown or organization_id in own) and (n, organization_id) not in partners:
            partners[n, organization_id] = OutcomePublication(
                name=membership.organization.name,
                threshold=solver.thresholds[n],
                identified=True,
                counts=dict(by_org.get(organization_id, {})),
                running=running_of(organization_id),
            )
    published_networks, published_states = solver.solve(with_states)
    return OutcomePublications(
        networks=published_networks,
        states=published_states,
        partners=partners,
        memberships=memberships,
        breakdown_of=breakdown_of,
    )


class _Solver:
    """Adds the sharing partners' counts up by network (and state), and protects the cells of the
    networks and states the viewer does not see whole."""

    def __init__(self, networks: Sequence[Network], viewer: Viewer, breakdown_of: dict[int, str]) -> None:
        self.networks = sorted(networks, key=lambda network: network.pk)  # the same order on every page
        self.viewer = viewer
        self.breakdown_of = breakdown_of
        self.thresholds = {n.pk: threshold_for(n.suppression_threshold) for n in self.networks}
        self.by_month: dict[int, dict[Key, int]] = defaultdict(lambda: defaultdict(int))
        self.by_quarter: dict[int, dict[Key, int]] = defaultdict(lambda: defaultdict(int))
        self.rest: dict[int, dict[Key, int]] = defaultdict(lambda: defaultdict(int))
        self.running: dict[int, set[datetime.date]] = defaultdict(set)

    def add(self, n: int, organization_id: int, key: Key, count: int, running: bool) -> None:
        month, measure, category = key
        quarter = quarter_of(month)
        self.by_month[n][key] += count
        self.by_quarter[n][quarter, measure, category] += count
        if not self.viewer.knows(n, organization_id):
            self.rest[n][quarter, measure, category] += count
        if running:
            self.running[n] |= {month, quarter}

    def solve(self, with_states: bool) -> tuple[dict[int, OutcomePublication], dict[int, OutcomePublication]]:
        cells: dict[Cell, int] = {}
        equations: list[Equation[Cell]] = []
        published = [n for n in self.networks if not self.viewer.sees_all_of(n.pk)]
        for network in published:
            self._cells(
                ("N", network.pk), self.by_quarter[network.pk], self.rest[network.pk], cells, equations
            )
        states: dict[int, list[Network]] = defaultdict(list)
        if with_states:
            for network in self.networks:
                states[network.state_id].append(network)
        state_sums: dict[int, dict[Key, int]] = {}
        for state_id, members in states.items():
            whole: dict[Key, int] = defaultdict(int)
            rest: dict[Key, int] = defaultdict(int)
            for network in members:
                for key, count in self.by_quarter[network.pk].items():
                    whole[key] += count
                    # A network the viewer sees whole adds nothing they do not know.
                    if not self.viewer.sees_all_of(network.pk):
                        rest[key] += self.rest[network.pk].get(key, 0)
            state_sums[state_id] = whole
            if all(self.viewer.sees_all_of(network.pk) for network in members):
                continue
            self._cells(("S", state_id), whole, rest, cells, equations)
            for key in cell_keys(whole):
                parts = tuple(("N", n.pk, *key) for n in members if ("N", n.pk, *key) in cells)
                equations.append(Equation(plus=(("S", state_id, *key),), minus=parts))
        state_threshold = {
            state_id: max(self.thresholds[network.pk] for network in members)
            for state_id, members in states.items()
        }

        def threshold(cell: Cell) -> int:
            return self.thresholds[cell[1]] if cell[0] == "N" else state_threshold[cell[1]]

        hidden = protect_groups(
            cells, equations, threshold=threshold, avoid={cell for cell in cells if cell[-1] is None}
        )
        by_network = {}
        for network in self.networks:
            n = network.pk
            if self.viewer.sees_all_of(n):
                by_network[n] = OutcomePublication(
                    network.name, self.thresholds[n], True, dict(self.by_month[n]), running=self.running[n]
                )
            else:
                by_network[n] = self._published(
                    ("N", n), network.name, self.thresholds[n], self.by_quarter[n], hidden
                )
                by_network[n].running = self.running[n]
        by_state = {}
        for state_id, members in states.items():
            name = members[0].state.name
            running = set().union(*(self.running[network.pk] for network in members))
            if all(self.viewer.sees_all_of(network.pk) for network in members):
                months: dict[Key, int] = defaultdict(int)
                for network in members:
                    for key, count in self.by_month[network.pk].items():
                        months[key] += count
                by_state[state_id] = OutcomePublication(name, state_threshold[state_id], True, dict(months))
            else:
                by_state[state_id] = self._published(
                    ("S", state_id), name, state_threshold[state_id], state_sums[state_id], hidden
                )
            by_state[state_id].running = running
        return by_network, by_state

    def _cells(
        self,
        unit: tuple[str, int],
        whole: dict[Key, int],
        rest: dict[Key, int],
        cells: dict[Cell, int],
        equations: list[Equation[Cell]],
    ) -> None:
        keys = cell_keys(whole)
        for key in keys:
            cells[(*unit, *key)] = rest.get(key, 0)
        equations.extend(cell_equations(unit, keys, self.breakdown_of))

    @staticmethod
    def _published(
        unit: tuple[str, int], name: str, threshold: int, whole: dict[Key, int], hidden: dict[Cell, Reason]
    ) -> OutcomePublication:
        publication = OutcomePublication(name, threshold, False, dict(whole))
        prefix = len(unit)
        for cell, reason in hidden.items():
            if cell[:prefix] == unit:
                publication.hidden[cell[prefix:]] = reason  # type: ignore[index]
        return publication


def cell_keys(counts: dict[Key, int]) -> list[Key]:
    """Every cell of a network's (or state's) quarters of cohorts: each measure in all and by each
    category seen in the quarter, zero where nothing was counted."""
    categories: dict[datetime.date, set[int]] = defaultdict(set)
    quarters = set()
    for quarter, _, category in counts:
        quarters.add(quarter)
        if category is not None:
            categories[quarter].add(category)
    return [
        (quarter, measure.code, category)
        for quarter in sorted(quarters)
        for measure in MEASURES
        for category in [None, *sorted(categories[quarter])]
    ]


def cell_equations(
    unit: tuple[str, int], keys: Sequence[Key], breakdown_of: dict[int, str]
) -> list[Equation[Cell]]:
    """The equations between one network's (or state's) cells ``keys``: a breakdown's categories add up
    to the total; the sessions buckets add up to those who started, as do those in the program in
    month 1."""
    equations = []
    by_group: dict[tuple[datetime.date, str, str], list[Cell]] = defaultdict(list)
    sessions = [measure.code for measure in SESSIONS]
    for quarter, measure, category in keys:
        if category is not None:
            by_group[quarter, measure, breakdown_of[category]].append((*unit, quarter, measure, category))
        if measure == STARTED.code:
            started = (*unit, quarter, measure, category)
            buckets = tuple((*unit, quarter, code, category) for code in sessions)
            equations.append(Equation(plus=buckets, minus=(started,)))
            equations.append(Equation(plus=((*unit, quarter, RETAINED[0].code, category),), minus=(started,)))
    for (quarter, measure, _), categories in by_group.items():
        equations.append(Equation(plus=tuple(categories), minus=((*unit, quarter, measure, None),)))
    return equations
