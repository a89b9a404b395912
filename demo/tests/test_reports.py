"""The demo's monthly reports: 24 months per supplier with a realistic mix, valid, and idempotent.

Building the demo takes seconds, so the module builds it once (as `manage.py load_demo` does, which
goals/tests/test_demo.py tests), inside a transaction rolled back at the end; each test runs in a
savepoint inside it.
"""

import datetime
from collections import defaultdict
from io import StringIO

import pytest
from django.db.models import F, Sum
from django.utils import timezone

from core.calendar import report_due_on, report_locks_after
from demo import reports as metrics_demo
from demo.network import ANCHOR, STATES, build_demo
from demo.reports import MONTHS, build_reports, first_month, last_month_due
from demo.tests.conftest import built_once
from metrics.catalogue import Catalogue
from metrics.completeness import RECEIVED
from metrics.models import (
    Category,
    MonthlyReport,
    ReportEvent,
    ReportSource,
    ReportStatus,
    ReportValue,
    ReportVersion,
)
from metrics.reminders import report_reminders_send
from metrics.validation import ValueIn, values_check
from network.models import Membership, Network, Role, RoleKind
from partners.models import County

pytestmark = pytest.mark.django_db

SEPTEMBER = datetime.date(2026, 9, 1)


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker) -> str:
    """The network demo and its reports built once for the module; everything written is rolled back
    after."""

    def build() -> str:
        out = StringIO()
        build_demo(stdout=out)
        build_reports(stdout=out)
        return out.getvalue()

    with built_once(django_db_blocker, build) as output:
        yield output


@pytest.fixture
def demo(demo_output: str) -> list[Network]:
    return list(Network.objects.filter(slug__in=[plan.slug for plan in STATES]).order_by("slug"))


def reporting(networks: list[Network]) -> list[Membership]:
    return list(
        Membership.objects.filter(network__in=networks, reports_monthly=True).select_related(
            "organization", "network"
        )
    )


def snapshot() -> dict[str, list[tuple]]:
    return {
        model._meta.label: list(model.objects.order_by("pk").values_list())
        for model in (MonthlyReport, ReportVersion, ReportEvent)
    } | {"values": [ReportValue.objects.count(), ReportValue.objects.aggregate(n=Sum("count"))["n"]]}


def test_the_demo_builds_the_networks_and_their_reports(demo_output):
    assert "Bright Spot Initiative demo: 5 networks" in demo_output
    assert "21 users" in demo_output
    assert "Monthly reports: " in demo_output
    assert "new reports this run" in demo_output and "\n0 new reports this run" not in demo_output


def test_a_second_run_changes_nothing(demo):
    before = snapshot()
    counts = build_reports()
    out = StringIO()
    assert build_reports(stdout=out) == counts
    assert snapshot() == before
    assert "0 new reports this run" in out.getvalue()
    assert counts["monthly reports"] == MonthlyReport.objects.count()
    assert counts["report versions"] == ReportVersion.objects.count()


def test_the_partner_users_organizations_report_monthly(demo):
    for network in demo:
        for number in (1, 2):
            role = Role.objects.get(
                user__username=f"partner-{network.slug}-{number}", kind=RoleKind.PARTNER_STAFF
            )
            membership = Membership.objects.get(network=network, organization=role.organization_id)
            assert membership.reports_monthly
            reports = MonthlyReport.objects.filter(network=network, organization=role.organization_id)
            assert reports.count() == MONTHS  # the demo's partner staff miss no month
            # Their own staff sent them.
            assert set(
                ReportVersion.objects.filter(report__in=reports).values_list(
                    "created_by__username", flat=True
                )
            ) == {role.user.username}


