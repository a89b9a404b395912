"""Every page of the network app against the role matrix, and the writes its forms make."""

import pytest
from django.urls import reverse

from network import services
from network.models import DataSharing, Membership, Role
from network.tests.factories import MembershipFactory
from partners.models import Contact, Organization
from partners.tests.factories import OrganizationFactory, counties

pytestmark = pytest.mark.django_db

OK, FORBIDDEN, NOT_FOUND = 200, 403, 404


def network_pages(world):
    slug, org = world.network.slug, world.supplier.pk
    return {
        "network_detail": reverse("network:network_detail", args=[slug]),
        "partner_directory": reverse("network:partner_directory", args=[slug]),
        "partner_add": reverse("network:partner_add", args=[slug]),
        "partner_detail": reverse("network:partner_detail", args=[slug, org]),
        "partner_edit": reverse("network:partner_edit", args=[slug, org]),
        "contact_add": reverse("network:contact_add", args=[slug, org]),
        "who_is_missing": reverse("network:who_is_missing", args=[slug]),
    }


# Expected status per page for each role; every other signed-in user gets 404.
VIEW_PAGES = {"network_detail"}
ROLE_STATUS = {
    "backbone": lambda page: OK,
    "admin": lambda page: OK,
    "partner": lambda page: OK if page in VIEW_PAGES else FORBIDDEN,
    "state_viewer": lambda page: OK if page in VIEW_PAGES else FORBIDDEN,
    "other_backbone": lambda page: NOT_FOUND,
    "other_partner": lambda page: NOT_FOUND,
    "outsider": lambda page: NOT_FOUND,
}


@pytest.mark.parametrize("role", ROLE_STATUS)
def test_network_pages_role_matrix(world, client_for, role):
    client = client_for(getattr(world, role))
    for page, url in network_pages(world).items():
        assert client.get(url).status_code == ROLE_STATUS[role](page), (role, page)


def test_network_pages_send_anonymous_visitors_to_sign_in(world, client):
    for url in network_pages(world).values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_unknown_network_and_foreign_partner_are_not_found(world, client_for):
    client = client_for(world.backbone)
    assert client.get(reverse("network:network_detail", args=["atlantis"])).status_code == NOT_FOUND
    stranger = OrganizationFactory()
    assert (
        client.get(reverse("network:partner_detail", args=["kansas", stranger.pk])).status_code == NOT_FOUND
    )


def organization_pages(world):
    pk = world.supplier.pk
    return [
        reverse("network:organization_detail", args=[pk]),
        reverse("network:organization_edit", args=[pk]),
        reverse("network:organization_contact_add", args=[pk]),
    ]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("partner", OK),
        ("admin", OK),
        ("backbone", NOT_FOUND),  # the backbone edits partners from the network's pages
        ("state_viewer", NOT_FOUND),
        ("other_partner", NOT_FOUND),
        ("outsider", NOT_FOUND),
    ],
)
def test_own_organization_pages_role_matrix(world, client_for, role, status):
    client = client_for(getattr(world, role))
    for url in organization_pages(world):
        assert client.get(url).status_code == status, url


def test_ending_a_role_ends_access_to_pages(world, client_for):
    client = client_for(world.backbone)
    url = reverse("network:partner_directory", args=["kansas"])
    assert client.get(url).status_code == OK
    services.role_end(role=Role.objects.get(user=world.backbone))
    assert client.get(url).status_code == NOT_FOUND

    client = client_for(world.partner)
    url = reverse("network:organization_detail", args=[world.supplier.pk])
    assert client.get(url).status_code == OK
    services.role_end(role=Role.objects.get(user=world.partner))
    assert client.get(url).status_code == NOT_FOUND


def test_home_page_fits_each_role(world, client_for):
    def home_of(user):
        return client_for(user).get(reverse("network:home")).content.decode()

    assert "Networks you coordinate" in home_of(world.backbone)
    assert world.network.name in home_of(world.backbone)
    assert world.other_network.name not in home_of(world.backbone)
    assert "Prairie YMCA" in home_of(world.partner)
    assert f"Networks in {world.network.state.name}" in home_of(world.state_viewer)
    assert world.other_network.name not in home_of(world.state_viewer)
    assert "You have no role in a network yet" in home_of(world.outsider)
    assert world.other_network.name in home_of(world.admin)


