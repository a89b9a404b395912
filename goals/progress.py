"""Progress toward a goal from its monthly counts: pace, projection and the rate still needed.

Pure arithmetic on months, so it is tested on worked examples; selectors feed it from rollups and
say up to which month the reports are all in (`metrics.completeness.counted_to`). Only those complete
months count: a later month whose reports are still coming is provisional, never a month of zero.

- progress: the count so far over the target;
- pace: the count so far over where a straight line from 0 at the start to the target at the
  deadline stands after the months elapsed;
- projection: the count so far plus the recent run rate (mean of the last ``RUN_RATE_MONTHS`` complete
  months) for every month left after the last complete one;
- on track when the projection reaches the target, at risk when it reaches ``AT_RISK_SHARE`` of it,
  off track below that;
- needed: what is left of the target over the months left after the last complete one.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from core.calendar import month_add, month_count, month_of

RUN_RATE_MONTHS = 3
AT_RISK_SHARE = 0.9


class Outlook(StrEnum):
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OFF_TRACK = "off track"
    REACHED = "reached"
    NOT_STARTED = "not started"
    WAITING = "waiting for reports"  # months of the goal are over, but none is complete yet


@dataclass(frozen=True)
class Progress:
    target: int
    actual: int
    months_total: int
    months_elapsed: int  # complete months counted, from the start up to ``counted_to``
    expected_by_now: float
    run_rate: float
    projected: float
    needed_per_month: float | None  # None once the deadline has passed
    outlook: Outlook

    @property
    def share(self) -> float | None:
        return self.actual / self.target if self.target else None

    @property
    def pace(self) -> float | None:
        return self.actual / self.expected_by_now if self.expected_by_now else None

    @property
    def months_left(self) -> int:
        return self.months_total - self.months_elapsed


def progress(
    *,
    target: int,
    starts_on: datetime.date,
    deadline: datetime.date,
    monthly: Mapping[datetime.date, int],
    counted_to: datetime.date | None,
    today: datetime.date,
) -> Progress:
    """Where a goal stands, from its counts by month (first day of the month -> count) of the complete
    months up to ``counted_to`` (None while no month of the goal is complete). ``today`` only tells a
    goal that has not started from one waiting for its first complete month."""
    first, last = month_of(starts_on), month_of(deadline)
    months_total = month_count(first, last)
    elapsed = min(months_total, month_count(first, month_of(counted_to))) if counted_to else 0
    months = [month_add(first, n) for n in range(elapsed)]
    actual = sum(monthly.get(month, 0) for month in months)
    recent = months[-RUN_RATE_MONTHS:]
    run_rate = sum(monthly.get(month, 0) for month in recent) / len(recent) if recent else 0.0
    left = months_total - elapsed
    projected = actual + run_rate * left
    expected = target * elapsed / months_total if months_total else 0.0
    if actual >= target:
        outlook = Outlook.REACHED
    elif not elapsed:
        outlook = Outlook.NOT_STARTED if month_of(today) <= first else Outlook.WAITING
    elif projected >= target:
        outlook = Outlook.ON_TRACK
    elif projected >= AT_RISK_SHARE * target:
        outlook = Outlook.AT_RISK
    else:
        outlook = Outlook.OFF_TRACK
    return Progress(
        target=target,
        actual=actual,
        months_total=months_total,
        months_elapsed=elapsed,
        expected_by_now=expected,
        run_rate=run_rate,
        projected=projected,
        needed_per_month=max(0, target - actual) / left if left else None,
        outlook=outlook,
    )


def coverage(*, target: int, commitments: list[int]) -> float | None:
    """How much of the target the partners' commitments add up to."""
    return sum(commitments) / target if target else None
