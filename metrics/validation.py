"""The checks every way in (form, file, API) goes through before a report is stored.

A problem says where (line and column, where there are such), what is wrong and what is expected, in
words a partner understands. Anything with a problem is refused whole.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from core.calendar import is_locked, long_date, month_end, month_iso, month_name, report_locks_after
from core.problems import Problem
from metrics.catalogue import TOTAL_BREAKDOWN, TOTAL_CATEGORY, UNKNOWN, Catalogue
from network.models import Membership, Network

Cells = dict[tuple[str, str, str], int]  # (measure, breakdown, category) -> count
UNKNOWN_CATEGORY = UNKNOWN[0]


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
    """Known codes, whole counts, no cell twice, and every breakdown adding up to its measure's total.

    Every problem is found in one pass: a value with a problem of its own (an unknown category, say)
    leaves its breakdown unchecked, since its sum cannot be known, but every other breakdown is still
    checked. A breakdown left out entirely, once its measure has a total, was not collected: the total
    is counted under its unknown category (`not_collected`)."""
    cells: Cells = {}
    seen_at: dict[tuple[str, str, str], str] = {}
    problems: list[Problem] = []
    # (measure, breakdown) with a value whose own problem leaves the pair's sum unknown; "*" for any
    # (a value of an unknown breakdown might belong to any breakdown of its measure).
    unchecked: set[tuple[str, str]] = set()

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
            known_breakdown = value.breakdown in catalogue.breakdowns
            unchecked.add(("*", value.breakdown if known_breakdown else "*"))
            continue
        if value.breakdown not in catalogue.breakdowns:
            problem(
                value,
                f"unknown breakdown {value.breakdown!r}",
                f"one of {', '.join(catalogue.breakdowns)}",
                "breakdown",
            )
            unchecked.add((value.measure, "*"))
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
            unchecked.add((value.measure, value.breakdown))
            continue
        count = as_count(value.count)
        if count is None:
            problem(value, f"{value.count!r} is not a count", "a whole number, 0 or more", "count")
            unchecked.add((value.measure, value.breakdown))
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
            unchecked.add((value.measure, value.breakdown))
            continue
        cells[key] = count
        seen_at[key] = (
            f"on line {value.line}" if value.line else (f"at {value.column}" if value.column else "")
        )
    cells.update(not_collected_cells(catalogue, cells, unchecked))
    problems.extend(totals_check(catalogue, cells, month=month, unchecked=unchecked))
    return cells, problems


def not_collected_cells(
    catalogue: Catalogue, cells: Cells, unchecked: set[tuple[str, str]] = frozenset()
) -> Cells:
    """For each measure with a total above 0, each breakdown of which no category was given (not even
    a 0): the total, under the breakdown's unknown category. A partner who did not collect race says
    so by leaving it blank; a breakdown partly filled in must still add up."""
    given = {(measure, breakdown) for measure, breakdown, _ in cells}
    added: Cells = {}
    for (measure, breakdown, category), total in cells.items():
        if (breakdown, category) != (TOTAL_BREAKDOWN, TOTAL_CATEGORY) or not total:
            continue
        if _is_unchecked(unchecked, measure, TOTAL_BREAKDOWN):
            continue
        for other in catalogue.breakdowns:
            if other == TOTAL_BREAKDOWN or (measure, other) in given:
                continue
            if _is_unchecked(unchecked, measure, other):
                continue
            if UNKNOWN_CATEGORY in catalogue.categories[other]:
                added[measure, other, UNKNOWN_CATEGORY] = total
    return added


def _is_unchecked(unchecked: set[tuple[str, str]], measure: str, breakdown: str) -> bool:
    return bool(unchecked & {(measure, breakdown), (measure, "*"), ("*", breakdown), ("*", "*")})


def totals_check(
    catalogue: Catalogue,
    cells: Cells,
    *,
    month: str = "",
    unchecked: set[tuple[str, str]] = frozenset(),
) -> list[Problem]:
    """For each measure given, a total, and each breakdown's categories adding up to it. A pair in
    ``unchecked`` (measure, breakdown) has a value whose own problem is reported already: its sum is
    not known, so it is not checked (a bad total leaves its whole measure unchecked)."""
    sums: dict[tuple[str, str], int] = defaultdict(int)
    measures = sorted({measure for measure, _, _ in cells}, key=list(catalogue.measures).index)
    for (measure, breakdown, _), count in cells.items():
        sums[measure, breakdown] += count
    problems = []
    for measure in measures:
        if _is_unchecked(unchecked, measure, TOTAL_BREAKDOWN):
            continue
        total = cells.get((measure, TOTAL_BREAKDOWN, TOTAL_CATEGORY))
        if total is None:
            problems.append(
                Problem(f"{measure} has no total", f"a row for {measure}, total, all", month=month)
            )
            continue
        for breakdown, name in catalogue.breakdowns.items():
            if breakdown == TOTAL_BREAKDOWN or _is_unchecked(unchecked, measure, breakdown):
                continue
            given = sums.get((measure, breakdown), 0)
            if given != total:
                problems.append(
                    Problem(
                        f"{measure} by {name.lower()} adds up to {given}, but the total is {total}",
                        f"the {name.lower()} categories adding up to {total}; "
                        "count people you do not know under unknown, "
                        "or leave the whole breakdown blank if you did not collect it",
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
    returned: bool = False,
    check_lock: bool = True,
) -> list[Problem]:
    """The month is over, the organization was a partner in it, and (``check_lock``) it is not locked
    (a report returned for correction never is: ``returned``). Messages name the month as pages do ("November
    2026"); ``Problem.month`` keeps it as files and the API write it."""
    label, name = month_iso(month), month_name(month)
    if month > today.replace(day=1):
        return [Problem(f"{name} is in the future", "a month that is over", month=label)]
    if month == today.replace(day=1):
        # A month is reported once it is over: a count sent mid-month would read as the whole month's.
        reportable_from = month_end(month) + datetime.timedelta(days=1)
        return [
            Problem(
                f"{name} is not over yet: it can be reported from {long_date(reportable_from)}",
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
                    f"{name} is before the organization joined the network on {long_date(first_joined)}",
                    f"a month from {month_name(first_joined)} on",
                    month=label,
                )
            ]
        return [
            Problem(f"the organization was not a partner in {name}", "a month of its membership", month=label)
        ]
    if check_lock and is_locked(network, month, reopened_until, today, returned=returned):
        locks_after = report_locks_after(network, month)
        return [
            Problem(
                f"{name} was locked on {long_date(locks_after + datetime.timedelta(days=1))}",
                "ask the network's backbone staff to reopen the month",
                month=label,
            )
        ]
    return []