def test_home_page_links_the_partner_and_the_backbone_to_their_outcomes_and_work_plan(world, client_for):
    slug = world.network.slug
    wanted = {
        world.partner: [reverse("metrics:outcomes_partner", args=[slug, world.supplier.pk])],
        world.backbone: [
            reverse("goals:work_plan", args=[slug]),
            reverse("metrics:outcomes_network", args=[slug]),
        ],
    }
    for user, urls in wanted.items():
        client = client_for(user)
        home = client.get(reverse("network:home")).content.decode()
        for url in urls:
            assert f'href="{url}"' in home
            assert client.get(url).status_code == OK


def test_directory_makes_the_same_number_of_queries_for_more_partners(
    world, client_for, django_assert_num_queries
):
    client = client_for(world.backbone)
    url = reverse("network:partner_directory", args=["kansas"])
    client.get(url)  # warm the session and content types

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == OK
        return len(queries)

    few = count()
    for _ in range(12):
        organization = OrganizationFactory()
        organization.counties_served.set(counties("KS", 2))
        MembershipFactory(network=world.network, organization=organization)
    assert count() == few


def test_backbone_adds_a_partner(world, client_for):
    client = client_for(world.backbone)
    county = counties("KS", 1)[0]
    response = client.post(
        reverse("network:partner_add", args=["kansas"]),
        {
            "org-name": "Sunflower Health Plan",
            "org-state": world.network.state_id,
            "org-sector": "payer",
            "org-recognition_status": "not_applicable",
            "org-counties_served": [county.pk],
            "membership-joined_on": "2024-03-01",
            "membership-data_sharing": DataSharing.BACKBONE_ONLY,
        },
    )
    organization = Organization.objects.get(name="Sunflower Health Plan")
    assert response.status_code == 302
    assert list(organization.counties_served.all()) == [county]
    assert Membership.objects.filter(network=world.network, organization=organization, left_on=None).exists()


def test_adding_a_partner_with_bad_input_changes_nothing(world, client_for):
    client = client_for(world.backbone)
    utah_county = counties("UT", 1)[0]
    response = client.post(
        reverse("network:partner_add", args=["kansas"]),
        {
            "org-name": "Nowhere Clinic",
            "org-state": world.network.state_id,
            "org-sector": "health_care",
            "org-recognition_status": "full",
            "org-dprp_org_code": world.supplier.dprp_org_code,  # taken
            "org-counties_served": [utah_county.pk],
            "membership-joined_on": "not a date",
            "membership-data_sharing": DataSharing.BACKBONE_ONLY,
        },
    )
    assert response.status_code == OK
    page = response.content.decode()
    assert "DPRP organization code already exists" in page
    assert "Select a valid choice" in page  # a county outside the state is not offered
    assert "Enter a valid date" in page
    assert not Organization.objects.filter(name="Nowhere Clinic").exists()


def test_partner_staff_edit_their_profile_and_data_sharing(world, client_for):
    client = client_for(world.partner)
    response = client.post(
        reverse("network:organization_edit", args=[world.supplier.pk]),
        {
            "name": "Prairie YMCA of Wichita",
            "state": world.supplier.state_id,
            "sector": "community_based",
            "recognition_status": "full",
            "dprp_org_code": world.supplier.dprp_org_code,
        },
    )
    assert response.status_code == 302
    world.supplier.refresh_from_db()
    assert world.supplier.name == "Prairie YMCA of Wichita"

    response = client.post(
        reverse("network:organization_data_sharing", args=[world.supplier.pk, world.membership.pk]),
        {f"m{world.membership.pk}-data_sharing": DataSharing.BACKBONE_AND_STATE},
    )
    assert response.status_code == 302
    world.membership.refresh_from_db()
    assert world.membership.data_sharing == DataSharing.BACKBONE_AND_STATE


def test_partner_staff_cannot_change_another_organizations_sharing(world, client_for):
    other = MembershipFactory(network=world.network)
    client = client_for(world.partner)
    response = client.post(
        reverse("network:organization_data_sharing", args=[world.supplier.pk, other.pk]),
        {f"m{other.pk}-data_sharing": DataSharing.BACKBONE_AND_STATE},
    )
    assert response.status_code == NOT_FOUND
    other.refresh_from_db()
    assert other.data_sharing == DataSharing.BACKBONE_ONLY


def test_contact_needs_a_way_to_reach_them(world, client_for):
    client = client_for(world.partner)
    url = reverse("network:organization_contact_add", args=[world.supplier.pk])
    response = client.post(url, {"name": "Ana Ruiz"})
    assert response.status_code == OK
    assert "Give an e-mail address or a phone number" in response.content.decode()
    response = client.post(url, {"name": "Ana Ruiz", "email": "ana@example.org", "is_primary": "on"})
    assert response.status_code == 302
    assert Contact.objects.get(name="Ana Ruiz").is_primary
