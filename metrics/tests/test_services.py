import dataclasses
import datetime

import pytest

from core.problems import ReportRefused
from metrics import services
from metrics.models import (
    MonthlyReport,
    ReportAction,
    ReportEvent,
    ReportSource,
    ReportStatus,
    ReportValue,
    ReportVersion,
)
from metrics.services import TransitionRefused, VersionOutdated, cells_of
from metrics.tests.factories import values_for
from metrics.validation import ValueIn

pytestmark = pytest.mark.django_db

MONTH = datetime.date(2024, 3, 1)
TODAY = datetime.date(2024, 4, 2)


def save(world, values, *, month=MONTH, submit=True, user=None, today=TODAY, **kw):
    return services.report_save(
        network=world.network,
        organization=world.supplier,
        month=month,
        values=values,
        user=user or world.partner,
        source=ReportSource.FORM,
        submit=submit,
        today=today,
        **kw,
    )


def test_a_submitted_month_keeps_every_count_and_its_history(world):
    values = values_for(world.network, {"enrollments": 12, "active_participants": 30})
    report = save(world, values)
    assert report.status == ReportStatus.SUBMITTED
    assert report.first_submitted_at is not None
    stored = cells_of(report.current_version)
    assert stored == {(v.measure, v.breakdown, v.category): v.count for v in values}
    assert stored["enrollments", "total", "all"] == 12
    assert list(report.events.values_list("action", flat=True)) == [ReportAction.SUBMITTED]


def test_a_correction_is_a_new_version_and_the_old_one_is_kept(world):
    first = save(world, values_for(world.network, {"enrollments": 12}))
    second = save(world, values_for(world.network, {"enrollments": 14}, seed=1))
    assert first.pk == second.pk
    assert list(second.versions.values_list("number", flat=True)) == [2, 1]
    totals = {
        v.version.number: v.count
        for v in ReportValue.objects.filter(version__report=second, category__code="all").select_related(
            "version"
        )
    }
    assert totals == {1: 12, 2: 14}
    assert cells_of(second.current_version)["enrollments", "total", "all"] == 14


def test_breakdowns_that_do_not_add_up_are_refused_and_nothing_is_stored(world):
    values = values_for(world.network, {"enrollments": 12})
    broken = [
        dataclasses.replace(v, count=v.count + 1) if v.breakdown == "race" and v.category == "black" else v
        for v in values
    ]
    with pytest.raises(ReportRefused) as refused:
        save(world, broken)
    assert [str(p) for p in refused.value.problems] == [
        "March 2024: enrollments by race adds up to 13, but the total is 12 "
        "(the race categories adding up to 12; count people you do not know under unknown, "
        "or leave the whole breakdown blank if you did not collect it)"
    ]
    assert not MonthlyReport.objects.exists() and not ReportVersion.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (ValueIn("signups", "total", "all", 1, line=2), "line 2, column measure: unknown measure 'signups'"),
        (
            ValueIn("enrollments", "religion", "x", 1, line=2),
            "line 2, column breakdown: unknown breakdown 'religion'",
        ),
        (
            ValueIn("enrollments", "race", "martian", 1, line=2),
            "line 2, column category: unknown race category 'martian'",
        ),
        (
            ValueIn("enrollments", "total", "all", -1, line=2, column="count"),
            "line 2, column count: -1 is not a count",
        ),
        (
            ValueIn("enrollments", "total", "all", "2.5", line=2, column="count"),
            "line 2, column count: '2.5' is not a count",
        ),
        (
            ValueIn("enrollments", "county", "06037", 1, line=2),
            "line 2, column category: unknown county category '06037'",
        ),
    ],
)
def test_bad_values_are_refused_with_where_and_what(world, value, message):
    with pytest.raises(ReportRefused) as refused:
        save(world, [value])
    assert str(refused.value.problems[0]).startswith(f"{message}"), refused.value.problems


def test_a_cell_given_twice_is_refused(world):
    values = values_for(world.network, {"enrollments": 2})
    twice = [dataclasses.replace(v, line=n + 2) for n, v in enumerate([*values, values[0]])]
    with pytest.raises(ReportRefused) as refused:
        save(world, twice)
    assert "given twice (also on line 2)" in str(refused.value.problems[0])


