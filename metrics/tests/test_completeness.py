"""Completeness: expected, received, on time, late and missing months per partner and per month, never
above 100 % whatever joins, leaves, rejoins or double submissions happen; and a partner's own months."""

import datetime
import random

import pytest
from django.utils import timezone

from core.calendar import month_add
from metrics import services
from metrics.completeness import (
    CellState,
    completeness,
    completeness_tables,
    last_due_month,
    reporting_months,
    reports_on_time_by_partner,
)
from metrics.models import MonthlyReport, ReportSource, ReportStatus
from metrics.tests.factories import values_for
from network.models import Membership
from network.partnership.engagement import Period, ReportsOnTime, engagement_by_partner
from network.tests.factories import MembershipFactory, NetworkFactory
from partners.tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

# Due on the 15th of the following month, locked 30 days later. On 2024-07-20 June is the latest month due.
TODAY = datetime.date(2024, 7, 20)
END = datetime.date(2024, 6, 1)


def d(year: int, month: int, day: int = 1) -> datetime.date:
    return datetime.date(year, month, day)


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, 12, 0))


@pytest.fixture
def network():
    return NetworkFactory(slug="kansas")


def partner(network, name: str, *spells: tuple[datetime.date, datetime.date | None], monthly: bool = True):
    organization = SupplierFactory(name=name)
    for joined_on, left_on in spells:
        MembershipFactory(
            network=network,
            organization=organization,
            joined_on=joined_on,
            left_on=left_on,
            reports_monthly=monthly,
        )
    return organization


def report(
    network, organization, month, *, status=ReportStatus.SUBMITTED, submitted_on=None
) -> MonthlyReport:
    """A report row as the workflow leaves it; submitted on the 10th of the following month by default."""
    received = status != ReportStatus.DRAFT
    submitted_on = submitted_on or month_add(month, 1).replace(day=10)
    return MonthlyReport.objects.create(
        network=network,
        organization=organization,
        month=month,
        status=status,
        first_submitted_at=at(submitted_on) if received else None,
        submitted_at=at(submitted_on) if received else None,
    )


def row_of(data, organization):
    return next(row for row in data.partners if row.organization == organization)


def states(row) -> list[str]:
    return [cell.state for cell in row.cells]


def test_the_window_ends_with_the_latest_month_already_due(network):
    assert last_due_month(network, TODAY) == END
    assert last_due_month(network, d(2024, 7, 15)) == d(2024, 5, 1)  # June is due today, not yet passed
    data = completeness(network=network, today=TODAY)
    assert data.months[0] == d(2023, 7, 1) and data.last == END and len(data.months) == 12


def test_on_time_late_missing_and_not_expected(network):
    organization = partner(network, "Prairie YMCA", (d(2024, 3, 20), None))
    report(network, organization, d(2024, 3, 1))  # submitted April 10: on time
    report(network, organization, d(2024, 4, 1), submitted_on=d(2024, 5, 16))  # a day late
    report(network, organization, d(2024, 5, 1), status=ReportStatus.APPROVED, submitted_on=d(2024, 6, 15))
    # June: nothing. July is not due yet and is outside the window anyway.
    data = completeness(network=network, end=END, today=TODAY)
    row = row_of(data, organization)
    assert states(row)[-4:] == [CellState.ON_TIME, CellState.LATE, CellState.ON_TIME, CellState.MISSING]
    assert set(states(row)[:-4]) == {CellState.NOT_EXPECTED}  # before it joined
    tally = row.tally
    assert (tally.expected, tally.received, tally.on_time, tally.late, tally.missing) == (4, 3, 2, 1, 1)
    assert (tally.received_percent, tally.on_time_percent) == (75, 50)
    assert data.total.expected == 4


def test_drafts_and_returned_reports_are_missing_and_nothing_to_report_is_received(network):
    organization = partner(network, "Prairie YMCA", (d(2023, 1, 1), None))
    report(network, organization, d(2024, 4, 1), status=ReportStatus.DRAFT)
    report(network, organization, d(2024, 5, 1), status=ReportStatus.RETURNED)
    nothing = services.report_nothing_to_report(
        network=network, organization=organization, month=END, user=None, today=d(2024, 7, 2)
    )
    MonthlyReport.objects.filter(pk=nothing.pk).update(first_submitted_at=at(d(2024, 7, 2)))
    row = row_of(completeness(network=network, end=END, today=TODAY), organization)
    assert states(row)[-3:] == [CellState.MISSING, CellState.MISSING, CellState.ON_TIME]


