"""Suppression on worked examples, and a property: nothing hidden can be worked out from what a
table publishes."""

from hypothesis import given
from hypothesis import strategies as st

from equity.suppression import (
    DEFAULT_THRESHOLD,
    Published,
    is_small,
    share,
    suppress,
    suppress_aggregate,
    threshold_for,
)


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


def possible_values(published, key, domain: int) -> set[int]:
    """Every value from 0 to ``domain`` the hidden cell ``key`` can take and still fit what is published:
    with a shown total, the hidden cells add up to the total less the shown ones, and the other hidden
    cells (each from 0 to ``domain``) can make up any sum from 0 to their number times ``domain``."""
    if published.total is None:
        return set(range(domain + 1))
    hidden_sum = published.total - sum(count for count in published.cells.values() if count is not None)
    others = len(published.hidden) - 1
    return {value for value in range(domain + 1) if 0 <= hidden_sum - value <= others * domain}


def assert_unrecoverable(published, true_cells, domain: int) -> None:
    """The true counts fit what is published, and so does another value of each hidden cell."""
    for key in published.hidden:
        values = possible_values(published, key, domain)
        assert true_cells[key] in values
        assert len(values) > 1, (true_cells, published)


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
    assert_unrecoverable(published, cells, domain=sum(counts))


def test_the_default_threshold_is_the_cms_rule():
    assert DEFAULT_THRESHOLD == 11
    assert [n for n in range(0, 13) if is_small(n)] == list(range(1, 11))


def test_a_known_cell_is_shown_and_never_the_second_cell():
    # The viewer's own organization (known) with 4, the rest of the network 30 and 6.
    published = suppress({"own": 4, "rest": 30, "other": 6}, known={"own"})
    assert published.cells == {"own": 4, "rest": None, "other": None}
    # Where only known cells are left to hide, the total goes instead: it would give the small one away.
    published = suppress({"own": 40, "others": 3}, known={"own"})
    assert published.total is None and published.cells == {"own": 40, "others": None}


def test_the_threshold_setting_is_never_below_the_cms_rule():
    assert threshold_for(None) == 11 and threshold_for(5) == 11 and threshold_for(25) == 25


@given(
    st.lists(st.integers(min_value=0, max_value=30), min_size=2, max_size=5),
    st.integers(min_value=2, max_value=12),
    st.data(),
)
def test_no_hidden_count_can_be_worked_out_beside_known_cells(counts, threshold, data):
    cells = {f"c{i}": count for i, count in enumerate(counts)}
    known = data.draw(st.sets(st.sampled_from(sorted(cells)), max_size=len(cells) - 1))
    published = suppress(cells, threshold=threshold, known=known)
    assert all(published.cells[key] == cells[key] for key in known)
    assert_unrecoverable(published, cells, domain=sum(counts))


def test_an_aggregate_hides_what_the_rest_of_the_partners_would_give_away():
    network = {"black": 30, "white": 80, "asian": 14}
    own = {"black": 25, "white": 40, "asian": 0}
    published = suppress_aggregate(network, identified=own)
    # The rest: black 5 (small), white 40, asian 14 (the next smallest, hidden too).
    assert published.cells == {"black": None, "white": 80, "asian": None}
    assert published.total == 124
    assert suppress_aggregate(network, identified=own, everything_identified=True).cells == network
    # Without anything identified it is the plain rule.
    assert suppress_aggregate(network).cells == suppress(network).cells


@given(
    st.lists(st.tuples(st.integers(0, 25), st.integers(0, 25)), min_size=2, max_size=4),
    st.integers(min_value=2, max_value=12),
)
def test_what_the_rest_of_the_partners_counted_cannot_be_worked_out(pairs, threshold):
    cells = {f"c{i}": own + rest for i, (own, rest) in enumerate(pairs)}
    own = {f"c{i}": own for i, (own, _) in enumerate(pairs)}
    published = suppress_aggregate(cells, identified=own, threshold=threshold)
    # What the viewer can work out of the rest: the published cells minus what they know.
    rest_shown = {key: count - own[key] for key, count in published.cells.items() if count is not None}
    assert all(not is_small(count, threshold) for count in rest_shown.values())
    # The viewer's view of the rest: published cells less what they know, the total likewise.
    rest = {key: cells[key] - own[key] for key in cells}
    seen = Published(
        total=None if published.total is None else published.total - sum(own.values()),
        cells={key: None if count is None else count - own[key] for key, count in published.cells.items()},
    )
    assert_unrecoverable(seen, rest, domain=sum(rest.values()))
