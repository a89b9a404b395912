"""The equity measures on worked examples (worked by hand in the comments)."""

import math

import pytest

from core.disclosure import Equation, Published, protect
from equity.measures import Group, breakdown_measures, fair_share_gap, rate_ratio, reach_per_1000

GROUPS = [Group("a", "A", 600), Group("b", "B", 300), Group("c", "C", 100), Group("unknown", "Unknown", None)]


def measured(cells: dict[str, int], groups=GROUPS):
    return breakdown_measures(
        groups, Published(total=sum(cells.values()), cells=cells), unknown_key="unknown"
    )


def test_shares_ratios_and_reach():
    # 100 participants: A 60, B 20, C 20. Eligible: A 600 (60 %), B 300 (30 %), C 100 (10 %).
    result = measured({"a": 60, "b": 20, "c": 20, "unknown": 0})
    a, b, c = result.groups
    assert (a.share, b.share, c.share) == (0.6, 0.2, 0.2)
    assert (a.eligible_share, b.eligible_share, c.eligible_share) == (0.6, 0.3, 0.1)
    # Representation: 0.6 / 0.6 = 1, 0.2 / 0.3 = 2/3, 0.2 / 0.1 = 2.
    assert a.representation == pytest.approx(1.0)
    assert b.representation == pytest.approx(2 / 3)
    assert c.representation == pytest.approx(2.0)
    # Reach per 1,000 eligible: 60 of 600 is 100, 20 of 300 is 66.7, 20 of 100 is 200.
    assert (a.reach, c.reach) == (100.0, 200.0)
    assert b.reach == pytest.approx(66.667, abs=1e-3)
    assert result.reference == "A" and a.reference and not b.reference


def test_rate_ratio_with_its_confidence_interval():
    # B against A: (20 / 300) / (60 / 600) = 2/3; log-scale standard error sqrt(1/20 + 1/60) = 0.2582,
    # so the 95 % interval is 2/3 × exp(∓1.96 × 0.2582): 0.4019 to 1.1059.
    b = measured({"a": 60, "b": 20, "c": 20, "unknown": 0}).groups[1]
    assert b.rate_ratio == pytest.approx(2 / 3)
    assert b.ci_low == pytest.approx(0.4019, abs=1e-4)
    assert b.ci_high == pytest.approx(1.1059, abs=1e-4)
    # No participants: a ratio of 0 without an interval; no reference count: no ratio.
    assert rate_ratio(0, 300, 60, 600) == (0.0, None, None)
    assert rate_ratio(5, 300, 0, 600) is None


def test_fair_share_gap():
    # B has 20 of 100 and 30 % of the eligible: (0.3 × 100 − 20) / 0.7 = 14.3, so 15 more:
    # 35 of 115 is 30.4 %, while 34 of 114 would be 29.8 %.
    b = measured({"a": 60, "b": 20, "c": 20, "unknown": 0}).groups[1]
    assert b.fair_share_gap == 15
    assert (20 + 15) / (100 + 15) >= 0.3 > (20 + 14) / (100 + 14)
    # A group at or above its fair share needs nobody more.
    assert fair_share_gap(60, 100, 0.6) == 0 and fair_share_gap(20, 100, 0.1) == 0
    assert fair_share_gap(5, 10, 1.0) is None


def test_unknown_is_left_out_of_the_shares_and_counted_apart():
    # 20 unknown of 120: shares are of the 100 whose group is known.
    result = measured({"a": 60, "b": 20, "c": 20, "unknown": 20})
    assert result.share_of == "known" and result.total == 120
    assert result.groups[0].share == 0.6
    assert result.unknown.count == 20 and result.unknown.share == pytest.approx(20 / 120)


def test_ratios_from_fewer_than_20_participants_are_unstable():
    result = measured({"a": 60, "b": 19, "c": 25, "unknown": 0})
    assert [group.unstable for group in result.groups] == [False, True, False]
    # A reference group under 20 makes every rate ratio unstable.
    result = measured({"a": 15, "b": 40, "c": 25, "unknown": 0})
    assert all(group.unstable for group in result.groups)


def suppress(cells: dict[str, int]) -> Published[str]:
    """The cells of one group published under their total (`core.disclosure.protect`)."""
    total = sum(cells.values())
    hidden = protect({**cells, "all": total}, [Equation(plus=tuple(cells), minus=("all",))], avoid={"all"})
    return Published(
        total=None if "all" in hidden else total,
        cells={key: None if key in hidden else count for key, count in cells.items()},
        reasons={key: reason for key, reason in hidden.items() if key in cells},
    )


def test_nothing_is_computed_from_a_suppressed_count():
    # C has 4: hidden, and B (the next smallest) with it; unknown 0 is shown.
    cells = {"a": 80, "b": 15, "c": 4, "unknown": 0}
    result = breakdown_measures(GROUPS, suppress(cells), unknown_key="unknown")
    a, b, c = result.groups
    for hidden in (b, c):
        assert hidden.suppressed and hidden.count is None
        assert hidden.share is None and hidden.representation is None and hidden.reach is None
        assert hidden.rate_ratio is None and hidden.fair_share_gap is None
        # The eligible population is public: it stays.
        assert hidden.eligible is not None and hidden.eligible_share is not None
    assert a.count == 80 and a.share == pytest.approx(80 / 99)


def test_a_suppressed_unknown_count_makes_shares_of_all_participants():
    # Unknown 3 is hidden (and C, the next smallest); taking shares of the 97 known would give it away.
    cells = {"a": 60, "b": 25, "c": 12, "unknown": 3}
    result = breakdown_measures(GROUPS, suppress(cells), unknown_key="unknown")
    assert result.share_of == "all" and result.unknown.suppressed
    assert result.groups[0].share == pytest.approx(60 / 100)


def test_a_suppressed_reference_hides_every_rate_ratio():
    groups = [Group("a", "A", 600), Group("b", "B", 300)]
    result = breakdown_measures(groups, Published(total=None, cells={"a": None, "b": 40}))
    assert result.groups[1].rate_ratio is None and result.groups[1].share is None


def test_reach():
    assert reach_per_1000(3, 1500) == 2.0 and reach_per_1000(3, 0) is None
    assert math.isclose(reach_per_1000(1, 3), 333.333, rel_tol=1e-5)