def test_each_supplier_has_24_months_with_a_mix_of_statuses(demo):
    memberships = reporting(demo)
    assert len(memberships) >= 2 * len(demo)
    for network in demo:
        assert last_month_due(network) == SEPTEMBER  # due October 15, the last due before November 1
        assert first_month(network) == datetime.date(2024, 10, 1)
    for membership in memberships:
        reports = MonthlyReport.objects.filter(
            network=membership.network, organization=membership.organization
        )
        months = sorted(reports.values_list("month", flat=True))
        assert months[0] >= datetime.date(2024, 10, 1) and months[-1] <= SEPTEMBER
        assert MONTHS - 4 <= len(months) <= MONTHS, membership
        # Every supplier has approved months and something else: awaiting review, returned, a draft or
        # a month missing.
        statuses = set(reports.values_list("status", flat=True))
        assert ReportStatus.APPROVED in statuses
        assert len(statuses) >= 2 or len(months) < MONTHS, membership


def test_some_late_some_returned_some_nothing_to_report_some_missing(demo):
    for network in demo:
        reports = list(MonthlyReport.objects.filter(network=network).select_related("current_version"))
        late = [
            r
            for r in reports
            if r.first_submitted_at
            and timezone.localdate(r.first_submitted_at) > report_due_on(network, r.month)
        ]
        assert 0.03 * len(reports) <= len(late) <= 0.25 * len(reports), network.slug
        for report in late:  # late, but sent before the month locked
            assert timezone.localdate(report.first_submitted_at) <= report_locks_after(network, report.month)

        returned = [r for r in reports if r.status == ReportStatus.RETURNED]
        assert returned and all(
            r.review_comment and r.reviewed_by.username == f"backbone-{network.slug}" for r in returned
        )
        assert any(r.status == ReportStatus.SUBMITTED for r in reports), network.slug
        assert any(r.current_version.nothing_to_report for r in reports), network.slug

        received_last = {r.organization_id for r in reports if r.month == SEPTEMBER and r.status in RECEIVED}
        suppliers = {m.organization_id for m in reporting([network])}
        assert 1 <= len(suppliers - received_last) < len(suppliers)
        # One partner drifting away: its last two months are missing.
        august = datetime.date(2026, 8, 1)
        reported = {(r.organization_id, r.month) for r in reports}
        assert any((o, SEPTEMBER) not in reported and (o, august) not in reported for o in suppliers)
    # Returned months corrected since: a second version, approved or awaiting review again.
    corrected = MonthlyReport.objects.filter(network__in=demo, versions__number=2)
    assert corrected.count() >= 5
    assert not corrected.filter(status=ReportStatus.RETURNED).exists()
    assert (
        ReportEvent.objects.filter(report__in=corrected, action="returned").exclude(comment="").count()
        == corrected.count()
    )


def test_every_stored_version_passes_validation(demo):
    cells: dict[int, list[ValueIn]] = defaultdict(list)
    for version_id, measure, breakdown, category, count in ReportValue.objects.filter(
        version__report__network__in=demo
    ).values_list("version_id", "measure__code", "category__breakdown__code", "category__code", "count"):
        cells[version_id].append(ValueIn(measure, breakdown, category, count))
    catalogues = {network.pk: Catalogue.for_state(network.state_id) for network in demo}
    versions = ReportVersion.objects.filter(report__network__in=demo).values_list(
        "pk", "report__network_id", "nothing_to_report", "source"
    )
    assert len(versions) > 20 * MONTHS
    for pk, network_id, nothing, source in versions:
        assert source == (ReportSource.NOTHING if nothing else ReportSource.DEMO)
        assert bool(cells[pk]) != nothing
        _, problems = values_check(catalogues[network_id], cells[pk])
        assert problems == [], (pk, problems[:3])