@pytest.mark.parametrize(
    ("month", "today", "message"),
    [
        (datetime.date(2024, 5, 1), TODAY, "May 2024 is in the future"),
        (TODAY.replace(day=1), TODAY, f"{TODAY:%B %Y} is not over yet: it can be reported from"),
        (
            datetime.date(2022, 12, 1),
            TODAY,
            "December 2022 is before the organization joined the network on January 1, 2023",
        ),
        (MONTH, datetime.date(2024, 5, 16), "March 2024 was locked on May 16, 2024"),
    ],
)
def test_months_outside_the_reporting_window_are_refused(world, month, today, message):
    with pytest.raises(ReportRefused) as refused:
        save(world, values_for(world.network, {"enrollments": 1}), month=month, today=today)
    assert str(refused.value.problems[0]).startswith(message)


def test_a_reopened_month_takes_changes_until_its_new_last_day(world):
    late = datetime.date(2024, 6, 1)
    services.report_reopen(
        network=world.network,
        organization=world.supplier,
        month=MONTH,
        user=world.backbone,
        days=14,
        today=late,
    )
    report = save(world, values_for(world.network, {"enrollments": 3}), today=late)
    assert report.status == ReportStatus.SUBMITTED
    with pytest.raises(ReportRefused):
        save(world, values_for(world.network, {"enrollments": 4}), today=late + datetime.timedelta(days=15))


def test_nothing_to_report_is_one_call_and_has_no_counts(world):
    report = services.report_nothing_to_report(
        network=world.network, organization=world.supplier, month=MONTH, user=world.partner, today=TODAY
    )
    assert report.status == ReportStatus.SUBMITTED
    assert report.current_version.nothing_to_report
    assert not report.current_version.values.exists()


def test_review_approves_or_returns_with_a_comment(world):
    report = save(world, values_for(world.network, {"enrollments": 5}))
    with pytest.raises(TransitionRefused):
        services.report_return(
            report=report, version=report.current_version.number, user=world.backbone, comment="  "
        )
    returned = services.report_return(
        report=report,
        version=report.current_version.number,
        user=world.backbone,
        comment="Race does not match",
    )
    assert returned.status == ReportStatus.RETURNED and returned.review_comment == "Race does not match"
    with pytest.raises(TransitionRefused):
        services.report_approve(report=returned, version=returned.current_version.number, user=world.backbone)
    corrected = save(world, values_for(world.network, {"enrollments": 5}, seed=3))
    approved = services.report_approve(
        report=corrected, version=corrected.current_version.number, user=world.backbone
    )
    assert approved.status == ReportStatus.APPROVED
    assert list(approved.events.order_by("at", "id").values_list("action", flat=True)) == [
        "submitted",
        "returned",
        "submitted",
        "approved",
    ]


def test_a_review_names_the_version_it_acts_on_and_a_newer_one_refuses_it(world):
    """The reviewer looked at version 1; the partner then sent version 2 with other counts. Approving
    or returning "version 1" changes nothing and says which version is current."""
    seen = save(world, values_for(world.network, {"enrollments": 5}))
    save(world, values_for(world.network, {"enrollments": 999}, seed=2))
    before = list(ReportEvent.objects.values_list("pk", flat=True))
    with pytest.raises(
        VersionOutdated, match="Version 2 of this report arrived after you looked at version 1"
    ):
        services.report_approve(report=seen, version=1, user=world.backbone)
    with pytest.raises(VersionOutdated) as refused:
        services.report_return(report=seen, version=1, user=world.backbone, comment="County is off")
    assert (refused.value.seen, refused.value.current) == (1, 2)
    assert "the report was not returned" in str(refused.value)
    with pytest.raises(TransitionRefused, match="no version 3"):
        services.report_approve(report=seen, version=3, user=world.backbone)
    report = MonthlyReport.objects.get()
    assert report.status == ReportStatus.SUBMITTED and report.reviewed_by is None
    assert list(ReportEvent.objects.values_list("pk", flat=True)) == before

    approved = services.report_approve(report=seen, version=2, user=world.backbone)
    assert approved.status == ReportStatus.APPROVED
    assert approved.events.get(action=ReportAction.APPROVED).version.number == 2


def test_a_draft_is_submitted_later(world):
    report = save(world, values_for(world.network, {"referrals": 7}), submit=False)
    assert report.status == ReportStatus.DRAFT and report.first_submitted_at is None
    submitted = services.report_submit(report=report, user=world.partner)
    assert submitted.status == ReportStatus.SUBMITTED
    with pytest.raises(TransitionRefused):
        services.report_submit(report=submitted, user=world.partner)
