"""Writes that matter in the network app: roles and their permissions, membership, contracts."""

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from core.calendar import long_date
from network.models import (
    CONTRACT_STAGE_ORDER,
    Attendance,
    Contract,
    ContractStage,
    ContractStageChange,
    DataSharing,
    DataSharingChange,
    Meeting,
    Membership,
    Network,
    PartnerChoice,
    PartnerChoiceChange,
    Role,
    RoleKind,
    Workgroup,
    WorkgroupSeat,
)
from network.selectors import speaks_for_partner
from partners import services as partner_services
from partners.models import Contact, Organization, State

# What each role may do, as django-guardian object permissions on the role's root object.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    RoleKind.BACKBONE_STAFF: ["network.manage_network"],
    RoleKind.PARTNER_STAFF: ["partners.change_organization", "partners.submit_report"],
    RoleKind.STATE_VIEWER: ["partners.view_state_networks"],
}


def _scope_field(kind: str) -> str:
    return {
        RoleKind.BACKBONE_STAFF: "network",
        RoleKind.PARTNER_STAFF: "organization",
        RoleKind.STATE_VIEWER: "state",
    }[kind]


@transaction.atomic
def role_grant(
    *,
    user: AbstractBaseUser,
    kind: str,
    scope: Network | Organization | State,
    granted_by: AbstractBaseUser | None = None,
) -> Role:
    """Give ``user`` a role over ``scope`` and the object permissions that go with it.

    Granting a role the user already holds returns the current one unchanged.
    """
    field = _scope_field(kind)
    expected = Role._meta.get_field(field).related_model
    if not isinstance(scope, expected):  # type: ignore[arg-type]
        raise ValidationError(f"A {RoleKind(kind).label.lower()} role belongs to a {field}.")
    role, _ = Role.objects.get_or_create(
        user=user, kind=kind, ended_at__isnull=True, **{field: scope}, defaults={"granted_by": granted_by}
    )
    for perm in ROLE_PERMISSIONS[kind]:
        assign_perm(perm, user, scope)
    return role


@transaction.atomic
def role_end(*, role: Role, ended_at: datetime.datetime | None = None) -> Role:
    """End a role and take its object permissions back at once."""
    if role.ended_at is None:
        role.ended_at = ended_at or timezone.now()
        role.save(update_fields=["ended_at"])
    scope: Model = role.scope
    for perm in ROLE_PERMISSIONS[role.kind]:
        remove_perm(perm, role.user, scope)
    return role


@transaction.atomic
def membership_add(
    *,
    network: Network,
    organization: Organization,
    joined_on: datetime.date,
    reports_monthly: bool = False,
) -> Membership:
    """Make ``organization`` a current member of ``network``.

    A new member shares its identified figures with the backbone only: only the partner may widen
    that, with `membership_set_data_sharing`.
    """
    if Membership.objects.current().filter(network=network, organization=organization).exists():
        raise ValidationError(f"{organization} is already a member of {network}.")
    return Membership.objects.create(
        network=network,
        organization=organization,
        joined_on=joined_on,
        data_sharing=DataSharing.BACKBONE_ONLY,
        reports_monthly=reports_monthly,
    )


@transaction.atomic
def partner_add(
    *,
    network: Network,
    organization: Organization,
    many: dict[str, Any],
    joined_on: datetime.date,
    reports_monthly: bool,
) -> Membership:
    """A new organization in the registry and a current partner of ``network``: both or neither."""
    partner_services.organization_save(organization=organization, many=many)
    return membership_add(
        network=network, organization=organization, joined_on=joined_on, reports_monthly=reports_monthly
    )


@transaction.atomic
def partner_update(*, organization: Organization, many: dict[str, Any], membership: Membership) -> Membership:
    """A partner's registry entry and its membership of the network (validated by their forms), saved
    together."""
    partner_services.organization_save(organization=organization, many=many)
    membership.save()
    return membership


