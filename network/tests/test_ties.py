"""Ties, the network map and the network-level figures: formulas against worked examples, the survey's
trust and value, filters, the role matrix, CSV downloads and queries that do not grow with partners."""

import csv
import datetime
import io
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from network import services
from network.models import (
    AssessmentInvitation,
    AssessmentRound,
    Closeness,
    Instrument,
    ItemScore,
    Network,
    PartnerTie,
    SurveyRelationship,
    TieKind,
)
from network.partnership import ties
from network.tests.factories import MembershipFactory
from partners.models import Organization, OrganizationKind, Sector
from partners.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

OK, FOUND, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404
ROLES = ["backbone", "admin", "partner", "state_viewer", "other_backbone", "other_partner", "outsider"]
ITEMS = ["reliability", "shared_mission", "openness", "power_influence", "resources", "involvement"]
A_DAY = datetime.date(2024, 6, 1)


def aware(*args: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def partner(
    network: Network, name: str, sector: str = Sector.COMMUNITY_BASED, **kwargs: object
) -> Organization:
    organization = OrganizationFactory(name=name, sector=sector)
    MembershipFactory(network=network, organization=organization, **kwargs)
    return organization


def survey_round(network: Network, title: str, closed_at: datetime.datetime | None) -> AssessmentRound:
    return AssessmentRound.objects.create(
        network=network,
        instrument=Instrument.objects.get(code="relationship-survey"),
        title=title,
        opened_at=aware(2024, 1, 1),
        closes_on=datetime.date(2024, 12, 31),
        closed_at=closed_at,
    )


_tokens = itertools.count()


def answer(
    survey: AssessmentRound,
    respondent: Organization,
    named: dict[Organization, tuple[str, Sequence[int]]],
    *,
    submitted: bool = True,
) -> AssessmentInvitation:
    """The respondent's answer: each partner it names, how closely, and its six scores in ITEMS order."""
    invitation = AssessmentInvitation.objects.create(
        round=survey,
        organization=respondent,
        email="contact@example.org",
        token=f"token-{next(_tokens)}",
        submitted_at=aware(2024, 2, 1) if submitted else None,
    )
    items = {item.code: item for item in survey.instrument.items.all()}
    for organization, (closeness, scores) in named.items():
        relationship = SurveyRelationship.objects.create(
            invitation=invitation, partner=organization, closeness=closeness
        )
        ItemScore.objects.bulk_create(
            ItemScore(invitation=invitation, item=items[code], relationship=relationship, score=score)
            for code, score in zip(ITEMS, scores, strict=True)
        )
    return invitation


def tie(network: Network, source: Organization, target: Organization, **kwargs: object) -> PartnerTie:
    return ties.tie_record(
        network=network,
        source=source,
        target=target,
        kind=kwargs.pop("kind", TieKind.REFERRALS),
        started_on=kwargs.pop("started_on", datetime.date(2024, 1, 1)),
        **kwargs,
    )


def graph(network: Network, **filters: object) -> ties.NetworkGraph:
    return ties.network_graph(
        network=network, filters=ties.MapFilters(on=filters.pop("on", A_DAY), **filters)
    )


def names(graph_: ties.NetworkGraph) -> set[frozenset[str]]:
    by_id = {node.organization_id: node.name for node in graph_.nodes}
    return {frozenset([by_id[edge.a], by_id[edge.b]]) for edge in graph_.edges}


# The formulas, on worked examples


def measures(nodes: list[str], edges: list[tuple[str, str]]) -> tuple[float, float]:
    index = {node: i for i, node in enumerate(nodes)}
    merged = ties.undirected_edges(nodes=set(index.values()), pairs=[(index[a], index[b]) for a, b in edges])
    degrees = ties.node_degrees(nodes=index.values(), edges=merged)
    return (
        ties.graph_density(node_count=len(nodes), edge_count=len(merged)),
        ties.degree_centralization(degrees=list(degrees.values())),
    )


def test_density_and_centralization_of_a_star_of_four():
    # N = 4, E = 3: density 2*3 / (4*3) = 0.5; degrees 3,1,1,1: (0+2+2+2) / (3*2) = 1.0
    assert measures(list("abcd"), [("a", "b"), ("a", "c"), ("a", "d")]) == (0.5, 1.0)


def test_density_and_centralization_of_a_complete_graph_of_four():
    # E = 6: density 12 / 12 = 1.0; every degree 3: centralization 0.0
    assert measures(list("abcd"), list(itertools.combinations("abcd", 2))) == (1.0, 0.0)


def test_density_and_centralization_of_paths():
    # a-b-c: density 2*2 / (3*2) = 2/3; degrees 1,2,1: (1+0+1) / (2*1) = 1.0 (a path of three is a star)
    density, centralization = measures(list("abc"), [("a", "b"), ("b", "c")])
    assert math.isclose(density, 2 / 3) and centralization == 1.0
    # a-b-c-d: density 6 / 12 = 0.5; degrees 1,2,2,1: (1+0+0+1) / (3*2) = 1/3
    density, centralization = measures(list("abcd"), [("a", "b"), ("b", "c"), ("c", "d")])
    assert density == 0.5 and math.isclose(centralization, 1 / 3)


def test_fewer_than_three_partners():
    assert measures(list("ab"), [("a", "b")]) == (1.0, 0.0)  # centralization needs N >= 3
    assert measures(list("ab"), []) == (0.0, 0.0)
    assert measures(["a"], []) == (0.0, 0.0)  # density needs N >= 2
    assert measures([], []) == (0.0, 0.0)
    assert ties.degree_centralization(degrees=[0, 0, 0]) == 0.0


def test_undirected_edges_merge_both_directions_and_drop_self_and_outsiders():
    edges = ties.undirected_edges(nodes={1, 2, 3}, pairs=[(1, 2), (2, 1), (3, 3), (3, 9), (3, 1)])
    assert edges == {(1, 2), (1, 3)}


# The graph: sources, threshold, filters, who is on it


def test_a_tie_and_an_answer_in_either_direction_make_one_connection(world):
    network, ymca = world.network, world.supplier
    clinic = partner(network, "Flint Hills Clinic", Sector.HEALTH_CARE)
    tie(network, ymca, clinic)
    tie(network, clinic, ymca, kind=TieKind.DATA_SHARING)
    survey = survey_round(network, "Spring survey", aware(2024, 3, 31, 17))
    answer(survey, clinic, {ymca: (Closeness.COORDINATION, [3] * 6)})
    answer(survey, ymca, {clinic: (Closeness.COOPERATION, [3] * 6)})

    result = graph(network)

    assert result.edge_count == 1
    (edge,) = result.edges
    assert edge.tie_kinds == {TieKind.REFERRALS, TieKind.DATA_SHARING}
    assert (edge.closeness, edge.named_by) == (Closeness.COORDINATION, 2)
    assert result.degree[ymca.pk] == result.degree[clinic.pk] == 1
    assert result.degree[network.backbone_id] == 0
    assert result.node_count == 3 and math.isclose(result.density, 1 / 3)


def test_sources_can_be_chosen(world):
    network, ymca = world.network, world.supplier
    clinic = partner(network, "Flint Hills Clinic")
    church = partner(network, "Grace Church", Sector.FAITH_BASED)
    tie(network, ymca, clinic)
    survey = survey_round(network, "Spring survey", aware(2024, 3, 31, 17))
    answer(survey, church, {ymca: (Closeness.INTEGRATION, [4] * 6)})

    assert names(graph(network, sources=frozenset({"ties"}))) == {
        frozenset({"Prairie YMCA", "Flint Hills Clinic"})
    }
    assert names(graph(network, sources=frozenset({"survey"}))) == {
        frozenset({"Prairie YMCA", "Grace Church"})
    }
    assert len(graph(network).edges) == 2


def test_closeness_threshold(world):
    network, ymca = world.network, world.supplier
    aware_of, cooperates, coordinates, integrates = (partner(network, f"Partner {n}") for n in "ABCD")
    survey = survey_round(network, "Spring survey", aware(2024, 3, 31, 17))
    answer(
        survey,
        ymca,
        {
            aware_of: (Closeness.AWARENESS, [2] * 6),
            cooperates: (Closeness.COOPERATION, [2] * 6),
            coordinates: (Closeness.COORDINATION, [2] * 6),
            integrates: (Closeness.INTEGRATION, [2] * 6),
        },
    )

    def reached(min_closeness: str) -> set[str]:
        result = graph(network, min_closeness=min_closeness)
        return {name for pair in names(result) for name in pair} - {"Prairie YMCA"}

    assert reached(Closeness.AWARENESS) == {"Partner A", "Partner B", "Partner C", "Partner D"}
    assert reached(Closeness.COOPERATION) == {"Partner B", "Partner C", "Partner D"}  # the default
    assert graph(network).filters.min_closeness == Closeness.COOPERATION
    assert reached(Closeness.COORDINATION) == {"Partner C", "Partner D"}
    assert reached(Closeness.INTEGRATION) == {"Partner D"}
    # Ratings count whatever the closeness: the partner known only by awareness is still rated.
    ratings = ties.partner_ratings(survey_round=survey)
    assert ratings[aware_of.pk].raters == 1


def test_sector_and_kind_filters_keep_the_connections_among_the_chosen_partners(world):
    network, ymca = world.network, world.supplier  # health care, a supplier
    clinic = partner(network, "Flint Hills Clinic", Sector.HEALTH_CARE)
    church = partner(network, "Grace Church", Sector.FAITH_BASED)
    supplier_kind = OrganizationKind.objects.get(code="supplier")
    referral_kind = OrganizationKind.objects.get(code="referral_source")
    ymca.kinds.add(supplier_kind)
    clinic.kinds.add(referral_kind)
    church.kinds.add(referral_kind)
    tie(network, ymca, clinic)
    tie(network, church, clinic)
    tie(network, church, ymca)

    health_care = graph(network, sector=Sector.HEALTH_CARE)
    assert {node.name for node in health_care.nodes} == {"Prairie YMCA", "Flint Hills Clinic"}
    assert names(health_care) == {frozenset({"Prairie YMCA", "Flint Hills Clinic"})}

    referrers = graph(network, kind="referral_source")
    assert {node.name for node in referrers.nodes} == {"Flint Hills Clinic", "Grace Church"}
    assert names(referrers) == {frozenset({"Grace Church", "Flint Hills Clinic"})}

    assert graph(network, sector=Sector.HEALTH_CARE, kind="supplier").node_count == 1
    assert graph(network).node_count == 4 and graph(network).edge_count == 3


def test_partners_who_left_and_ended_ties_are_left_out(world):
    network, ymca = world.network, world.supplier
    clinic = partner(network, "Flint Hills Clinic")
    church = partner(network, "Grace Church")
    tie(network, ymca, clinic)
    ended = tie(network, ymca, church, started_on=datetime.date(2023, 6, 1))
    ties.tie_end(tie=ended, ended_on=datetime.date(2024, 5, 1))
    survey = survey_round(network, "Spring survey", aware(2024, 3, 31, 17))
    answer(survey, clinic, {ymca: (Closeness.INTEGRATION, [4] * 6)})
    clinic_membership = network.memberships.get(organization=clinic)
    services.membership_end(membership=clinic_membership, left_on=datetime.date(2024, 5, 15))

    today = graph(network)  # June 1, 2024
    assert clinic.pk not in {node.organization_id for node in today.nodes}
    assert today.edges == []
    # On April 15 both were partners and both ties held.
    earlier = graph(network, on=datetime.date(2024, 4, 15))
    assert names(earlier) == {
        frozenset({"Prairie YMCA", "Flint Hills Clinic"}),
        frozenset({"Prairie YMCA", "Grace Church"}),
    }
    # The day a tie ends, and the day a partner leaves, they are off the map.
    assert frozenset({"Prairie YMCA", "Grace Church"}) not in names(
        graph(network, on=datetime.date(2024, 5, 1))
    )
    assert clinic.pk not in {n.organization_id for n in graph(network, on=datetime.date(2024, 5, 15)).nodes}
    # A tie that has not started yet is not on the map either.
    assert graph(network, on=datetime.date(2023, 5, 31), sources=frozenset({"ties"})).edges == []


def test_the_latest_survey_closed_by_the_date_is_used(world):
    network, ymca = world.network, world.supplier
    clinic = partner(network, "Flint Hills Clinic")
    spring = survey_round(network, "Spring survey", aware(2024, 3, 31, 17))
    fall = survey_round(network, "Fall survey", aware(2024, 10, 31, 17))
    survey_round(network, "Still open", None)
    answer(spring, ymca, {clinic: (Closeness.INTEGRATION, [1] * 6)})
    answer(fall, ymca, {clinic: (Closeness.INTEGRATION, [4] * 6)})

    assert graph(network).survey_round == spring
    assert graph(network, on=datetime.date(2024, 11, 1)).survey_round == fall
    assert graph(network, on=datetime.date(2024, 3, 30)).survey_round is None


# Trust and value


def test_trust_and_value_are_means_of_what_others_said(world):
    network, ymca = world.network, world.supplier
    clinic = partner(network, "Flint Hills Clinic")
    church = partner(network, "Grace Church")
    county = partner(network, "Sedgwick County")
    survey = survey_round(network, "Spring survey", aware(2024, 3, 31, 17))
    #                                  reliability, mission, openness | power, resources, involvement
    answer(survey, clinic, {ymca: (Closeness.COORDINATION, [4, 3, 2, 1, 1, 1])})
    answer(
        survey,
        church,
        {ymca: (Closeness.COOPERATION, [2, 2, 2, 4, 4, 3]), clinic: (Closeness.AWARENESS, [3] * 6)},
    )
    # Not counted: an answer not submitted, and the YMCA rating itself.
    answer(survey, county, {ymca: (Closeness.INTEGRATION, [1] * 6)}, submitted=False)
    answer(
        survey,
        ymca,
        {ymca: (Closeness.INTEGRATION, [4] * 6), clinic: (Closeness.COOPERATION, [1, 1, 1, 2, 2, 2])},
    )
    # Nor the answers of another round.
    other = survey_round(network, "Pilot", aware(2023, 10, 1, 12))
    answer(other, county, {ymca: (Closeness.INTEGRATION, [1] * 6)})

    ratings = ties.partner_ratings(survey_round=survey)

    # Trust: (4+3+2 + 2+2+2) / 6 = 2.5; value: (1+1+1 + 4+4+3) / 6 = 14/6
    assert ratings[ymca.pk].trust == pytest.approx(2.5)
    assert ratings[ymca.pk].value == pytest.approx(14 / 6)
    assert ratings[ymca.pk].raters == 2
    # The clinic: church (3, 3) and YMCA (1, 2).
    assert ratings[clinic.pk] == ties.PartnerRating(
        trust=pytest.approx(2.0), value=pytest.approx(2.5), raters=2
    )
    assert church.pk not in ratings and county.pk not in ratings
    assert ties.partner_ratings(survey_round=None) == {}


def test_partner_relationships_show_each_rater_and_the_means(world):
    network, ymca = world.network, world.supplier
    clinic = partner(network, "Flint Hills Clinic")
    church = partner(network, "Grace Church")
    survey = survey_round(network, "Spring survey", aware(2024, 3, 31, 17))
    answer(survey, clinic, {ymca: (Closeness.COORDINATION, [4, 3, 2, 1, 1, 1])})
    answer(survey, church, {ymca: (Closeness.COOPERATION, [2, 2, 2, 4, 4, 3])})
    answer(survey, ymca, {church: (Closeness.AWARENESS, [3] * 6)})

    detail = ties.partner_relationships(network=network, organization=ymca, on=A_DAY)

    assert detail.score_rows == [
        ("Flint Hills Clinic", "Coordination", [4, 3, 2, 1, 1, 1]),
        ("Grace Church", "Cooperation", [2, 2, 2, 4, 4, 3]),
    ]
    assert detail.mean_row == ["3.00", "2.50", "2.00", "2.50", "2.50", "2.00"]
    assert (detail.trust, detail.value) == ("2.50", "2.33")  # as partner_ratings: (4+3+2+2+2+2)/6, 14/6
    assert detail.named == [("Grace Church", "Awareness")]
    assert [label for label, _, _ in detail.columns][3] == "Power and influence"


# Network-level figures over rounds


def test_graph_trend_over_rounds(world):
    network, ymca, backbone = world.network, world.supplier, world.network.backbone
    clinic = partner(network, "Flint Hills Clinic")
    church = partner(network, "Grace Church", joined_on=datetime.date(2024, 6, 1))
    tie(network, ymca, clinic, started_on=datetime.date(2023, 2, 1))
    tie(network, backbone, church, started_on=datetime.date(2024, 6, 1))
    spring = survey_round(network, "Spring survey", aware(2024, 3, 31, 17))
    fall = survey_round(network, "Fall survey", aware(2024, 10, 31, 17))
    # Spring: three partners (backbone, YMCA, clinic), the backbone at the centre of a star.
    answer(
        spring, backbone, {ymca: (Closeness.COOPERATION, [3] * 6), clinic: (Closeness.COORDINATION, [3] * 6)}
    )
    answer(spring, ymca, {clinic: (Closeness.AWARENESS, [3] * 6)})  # below the default threshold
    # Fall: four partners, all connected (a complete graph: 6 connections).
    members = [backbone, ymca, clinic, church]
    for i, respondent in enumerate(members[:3]):
        answer(fall, respondent, {other: (Closeness.INTEGRATION, [4] * 6) for other in members[i + 1 :]})

    trend = ties.graph_trend(network=network, today=datetime.date(2025, 1, 15))

    spring_point, fall_point, today_point = trend
    assert (spring_point.label, spring_point.on, spring_point.partners) == (
        "Spring survey",
        datetime.date(2024, 3, 31),
        3,
    )
    assert spring_point.respondents == 2
    assert spring_point.survey_ties == 2
    assert spring_point.survey_density == pytest.approx(2 / 3)
    assert spring_point.survey_centralization == 1.0
    # Recorded ties on March 31: YMCA-clinic only; degrees 1, 1, 0: (0+0+1) / (2*1) = 0.5.
    assert (spring_point.recorded_ties, spring_point.recorded_centralization) == (1, 0.5)
    assert spring_point.recorded_density == pytest.approx(1 / 3)
    assert (fall_point.partners, fall_point.survey_ties, fall_point.survey_density) == (4, 6, 1.0)
    assert fall_point.survey_centralization == 0.0
    assert fall_point.respondents == 3  # the church named nobody left to name
    # Recorded ties on Oct 31: YMCA-clinic and backbone-church: 2 of 6 pairs, every degree 1.
    assert (fall_point.recorded_ties, fall_point.recorded_density, fall_point.recorded_centralization) == (
        2,
        pytest.approx(1 / 3),
        0.0,
    )
    assert today_point.label == "Today" and today_point.survey_density is None
    assert today_point.recorded_ties == 2

    lenient = ties.graph_trend(
        network=network, min_closeness=Closeness.AWARENESS, today=datetime.date(2025, 1, 15)
    )
    assert lenient[0].survey_ties == 3 and lenient[0].survey_density == 1.0


# Recording and ending ties


def test_tie_record_refuses_self_non_members_former_partners_and_duplicates(world):
    network, ymca = world.network, world.supplier
    with pytest.raises(ValidationError, match="two different partners"):
        tie(network, ymca, ymca)
    stranger = OrganizationFactory(name="Not A Partner")
    with pytest.raises(ValidationError, match="not a current partner"):
        tie(network, ymca, stranger)
    foreign = world.other_network.memberships.get().organization
    with pytest.raises(ValidationError, match="not a current partner"):
        tie(network, foreign, ymca)
    clinic = partner(network, "Flint Hills Clinic")
    tie(network, ymca, clinic)
    with pytest.raises(ValidationError, match="already has a current referrals tie"):
        tie(network, ymca, clinic)
    tie(network, clinic, ymca)  # the other direction is another tie
    tie(network, ymca, clinic, kind=TieKind.FUNDING)  # and so is another kind
    services.membership_end(membership=network.memberships.get(organization=clinic), left_on=A_DAY)
    church = partner(network, "Grace Church")
    with pytest.raises(ValidationError, match="not a current partner"):
        tie(network, church, clinic)
    assert PartnerTie.objects.filter(network=network).count() == 3


def test_tie_end_and_work_together_again(world):
    network, ymca = world.network, world.supplier
    clinic = partner(network, "Flint Hills Clinic")
    recorded = tie(network, ymca, clinic, started_on=datetime.date(2024, 2, 1))
    with pytest.raises(ValidationError, match="cannot end before it started"):
        ties.tie_end(tie=recorded, ended_on=datetime.date(2024, 1, 31))
    ties.tie_end(tie=recorded, ended_on=datetime.date(2024, 4, 1))
    with pytest.raises(ValidationError, match="already ended"):
        ties.tie_end(tie=recorded, ended_on=datetime.date(2024, 4, 2))
    again = tie(network, ymca, clinic, started_on=datetime.date(2024, 9, 1), note="New referral agreement")
    # The ended tie stays as history: the earlier period still counts on dates within it.
    assert again.pk != recorded.pk
    recorded.refresh_from_db()
    assert (recorded.started_on, recorded.ended_on) == (datetime.date(2024, 2, 1), datetime.date(2024, 4, 1))
    assert (again.started_on, again.ended_on, again.note) == (
        datetime.date(2024, 9, 1),
        None,
        "New referral agreement",
    )


# Pages


@dataclass
class Setup:
    tie: PartnerTie
    survey: AssessmentRound


@pytest.fixture
def setup(world) -> Setup:
    network, ymca, backbone = world.network, world.supplier, world.network.backbone
    recorded = tie(network, backbone, ymca)
    survey = survey_round(network, "Spring survey", aware(2024, 3, 31, 17))
    answer(survey, backbone, {ymca: (Closeness.INTEGRATION, [4, 4, 3, 3, 2, 2])})
    answer(survey, ymca, {backbone: (Closeness.COORDINATION, [3, 3, 3, 4, 4, 4])})
    return Setup(tie=recorded, survey=survey)


def network_level_pages(slug: str) -> dict[str, str]:
    return {"map_trend": reverse("network:map_trend", args=[slug])}


def backbone_pages(slug: str, setup: Setup, organization_id: int) -> dict[str, str]:
    return {
        "map": reverse("network:map", args=[slug]),
        "map_organization": reverse("network:map_organization", args=[slug, organization_id]),
        "tie_list": reverse("network:tie_list", args=[slug]),
        "tie_create": reverse("network:tie_create", args=[slug]),
        "tie_end": reverse("network:tie_end", args=[slug, setup.tie.pk]),
    }


def expected(role: str, *, manage: bool) -> int:
    if role in ("backbone", "admin"):
        return OK
    if role in ("partner", "state_viewer"):
        return FORBIDDEN if manage else OK
    return NOT_FOUND


@pytest.mark.parametrize("role", ROLES)
def test_pages_role_matrix(world, setup, client_for, role):
    client = client_for(getattr(world, role))
    for page, url in network_level_pages("kansas").items():
        assert client.get(url).status_code == expected(role, manage=False), (role, page)
    for page, url in backbone_pages("kansas", setup, world.supplier.pk).items():
        assert client.get(url).status_code == expected(role, manage=True), (role, page)
        downloaded = client.get(url, {"download": "partners-on-the-map"})
        assert downloaded.status_code == expected(role, manage=True), (role, page)


def test_anonymous_visitors_are_sent_to_sign_in(world, setup, client):
    pages = {**network_level_pages("kansas"), **backbone_pages("kansas", setup, world.supplier.pk)}
    for url in pages.values():
        for response in (client.get(url), client.post(url, {"ended_on": "2024-05-01"})):
            assert response.status_code == FOUND
            assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["partner", "state_viewer", "other_backbone", "other_partner", "outsider"])
