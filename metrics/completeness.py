"""When each month is due, which months a partner owes, and which arrived: on time, late or missing.

A month is expected of a partner whose membership says it reports monthly, for each month it was a
member, once the month's due date has passed. Everything is counted over distinct (organization, month)
pairs, so joins, leaves, a partner rejoining or a month submitted twice never take a rate above 100 %.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from metrics.models import MonthlyReport, ReportStatus
from metrics.validation import (
    Problem,
    month_end,
    month_label,
    month_problems,
    report_due_on,
    report_locks_after,
)
from network.figures import Table
from network.models import Membership, Network
from partners.models import Organization

RECEIVED = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)


def month_add(month: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` after (or before) ``month``."""
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """First days of the months from ``first`` to ``last``, both included, oldest first."""
    months = []
    month = first.replace(day=1)
    while month <= last:
        months.append(month)
        month = month_add(month, 1)
    return months


def member_in(membership: Membership, month: datetime.date) -> bool:
    """The same rule `validation.month_problems` applies: a member for any day of the month."""
    return membership.joined_on <= month_end(month) and (
        membership.left_on is None or membership.left_on >= month
    )


def percent(part: int, whole: int) -> int | None:
    return None if not whole else round(100 * part / whole)


def is_locked(
    network: Network, month: datetime.date, reopened_until: datetime.date | None, today: datetime.date
) -> bool:
    """Past the lock date, unless backbone staff reopened the month until today or later."""
    if reopened_until and today <= reopened_until:
        return False
    return today > report_locks_after(network, month)


def submitted_on_time(
    network: Network, month: datetime.date, first_submitted_at: datetime.datetime | None
) -> bool:
    # A received report with no first submission time (older data) cannot prove it was on time.
    if first_submitted_at is None:
        return False
    return timezone.localdate(first_submitted_at) <= report_due_on(network, month)


# A partner's own months


@dataclass
class ReportingMonth:
    """One month of a partner's reporting, as its staff see it in their list."""

    month: datetime.date
    due_on: datetime.date
    locks_after: datetime.date
    report: MonthlyReport | None
    locked: bool
    on_time: bool | None  # None until first submitted
    today: datetime.date

    @property
    def label(self) -> str:
        return month_label(self.month)

    @property
    def status(self) -> str:
        report = self.report
        if report is None or report.current_version_id is None:
            return "not_started"
        if report.current_version.nothing_to_report and report.status in RECEIVED:
            return "nothing"
        return report.status

    @property
    def status_label(self) -> str:
        if self.status == "not_started":
            return "Not started"
        if self.status == "nothing":
            label = "Nothing to report"
            return f"{label} (approved)" if self.report.status == ReportStatus.APPROVED else label
        return self.report.get_status_display()

    @property
    def received(self) -> bool:
        return self.report is not None and self.report.status in RECEIVED

    @property
    def timing(self) -> str:
        """On time or late once submitted; before that, due, late or locked."""
        if self.on_time is not None:
            return "On time" if self.on_time else "Late"
        if self.locked:
            return "Locked"
        if self.today <= self.due_on:
            return "Due"
        return "Late"

    @property
    def days_to_due(self) -> int:
        return (self.due_on - self.today).days

    @property
    def editable(self) -> bool:
        return not self.locked


def reporting_months(
    *,
    network: Network,
    organization: Organization,
    today: datetime.date | None = None,
) -> list[ReportingMonth]:
    """Every month the organization was a partner, from the month it first joined up to the current
    month, newest first, with its report if there is one. Two queries."""
    today = today or timezone.localdate()
    memberships = list(Membership.objects.filter(network=network, organization=organization))
    if not memberships:
        return []
    first = min(m.joined_on for m in memberships).replace(day=1)
    current = today.replace(day=1)
    reports = {
        report.month: report
        for report in MonthlyReport.objects.filter(network=network, organization=organization).select_related(
            "current_version"
        )
    }
    months = []
    for month in reversed(months_between(first, current)):
        if not any(member_in(m, month) for m in memberships):
            continue
        report = reports.get(month)
        submitted_at = report.first_submitted_at if report else None
        months.append(
            ReportingMonth(
                month=month,
                due_on=report_due_on(network, month),
                locks_after=report_locks_after(network, month),
                report=report,
                locked=is_locked(network, month, report.reopened_until if report else None, today),
                on_time=None if submitted_at is None else submitted_on_time(network, month, submitted_at),
                today=today,
            )
        )
    return months