def membership_end(*, membership: Membership, left_on: datetime.date) -> Membership:
    """Record that a partner left the network; its history stays."""
    if left_on < membership.joined_on:
        raise ValidationError("A partner cannot leave before it joined.")
    membership.left_on = left_on
    membership.save(update_fields=["left_on"])
    return membership


@transaction.atomic
def membership_set_data_sharing(
    *, membership: Membership, data_sharing: str, changed_by: AbstractBaseUser | None
) -> Membership:
    """Record how far the partner lets its identified figures travel, and keep the change in the
    membership's history (`DataSharingChange`).

    The partner decides this alone: ``changed_by`` must be partner staff of the organization, or
    the state would read figures on someone else's word; backbone staff and site administrators are
    refused. ``None`` is for Tandem's own loaders (the demo), recorded as such. Only a current
    membership's choice can change; choosing what is already chosen records nothing.
    """
    if data_sharing not in DataSharing.values:
        raise ValidationError(f"Unknown data-sharing choice {data_sharing!r}.")
    locked = _membership_locked_for_partner(
        membership=membership,
        changed_by=changed_by,
        refusal="Only the partner's own staff may choose who sees its identified figures.",
    )
    previous = locked.data_sharing
    membership.data_sharing = data_sharing
    if previous == data_sharing:
        return membership
    Membership.objects.filter(pk=membership.pk).update(data_sharing=data_sharing)
    DataSharingChange.objects.create(
        membership=membership, changed_by=changed_by, from_sharing=previous, to_sharing=data_sharing
    )
    return membership


def _membership_locked_for_partner(
    *, membership: Membership, changed_by: AbstractBaseUser | None, refusal: str
) -> Membership:
    """The membership as stored, under a row lock, once ``changed_by`` is known to speak for the
    partner (None: Tandem's own loaders). The stored row, not ``membership``: a ModelForm may already
    have set the new choices on it, and two changes at once must each record what they replaced."""
    if changed_by is not None and not speaks_for_partner(
        user=changed_by, organization=membership.organization
    ):
        raise PermissionDenied(refusal)
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.left_on is not None:
        raise ValidationError("The partner has left this network; its choices no longer change.")
    return locked


@transaction.atomic
def membership_set_choices(
    *,
    membership: Membership,
    outcomes_shared: bool,
    named_publicly: bool,
    changed_by: AbstractBaseUser | None,
) -> list[PartnerChoiceChange]:
    """Record the partner's two yes-or-no choices: its program outcomes shared with the network, and
    its name on the network's public scorecard; each change kept (`PartnerChoiceChange`).

    As with data sharing (`membership_set_data_sharing`), the partner decides alone: ``changed_by``
    must be its partner staff (backbone staff and site administrators are refused), or None for
    Tandem's own loaders. Returns the changes recorded: none where nothing changed."""
    locked = _membership_locked_for_partner(
        membership=membership,
        changed_by=changed_by,
        refusal="Only the partner's own staff may make its choices.",
    )
    wanted = {PartnerChoice.OUTCOMES_SHARED: outcomes_shared, PartnerChoice.NAMED_PUBLICLY: named_publicly}
    changed = {choice: value for choice, value in wanted.items() if getattr(locked, choice) != value}
    for choice, value in wanted.items():
        setattr(membership, choice, value)
    if not changed:
        return []
    Membership.objects.filter(pk=membership.pk).update(**changed)
    # One create each (two at most), not bulk_create: saving signals the figures' cache.
    return [
        PartnerChoiceChange.objects.create(
            membership=membership, changed_by=changed_by, choice=choice, to_value=value
        )
        for choice, value in changed.items()
    ]


SETTINGS_FIELDS = (
    "report_due_day",
    "report_lock_days",
    "completeness_threshold",
    "suppression_threshold",
    "contract_stage_alert_days",
)


