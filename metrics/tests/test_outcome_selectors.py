"""The outcome pages' reads (`metrics.outcome_selectors`): rates shown only with both their counts,
cohorts still running, and the equity rule that names the groups that stay less."""

import datetime

import pytest

from core.disclosure import Reason
from core.figures import Suppressed
from metrics.models import Breakdown, ParticipantSession
from metrics.outcome_publication import OutcomePublication, outcome_publications
from metrics.outcome_selectors import (
    GAP_POINTS,
    cohort_rows,
    outcome_equity,
    outcome_section,
    share,
    share_cell,
    survival_line,
)
from metrics.outcomes import EVALUATED, MET_OUTCOME, STARTED, retained_code
from metrics.publication import NO_DATA, Figure
from metrics.tests.cohorts import category, cohort_add, measures_of
from network.selectors import Viewer
from network.tests.factories import MembershipFactory, NetworkFactory
from partners.tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

JAN = datetime.date(2025, 1, 1)
TODAY = datetime.date(2026, 9, 1)


def backbone_of(network) -> Viewer:
    return Viewer(every_partner_of=frozenset({network.pk}))


def sharing_partner(network, name: str = "Prairie YMCA"):
    organization = SupplierFactory(name=name)
    MembershipFactory(network=network, organization=organization, outcomes_shared=True)
    return organization


def test_a_rate_needs_both_its_counts():
    assert share(Figure(12), Figure(48)) == 25
    assert share(Figure(12), Figure(0)) is None  # nobody to count a share of
    assert share(Figure(None, Reason.SMALL), Figure(48)) is None
    assert share_cell(Figure(12), Figure(None, Reason.COMPLEMENT), 11) == Suppressed(11, Reason.INCLUDES)
    assert share_cell(Figure(12), Figure(48), 11) == 25


def test_the_cohort_table_gives_each_cohort_its_rates():
    network = NetworkFactory()
    organization = sharing_partner(network)
    cohort_add(organization, JAN, measures_of(40, kept=0.25, met=0.5))
    published = outcome_publications(networks=[network], viewer=backbone_of(network), today=TODAY)
    (row,) = cohort_rows(published.networks[network.pk])
    assert row.label == "January 2025"
    assert row.figures[STARTED.code] == Figure(40)
    assert row.share(retained_code(12)) == 25
    assert row.share(MET_OUTCOME.code, of=EVALUATED.code) == 50


def session(organization, day: datetime.date) -> ParticipantSession:
    return ParticipantSession.objects.create(
        organization=organization,
        participant="a" * 64,
        session_date=day,
        race="white",
        ethnicity="not_hispanic",
        sex="female",
        age_group="45-64",
        payer="private",
        delivery_mode="in_person",
    )


def test_a_cohort_runs_until_its_year_is_over_by_today_and_by_the_last_session_read():
    network = NetworkFactory()
    organization = sharing_partner(network)
    cohort_add(organization, JAN, measures_of(40))
    cohort_add(organization, datetime.date(2026, 1, 1), measures_of(30))

    def running(today: datetime.date) -> list[bool]:
        found = outcome_publications(networks=[network], viewer=backbone_of(network), today=today)
        return [row.running for row in cohort_rows(found.networks[network.pk])]

    assert running(TODAY) == [True, False]  # January 2026 is still in its year; January 2025 is over
    # The partner's files go no further than November 2025: January 2025's year is not all read yet.
    session(organization, datetime.date(2025, 11, 30))
    assert running(TODAY) == [True, True]
    assert running(datetime.date(2025, 6, 1)) == [True, True]


def by_sex(network, female: dict[str, int], male: dict[str, int]) -> OutcomePublication:
    organization = sharing_partner(network)
    cohort_add(organization, JAN, {code: female[code] + male[code] for code in female}, female=female)
    return outcome_publications(networks=[network], viewer=backbone_of(network), today=TODAY).networks[
        network.pk
    ]


def equity(publication: OutcomePublication):
    sex = Breakdown.objects.get(code="sex")
    categories = [category("sex", "female"), category("sex", "male")]
    return outcome_equity(publication, breakdown=sex, categories=categories, slug="test")


def test_a_group_well_below_everyone_stays_less():
    publication = by_sex(
        NetworkFactory(), measures_of(40, kept=0.25, met=0.2), measures_of(60, kept=0.8, met=0.8)
    )
    found = equity(publication)
    women, men = found.groups
    assert found.total.month_12 - women.month_12 >= GAP_POINTS
    assert found.stay_less == ["Female"]
    assert found.meet_less == ["Female"]
    assert men.month_6 > found.total.month_6


def test_a_gap_under_the_rule_or_in_a_small_group_is_not_named():
    close = equity(by_sex(NetworkFactory(), measures_of(50, kept=0.6), measures_of(50, kept=0.7)))
    assert close.stay_less == []  # 5 points apart: within the rule
    small = equity(by_sex(NetworkFactory(), measures_of(12, kept=0.1), measures_of(88, kept=0.9)))
    assert small.groups[0].month_12 < small.total.month_12 - GAP_POINTS
    assert small.stay_less == []  # twelve participants: too few to say it


def test_a_survival_line_over_a_hidden_count_is_hidden():
    network = NetworkFactory()
    organization = sharing_partner(network)
    cohort_add(organization, JAN, measures_of(40, kept=0.2))  # eight left at month 12
    public = outcome_publications(networks=[network], viewer=Viewer(), today=TODAY).networks[network.pk]
    line = survival_line(public, "2025", public.cohorts)
    assert line.shares[0] == 100
    assert line.shares[-1] is None and line.hidden
    section = outcome_section(public, slug="network")
    assert section.survival.rows[0][-1] == Suppressed(public.threshold, Reason.INCLUDES)


def test_a_running_cohort_shows_no_count_for_a_month_none_of_it_has_reached():
    """A cohort of January 2026 seen on March 10, 2026: its first starters are in program month 3
    (from day ceil(2 * 365 / 12) = 61, March 3); month 4 starts on day 92, April 2. So months 1 to 3 are
    shown, months 4 to 12 are not reached ("—", not 0), and nobody can be evaluated yet."""
    january = datetime.date(2026, 1, 1)
    publication = OutcomePublication(
        name="Prairie YMCA",
        threshold=10,
        identified=True,
        counts={(january, STARTED.code, None): 30, (january, retained_code(3), None): 25},
        running={january},
        as_of=datetime.date(2026, 3, 10),
    )
    (row,) = cohort_rows(publication)
    assert row.figures[retained_code(3)] == Figure(25)
    assert row.figures[retained_code(4)] == NO_DATA and row.figures[MET_OUTCOME.code] == NO_DATA
    assert row.share(retained_code(4)) is None
    # Once its year is over, a month with nobody in it is a zero.
    publication.running = set()
    (row,) = cohort_rows(publication)
    assert row.figures[retained_code(4)] == Figure(0)