def test_posts_need_backbone_staff_and_change_nothing(world, setup, client_for, role):
    client = client_for(getattr(world, role))
    clinic = partner(world.network, "Flint Hills Clinic")
    data = {
        "source": world.supplier.pk,
        "target": clinic.pk,
        "kind": TieKind.FUNDING,
        "started_on": "2024-05-01",
        "ended_on": "2024-05-01",
    }
    for page, url in backbone_pages("kansas", setup, world.supplier.pk).items():
        assert client.post(url, data).status_code == expected(role, manage=True), (role, page)
    setup.tie.refresh_from_db()
    assert setup.tie.ended_on is None
    assert PartnerTie.objects.count() == 1


def test_ties_and_partners_of_another_network_are_not_found(world, setup, client_for):
    foreign = world.other_network.memberships.get().organization
    other_clinic = partner(world.other_network, "Wasatch Referrals")
    foreign_tie = tie(world.other_network, foreign, other_clinic)
    client = client_for(world.backbone)
    for url in (
        reverse("network:tie_end", args=["kansas", foreign_tie.pk]),
        reverse("network:map_organization", args=["kansas", foreign.pk]),
    ):
        assert client.get(url).status_code == NOT_FOUND
        assert client.post(url, {"ended_on": "2024-05-01"}).status_code == NOT_FOUND
    foreign_tie.refresh_from_db()
    assert foreign_tie.ended_on is None
    assert client.get(reverse("network:map", args=["atlantis"])).status_code == NOT_FOUND


