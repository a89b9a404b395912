"""Reads that pages and the API share: who may see which network, and what is in it."""

import datetime
import enum
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user

from network.models import (
    CONTRACT_STAGE_ORDER,
    Contract,
    ContractStage,
    ContractStageChange,
    DataSharing,
    DataSharingChange,
    Meeting,
    Membership,
    Network,
    PartnerChoiceChange,
    Role,
    Workgroup,
    WorkgroupSeat,
)
from partners.models import NON_SUPPLIER_STATUSES, County, Organization, PopulationOfFocus, Sector, State

User = AbstractBaseUser | AnonymousUser


class Access(enum.IntEnum):
    """What a user may do with a network, from nothing to managing it."""

    NONE = 0
    VIEW = 1  # partner staff of a member, state viewer of its state: the network's shared pages
    MANAGE = 2  # backbone staff: everything, including partners' identified figures


def organizations_for_user(
    *, user: User, perm: str = "partners.change_organization"
) -> QuerySet[Organization]:
    """Organizations on which the user holds ``perm`` (partner staff hold change and submit)."""
    return get_objects_for_user(user, perm, klass=Organization, accept_global_perms=False)


def networks_managed_by(*, user: User) -> QuerySet[Network]:
    return get_objects_for_user(user, "network.manage_network", klass=Network, accept_global_perms=False)


def states_viewed_by(*, user: User) -> QuerySet[State]:
    return get_objects_for_user(user, "partners.view_state_networks", klass=State, accept_global_perms=False)


def state_get_for_viewer(*, user: User, code: str) -> State:
    """A state whose dashboard the user may see: its state viewers' and site administrators'. 403 for
    backbone and partner staff of a network in the state, 404 for everyone else."""
    state = State.objects.filter(code=code.upper()).first()
    if state is None or not user.is_authenticated or not user.is_active:
        raise Http404("No such state.")
    if user.is_superuser or states_viewed_by(user=user).filter(pk=state.pk).exists():
        return state
    if networks_visible_to(user=user).filter(state=state).exists():
        raise PermissionDenied("The statewide dashboard is for the state health department's viewers.")
    raise Http404("No such state.")


def network_access(*, user: User, network: Network) -> Access:
    """The one permission question every network page asks."""
    if not user.is_authenticated or not user.is_active:
        return Access.NONE
    checker = ObjectPermissionChecker(user)
    if checker.has_perm("manage_network", network):
        return Access.MANAGE
    if checker.has_perm("view_state_networks", network.state):
        return Access.VIEW
    member_orgs = network.memberships.current().values("organization_id")
    if organizations_for_user(user=user).filter(pk__in=member_orgs).exists():
        return Access.VIEW
    return Access.NONE


def network_get_for_user(*, user: User, slug: str, need: Access) -> tuple[Network, Access]:
    """The network at ``slug`` if the user may ``need`` it: 404 for outsiders, 403 for too little."""
    network = (
        Network.objects.select_related("state", "backbone", "state_health_department")
        .filter(slug=slug)
        .first()
    )
    if network is None:
        raise Http404("No such network.")
    access = network_access(user=user, network=network)
    if access == Access.NONE:
        raise Http404("No such network.")
    if access < need:
        raise PermissionDenied("Only the network's backbone staff may do this.")
    return network, access


def networks_visible_to(*, user: User) -> QuerySet[Network]:
    """Every network the user may at least view, for home pages and the API."""
    if user.is_superuser:
        return Network.objects.select_related("state", "backbone")
    member_of = (
        Membership.objects.current()
        .filter(organization__in=organizations_for_user(user=user))
        .values("network_id")
    )
    return (
        Network.objects.filter(
            Q(pk__in=networks_managed_by(user=user).values("pk"))
            | Q(state__in=states_viewed_by(user=user))
            | Q(pk__in=member_of)
        )
        .select_related("state", "backbone")
        .distinct()
    )


def current_roles(*, user: User) -> QuerySet[Role]:
    return Role.objects.filter(user=user, ended_at__isnull=True).select_related(
        "network", "network__state", "organization", "state"
    )


def memberships_current(*, network: Network) -> QuerySet[Membership]:
    return network.memberships.current()


@dataclass
class DirectoryFilters:
    sector: str = ""
    kind: str = ""
    county: str = ""
    population: str = ""
    q: str = ""


