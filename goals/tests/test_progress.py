"""Worked examples of progress, pace, projection and the rate still needed, counted over the complete
months only."""

import datetime

import pytest

from core.calendar import month_add, month_count
from goals.progress import Outlook, coverage, progress

START, DEADLINE = datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)


def monthly(*counts: int) -> dict[datetime.date, int]:
    return {month_add(START, n): count for n, count in enumerate(counts)}


def test_on_track_halfway():
    # Six complete months, counted to June: 600 of 1,200, exactly where a straight line would be.
    p = progress(
        target=1200,
        starts_on=START,
        deadline=DEADLINE,
        monthly=monthly(80, 90, 100, 110, 100, 120),
        counted_to=datetime.date(2024, 6, 1),
        today=datetime.date(2024, 7, 10),
    )
    assert (p.months_total, p.months_elapsed, p.months_left) == (12, 6, 6)
    assert p.actual == 600 and p.share == 0.5
    assert p.expected_by_now == 600 and p.pace == 1.0
    assert p.run_rate == 110  # April to June
    assert p.projected == 600 + 110 * 6
    assert p.needed_per_month == 100
    assert p.outlook == Outlook.ON_TRACK


def test_a_provisional_month_is_neither_counted_nor_zero():
    # June's reports are not all in: 500 from five months, counted to May, whatever June holds so far.
    counts = monthly(80, 90, 100, 110, 120, 15)
    p = progress(
        target=1200,
        starts_on=START,
        deadline=DEADLINE,
        monthly=counts,
        counted_to=datetime.date(2024, 5, 1),
        today=datetime.date(2024, 8, 20),
    )
    assert (p.months_elapsed, p.actual, p.months_left) == (5, 500, 7)
    assert p.expected_by_now == 500 and p.pace == 1.0
    assert p.run_rate == 110  # March to May, not June's 15
    assert p.projected == 500 + 110 * 7
    assert p.needed_per_month == pytest.approx(700 / 7)
    assert p.outlook == Outlook.ON_TRACK
    # The same goal had June been counted as it stands: the false alarm this rule prevents.
    alarm = progress(
        target=1200,
        starts_on=START,
        deadline=DEADLINE,
        monthly=counts,
        counted_to=datetime.date(2024, 6, 1),
        today=datetime.date(2024, 8, 20),
    )
    assert alarm.run_rate == pytest.approx(245 / 3) and alarm.outlook == Outlook.OFF_TRACK


def test_at_risk_and_off_track():
    at_risk = progress(
        target=1200,
        starts_on=START,
        deadline=DEADLINE,
        monthly=monthly(*[95] * 6),
        counted_to=datetime.date(2024, 6, 1),
        today=datetime.date(2024, 7, 1),
    )
    assert at_risk.projected == 1140 and at_risk.outlook == Outlook.AT_RISK  # 95 % of the target
    assert at_risk.needed_per_month == 105
    assert at_risk.pace == pytest.approx(570 / 600)
    off = progress(
        target=1200,
        starts_on=START,
        deadline=DEADLINE,
        monthly=monthly(*[80] * 6),
        counted_to=datetime.date(2024, 6, 1),
        today=datetime.date(2024, 7, 1),
    )
    assert off.projected == 960 and off.outlook == Outlook.OFF_TRACK


def test_counts_outside_the_goal_period_do_not_count():
    counts = {datetime.date(2023, 12, 1): 500, **monthly(10, 10), datetime.date(2025, 1, 1): 500}
    p = progress(
        target=100,
        starts_on=START,
        deadline=DEADLINE,
        monthly=counts,
        counted_to=datetime.date(2025, 2, 1),
        today=datetime.date(2025, 3, 1),
    )
    assert p.actual == 20 and p.months_elapsed == 12
    assert p.needed_per_month is None  # every month of the goal is counted
    assert p.outlook == Outlook.OFF_TRACK


def test_before_the_start_waiting_and_once_reached():
    early = progress(
        target=100,
        starts_on=START,
        deadline=DEADLINE,
        monthly={},
        counted_to=None,
        today=datetime.date(2023, 12, 20),
    )
    assert early.months_elapsed == 0 and early.pace is None and early.outlook == Outlook.NOT_STARTED
    assert early.needed_per_month == pytest.approx(100 / 12)
    waiting = progress(
        target=100,
        starts_on=START,
        deadline=DEADLINE,
        monthly=monthly(60),
        counted_to=None,
        today=datetime.date(2024, 3, 5),
    )
    assert waiting.actual == 0 and waiting.outlook == Outlook.WAITING
    done = progress(
        target=100,
        starts_on=START,
        deadline=DEADLINE,
        monthly=monthly(60, 50),
        counted_to=datetime.date(2024, 2, 1),
        today=datetime.date(2024, 3, 5),
    )
    assert done.outlook == Outlook.REACHED and done.needed_per_month == 0


def test_months_and_coverage():
    assert month_count(START, DEADLINE) == 12
    assert month_count(DEADLINE, START) == 0
    assert month_add(datetime.date(2024, 11, 1), 3) == datetime.date(2025, 2, 1)
    assert coverage(target=1200, commitments=[300, 500, 100]) == 0.75
    assert coverage(target=0, commitments=[5]) is None
