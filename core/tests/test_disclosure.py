"""The disclosure rule (`core.disclosure`): worked examples, and properties over random linked tables
shaped like Tandem's, audited by an exact rank computation of its own (not `determined`).

A hidden cell can be worked out from the published cells exactly when its unit vector lies in the row
space of the equations restricted to the hidden cells: rank([A_H; e_i]) == rank(A_H).
"""

import datetime
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.disclosure import (
    DEFAULT_THRESHOLD,
    Equation,
    Published,
    Reason,
    is_small,
    note,
    protect,
    sum_shown,
    threshold_for,
    words,
)

# Worked examples


def quarter(categories: dict[str, int], total: str = "T") -> tuple[dict[str, int], list[Equation[str]]]:
    """One group: the categories add up to the total."""
    cells = {**categories, total: sum(categories.values())}
    return cells, [Equation(plus=tuple(categories), minus=(total,))]


def test_one_small_category_gets_the_smallest_non_zero_other_category_as_its_complement():
    cells, equations = quarter({"a": 3, "b": 0, "c": 15, "d": 22})
    hidden = protect(cells, equations, avoid={"T"})
    assert hidden == {"a": Reason.SMALL, "c": Reason.COMPLEMENT}


def test_a_category_is_chosen_before_a_smaller_total_in_avoid():
    # A quarter of two months: the first month's total (12) is smaller than any other category.
    cells = {"a": 3, "b": 20, "c": 17, "T1": 12, "T2": 28}
    equations = [Equation(plus=("a", "b", "c"), minus=("T1", "T2"))]
    assert protect(cells, equations, avoid={"T1", "T2"}) == {"a": Reason.SMALL, "c": Reason.COMPLEMENT}
    # Without ``avoid`` the smallest cell is the total: avoid is what keeps totals published.
    assert protect(cells, equations) == {"a": Reason.SMALL, "T1": Reason.COMPLEMENT}


def test_small_cells_on_one_side_that_add_up_to_a_small_count_get_another():
    cells, equations = quarter({"a": 3, "b": 5, "c": 30})
    hidden = protect(cells, equations, avoid={"T"})
    # a + b = 8 could be worked out from c and T; hiding c makes it a + b + c = 38.
    assert hidden == {"a": Reason.SMALL, "b": Reason.SMALL, "c": Reason.COMPLEMENT}


def test_zero_is_never_hidden_as_small():
    cells, equations = quarter({"a": 0, "b": 12, "c": 13})
    assert protect(cells, equations, avoid={"T"}) == {}
    assert protect({"x": 0, "y": 0}, []) == {}
    assert not is_small(0)
    assert is_small(1) and is_small(10) and not is_small(11)
    assert is_small(14, threshold=15) and not is_small(15, threshold=15)


def test_a_fixed_cell_is_never_hidden():
    cells, equations = quarter({"a": 3, "b": 12, "c": 30})
    # Not as a complement: the next smallest category is.
    assert protect(cells, equations, fixed={"b"}, avoid={"T"}) == {"a": Reason.SMALL, "c": Reason.COMPLEMENT}
    # Not even when small itself.
    assert protect(cells, equations, fixed={"a"}, avoid={"T"}) == {}


def test_an_already_hidden_cell_keeps_its_reason_and_is_protected():
    cells, equations = quarter({"a": 30, "b": 12, "c": 40})
    hidden = protect(cells, equations, avoid={"T"}, already={"a": Reason.PROVISIONAL})
    assert hidden == {"a": Reason.PROVISIONAL, "b": Reason.COMPLEMENT}


def test_the_words_for_each_reason():
    assert "fewer than 11" in words(Reason.SMALL)
    assert "fewer than 20" in words(Reason.SMALL, 20)
    assert "another count cannot be worked out" in words(Reason.COMPLEMENT)
    assert "includes a suppressed count" in words(Reason.INCLUDES)
    assert "Provisional" in words(Reason.PROVISIONAL)
    assert "whole quarter" in words(Reason.QUARTERLY)
    assert "from 1 to 10" in note()
    with pytest.raises(ValueError):
        words("nonsense")  # type: ignore[arg-type]


def test_threshold_for_a_setting():
    assert threshold_for(None) == DEFAULT_THRESHOLD == 11
    assert threshold_for(20) == 20
    assert threshold_for(5) == 11
    assert threshold_for(0) == 11


def test_a_sum_with_a_hidden_cell_is_hidden():
    assert sum_shown([50, None, 34]) is None
    assert sum_shown([50, 34, 0]) == 84
    assert sum_shown([]) == 0
    published = Published(total=None, cells={"a": None, "b": 20}, reasons={"a": Reason.SMALL})
    assert published.hidden == {"a"}