def test_backbone_records_and_ends_a_tie(world, client_for):
    client = client_for(world.backbone)
    clinic = partner(world.network, "Flint Hills Clinic")
    response = client.post(
        reverse("network:tie_create", args=["kansas"]),
        {
            "source": world.supplier.pk,
            "target": clinic.pk,
            "kind": TieKind.CO_DELIVERY,
            "started_on": "2024-02-01",
        },
    )
    assert response.status_code == FOUND
    assert response["Location"] == reverse("network:tie_list", args=["kansas"])
    recorded = PartnerTie.objects.get(network=world.network)
    assert (recorded.source, recorded.target, recorded.kind) == (world.supplier, clinic, TieKind.CO_DELIVERY)
    assert recorded.started_on == datetime.date(2024, 2, 1)

    listing = client.get(reverse("network:tie_list", args=["kansas"])).content.decode()
    assert "Flint Hills Clinic" in listing and "Co-delivery of the program" in listing
    services.membership_end(membership=world.network.memberships.get(organization=clinic), left_on=A_DAY)
    listing = client.get(reverse("network:tie_list", args=["kansas"])).content.decode()
    assert "No: a partner has left" in listing

    end_url = reverse("network:tie_end", args=["kansas", recorded.pk])
    response = client.post(end_url, {"ended_on": "2024-01-01"})
    assert response.status_code == OK
    assert "cannot end before it started" in response.content.decode()
    assert client.post(end_url, {"ended_on": "2024-08-01"}).status_code == FOUND
    recorded.refresh_from_db()
    assert recorded.ended_on == datetime.date(2024, 8, 1)
    assert "This tie has ended" in client.get(end_url).content.decode()


