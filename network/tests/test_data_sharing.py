"""A partner's data-sharing choice is the partner's: no other path changes it, and every change is kept."""

import datetime
from html.parser import HTMLParser

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from network import services
from network.models import DataSharing, DataSharingChange, Membership, Network
from partners.models import Organization
from partners.tests.factories import counties

pytestmark = pytest.mark.django_db

ONLY, AND_STATE = DataSharing.BACKBONE_ONLY, DataSharing.BACKBONE_AND_STATE


def stored_sharing(membership: Membership) -> str:
    return Membership.objects.values_list("data_sharing", flat=True).get(pk=membership.pk)


def sharing_url(world) -> str:
    return reverse("network:organization_data_sharing", args=[world.supplier.pk, world.membership.pk])


def choose(world, value: str) -> dict[str, str]:
    return {f"m{world.membership.pk}-data_sharing": value}


# The service: the one writer.


def test_partner_staff_change_the_choice_and_the_history_keeps_who_when_and_what(world):
    before = datetime.datetime.now(datetime.UTC)
    services.membership_set_data_sharing(
        membership=world.membership, data_sharing=AND_STATE, changed_by=world.partner
    )
    services.membership_set_data_sharing(
        membership=world.membership, data_sharing=ONLY, changed_by=world.partner
    )
    assert stored_sharing(world.membership) == ONLY
    changes = list(world.membership.sharing_changes.all())
    assert [(c.from_sharing, c.to_sharing, c.changed_by) for c in changes] == [
        (AND_STATE, ONLY, world.partner),
        (ONLY, AND_STATE, world.partner),
    ]
    assert all(change.changed_at >= before for change in changes)


def test_choosing_what_is_already_chosen_records_nothing(world):
    services.membership_set_data_sharing(
        membership=world.membership, data_sharing=ONLY, changed_by=world.partner
    )
    assert not DataSharingChange.objects.exists()


@pytest.mark.parametrize("role", ["backbone", "admin", "state_viewer", "other_partner", "outsider"])
def test_nobody_but_the_partner_may_change_the_choice(world, role):
    with pytest.raises(PermissionDenied):
        services.membership_set_data_sharing(
            membership=world.membership, data_sharing=AND_STATE, changed_by=getattr(world, role)
        )
    assert stored_sharing(world.membership) == ONLY
    assert not DataSharingChange.objects.exists()


def test_partner_staff_whose_role_ended_may_no_longer_change_it(world):
    services.role_end(role=world.partner.roles.get())
    with pytest.raises(PermissionDenied):
        services.membership_set_data_sharing(
            membership=world.membership, data_sharing=AND_STATE, changed_by=world.partner
        )


def test_unknown_choice_and_a_past_membership_are_refused(world):
    with pytest.raises(ValidationError, match="Unknown data-sharing choice"):
        services.membership_set_data_sharing(
            membership=world.membership, data_sharing="everyone", changed_by=world.partner
        )
    services.membership_end(membership=world.membership, left_on=datetime.date(2024, 6, 30))
    with pytest.raises(ValidationError, match="has left"):
        services.membership_set_data_sharing(
            membership=world.membership, data_sharing=AND_STATE, changed_by=world.partner
        )
    assert stored_sharing(world.membership) == ONLY


def test_a_new_member_shares_with_the_backbone_only(world):
    membership = services.membership_add(
        network=world.other_network, organization=world.supplier, joined_on=datetime.date(2024, 1, 1)
    )
    assert stored_sharing(membership) == ONLY


# The pages.


def test_backbone_edit_form_cannot_change_the_partners_choice(world, client_for):
    """The finding: backbone staff set "backbone and state" for a partner that chose "backbone only"."""
    client = client_for(world.backbone)
    url = reverse("network:partner_edit", args=["kansas", world.supplier.pk])
    page = client.get(url).content.decode()
    assert 'name="membership-data_sharing"' not in page
    assert "The partner decides" in page
    response = client.post(
        url,
        {
            "org-name": world.supplier.name,
            "org-state": world.supplier.state_id,
            "org-sector": world.supplier.sector,
            "org-recognition_status": world.supplier.recognition_status,
            "org-dprp_org_code": world.supplier.dprp_org_code,
            "membership-joined_on": "2023-01-01",
            "membership-reports_monthly": "on",
            "membership-data_sharing": AND_STATE,
        },
    )
    assert response.status_code == 302  # the rest of the form is saved
    assert stored_sharing(world.membership) == ONLY
    assert not DataSharingChange.objects.exists()


