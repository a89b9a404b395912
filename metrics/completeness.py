"""When each month is due, which months a partner owes, and which arrived: on time, late or missing.

A month is expected of a partner whose membership says it reports monthly, for each month it was a
member, once the month's due date has passed. Everything is counted over distinct (organization, month)
pairs, so joins, leaves, a partner rejoining or a month submitted twice never take a rate above 100 %.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.calendar import (
    is_locked,
    month_add,
    month_iso,
    month_of,
    month_range,
    report_due_on,
    report_locks_after,
)
from core.figures import Table
from core.numbers import percent
from core.problems import Problem
from metrics.models import MonthlyReport, ReportStatus, month_locked
from metrics.validation import month_problems
from network.models import Membership, Network
from network.partnership.engagement import Period, ReportsOnTime
from partners.models import Organization

RECEIVED = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)


def reports_on_time_by_partner(
    *, network: Network, period: Period, today: datetime.date | None = None
) -> dict[int, ReportsOnTime]:
    """Each partner's months whose due date fell in the period (and has passed), and how many of them
    it first submitted by the due date, for the engagement page. Expected as on the completeness page:
    a partner that reports monthly, for each month it was a member. A month submitted late, or not yet
    received, is due and not on time. Two queries."""
    today = today or timezone.localdate()
    last_day = min(period.end, today - datetime.timedelta(days=1))  # due today is not yet late
    months = [
        month
        for month in month_range(month_add(month_of(period.start), -2), month_of(period.end))
        if period.start <= report_due_on(network, month) <= last_day
    ]
    if not months:
        return {}
    spells: dict[int, list[Membership]] = defaultdict(list)
    for membership in Membership.objects.during(months[0], months[-1]).filter(
        network=network, reports_monthly=True
    ):
        spells[membership.organization_id].append(membership)
    first_submitted = {
        (row["organization_id"], row["month"]): row["first_submitted_at"]
        for row in MonthlyReport.objects.filter(
            network=network, month__in=months, status__in=RECEIVED
        ).values("organization_id", "month", "first_submitted_at")
    }
    counts = {}
    for organization_id, memberships in spells.items():
        due = [month for month in months if any(spell.is_member_in(month) for spell in memberships)]
        on_time = sum(
            submitted_on_time(network, month, first_submitted.get((organization_id, month))) for month in due
        )
        counts[organization_id] = ReportsOnTime(due=len(due), on_time=on_time)
    return counts


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
        return month_iso(self.month)

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
    """Every month the organization was a partner, from the month it first joined up to the last month
    that is over (the current one is reported once it ends), newest first, with its report if there is
    one. Two queries."""
    today = today or timezone.localdate()
    memberships = list(Membership.objects.filter(network=network, organization=organization))
    if not memberships:
        return []
    first = min(m.joined_on for m in memberships).replace(day=1)
    current = month_add(today.replace(day=1), -1)
    reports = {
        report.month: report
        for report in MonthlyReport.objects.filter(network=network, organization=organization).select_related(
            "current_version"
        )
    }
    months = []
    for month in reversed(month_range(first, current)):
        if not any(m.is_member_in(month) for m in memberships):
            continue
        report = reports.get(month)
        submitted_at = report.first_submitted_at if report else None
        months.append(
            ReportingMonth(
                month=month,
                due_on=report_due_on(network, month),
                locks_after=report_locks_after(network, month),
                report=report,
                locked=month_locked(network, month, report, today),
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
    returned: bool = False,
) -> list[Problem]:
    """Why a month cannot take figures at all (future, not a partner, locked); empty if it can. A
    report returned for correction (``returned``) takes its correction whatever its lock date."""
    return month_problems(
        network=network,
        memberships=list(Membership.objects.filter(network=network, organization=organization)),
        month=month,
        today=today or timezone.localdate(),
        reopened_until=reopened_until,
        returned=returned,
    )


# Complete months: what progress counts


# A report is in, for progress, when its figures are in the rollups (approved) or it says there was
# nothing to report (submitted or approved): either way the month's count from that partner is known.
IN_FOR_PROGRESS = Q(status=ReportStatus.APPROVED) | Q(
    status=ReportStatus.SUBMITTED, current_version__nothing_to_report=True
)


@dataclass(frozen=True)
class MonthReporting:
    """How far one month's reports are in, for a network or a group of networks (a state's): the
    reports expected (partners that report monthly and were members that month) and those in for
    progress (`IN_FOR_PROGRESS`). A month is complete once it is over and its reports are in, or enough
    of them for the network's completeness threshold; until then its figures are provisional."""

    month: datetime.date
    expected: int
    received: int
    complete: bool

    @property
    def partners_words(self) -> str:
        """ "3 of 5 partners have reported", for the pages."""
        if not self.expected:
            return "no partner owed a report"
        noun = "partner has" if self.expected == 1 else "partners have"
        return f"{self.received} of {self.expected} {noun} reported"

    @property
    def short_words(self) -> str:
        """ "3 of 5 reported, provisional", for a table cell."""
        said = f"{self.received} of {self.expected} reported" if self.expected else "no report owed"
        return said if self.complete else f"{said}, provisional"