def test_tie_form_errors(world, client_for):
    client = client_for(world.backbone)
    url = reverse("network:tie_create", args=["kansas"])
    base = {"kind": TieKind.REFERRALS, "started_on": "2024-02-01"}

    same = client.post(url, {**base, "source": world.supplier.pk, "target": world.supplier.pk})
    assert same.status_code == OK
    assert same.context["form"].errors["target"] == [
        "A tie links two different partners: choose another organization."
    ]

    stranger = OrganizationFactory(name="Not A Partner")
    outside = client.post(url, {**base, "source": world.supplier.pk, "target": stranger.pk})
    assert outside.context["form"].errors["target"] == ["Choose a current partner of the network."]
    assert "Choose a current partner of the network." in outside.content.decode()

    missing = client.post(url, {"source": world.supplier.pk})
    assert set(missing.context["form"].errors) == {"target", "kind", "started_on"}

    tie(world.network, world.supplier, world.network.backbone)
    duplicate = client.post(url, {**base, "source": world.supplier.pk, "target": world.network.backbone.pk})
    assert duplicate.status_code == OK
    assert "already has a current referrals tie" in duplicate.content.decode()
    assert PartnerTie.objects.count() == 1


def test_map_page_draws_partners_with_trust_and_value(world, setup, client_for):
    response = client_for(world.backbone).get(reverse("network:map", args=["kansas"]))
    html = response.content.decode()
    assert "vendor/plotly/plotly.min.js" in html and "js/charts.js" in html
    figure = json.loads(response.context["chart"].json)
    hover = " ".join(text for trace in figure["data"] for text in trace.get("hovertext") or [])
    # The YMCA was rated by the backbone: trust (4+4+3)/3 = 3.67, value (3+2+2)/3 = 2.33.
    assert (
        "Prairie YMCA" in hover
        and "Trust: 3.67" in hover
        and "Value: 2.33" in hover
        and "Connections: 1" in hover
    )
    legend = {trace["name"] for trace in figure["data"]}
    assert {"Health care", "Public health", "Recorded tie and named in the survey"} <= legend
    rows = {row[0]: row for row in response.context["partner_table"].rows}
    assert rows["Prairie YMCA"] == ["Prairie YMCA", "Health care", 1, "3.67", "2.33", 1]
    assert "Spring survey" in html
    assert reverse("network:map_organization", args=["kansas", world.supplier.pk]) in html


