"""Goals, commitments and approved reports for tests, and the direct count the dashboards must equal."""

import datetime
import random
from collections import Counter
from decimal import Decimal

import factory
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F
from django.utils import timezone

from core.calendar import month_add, month_of
from goals.models import Commitment, Goal, TargetKind
from metrics import services
from metrics.models import Measure, MonthlyReport, ReportStatus, ReportValue
from metrics.tests.factories import report_approved, submit, values_for  # noqa: F401 (shared)
from network.models import Network
from partners.models import Organization


def today() -> datetime.date:
    return timezone.localdate()


def recent_months(n: int) -> list[datetime.date]:
    """The ``n`` complete months before this one, oldest first."""
    current = month_of(today())
    return [month_add(current, -k) for k in range(n, 0, -1)]


class GoalFactory(factory.django.DjangoModelFactory):
    """A goal counted over the last six complete months and the six to come."""

    class Meta:
        model = Goal

    name = factory.Sequence(lambda n: f"Increase enrollment in the National DPP, goal {n}")
    measure = factory.LazyFunction(lambda: Measure.objects.get(code="enrollments"))
    baseline_start = factory.LazyFunction(lambda: month_add(recent_months(6)[0], -12))
    baseline_end = factory.LazyFunction(lambda: recent_months(6)[0] - datetime.timedelta(days=1))
    baseline_value = 100
    target_kind = TargetKind.PERCENT_INCREASE
    target_value = Decimal("20")
    starts_on = factory.LazyFunction(lambda: recent_months(6)[0])
    deadline = factory.LazyFunction(lambda: month_add(recent_months(6)[0], 12) - datetime.timedelta(days=1))


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment

    goal = factory.SubFactory(GoalFactory)
    organization = factory.SubFactory("partners.tests.factories.SupplierFactory")
    amount = 30


def random_history(
    rng: random.Random,
    pairs: list[tuple[Network, Organization]],
    months: list[datetime.date],
    user: AbstractBaseUser,
    steps: int,
) -> None:
    """Submissions, corrections, approvals and returns in a random order."""
    for step in range(steps):
        network, organization = rng.choice(pairs)
        month = rng.choice(months)
        report = MonthlyReport.objects.filter(network=network, organization=organization, month=month).first()
        action = rng.random()
        if report and report.status == ReportStatus.SUBMITTED and action < 0.6:
            services.report_approve(report=report, version=report.current_version.number, user=user)
        elif report and report.status == ReportStatus.APPROVED and action < 0.15:
            services.report_return(
                report=report, version=report.current_version.number, user=user, comment="Please check"
            )
        else:
            totals = {"enrollments": rng.randint(0, 40), "referrals": rng.randint(0, 90)}
            submit(
                network=network, organization=organization, month=month, totals=totals, user=user, seed=step
            )


def complete_months(network: Network, months: list[datetime.date]) -> dict[datetime.date, tuple[int, int]]:
    """Month -> (reports expected, reports in), worked out straight from memberships and reports one by
    one: the rule the selectors apply in SQL, written again plainly."""
    found = {}
    for month in months:
        end = month_add(month, 1) - datetime.timedelta(days=1)
        owing = {
            m.organization_id
            for m in network.memberships.filter(reports_monthly=True)
            if m.joined_on <= end and (m.left_on is None or m.left_on >= month)
        }
        received = {
            r.organization_id
            for r in MonthlyReport.objects.filter(network=network, month=month).select_related(
                "current_version"
            )
            if r.organization_id in owing
            and (
                r.status == ReportStatus.APPROVED
                or (r.status == ReportStatus.SUBMITTED and r.current_version.nothing_to_report)
            )
        }
        found[month] = (len(owing), len(received))
    return found


def counted_to_direct(network: Network, months: list[datetime.date]) -> datetime.date | None:
    """The last of ``months`` up to which every month has all its reports in (a threshold of 100 %)."""
    last = None
    for month, (expected, received) in complete_months(network, months).items():
        if received < expected:
            break
        last = month
    return last


def counted_to_direct_for(
    network: Network, organization: Organization, months: list[datetime.date]
) -> datetime.date | None:
    """The last of ``months`` up to which the partner's own reports are all in."""
    last = None
    for month in months:
        report = (
            MonthlyReport.objects.filter(network=network, organization=organization, month=month)
            .select_related("current_version")
            .first()
        )
        if report is None or not (
            report.status == ReportStatus.APPROVED
            or (report.status == ReportStatus.SUBMITTED and report.current_version.nothing_to_report)
        ):
            break
        last = month
    return last


def direct_counts(measure: str = "enrollments", breakdown: str = "total", category: str = "all") -> Counter:
    """(network id, organization id, month) -> the approved count, straight from the reports' current
    versions."""
    counts: Counter = Counter()
    values = ReportValue.objects.filter(
        version__report__status=ReportStatus.APPROVED,
        version__report__current_version=F("version"),
        measure__code=measure,
        category__breakdown__code=breakdown,
        category__code=category,
    ).values_list(
        "version__report__network_id", "version__report__organization_id", "version__report__month", "count"
    )
    for network_id, organization_id, month, count in values:
        counts[network_id, organization_id, month] += count
    return counts