# The exact audit, written again


def rref(rows: list[list[int]]) -> tuple[list[list[Fraction]], list[int]]:
    """The reduced row echelon form of an integer matrix, exactly (over the rationals), and its pivot
    columns."""
    matrix = [[Fraction(x) for x in row] for row in rows if any(row)]
    pivots: list[int] = []
    columns = len(matrix[0]) if matrix else 0
    for column in range(columns):
        r = len(pivots)
        pivot = next((i for i in range(r, len(matrix)) if matrix[i][column]), None)
        if pivot is None:
            continue
        matrix[r], matrix[pivot] = matrix[pivot], matrix[r]
        lead = matrix[r][column]
        matrix[r] = [x / lead for x in matrix[r]]
        for i in range(len(matrix)):
            if i != r and matrix[i][column]:
                factor = matrix[i][column]
                matrix[i] = [x - factor * y for x, y in zip(matrix[i], matrix[r], strict=True)]
        pivots.append(column)
    return matrix[: len(pivots)], pivots


def restricted(equations, columns: list) -> list[list[int]]:
    """The equations' matrix (one row each, +1 on the plus side, -1 on the minus side) on ``columns``,
    without the equations that have none of them."""
    index = {key: n for n, key in enumerate(columns)}
    rows = []
    for equation in equations:
        row = [0] * len(columns)
        for sign, side in ((1, equation.plus), (-1, equation.minus)):
            for key in side:
                if key in index:
                    row[index[key]] += sign
        if any(row):
            rows.append(row)
    return rows


def worked_out_of(hidden, equations) -> set:
    """The hidden cells the published cells and the equations pin down: those whose unit vector is in
    the row space of the equations restricted to the hidden cells. In the reduced row echelon form, a
    cell is pinned down when its column is a pivot whose row is zero in every free column (every
    solution of the homogeneous system is zero there)."""
    columns = sorted(hidden, key=repr)
    if not columns:
        return set()
    matrix, pivots = rref(restricted(equations, columns))
    free = [j for j in range(len(columns)) if j not in set(pivots)]
    return {
        columns[column] for row, column in zip(matrix, pivots, strict=True) if not any(row[j] for j in free)
    }


def worked_out(key, hidden, equations) -> bool:
    return key in worked_out_of(hidden, equations)


def rank(rows: list[list[int]]) -> int:
    return len(rref(rows)[1])


def test_the_audit_itself():
    equations = [Equation(plus=("a", "b"), minus=("T",))]
    assert worked_out("a", {"a"}, equations)
    assert not worked_out("a", {"a", "b"}, equations)
    assert worked_out("a", {"a", "b"}, [*equations, Equation(plus=("b",), minus=("x",))])
    # a = b + c, a + b = T and d = c: with a, b, c and d hidden nothing is pinned down (a, b, c, d can
    # move by 1, -1, 2, 2); with c and d published, a = (T + c) / 2 is, and b with it: the same as
    # rank([A_H; e_a]) == rank(A_H).
    two = [
        Equation(plus=("a",), minus=("b", "c")),
        Equation(plus=("a", "b"), minus=("T",)),
        Equation(plus=("d",), minus=("c",)),
    ]
    assert worked_out_of({"a", "b", "c", "d"}, two) == set()
    assert worked_out_of({"a", "b"}, two) == {"a", "b"}
    columns = ["a", "b"]
    matrix = restricted(two, columns)
    assert rank([*matrix, [1, 0]]) == rank(matrix) == 2
    assert rank([[1, -1, 0], [0, 1, -1], [1, 0, -1]]) == 2


# Random linked tables shaped like Tandem's


