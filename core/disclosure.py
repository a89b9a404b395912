"""The disclosure rule: which aggregate counts may be published to a viewer who may not see the
partners' identified figures, and why a count is not.

Tandem publishes such counts only as *cells* of fixed, non-overlapping periods (a complete month's
total, a complete calendar quarter's count of a category) and solves the suppression of every cell a
viewer can reach at once, with the *equations* that link them (a quarter's categories add up to its
months' totals; a state's cell is its networks' cells added up; a published baseline is a year of
months added up). Anything else a page shows is a sum of published cells, and is not shown where one
of them is hidden, so it tells nothing the cells do not.

The rule for the cells (the CMS cell-size rule, DOMAIN.md):
- a count from 1 to ``threshold - 1`` is hidden (primary suppression); zero is shown;
- no hidden count may be worked out from the published cells and the equations (complementary
  suppression, checked exactly: a hidden cell is safe when some change of the hidden cells keeps every
  equation true and changes it); and where the hidden cells of an equation all stand on one side, their
  sum, which anyone can work out, may not itself be from 1 to ``threshold - 1``;
- complements are chosen to hide as little as possible: the smallest cell that does the job, a
  category before a total, never a cell the viewer is shown anyway (``fixed``).
"""

import enum
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

Key = TypeVar("Key", bound=Hashable)

# Counts below this are hidden from anyone who may not see the partner's identified figures.
DEFAULT_THRESHOLD = 11


class Reason(enum.StrEnum):
    """Why a figure is not shown, each said in words wherever the figure would be."""

    SMALL = "small"  # a count from 1 to threshold - 1
    COMPLEMENT = "complement"  # hidden so that another count cannot be worked out
    INCLUDES = "includes"  # a sum over cells one of which is hidden
    PROVISIONAL = "provisional"  # a month (or quarter) whose reports are not all in
    QUARTERLY = "quarterly"  # a category's count is published by whole quarter only


def words(reason: "Reason", threshold: int = DEFAULT_THRESHOLD) -> str:
    """What a table cell says in place of a figure not shown."""
    match reason:
        case Reason.SMALL:
            return f"Suppressed: fewer than {threshold}"
        case Reason.COMPLEMENT:
            return "Suppressed so that another count cannot be worked out"
        case Reason.INCLUDES:
            return "Suppressed: includes a suppressed count"
        case Reason.PROVISIONAL:
            return "Provisional: not all reports are in"
        case Reason.QUARTERLY:
            return "Shown by whole quarter only"
    raise ValueError(reason)


def note(threshold: int = DEFAULT_THRESHOLD) -> str:
    """What every page, table and download with suppressed figures says about them, in one wording."""
    return (
        f"To protect participants' privacy, counts from 1 to {threshold - 1} of partners whose figures you "
        "may not see are suppressed, and so is another count wherever the first could be worked out from "
        "the counts shown here or on any other page; totals over several months or groups that include a "
        "suppressed count are suppressed too, and so are shares and ratios computed from them. Such counts "
        "are published for complete months, and by category for complete calendar quarters."
    )


def threshold_for(setting: int | None) -> int:
    """A network's threshold as applied: its setting, never below the CMS rule's 11."""
    return max(DEFAULT_THRESHOLD, setting or 0)


