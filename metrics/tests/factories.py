"""Valid monthly figures for tests: every breakdown of each measure adds up to its total; and a CSV
file's rows as the Excel workbook a person would type them into."""

import csv
import datetime
import io
import random
import re

import openpyxl
from django.contrib.auth.models import AbstractBaseUser

from core.calendar import month_add
from metrics import services
from metrics.catalogue import TOTAL_BREAKDOWN, TOTAL_CATEGORY, Catalogue
from metrics.models import MonthlyReport, ReportSource
from metrics.validation import ValueIn
from network.models import Network
from partners.models import Organization


def split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` spread over ``parts`` whole numbers at random."""
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def values_for(network: Network, totals: dict[str, int], seed: int = 0, counties: int = 3) -> list[ValueIn]:
    """One month's values: each measure's total spread over every category of every breakdown (the
    county breakdown over the state's first ``counties`` counties and unknown)."""
    catalogue = Catalogue.for_state(network.state_id)
    rng = random.Random(seed)
    values = []
    for measure, total in totals.items():
        values.append(ValueIn(measure, TOTAL_BREAKDOWN, TOTAL_CATEGORY, total))
        for breakdown, categories in catalogue.categories.items():
            if breakdown == TOTAL_BREAKDOWN:
                continue
            codes = list(categories)
            if len(codes) > counties + 1:
                codes = [*codes[:counties], "unknown"]
            for code, count in zip(codes, split(total, len(codes), rng), strict=True):
                values.append(ValueIn(measure, breakdown, code, count))
    return values


def report_approved(
    *,
    network: Network,
    organization: Organization,
    month: datetime.date,
    totals: dict[str, int],
    user: AbstractBaseUser,
    seed: int = 0,
) -> MonthlyReport:
    """A month submitted and approved, through the services (run inside
    ``django_capture_on_commit_callbacks(execute=True)`` for the rollups to follow)."""
    report = submit(
        network=network, organization=organization, month=month, totals=totals, user=user, seed=seed
    )
    return services.report_approve(report=report, version=report.current_version.number, user=user)


def submit(
    *,
    network: Network,
    organization: Organization,
    month: datetime.date,
    totals: dict[str, int],
    user: AbstractBaseUser,
    seed: int = 0,
) -> MonthlyReport:
    return services.report_save(
        network=network,
        organization=organization,
        month=month,
        values=values_for(network, totals, seed=seed),
        user=user,
        source=ReportSource.API,
        submit=True,
        today=month_add(month, 1) + datetime.timedelta(days=3),
    )


def _typed(text: str, column: str) -> object:
    """A cell as a person types it in Excel: a month becomes a date, digits a number (odd ones stored
    as 12.0, as a sum or a paste from another program leaves them; a leading zero is lost, as in
    Excel), a decimal a float; anything else stays text, an empty cell empty."""
    if not text:
        return None
    if column == "month" and re.fullmatch(r"\d{4}-\d{2}", text):
        return datetime.datetime(int(text[:4]), int(text[5:]), 1)
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+|-?\d+", text):
        number = int(text.replace(",", ""))
        return float(number) if number % 2 else number
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


def workbook_of(data: bytes, *, formulas: dict[str, str] | None = None) -> bytes:
    """A CSV file's rows in the first sheet of an Excel workbook, typed as Excel types them (a second
    sheet, which Tandem does not read, holds something else), with ``formulas`` put in cells."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    header = rows[0]
    sheet.append(header)
    for row in rows[1:]:
        sheet.append(
            [_typed(cell, header[i].strip() if i < len(header) else "") for i, cell in enumerate(row)]
        )
    for cell, formula in (formulas or {}).items():
        sheet[cell] = formula
    workbook.create_sheet("Notes").append(["anything", "here", "is", "not", "read"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
