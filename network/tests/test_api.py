"""The API's people and networks endpoints (me, networks, a network's partners) against the role
matrix."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from network import services
from network.models import DataSharing, Role, RoleKind
from network.tests.factories import MembershipFactory, NetworkFactory
from partners.tests.factories import OrganizationFactory, SupplierFactory

pytestmark = pytest.mark.django_db

OK, BAD, UNAUTHORIZED, NOT_FOUND = 200, 400, 401, 404
ME = reverse("api:me")
NETWORKS = reverse("api:networks")
ORGANIZATIONS = reverse("api:organizations")


def test_me_for_partner_staff(world, api_for):
    world.partner.first_name, world.partner.last_name = "Pat", "Rivera"
    world.partner.save()
    me = api_for(world.partner).get(ME).json()
    assert me["user"] == {"username": "partner", "name": "Pat Rivera"}
    assert me["roles"] == [
        {
            "kind": RoleKind.PARTNER_STAFF,
            "network": None,
            "organization": {"id": world.supplier.pk, "name": "Prairie YMCA"},
            "state": None,
        }
    ]
    assert me["organizations"] == [
        {
            "id": world.supplier.pk,
            "name": "Prairie YMCA",
            "dprp_org_code": world.supplier.dprp_org_code,
            "networks": ["kansas"],
        }
    ]
    assert [network["slug"] for network in me["networks"]] == ["kansas"]
    assert me["networks"][0]["state"] == "KS"


def test_me_for_backbone_staff_and_state_viewers(world, api_for):
    backbone = api_for(world.backbone).get(ME).json()
    assert backbone["user"]["name"] == "backbone"  # no full name: the username
    assert [(role["kind"], role["network"]) for role in backbone["roles"]] == [
        (RoleKind.BACKBONE_STAFF, "kansas")
    ]
    assert backbone["organizations"] == []
    assert [network["slug"] for network in backbone["networks"]] == ["kansas"]

    viewer = api_for(world.state_viewer).get(ME).json()
    assert [(role["kind"], role["state"]) for role in viewer["roles"]] == [(RoleKind.STATE_VIEWER, "KS")]
    assert [network["slug"] for network in viewer["networks"]] == ["kansas"]


def test_me_leaves_out_ended_roles(world, api_for):
    services.role_end(role=Role.objects.get(user=world.partner))
    me = api_for(world.partner).get(ME).json()
    assert me["roles"] == [] and me["organizations"] == [] and me["networks"] == []


def test_outsiders_have_nothing_and_anonymous_callers_are_asked_to_sign_in(world, api_for):
    me = api_for(world.outsider).get(ME).json()
    assert (me["roles"], me["organizations"], me["networks"]) == ([], [], [])
    client = api_for(None)
    for url in (ME, NETWORKS, f"{ORGANIZATIONS}?network=kansas"):
        response = client.get(url)
        assert response.status_code == UNAUTHORIZED, url
        assert response["WWW-Authenticate"] == "Token"


NETWORKS_SEEN = {
    "backbone": ["kansas"],
    "partner": ["kansas"],
    "state_viewer": ["kansas"],
    "other_backbone": ["utah"],
    "other_partner": ["utah"],
    "outsider": [],
    "admin": ["kansas", "utah"],
}


@pytest.mark.parametrize("role", NETWORKS_SEEN)
def test_networks_role_matrix(world, api_for, role):
    response = api_for(getattr(world, role)).get(NETWORKS)
    assert response.status_code == OK
    assert sorted(network["slug"] for network in response.json()["results"]) == NETWORKS_SEEN[role]


def test_networks_list_what_a_supplier_system_needs(world, api_for):
    [network] = api_for(world.partner).get(NETWORKS).json()["results"]
    assert network == {
        "slug": "kansas",
        "name": world.network.name,
        "state": "KS",
        "backbone": world.network.backbone.name,
        "report_due_day": 15,
        "report_lock_days": 30,
    }


PARTNER_FIELDS = {"id", "name", "sector", "dprp_org_code"}
BACKBONE_FIELDS = PARTNER_FIELDS | {"recognition_status", "joined_on", "reports_monthly", "data_sharing"}
# The fields each role gets of the kansas network's partners; None: not found.
ORGANIZATIONS_FIELDS = {
    "backbone": BACKBONE_FIELDS,
    "admin": BACKBONE_FIELDS,
    "partner": PARTNER_FIELDS,
    "state_viewer": PARTNER_FIELDS,
    "other_backbone": None,
    "other_partner": None,
    "outsider": None,
}


@pytest.mark.parametrize("role", ORGANIZATIONS_FIELDS)
def test_organizations_role_matrix(world, api_for, role):
    response = api_for(getattr(world, role)).get(ORGANIZATIONS, {"network": "kansas"})
    fields = ORGANIZATIONS_FIELDS[role]
    if fields is None:
        assert response.status_code == NOT_FOUND
        return
    assert response.status_code == OK
    partners = response.json()["results"]
    assert {partner["name"] for partner in partners} == {"Prairie YMCA", world.network.backbone.name}
    assert all(set(partner) == fields for partner in partners)


def test_state_viewers_see_the_partner_list_whatever_partners_share(world, api_for):
    """The list holds no figures: sharing with the state changes nothing here."""
    before = api_for(world.state_viewer).get(ORGANIZATIONS, {"network": "kansas"}).json()
    world.membership.data_sharing = DataSharing.BACKBONE_AND_STATE
    world.membership.save()
    after = api_for(world.state_viewer).get(ORGANIZATIONS, {"network": "kansas"}).json()
    assert before == after


def test_backbone_staff_see_how_each_partner_takes_part(world, api_for):
    partners = api_for(world.backbone).get(ORGANIZATIONS, {"network": "kansas"}).json()["results"]
    supplier = next(partner for partner in partners if partner["id"] == world.supplier.pk)
    assert supplier == {
        "id": world.supplier.pk,
        "name": "Prairie YMCA",
        "sector": "health_care",
        "dprp_org_code": world.supplier.dprp_org_code,
        "recognition_status": world.supplier.recognition_status,
        "joined_on": "2023-01-01",
        "reports_monthly": True,
        "data_sharing": DataSharing.BACKBONE_ONLY,
    }


def test_organizations_lists_current_partners_only(world, api_for):
    MembershipFactory(
        network=world.network, organization=OrganizationFactory(name="Gone Clinic"), left_on="2024-01-31"
    )
    names = [
        p["name"] for p in api_for(world.backbone).get(ORGANIZATIONS, {"network": "kansas"}).json()["results"]
    ]
    assert "Gone Clinic" not in names
    assert "Prairie YMCA" in names


def test_organizations_needs_a_network_it_may_see(world, api_for):
    client = api_for(world.backbone)
    missing = client.get(ORGANIZATIONS)
    assert missing.status_code == BAD
    assert missing.json()["problems"] == [
        {"column": "network", "message": "This parameter is required.", "expected": "a network slug"}
    ]
    assert client.get(ORGANIZATIONS, {"network": "atlantis"}).status_code == NOT_FOUND
    assert client.get(ORGANIZATIONS, {"network": "utah"}).status_code == NOT_FOUND


def test_lists_make_the_same_number_of_queries_for_more_partners_and_networks(world, api_for):
    client = api_for(world.admin)
    client.get(NETWORKS)  # warm the content type cache

    def count(url: str, params: dict | None = None) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == OK
        return len(queries)

    few = {
        "me": count(ME),
        "networks": count(NETWORKS),
        "organizations": count(ORGANIZATIONS, {"network": "kansas"}),
    }
    for _ in range(6):
        MembershipFactory(network=world.network, organization=SupplierFactory())
        network = NetworkFactory()
        MembershipFactory(network=network, organization=network.backbone, joined_on=datetime.date(2024, 1, 1))
    more = {
        "me": count(ME),
        "networks": count(NETWORKS),
        "organizations": count(ORGANIZATIONS, {"network": "kansas"}),
    }
    assert more == few


def test_the_browsable_api_renders_for_a_signed_in_user(world, client_for):
    client = client_for(world.backbone)
    for url in (NETWORKS, f"{ORGANIZATIONS}?network=kansas"):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == OK, url
        assert response["Content-Type"].startswith("text/html")