def month_complete(*, expected: int, received: int, threshold: int) -> bool:
    """Every expected report in, or at least ``threshold`` % of them; a month nobody owes a report is
    complete."""
    return received * 100 >= threshold * expected


def months_over(first: datetime.date, last: datetime.date, today: datetime.date) -> list[datetime.date]:
    """The months from ``first`` to ``last`` that are over by ``today`` (the current month is still
    being lived, so it has nothing to report yet)."""
    return month_range(first, min(last, month_add(today.replace(day=1), -1)))


def reporting_by_month(
    *,
    networks: Sequence[Network],
    first: datetime.date,
    last: datetime.date,
    today: datetime.date,
    counted: Q = IN_FOR_PROGRESS,
) -> dict[int, dict[datetime.date, MonthReporting]]:
    """For each network, each month from ``first`` to ``last`` that is over: its reports expected and
    in (``counted``: by default those in for progress), and whether it is complete by the network's
    ``completeness_threshold``. Two queries, however many partners and months."""
    months = months_over(first, last, today)
    found: dict[int, dict[datetime.date, MonthReporting]] = {network.pk: {} for network in networks}
    if not months or not networks:
        return found
    expected = _expected_by_month(networks, months)
    received = _received_by_month(networks, months, counted)
    for network in networks:
        for month in months:
            owed = expected.get((network.pk, month), 0)
            got = received.get((network.pk, month), 0)
            found[network.pk][month] = MonthReporting(
                month,
                owed,
                got,
                month_complete(expected=owed, received=got, threshold=network.completeness_threshold),
            )
    return found


def _expected_by_month(
    networks: Sequence[Network], months: list[datetime.date]
) -> dict[tuple[int, datetime.date], int]:
    """Distinct partners that report monthly and were members, by network and month: one query."""
    spells: dict[tuple[int, int], list[Membership]] = defaultdict(list)
    for membership in (
        Membership.objects.during(months[0], months[-1])
        .filter(network__in=list(networks), reports_monthly=True)
        .only("network_id", "organization_id", "joined_on", "left_on")
    ):
        spells[membership.network_id, membership.organization_id].append(membership)
    expected: dict[tuple[int, datetime.date], int] = defaultdict(int)
    for (network_id, _), memberships in spells.items():
        for month in months:
            if any(membership.is_member_in(month) for membership in memberships):
                expected[network_id, month] += 1
    return expected


def _received_by_month(
    networks: Sequence[Network], months: list[datetime.date], counted: Q
) -> dict[tuple[int, datetime.date], int]:
    """Reports in for progress from partners expected to report that month, by network and month: one
    grouped query (a report from a partner that does not report monthly is welcome, but not owed)."""
    owed = Membership.objects.annotate(joined_month=TruncMonth("joined_on")).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=OuterRef("month")),
        network_id=OuterRef("network_id"),
        organization_id=OuterRef("organization_id"),
        reports_monthly=True,
        joined_month__lte=OuterRef("month"),
    )
    rows = (
        MonthlyReport.objects.filter(
            counted, network__in=list(networks), month__gte=months[0], month__lte=months[-1]
        )
        .filter(Exists(owed))
        .values("network_id", "month")
        .annotate(received=Count("organization_id", distinct=True))
        .order_by()
    )
    return {(row["network_id"], row["month"]): row["received"] for row in rows}