@st.composite
def tables(draw, *, with_fixed: bool = False):
    """Cells and equations like a measure's: each network's month totals ("T", n, m); for each quarter and
    breakdown, its categories ("C", n, b, k, q) adding up to the quarter's months' totals; with two
    networks, a state's cells ("ST", m) and ("SC", b, k, q), each its networks' added up. With
    ``with_fixed``, a baseline ("B", j) equal to a network's months added up, published whatever happens,
    and months hidden already as provisional."""
    networks = draw(st.integers(1, 2))
    quarters = draw(st.integers(1, 2))
    months_in = [draw(st.integers(1, 3)) for _ in range(quarters)]
    months = [(q, m) for q in range(quarters) for m in range(months_in[q])]
    breakdowns = [draw(st.integers(2, 5)) for _ in range(draw(st.integers(1, 3)))]
    count = st.one_of(st.integers(0, 12), st.integers(0, 40), st.sampled_from([0, 1, 10, 11]))
    cells: dict[tuple, int] = {}
    equations: list[Equation[tuple]] = []
    for n in range(networks):
        for month in months:
            cells["T", n, month] = draw(count)
        for q in range(quarters):
            totals = tuple(("T", n, month) for month in months if month[0] == q)
            whole = sum(cells[t] for t in totals)
            for b, size in enumerate(breakdowns):
                cuts = sorted(draw(st.lists(st.integers(0, whole), min_size=size - 1, max_size=size - 1)))
                parts = [hi - lo for lo, hi in zip([0, *cuts], [*cuts, whole], strict=True)]
                categories = tuple(("C", n, b, k, q) for k in range(size))
                cells.update(zip(categories, parts, strict=True))
                equations.append(Equation(plus=categories, minus=totals))
    if networks > 1:
        for month in months:
            parts = tuple(("T", n, month) for n in range(networks))
            cells["ST", month] = sum(cells[p] for p in parts)
            equations.append(Equation(plus=(("ST", month),), minus=parts))
        for q in range(quarters):
            for b, size in enumerate(breakdowns):
                for k in range(size):
                    parts = tuple(("C", n, b, k, q) for n in range(networks))
                    cells["SC", b, k, q] = sum(cells[p] for p in parts)
                    equations.append(Equation(plus=(("SC", b, k, q),), minus=parts))
    fixed: set[tuple] = set()
    already: dict[tuple, Reason] = {}
    if with_fixed:
        for j in range(draw(st.integers(1, 2))):
            n = draw(st.integers(0, networks - 1))
            covered = draw(st.lists(st.sampled_from(months), min_size=1, unique=True))
            parts = tuple(("T", n, month) for month in covered)
            cells["B", j] = sum(cells[p] for p in parts)
            fixed.add(("B", j))
            equations.append(Equation(plus=(("B", j),), minus=parts))
        totals = sorted(key for key in cells if key[0] in ("T", "ST"))
        for key in draw(st.lists(st.sampled_from(totals), max_size=2, unique=True)):
            already[key] = Reason.PROVISIONAL
    threshold = draw(st.sampled_from([11, 11, 11, 15]))
    return cells, equations, fixed, already, threshold


def totals_of(cells) -> set:
    return {key for key in cells if key[0] in ("T", "ST")}


def check_the_rule(cells, equations, fixed, already, threshold, hidden) -> None:
    assert not set(hidden) & set(fixed)
    assert set(hidden) <= set(cells)
    for key, reason in already.items():
        assert hidden[key] == reason
    for key, count in cells.items():
        if is_small(count, threshold) and key not in fixed:
            assert key in hidden, key
        if count == 0:
            assert hidden.get(key) != Reason.SMALL, key
        if key in hidden and key not in already and not is_small(count, threshold):
            assert hidden[key] == Reason.COMPLEMENT, key
    # No hidden small count can be worked out from the published cells, unless it could not be kept
    # hidden even with every cell but the fixed ones hidden (a baseline of that month alone).
    given_away = worked_out_of(hidden, equations)
    beyond_help = worked_out_of([key for key in cells if key not in fixed], equations)
    for key in hidden:
        if is_small(cells[key], threshold) and key in given_away:
            assert key in beyond_help, (key, cells[key], hidden)


@settings(max_examples=200, deadline=None)
@given(tables())
def test_no_hidden_small_count_can_be_worked_out(table):
    cells, equations, fixed, already, threshold = table
    hidden = protect(cells, equations, threshold=threshold, avoid=totals_of(cells))
    check_the_rule(cells, equations, fixed, already, threshold, hidden)
    small = {key for key in hidden if is_small(cells[key], threshold)}
    assert not small & worked_out_of(hidden, equations), (cells, hidden)
    # The same in the words of rank: rank([A_H; e_i]) > rank(A_H), in floating point on the integer matrix.
    columns = sorted(hidden, key=repr)
    matrix = np.array([[0] * len(columns), *restricted(equations, columns)])
    for key in small:
        unit = np.array([[1 if column == key else 0 for column in columns]])
        assert np.linalg.matrix_rank(np.vstack([matrix, unit])) > np.linalg.matrix_rank(matrix), key
    # Where an equation's hidden cells all stand on one side, their sum (which anyone can work out) is
    # not small either.
    for equation in equations:
        plus = [key for key in equation.plus if key in hidden]
        minus = [key for key in equation.minus if key in hidden]
        if bool(plus) != bool(minus):
            assert not is_small(sum(cells[key] for key in plus or minus), threshold), (equation, hidden)


