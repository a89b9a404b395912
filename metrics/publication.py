"""The publication layer: a network's or a state's counts of a measure as published to one viewer.

Every aggregate a viewer without identified access to every partner sees (dashboards, goals, equity
pages, their charts, hover texts, CSVs and the API) is read from here, so two pages never disagree
about one count and no combination of them gives a small count away (`core.disclosure`).

What is published to such a viewer is the part of each count they may not see identified (the
*rest*: the count less their own organization's, less the partners sharing with their state) in
fixed, non-overlapping cells:
- a network's total of each complete month (`metrics.completeness`): a month whose reports are not all
  in is provisional and not published, since its count will move as each report comes in;
- a network's count of each category for each complete calendar quarter (a quarter's categories add up
  to its months' totals, for every breakdown);
- for a viewer of statewide pages, the state's cells too (each the sum of its networks' cells);
- the goals' baselines, which are shown to everyone: each a sum of months (or quarters) of counts.
The cells and the equations that link them are protected together (`core.disclosure.protect`), one
connected group at a time, over every month reported, so the cells are the same whatever period a page
asks for. A count over any other period is the sum of its cells, hidden where one of them is.
"""

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from django.core.cache import caches
from django.db.models import Max, Min, Sum

from core.calendar import month_add, quarter_months, quarter_of
from core.disclosure import Equation, Reason, protect, threshold_for
from metrics import completeness, figure_cache
from metrics.catalogue import TOTAL_BREAKDOWN
from metrics.models import Measure, PartnerFigure, RollupNetworkMonth
from network.models import Network
from network.selectors import Viewer

# Cells: ("T", network, month) a month's total; ("C", network, category, quarter) a category's quarter;
# ("ST", state, month) and ("SC", state, category, quarter) the same for a state; ("B", key) a baseline.
Cell = tuple[Hashable, ...]


@dataclass(frozen=True)
class Figure:
    """A count as published: its value, or None with the reason it is not shown (no reason: nothing
    was reported)."""

    value: int | None
    reason: Reason | None = None

    @property
    def hidden(self) -> bool:
        return self.value is None and self.reason is not None


NO_DATA = Figure(None)


@dataclass(frozen=True)
class Baseline:
    """A goal's baseline, shown to every viewer of its goal: the count of its network over its months,
    for everyone or one category, as the backbone staff gave it."""

    key: Hashable
    network_id: int
    months: tuple[datetime.date, ...]
    category_id: int | None
    value: int


def sum_figures(figures: Iterable[Figure]) -> Figure:
    """A count over several cells: hidden where one of them is (provisional where all those hidden
    are), no data where none has any."""
    total, hidden, seen = 0, set(), False
    for figure in figures:
        if figure.hidden:
            hidden.add(figure.reason)
        elif figure.value is not None:
            total += figure.value
            seen = True
    if hidden:
        return Figure(None, Reason.PROVISIONAL if hidden == {Reason.PROVISIONAL} else Reason.INCLUDES)
    return Figure(total) if seen else NO_DATA