def reporting_combined(
    networks: Sequence[Mapping[datetime.date, MonthReporting]],
) -> dict[datetime.date, MonthReporting]:
    """The reporting of a group of networks (a state's): their reports expected and in, added up; a
    month is complete when it is complete in every network, each by its own threshold."""
    months = sorted({month for reporting in networks for month in reporting})
    combined = {}
    for month in months:
        found = [reporting[month] for reporting in networks if month in reporting]
        combined[month] = MonthReporting(
            month,
            sum(r.expected for r in found),
            sum(r.received for r in found),
            all(r.complete for r in found),
        )
    return combined


def partners_reporting_by_month(
    *,
    network: Network,
    organization_ids: Iterable[int],
    first: datetime.date,
    last: datetime.date,
    today: datetime.date,
) -> dict[int, dict[datetime.date, MonthReporting]]:
    """`reporting_by_month` of single partners: for each organization, each month from ``first`` to
    ``last`` that is over, with 1 report expected where it reported monthly as a member that month (else
    0, and the month is complete: nothing was owed) and 1 in where its report is in for progress. Two
    queries, however many partners."""
    ids = sorted(set(organization_ids))
    months = months_over(first, last, today)
    found: dict[int, dict[datetime.date, MonthReporting]] = {pk: {} for pk in ids}
    if not months or not ids:
        return found
    spells: dict[int, list[Membership]] = defaultdict(list)
    for membership in Membership.objects.filter(
        network=network, organization_id__in=ids, reports_monthly=True
    ).only("organization_id", "joined_on", "left_on"):
        spells[membership.organization_id].append(membership)
    reported = set(
        MonthlyReport.objects.filter(
            IN_FOR_PROGRESS,
            network=network,
            organization_id__in=ids,
            month__gte=months[0],
            month__lte=months[-1],
        ).values_list("organization_id", "month")
    )
    for pk in ids:
        for month in months:
            owed = int(any(membership.is_member_in(month) for membership in spells[pk]))
            got = owed and int((pk, month) in reported)
            found[pk][month] = MonthReporting(
                month, owed, got, month_complete(expected=owed, received=got, threshold=100)
            )
    return found


def counted_to(
    reporting: Mapping[datetime.date, MonthReporting], months: Iterable[datetime.date]
) -> datetime.date | None:
    """The last of ``months`` (oldest first) up to which every month is complete: progress counts these
    and no later one, so a partner reporting early never makes the months before it look like zeros."""
    last = None
    for month in months:
        found = reporting.get(month)
        if found is None or not found.complete:
            break
        last = month
    return last


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
    # Each month's reports in for progress (approved, or nothing to report) and whether it is complete.
    progress: dict[datetime.date, MonthReporting] = field(default_factory=dict)

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
    window = month_range(month_add(end, -(months - 1)), end)
    memberships = list(
        Membership.objects.during(window[0], end)
        .filter(network=network, reports_monthly=True)
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
    progress = reporting_by_month(networks=[network], first=window[0], last=end, today=today)[network.pk]
    return Completeness(window, partners, by_month, total, locked_missing, progress)


def _cell(
    network: Network,
    month: datetime.date,
    spells: list[Membership],
    report: dict | None,
    today: datetime.date,
) -> CompletenessCell:
    report_id = report["id"] if report else None
    status = report["status"] if report else ""
    locked = is_locked(
        network,
        month,
        report["reopened_until"] if report else None,
        today,
        returned=status == ReportStatus.RETURNED,
    )
    if not any(spell.is_member_in(month) for spell in spells):
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


def _progress_cells(reporting: MonthReporting | None) -> list[object]:
    if reporting is None:
        return [None, "Not over yet"]
    in_words = f"{reporting.received} of {reporting.expected}" if reporting.expected else "None owed"
    return [in_words, "Complete" if reporting.complete else "Provisional"]


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
        columns=["Month", *TALLY_COLUMNS, "In for progress", "Counted toward goals"],
        slug="completeness-by-month",
        rows=[
            [f"{month:%B %Y}", *_tally_cells(tally), *_progress_cells(data.progress.get(month))]
            for month, tally in zip(data.months, data.by_month, strict=True)
        ],
    )
    return grid, by_month