def report_month_problems(
    *,
    network: Network,
    organization: Organization,
    month: datetime.date,
    reopened_until: datetime.date | None,
    today: datetime.date | None = None,
) -> list[Problem]:
    """Why a month cannot take figures at all (future, not a partner, locked); empty if it can."""
    return month_problems(
        network=network,
        memberships=list(Membership.objects.filter(network=network, organization=organization)),
        month=month,
        today=today or timezone.localdate(),
        reopened_until=reopened_until,
    )


# Completeness, as backbone staff see it


class CellState:
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    NOT_DUE = "not_due"  # a member, but the due date has not passed yet
    NOT_EXPECTED = "not_expected"  # not a member that month, or not reporting monthly


CELL_LABELS = {
    CellState.ON_TIME: "On time",
    CellState.LATE: "Late",
    CellState.MISSING: "Missing",
    CellState.NOT_DUE: "Not due yet",
    CellState.NOT_EXPECTED: "Not expected",
}


@dataclass(frozen=True)
class CompletenessCell:
    state: str
    report_id: int | None = None
    status: str = ""  # the report's status, where there is a report
    locked: bool = False

    @property
    def label(self) -> str:
        return CELL_LABELS[self.state]


@dataclass
class Tally:
    expected: int = 0
    received: int = 0
    on_time: int = 0

    @property
    def late(self) -> int:
        return self.received - self.on_time

    @property
    def missing(self) -> int:
        return self.expected - self.received

    @property
    def received_percent(self) -> int | None:
        return percent(self.received, self.expected)

    @property
    def on_time_percent(self) -> int | None:
        return percent(self.on_time, self.expected)

    def count(self, state: str) -> None:
        if state in (CellState.ON_TIME, CellState.LATE, CellState.MISSING):
            self.expected += 1
        if state in (CellState.ON_TIME, CellState.LATE):
            self.received += 1
        if state == CellState.ON_TIME:
            self.on_time += 1


@dataclass
class PartnerCompleteness:
    organization: Organization
    cells: list[CompletenessCell]
    tally: Tally


@dataclass
class LockedMonth:
    organization: Organization
    month: datetime.date


@dataclass
class Completeness:
    months: list[datetime.date]  # oldest first
    partners: list[PartnerCompleteness]
    by_month: list[Tally]
    total: Tally
    locked_missing: list[LockedMonth] = field(default_factory=list)  # by partner, newest month first

    @property
    def first(self) -> datetime.date:
        return self.months[0]

    @property
    def last(self) -> datetime.date:
        return self.months[-1]


def last_due_month(network: Network, today: datetime.date) -> datetime.date:
    """The most recent month whose due date has passed."""
    month = month_add(today.replace(day=1), -1)
    while report_due_on(network, month) >= today:
        month = month_add(month, -1)
    return month