def test_a_month_submitted_twice_counts_once(network):
    organization = partner(network, "Prairie YMCA", (d(2023, 1, 1), None))
    for seed in range(3):  # three versions of June, each submitted
        services.report_save(
            network=network,
            organization=organization,
            month=END,
            values=values_for(network, {"enrollments": 3 + seed}, seed=seed),
            user=None,
            source=ReportSource.API,
            submit=True,
            today=d(2024, 7, 2),
        )
    data = completeness(network=network, end=END, today=d(2026, 1, 1))
    june = data.by_month[-1]
    assert (june.expected, june.received) == (1, 1)
    assert row_of(data, organization).tally.received == 1
    assert (data.total.expected, data.total.received) == (12, 1)


def test_a_partner_that_leaves_and_rejoins_owes_only_its_member_months(network):
    organization = partner(network, "Prairie YMCA", (d(2023, 6, 15), d(2024, 1, 10)), (d(2024, 4, 2), None))
    for month in (
        d(2023, 9, 1),
        d(2024, 2, 1),
        d(2024, 3, 1),
        d(2024, 4, 1),
    ):  # February and March: not a member
        report(network, organization, month)
    data = completeness(network=network, end=END, today=TODAY)
    row = row_of(data, organization)
    by_month = dict(zip(data.months, row.cells, strict=True))
    assert by_month[d(2023, 7, 1)].state == CellState.MISSING
    assert by_month[d(2023, 9, 1)].state == CellState.ON_TIME
    assert by_month[d(2024, 1, 1)].state == CellState.MISSING  # a member until January 10
    assert by_month[d(2024, 2, 1)].state == by_month[d(2024, 3, 1)].state == CellState.NOT_EXPECTED
    assert by_month[d(2024, 4, 1)].state == CellState.ON_TIME  # rejoined on April 2
    assert row.tally.expected == 7 + 3  # July 2023 to January 2024, April to June 2024
    assert row.tally.received == 2
    # One row per partner however many memberships.
    assert [r.organization for r in data.partners] == [organization]


def test_overlapping_memberships_count_each_month_once(network):
    organization = partner(
        network, "Prairie YMCA", (d(2024, 1, 1), d(2024, 4, 30)), (d(2024, 3, 1), d(2024, 5, 31))
    )
    for month in (d(2024, 3, 1), d(2024, 4, 1)):
        report(network, organization, month)
    tally = row_of(completeness(network=network, end=END, today=TODAY), organization).tally
    assert (tally.expected, tally.received) == (5, 2)  # January to May, each once


def test_partners_without_a_monthly_duty_and_other_networks_are_not_counted(network):
    partner(network, "Konza Grain Cooperative", (d(2023, 1, 1), None), monthly=False)
    other = NetworkFactory(slug="utah")
    stranger = partner(other, "Wasatch Clinic", (d(2023, 1, 1), None))
    report(other, stranger, END)
    data = completeness(network=network, end=END, today=TODAY)
    assert data.partners == [] and data.total.expected == 0
    assert data.total.received_percent is None


def test_months_not_yet_due_are_shown_but_not_counted(network):
    organization = partner(network, "Prairie YMCA", (d(2024, 1, 1), None))
    report(network, organization, d(2024, 7, 1), submitted_on=d(2024, 7, 18))
    data = completeness(network=network, end=d(2024, 7, 1), today=TODAY)
    row = row_of(data, organization)
    assert row.cells[-1].state == CellState.NOT_DUE and row.cells[-1].report_id
    assert row.tally.expected == 6


def test_locked_missing_months_are_listed_for_reopening(network):
    organization = partner(network, "Prairie YMCA", (d(2024, 1, 1), None))
    report(network, organization, d(2024, 3, 1))
    reopened = report(network, organization, d(2024, 4, 1), status=ReportStatus.DRAFT)
    MonthlyReport.objects.filter(pk=reopened.pk).update(reopened_until=d(2024, 7, 30))
    data = completeness(network=network, end=END, today=TODAY)
    # Locked: due + 30 days passed. January, February and May are missing and locked; April was reopened;
    # June is missing but still open (due July 15, locks August 14).
    assert [item.month for item in data.locked_missing] == [d(2024, 5, 1), d(2024, 2, 1), d(2024, 1, 1)]
    assert {item.organization for item in data.locked_missing} == {organization}


