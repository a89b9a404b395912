"""Cohort counts for the outcome pages' tests, written straight into `CohortCount` (what the DPRP
computation will write): every measure of a cohort from a few numbers, in all and by sex."""

import datetime

from metrics.catalogue import TOTAL_BREAKDOWN, TOTAL_CATEGORY
from metrics.models import Category, CohortCount
from metrics.outcomes import (
    ATTENDANCE,
    EVALUATED,
    MEASURES,
    MET_OUTCOME,
    OUTCOMES,
    SESSIONS,
    STARTED,
    retained_code,
)
from partners.models import Organization


def measures_of(started: int, *, kept: float = 0.5, met: float = 0.5) -> dict[str, int]:
    """A cohort's counts of every measure: ``kept`` of those who started are still in the program at
    month 12 (falling evenly from month 1), ``met`` of the evaluated met the outcome (by 5 % weight loss)."""
    counts = {STARTED.code: started}
    for month in range(1, 13):
        counts[retained_code(month)] = round(started * (1 - (1 - kept) * (month - 1) / 11))
    quarter = started // 4
    counts |= dict(
        zip([m.code for m in SESSIONS], [started - 3 * quarter, quarter, quarter, quarter], strict=True)
    )
    evaluated = counts[retained_code(12)]
    counts[EVALUATED.code] = evaluated
    for measure in ATTENDANCE:
        counts[measure.code] = evaluated
    for measure in OUTCOMES:
        counts[measure.code] = 0
    counts[OUTCOMES[0].code] = counts[MET_OUTCOME.code] = round(evaluated * met)
    assert set(counts) == {m.code for m in MEASURES}
    return counts


def category(breakdown: str, code: str) -> Category:
    return Category.objects.get(breakdown__code=breakdown, code=code)


def cohort_add(
    organization: Organization,
    month: datetime.date,
    counts: dict[str, int],
    *,
    female: dict[str, int] | None = None,
) -> None:
    """One cohort's counts in all and, with ``female``, by sex (male is the rest)."""
    total = category(TOTAL_BREAKDOWN, TOTAL_CATEGORY)
    rows = [
        CohortCount(organization=organization, cohort_month=month, measure=code, category=total, count=n)
        for code, n in counts.items()
    ]
    if female is not None:
        women, men = category("sex", "female"), category("sex", "male")
        for code, n in counts.items():
            rows.append(
                CohortCount(
                    organization=organization,
                    cohort_month=month,
                    measure=code,
                    category=women,
                    count=female[code],
                )
            )
            rows.append(
                CohortCount(
                    organization=organization,
                    cohort_month=month,
                    measure=code,
                    category=men,
                    count=n - female[code],
                )
            )
    CohortCount.objects.bulk_create(rows)