@dataclass
class Publication:
    """One network's (or one state's) counts of a measure as published to a viewer."""

    threshold: int
    identified: bool  # the viewer sees every count of it: nothing is held back
    month_figures: dict[datetime.date, Figure] = field(default_factory=dict)
    quarter_figures: dict[tuple[int, datetime.date], Figure] = field(default_factory=dict)
    complete_quarters: set[datetime.date] = field(default_factory=set)
    complete_months: set[datetime.date] = field(default_factory=set)  # every expected report in
    # Counts by month and category, for a viewer who sees them all (any period can be summed).
    category_months: dict[tuple[datetime.date, int], int] = field(default_factory=dict)
    withheld_baselines: set[Hashable] = field(default_factory=set)

    def month(self, month: datetime.date) -> Figure:
        return self.month_figures.get(month, NO_DATA)

    def series(self, months: Iterable[datetime.date]) -> dict[datetime.date, int | None]:
        """Counts by month, None where hidden, without the months nothing was reported for."""
        return {m: f.value for m in months if (f := self.month(m)) is not NO_DATA}

    def reasons(self, months: Iterable[datetime.date]) -> dict[datetime.date, Reason]:
        return {m: f.reason for m in months if (f := self.month(m)).hidden and f.reason}

    def total_over(self, months: Iterable[datetime.date]) -> Figure:
        return sum_figures(self.month(month) for month in months)

    def complete_total(self, months: Iterable[datetime.date]) -> Figure:
        """The count over the complete months among ``months``: what every page gives for a period."""
        return self.total_over(month for month in months if month in self.complete_months)

    def quarters_in(self, months: Sequence[datetime.date]) -> list[datetime.date]:
        """The calendar quarters wholly inside ``months`` whose reports are all in."""
        inside = set(months)
        return sorted(
            q for q in {quarter_of(m) for m in inside} if set(quarter_months(q)) <= inside and self._whole(q)
        )

    def _whole(self, quarter: datetime.date) -> bool:
        return self.identified or quarter in self.complete_quarters

    def quarter(self, category_id: int, quarter: datetime.date) -> Figure:
        if self.identified:
            return Figure(sum(self.category_months.get((m, category_id), 0) for m in quarter_months(quarter)))
        if quarter not in self.complete_quarters:
            return Figure(None, Reason.PROVISIONAL)
        return self.quarter_figures.get((category_id, quarter), Figure(0))

    def group_over(self, category_ids: Iterable[int], months: Sequence[datetime.date]) -> dict[int, Figure]:
        """Each category's count over the months: for a viewer who sees every count, over every month;
        for any other, over the whole quarters among them (`quarters_in`)."""
        if self.identified:
            wanted = set(months)
            totals: dict[int, int] = defaultdict(int)
            for (month, category_id), count in self.category_months.items():
                if month in wanted:
                    totals[category_id] += count
            return {category_id: Figure(totals.get(category_id, 0)) for category_id in category_ids}
        quarters = self.quarters_in(months)
        if len(quarters) == 1:  # one cell: its own figure, with its own reason
            return {category_id: self.quarter(category_id, quarters[0]) for category_id in category_ids}
        return {
            category_id: sum_figures(self.quarter(category_id, q) for q in quarters) if quarters else NO_DATA
            for category_id in category_ids
        }

    def months_of_quarters(self, months: Sequence[datetime.date]) -> list[datetime.date]:
        """The months a category's count over ``months`` covers (`group_over`)."""
        if self.identified:
            return list(months)
        return [m for q in self.quarters_in(months) for m in quarter_months(q)]


@dataclass
class Publications:
    """What one viewer is published of a measure: by network and, for statewide viewers, by state."""

    networks: dict[int, Publication]
    states: dict[int, Publication]

    def network(self, network_id: int) -> Publication:
        return self.networks[network_id]

    def state(self, state_id: int) -> Publication:
        return self.states[state_id]


def publications(
    *,
    networks: Sequence[Network],
    measure: Measure | int,
    viewer: Viewer,
    today: datetime.date,
    with_states: bool = False,
    baselines: Sequence[Baseline] = (),
) -> Publications:
    """The measure's counts of the networks (every network of a state, ``with_states``, so that the
    state's cells are solved with its networks') as published to the viewer. Solved over every month
    reported up to the last one over, so the same whatever period is shown. Five queries or six.

    With the states, each state is solved on its own (its cells and equations link to no other
    state's) and kept in the figures' cache (`metrics.figure_cache`): after a rollup in one network,
    the cross-state dashboard solves that network's state again and reads the other states back."""
    measure_id = measure if isinstance(measure, int) else measure.pk
    if not with_states:
        return _publications(networks, measure_id, viewer, today, False, baselines)
    by_state: dict[int, list[Network]] = defaultdict(list)
    for network in networks:
        by_state[network.state_id].append(network)

    def solved(state_id: Hashable) -> Publications:
        members = by_state[state_id]
        ids = {network.pk for network in members}
        own = [baseline for baseline in baselines if baseline.network_id in ids]
        return _publications(members, measure_id, viewer, today, True, own)

    # The baselines come from the networks' goals, whose changes renew the networks' stamps.
    found = figure_cache.cached_each(
        name="publications",
        groups={state_id: [network.pk for network in members] for state_id, members in by_state.items()},
        parts=[measure_id, figure_cache.viewer_key(viewer), today],
        build=solved,
    )
    return Publications(
        networks={pk: pub for part in found.values() for pk, pub in part.networks.items()},
        states={pk: pub for part in found.values() for pk, pub in part.states.items()},
    )


def _publications(
    networks: Sequence[Network],
    measure_id: int,
    viewer: Viewer,
    today: datetime.date,
    with_states: bool,
    baselines: Sequence[Baseline],
) -> Publications:
    ids = [network.pk for network in networks]
    rows = RollupNetworkMonth.objects.filter(network_id__in=ids, measure_id=measure_id)
    last_over = month_add(today.replace(day=1), -1)
    span = rows.aggregate(first=Min("month"), last=Max("month"))
    first = span["first"] or last_over
    breakdown_of: dict[int, int] = {}
    counts = _counts(rows.filter(month__lte=last_over), "network_id", breakdown_of)
    every = {network.pk for network in networks if viewer.sees_all_of(network.pk)}
    known: dict[tuple, int] = {}
    if viewer.knows_some:
        partner_rows = PartnerFigure.objects.filter(
            network_id__in=[pk for pk in ids if pk not in every], measure_id=measure_id, month__lte=last_over
        ).filter(viewer.known_partners())
        known = _counts(partner_rows, "network_id", {})
    reporting = completeness.reporting_by_month(networks=networks, first=first, last=last_over, today=today)
    solver = _Solver(networks, counts, known, every, reporting, with_states, baselines)
    solver.breakdown_of = breakdown_of
    return solver.solve()