def test_rates_never_go_above_100_percent_whatever_happens(network):
    rng = random.Random(7)
    organizations = []
    for index in range(12):
        spells = []
        start = d(2022, 1, 1) + datetime.timedelta(days=rng.randint(0, 900))
        for _ in range(rng.randint(1, 3)):
            end = start + datetime.timedelta(days=rng.randint(0, 300))
            spells.append((start, end))
            start = end + datetime.timedelta(days=rng.randint(-60, 200))  # a rejoin, even overlapping
        if rng.random() < 0.5:
            spells[-1] = (spells[-1][0], None)
        organization = SupplierFactory(name=f"Partner {index:02}")
        for joined_on, left_on in spells:
            Membership.objects.create(
                network=network,
                organization=organization,
                joined_on=joined_on,
                left_on=left_on,
                reports_monthly=rng.random() < 0.8,
            )
        organizations.append(organization)
    for organization in organizations:
        for month in (month_add(d(2022, 1, 1), n) for n in range(40)):
            if rng.random() < 0.6:
                status = rng.choice(list(ReportStatus))
                late = rng.choice([-20, 0, 5, 60])
                report(
                    network,
                    organization,
                    month,
                    status=status,
                    submitted_on=month_add(month, 1).replace(day=15) + datetime.timedelta(days=late),
                )
    for end in (d(2023, 1, 1), d(2023, 9, 1), END):
        data = completeness(network=network, end=end, today=TODAY)
        tallies = [row.tally for row in data.partners] + data.by_month + [data.total]
        for tally in tallies:
            assert 0 <= tally.on_time <= tally.received <= tally.expected
            assert tally.received_percent is None or 0 <= tally.received_percent <= 100
        assert sum(row.tally.expected for row in data.partners) == sum(t.expected for t in data.by_month)
        assert sum(t.expected for t in data.by_month) == data.total.expected
        assert sum(row.tally.received for row in data.partners) == data.total.received


def test_completeness_tables_hold_the_grid_and_the_months(network):
    organization = partner(network, "Prairie YMCA", (d(2024, 3, 20), None))
    report(network, organization, d(2024, 3, 1))
    grid, by_month = completeness_tables(completeness(network=network, end=END, today=TODAY))
    assert grid.columns[0] == "Partner" and grid.columns[1] == "Jul 2023" and grid.columns[12] == "Jun 2024"
    assert grid.rows[0][0] == "Prairie YMCA" and grid.rows[0][9] == "On time"
    assert grid.rows[0][13:] == [4, 1, 1, 0, 3, "25 %", "25 %"]
    assert grid.rows[-1][0] == "All partners" and grid.rows[-1][9] == "1 of 1"
    assert by_month.rows[-1] == ["June 2024", 1, 0, 0, 0, 1, "0 %", "0 %", "0 of 1", "Provisional"]
    # March's report is submitted, received but not yet in for progress until approved.
    march = next(row for row in by_month.rows if row[0] == "March 2024")
    assert march[2] == 1 and march[-2:] == ["0 of 1", "Provisional"]
    MonthlyReport.objects.filter(month=d(2024, 3, 1)).update(status=ReportStatus.APPROVED)
    _, by_month = completeness_tables(completeness(network=network, end=END, today=TODAY))
    march = next(row for row in by_month.rows if row[0] == "March 2024")
    assert march[-2:] == ["1 of 1", "Complete"]


# A partner's own months


