"""The program outcome pages against the role matrix, their CSV downloads, and their queries, which do not
grow with the number of partners."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.outcome_publication import outcome_publications
from metrics.outcomes import STARTED
from metrics.tests.cohorts import cohort_add, measures_of
from network import services
from network.models import DataSharing, RoleKind
from network.selectors import Viewer, viewer_of
from network.tests.factories import MembershipFactory, NetworkFactory, UserFactory
from partners.tests.factories import SupplierFactory, state

pytestmark = pytest.mark.django_db

JAN = datetime.date(2025, 1, 1)
TODAY = datetime.date.today()


def network_url(world) -> str:
    return reverse("metrics:outcomes_network", args=[world.network.slug])


def partner_url(world, organization=None) -> str:
    organization = organization or world.supplier
    return reverse("metrics:outcomes_partner", args=[world.network.slug, organization.pk])


def state_url(world) -> str:
    return reverse("metrics:outcomes_state", args=[world.network.state.code])


def sharing(world, *, shared: bool = True, data_sharing: str = DataSharing.BACKBONE_ONLY) -> None:
    world.membership.outcomes_shared = shared
    world.membership.data_sharing = data_sharing
    world.membership.save()


@pytest.fixture
def counted(world):
    cohort_add(world.supplier, JAN, measures_of(40), female=measures_of(15))
    return world


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("backbone", 200),
        ("admin", 200),
        ("partner", 403),
        ("state_viewer", 403),
        ("other_backbone", 404),
        ("other_partner", 404),
        ("outsider", 404),
    ],
)
def test_the_network_page_is_the_backbone_s(counted, client_for, who, status):
    response = client_for(getattr(counted, who)).get(network_url(counted))
    assert response.status_code == status


@pytest.mark.parametrize(
    ("who", "shared", "data_sharing", "status"),
    [
        ("partner", False, DataSharing.BACKBONE_ONLY, 200),  # its own staff, whatever it chose
        ("backbone", False, DataSharing.BACKBONE_ONLY, 403),
        ("backbone", True, DataSharing.BACKBONE_ONLY, 200),
        ("state_viewer", True, DataSharing.BACKBONE_ONLY, 403),
        ("state_viewer", False, DataSharing.BACKBONE_AND_STATE, 403),
        ("state_viewer", True, DataSharing.BACKBONE_AND_STATE, 200),
        ("other_backbone", True, DataSharing.BACKBONE_AND_STATE, 404),
        ("other_partner", True, DataSharing.BACKBONE_AND_STATE, 404),
        ("outsider", True, DataSharing.BACKBONE_AND_STATE, 404),
    ],
)
def test_a_partner_s_page_is_its_staff_s_and_of_those_it_shares_with(
    counted, client_for, who, shared, data_sharing, status
):
    sharing(counted, shared=shared, data_sharing=data_sharing)
    response = client_for(getattr(counted, who)).get(partner_url(counted))
    assert response.status_code == status


def test_a_partner_that_never_was_one_is_not_found(counted, client_for):
    stranger = SupplierFactory(name="Elsewhere Clinic")
    assert client_for(counted.backbone).get(partner_url(counted, stranger)).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [("state_viewer", 200), ("admin", 200), ("backbone", 403), ("partner", 403), ("outsider", 404)],
)
def test_the_state_page_is_the_state_viewers(counted, client_for, who, status):
    assert client_for(getattr(counted, who)).get(state_url(counted)).status_code == status


def test_a_partner_not_sharing_is_told_who_sees_its_outcomes(counted, client_for):
    page = client_for(counted.partner).get(partner_url(counted)).content.decode()
    assert "Only your staff see these" in page
    assert reverse("network:organization_detail", args=[counted.supplier.pk]) in page
    sharing(counted)
    assert (
        "Only your staff see these"
        not in client_for(counted.partner).get(partner_url(counted)).content.decode()
    )


def test_the_partner_s_page_says_the_network_s_name_without_network_twice(counted, client_for):
    counted.network.name = "Prairie Partner Network"
    counted.network.save()
    page = client_for(counted.partner).get(partner_url(counted)).content.decode()
    assert "beside the Prairie Partner Network as a whole" in page
    assert "Network network" not in page


def test_the_backbone_sees_who_shares_and_who_does_not(counted, client_for):
    sharing(counted)
    quiet = SupplierFactory(name="Quiet Creek Clinic")
    MembershipFactory(network=counted.network, organization=quiet)
    page = client_for(counted.backbone).get(network_url(counted)).content.decode()
    assert "1 of 2 current partners shares program outcomes" in page
    assert "Not sharing: Quiet Creek Clinic." in page


def rows_of_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("slug", ["network-retention", "network-outcomes", "partners", "network-equity"])
def test_each_csv_download_is_the_table_on_the_page(counted, client_for, slug):
    sharing(counted)
    client = client_for(counted.backbone)
    page = client.get(network_url(counted))
    table = next(table for table in page.context["board"].tables if table.slug == slug)
    assert table.rows
    download = client.get(network_url(counted), {"download": slug})
    assert download["Content-Type"].startswith("text/csv")
    assert rows_of_csv(download) == [
        list(table.columns),
        *[["" if value is None else str(value) for value in row] for row in table.rows],
    ]


def test_the_state_s_csv_hides_what_the_page_hides(counted, client_for):
    sharing(counted)
    small = SupplierFactory(name="Small Clinic")
    MembershipFactory(network=counted.network, organization=small, outcomes_shared=True)
    cohort_add(small, JAN, measures_of(4), female=measures_of(4))
    client = client_for(counted.state_viewer)
    download = rows_of_csv(client.get(state_url(counted), {"download": "state-retention"}))
    assert download[1][0] == "Q1 2025"
    assert download[1][2] == "44"  # the quarter's 44 participants, Small Clinic's four among them
    sessions = rows_of_csv(client.get(state_url(counted), {"download": "state-sessions"}))
    assert sessions[0][1] == STARTED.label


def add_partners(world, count: int) -> None:
    for n in range(count):
        organization = SupplierFactory(name=f"Partner {n:02}")
        data_sharing = DataSharing.BACKBONE_AND_STATE if n % 2 else DataSharing.BACKBONE_ONLY
        MembershipFactory(
            network=world.network,
            organization=organization,
            outcomes_shared=n % 3 != 0,
            data_sharing=data_sharing,
        )
        cohort_add(organization, JAN, measures_of(12 + n), female=measures_of(5 + n // 2))


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("who", "url"),
    [("backbone", network_url), ("state_viewer", state_url), ("partner", partner_url)],
)
def test_the_queries_do_not_grow_with_partners(counted, client_for, who, url):
    add_partners(counted, 2)
    client = client_for(getattr(counted, who))
    few = queries(client, url(counted))
    add_partners(counted, 6)
    assert queries(client, url(counted)) <= few


def test_a_state_viewer_sees_a_network_on_a_partner_s_page_as_on_the_state_s(counted, client_for):
    """The state's equations hide more of a network than the network alone would: a partner's page
    shows the state viewer the network as the state's page solved it."""
    world = counted
    sharing(world, data_sharing=DataSharing.BACKBONE_AND_STATE)
    other = NetworkFactory(state=world.network.state)
    women_only = SupplierFactory(name="Women's Clinic")
    MembershipFactory(network=other, organization=women_only, outcomes_shared=True)
    few = measures_of(5)
    cohort_add(women_only, JAN, {code: few[code] + n for code, n in measures_of(30).items()}, female=few)
    many = SupplierFactory(name="Many Women YMCA")
    MembershipFactory(network=world.network, organization=many, outcomes_shared=True)
    cohort_add(many, JAN, measures_of(20), female=measures_of(20))
    alone = outcome_publications(networks=[world.network], viewer=Viewer(), today=TODAY).networks[
        world.network.pk
    ]
    response = client_for(world.state_viewer).get(partner_url(world))
    shown = response.context["board"].network.publication
    together = outcome_publications(
        networks=[world.network, other],
        viewer=viewer_of(user=world.state_viewer),
        today=TODAY,
        with_states=True,
    ).networks[world.network.pk]
    assert shown.hidden == together.hidden
    assert shown.hidden != alone.hidden


