"""Program outcomes as published (`metrics.outcome_publication`): a small count hidden, its complement
hidden too, the viewer's own part, a partner not sharing counted nowhere but on its own page, and the
state seeing identified only the partners that share both ways."""

import datetime

import pytest

from core.disclosure import Reason, determined
from metrics.outcome_publication import cell_equations, cell_keys, cohort_running, outcome_publications
from metrics.outcomes import BY_GROUP, SESSIONS, STARTED, retained_code
from metrics.publication import NO_DATA, Figure
from metrics.tests.cohorts import category, cohort_add, measures_of
from network.models import DataSharing
from network.selectors import EVERYONE_IDENTIFIED, Viewer, viewer_of
from network.tests.factories import MembershipFactory, NetworkFactory
from partners.tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

JAN, FEB = datetime.date(2025, 1, 1), datetime.date(2025, 2, 1)
Q1 = JAN
TODAY = datetime.date(2026, 9, 1)  # every 2025 cohort's year is over


def partner(network, name: str, *, shared: bool = True, **membership: object):
    organization = SupplierFactory(name=name)
    MembershipFactory(network=network, organization=organization, outcomes_shared=shared, **membership)
    return organization


def published(network, viewer: Viewer, today: datetime.date = TODAY):
    return outcome_publications(networks=[network], viewer=viewer, today=today)


def test_a_small_count_is_hidden_and_so_is_its_complement():
    network = NetworkFactory()
    small, large = partner(network, "Small Clinic"), partner(network, "Large YMCA")
    few, many = measures_of(5), measures_of(40)
    cohort_add(small, JAN, few, female=few)  # all five are women
    cohort_add(large, FEB, many, female=dict.fromkeys(many, 0))  # all forty are men
    aggregate = published(network, Viewer()).networks[network.pk]
    assert not aggregate.identified
    assert aggregate.cohorts == [Q1]  # published by quarter of cohorts
    assert aggregate.figure(Q1, STARTED.code) == Figure(45)
    women, men = category("sex", "female").pk, category("sex", "male").pk
    assert aggregate.figure(Q1, STARTED.code, women) == Figure(None, Reason.SMALL)
    # The total less the men would give the women away: the men are hidden too.
    assert aggregate.figure(Q1, STARTED.code, men) == Figure(None, Reason.COMPLEMENT)


def test_no_hidden_count_can_be_worked_out_from_the_sessions_buckets():
    network = NetworkFactory()
    organization = partner(network, "Prairie YMCA")
    counts = measures_of(60)
    counts |= {SESSIONS[0].code: 4, SESSIONS[1].code: 20, SESSIONS[2].code: 20, SESSIONS[3].code: 16}
    cohort_add(organization, JAN, counts)
    aggregate = published(network, Viewer()).networks[network.pk]
    hidden = {measure for (_, measure, category) in aggregate.hidden if category is None}
    assert SESSIONS[0].code in hidden
    # Started less the other buckets would give it away: one more of them (or started) is hidden.
    assert len(hidden & {SESSIONS[1].code, SESSIONS[2].code, SESSIONS[3].code, STARTED.code}) >= 1
    assert aggregate.figure(Q1, retained_code(1)).value == aggregate.figure(Q1, STARTED.code).value