def test_a_partners_months_run_from_joining_to_the_last_month_over_newest_first_skipping_gaps(network):
    organization = partner(network, "Prairie YMCA", (d(2023, 11, 20), d(2024, 1, 5)), (d(2024, 4, 1), None))
    report(network, organization, d(2024, 4, 1))
    months = reporting_months(network=network, organization=organization, today=TODAY)
    assert [m.month for m in months] == [  # July is not over on July 20: it is reported from August
        d(2024, 6, 1),
        d(2024, 5, 1),
        d(2024, 4, 1),
        d(2024, 1, 1),
        d(2023, 12, 1),
        d(2023, 11, 1),
    ]
    by_month = {m.month: m for m in months}
    early = reporting_months(network=network, organization=organization, today=d(2024, 7, 10))
    assert early[0].month == d(2024, 6, 1) and early[0].timing == "Due" and early[0].editable
    assert by_month[d(2024, 6, 1)].timing == "Late" and by_month[d(2024, 6, 1)].editable
    assert by_month[d(2024, 4, 1)].timing == "On time"
    assert by_month[d(2024, 5, 1)].timing == "Locked" and not by_month[d(2024, 5, 1)].editable
    assert by_month[d(2023, 11, 1)].status == "not_started"


def test_a_partners_month_statuses(network):
    organization = partner(network, "Prairie YMCA", (d(2024, 1, 1), None))
    nothing = services.report_nothing_to_report(
        network=network, organization=organization, month=d(2024, 5, 1), user=None, today=d(2024, 6, 2)
    )
    draft = services.report_save(
        network=network,
        organization=organization,
        month=d(2024, 6, 1),
        values=values_for(network, {"referrals": 2}),
        user=None,
        source=ReportSource.FORM,
        submit=False,
        today=TODAY,
    )
    months = {m.month: m for m in reporting_months(network=network, organization=organization, today=TODAY)}
    assert months[nothing.month].status_label == "Nothing to report"
    assert months[draft.month].status_label == "Draft" and not months[draft.month].received
    assert months[d(2024, 4, 1)].status_label == "Not started"


# Reports on time for the engagement page


def test_reports_on_time_on_the_engagement_page_worked_example(network):
    """April 1 to June 30, today July 15, due on the 15th: March (due April 15), April (due May 15) and
    May (due June 15) are due in the period; February (due March 15) and June (due July 15) are not."""
    period = Period(start=d(2024, 4, 1), end=d(2024, 6, 30))
    today = d(2024, 7, 15)
    assert network.report_due_day == 15
    MembershipFactory(network=network, organization=network.backbone)
    ymca = partner(network, "Prairie YMCA", (d(2023, 1, 1), None))
    report(network, ymca, d(2024, 2, 1), submitted_on=d(2024, 3, 1))
    march = report(network, ymca, d(2024, 3, 1), submitted_on=d(2024, 4, 15))
    MonthlyReport.objects.filter(pk=march.pk).update(  # on its due day, late in the evening
        first_submitted_at=timezone.make_aware(datetime.datetime(2024, 4, 15, 23, 30))
    )
    report(network, ymca, d(2024, 4, 1), submitted_on=d(2024, 5, 16))  # a day late
    report(network, ymca, d(2024, 5, 1), status=ReportStatus.APPROVED, submitted_on=d(2024, 6, 1))
    report(network, ymca, d(2024, 6, 1), submitted_on=d(2024, 7, 1))
    # Joined on April 1: April and May are due; May is still a draft.
    topeka = partner(network, "Topeka Faith Alliance", (d(2024, 4, 1), None))
    report(network, topeka, d(2024, 4, 1), submitted_on=d(2024, 5, 2))
    report(network, topeka, d(2024, 5, 1), status=ReportStatus.DRAFT)
    partner(network, "Emporia Library", (d(2023, 1, 1), None), monthly=False)
    # Another network's reports count for nothing here.
    report(NetworkFactory(slug="utah"), ymca, d(2024, 4, 1))

    assert reports_on_time_by_partner(network=network, period=period, today=today) == {
        ymca.pk: ReportsOnTime(due=3, on_time=2),
        topeka.pk: ReportsOnTime(due=2, on_time=1),
    }
    # A month due today is not late yet: on June 15, May is left out.
    by_june_15 = reports_on_time_by_partner(network=network, period=period, today=d(2024, 6, 15))
    assert by_june_15[ymca.pk] == ReportsOnTime(due=2, on_time=1)
    # The engagement page takes these figures (metrics registers its source when the app is ready).
    rows = {
        row.organization.name: row.reports_text
        for row in engagement_by_partner(network=network, period=period, today=today)
    }
    assert rows == {
        "Prairie YMCA": "2 of 3",
        "Topeka Faith Alliance": "1 of 2",
        "Emporia Library": "Does not report monthly",
    }
