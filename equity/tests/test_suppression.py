"""Suppression on worked examples, and a property: nothing hidden can be worked out from what a
table publishes."""

import itertools

from hypothesis import given
from hypothesis import strategies as st

from equity.suppression import DEFAULT_THRESHOLD, is_small, share, suppress


def test_small_counts_are_hidden_and_zero_is_shown():
    published = suppress({"black": 0, "white": 40, "asian": 12, "aian": 3, "nhopi": 7})
    assert published.total == 62
    assert published.cells == {"black": 0, "white": 40, "asian": 12, "aian": None, "nhopi": None}


def test_one_hidden_cell_under_a_shown_total_hides_the_next_smallest():
    published = suppress({"female": 30, "male": 4, "unknown": 15})
    assert published.cells == {"female": 30, "male": None, "unknown": None}
    # A zero is kept shown when a cell above zero can be hidden instead.
    assert suppress({"a": 0, "b": 5, "c": 20, "d": 25}).cells == {"a": 0, "b": None, "c": None, "d": 25}


def test_a_small_total_is_hidden_with_its_cells():
    published = suppress({"hispanic": 3, "not_hispanic": 6, "unknown": 0})
    assert published.total is None
    assert published.cells == {"hispanic": None, "not_hispanic": None, "unknown": 0}


def test_a_given_total_and_another_threshold():
    published = suppress({"x": 15, "y": 30}, total=45, threshold=20)
    assert published.cells == {"x": None, "y": None}
    assert is_small(19, 20) and not is_small(20, 20) and not is_small(0)


def test_shares_of_hidden_counts_are_hidden():
    assert share(None, 100) is None and share(5, None) is None and share(3, 0) is None
    assert share(25, 100) == 0.25


def feasible(published, cells_domain: int) -> list[tuple[int, ...]]:
    """Every way to fill the hidden cells with whole numbers from 0 that fits what is published."""
    hidden = sorted(published.hidden)
    shown_sum = sum(count for count in published.cells.values() if count is not None)
    fills = itertools.product(range(cells_domain + 1), repeat=len(hidden))
    if published.total is None:
        return list(fills)
    return [fill for fill in fills if sum(fill) + shown_sum == published.total]


@given(
    st.lists(st.integers(min_value=0, max_value=30), min_size=2, max_size=5),
    st.integers(min_value=2, max_value=12),
)
def test_no_hidden_count_can_be_worked_out(counts, threshold):
    cells = {f"c{i}": count for i, count in enumerate(counts)}
    published = suppress(cells, threshold=threshold)
    # What is shown is never small.
    assert all(count is None or not is_small(count, threshold) for count in published.cells.values())
    if published.total is not None:
        assert published.total == sum(counts)
    # The true counts fit what is published...
    fills = feasible(published, cells_domain=sum(counts))
    true_fill = tuple(cells[key] for key in sorted(published.hidden))
    assert true_fill in fills
    # ...and so does another value of each hidden cell.
    for index in range(len(true_fill)):
        assert len({fill[index] for fill in fills}) > 1, (cells, published)


def test_the_default_threshold_is_the_cms_rule():
    assert DEFAULT_THRESHOLD == 11
    assert [n for n in range(0, 13) if is_small(n)] == list(range(1, 11))
