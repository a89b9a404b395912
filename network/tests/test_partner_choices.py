"""The partner's two yes-or-no choices (program outcomes shared, named on the public scorecard): off until
the partner's own staff switch them on, on its data-sharing form; every change kept; the backbone staff
see them in the partner list and on the partner's page."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from network import services
from network.models import DataSharing, Membership, PartnerChoice, PartnerChoiceChange

pytestmark = pytest.mark.django_db


def stored(membership: Membership) -> tuple[bool, bool]:
    return Membership.objects.values_list("outcomes_shared", "named_publicly").get(pk=membership.pk)


def test_both_are_off_for_a_new_member(world):
    assert stored(world.membership) == (False, False)


def test_partner_staff_switch_them_and_each_change_is_kept(world):
    changes = services.membership_set_choices(
        membership=world.membership, outcomes_shared=True, named_publicly=False, changed_by=world.partner
    )
    assert [(c.choice, c.to_value, c.changed_by) for c in changes] == [
        (PartnerChoice.OUTCOMES_SHARED, True, world.partner)
    ]
    services.membership_set_choices(
        membership=world.membership, outcomes_shared=False, named_publicly=True, changed_by=world.partner
    )
    assert stored(world.membership) == (False, True)
    history = list(PartnerChoiceChange.objects.filter(membership=world.membership).order_by("id"))
    assert [(c.choice, c.to_value) for c in history] == [
        (PartnerChoice.OUTCOMES_SHARED, True),
        (PartnerChoice.OUTCOMES_SHARED, False),
        (PartnerChoice.NAMED_PUBLICLY, True),
    ]
    # Choosing what is already chosen records nothing.
    assert not services.membership_set_choices(
        membership=world.membership, outcomes_shared=False, named_publicly=True, changed_by=world.partner
    )


@pytest.mark.parametrize("who", ["backbone", "admin", "state_viewer", "other_partner"])
def test_nobody_but_the_partner_may_make_them(world, who):
    with pytest.raises(PermissionDenied):
        services.membership_set_choices(
            membership=world.membership,
            outcomes_shared=True,
            named_publicly=True,
            changed_by=getattr(world, who),
        )
    assert stored(world.membership) == (False, False)
    assert not PartnerChoiceChange.objects.exists()


def test_a_past_membership_no_longer_changes(world):
    Membership.objects.filter(pk=world.membership.pk).update(left_on=world.membership.joined_on)
    world.membership.refresh_from_db()
    with pytest.raises(ValidationError):
        services.membership_set_choices(
            membership=world.membership, outcomes_shared=True, named_publicly=True, changed_by=None
        )


def test_the_partner_makes_them_on_its_organizations_page(world, client_for):
    client = client_for(world.partner)
    page = client.get(reverse("network:organization_detail", args=[world.supplier.pk])).content.decode()
    assert "Share our program outcomes (retention and outcomes from our DPRP files) with the network" in page
    assert "Name us on the network&#x27;s public scorecard" in page
    prefix = f"m{world.membership.pk}"
    response = client.post(
        reverse("network:organization_data_sharing", args=[world.supplier.pk, world.membership.pk]),
        {f"{prefix}-data_sharing": DataSharing.BACKBONE_ONLY, f"{prefix}-named_publicly": "on"},
    )
    assert response.status_code == 302
    assert stored(world.membership) == (False, True)
    page = client.get(reverse("network:organization_detail", args=[world.supplier.pk])).content.decode()
    assert "Named on the network&#x27;s public scorecard" in page and "Switched on" in page


def test_the_backbone_sees_them_in_the_partner_list_and_page(world, client_for):
    services.membership_set_choices(
        membership=world.membership, outcomes_shared=True, named_publicly=False, changed_by=world.partner
    )
    client = client_for(world.backbone)
    directory = client.get(reverse("network:partner_directory", args=["kansas"])).content.decode()
    assert "Outcomes shared" in directory and "Named publicly" in directory
    detail = client.get(
        reverse("network:partner_detail", args=["kansas", world.supplier.pk])
    ).content.decode()
    assert "Program outcomes shared with the network</dt><dd>Yes" in detail
    assert "Named on the public scorecard</dt><dd>No" in detail
    assert "Program outcomes shared with the network</td><td>Switched on" in detail
