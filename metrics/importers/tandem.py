"""Tandem's template, as a CSV file or an Excel workbook: one row per count, any number of months in
one file.

Columns, found by header name in any order and case: ``org_code, month, measure, breakdown, category,
count``. Other columns (the template's ``category_name``) are ignored. ``month`` is ``YYYY-MM``. A blank
count is 0, so a partner fills in only the groups they had; a measure whose counts are all blank in a
month is not given at all, and keeps what is stored for it (filling in referrals does not wipe the
enrollments a DPRP file gave).

This module reads and checks the rows; the codes, counts, totals and months are checked by
`metrics.validation` through `metrics.services.report_check`, as for every other way in.
"""

import datetime
import io
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from core.calendar import month_name
from core.figures import csv_text, csv_write, xlsx_bytes
from core.problems import Problem
from metrics.catalogue import COUNTY_BREAKDOWN, TOTAL_BREAKDOWN, TOTAL_CATEGORY, Catalogue
from metrics.importers.encoding import Table, missing_columns
from metrics.validation import ValueIn, parse_month

COLUMNS = ["org_code", "month", "measure", "breakdown", "category", "count"]
TEMPLATE_COLUMNS = [*COLUMNS, "category_name"]  # the name helps a person; it is not read back

Progress = Callable[[int], None]


@dataclass
class TandemMonth:
    """The rows of one month as read, blank counts resolved."""

    month: datetime.date
    first_line: int
    values: list[ValueIn] = field(default_factory=list)
    # measure -> the line of its total row (or of its first row), where whole-measure problems point
    measure_lines: dict[str, int] = field(default_factory=dict)
    blank_measures: list[str] = field(default_factory=list)  # left blank: stored counts are kept


@dataclass
class TandemRead:
    months: dict[datetime.date, TandemMonth]
    problems: list[Problem]
    rows: int


def _org_code_expected(org_code: str) -> str:
    if org_code:
        return f"the organization's DPRP organization code, {org_code}"
    return "empty: the organization has no DPRP organization code in Tandem"


def tandem_read(
    table: Table, *, org_code: str, measures: Collection[str], progress: Progress | None = None
) -> TandemRead:
    """Every row of a Tandem CSV file, grouped by month, with the problems a row shows on its own.
    ``measures`` are the catalogue's: a row of an unknown measure is kept, for validation to refuse."""
    problems = missing_columns(table, COLUMNS)
    if problems:
        return TandemRead({}, problems, 0)
    org_code = (org_code or "").strip()
    # month -> measure -> [(value as read, count was blank)]
    read: dict[datetime.date, list[tuple[ValueIn, bool]]] = {}
    first_lines: dict[datetime.date, int] = {}
    rows = 0
    for row in table.rows(progress, problems):  # a malformed line is a problem, never a guess
        rows += 1
        # The template quotes a code that begins like a formula (core.figures.csv_cell).
        given_code = csv_text(table.value(row, "org_code"))
        if given_code.casefold() != org_code.casefold():
            problems.append(
                Problem(
                    f"the organization code {given_code!r} is not this organization's"
                    if given_code
                    else "the organization code is missing",
                    _org_code_expected(org_code),
                    row.line,
                    "org_code",
                )
            )
        month_text = table.value(row, "month")
        month = parse_month(month_text)
        if month is None:
            problems.append(
                Problem(
                    f"{month_text!r} is not a month" if month_text else "the month is missing",
                    "a month written YYYY-MM, such as 2024-03",
                    row.line,
                    "month",
                )
            )
            continue
        breakdown = csv_text(table.value(row, "breakdown")).lower()
        category = csv_text(table.value(row, "category")).lower()
        if breakdown == COUNTY_BREAKDOWN and category.isascii() and category.isdigit() and len(category) < 5:
            category = category.zfill(5)  # spreadsheets drop the leading zero of a FIPS code
        count = table.value(row, "count")
        measure = csv_text(table.value(row, "measure")).lower()
        value = ValueIn(measure, breakdown, category, count or 0, row.line)
        read.setdefault(month, []).append((value, not count))
        first_lines.setdefault(month, row.line)
    if table.malformed:
        # Lines that could not be read leave the months incomplete: checking them would only add
        # problems that are not there (a total "missing" because its line was malformed).
        return TandemRead({}, problems, rows)
    if rows == 0 and not problems:
        problems.append(Problem("the file has a header row but no counts", "one row per count", line=2))
    months = {month: _month(month, first_lines[month], values, measures) for month, values in read.items()}
    for tandem_month in months.values():
        if not tandem_month.values:
            problems.append(
                Problem(
                    f"every count of {month_name(tandem_month.month)} is blank",
                    "the month's counts (0 where there was no one), or leave the month out of the file",
                    tandem_month.first_line,
                    "count",
                    f"{tandem_month.month:%Y-%m}",
                )
            )
    return TandemRead(dict(sorted(months.items())), problems, rows)


def _month(
    month: datetime.date, first_line: int, values: list[tuple[ValueIn, bool]], measures: Collection[str]
) -> TandemMonth:
    """Blank counts are 0, except in a measure whose counts are all blank: that one is not given."""
    filled = {value.measure for value, blank in values if not blank or value.measure not in measures}
    result = TandemMonth(month, first_line)
    for value, _ in values:
        if value.measure not in filled:
            if value.measure not in result.blank_measures:
                result.blank_measures.append(value.measure)
            continue
        result.values.append(value)
        if (value.breakdown, value.category) == (TOTAL_BREAKDOWN, TOTAL_CATEGORY):
            result.measure_lines[value.measure] = value.line or first_line
        else:
            result.measure_lines.setdefault(value.measure, value.line or first_line)
    return result


def _template_rows(catalogue: Catalogue, *, org_code: str, month: datetime.date) -> list[list[str]]:
    """Every measure, breakdown and category of one month, counts left empty."""
    return [
        [org_code or "", f"{month:%Y-%m}", measure, breakdown, info.code, "", info.name]
        for measure in catalogue.measures
        for breakdown, categories in catalogue.categories.items()
        for info in categories.values()
    ]


def template_csv(catalogue: Catalogue, *, org_code: str, month: datetime.date) -> str:
    """The template for one month as CSV."""
    out = io.StringIO()
    csv_write(
        out,
        [TEMPLATE_COLUMNS, *_template_rows(catalogue, org_code=org_code, month=month)],
        lineterminator="\r\n",
    )
    return out.getvalue()


# Widths of the template's columns in an Excel workbook, in characters (category_name: county names).
TEMPLATE_WIDTHS = [12, 10, 20, 15, 24, 8, 40]


def template_xlsx(catalogue: Catalogue, *, org_code: str, month: datetime.date) -> bytes:
    """The template for one month as an Excel workbook: the same rows, written as text (so a month stays
    "2026-10" and a FIPS code keeps its leading zero), with the measure and breakdown columns offering
    the catalogue's codes in a drop-down list."""
    return xlsx_bytes(
        [TEMPLATE_COLUMNS, *_template_rows(catalogue, org_code=org_code, month=month)],
        title=f"Tandem {month:%Y-%m}",
        widths=TEMPLATE_WIDTHS,
        lists={
            COLUMNS.index("measure"): list(catalogue.measures),
            COLUMNS.index("breakdown"): list(catalogue.breakdowns),
        },
    )
