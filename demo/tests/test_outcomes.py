"""The demo's program outcomes: cohorts of three Kansas suppliers, counted from plausible sessions,
shared or not as the demo says, some complete and some still running; idempotent."""

import datetime

import pytest

from core.calendar import month_add
from demo.network import ANCHOR, build_demo
from demo.outcomes import COHORTS, SUPPLIERS, build_outcomes
from demo.reports import last_month_due
from demo.tests.conftest import built_once
from metrics.models import CohortCount, ParticipantSession
from metrics.outcomes import cohort_is_complete
from network.models import Membership, Network, PartnerChoice, PartnerChoiceChange

pytestmark = pytest.mark.django_db


def _build() -> int:
    build_demo()
    return build_outcomes()


@pytest.fixture(scope="module")
def written(django_db_setup, django_db_blocker) -> int:
    with built_once(django_db_blocker, _build) as count:
        yield count


def totals(name: str) -> dict[tuple[datetime.date, str], int]:
    rows = CohortCount.objects.filter(organization__name=name, category__breakdown__code="total")
    return {(row.cohort_month, row.measure): row.count for row in rows}


def test_three_kansas_suppliers_have_cohorts_partner_kansas_2s_shared(written):
    assert written == CohortCount.objects.count() > 0
    kansas = Network.objects.get(slug="kansas")
    shared = dict(
        Membership.objects.filter(network=kansas, organization__name__in=SUPPLIERS).values_list(
            "organization__name", "outcomes_shared"
        )
    )
    assert shared == SUPPLIERS
    partner_2 = Membership.objects.get(network=kansas, organization__roles__user__username="partner-kansas-2")
    assert partner_2.outcomes_shared is True
    # Recorded as a choice, so the partner's page does not say "no change" beside a ticked box.
    recorded = set(
        PartnerChoiceChange.objects.filter(
            membership__network=kansas, choice=PartnerChoice.OUTCOMES_SHARED, to_value=True
        ).values_list("membership__organization__name", flat=True)
    )
    assert recorded == {name for name, on in SUPPLIERS.items() if on}


def test_every_month_starts_a_cohort_and_the_figures_are_plausible(written):
    last = last_month_due(Network.objects.get(slug="kansas"))
    latest_session = max(ParticipantSession.objects.values_list("session_date", flat=True))
    assert latest_session < ANCHOR
    for name in SUPPLIERS:
        got = totals(name)
        cohorts = sorted({cohort for cohort, _ in got})
        assert cohorts == [month_add(last, -ago) for ago in range(COHORTS - 1, -1, -1)]
        complete = [c for c in cohorts if cohort_is_complete(c, latest_session)]
        assert 0 < len(complete) < len(cohorts)  # some have had their year, the latest are running
        started = sum(got[c, "started"] for c in complete)
        at_12 = sum(got[c, "retained_m12"] for c in complete)
        evaluated = sum(got[c, "evaluated"] for c in complete)
        met = sum(got[c, "met_outcome"] for c in complete)
        assert 0.2 < at_12 / started < 0.7, name  # as year-long programs keep people
        assert 0 < met < evaluated < started, name


def test_a_second_run_changes_nothing(written):
    before = sorted(
        CohortCount.objects.values_list("organization", "cohort_month", "measure", "category", "count")
    )
    sessions = ParticipantSession.objects.count()
    assert build_outcomes() == written
    assert ParticipantSession.objects.count() == sessions
    changes = PartnerChoiceChange.objects.count()
    assert build_outcomes() == written
    assert PartnerChoiceChange.objects.count() == changes
    after = sorted(
        CohortCount.objects.values_list("organization", "cohort_month", "measure", "category", "count")
    )
    assert after == before