def network_settings_update(*, network: Network, **settings: int) -> Network:
    """Backbone staff set their network's reporting dates, the share of reports that completes a month,
    the smallest count published and the contract alert. The model's validators hold the bounds (a
    threshold never below 11, a completeness threshold from 50 to 100 %)."""
    unknown = set(settings) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"not a network setting: {', '.join(sorted(unknown))}")
    for name, value in settings.items():
        setattr(network, name, value)
    network.full_clean()
    network.save(update_fields=list(settings))
    return network


@transaction.atomic
def contract_create(
    *,
    network: Network,
    organization: Organization,
    title: str,
    planned_on: datetime.date,
    recorded_by: AbstractBaseUser | None = None,
    purpose: str = "",
    amount: Decimal | None = None,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
) -> Contract:
    """Create a contract with a current partner at the start of the pipeline, dated ``planned_on``."""
    if not network.memberships.current().filter(organization=organization).exists():
        raise ValidationError(f"{organization} is not a current partner of {network}.")
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError("The work cannot end before it starts.")
    contract = Contract.objects.create(
        network=network,
        organization=organization,
        title=title,
        stage=ContractStage.PLANNED,
        purpose=purpose,
        amount=amount,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    ContractStageChange.objects.create(
        contract=contract, stage=ContractStage.PLANNED, reached_on=planned_on, recorded_by=recorded_by
    )
    return contract


@transaction.atomic
def contract_advance(
    *,
    contract: Contract,
    stage: str,
    reached_on: datetime.date,
    recorded_by: AbstractBaseUser | None = None,
    note: str = "",
) -> Contract:
    """Move a contract along the pipeline on the date it got there.

    Stages move forward, never before the date of the stage before. An executed contract may be
    amended again and again; any contract may end, including one abandoned before execution.
    """
    if stage not in CONTRACT_STAGE_ORDER:
        raise ValidationError(f"Unknown contract stage {stage!r}.")
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.stage == ContractStage.ENDED:
        raise ValidationError("The contract has ended; it cannot move any more.")
    executed = contract.stage in (ContractStage.EXECUTED, ContractStage.AMENDED)
    if stage == ContractStage.AMENDED and not executed:
        raise ValidationError("A contract is amended only after it has been executed.")
    again = stage == contract.stage == ContractStage.AMENDED
    if not again and CONTRACT_STAGE_ORDER.index(stage) <= CONTRACT_STAGE_ORDER.index(contract.stage):
        raise ValidationError(
            f"The contract is already {contract.get_stage_display().lower()}; choose a later stage than that."
        )
    last = contract.stage_changes.order_by("-reached_on", "-id").first()
    if last and reached_on < last.reached_on:
        raise ValidationError(
            f"The date must be on or after {long_date(last.reached_on)}, "
            f"when the contract became {last.get_stage_display().lower()}."
        )
    ContractStageChange.objects.create(
        contract=contract, stage=stage, reached_on=reached_on, recorded_by=recorded_by, note=note
    )
    contract.stage = stage
    contract.save(update_fields=["stage"])
    return contract


@transaction.atomic
def meeting_set_invitations(*, meeting: Meeting, organizations: list[Organization]) -> None:
    """Invite exactly these organizations; attendance already recorded for them is kept."""
    meeting.attendance.exclude(organization__in=organizations).delete()
    existing = set(meeting.attendance.values_list("organization_id", flat=True))
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, organization=org) for org in organizations if org.pk not in existing
    )


@transaction.atomic
def meeting_record_attendance(*, meeting: Meeting, attended_ids: set[int]) -> None:
    """Mark who came: invited organizations in ``attended_ids`` attended, the others did not."""
    meeting.attendance.filter(organization_id__in=attended_ids).update(attended=True)
    meeting.attendance.exclude(organization_id__in=attended_ids).update(attended=False)


def _is_current_partner(*, network_id: int, organization: Organization) -> bool:
    return Membership.objects.current().filter(network_id=network_id, organization=organization).exists()


