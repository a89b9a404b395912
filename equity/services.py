"""Writes: importing eligible-population estimates."""

import csv
from collections import defaultdict

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from core.ids import whole_number
from core.problems import Problem, ReportRefused
from equity.models import EligibleEstimate, EstimateSource
from metrics.catalogue import COUNTY_BREAKDOWN, UNKNOWN
from metrics.importers.encoding import csv_error_problem, missing_columns
from metrics.importers.workbook import table_read
from metrics.models import Category
from partners.models import State

ESTIMATE_COLUMNS = ["state", "breakdown", "category", "estimate"]
MAX_ESTIMATE = 50_000_000  # more adults than any state has


def estimates_import(
    *,
    data: bytes,
    name: str,
    year: int,
    url: str = "",
    notes: str = "",
    user: AbstractBaseUser | None = None,
) -> EstimateSource:
    """Read a CSV file or an Excel workbook (its first sheet) of estimates (state, breakdown, category,
    estimate) and make it the current estimates of the states and breakdowns it covers. Any problem
    refuses the whole file, listing every problem, with the same lines and columns either way; nothing
    is stored then."""
    table, problems = table_read(data)
    if table is None:
        raise ReportRefused(problems)
    if problems := missing_columns(table, ESTIMATE_COLUMNS):
        raise ReportRefused(problems)
    states = {state.code: state for state in State.objects.all()}
    states |= {state.fips: state for state in states.values()}
    categories = {
        (category.breakdown.code, category.code): category
        for category in Category.objects.select_related("breakdown", "county")
    }
    rows: dict[tuple[int, int], tuple[State, Category, int]] = {}
    first_line: dict[tuple[int, int], int] = {}
    last_line = 1
    try:
        for row in table.rows():
            last_line = row.line
            state_text = table.value(row, "state").upper()
            breakdown = table.value(row, "breakdown").lower()
            code = table.value(row, "category")
            if breakdown == COUNTY_BREAKDOWN and code.isascii() and code.isdigit() and len(code) < 5:
                code = code.zfill(5)  # spreadsheets drop the leading zero of a FIPS code
            code = code if breakdown == COUNTY_BREAKDOWN else code.lower()
            state = states.get(state_text)
            category = categories.get((breakdown, code))
            if state is None:
                problems.append(
                    Problem(f"no state {state_text!r}", "a state's postal code, e.g. KS", row.line, "state")
                )
            if category is None:
                problems.append(
                    Problem(
                        f"no category {code!r} in the breakdown {breakdown!r}",
                        "a breakdown and category code of Tandem's catalogue (county: the 5-digit FIPS code)",
                        row.line,
                        "category",
                    )
                )
            elif category.code == UNKNOWN[0]:
                problems.append(
                    Problem("“unknown” has no eligible population", "a known category", row.line, "category")
                )
            elif state and category.county and category.county.state_id != state.pk:
                problems.append(
                    Problem(f"county {code} is not in {state.name}", "a county of the row's state", row.line)
                )
            estimate = _whole_number(table.value(row, "estimate"))
            if estimate is None:
                problems.append(
                    Problem(
                        f"the estimate {table.value(row, 'estimate')!r} is not a whole number from 0 up",
                        f"a whole number of adults from 0 to {MAX_ESTIMATE:,}",
                        row.line,
                        "estimate",
                    )
                )
            if state is None or category is None or estimate is None:
                continue
            key = (state.pk, category.pk)
            if key in rows:
                problems.append(
                    Problem(
                        f"{state.code} {breakdown} {code} appears twice (first on line {first_line[key]})",
                        "one row per state and category",
                        row.line,
                    )
                )
                continue
            rows[key], first_line[key] = (state, category, estimate), row.line
    except csv.Error as error:
        problems.append(csv_error_problem(error, last_line + 1))
    if not rows and not problems:
        problems.append(Problem("the file has no estimates", "one row per state and category", line=2))
    if problems:
        raise ReportRefused(problems)
    with transaction.atomic():
        source = EstimateSource.objects.create(name=name, year=year, url=url, notes=notes, imported_by=user)
        covered: dict[int, set[int]] = defaultdict(set)
        for state, category, _ in rows.values():
            covered[state.pk].add(category.breakdown_id)
        for state_id, breakdown_ids in covered.items():
            EligibleEstimate.objects.filter(
                state_id=state_id, category__breakdown_id__in=breakdown_ids
            ).delete()
        EligibleEstimate.objects.bulk_create(
            [
                EligibleEstimate(state=state, category=category, estimate=estimate, source=source)
                for state, category, estimate in rows.values()
            ],
            batch_size=2000,
        )
    return source


def _whole_number(text: str) -> int | None:
    return whole_number(text.replace(",", ""), low=0, high=MAX_ESTIMATE)
