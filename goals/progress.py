"""Progress toward a goal from its monthly counts: pace, projection and the rate still needed.

Pure arithmetic on months, so it is tested on worked examples; selectors feed it from rollups.

- progress: the count so far over the target;
- pace: the count so far over where a straight line from 0 at the start to the target at the
  deadline stands after the months elapsed;
- projection: the count so far plus the recent run rate (mean of the last ``RUN_RATE_MONTHS`` complete
  months) for every month left;
- on track when the projection reaches the target, at risk when it reaches ``AT_RISK_SHARE`` of it,
  off track below that;
- needed: what is left of the target over the months left.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

RUN_RATE_MONTHS = 3
AT_RISK_SHARE = 0.9


class Outlook(StrEnum):
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OFF_TRACK = "off track"
    REACHED = "reached"
    NOT_STARTED = "not started"


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def months_between(first: datetime.date, last: datetime.date) -> int:
    """Months from ``first``'s month to ``last``'s month, both counted; 0 if ``last`` is earlier."""
    return max(0, (last.year - first.year) * 12 + last.month - first.month + 1)


def add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Progress:
    target: int
    actual: int
    months_total: int
    months_elapsed: int  # complete months from the start up to the last one reported
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
    today: datetime.date,
) -> Progress:
    """Where a goal stands ``today``, from its counts by month (first day of the month -> count).

    Only complete months count: the month of ``today`` is still being reported.
    """
    first, last = month_start(starts_on), month_start(deadline)
    months_total = months_between(first, last)
    last_complete = add_months(month_start(today), -1)
    elapsed = min(months_total, months_between(first, last_complete))
    months = [add_months(first, n) for n in range(elapsed)]
    actual = sum(monthly.get(month, 0) for month in months)
    recent = months[-RUN_RATE_MONTHS:]
    run_rate = sum(monthly.get(month, 0) for month in recent) / len(recent) if recent else 0.0
    left = months_total - elapsed
    projected = actual + run_rate * left
    expected = target * elapsed / months_total if months_total else 0.0
    if actual >= target:
        outlook = Outlook.REACHED
    elif not elapsed:
        outlook = Outlook.NOT_STARTED
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
