"""Approved reports with chosen counts by group, and eligible-population estimates, for the equity
tests. Reports go through `metrics.services` (so they are validated like any other); the rollups are
then rebuilt with `metrics.rollups.rollup_rebuild()` by the caller."""

import datetime

from django.contrib.auth.models import AbstractBaseUser

from core.calendar import month_add
from equity.models import EligibleEstimate, EstimateSource
from metrics import services
from metrics.catalogue import TOTAL_BREAKDOWN, TOTAL_CATEGORY, UNKNOWN, Catalogue
from metrics.models import Category, MonthlyReport, ReportSource
from metrics.validation import ValueIn
from network.models import Network
from partners.models import Organization, State


def values_by_group(
    network: Network, breakdowns: dict[str, dict[str, int]], measure: str = "enrollments"
) -> list[ValueIn]:
    """One month's values of ``measure``: the given counts of each breakdown named (which must all add
    up to the same total), and every other breakdown's participants under unknown."""
    totals = {sum(counts.values()) for counts in breakdowns.values()}
    assert len(totals) == 1, f"the breakdowns add up to different totals: {totals}"
    [total] = totals
    values = [ValueIn(measure, TOTAL_BREAKDOWN, TOTAL_CATEGORY, total)]
    for breakdown in Catalogue.for_state(network.state_id).breakdowns:
        if breakdown == TOTAL_BREAKDOWN:
            continue
        counts = breakdowns.get(breakdown, {UNKNOWN[0]: total})
        values.extend(ValueIn(measure, breakdown, code, count) for code, count in counts.items())
    return values


def report_approved(
    *,
    network: Network,
    organization: Organization,
    month: datetime.date,
    user: AbstractBaseUser,
    measure: str = "enrollments",
    **breakdowns: dict[str, int],
) -> MonthlyReport:
    """A month of ``measure`` by the given breakdowns (race={"white": 40, ...}), submitted and approved.
    Rebuild the rollups afterwards for the pages to see it."""
    report = services.report_save(
        network=network,
        organization=organization,
        month=month,
        values=values_by_group(network, breakdowns, measure),
        user=user,
        source=ReportSource.API,
        submit=True,
        today=month_add(month, 1) + datetime.timedelta(days=3),
    )
    return services.report_approve(report=report, version=report.current_version.number, user=user)


def estimates_stored(
    *, state: State, breakdown: str, estimates: dict[str, int], name: str = "Test estimates", year: int = 2023
) -> EstimateSource:
    """The state's eligible population by category code of ``breakdown``, from one new source."""
    source = EstimateSource.objects.create(name=name, year=year)
    categories = {c.code: c for c in Category.objects.filter(breakdown__code=breakdown)}
    EligibleEstimate.objects.bulk_create(
        EligibleEstimate(state=state, category=categories[code], estimate=estimate, source=source)
        for code, estimate in estimates.items()
    )
    return source