def test_a_state_with_no_network_has_an_empty_outcomes_page(client_for, world):

    viewer = UserFactory(username="nebraska")
    services.role_grant(user=viewer, kind=RoleKind.STATE_VIEWER, scope=state("NE"))
    response = client_for(viewer).get(reverse("metrics:outcomes_state", args=["NE"]))
    assert response.status_code == 200
    assert "No cohorts yet" in response.content.decode()


def test_the_equity_breakdown_is_the_one_asked_for_and_a_wrong_one_is_said(counted, client_for):
    sharing(counted)
    client = client_for(counted.backbone)
    # Race has no counts here: the page opens on the first breakdown that has some.
    page = client.get(network_url(counted))
    assert page.context["board"].equity.breakdown.code == "sex"
    assert [group.name for group in page.context["board"].equity.groups] == ["Female", "Male"]
    asked = client.get(network_url(counted), {"breakdown": "age_group"})
    assert asked.context["board"].equity.breakdown.code == "age_group"
    wrong = client.get(network_url(counted), {"breakdown": "shoe_size"})
    assert wrong.status_code == 200
    assert "Showing sex instead." in wrong.content.decode()


def test_the_page_names_the_groups_that_stay_less(world, client_for):
    women, men = measures_of(40, kept=0.2), measures_of(60, kept=0.9)
    cohort_add(world.supplier, JAN, {code: women[code] + men[code] for code in women}, female=women)
    page = client_for(world.partner).get(partner_url(world)).content.decode()
    assert "stays less" not in page  # a partner's own page has no equity view
    sharing(world)
    page = client_for(world.backbone).get(network_url(world)).content.decode()
    assert "<strong>Female</strong> stays less." in page