def test_what_is_hidden_cannot_be_worked_out_from_what_is_shown():
    """Checked the way `core.disclosure` checks it: with the cells' equations, no hidden cell is pinned."""
    network = NetworkFactory()
    for n, started in enumerate((3, 25, 14)):
        organization = partner(network, f"Partner {n}")
        counts = measures_of(started, kept=0.3)
        cohort_add(organization, JAN, counts, female={code: count // 3 for code, count in counts.items()})
    aggregate = published(network, Viewer()).networks[network.pk]
    assert aggregate.hidden
    breakdown_of = {category("sex", code).pk: "sex" for code in ("female", "male", "unknown")}
    equations = cell_equations(("N", network.pk), cell_keys(aggregate.counts), breakdown_of)
    hidden = [("N", network.pk, *key) for key in aggregate.hidden]
    assert not determined(hidden, equations)


def test_the_viewer_s_own_part_is_known_to_them_and_the_rest_is_what_is_protected():
    network = NetworkFactory()
    own, other = partner(network, "Own Clinic"), partner(network, "Other YMCA")
    cohort_add(own, JAN, measures_of(30))
    cohort_add(other, JAN, measures_of(5))
    # The public sees 35 participants started in the quarter: far above the threshold.
    assert published(network, Viewer()).networks[network.pk].figure(Q1, STARTED.code) == Figure(35)
    # Own Clinic's staff know their 30: the other 5 would follow from the 35.
    mine = published(network, Viewer(organization_ids=frozenset({own.pk}))).networks[network.pk]
    assert mine.figure(Q1, STARTED.code) == Figure(None, Reason.SMALL)


def test_a_partner_not_sharing_counts_nowhere_but_on_its_own_page():
    network = NetworkFactory()
    sharing = partner(network, "Sharing YMCA")
    private = partner(network, "Private Clinic", shared=False)
    cohort_add(sharing, JAN, measures_of(20))
    cohort_add(private, JAN, measures_of(100))
    backbone = published(network, Viewer(every_partner_of=frozenset({network.pk})))
    assert backbone.networks[network.pk].identified
    assert backbone.networks[network.pk].figure(JAN, STARTED.code) == Figure(20)
    assert (network.pk, private.pk) not in backbone.partners
    assert backbone.partners[network.pk, sharing.pk].figure(JAN, STARTED.code) == Figure(20)
    own_staff = published(network, Viewer(organization_ids=frozenset({private.pk})))
    assert own_staff.partners[network.pk, private.pk].figure(JAN, STARTED.code) == Figure(100)
    assert own_staff.networks[network.pk].figure(Q1, STARTED.code) == Figure(20)
    assert (network.pk, sharing.pk) not in own_staff.partners


def test_a_former_partner_counts_for_the_months_its_membership_covered():
    network = NetworkFactory()
    former = partner(network, "Former Clinic", left_on=datetime.date(2025, 1, 31))
    cohort_add(former, JAN, measures_of(12))
    cohort_add(former, datetime.date(2025, 3, 1), measures_of(50))
    backbone = published(network, Viewer(every_partner_of=frozenset({network.pk}))).networks[network.pk]
    assert backbone.figure(JAN, STARTED.code) == Figure(12)
    assert backbone.cohorts == [JAN]  # March came after it left


def test_the_state_sees_identified_only_a_partner_sharing_both_ways(world):
    network = world.network
    both = partner(network, "Both Ways", data_sharing=DataSharing.BACKBONE_AND_STATE)
    outcomes_only = partner(network, "Outcomes Only")
    figures_only = partner(network, "Figures Only", shared=False, data_sharing=DataSharing.BACKBONE_AND_STATE)
    for organization in (both, outcomes_only, figures_only):
        cohort_add(organization, JAN, measures_of(30))
    found = outcome_publications(
        networks=[network], viewer=viewer_of(user=world.state_viewer), today=TODAY, with_states=True
    )
    assert set(found.partners) == {(network.pk, both.pk)}
    state = found.states[network.state_id]
    assert not state.identified
    assert state.figure(Q1, STARTED.code) == Figure(60)  # both sharing partners, not Figures Only


def test_a_cohort_runs_until_its_twelfth_program_month_is_over():
    assert cohort_running(JAN, datetime.date(2026, 1, 30))
    assert not cohort_running(JAN, datetime.date(2026, 1, 31))


def test_a_partner_that_left_sharing_and_came_back_without_counts_for_its_first_membership_only():
    network = NetworkFactory()
    organization = partner(network, "Returning Clinic", left_on=datetime.date(2025, 1, 31))
    MembershipFactory(network=network, organization=organization, joined_on=datetime.date(2025, 6, 1))
    cohort_add(organization, JAN, measures_of(12))
    cohort_add(organization, datetime.date(2025, 7, 1), measures_of(50))
    backbone = published(network, Viewer(every_partner_of=frozenset({network.pk})))
    assert backbone.networks[network.pk].cohorts == [JAN]
    assert backbone.networks[network.pk].figure(JAN, STARTED.code) == Figure(12)
    assert (network.pk, organization.pk) in backbone.partners  # it did share: its line is there


def test_by_group_only_what_the_equity_breakdown_reads_is_published_to_a_viewer_who_does_not_see_all():
    network = NetworkFactory()
    organization = partner(network, "Prairie YMCA")
    counts = measures_of(60) | {SESSIONS[1].code: 60}
    cohort_add(organization, JAN, counts, female=counts)
    women = category("sex", "female").pk
    aggregate = published(network, Viewer()).networks[network.pk]
    for code in BY_GROUP:
        assert aggregate.figure(Q1, code, women) == aggregate.figure(Q1, code) == Figure(counts[code]), code
    # The sessions attended, by group: not published (not a zero), though published for everyone.
    assert aggregate.figure(Q1, SESSIONS[1].code, women) == NO_DATA
    assert aggregate.figure(Q1, retained_code(2), women) == NO_DATA
    assert aggregate.figure(Q1, SESSIONS[1].code) == Figure(60)
    # The backbone staff, who see every partner, read every measure by group, by month.
    whole = published(network, EVERYONE_IDENTIFIED).networks[network.pk]
    assert whole.figure(JAN, SESSIONS[1].code, women) == Figure(60)