def partner_directory(*, network: Network, filters: DirectoryFilters) -> QuerySet[Membership]:
    """The network's current partners, filtered; one query plus a fixed number of prefetches."""
    memberships = memberships_current(network=network).select_related("organization", "organization__state")
    if filters.sector:
        memberships = memberships.filter(organization__sector=filters.sector)
    if filters.kind:
        memberships = memberships.filter(organization__kinds__code=filters.kind)
    if filters.county:
        memberships = memberships.filter(organization__counties_served__fips=filters.county)
    if filters.population:
        memberships = memberships.filter(organization__populations_of_focus__code=filters.population)
    if filters.q:
        memberships = memberships.filter(
            Q(organization__name__icontains=filters.q) | Q(organization__dprp_org_code__iexact=filters.q)
        )
    return (
        memberships.distinct()
        .prefetch_related("organization__kinds", "organization__populations_of_focus")
        .annotate(county_count=Count("organization__counties_served", distinct=True))
        .order_by("organization__name")  # an aggregate drops Meta.ordering
    )


@dataclass
class WorkgroupShortfall:
    workgroup: Workgroup
    co_leaders: int
    co_leader_sectors: int

    @property
    def needed(self) -> int:
        return max(0, 3 - self.co_leader_sectors)


@dataclass
class WhoIsMissing:
    """The answers to "what partners are we missing?" from the partner registry."""

    sectors_missing: list[tuple[str, str]]
    sector_counts: Counter = field(default_factory=Counter)
    populations_unserved: list[PopulationOfFocus] = field(default_factory=list)
    counties_unserved: list[County] = field(default_factory=list)
    counties_total: int = 0
    workgroups_short: list[WorkgroupShortfall] = field(default_factory=list)


# Power sharing (North Carolina's SHIP Community Council): each workgroup has at least three
# co-leaders from different sectors.
CO_LEADER_SECTORS_NEEDED = 3


def who_is_missing(*, network: Network) -> WhoIsMissing:
    """Sectors with no member, populations no member serves, counties no supplier serves, and
    workgroups short of co-leaders from three sectors. A fixed number of queries."""
    members = partners_current(network=network)
    sector_counts = Counter(members.values_list("sector", flat=True))
    populations_unserved = list(PopulationOfFocus.objects.exclude(organizations__in=members))
    suppliers = members.exclude(recognition_status__in=NON_SUPPLIER_STATUSES)
    counties = County.objects.filter(state=network.state)
    counties_unserved = list(counties.exclude(organizations__in=suppliers))
    short = [
        WorkgroupShortfall(workgroup, workgroup.co_leader_count, workgroup.co_leader_sectors)
        for workgroup in workgroups_with_seats(network=network)
        if workgroup.co_leader_sectors < CO_LEADER_SECTORS_NEEDED
    ]
    return WhoIsMissing(
        sectors_missing=[(value, label) for value, label in Sector.choices if value not in sector_counts],
        sector_counts=sector_counts,
        populations_unserved=populations_unserved,
        counties_unserved=counties_unserved,
        counties_total=counties.count(),
        workgroups_short=short,
    )


# Who sees which partner's identified figures


@dataclass(frozen=True)
class Viewer:
    """Whose identified figures a user may see: the one description every page, chart, CSV and API
    answer asks, and the publication layer (`metrics.publication`) publishes everything else to.
    Backbone staff see every partner of their networks; partner staff their own organizations, in any
    network; a state viewer also the partners whose current membership shares with the state."""

    every_partner_of: frozenset[int] = frozenset()  # networks
    organization_ids: frozenset[int] = frozenset()  # their own organizations
    shared: frozenset[tuple[int, int]] = frozenset()  # (network, organization) shared with their state
    states: frozenset[int] = frozenset()  # states whose statewide pages they see
    everything: bool = False  # every partner of every network (`EVERYONE_IDENTIFIED`)

    def sees_all_of(self, network_id: int) -> bool:
        return self.everything or network_id in self.every_partner_of

    def knows(self, network_id: int, organization_id: int) -> bool:
        return (
            self.sees_all_of(network_id)
            or organization_id in self.organization_ids
            or (network_id, organization_id) in self.shared
        )

    def known_in(self, network_id: int) -> frozenset[int]:
        """The organizations of one network whose figures the viewer sees, short of all of them."""
        return self.organization_ids | {org for network, org in self.shared if network == network_id}

    @property
    def knows_some(self) -> bool:
        return bool(self.organization_ids or self.shared or self.every_partner_of)

    def known_partners(self) -> Q:
        """Partner figures (or memberships) whose figures the viewer sees identified."""
        known = Q(organization_id__in=sorted(self.organization_ids)) | Q(
            network_id__in=sorted(self.every_partner_of)
        )
        by_network: dict[int, list[int]] = {}
        for network_id, organization_id in sorted(self.shared):
            by_network.setdefault(network_id, []).append(organization_id)
        for network_id, organization_ids in by_network.items():
            known |= Q(network_id=network_id, organization_id__in=organization_ids)
        return known


