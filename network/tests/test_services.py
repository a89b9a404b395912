import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from guardian.core import ObjectPermissionChecker

from network import services
from network.models import ContractStage, Role, RoleKind
from network.selectors import Access, network_access
from network.tests.factories import MembershipFactory, NetworkFactory, UserFactory
from partners.tests.factories import OrganizationFactory, SupplierFactory, state

pytestmark = pytest.mark.django_db


def perms(user, obj) -> set[str]:
    return set(ObjectPermissionChecker(user).get_perms(obj))


def test_role_grant_gives_exactly_the_role_permissions():
    network = NetworkFactory()
    user = UserFactory()
    services.role_grant(user=user, kind=RoleKind.BACKBONE_STAFF, scope=network)
    assert perms(user, network) == {"manage_network"}
    assert perms(user, network.backbone) == set()


def test_role_grant_twice_keeps_one_current_role():
    organization = SupplierFactory()
    user = UserFactory()
    first = services.role_grant(user=user, kind=RoleKind.PARTNER_STAFF, scope=organization)
    second = services.role_grant(user=user, kind=RoleKind.PARTNER_STAFF, scope=organization)
    assert first == second
    assert Role.objects.filter(user=user).count() == 1
    assert perms(user, organization) == {"change_organization", "submit_report"}


def test_role_grant_refuses_a_scope_of_the_wrong_kind():
    with pytest.raises(ValidationError, match="belongs to a network"):
        services.role_grant(user=UserFactory(), kind=RoleKind.BACKBONE_STAFF, scope=OrganizationFactory())


def test_role_rows_must_match_their_kind_in_the_database():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Role.objects.create(user=user, kind=RoleKind.STATE_VIEWER, network=NetworkFactory())


def test_ending_a_role_takes_access_away_at_once():
    network = NetworkFactory()
    user = UserFactory()
    role = services.role_grant(user=user, kind=RoleKind.BACKBONE_STAFF, scope=network)
    assert network_access(user=user, network=network) == Access.MANAGE
    services.role_end(role=role)
    role.refresh_from_db()
    assert role.ended_at is not None
    assert perms(user, network) == set()
    assert network_access(user=user, network=network) == Access.NONE
    # The row stays as history; a new grant starts a new role.
    again = services.role_grant(user=user, kind=RoleKind.BACKBONE_STAFF, scope=network)
    assert again.pk != role.pk
    assert Role.objects.filter(user=user).count() == 2


def test_state_viewer_sees_every_network_of_the_state_and_no_other():
    kansas = NetworkFactory()
    utah = NetworkFactory(state=state("UT"))
    viewer = UserFactory()
    services.role_grant(user=viewer, kind=RoleKind.STATE_VIEWER, scope=state("KS"))
    assert network_access(user=viewer, network=kansas) == Access.VIEW
    assert network_access(user=viewer, network=utah) == Access.NONE


def test_partner_staff_view_a_network_only_while_their_organization_is_a_member():
    network = NetworkFactory()
    supplier = SupplierFactory()
    membership = MembershipFactory(network=network, organization=supplier)
    user = UserFactory()
    services.role_grant(user=user, kind=RoleKind.PARTNER_STAFF, scope=supplier)
    assert network_access(user=user, network=network) == Access.VIEW
    services.membership_end(membership=membership, left_on=datetime.date(2024, 6, 30))
    assert network_access(user=user, network=network) == Access.NONE


def test_membership_add_refuses_a_second_current_membership():
    membership = MembershipFactory()
    with pytest.raises(ValidationError, match="already a member"):
        services.membership_add(
            network=membership.network,
            organization=membership.organization,
            joined_on=datetime.date(2024, 1, 1),
        )


def test_membership_cannot_end_before_it_began():
    membership = MembershipFactory(joined_on=datetime.date(2024, 1, 1))
    with pytest.raises(ValidationError):
        services.membership_end(membership=membership, left_on=datetime.date(2023, 12, 31))


def test_contract_moves_forward_through_the_pipeline_with_dates():
    membership = MembershipFactory()
    contract = services.contract_create(
        network=membership.network,
        organization=membership.organization,
        title="Referral pilot",
        planned_on=datetime.date(2024, 1, 10),
    )
    services.contract_advance(
        contract=contract, stage=ContractStage.DRAFTING, reached_on=datetime.date(2024, 2, 1)
    )
    with pytest.raises(ValidationError, match="on or after"):
        services.contract_advance(
            contract=contract, stage=ContractStage.IN_REVIEW, reached_on=datetime.date(2024, 1, 31)
        )
    with pytest.raises(ValidationError, match="later stage"):
        services.contract_advance(
            contract=contract, stage=ContractStage.PLANNED, reached_on=datetime.date(2024, 3, 1)
        )
    with pytest.raises(ValidationError, match="only after it has been executed"):
        services.contract_advance(
            contract=contract, stage=ContractStage.AMENDED, reached_on=datetime.date(2024, 3, 1)
        )
    with pytest.raises(ValidationError, match="Unknown contract stage"):
        services.contract_advance(contract=contract, stage="signed", reached_on=datetime.date(2024, 3, 1))
    services.contract_advance(
        contract=contract, stage=ContractStage.EXECUTED, reached_on=datetime.date(2024, 6, 1)
    )
    for day in (datetime.date(2024, 9, 1), datetime.date(2025, 1, 15)):  # amended twice
        services.contract_advance(contract=contract, stage=ContractStage.AMENDED, reached_on=day)
    contract.refresh_from_db()
    assert contract.stage == ContractStage.AMENDED
    stages = [change.stage for change in contract.stage_changes.all()]
    assert stages == ["planned", "drafting", "executed", "amended", "amended"]


def test_a_contract_abandoned_before_execution_can_end_and_then_stays_ended():
    membership = MembershipFactory()
    contract = services.contract_create(
        network=membership.network,
        organization=membership.organization,
        title="Abandoned",
        planned_on=datetime.date(2024, 1, 10),
    )
    services.contract_advance(
        contract=contract, stage=ContractStage.ENDED, reached_on=datetime.date(2024, 5, 1)
    )
    with pytest.raises(ValidationError, match="has ended"):
        services.contract_advance(
            contract=contract, stage=ContractStage.ENDED, reached_on=datetime.date(2024, 6, 1)
        )


def test_contracts_are_only_made_with_current_partners():
    network = NetworkFactory()
    with pytest.raises(ValidationError, match="not a current partner"):
        services.contract_create(
            network=network,
            organization=OrganizationFactory(),
            title="x",
            planned_on=datetime.date(2024, 1, 1),
        )
