"""The checks every way in (form, file, API) goes through before a report is stored.

A problem says where (line and column, where there are such), what is wrong and what is expected, in
words a partner understands. Anything with a problem is refused whole.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from core.calendar import is_locked, long_date, month_end, month_iso, report_locks_after
from core.problems import Problem
from metrics.catalogue import TOTAL_BREAKDOWN, TOTAL_CATEGORY, Catalogue
from network.models import Membership, Network

Cells = dict[tuple[str, str, str], int]  # (measure, breakdown, category) -> count


@dataclass(frozen=True)
class ValueIn:
    """One count as sent, with where it came from for the messages."""

    measure: str
    breakdown: str
    category: str
    count: Any
    line: int | None = None
    column: str = ""


# The months Tandem reads. The National DPP began in 2010, so a month outside these is a slip of the
# finger; and near year 1 or 9999 the arithmetic done on a month (the next one, its due date) would
# leave the range of `datetime.date` and fail.
FIRST_MONTH = datetime.date(2000, 1, 1)
LAST_MONTH = datetime.date(2099, 12, 1)
MONTHS_READ = f"a month from {FIRST_MONTH:%Y-%m} to {LAST_MONTH:%Y-%m}, written YYYY-MM"


def parse_month(text: str) -> datetime.date | None:
    """``YYYY-MM`` (or a full ISO date, or MM/YYYY) to the first day of that month; None if it is not
    one, if it is written with other than ASCII digits (``strptime`` takes any Unicode digit), or if it
    lies outside `FIRST_MONTH` to `LAST_MONTH`."""
    text = (text or "").strip()
    if not text.isascii() or len(text) > len("YYYY-MM-DD"):
        return None
    for fmt in ("%Y-%m", "%Y-%m-%d", "%m/%Y"):
        try:
            month = datetime.datetime.strptime(text, fmt).date().replace(day=1)
        except ValueError:
            continue
        return month if FIRST_MONTH <= month <= LAST_MONTH else None
    return None


# The largest count a report value holds (the database column's limit).
MAX_COUNT = 2_147_483_647


def as_count(value: Any) -> int | None:
    """A count is a whole number from 0 to `MAX_COUNT`; None if ``value`` is not one."""
    count = _as_whole(value)
    return count if count is not None and count <= MAX_COUNT else None


def _as_whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        # ASCII digits only: ``str.isdigit`` also takes "²" and other digits ``int`` refuses. A count
        # longer than MAX_COUNT's ten digits is too large anyway, and ``int`` of thousands of digits
        # would be refused too.
        if text.isascii() and text.isdigit() and len(text.lstrip("0")) <= len(str(MAX_COUNT)):
            return int(text)
    return None


def values_check(
    catalogue: Catalogue, values: list[ValueIn], *, month: str = ""
) -> tuple[Cells, list[Problem]]:
    """Known codes, whole counts, no cell twice, and every breakdown adding up to its measure's total."""
    cells: Cells = {}
    seen_at: dict[tuple[str, str, str], str] = {}
    problems: list[Problem] = []

    def column_of(value: ValueIn, field: str) -> str:
        # A file's line names the row, and its count column may have its own name; a request names
        # a value by its path (``values[3]``), to which the field is added.
        if value.line:
            return value.column if field == "count" and value.column else field
        return f"{value.column}.{field}" if value.column else ""

    def problem(value: ValueIn, message: str, expected: str, field: str) -> None:
        problems.append(Problem(message, expected, value.line, column_of(value, field), month))

    for value in values:
        if value.measure not in catalogue.measures:
            problem(
                value,
                f"unknown measure {value.measure!r}",
                f"one of {', '.join(catalogue.measures)}",
                "measure",
            )
            continue
        if value.breakdown not in catalogue.breakdowns:
            problem(
                value,
                f"unknown breakdown {value.breakdown!r}",
                f"one of {', '.join(catalogue.breakdowns)}",
                "breakdown",
            )
            continue
        known = catalogue.categories[value.breakdown]
        if value.category not in known:
            sample = ", ".join(list(known)[:12]) + (", ..." if len(known) > 12 else "")
            what = (
                "a county FIPS code of the network's state, or unknown"
                if len(known) > 12
                else f"one of {sample}"
            )
            problem(value, f"unknown {value.breakdown} category {value.category!r}", what, "category")
            continue
        count = as_count(value.count)
        if count is None:
            problem(value, f"{value.count!r} is not a count", "a whole number, 0 or more", "count")
            continue
        key = (value.measure, value.breakdown, value.category)
        if key in cells:
            earlier = seen_at[key]
            problem(
                value,
                f"{value.measure} by {value.breakdown}, {value.category}, is given twice"
                + (f" (also {earlier})" if earlier else ""),
                "each measure, breakdown and category once",
                "category",
            )
            continue
        cells[key] = count
        seen_at[key] = (
            f"on line {value.line}" if value.line else (f"at {value.column}" if value.column else "")
        )
    if problems:
        return cells, problems
    problems.extend(totals_check(catalogue, cells, month=month))
    return cells, problems


