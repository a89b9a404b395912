"""The public scorecard's "What happens after people enroll" (`scorecard.outcomes`): a cell shown to the
public only where each sharing partner's staff and the state's viewers are shown it too, a share only
where both its counts are, partners that do not share counted nowhere, plain words when nothing can be
shown, and the cached board made again after a rebuild of a partner's cohorts."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from core.disclosure import Reason
from core.figures import Suppressed
from metrics.outcome_publication import outcome_publications
from metrics.outcomes import EVALUATED, MET_OUTCOME, STARTED, cohorts_rebuild, retained_code
from metrics.publication import Figure
from metrics.tests.cohorts import cohort_add, measures_of
from network.models import Membership
from network.selectors import Viewer
from network.tests.factories import MembershipFactory
from partners.tests.factories import SupplierFactory
from scorecard import board
from scorecard.models import Scorecard
from scorecard.outcomes import public_outcome_publication, public_outcomes

pytestmark = pytest.mark.django_db

Q1 = datetime.date(2025, 1, 1)  # a quarter of cohorts whose year is over by TODAY
TODAY = datetime.date(2026, 9, 1)
LARGE = measures_of(40, kept=0.5, met=0.5)  # 20 evaluated, 10 met the outcome
FEW_MET = measures_of(30, kept=0.5, met=0.2)  # 15 evaluated, 3 met the outcome


def partner(network, name: str, *, shared: bool = True):
    organization = SupplierFactory(name=name)
    MembershipFactory(network=network, organization=organization, outcomes_shared=shared)
    return organization


@pytest.fixture
def sharing(world):
    """Two partners sharing their outcomes, one cohort each in Q1 2025, and one that does not share."""
    large = partner(world.network, "Large YMCA")
    few = partner(world.network, "Few Met Clinic")
    private = partner(world.network, "Private Clinic", shared=False)
    cohort_add(large, Q1, LARGE)
    cohort_add(few, datetime.date(2025, 2, 1), FEW_MET)
    cohort_add(private, Q1, measures_of(200))
    return large, few, private


def test_a_cell_a_sharing_partner_is_not_shown_is_not_shown_to_the_public(world, sharing):
    # The publication for the public alone shows the 13 who met the outcome (10 + 3)...
    alone = outcome_publications(networks=[world.network], viewer=Viewer(), today=TODAY)
    assert alone.networks[world.network.pk].figure(Q1, MET_OUTCOME.code) == Figure(13)
    # ...but the large partner's staff are shown the rest (3, hidden): the 13 would give them the 3.
    large, _, _ = sharing
    theirs = outcome_publications(
        networks=[world.network], viewer=Viewer(organization_ids=frozenset({large.pk})), today=TODAY
    )
    assert theirs.networks[world.network.pk].figure(Q1, MET_OUTCOME.code).hidden
    public = public_outcome_publication(network=world.network, today=TODAY)
    assert public.figure(Q1, MET_OUTCOME.code) == Figure(None, Reason.COMPLEMENT)
    assert public.figure(Q1, STARTED.code) == Figure(70)  # what every one of them is shown stays shown


def test_a_share_is_hidden_where_its_numerator_is(world, sharing):
    outcomes = public_outcomes(network=world.network, today=TODAY)
    header = outcomes.table.columns
    total = outcomes.table.rows[-1]
    met = total[header.index(MET_OUTCOME.label)]
    assert isinstance(met, Suppressed)
    assert isinstance(total[header.index(f"{MET_OUTCOME.label} (% of evaluated)")], Suppressed)
    assert total[header.index(EVALUATED.label)] == 35  # its denominator is shown
    said = " ".join(outcomes.said)
    assert "who met the outcome is not shown over all of them, to protect privacy." in said
    assert "70 people started the program in Q1 2025." in said
    # Shares of the shown counts: 20 + 15 = 35 of 70 still in the program at month 12.
    assert total[header.index("Still in the program in month 12 (%)")] == 50
    assert "50 % at 12 months." in said


def test_a_share_hidden_over_all_quarters_is_said_of_the_latest_quarter_it_is_shown(world, sharing):
    large, few, _ = sharing
    q2 = datetime.date(2025, 4, 1)
    for organization in (large, few):  # 15 of each one's 30 evaluated met it: not small for the other
        cohort_add(organization, q2, measures_of(60, kept=0.5, met=0.5))
    outcomes = public_outcomes(network=world.network, today=TODAY)
    assert [row[0] for row in outcomes.table.rows] == ["Q1 2025", "Q2 2025", "All 2 quarters"]
    said = " ".join(outcomes.said)
    assert "from Q1 2025 to Q2 2025" in said
    assert (
        "is not shown over all of them, to protect privacy; of those who started in Q2 2025, of the 60 "
        "evaluated participants, 50 % met the outcome" in said
    )


def test_a_partner_that_does_not_share_counts_nowhere(world, sharing):
    outcomes = public_outcomes(network=world.network, today=TODAY)
    assert outcomes.sharing == 2
    started = outcomes.table.rows[-1][1]
    assert started == LARGE[STARTED.code] + FEW_MET[STARTED.code]
    assert outcomes.survival.rows[-1][1] == started
    month_6 = LARGE[retained_code(6)] + FEW_MET[retained_code(6)]
    assert outcomes.table.rows[-1][2] == month_6


def test_the_words_when_no_partner_shares(world):
    cohort_add(partner(world.network, "Private Clinic", shared=False), Q1, measures_of(200))
    outcomes = public_outcomes(network=world.network, today=TODAY)
    assert outcomes.sharing == 0
    assert outcomes.said == ["No partner shares its program outcomes yet, so none can be shown here."]
    assert outcomes.tables == [] and outcomes.chart is None


def test_the_words_when_every_figure_is_hidden(world):
    cohort_add(partner(world.network, "Small Clinic"), Q1, measures_of(5))
    cohort_add(partner(world.network, "Smaller Clinic"), Q1, measures_of(4))
    outcomes = public_outcomes(network=world.network, today=TODAY)
    assert outcomes.sharing == 2
    assert outcomes.tables == [] and outcomes.chart is None
    assert "hidden, to protect privacy" in outcomes.said[0]


def test_a_rebuild_of_a_partners_cohorts_makes_the_public_board_again(
    world, sharing, django_capture_on_commit_callbacks
):
    first = board.public_board(network=world.network, today=TODAY)
    assert first.outcomes.table.rows[-1][1] == 70
    large, _, _ = sharing
    # The large partner's sessions are gone: its rebuild leaves it no cohort (bulk writes, no signal).
    with django_capture_on_commit_callbacks(execute=True):
        cohorts_rebuild(organization=large)
    again = board.public_board(network=world.network, today=TODAY)
    assert again.outcomes.table.rows[-1][1] == FEW_MET[STARTED.code]


def test_the_public_page_says_it_and_downloads_its_tables(world, sharing):
    Scorecard.objects.create(network=world.network, published=True)
    Membership.objects.filter(network=world.network).update(named_publicly=False)
    url = reverse("scorecard:public", args=[world.network.slug])
    text = Client().get(url).content.decode()
    assert "What happens after people enroll" in text
    assert "2 partners share their program outcomes" in text
    assert "Unconfirmed:" in text  # the evaluation cohort's definition is (metrics.outcomes)
    embedded = Client().get(reverse("scorecard:embed", args=[world.network.slug])).content.decode()
    assert "What happens after people enroll" in embedded
    download = Client().get(url, {"download": "outcomes"})
    assert download.status_code == 200
    assert "Q1 2025" in download.content.decode("utf-8-sig")