EVERYONE_IDENTIFIED = Viewer(everything=True)


def viewer_of(*, user: User) -> Viewer:
    """A user as a viewer, the same on every page: the networks they manage, their own organizations,
    the states they view and the partners sharing with those states. Four queries."""
    if not user.is_authenticated or not user.is_active:
        return Viewer()
    states = frozenset(states_viewed_by(user=user).values_list("pk", flat=True))
    shared = Membership.objects.current().filter(
        data_sharing=DataSharing.BACKBONE_AND_STATE, network__state__in=sorted(states)
    )
    return Viewer(
        every_partner_of=frozenset(networks_managed_by(user=user).values_list("pk", flat=True)),
        organization_ids=frozenset(organizations_for_user(user=user).values_list("pk", flat=True)),
        shared=frozenset(shared.values_list("network_id", "organization_id")) if states else frozenset(),
        states=states,
    )


def viewer_for(*, user: User, network: Network, access: Access) -> Viewer:
    """The viewer of one network's pages and API (`viewer_of`); a site administrator, who holds every
    permission, sees every partner of it."""
    if user.is_superuser and access >= Access.MANAGE:
        return Viewer(every_partner_of=frozenset({network.pk}))
    return viewer_of(user=user)


def viewer_for_states(*, user: User, states: "list[State] | None" = None) -> Viewer:
    """The viewer of the statewide dashboards (of ``states``, or of every state). Site administrators
    hold every permission, so they see these dashboards as a state viewer does, with no organization
    of their own."""
    if not user.is_superuser:
        return viewer_of(user=user)
    viewed = State.objects.all() if states is None else State.objects.filter(pk__in=[s.pk for s in states])
    ids = frozenset(viewed.values_list("pk", flat=True))
    shared = Membership.objects.current().filter(
        data_sharing=DataSharing.BACKBONE_AND_STATE, network__state__in=sorted(ids)
    )
    return Viewer(shared=frozenset(shared.values_list("network_id", "organization_id")), states=ids)


def organizations_with_memberships(*, user: User) -> QuerySet[Organization]:
    """The organizations a partner-staff user works for, with their current networks."""
    return (
        organizations_for_user(user=user)
        .select_related("state")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.current().select_related("network", "network__state"),
                to_attr="current_memberships",
            )
        )
    )


def speaks_for_partner(*, user: User, organization: Organization) -> bool:
    """Whether the user is the organization's partner staff: the only people who decide how far its
    identified figures travel. Site administrators hold every permission but do not speak for a
    partner, so superuser status does not count here. One query."""
    if not user.is_authenticated or not user.is_active:
        return False
    return get_objects_for_user(
        user,
        "partners.change_organization",
        klass=Organization.objects.filter(pk=organization.pk),
        accept_global_perms=False,
        with_superuser=False,
    ).exists()


def data_sharing_history(*, membership: Membership) -> QuerySet[DataSharingChange]:
    """Every change of the membership's data-sharing choice, latest first, with who made it."""
    return membership.sharing_changes.select_related("changed_by")


def choice_history(*, membership: Membership) -> QuerySet[PartnerChoiceChange]:
    """Every change of the membership's outcomes-sharing and public-naming choices, latest first."""
    return membership.choice_changes.select_related("changed_by")


def organization_memberships_current(*, organization: Organization) -> QuerySet[Membership]:
    """The organization's current memberships with their networks and the history of their choices
    (``sharing_changes`` and ``choice_changes``, latest first): three queries however many networks."""
    return (
        organization.memberships.current()
        .select_related("network", "network__state")
        .prefetch_related(
            Prefetch("sharing_changes", queryset=DataSharingChange.objects.select_related("changed_by")),
            Prefetch("choice_changes", queryset=PartnerChoiceChange.objects.select_related("changed_by")),
        )
    )


def organization_get_for_user(*, user: User, pk: int) -> Organization:
    """An organization's own profile: for its partner staff (and site administrators); 404 to others."""
    organization = organizations_for_user(user=user).select_related("state").filter(pk=pk).first()
    if organization is None:
        raise Http404("No such organization.")
    return organization


def membership_get(*, network: Network, organization_id: int) -> Membership:
    """The organization's latest membership of the network; 404 if it never was a member."""
    membership = (
        network.memberships.select_related("organization", "organization__state")
        .filter(organization_id=organization_id)
        .order_by("-joined_on")
        .first()
    )
    if membership is None:
        raise Http404("That organization is not a partner in this network.")
    return membership


