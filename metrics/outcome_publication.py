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
repeated solves nothing again while the counts stay the same. Four queries, whatever the number of
partners.
"""

import datetime
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import BooleanField, Case, Max, Sum, Value, When

from core.calendar import quarter_of
from core.disclosure import Equation, Reason, threshold_for
from metrics.catalogue import TOTAL_BREAKDOWN
from metrics.models import CohortCount, ParticipantSession
from metrics.outcomes import (
    BY_GROUP,
    MEASURES,
    SESSIONS,
    STARTED,
    cohort_is_complete,
    program_month,
    retained_code,
)
from metrics.publication import NO_DATA, Figure, protect_groups, sum_figures
from network.models import Membership, Network
from network.selectors import Viewer

# (cohort, measure code, category id or None for the total) -> count
Key = tuple[datetime.date, str, int | None]
Cell = tuple[Hashable, ...]  # ("N", network, *Key) or ("S", state, *Key)


def cohort_running(cohort_month: datetime.date, as_of: datetime.date) -> bool:
    """Whether a cohort's year is not over by ``as_of`` (`metrics.outcomes.cohort_is_complete`)."""
    return not cohort_is_complete(cohort_month, as_of)


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
    as_of: datetime.date | None = None  # the day published: a running cohort's later months are not reached

    def reached(self, cohort: datetime.date, month: int) -> bool:
        """Whether any participant of the cohort (a month, or a quarter from its first month) can have
        reached program ``month`` by `as_of`: its earliest starters, who began on its first day."""
        if self.as_of is None or cohort not in self.running:
            return True
        return program_month(cohort, self.as_of) >= month

    @property
    def cohorts(self) -> list[datetime.date]:
        return sorted({cohort for cohort, _, _ in self.counts})

    def figure(self, cohort: datetime.date, measure: str, category: int | None = None) -> Figure:
        key = (cohort, measure, category)
        if key in self.hidden:
            return Figure(None, self.hidden[key])
        if cohort not in self._cohorts or not self.by_group(measure, category):
            return NO_DATA
        return Figure(self.counts.get(key, 0))

    def total(self, cohorts: Iterable[datetime.date], measure: str, category: int | None = None) -> Figure:
        """A count over several cohorts: hidden where one of them is."""
        return sum_figures(self.figure(cohort, measure, category) for cohort in cohorts)

    @cached_property
    def _cohorts(self) -> set[datetime.date]:
        return {cohort for cohort, _, _ in self.counts}

    def by_group(self, measure: str, category: int | None) -> bool:
        """Whether the measure is published for the category (`metrics.outcomes.BY_GROUP`): every
        measure is, to a viewer who sees the counts identified."""
        return category is None or self.identified or measure in BY_GROUP

    def categories(self) -> set[int]:
        return {category for _, _, category in self.counts if category is not None}


@dataclass
class OutcomePublications:
    """What one viewer is published of the outcomes of some networks (and their states)."""

    networks: dict[int, OutcomePublication]
    states: dict[int, OutcomePublication]
    # The partners the viewer sees identified, by (network, organization): each sharing partner they
    # know, and their own organizations whatever they chose. Their totals only, not by category.
    partners: dict[tuple[int, int], OutcomePublication]
    memberships: list[Membership]  # every membership of the networks, with its organization
    breakdown_of: dict[int, str]  # category id -> breakdown code