def workgroup_save(
    *, network: Network, name: str, purpose: str = "", workgroup: Workgroup | None = None
) -> Workgroup:
    """Create a workgroup of ``network``, or rename and re-describe ``workgroup``.

    Names are unique in a network, whatever their capitals.
    """
    if workgroup is not None and workgroup.network_id != network.pk:
        raise ValidationError("That workgroup belongs to another network.")
    name = name.strip()
    clash = network.workgroups.filter(name__iexact=name)
    if workgroup is not None:
        clash = clash.exclude(pk=workgroup.pk)
    if clash.exists():
        raise ValidationError({"name": f"{network} already has a workgroup called “{name}”."})
    workgroup = workgroup or Workgroup(network=network)
    workgroup.name, workgroup.purpose = name, purpose
    workgroup.save()
    return workgroup


@transaction.atomic
def workgroup_seat_set(
    *,
    workgroup: Workgroup,
    organization: Organization,
    is_co_leader: bool = False,
    person: Contact | None = None,
) -> WorkgroupSeat:
    """Give ``organization`` a seat in ``workgroup``, or change its seat: who sits there and whether as
    co-leader. Only current partners of the network hold seats, and the person must be one of the
    organization's contacts.
    """
    if not _is_current_partner(network_id=workgroup.network_id, organization=organization):
        raise ValidationError(
            f"{organization} is not a current partner of the network, so it cannot hold a seat."
        )
    if person is not None and person.organization_id != organization.pk:
        raise ValidationError(f"{person.name} is a contact of another organization, not of {organization}.")
    seat, _ = WorkgroupSeat.objects.update_or_create(
        workgroup=workgroup,
        organization=organization,
        defaults={"is_co_leader": is_co_leader, "person": person},
    )
    return seat


def workgroup_seat_remove(*, seat: WorkgroupSeat) -> None:
    """Take an organization's seat in a workgroup away; its meetings and attendance stay."""
    seat.delete()


@transaction.atomic
def meeting_save(
    *,
    network: Network,
    title: str,
    starts_at: datetime.datetime,
    invited: list[Organization],
    location: str = "",
    notes: str = "",
    workgroup: Workgroup | None = None,
    meeting: Meeting | None = None,
) -> Meeting:
    """Schedule a meeting of ``network`` (or change ``meeting``) and invite exactly ``invited``.

    Only current partners can be invited; an organization invited before it left the network keeps its
    invitation, so the attendance already recorded stays true.
    """
    if meeting is not None and meeting.network_id != network.pk:
        raise ValidationError("That meeting belongs to another network.")
    if workgroup is not None and workgroup.network_id != network.pk:
        raise ValidationError("That workgroup is not part of this network.")
    allowed = set(network.memberships.current().values_list("organization_id", flat=True))
    if meeting is not None and meeting.pk:
        allowed |= set(meeting.attendance.values_list("organization_id", flat=True))
    strangers = sorted(organization.name for organization in invited if organization.pk not in allowed)
    if strangers:
        raise ValidationError(
            f"Only current partners can be invited; {', '.join(strangers)} "
            f"{'is' if len(strangers) == 1 else 'are'} not a partner of {network}."
        )
    meeting = meeting or Meeting(network=network)
    meeting.title, meeting.starts_at, meeting.location = title, starts_at, location
    meeting.notes, meeting.workgroup = notes, workgroup
    meeting.save()
    meeting_set_invitations(meeting=meeting, organizations=invited)
    return meeting


def contract_update(
    *,
    contract: Contract,
    title: str,
    purpose: str = "",
    amount: Decimal | None = None,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
) -> Contract:
    """Change a contract's terms. Its organization stays, and its stage moves only by `contract_advance`."""
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError("The work cannot end before it starts.")
    contract.title, contract.purpose, contract.amount = title, purpose, amount
    contract.starts_on, contract.ends_on = starts_on, ends_on
    contract.save(update_fields=["title", "purpose", "amount", "starts_on", "ends_on"])
    return contract