def test_backbone_adding_a_partner_cannot_choose_its_sharing(world, client_for):
    response = client_for(world.backbone).post(
        reverse("network:partner_add", args=["kansas"]),
        {
            "org-name": "Sunflower Health Plan",
            "org-state": world.network.state_id,
            "org-sector": "payer",
            "org-recognition_status": "not_applicable",
            "org-counties_served": [counties("KS", 1)[0].pk],
            "membership-joined_on": "2024-03-01",
            "membership-data_sharing": AND_STATE,
        },
    )
    assert response.status_code == 302
    organization = Organization.objects.get(name="Sunflower Health Plan")
    assert organization.memberships.get().data_sharing == ONLY


@pytest.mark.parametrize(("role", "status"), [("backbone", 404), ("state_viewer", 404), ("admin", 403)])
def test_only_the_partner_posts_the_choice(world, client_for, role, status):
    response = client_for(getattr(world, role)).post(sharing_url(world), choose(world, AND_STATE))
    assert response.status_code == status
    assert stored_sharing(world.membership) == ONLY


def test_partner_sees_their_change_in_the_history_and_the_backbone_sees_it_too(world, client_for):
    world.partner.first_name, world.partner.last_name = "Rosa", "Lindqvist"
    world.partner.save()
    client = client_for(world.partner)
    assert client.post(sharing_url(world), choose(world, AND_STATE)).status_code == 302
    assert stored_sharing(world.membership) == AND_STATE
    own_page = client.get(reverse("network:organization_detail", args=[world.supplier.pk])).content.decode()
    partner_page = (
        client_for(world.backbone)
        .get(reverse("network:partner_detail", args=["kansas", world.supplier.pk]))
        .content.decode()
    )
    for page in (own_page, partner_page):
        assert "Rosa Lindqvist" in page
        assert "Backbone organization only</td><td>Backbone organization and state health department" in page


def test_site_administrators_see_the_choice_without_a_form(world, client_for):
    page = client_for(world.admin).get(reverse("network:organization_detail", args=[world.supplier.pk]))
    content = page.content.decode()
    assert page.status_code == 200
    assert "Only the organization's partner staff may change this choice." in content
    assert "Identified figures shared with: Backbone organization only." in content
    assert 'name="m' not in content


# The Django admin and the API.


class _FormFields(HTMLParser):
    """The fields a browser would send from the admin's change form, as it would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "checkbox", "file"):
            self.data[name] = a.get("value") or ""
        elif tag == "input" and name and a.get("type") == "checkbox" and "checked" in a:
            self.data[name] = a.get("value") or "on"
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self.data[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def test_django_admin_shows_the_choice_read_only(world, client_for):
    client = client_for(world.admin)
    url = reverse("admin:network_network_change", args=[world.network.pk])
    page = client.get(url).content.decode()
    parser = _FormFields()
    parser.feed(page)
    index = next(
        key.split("-")[1]
        for key, value in parser.data.items()
        if key.endswith("-id") and value == str(world.membership.pk)
    )
    prefix = f"memberships-{index}-"
    assert f"{prefix}data_sharing" not in parser.data
    data = {**parser.data, f"{prefix}data_sharing": AND_STATE, "_save": "Save"}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert stored_sharing(world.membership) == ONLY


def test_django_admin_keeps_the_history_read_only(world, client_for):
    services.membership_set_data_sharing(
        membership=world.membership, data_sharing=AND_STATE, changed_by=world.partner
    )
    change = DataSharingChange.objects.get()
    client = client_for(world.admin)
    assert client.get(reverse("admin:network_datasharingchange_changelist")).status_code == 200
    assert client.get(reverse("admin:network_datasharingchange_add")).status_code == 403
    assert client.post(reverse("admin:network_datasharingchange_delete", args=[change.pk])).status_code == 403
    client.post(reverse("admin:network_datasharingchange_change", args=[change.pk]), {"to_sharing": ONLY})
    change.refresh_from_db()
    assert change.to_sharing == AND_STATE


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_the_api_cannot_set_the_choice(world, api_for, method):
    client = api_for(world.backbone)
    url = reverse("api:organizations")
    body = {"network": "kansas", "id": world.supplier.pk, "data_sharing": AND_STATE}
    response = getattr(client, method)(f"{url}?network=kansas", body, format="json")
    assert response.status_code == 405
    assert stored_sharing(world.membership) == ONLY
    assert Network.objects.count() == 2  # nothing else was made either
