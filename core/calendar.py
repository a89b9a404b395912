"""The reporting calendar: a month is the date of its first day; quarters are calendar quarters; a
month is due on the network's due day of the month after it and locks a set number of days later.

Every page, file, job and API answer reads its months
here, so "the months from March to May" means the same everywhere."""

import datetime
from typing import Protocol


def month_of(day: datetime.date) -> datetime.date:
    """The month ``day`` is in."""
    return day.replace(day=1)


def month_add(month: datetime.date, months: int) -> datetime.date:
    """The month ``months`` after (or, negative, before) ``month``'s. Plain arithmetic: the dashboards
    step through months tens of thousands of times a page."""
    years, index = divmod(month.month - 1 + months, 12)
    return datetime.date(month.year + years, index + 1, 1)


def month_end(month: datetime.date) -> datetime.date:
    """The last day of ``month``'s month."""
    return month_add(month, 1) - datetime.timedelta(days=1)


def month_range(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The months from ``first``'s to ``last``'s, both included, oldest first; empty if ``last`` is
    earlier."""
    return [month_add(first, n) for n in range(month_count(first, last))]


def month_count(first: datetime.date, last: datetime.date) -> int:
    """How many months from ``first``'s to ``last``'s, both counted; 0 if ``last`` is earlier."""
    return max(0, (last.year - first.year) * 12 + last.month - first.month + 1)


def month_iso(month: datetime.date) -> str:
    """ "2026-11": how files and the API write a month."""
    return f"{month:%Y-%m}"


def month_name(month: datetime.date) -> str:
    """ "November 2026": how pages write a month."""
    return f"{month:%B %Y}"


def long_date(day: datetime.date) -> str:
    """ "March 5, 2024": the same on every platform (strftime's %-d is not)."""
    return f"{day:%B} {day.day}, {day.year}"


def quarter_of(month: datetime.date) -> datetime.date:
    """The first month of the calendar quarter ``month`` is in."""
    return datetime.date(month.year, (month.month - 1) // 3 * 3 + 1, 1)


def quarter_months(quarter: datetime.date) -> list[datetime.date]:
    """The three months of the quarter that begins with ``quarter``."""
    return [month_add(quarter, n) for n in range(3)]


def quarter_label(quarter: datetime.date) -> str:
    """ "Q3 2026"."""
    return f"Q{(quarter.month - 1) // 3 + 1} {quarter.year}"


class ReportingDays(Protocol):
    """What the calendar needs of a network: its due day and how long a month stays open after it."""

    report_due_day: int
    report_lock_days: int


def report_due_on(network: ReportingDays, month: datetime.date) -> datetime.date:
    """A month is due on the network's due day of the following month."""
    return month_add(month, 1).replace(day=network.report_due_day)


def report_locks_after(network: ReportingDays, month: datetime.date) -> datetime.date:
    """The last day a month takes changes without backbone staff reopening it."""
    return report_due_on(network, month) + datetime.timedelta(days=network.report_lock_days)


def is_locked(
    network: ReportingDays,
    month: datetime.date,
    reopened_until: datetime.date | None,
    today: datetime.date,
    *,
    returned: bool = False,
) -> bool:
    """Past the lock date, unless backbone staff reopened the month until today or later, or returned
    its report for correction (``returned``): a correction asked for is always possible, until the
    partner sends the report again."""
    if returned:
        return False
    if reopened_until and today <= reopened_until:
        return False
    return today > report_locks_after(network, month)


def member_in(joined_on: datetime.date, left_on: datetime.date | None, month: datetime.date) -> bool:
    """A member in ``month`` is one for any day of it: joined by its last day, not left before its
    first."""
    return joined_on <= month_end(month) and (left_on is None or left_on >= month_of(month))