@dataclass
class NetworkSummary:
    partners: int
    suppliers: int
    sectors: int
    sectors_total: int
    workgroups: int
    by_sector: list[tuple[str, int]]


def network_summary(*, network: Network) -> NetworkSummary:
    """Counts for the network's overview page, from two aggregate queries."""
    members = partners_current(network=network).order_by()  # grouped by sector alone, not by name too
    by_sector = dict(
        members.values_list("sector").annotate(n=Count("pk", distinct=True)).values_list("sector", "n")
    )
    return NetworkSummary(
        partners=sum(by_sector.values()),
        suppliers=members.exclude(recognition_status__in=NON_SUPPLIER_STATUSES).distinct().count(),
        sectors=len(by_sector),
        sectors_total=len(Sector.choices),
        workgroups=network.workgroups.count(),
        by_sector=[(label, by_sector.get(value, 0)) for value, label in Sector.choices],
    )


def partner_profile(*, network: Network, membership: Membership) -> dict[str, object]:
    """What the backbone sees on a partner's page: profile, seats, attendance and contracts here."""
    organization = membership.organization
    attendance = organization.attendance.filter(meeting__network=network)
    return {
        "membership": membership,
        "organization": organization,
        "kinds": organization.kinds.all(),
        "delivery_modes": organization.delivery_modes.all(),
        "populations": organization.populations_of_focus.all(),
        "counties": organization.counties_served.all(),
        "contacts": organization.contacts.all(),
        "seats": organization.workgroup_seats.filter(workgroup__network=network).select_related("workgroup"),
        "meetings_invited": attendance.count(),
        "meetings_attended": attendance.filter(attended=True).count(),
        "contracts": organization.contracts.filter(network=network),
    }


# Workgroups, meetings and contracts: the backbone's running of the network.


def partners_current(*, network: Network | int) -> QuerySet[Organization]:
    """The organizations that are current partners of the network (or the network with that id), by
    name."""
    current = Membership.objects.current().filter(network=network)
    return Organization.objects.filter(memberships__in=current).order_by("name")


def workgroups_with_seats(*, network: Network) -> QuerySet[Workgroup]:
    """The network's workgroups with seat counts and their co-leaders (with the sectors they come from).

    Only co-leaders from current partners count. Two queries however many workgroups and seats there are."""
    current = memberships_current(network=network).values("organization_id")
    co_leader = Q(seats__is_co_leader=True, seats__organization_id__in=current)
    return (
        network.workgroups.order_by("name")
        .annotate(
            seat_count=Count("seats", distinct=True),
            co_leader_count=Count("seats", filter=co_leader, distinct=True),
            co_leader_sectors=Count("seats__organization__sector", filter=co_leader, distinct=True),
        )
        .prefetch_related(
            Prefetch(
                "seats",
                queryset=WorkgroupSeat.objects.filter(
                    is_co_leader=True, organization_id__in=current
                ).select_related("organization"),
                to_attr="co_leader_seats",
            )
        )
    )


def meetings_with_attendance(*, network: Network) -> QuerySet[Meeting]:
    """The network's meetings with how many organizations were invited, and how many came."""
    return (
        network.meetings.select_related("workgroup")
        .order_by("-starts_at")
        .annotate(
            invited_count=Count("attendance"),
            attended_count=Count("attendance", filter=Q(attendance__attended=True)),
            recorded_count=Count("attendance", filter=Q(attendance__attended__isnull=False)),
        )
    )


@dataclass
class WorkgroupDetail:
    seats: list[WorkgroupSeat]
    co_leaders: int
    co_leader_sectors: int
    current_partner_ids: set[int]
    meetings: list[Meeting]

    @property
    def co_leaders_short(self) -> bool:
        return self.co_leader_sectors < CO_LEADER_SECTORS_NEEDED


def workgroup_detail(*, workgroup: Workgroup) -> WorkgroupDetail:
    """A workgroup's seats (who, from which sector, in which role) and its meetings; three queries."""
    seats = list(workgroup.seats.select_related("organization", "person"))
    current = set(memberships_current(network=workgroup.network).values_list("organization_id", flat=True))
    co_leader_seats = [seat for seat in seats if seat.is_co_leader and seat.organization_id in current]
    return WorkgroupDetail(
        seats=seats,
        co_leaders=len(co_leader_seats),
        co_leader_sectors=len({seat.organization.sector for seat in co_leader_seats}),
        current_partner_ids=current,
        meetings=list(meetings_with_attendance(network=workgroup.network).filter(workgroup=workgroup)),
    )