def _counts(rows, key: str, breakdown_of: dict[int, int]) -> dict[tuple, int]:
    """(network, month, category or None for the total) -> count; ``breakdown_of`` gets each
    category's breakdown."""
    found: dict[tuple, int] = {}
    values = rows.values(key, "month", "category_id", "breakdown_id", "breakdown__code")
    for row in values.annotate(n=Sum("count")).order_by(key, "month", "category_id"):
        category = None if row["breakdown__code"] == TOTAL_BREAKDOWN else row["category_id"]
        found[row[key], row["month"], category] = row["n"] or 0
        breakdown_of[row["category_id"]] = row["breakdown_id"]
    return found


class _Solver:
    """Builds the cells and equations of a set of networks (and their states) and protects them."""

    def __init__(self, networks, counts, known, every, reporting, with_states, baselines):
        self.networks = sorted(networks, key=lambda network: network.pk)  # the same order on every page
        self.counts = counts
        self.known = known
        self.every = every
        self.reporting = reporting
        self.with_states = with_states
        self.baselines = baselines
        self.thresholds = {n.pk: threshold_for(n.suppression_threshold) for n in self.networks}
        self.breakdown_of: dict[int, str] = {}
        self.cells: dict[Cell, int] = {}
        self.equations: list[Equation[Cell]] = []
        self.preset: dict[Cell, Reason] = {}
        self.fixed: set[Cell] = set()

    def complete(self, network_id: int, month: datetime.date) -> bool:
        found = self.reporting.get(network_id, {}).get(month)
        return bool(found and found.complete)

    def rest(self, network_id: int, month: datetime.date, category: int | None) -> int:
        if network_id in self.every:
            return 0
        total = self.counts.get((network_id, month, category), 0)
        return total - self.known.get((network_id, month, category), 0)

    def solve(self) -> Publications:
        # Each network's rows, months and category cells, gathered once.
        self.rows_of: dict[int, list[tuple[datetime.date, int | None, int]]] = defaultdict(list)
        for (n, month, category), count in self.counts.items():
            self.rows_of[n].append((month, category, count))
        self.whole = self._network_cells()
        self.category_cells_of: dict[int, list[Cell]] = defaultdict(list)
        for cell in self.cells:
            if cell[0] == "C":
                self.category_cells_of[cell[1]].append(cell)
        states = self._state_cells(self.whole) if self.with_states else {}
        self._baseline_cells()
        hidden = self._protect()
        return Publications(
            networks={n.pk: self._network_publication(n, hidden) for n in self.networks},
            states={s: self._state_publication(s, members, hidden) for s, members in states.items()},
        )

    def _months(self, network_id: int) -> set[datetime.date]:
        return {month for month, _, _ in self.rows_of.get(network_id, ())}

    def _quarters(self) -> set[datetime.date]:
        return {quarter_of(m) for (_, m, _) in self.counts}

    def _network_cells(self) -> dict[int, set[datetime.date]]:
        """Each network's month totals and complete quarters' categories, with their equations; returns
        each network's complete quarters."""
        whole: dict[int, set[datetime.date]] = {}
        categories_in: dict[tuple[int, datetime.date], set[int]] = defaultdict(set)
        for n, m, c in self.counts:
            if c is not None:
                categories_in[n, quarter_of(m)].add(c)
        quarters = self._quarters()
        for network in self.networks:
            n = network.pk
            for month in sorted(self._months(n)):
                cell = ("T", n, month)
                self.cells[cell] = self.rest(n, month, None)
                if not self.complete(n, month):
                    self.preset[cell] = Reason.PROVISIONAL
            whole[n] = {q for q in quarters if all(self.complete(n, m) for m in quarter_months(q))}
            for quarter in sorted(whole[n]):
                by_breakdown: dict[int, list[Cell]] = defaultdict(list)
                for category in sorted(categories_in.get((n, quarter), ())):
                    cell = ("C", n, category, quarter)
                    self.cells[cell] = sum(self.rest(n, m, category) for m in quarter_months(quarter))
                    by_breakdown[self.breakdown_of[category]].append(cell)
                totals = tuple(("T", n, m) for m in quarter_months(quarter) if ("T", n, m) in self.cells)
                for cells in by_breakdown.values():
                    self.equations.append(Equation(plus=tuple(cells), minus=totals))
        return whole

    def _state_cells(self, whole: dict[int, set[datetime.date]]) -> dict[int, list[int]]:
        """Each state's month totals and complete quarters' categories, each the sum of its networks'."""
        states: dict[int, list[int]] = defaultdict(list)
        for network in self.networks:
            states[network.state_id].append(network.pk)
        for state, members in states.items():
            months = set().union(*(self._months(n) for n in members))
            for month in sorted(months):
                cell = ("ST", state, month)
                parts = tuple(("T", n, month) for n in members if ("T", n, month) in self.cells)
                self.cells[cell] = sum(self.cells[part] for part in parts)
                self.equations.append(Equation(plus=(cell,), minus=parts))
                if not all(self.complete(n, month) for n in members):
                    self.preset[cell] = Reason.PROVISIONAL
            category_cells = [cell for n in members for cell in self.category_cells_of.get(n, ())]
            for quarter in sorted(set.intersection(*(whole[n] for n in members))):
                categories = {c for (_, _, c, q) in category_cells if q == quarter}
                for category in sorted(categories):
                    cell = ("SC", state, category, quarter)
                    parts = tuple(
                        ("C", n, category, quarter)
                        for n in members
                        if ("C", n, category, quarter) in self.cells
                    )
                    self.cells[cell] = sum(self.cells[part] for part in parts)
                    self.equations.append(Equation(plus=(cell,), minus=parts))
        return dict(states)

    def _baseline_cells(self) -> None:
        """A baseline is shown to every viewer of its goal, so it is a fixed cell: the months (or whole
        quarters) it covers may not give a hidden count away beside it. One that covers part of a
        quarter of a category's counts is withheld instead."""
        self.withheld: set[Hashable] = set()
        for baseline in self.baselines:
            n = baseline.network_id
            if n in self.every or n not in self.thresholds:
                continue
            months = set(baseline.months)
            if baseline.category_id is None:
                parts = tuple(("T", n, m) for m in sorted(months) if ("T", n, m) in self.cells)
            else:
                reported = {m for m in self._months(n) if m in months}
                quarters = {quarter_of(m) for m in reported}
                if any(
                    not set(quarter_months(q)) <= months
                    or ("C", n, baseline.category_id, q) not in self.cells
                    and any(self.counts.get((n, m, baseline.category_id)) for m in quarter_months(q))
                    for q in quarters
                ):
                    self.withheld.add(baseline.key)
                    continue
                parts = tuple(
                    ("C", n, baseline.category_id, q)
                    for q in sorted(quarters)
                    if ("C", n, baseline.category_id, q) in self.cells
                )
            if not parts:
                continue
            cell = ("B", baseline.key)
            self.cells[cell] = sum(self.cells[part] for part in parts)
            self.fixed.add(cell)
            self.equations.append(Equation(plus=(cell,), minus=parts))

    def _protect(self) -> dict[Cell, Reason]:
        """Protect each connected group of cells on its own, with the largest threshold among its
        networks."""
        state_threshold = defaultdict(int)
        for network in self.networks:
            state_threshold[network.state_id] = max(
                state_threshold[network.state_id], self.thresholds[network.pk]
            )
        return protect_groups(
            self.cells,
            self.equations,
            threshold=lambda cell: self._threshold(cell, state_threshold),
            fixed=self.fixed,
            avoid={cell for cell in self.cells if cell[0] in ("T", "ST")},
            already=self.preset,
        )

    def _threshold(self, cell: Cell, state_threshold: dict[int, int]) -> int:
        if cell[0] in ("T", "C"):
            return self.thresholds[cell[1]]
        if cell[0] in ("ST", "SC"):
            return state_threshold[cell[1]]
        return 0

    def _figure(self, cell: Cell, shown: int, hidden: dict[Cell, Reason]) -> Figure:
        return Figure(None, hidden[cell]) if cell in hidden else Figure(shown)

    def _network_publication(self, network: Network, hidden: dict[Cell, Reason]) -> Publication:
        n = network.pk
        identified = n in self.every
        publication = Publication(threshold=self.thresholds[n], identified=identified)
        publication.complete_months = {m for m, found in self.reporting.get(n, {}).items() if found.complete}
        for month, category, count in self.rows_of.get(n, ()):
            if category is None:
                cell = ("T", n, month)
                publication.month_figures[month] = (
                    Figure(count) if identified else self._figure(cell, count, hidden)
                )
            elif identified:
                publication.category_months[month, category] = count
        if not identified:
            publication.complete_quarters = set(self.whole[n])
            for cell in self.category_cells_of.get(n, ()):
                _, _, category, quarter = cell
                shown = sum(self.counts.get((n, m, category), 0) for m in quarter_months(quarter))
                publication.quarter_figures[category, quarter] = self._figure(cell, shown, hidden)
            publication.withheld_baselines = {
                b.key for b in self.baselines if b.network_id == n and b.key in self.withheld
            }
        return publication

    def _state_publication(self, state: int, members: list[int], hidden: dict[Cell, Reason]) -> Publication:
        threshold = max(self.thresholds[n] for n in members)
        identified = all(n in self.every for n in members)
        publication = Publication(threshold=threshold, identified=identified)
        publication.complete_months = set.intersection(
            *({m for m, found in self.reporting.get(n, {}).items() if found.complete} for n in members)
        )
        totals: dict[tuple[datetime.date, int | None], int] = defaultdict(int)
        for n in members:
            for month, category, count in self.rows_of.get(n, ()):
                totals[month, category] += count
        for (month, category), count in totals.items():
            if category is None:
                cell = ("ST", state, month)
                publication.month_figures[month] = (
                    Figure(count) if identified else self._figure(cell, count, hidden)
                )
            elif identified:
                publication.category_months[month, category] = count
        if not identified:
            publication.complete_quarters = set.intersection(*(self.whole[n] for n in members))
            for cell in self.cells:
                if cell[0] == "SC" and cell[1] == state:
                    _, _, category, quarter = cell
                    shown = sum(totals.get((m, category), 0) for m in quarter_months(quarter))
                    publication.quarter_figures[category, quarter] = self._figure(cell, shown, hidden)
        return publication