def outcome_publications(
    *, networks: Sequence[Network], viewer: Viewer, today: datetime.date, with_states: bool = False
) -> OutcomePublications:
    """The networks' outcomes (and, ``with_states``, their states') as published to the viewer, with
    the partners they see identified. Four queries (five where a partner that shared has left): the
    networks' sums are added up in the database, so a partner adds rows only to its own lines."""
    ids = [network.pk for network in networks]
    memberships = list(
        Membership.objects.filter(network_id__in=ids)
        .select_related("organization")
        .order_by("network_id", "organization__name", "joined_on")
    )
    sharing = [m for m in memberships if m.outcomes_shared]
    own = {m.organization_id for m in memberships if m.organization_id in viewer.organization_ids}
    wanted = sorted({m.organization_id for m in sharing} | own)
    # Each partner's totals: its own page, its line on the backbone's page, its cohorts still running.
    totals: dict[int, dict[Key, int]] = defaultdict(dict)
    for organization_id, month, measure, count in CohortCount.objects.filter(
        organization_id__in=wanted, category__breakdown__code=TOTAL_BREAKDOWN
    ).values_list("organization_id", "cohort_month", "measure", "count"):
        totals[organization_id][month, measure, None] = count
    last_session = dict(
        ParticipantSession.objects.filter(organization_id__in=wanted)
        .values("organization_id")
        .annotate(last=Max("session_date"))
        .values_list("organization_id", "last")
    )

    def running_of(organization_id: int) -> set[datetime.date]:
        as_of = min(today, last_session.get(organization_id) or today)
        months = {month for month, _, _ in totals.get(organization_id, {})}
        return {month for month in months if cohort_running(month, as_of)}

    breakdown_of: dict[int, str] = {}
    solver = _Solver(networks, viewer, breakdown_of)
    # A current sharing partner counts for every cohort: its sums come from the database, split by
    # whether the viewer knows it. One that shared and left counts for the cohort months its
    # membership covered (`Membership.is_member_in`), once however many such memberships it had.
    current = {(m.network_id, m.organization_id) for m in sharing if m.is_current}
    for n, organization_id in current:
        solver.running[n] |= running_of(organization_id)
    known = Case(
        When(viewer.known_partners(), then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    counts = "organization__cohort_counts__"
    summed = (
        Membership.objects.filter(network_id__in=ids, outcomes_shared=True, left_on__isnull=True)
        .annotate(known=known)
        .values_list(
            "network_id",
            "known",
            f"{counts}cohort_month",
            f"{counts}measure",
            f"{counts}category_id",
            f"{counts}category__breakdown__code",
        )
        .annotate(n=Sum(f"{counts}count"))
        .order_by()
    )
    for n, is_known, month, measure, category_id, breakdown, count in summed:
        if month is not None:  # a partner with no cohorts yet
            solver.add(
                n, (month, measure, solver.category(category_id, breakdown)), count or 0, known=is_known
            )
    ended: dict[tuple[int, int], list[Membership]] = defaultdict(list)
    for membership in sharing:
        if (membership.network_id, membership.organization_id) not in current:
            ended[membership.network_id, membership.organization_id].append(membership)
    if ended:
        rows = CohortCount.objects.filter(organization_id__in=sorted({org for _, org in ended})).values_list(
            "organization_id", "cohort_month", "measure", "category_id", "category__breakdown__code", "count"
        )
        by_org: dict[int, list[tuple]] = defaultdict(list)
        for row in rows:
            by_org[row[0]].append(row[1:])
        for (n, organization_id), spans in ended.items():
            running = running_of(organization_id)
            is_known = viewer.knows(n, organization_id)
            for month, measure, category_id, breakdown, count in by_org.get(organization_id, ()):
                if any(span.is_member_in(month) for span in spans):
                    solver.add(
                        n, (month, measure, solver.category(category_id, breakdown)), count, known=is_known
                    )
                    if month in running:
                        solver.running[n].add(month)
    for n in list(solver.running):
        solver.running[n] |= {quarter_of(month) for month in solver.running[n]}
    partners = {}
    for membership in memberships:
        n, organization_id = membership.network_id, membership.organization_id
        shown = membership.outcomes_shared and viewer.knows(n, organization_id)
        if (shown or organization_id in own) and (n, organization_id) not in partners:
            partners[n, organization_id] = OutcomePublication(
                name=membership.organization.name,
                threshold=solver.thresholds[n],
                identified=True,
                counts=dict(totals.get(organization_id, {})),
                running=running_of(organization_id),
            )
    published_networks, published_states = solver.solve(with_states)
    for publication in [*published_networks.values(), *published_states.values(), *partners.values()]:
        publication.as_of = today
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

    def category(self, category_id: int, breakdown: str) -> int | None:
        """The category of a count, None for the total; each category's breakdown noted."""
        if breakdown == TOTAL_BREAKDOWN:
            return None
        self.breakdown_of[category_id] = breakdown
        return category_id

    def add(self, n: int, key: Key, count: int, *, known: bool) -> None:
        month, measure, category = key
        quarter = quarter_of(month)
        self.by_month[n][key] += count
        if category is not None and measure not in BY_GROUP:
            return  # published for everyone together only
        self.by_quarter[n][quarter, measure, category] += count
        if not known:
            self.rest[n][quarter, measure, category] += count

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
        if category is None or measure.code in BY_GROUP
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
        if measure == STARTED.code and category is None:
            started = (*unit, quarter, measure, category)
            buckets = tuple((*unit, quarter, code, category) for code in sessions)
            equations.append(Equation(plus=buckets, minus=(started,)))
            equations.append(Equation(plus=((*unit, quarter, retained_code(1), category),), minus=(started,)))
    for (quarter, measure, _), categories in by_group.items():
        equations.append(Equation(plus=tuple(categories), minus=((*unit, quarter, measure, None),)))
    return equations