def test_map_form_choices_and_errors(world, setup, client_for):
    client = client_for(world.backbone)
    url = reverse("network:map", args=["kansas"])
    response = client.get(
        url, {"on": "2024-06-01", "sources": "ties", "min_closeness": "integration", "sector": "health_care"}
    )
    graph_ = response.context["graph"]
    assert graph_.filters.sources == frozenset({"ties"}) and graph_.filters.sector == "health_care"
    assert [node.name for node in graph_.nodes] == ["Prairie YMCA"]

    # A link with only some choices keeps the defaults for the others.
    linked = client.get(url, {"sector": "public_health"})
    assert not linked.context["form"].errors
    assert linked.context["graph"].filters == ties.MapFilters(on=timezone.localdate(), sector="public_health")

    wrong = client.get(url, {"on": "2024-06-01", "min_closeness": "integration"})  # no source ticked
    assert wrong.status_code == OK
    assert "Choose at least one source of connections." in wrong.content.decode()
    assert wrong.context["graph"].filters == ties.MapFilters(on=timezone.localdate())


def test_partner_staff_and_state_viewer_see_network_level_figures_only(world, setup, client_for):
    for user in (world.partner, world.state_viewer):
        response = client_for(user).get(reverse("network:map_trend", args=["kansas"]))
        html = response.content.decode()
        assert response.status_code == OK
        assert "Prairie YMCA" not in html and world.network.backbone.name not in html
        assert "Trust" not in html and "trust" not in html
        assert f'href="{reverse("network:map", args=["kansas"])}"' not in html
        row = ["Spring survey", "2024-03-31", 2, 2, 1, "1.000", "0.000", 1, "1.000", "0.000"]
        assert response.context["table"].rows[0] == row
    backbone_html = (
        client_for(world.backbone).get(reverse("network:map_trend", args=["kansas"])).content.decode()
    )
    assert reverse("network:map", args=["kansas"]) in backbone_html


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def as_text(rows: list[Sequence[object]]) -> list[list[str]]:
    return [["" if value is None else str(value) for value in row] for row in rows]


