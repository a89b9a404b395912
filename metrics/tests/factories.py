"""Valid monthly figures for tests: every breakdown of each measure adds up to its total."""

import datetime
import random

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