def completeness(
    *,
    network: Network,
    end: datetime.date | None = None,
    months: int = 12,
    today: datetime.date | None = None,
) -> Completeness:
    """Expected, received, on time, late and missing months per partner and per month, for the
    ``months`` months up to ``end`` (by default the latest month already due). Two queries, however
    many partners there are."""
    today = today or timezone.localdate()
    end = (end or last_due_month(network, today)).replace(day=1)
    window = months_between(month_add(end, -(months - 1)), end)
    memberships = list(
        Membership.objects.filter(network=network, reports_monthly=True, joined_on__lte=month_end(end))
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=window[0]))
        .select_related("organization")
        .order_by("organization__name", "organization_id", "joined_on")
    )
    reports = {
        (row["organization_id"], row["month"]): row
        for row in MonthlyReport.objects.filter(network=network, month__gte=window[0], month__lte=end).values(
            "id", "organization_id", "month", "status", "first_submitted_at", "reopened_until"
        )
    }
    by_organization: dict[int, list[Membership]] = defaultdict(list)
    for membership in memberships:
        by_organization[membership.organization_id].append(membership)

    by_month = [Tally() for _ in window]
    total = Tally()
    partners = []
    locked_missing = []
    for spells in by_organization.values():
        organization = spells[0].organization
        tally = Tally()
        cells = []
        for index, month in enumerate(window):
            report = reports.get((organization.pk, month))
            cell = _cell(network, month, spells, report, today)
            cells.append(cell)
            for counter in (tally, by_month[index], total):
                counter.count(cell.state)
            if cell.state == CellState.MISSING and cell.locked:
                locked_missing.append(LockedMonth(organization, month))
        partners.append(PartnerCompleteness(organization, cells, tally))
    locked_missing.sort(
        key=lambda item: (item.organization.name, item.organization.pk, -item.month.toordinal())
    )
    return Completeness(window, partners, by_month, total, locked_missing)


def _cell(
    network: Network,
    month: datetime.date,
    spells: list[Membership],
    report: dict | None,
    today: datetime.date,
) -> CompletenessCell:
    report_id = report["id"] if report else None
    status = report["status"] if report else ""
    locked = is_locked(network, month, report["reopened_until"] if report else None, today)
    if not any(member_in(spell, month) for spell in spells):
        return CompletenessCell(CellState.NOT_EXPECTED, report_id, status, locked)
    if report_due_on(network, month) >= today:
        return CompletenessCell(CellState.NOT_DUE, report_id, status, locked)
    if status not in RECEIVED:
        return CompletenessCell(CellState.MISSING, report_id, status, locked)
    on_time = submitted_on_time(network, month, report["first_submitted_at"])
    return CompletenessCell(CellState.ON_TIME if on_time else CellState.LATE, report_id, status, locked)


def _percent_text(value: int | None) -> str:
    return "—" if value is None else f"{value} %"


TALLY_COLUMNS = ["Expected", "Received", "On time", "Late", "Missing", "Received (%)", "On time (%)"]


def _tally_cells(tally: Tally) -> list[object]:
    return [
        tally.expected,
        tally.received,
        tally.on_time,
        tally.late,
        tally.missing,
        _percent_text(tally.received_percent),
        _percent_text(tally.on_time_percent),
    ]


def completeness_tables(data: Completeness) -> tuple[Table, Table]:
    """The grid (partners by month, with each partner's totals) and the totals per month, as tables
    that download as CSV."""
    period = f"{data.first:%B %Y} to {data.last:%B %Y}"
    grid = Table(
        caption=f"Reports by partner, {period}",
        columns=[
            "Partner",
            *(f"{month:%b %Y}" for month in data.months),
            *TALLY_COLUMNS,
        ],
        slug="completeness-by-partner",
    )
    rows = [(row.organization.name, [cell.label for cell in row.cells], row.tally) for row in data.partners]
    rows.append(("All partners", [f"{t.received} of {t.expected}" for t in data.by_month], data.total))
    for name, cells, tally in rows:
        grid.rows.append([name, *cells, *_tally_cells(tally)])
    by_month = Table(
        caption=f"Reports by month, {period}",
        columns=["Month", *TALLY_COLUMNS],
        slug="completeness-by-month",
        rows=[
            [f"{month:%B %Y}", *_tally_cells(tally)]
            for month, tally in zip(data.months, data.by_month, strict=True)
        ],
    )
    return grid, by_month