def test_csv_downloads_hold_the_same_numbers_as_the_tables(world, setup, client_for):
    client = client_for(world.backbone)
    partner(world.network, "Grace Church")  # unrated: empty cells
    map_url = reverse("network:map", args=["kansas"])
    page = client.get(
        map_url, {"on": "2024-06-01", "sources": ["ties", "survey"], "min_closeness": "cooperation"}
    )
    for key in ("partner_table", "connection_table"):
        table = page.context[key]
        downloaded = client.get(
            map_url,
            {
                "on": "2024-06-01",
                "sources": ["ties", "survey"],
                "min_closeness": "cooperation",
                "download": table.slug,
            },
        )
        assert read_csv(downloaded) == [list(table.columns), *as_text(table.rows)]
        assert table.slug in downloaded["Content-Disposition"]
    assert len(page.context["partner_table"].rows) == 3

    trend_url = reverse("network:map_trend", args=["kansas"])
    for user in (world.backbone, world.state_viewer):
        client = client_for(user)
        table = client.get(trend_url).context["table"]
        assert read_csv(client.get(trend_url, {"download": table.slug})) == [
            list(table.columns),
            *as_text(table.rows),
        ]


def test_map_organization_page_shows_who_said_what(world, setup, client_for):
    url = reverse("network:map_organization", args=["kansas", world.supplier.pk])
    html = client_for(world.backbone).get(url).content.decode()
    assert world.network.backbone.name in html and "Integration" in html
    assert "Power and influence" in html and "Spring survey" in html