@settings(max_examples=200, deadline=None)
@given(tables(with_fixed=True))
def test_no_hidden_small_count_can_be_worked_out_beside_baselines_and_provisional_cells(table):
    cells, equations, fixed, already, threshold = table
    hidden = protect(
        cells, equations, threshold=threshold, fixed=fixed, avoid=totals_of(cells), already=already
    )
    check_the_rule(cells, equations, fixed, already, threshold, hidden)


def test_a_baseline_of_one_small_month_cannot_be_protected_and_protect_still_ends():
    # The baseline gives the month away whatever is hidden: the audit above treats it as beyond help.
    cells = {"T1": 4, "T2": 30, "a": 10, "b": 24, "B": 4}
    equations = [Equation(plus=("a", "b"), minus=("T1", "T2")), Equation(plus=("B",), minus=("T1",))]
    hidden = protect(cells, equations, fixed={"B"}, avoid={"T1", "T2"})
    assert hidden["T1"] == Reason.SMALL and "B" not in hidden
    assert worked_out("T1", [k for k in cells if k != "B"], equations)


def rule_holds(cells, equations, hidden, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """No hidden small count can be worked out, and no equation's hidden cells all on one side add up
    to a small count."""
    if {key for key in hidden if is_small(cells[key], threshold)} & worked_out_of(hidden, equations):
        return False
    for equation in equations:
        plus = [key for key in equation.plus if key in hidden]
        minus = [key for key in equation.minus if key in hidden]
        if bool(plus) != bool(minus) and is_small(sum(cells[key] for key in plus or minus), threshold):
            return False
    return True


def test_a_month_total_is_not_hidden_where_categories_will_do():
    # A quarter of three months, January small, three breakdowns whose categories are all large: one
    # category of each breakdown hidden beside January keeps it from being worked out.
    cells = {"T1": 5, "T2": 30, "T3": 30, "A1": 40, "A2": 12, "A3": 13, "B1": 30, "B2": 20, "B3": 15}
    cells |= {"C1": 50, "C2": 15}
    totals = ("T1", "T2", "T3")
    equations = [
        Equation(plus=("A1", "A2", "A3"), minus=totals),
        Equation(plus=("B1", "B2", "B3"), minus=totals),
        Equation(plus=("C1", "C2"), minus=totals),
    ]
    assert rule_holds(cells, equations, {"T1", "A2", "B3", "C2"})  # categories do the job
    hidden = protect(cells, equations, avoid=set(totals))
    assert rule_holds(cells, equations, hidden)
    assert not {"T2", "T3"} & set(hidden), hidden  # actual: T2 hidden as a complement


def test_no_complement_is_hidden_for_nothing():
    # January of network A is small; the state's January is A's and B's added up; A's quarter has two
    # breakdowns. Hiding one category of each breakdown and B's January protects it; more is waste.
    cells = {"TA1": 5, "TA2": 30, "a1": 12, "a2": 11, "a3": 12, "b1": 20, "b2": 15, "b3": 0}
    cells |= {"TB1": 40, "ST1": 45}
    equations = [
        Equation(plus=("a1", "a2", "a3"), minus=("TA1", "TA2")),
        Equation(plus=("b1", "b2", "b3"), minus=("TA1", "TA2")),
        Equation(plus=("ST1",), minus=("TA1", "TB1")),
    ]
    hidden = protect(cells, equations, avoid={"TA1", "TA2", "TB1", "ST1"})
    assert rule_holds(cells, equations, hidden)
    # Actual: a1, a2, a3, b2 and TB1 hidden; two of a1, a2, a3 are not needed.
    for key, reason in hidden.items():
        if reason == Reason.COMPLEMENT:
            assert not rule_holds(cells, equations, set(hidden) - {key}), (key, hidden)


def test_dates_work_as_keys():
    # Keys are any hashable: the publication layer uses tuples with dates in them.
    january, february = datetime.date(2025, 1, 1), datetime.date(2025, 2, 1)
    cells = {("T", january): 5, ("T", february): 30, ("C", 1): 20, ("C", 2): 15}
    equations = [Equation(plus=(("C", 1), ("C", 2)), minus=(("T", january), ("T", february)))]
    hidden = protect(cells, equations, avoid={("T", january), ("T", february)})
    assert hidden == {("T", january): Reason.SMALL, ("C", 2): Reason.COMPLEMENT}