def test_dates_are_fixed_relative_to_the_anchor(demo):
    reports = MonthlyReport.objects.filter(network__in=demo)
    anchor = datetime.datetime.combine(ANCHOR, datetime.time(), tzinfo=datetime.UTC)
    assert not reports.filter(created_at__gte=anchor).exists()
    assert not reports.filter(first_submitted_at__gte=anchor).exists()
    assert not reports.filter(reviewed_at__gte=anchor).exists()
    assert not ReportVersion.objects.filter(report__in=reports, created_at__gte=anchor).exists()
    assert not ReportEvent.objects.filter(report__in=reports, at__gte=anchor).exists()
    for report in reports.exclude(status=ReportStatus.DRAFT):
        assert report.first_submitted_at.date() > report.month  # never before the month began


def test_figures_are_plausible_and_follow_each_state(demo):
    def share(slug: str, breakdown: str, category: str) -> float:
        current = ReportValue.objects.filter(
            version__report__network__slug=slug,
            version__report__status=ReportStatus.APPROVED,
            measure__code="enrollments",
        )
        part = current.filter(category__breakdown__code=breakdown, category__code=category)
        total = current.filter(category__code="all").aggregate(n=Sum("count"))["n"]
        return (part.aggregate(n=Sum("count"))["n"] or 0) / total

    assert share("michigan", "race", "black") > 2 * share("kansas", "race", "black")
    assert share("kansas", "ethnicity", "hispanic") > 1.5 * share("michigan", "ethnicity", "hispanic")
    assert share("kansas", "race", "white") > 0.6 and share("utah", "ethnicity", "hispanic") > 0.12

    enrollments = ReportValue.objects.filter(
        version__report__network__in=demo, measure__code="enrollments", category__code="all"
    ).values_list("count", flat=True)
    assert max(enrollments) <= 20 and min(enrollments) == 0
    for membership in reporting(demo):
        totals = dict(
            ReportValue.objects.filter(
                version__report__network=membership.network,
                version__report__organization=membership.organization,
                version__report__current_version=F("version"),
                category__code="all",
            )
            .values_list("measure__code")
            .annotate(n=Sum("count"))
        )
        # More people referred than enrolled; active participants accumulate over the year.
        assert totals["referrals"] > totals["enrollments"] > 0
        assert totals["active_participants"] > 2 * totals["enrollments"]
    # Counties: only those the supplier serves, and unknown.
    for membership in reporting(demo)[:5]:
        served = set(membership.organization.counties_served.values_list("fips", flat=True))
        used = set(
            ReportValue.objects.filter(
                version__report__organization=membership.organization, category__breakdown__code="county"
            ).values_list("category__code", flat=True)
        )
        assert used <= served | {"unknown"} and len(used & served) >= 1


def test_reminders_have_something_to_do(demo, django_capture_on_commit_callbacks, mailoutbox):
    """Twelve days after the anchor: October is due soon for every supplier with staff, and
    partner-S-2's returned September is missing (it locks after November 14)."""
    with django_capture_on_commit_callbacks(execute=True):
        counts = report_reminders_send(
            today=datetime.date(2026, 11, 12), base_url="https://tandem.example.org"
        )
    assert counts["due_soon"] == 2 * len(demo)
    assert counts["missing"] == len(demo)
    assert counts["emails"] == len(mailoutbox) == 3 * len(demo)
    assert {message.to[0] for message in mailoutbox} == {
        f"partner-{network.slug}-{number}@example.org" for network in demo for number in (1, 2)
    }
    missing = [message for message in mailoutbox if message.subject.startswith("Still to correct")]
    assert {message.to[0] for message in missing} == {
        f"partner-{network.slug}-2@example.org" for network in demo
    }


def test_build_reports_brings_back_a_catalogue_a_flushed_database_lost(demo, monkeypatch):
    # The demo's reports use most categories; those of a state outside the demo stand for the rest.
    texas = Category.objects.filter(county__state__code="TX")
    assert texas.exists()
    texas.delete()
    monkeypatch.setattr(metrics_demo, "STATES", ())  # only the catalogue, not the reports again
    build_reports()
    assert (
        Category.objects.filter(county__state__code="TX").count()
        == County.objects.filter(state__code="TX").count()
    )