def populate(network: Network, survey: AssessmentRound, start: int, count: int) -> None:
    """``count`` more partners, each with a tie to and an answer about the one before it."""
    previous = network.backbone
    for n in range(start, start + count):
        organization = partner(network, f"Partner {n:02}", Sector.values[n % len(Sector.values)])
        organization.kinds.add(OrganizationKind.objects.order_by("pk")[n % 3])
        tie(network, organization, previous)
        answer(survey, organization, {previous: (Closeness.COORDINATION, [n % 4 + 1] * 6)})
        previous = organization


def test_queries_do_not_grow_with_partners(world, setup, client_for):
    client = client_for(world.backbone)
    urls = [
        reverse("network:map", args=["kansas"]),
        reverse("network:map", args=["kansas"])
        + "?on=2024-06-01&sources=ties&sources=survey&min_closeness=awareness&kind=supplier",
        reverse("network:map_organization", args=["kansas", world.supplier.pk]),
        reverse("network:map_trend", args=["kansas"]),
        reverse("network:tie_list", args=["kansas"]),
        reverse("network:tie_create", args=["kansas"]),
    ]

    def counts() -> list[int]:
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == OK
            result.append(len(queries))
        return result

    populate(world.network, setup.survey, 0, 1)  # 3 partners
    assert world.network.memberships.count() == 3
    small = counts()
    populate(world.network, setup.survey, 1, 12)  # 15 partners
    assert world.network.memberships.count() == 15
    assert counts() == small