@dataclass
class MeetingCalendar:
    upcoming: list[Meeting]  # soonest first
    past: list[Meeting]  # latest first


def meeting_calendar(*, network: Network, now: datetime.datetime | None = None) -> MeetingCalendar:
    """The network's meetings split into upcoming and past, from one query."""
    now = now or timezone.now()
    meetings = list(meetings_with_attendance(network=network).order_by("starts_at", "pk"))
    return MeetingCalendar(
        upcoming=[meeting for meeting in meetings if meeting.starts_at >= now],
        past=[meeting for meeting in reversed(meetings) if meeting.starts_at < now],
    )


def meeting_invitable(*, meeting: Meeting | None, network: Network) -> QuerySet[Organization]:
    """Organizations that may be invited: current partners, plus any already invited to ``meeting``
    (a partner that has left since keeps its invitation and attendance)."""
    invitable = Q(memberships__network=network, memberships__left_on__isnull=True)
    if meeting is not None and meeting.pk:
        invitable |= Q(attendance__meeting=meeting)
    return Organization.objects.filter(invitable).distinct().order_by("name")


def meeting_default_invitations(*, network: Network, workgroup: Workgroup | None) -> list[int]:
    """Who a new meeting invites unless the backbone says otherwise: the workgroup's seats that are still
    current partners, or every current partner for a meeting of the whole network."""
    partners = partners_current(network=network)
    if workgroup is not None:
        partners = partners.filter(workgroup_seats__workgroup=workgroup)
    return list(partners.values_list("pk", flat=True))


CONTRACT_STAGES_BEFORE_EXECUTION = {ContractStage.PLANNED, ContractStage.DRAFTING, ContractStage.IN_REVIEW}


@dataclass
class ContractInPipeline:
    contract: Contract
    reached_on: datetime.date | None  # when the contract reached its current stage
    days_in_stage: int | None
    alert_days: int  # the network's contract_stage_alert_days

    @property
    def delayed(self) -> bool:
        return (
            self.contract.stage in CONTRACT_STAGES_BEFORE_EXECUTION
            and self.days_in_stage is not None
            and self.days_in_stage > self.alert_days
        )


@dataclass
class PipelineStage:
    value: str
    label: str
    contracts: list[ContractInPipeline]


@dataclass
class ContractPipeline:
    stages: list[PipelineStage]  # every stage in pipeline order, with its contracts, longest waiting first
    alert_days: int  # the network's contract_stage_alert_days

    @property
    def delayed(self) -> int:
        return sum(row.delayed for stage in self.stages for row in stage.contracts)

    @property
    def total(self) -> int:
        return sum(len(stage.contracts) for stage in self.stages)


def contract_pipeline(*, network: Network, today: datetime.date | None = None) -> ContractPipeline:
    """The network's contracts by stage, each with the date it reached that stage and the days since;
    delayed past the network's own contract_stage_alert_days.

    One query: the date comes from a subquery on the stage changes."""
    today = today or timezone.localdate()
    reached = ContractStageChange.objects.filter(contract=OuterRef("pk"), stage=OuterRef("stage")).order_by(
        "-reached_on", "-pk"
    )
    contracts = network.contracts.select_related("organization").annotate(
        stage_reached_on=Subquery(reached.values("reached_on")[:1])
    )
    by_stage: dict[str, list[ContractInPipeline]] = {stage: [] for stage in CONTRACT_STAGE_ORDER}
    for contract in contracts:
        reached_on = contract.stage_reached_on
        days = (today - reached_on).days if reached_on else None
        by_stage[contract.stage].append(
            ContractInPipeline(contract, reached_on, days, alert_days=network.contract_stage_alert_days)
        )
    for rows in by_stage.values():
        rows.sort(key=lambda row: -(row.days_in_stage or 0))
    return ContractPipeline(
        stages=[PipelineStage(value, label, by_stage[value]) for value, label in ContractStage.choices],
        alert_days=network.contract_stage_alert_days,
    )


@dataclass
class StageStep:
    change: ContractStageChange
    days: int  # until the next stage, or until today for the current one
    current: bool


def contract_history(*, contract: Contract, today: datetime.date | None = None) -> list[StageStep]:
    """The dated stages a contract went through, with the days spent in each."""
    today = today or timezone.localdate()
    changes = list(contract.stage_changes.select_related("recorded_by"))
    steps = []
    for index, change in enumerate(changes):
        following = changes[index + 1].reached_on if index + 1 < len(changes) else today
        steps.append(StageStep(change, (following - change.reached_on).days, index + 1 == len(changes)))
    return steps