def totals_check(catalogue: Catalogue, cells: Cells, *, month: str = "") -> list[Problem]:
    """For each measure given, a total, and each breakdown's categories adding up to it."""
    sums: dict[tuple[str, str], int] = defaultdict(int)
    measures = sorted({measure for measure, _, _ in cells}, key=list(catalogue.measures).index)
    for (measure, breakdown, _), count in cells.items():
        sums[measure, breakdown] += count
    problems = []
    for measure in measures:
        total = cells.get((measure, TOTAL_BREAKDOWN, TOTAL_CATEGORY))
        if total is None:
            problems.append(
                Problem(f"{measure} has no total", f"a row for {measure}, total, all", month=month)
            )
            continue
        for breakdown, name in catalogue.breakdowns.items():
            if breakdown == TOTAL_BREAKDOWN:
                continue
            given = sums.get((measure, breakdown), 0)
            if given != total:
                problems.append(
                    Problem(
                        f"{measure} by {name.lower()} adds up to {given}, but the total is {total}",
                        f"the {name.lower()} categories adding up to {total}; "
                        "count people you do not know under unknown",
                        month=month,
                    )
                )
    return problems


def month_problems(
    *,
    network: Network,
    memberships: list[Membership],
    month: datetime.date,
    today: datetime.date,
    reopened_until: datetime.date | None,
) -> list[Problem]:
    """The month is over, the organization was a partner in it, and it is not locked."""
    label = month_iso(month)
    if month > today.replace(day=1):
        return [Problem(f"{label} is in the future", "a month that is over", month=label)]
    if month == today.replace(day=1):
        # A month is reported once it is over: a count sent mid-month would read as the whole month's.
        reportable_from = month_end(month) + datetime.timedelta(days=1)
        return [
            Problem(
                f"{label} is not over yet: it can be reported from {long_date(reportable_from)}",
                "a month that is over",
                month=label,
            )
        ]
    if not memberships:
        return [
            Problem("the organization is not a partner in this network", "a member organization", month=label)
        ]
    first_joined = min(m.joined_on for m in memberships)
    member = any(m.is_member_in(month) for m in memberships)
    if not member:
        if month_end(month) < first_joined:
            return [
                Problem(
                    f"{label} is before the organization joined the network on {long_date(first_joined)}",
                    f"a month from {first_joined:%Y-%m} on",
                    month=label,
                )
            ]
        return [
            Problem(
                f"the organization was not a partner in {label}", "a month of its membership", month=label
            )
        ]
    if is_locked(network, month, reopened_until, today):
        locks_after = report_locks_after(network, month)
        return [
            Problem(
                f"{label} was locked on {long_date(locks_after + datetime.timedelta(days=1))}",
                "ask the network's backbone staff to reopen the month",
                month=label,
            )
        ]
    return []