def is_small(count: int, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """A count that may not be published: from 1 up to the threshold, excluded."""
    return 0 < count < threshold


@dataclass(frozen=True)
class Equation(Generic[Key]):
    """``sum(plus) == sum(minus)``: the cells on each side, e.g. a quarter's categories (plus) and its
    months' totals (minus)."""

    plus: tuple[Key, ...]
    minus: tuple[Key, ...] = ()

    @property
    def cells(self) -> tuple[Key, ...]:
        return self.plus + self.minus


def protect(
    cells: Mapping[Key, int],
    equations: Sequence[Equation[Key]],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    fixed: Collection[Key] = (),
    avoid: Collection[Key] = (),
    already: Mapping[Key, Reason] | None = None,
) -> dict[Key, Reason]:
    """The cells to hide, each with its reason. ``fixed`` cells are published whatever happens (a
    value the viewer is shown anyway); ``avoid`` cells (totals) are chosen as complements only where no
    other cell will do; ``already`` hidden cells (provisional ones) are hidden for their own reason and
    protected like the rest. Every equation's cells must be in ``cells``."""
    hidden: dict[Key, Reason] = dict(already or {})
    for key, count in cells.items():
        if key not in fixed and key not in hidden and is_small(count, threshold):
            hidden[key] = Reason.SMALL
    by_cell: dict[Key, list[int]] = defaultdict(list)
    for index, equation in enumerate(equations):
        for key in equation.cells:
            by_cell[key].append(index)
    beyond_help: set[Key] = set()  # every cell linked to these is hidden or fixed already
    # The hidden cells that can be worked out, kept up to date group by group: adding a cell changes
    # only the group it joins.
    pinned = set(determined(hidden, equations, by_cell))
    order = {key: n for n, key in enumerate(cells)}  # a set's order may differ between processes
    while True:
        key = min((key for key in pinned if key not in beyond_help), key=order.__getitem__, default=None)
        short_by = 0
        if key is None:
            found = _small_sum(cells, equations, hidden, threshold, beyond_help, range(len(equations)))
            if found is None:
                break
            key, short_by = found
        choice = _complement(key, short_by, cells, equations, hidden, by_cell, fixed, avoid)
        if choice is None:
            beyond_help.add(key)
            continue
        hidden[choice] = Reason.COMPLEMENT
        touched = _group_cells(hidden, equations, by_cell, {choice, key})
        pinned = (pinned - touched) | set(determined(hidden, equations, by_cell, seeds={choice, key}))
    # Give back each complement the others make needless, the last chosen first: where showing it
    # pins down no cell and makes no sum small that was not already beyond help.
    complements = [key for key, reason in hidden.items() if reason == Reason.COMPLEMENT]
    for key in complements[::-1] if len(complements) <= MOST_GIVEN_BACK else ():
        trial = {other: reason for other, reason in hidden.items() if other != key}
        neighbours = {
            other for index in by_cell.get(key, ()) for other in equations[index].cells if other in trial
        }
        if not set(determined(trial, equations, by_cell, seeds=neighbours)) <= pinned:
            continue
        linked = by_cell.get(key, ())
        if _small_sums(cells, equations, trial, threshold, linked) <= _small_sums(
            cells, equations, hidden, threshold, linked
        ):
            hidden = trial
    return hidden


def _small_sums(
    cells: Mapping[Key, int],
    equations: Sequence[Equation[Key]],
    hidden: Mapping[Key, Reason],
    threshold: int,
    indexes: Iterable[int],
) -> set[int]:
    """The equations among ``indexes`` whose hidden cells, all on one side, add up to a small count."""
    found = set()
    for index in indexes:
        plus = [key for key in equations[index].plus if key in hidden]
        minus = [key for key in equations[index].minus if key in hidden]
        if bool(plus) != bool(minus) and is_small(sum(cells[key] for key in plus or minus), threshold):
            found.add(index)
    return found


def _small_sum(
    cells: Mapping[Key, int],
    equations: Sequence[Equation[Key]],
    hidden: Mapping[Key, Reason],
    threshold: int,
    beyond_help: Collection[Key],
    indexes: Iterable[int],
) -> tuple[Key, int] | None:
    """An equation whose hidden cells, all on one side, add up to a small count (which anyone can work
    out): one of them, with how much more must be hidden; None where there is none."""
    for index in indexes:
        equation = equations[index]
        plus = [key for key in equation.plus if key in hidden]
        minus = [key for key in equation.minus if key in hidden]
        if (plus and minus) or (plus or minus)[:1] and (plus or minus)[0] in beyond_help:
            continue
        together = sum(cells[key] for key in plus or minus)
        if is_small(together, threshold):
            return (plus or minus)[0], threshold - together
    return None


def _group_cells(
    hidden: Collection[Key],
    equations: Sequence[Equation[Key]],
    by_cell: Mapping[Key, list[int]],
    seeds: set[Key],
) -> set[Key]:
    return {key for group in _groups(hidden, equations, by_cell, seeds) for key in group}


def determined(
    hidden: Collection[Key],
    equations: Sequence[Equation[Key]],
    by_cell: Mapping[Key, list[int]] | None = None,
    seeds: Iterable[Key] | None = None,
) -> list[Key]:
    """The hidden cells that the equations, with every other cell published, pin down: those on which
    every solution of the equations restricted to the hidden cells (their null space) is zero. Worked
    out per connected group of hidden cells (only the groups of ``seeds``, if given), with a singular
    value decomposition."""
    if by_cell is None:
        by_cell = defaultdict(list)
        for index, equation in enumerate(equations):
            for key in equation.cells:
                by_cell[key].append(index)
    found = []
    for group in _groups(hidden, equations, by_cell, seeds):
        rows = sorted({index for key in group for index in by_cell.get(key, ())})
        if not rows:
            continue
        column = {key: n for n, key in enumerate(group)}
        # A cell is pinned down where its unit vector lies in the row space of the equations: where the
        # projection onto that space (the first ``rank`` right singular vectors) keeps all of it. The
        # thin decomposition is enough, and costs a fraction of the full one on wide groups.
        _, singular, vt = np.linalg.svd(_matrix(equations, rows, column), full_matrices=False)
        rank = int((singular > 1e-9).sum())
        kept = (vt[:rank] ** 2).sum(axis=0)
        for key, n in column.items():
            if kept[n] > 1 - 1e-9:
                found.append(key)
    return found


def _groups(
    hidden: Collection[Key],
    equations: Sequence[Equation[Key]],
    by_cell: Mapping[Key, list[int]],
    seeds: Iterable[Key] | None = None,
) -> Iterable[list[Key]]:
    """The hidden cells in groups linked by equations (each group can be audited on its own): every
    group, or those of the hidden ``seeds``."""
    hidden_set = set(hidden)
    seen: set[Key] = set()
    for start in hidden if seeds is None else [seed for seed in seeds if seed in hidden_set]:
        if start in seen:
            continue
        group, stack = [], [start]
        seen.add(start)
        while stack:
            key = stack.pop()
            group.append(key)
            for index in by_cell.get(key, ()):
                for other in equations[index].cells:
                    if other in hidden_set and other not in seen:
                        seen.add(other)
                        stack.append(other)
        yield group


def _complement(
    key: Key,
    short_by: int,
    cells: Mapping[Key, int],
    equations: Sequence[Equation[Key]],
    hidden: Mapping[Key, Reason],
    by_cell: Mapping[Key, list[int]],
    fixed: Collection[Key],
    avoid: Collection[Key],
) -> Key | None:
    """The published cell to hide beside ``key``, among the cells linked to it: the smallest that
    covers ``short_by`` (a count above zero first: a hidden zero only says the others add up to what
    they do), a category before a total. Where ``key`` can be worked out: the first category with which
    it no longer can; else a category of an equation in which it is the only cell hidden (each such
    equation needs one); only then a total."""
    near = [other for index in by_cell.get(key, ()) for other in equations[index].cells]
    pool = dict.fromkeys(near + _linked(key, equations, hidden, by_cell))
    candidates = sorted(
        (other for other in pool if other not in hidden and other not in fixed),
        key=lambda other: (other in avoid, cells[other] == 0, cells[other] < short_by, cells[other]),
    )
    if not candidates:
        return None
    if short_by:
        return candidates[0]
    categories = [other for other in candidates if other not in avoid]
    totals = [other for other in candidates if other in avoid]
    if found := _first_freeing(key, categories, equations, hidden, by_cell):
        return found
    alone = [
        index
        for index in by_cell.get(key, ())
        if not any(c in hidden for c in equations[index].cells if c != key)
    ]
    for other in categories:
        if any(other in equations[index].cells for index in alone):
            return other
    return _first_freeing(key, totals, equations, hidden, by_cell) or candidates[0]


def _first_freeing(
    key: Key,
    candidates: Sequence[Key],
    equations: Sequence[Equation[Key]],
    hidden: Mapping[Key, Reason],
    by_cell: Mapping[Key, list[int]],
) -> Key | None:
    """The first candidate with which, hidden too, ``key`` can no longer be worked out. With A the
    equations over the hidden cells of ``key``'s group (``key`` pinned down: every null vector of A is
    zero there), hiding a cell c frees ``key`` where A x = -a_c has a solution with x[key] != 0: one
    pseudo-inverse for all the candidates. A candidate in an equation none of the group is in is pinned
    down itself, so frees nothing."""
    group = next(iter(_groups(hidden, equations, by_cell, [key])), [key])
    rows = sorted({index for cell in group for index in by_cell.get(cell, ())})
    column = {cell: n for n, cell in enumerate(group)}
    row_of = {index: n for n, index in enumerate(rows)}
    matrix = _matrix(equations, rows, column)
    inverse = np.linalg.pinv(matrix)
    for other in candidates[:MOST_TRIED]:
        if any(index not in row_of for index in by_cell.get(other, ())):
            continue
        a_c = np.zeros(len(rows))
        for index in by_cell.get(other, ()):
            equation = equations[index]
            a_c[row_of[index]] += equation.plus.count(other) - equation.minus.count(other)
        x = -inverse @ a_c
        if np.abs(matrix @ x + a_c).max() < 1e-7 and abs(x[column[key]]) > 1e-7:
            return other
    return None


def _matrix(equations: Sequence[Equation[Key]], rows: Sequence[int], column: Mapping[Key, int]) -> np.ndarray:
    """The equations ``rows`` over the cells of ``column`` (+1 for a cell on the left, -1 on the right)."""
    matrix = np.zeros((len(rows), len(column)))
    for row, index in enumerate(rows):
        for sign, side in ((1.0, equations[index].plus), (-1.0, equations[index].minus)):
            for cell in side:
                if cell in column:
                    matrix[row, column[cell]] += sign
    return matrix


MOST_TRIED = 40  # complements tried one by one before settling for another rule
MOST_GIVEN_BACK = 60  # past this many complements in a group, giving each back is not tried


def _linked(
    key: Key,
    equations: Sequence[Equation[Key]],
    hidden: Mapping[Key, Reason],
    by_cell: Mapping[Key, list[int]],
) -> list[Key]:
    """Every cell reached from ``key`` through equations, passing through hidden cells."""
    seen, stack, reached = {key}, [key], []
    while stack:
        current = stack.pop()
        for index in by_cell.get(current, ()):
            for other in equations[index].cells:
                if other in seen:
                    continue
                seen.add(other)
                reached.append(other)
                if other in hidden:
                    stack.append(other)
    return reached


@dataclass(frozen=True)
class Published(Generic[Key]):
    """A group of counts and their total as they may be shown: None where a count is not, with why."""

    total: int | None
    cells: dict[Key, int | None]
    reasons: dict[Key, Reason] = field(default_factory=dict)
    total_reason: Reason | None = None

    @property
    def hidden(self) -> set[Key]:
        return {key for key, count in self.cells.items() if count is None}


def sum_shown(values: Iterable[int | None]) -> int | None:
    """A sum over published cells: None (hidden) where any of them is, since the cells shown beside it
    would give the hidden one away; where all are shown it tells nothing they do not."""
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total