def protect_groups(
    cells: dict[Cell, int],
    equations: Sequence[Equation[Cell]],
    *,
    threshold: Callable[[Cell], int],
    fixed: Collection[Cell] = (),
    avoid: Collection[Cell] = (),
    already: dict[Cell, Reason] | None = None,
) -> dict[Cell, Reason]:
    """The cells to hide, each connected group of cells (linked by equations) protected on its own
    (`protect_remembered`) with the largest ``threshold`` of its cells: a group links to no other, so
    it is solved, and remembered, apart."""
    already = already or {}
    parent: dict[Cell, Cell] = {cell: cell for cell in cells}

    def root(cell: Cell) -> Cell:
        while parent[cell] != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for equation in equations:
        first, *others = equation.cells
        for other in others:
            parent[root(other)] = root(first)
    groups: dict[Cell, list[Cell]] = defaultdict(list)
    for cell in cells:
        groups[root(cell)].append(cell)
    equations_of: dict[Cell, list[Equation[Cell]]] = defaultdict(list)
    for equation in equations:
        equations_of[root(equation.cells[0])].append(equation)
    hidden: dict[Cell, Reason] = {}
    for group_root, members in groups.items():
        hidden |= protect_remembered(
            {cell: cells[cell] for cell in members},
            equations_of.get(group_root, []),
            threshold=max(threshold(cell) for cell in members),
            fixed={cell for cell in members if cell in fixed},
            avoid={cell for cell in members if cell in avoid},
            already={cell: already[cell] for cell in members if cell in already},
        )
    return hidden


# Solved groups are kept this long: the same counts give the same answer, so this only bounds the space.
REMEMBERED_FOR = 7 * 24 * 60 * 60


def protect_remembered(
    cells: dict[Cell, int],
    equations: list[Equation[Cell]],
    *,
    threshold: int,
    fixed: set[Cell],
    avoid: set[Cell],
    already: dict[Cell, Reason],
) -> dict[Cell, Reason]:
    """`core.disclosure.protect`, remembered by what it was given (the ``solved`` cache: Redis, else
    each process's memory): the answer is a function of its arguments alone, and solving a large group
    costs seconds. So a rollup in one network
    solves again only the groups whose counts it changed; every other state's, on the cross-state
    dashboard, is read back. The order of ``cells`` is part of the key (it breaks ties)."""
    given = repr(
        (list(cells.items()), equations, threshold, sorted(fixed), sorted(avoid), sorted(already.items()))
    )
    key = hashlib.sha256(given.encode()).hexdigest()
    solved = caches["solved"]
    found = solved.get(key)
    if found is None:
        found = protect(cells, equations, threshold=threshold, fixed=fixed, avoid=avoid, already=already)
        solved.set(key, found, timeout=REMEMBERED_FOR)
    return found