def test_layout_is_deterministic_and_in_view():
    nodes = list(range(30))
    edges = [(0, n) for n in range(1, 10)] + [(10, n) for n in range(11, 20)] + [(0, 10)]
    first = ties.graph_layout(nodes=nodes, edges=edges)
    assert first == ties.graph_layout(nodes=nodes, edges=edges)
    connected, alone = nodes[:20], nodes[20:]
    assert all(-1 <= first[n][0] <= 1 and -1 <= first[n][1] <= 1 for n in connected)
    # Partners without connections stand in a row below the others.
    assert {first[n][1] for n in alone} == {-1.3}
    assert min(math.dist(first[a], first[b]) for a, b in itertools.combinations(nodes, 2)) > 0.01
    assert ties.graph_layout(nodes=[7], edges=[]) == {7: (0.0, -1.3)}
    pair = ties.graph_layout(nodes=[7, 8], edges=[(7, 8)])
    assert pair[7] == pytest.approx((1.0, 0.0)) and pair[8] == pytest.approx((-1.0, 0.0))
    assert ties.graph_layout(nodes=[], edges=[]) == {}


# Labels and the search


def test_map_labels_are_names_cut_at_a_word():
    assert ties.map_label("Prairie YMCA") == "Prairie YMCA"
    assert ties.map_label("Cottonwood Bend Community Health Center") == "Cottonwood Bend…"
    assert ties.map_label("Kansas Department of Health and Environment") == "Kansas Department of…"
    assert len(ties.map_label("x" * 60)) <= ties.LABEL_CHARS


def label_box(place: str, position: tuple[float, float], label: str, size: float) -> tuple[float, ...]:
    x, y = position
    width, height = len(label) * ties.LABEL_CHAR_WIDTH, ties.LABEL_HEIGHT
    gap = size / 2 / 260 + 0.01
    return {
        "middle right": (x + gap, y - height / 2, x + gap + width, y + height / 2),
        "middle left": (x - gap - width, y - height / 2, x - gap, y + height / 2),
        "top center": (x - width / 2, y + gap, x + width / 2, y + gap + height),
        "bottom center": (x - width / 2, y - gap - height, x + width / 2, y - gap),
    }[place]


def test_map_labels_go_where_they_cover_little_and_are_left_off_where_they_would_cover_much():
    # Two partners side by side: the first (more connections) takes the right, the second moves off it.
    positions = {1: (0.0, 0.0), 2: (0.3, 0.0), 3: (5.0, 5.0)}
    labels = {1: "Prairie YMCA", 2: "Lawrence Clinic", 3: "Far Away"}
    sizes = {1: 20.0, 2: 10.0, 3: 10.0}
    places = ties.map_label_places(positions=positions, labels=labels, sizes=sizes)
    assert places == {1: "middle left", 2: "middle right", 3: "middle right"}  # 1 keeps clear of 2
    assert places == ties.map_label_places(positions=positions, labels=labels, sizes=sizes)
    # A crowd on one spot: the first is labelled, and no two labels shown cover each other.
    crowd = {n: (0.001 * n, 0.0) for n in range(10)}
    placed = ties.map_label_places(
        positions=crowd, labels={n: f"Partner {n}" for n in crowd}, sizes=dict.fromkeys(crowd, 10.0)
    )
    shown = [n for n, place in placed.items() if place]
    assert 1 <= len(shown) < len(crowd)
    boxes = [label_box(placed[n], crowd[n], f"Partner {n}", 10.0) for n in shown]
    for a, b in itertools.combinations(boxes, 2):
        assert ties._overlap(a, b) <= ties.LABEL_MOST_COVERED * (a[2] - a[0]) * (a[3] - a[1])


def test_map_page_labels_partners_and_carries_the_search(world, setup, client_for):
    lawrence = partner(world.network, "Lawrence Clinic", Sector.HEALTH_CARE)
    tie(world.network, world.supplier, lawrence)
    response = client_for(world.backbone).get(reverse("network:map", args=["kansas"]))
    html = response.content.decode()
    figure = json.loads(response.context["chart"].json)
    partners = [trace for trace in figure["data"] if trace.get("meta") == "map-partners"]
    labelled = {
        organization_id: text
        for trace in partners
        for organization_id, text in zip(trace["customdata"], trace["text"], strict=True)
    }
    assert all(trace["mode"] == "markers+text" for trace in partners)
    assert labelled[world.supplier.pk] == "Prairie YMCA" and labelled[lawrence.pk] == "Lawrence Clinic"
    assert [trace.get("meta") for trace in figure["data"][-2:]] == ["map-search-ties", "map-search-found"]
    # The search box, its list of names, and what the search reads: names, places and connections.
    assert 'id="map-search"' in html and 'aria-controls="network-map"' in html
    assert 'role="status"' in html and '<option value="Lawrence Clinic">' in html
    assert "js/network_map.js" in html
    data = response.context["search_data"]
    by_name = {node["name"]: node for node in data["nodes"]}
    backbone = world.network.backbone
    assert by_name["Prairie YMCA"]["neighbours"] == sorted([backbone.pk, lawrence.pk])
    assert by_name["Lawrence Clinic"]["neighbours"] == [world.supplier.pk]
    assert by_name["Lawrence Clinic"]["sector"] == "Health care"
    assert '<script id="network-map-search" type="application/json">' in html
    # The same connections are in the table below the map.
    connections = {frozenset(row[:2]) for row in response.context["connection_table"].rows}
    assert frozenset({"Prairie YMCA", "Lawrence Clinic"}) in connections
