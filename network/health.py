"""Partnership health: how engaged each partner is, the backbone's contacts with partners (touchpoints),
and where contracting holds the work up; per network for backbone staff, and network by network for the
state health department.

Selectors and services are keyword-only and typed; the figure builders at the end turn their results
into `network.figures` tables and charts. Every read is a fixed number of queries, however many partners
and contracts a network has: counts come from subqueries or one grouped query, and durations are worked
out in Python over one fetched list of contracts with their stage changes.
"""

import datetime
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Self

import plotly.graph_objects as go
from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from plotly.subplots import make_subplots

from network import figures, selectors
from network.dates import long_date
from network.models import (
    Attendance,
    Contract,
    ContractStage,
    ContractStageChange,
    Membership,
    Network,
    Touchpoint,
    TouchpointKind,
    WorkgroupSeat,
)
from network.selectors import CONTRACT_STAGES_BEFORE_EXECUTION, User
from partners.models import Organization, State

# The period


@dataclass(frozen=True)
class Period:
    """The days from ``start`` to ``end``, both included."""

    start: datetime.date
    end: datetime.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Self:
        """The period of the same length that ends the day before this one starts."""
        end = self.start - datetime.timedelta(days=1)
        return type(self)(start=end - datetime.timedelta(days=self.days - 1), end=end)

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The period as [first moment, first moment after) in the site's time zone, for meeting times."""
        return _day_start(self.start), _day_start(self.end + datetime.timedelta(days=1))

    def __str__(self) -> str:
        return f"{long_date(self.start)} to {long_date(self.end)}"


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


DEFAULT_PERIOD_MONTHS = 6


def period_default(*, today: datetime.date, months: int = DEFAULT_PERIOD_MONTHS) -> Period:
    """The last ``months`` months up to and including ``today``."""
    return Period(start=today - relativedelta(months=months) + datetime.timedelta(days=1), end=today)


def _percent(part: Fraction | None) -> int | None:
    """A share as a whole percentage, halves rounded up (exact: no floating-point surprises)."""
    return None if part is None else math.floor(part * 100 + Fraction(1, 2))


# Engagement


@dataclass(frozen=True)
class MeetingCounts:
    """A partner's network and workgroup meetings in one period."""

    invited: int
    recorded: int  # invitations whose attendance the backbone has recorded, attended or not
    attended: int

    @property
    def not_recorded(self) -> int:
        return self.invited - self.recorded

    @property
    def rate(self) -> Fraction | None:
        """Meetings attended of those invited to whose attendance is recorded. A meeting whose
        attendance nobody has recorded yet (or that is still to come) counts neither way."""
        return Fraction(self.attended, self.recorded) if self.recorded else None

    @property
    def percent(self) -> int | None:
        return _percent(self.rate)


@dataclass(frozen=True)
class ReportsOnTime:
    """Monthly reports a partner submitted on time, of those due in a period."""

    due: int
    on_time: int


NO_REPORTS_DUE = ReportsOnTime(due=0, on_time=0)

# Monthly reporting lives in the metrics app, which imports this one and not the other way round. Once
# it exists, metrics registers its selector here (in its AppConfig.ready) with `reports_on_time_source_set`.
ReportsOnTimeSource = Callable[..., Mapping[int, ReportsOnTime]]
_reports_on_time_source: ReportsOnTimeSource | None = None


def reports_on_time_source_set(*, source: ReportsOnTimeSource | None) -> None:
    """Name the function that counts each partner's reports due and on time, called as
    ``source(network=..., period=...)`` and returning {organization id: ReportsOnTime}."""
    global _reports_on_time_source
    _reports_on_time_source = source


def reports_on_time_by_partner(*, network: Network, period: Period) -> Mapping[int, ReportsOnTime] | None:
    """Each partner's reports on time of those due in the period; None while monthly reporting does not
    exist yet, so pages say "not yet available" rather than show invented numbers."""
    if _reports_on_time_source is None:
        return None
    return _reports_on_time_source(network=network, period=period)


@dataclass
class PartnerEngagement:
    """How engaged one current partner was in a period, compared with the period before."""

    organization: Organization
    reports_monthly: bool
    current: MeetingCounts
    previous: MeetingCounts
    seats: int
    co_leader_seats: int
    last_touchpoint_on: datetime.date | None
    last_meeting_on: datetime.date | None  # the last meeting it attended
    reports: ReportsOnTime | None = None  # None: not yet available

    @property
    def last_contact_on(self) -> datetime.date | None:
        """The latest of its last touchpoint and the last meeting it attended."""
        return max(filter(None, [self.last_touchpoint_on, self.last_meeting_on]), default=None)

    @property
    def change(self) -> int | None:
        """The change in attendance rate, in whole percentage points as shown."""
        if self.current.percent is None or self.previous.percent is None:
            return None
        return self.current.percent - self.previous.percent

    @property
    def fell(self) -> bool:
        return self.change is not None and self.change < 0

    @property
    def trend(self) -> str:
        """The change in words, so that it never rests on colour alone."""
        now, before = self.current.percent, self.previous.percent
        if now is None and before is None:
            return "No attendance recorded in either period"
        if before is None:
            return "No attendance recorded in the previous period"
        if now is None:
            return f"No attendance recorded in this period (was {before}%)"
        if now < before:
            return f"Fell from {before}% to {now}%"
        if now > before:
            return f"Rose from {before}% to {now}%"
        return f"Steady at {now}%"

    @property
    def reports_text(self) -> str:
        if not self.reports_monthly and (self.reports is None or not self.reports.due):
            return "Does not report monthly"
        if self.reports is None:
            return "Not yet available"
        return f"{self.reports.on_time} of {self.reports.due}"


def _count_per_organization(queryset: QuerySet) -> Coalesce:
    """The number of rows in ``queryset`` (filtered on the outer organization), as a subquery."""
    counted = queryset.order_by().values("organization_id").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _meeting_counts(attendance: QuerySet[Attendance], period: Period, prefix: str) -> dict[str, Coalesce]:
    start, end = period.bounds()
    in_period = attendance.filter(meeting__starts_at__gte=start, meeting__starts_at__lt=end)
    return {
        f"{prefix}_invited": _count_per_organization(in_period),
        f"{prefix}_recorded": _count_per_organization(in_period.filter(attended__isnull=False)),
        f"{prefix}_attended": _count_per_organization(in_period.filter(attended=True)),
    }


def engagement_partners(*, network: Network) -> QuerySet[Membership]:
    """The partners whose engagement the backbone follows: current members other than the backbone
    organization itself, which runs the meetings."""
    return (
        selectors.memberships_current(network=network)
        .exclude(organization_id=network.backbone_id)
        .select_related("organization")
    )


def engagement_by_partner(
    *, network: Network, period: Period, today: datetime.date | None = None
) -> list[PartnerEngagement]:
    """Each current partner's meetings, attendance rate against the previous period, workgroup seats,
    reports on time and last contact: the partners whose attendance rate fell first, then the lowest rate.

    One query for the partners (every figure is a subquery), plus one for reports once they exist.
    """
    today = today or timezone.localdate()
    attendance = Attendance.objects.filter(
        organization_id=OuterRef("organization_id"), meeting__network=network
    )
    seats = WorkgroupSeat.objects.filter(
        organization_id=OuterRef("organization_id"), workgroup__network=network
    )
    last_meeting = (
        attendance.filter(
            attended=True, meeting__starts_at__lt=_day_start(today + datetime.timedelta(days=1))
        )
        .order_by("-meeting__starts_at")
        .values("meeting__starts_at")[:1]
    )
    last_touchpoint = (
        Touchpoint.objects.filter(
            network=network, organization_id=OuterRef("organization_id"), happened_on__lte=today
        )
        .order_by("-happened_on")
        .values("happened_on")[:1]
    )
    memberships = engagement_partners(network=network).annotate(
        **_meeting_counts(attendance, period, "now"),
        **_meeting_counts(attendance, period.previous, "before"),
        seat_count=_count_per_organization(seats),
        co_leader_seat_count=_count_per_organization(seats.filter(is_co_leader=True)),
        last_meeting_at=Subquery(last_meeting),
        last_touchpoint_on=Subquery(last_touchpoint),
    )
    reports = reports_on_time_by_partner(network=network, period=period)
    rows = [
        PartnerEngagement(
            organization=membership.organization,
            reports_monthly=membership.reports_monthly,
            current=MeetingCounts(membership.now_invited, membership.now_recorded, membership.now_attended),
            previous=MeetingCounts(
                membership.before_invited, membership.before_recorded, membership.before_attended
            ),
            seats=membership.seat_count,
            co_leader_seats=membership.co_leader_seat_count,
            last_touchpoint_on=membership.last_touchpoint_on,
            last_meeting_on=(
                timezone.localdate(membership.last_meeting_at) if membership.last_meeting_at else None
            ),
            reports=reports.get(membership.organization_id, NO_REPORTS_DUE) if reports is not None else None,
        )
        for membership in memberships
    ]
    return engagement_order(rows)


def engagement_order(rows: Iterable[PartnerEngagement]) -> list[PartnerEngagement]:
    """Partners whose attendance rate fell first, then by lowest rate this period (no rate last), then
    by name."""
    return sorted(
        rows,
        key=lambda row: (
            not row.fell,
            row.current.percent is None,
            row.current.percent or 0,
            row.organization.name.lower(),
        ),
    )


# Touchpoints


@dataclass(frozen=True)
class PartnerContact:
    """One partner's recent touchpoints and the last network meeting it attended."""

    touchpoints: list[Touchpoint]
    last_touchpoint_on: datetime.date | None
    last_meeting_on: datetime.date | None

    @property
    def last_contact_on(self) -> datetime.date | None:
        """As on the engagement page: the latest of its last touchpoint and last meeting attended."""
        return max(filter(None, [self.last_touchpoint_on, self.last_meeting_on]), default=None)


TOUCHPOINTS_SHOWN = 25


def touchpoints_recent(
    *,
    network: Network,
    organization: Organization,
    today: datetime.date | None = None,
    limit: int = TOUCHPOINTS_SHOWN,
) -> PartnerContact:
    """The partner's latest touchpoints with the backbone, newest first, and its last meeting attended."""
    today = today or timezone.localdate()
    touchpoints = list(
        network.touchpoints.filter(organization=organization).select_related("recorded_by")[:limit]
    )
    last_meeting = (
        Attendance.objects.filter(
            organization=organization,
            meeting__network=network,
            attended=True,
            meeting__starts_at__lt=_day_start(today + datetime.timedelta(days=1)),
        )
        .order_by("-meeting__starts_at")
        .values_list("meeting__starts_at", flat=True)
        .first()
    )
    return PartnerContact(
        touchpoints=touchpoints,
        last_touchpoint_on=next((t.happened_on for t in touchpoints if t.happened_on <= today), None),
        last_meeting_on=timezone.localdate(last_meeting) if last_meeting else None,
    )


def touchpoint_record(
    *,
    network: Network,
    organization: Organization,
    happened_on: datetime.date,
    kind: str = TouchpointKind.CALL,
    note: str = "",
    recorded_by: AbstractBaseUser | None = None,
    today: datetime.date | None = None,
) -> Touchpoint:
    """Record a contact between the backbone and a current partner outside network meetings."""
    today = today or timezone.localdate()
    if organization.pk == network.backbone_id:
        raise ValidationError("Touchpoints are contacts with partners; this is the backbone organization.")
    if not selectors.memberships_current(network=network).filter(organization=organization).exists():
        raise ValidationError(f"{organization} is not a current partner of {network}.")
    if happened_on > today:
        raise ValidationError({"happened_on": "A touchpoint is recorded once it has happened."})
    if kind not in TouchpointKind.values:
        raise ValidationError({"kind": f"Unknown kind of touchpoint {kind!r}."})
    return Touchpoint.objects.create(
        network=network,
        organization=organization,
        happened_on=happened_on,
        kind=kind,
        note=note.strip(),
        recorded_by=recorded_by,
    )


# Contracting


PIPELINE_STAGES = [ContractStage.PLANNED, ContractStage.DRAFTING, ContractStage.IN_REVIEW]
STAGES_TIMED = [*PIPELINE_STAGES, ContractStage.EXECUTED, ContractStage.AMENDED]


@dataclass
class ContractDurations:
    """The days a contract spent in each stage it reached, from its dated stage changes."""

    contract: Contract
    days_by_stage: dict[str, int]  # stages reached; amendments add up; an ended contract stops counting
    days_in_current_stage: int | None  # None once the contract has ended
    planned_to_executed: int | None  # days from planned to first executed, if it was executed
    alert_days: int

    @property
    def past_alert(self) -> bool:
        """Waiting before execution for longer than the network's alert days."""
        return (
            self.contract.stage in CONTRACT_STAGES_BEFORE_EXECUTION
            and self.days_in_current_stage is not None
            and self.days_in_current_stage > self.alert_days
        )


def contract_durations(
    *, contract: Contract, changes: Sequence[ContractStageChange], today: datetime.date, alert_days: int
) -> ContractDurations:
    """Days per stage from ``changes`` (in date order): each stage lasts until the next was reached,
    and the current stage until ``today``; an ended contract's time stops when it ended."""
    days_by_stage: dict[str, int] = {}
    for index, change in enumerate(changes):
        if change.stage == ContractStage.ENDED:
            continue
        following = changes[index + 1].reached_on if index + 1 < len(changes) else today
        days_by_stage[change.stage] = days_by_stage.get(change.stage, 0) + max(
            0, (following - change.reached_on).days
        )
    last = changes[-1] if changes else None
    days_in_current = (
        max(0, (today - last.reached_on).days) if last and last.stage != ContractStage.ENDED else None
    )
    first_reached = {}
    for change in changes:
        first_reached.setdefault(change.stage, change.reached_on)
    planned, executed = first_reached.get(ContractStage.PLANNED), first_reached.get(ContractStage.EXECUTED)
    return ContractDurations(
        contract=contract,
        days_by_stage=days_by_stage,
        days_in_current_stage=days_in_current,
        planned_to_executed=(executed - planned).days if planned and executed else None,
        alert_days=alert_days,
    )


def median_days(values: Iterable[int | None]) -> float | None:
    """The median of the known values (the mean of the middle two for an even count); None if none."""
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def _contracts_with_changes(networks: Iterable[int]) -> QuerySet[Contract]:
    return (
        Contract.objects.filter(network_id__in=networks)
        .select_related("organization")
        .prefetch_related(
            Prefetch("stage_changes", queryset=ContractStageChange.objects.order_by("reached_on", "pk"))
        )
    )


def contract_stage_durations(
    *, network: Network, today: datetime.date | None = None
) -> list[ContractDurations]:
    """Every contract of the network with its days per stage: the contracts past the alert days first,
    then the ones still before execution (longest wait first), then the executed, then the ended. Two
    queries."""
    today = today or timezone.localdate()
    rows = [
        contract_durations(
            contract=contract,
            changes=list(contract.stage_changes.all()),
            today=today,
            alert_days=network.contract_stage_alert_days,
        )
        for contract in _contracts_with_changes([network.pk])
    ]
    return sorted(rows, key=_contract_order)


def _contract_order(row: ContractDurations) -> tuple:
    open_ = row.contract.stage in CONTRACT_STAGES_BEFORE_EXECUTION
    ended = row.contract.stage == ContractStage.ENDED
    return (
        not row.past_alert,
        not open_,
        ended,
        -(row.days_in_current_stage or 0),
        row.contract.title.lower(),
    )


@dataclass
class ContractingSummary:
    contracts: list[ContractDurations]
    alert_days: int

    @property
    def not_executed(self) -> list[ContractDurations]:
        return [row for row in self.contracts if row.contract.stage in CONTRACT_STAGES_BEFORE_EXECUTION]

    @property
    def past_alert(self) -> list[ContractDurations]:
        return [row for row in self.contracts if row.past_alert]

    @property
    def executed(self) -> list[ContractDurations]:
        return [row for row in self.contracts if row.planned_to_executed is not None]

    @property
    def median_planned_to_executed(self) -> float | None:
        return median_days(row.planned_to_executed for row in self.contracts)


def contracting_summary(*, network: Network, today: datetime.date | None = None) -> ContractingSummary:
    """The network's contracts with their days per stage, those past the alert days, and the median days
    from planned to executed across its executed contracts."""
    return ContractingSummary(
        contracts=contract_stage_durations(network=network, today=today),
        alert_days=network.contract_stage_alert_days,
    )


ALERT_DAYS_MIN, ALERT_DAYS_MAX = 1, 365


def contract_alert_days_set(*, network: Network, days: int) -> Network:
    """Set how many days a contract may wait in one stage before execution before it is flagged."""
    if not ALERT_DAYS_MIN <= days <= ALERT_DAYS_MAX:
        raise ValidationError({"days": f"Choose a number of days from {ALERT_DAYS_MIN} to {ALERT_DAYS_MAX}."})
    network.contract_stage_alert_days = days
    network.save(update_fields=["contract_stage_alert_days"])
    return network


# The state summary: network-level figures only


def state_networks_for_user(*, user: User, code: str) -> tuple[State, list[Network]]:
    """The state at ``code`` and the networks in it whose summary the user may see: every one for the
    state's viewers, their own for backbone staff. 404 for outsiders; 403 for partner staff of a
    network in the state, who have no summary here."""
    state = State.objects.filter(code=code.upper()).first()
    if state is None or not user.is_authenticated:
        raise Http404("No such state.")
    networks = Network.objects.filter(state=state).select_related("backbone")
    views_state = selectors.states_viewed_by(user=user).filter(pk=state.pk).exists()
    if not views_state:
        networks = networks.filter(pk__in=selectors.networks_managed_by(user=user).values("pk"))
    current_partners = Q(memberships__left_on__isnull=True) & ~Q(memberships__organization=F("backbone"))
    found = list(
        networks.annotate(
            partner_count=Count("memberships", filter=current_partners, distinct=True)
        ).order_by("name")
    )
    if not found and not views_state:
        if selectors.networks_visible_to(user=user).filter(state=state).exists():
            raise PermissionDenied(
                "Only the state's viewers and the networks' backbone staff see this summary."
            )
        raise Http404("No such state.")
    return state, found


@dataclass
class NetworkHealth:
    """A network's partnership health in figures, without any partner's own."""

    network: Network
    partners: int  # current partners other than the backbone organization
    partners_with_attendance: int  # partners with recorded attendance in the period: the mean's base
    mean_attendance: Fraction | None
    contracts: ContractingSummary

    @property
    def mean_attendance_percent(self) -> int | None:
        return _percent(self.mean_attendance)


def attendance_rates_by_network(*, network_ids: Sequence[int], period: Period) -> dict[int, list[Fraction]]:
    """Each network's partners' attendance rates in the period (current partners other than the
    backbone, with attendance recorded), from one grouped query; the same rates as the engagement page."""
    start, end = period.bounds()
    current_member = Membership.objects.filter(
        network_id=OuterRef("meeting__network_id"),
        organization_id=OuterRef("organization_id"),
        left_on__isnull=True,
    )
    counts = (
        Attendance.objects.filter(
            meeting__network_id__in=network_ids,
            meeting__starts_at__gte=start,
            meeting__starts_at__lt=end,
            attended__isnull=False,
        )
        .filter(Exists(current_member))
        .exclude(organization_id=F("meeting__network__backbone_id"))
        .order_by()
        .values("meeting__network_id", "organization_id")
        .annotate(recorded=Count("pk"), attended=Count("pk", filter=Q(attended=True)))
    )
    rates: dict[int, list[Fraction]] = defaultdict(list)
    for row in counts:
        rates[row["meeting__network_id"]].append(Fraction(row["attended"], row["recorded"]))
    return rates


def state_health_summary(
    *, networks: Sequence[Network], period: Period, today: datetime.date | None = None
) -> list[NetworkHealth]:
    """Network-level figures for each network: partners, mean attendance rate of its partners in the
    period, contracts not yet executed and past the network's alert days, and the median days from
    planned to executed. Three queries however many networks, partners and contracts.

    ``networks`` carry ``partner_count`` (see `state_networks_for_user`)."""
    today = today or timezone.localdate()
    network_ids = [network.pk for network in networks]
    rates = attendance_rates_by_network(network_ids=network_ids, period=period)
    alert_days = {network.pk: network.contract_stage_alert_days for network in networks}
    durations: dict[int, list[ContractDurations]] = defaultdict(list)
    for contract in _contracts_with_changes(network_ids):
        durations[contract.network_id].append(
            contract_durations(
                contract=contract,
                changes=list(contract.stage_changes.all()),
                today=today,
                alert_days=alert_days[contract.network_id],
            )
        )
    return [
        NetworkHealth(
            network=network,
            partners=network.partner_count,
            partners_with_attendance=len(rates[network.pk]),
            mean_attendance=sum(rates[network.pk]) / len(rates[network.pk]) if rates[network.pk] else None,
            contracts=ContractingSummary(
                contracts=sorted(durations[network.pk], key=_contract_order),
                alert_days=network.contract_stage_alert_days,
            ),
        )
        for network in networks
    ]


# Figures: each result as a table (shown on the page and offered as CSV) and a plotly chart


def days_shown(days: float | None) -> float | int | None:
    """Median days as shown: whole days, or with the half day an even count can give."""
    if days is None:
        return None
    return int(days) if float(days).is_integer() else round(days, 1)


ENGAGEMENT_COLUMNS = [
    "Partner",
    "Sector",
    "Meetings invited",
    "Meetings attended",
    "Attendance not recorded",
    "Attendance rate (%)",
    "Previous rate (%)",
    "Change (points)",
    "Engagement",
    "Workgroup seats",
    "Co-leader seats",
    "Reports on time",
    "Last contact",
]


def engagement_table(*, rows: Sequence[PartnerEngagement], period: Period) -> figures.Table:
    return figures.Table(
        caption=f"Engagement of partners, {period}, compared with {period.previous}",
        columns=ENGAGEMENT_COLUMNS,
        rows=[
            [
                row.organization.name,
                row.organization.get_sector_display(),
                row.current.invited,
                row.current.attended,
                row.current.not_recorded,
                row.current.percent,
                row.previous.percent,
                row.change,
                row.trend,
                row.seats,
                row.co_leader_seats,
                row.reports_text,
                row.last_contact_on,
            ]
            for row in rows
        ],
        slug="engagement",
    )


def engagement_chart(*, rows: Sequence[PartnerEngagement]) -> figures.Chart:
    names = [row.organization.name for row in rows]
    figure = go.Figure(
        [
            go.Bar(
                name="Previous period",
                y=names,
                x=[row.previous.percent for row in rows],
                orientation="h",
                marker_color="#a9aeb1",
                hovertemplate="%{y}: %{x}% in the previous period<extra></extra>",
            ),
            go.Bar(
                name="This period",
                y=names,
                x=[row.current.percent for row in rows],
                orientation="h",
                marker_color="#005ea2",
                hovertemplate="%{y}: %{x}% this period<extra></extra>",
            ),
        ]
    )
    figure.update_layout(
        barmode="group",
        height=max(320, 120 + 44 * len(rows)),
        xaxis={"title": {"text": "Meetings attended of those invited (%)"}, "range": [0, 100]},
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02},
    )
    fell = sum(row.fell for row in rows)
    return _room_at_top(
        figures.chart(
            figure,
            summary=(
                f"Horizontal bars: the attendance rate of {len(rows)} partner{'s' * (len(rows) != 1)} this "
                f"period next to the previous period; {fell} fell, listed first."
            ),
            element_id="engagement-chart",
        )
    )


CONTRACTING_COLUMNS = [
    "Contract",
    "Partner",
    "Current stage",
    *[f"Days {stage.label.lower()}" for stage in STAGES_TIMED],
    "Days in the current stage",
    "Past the alert days",
    "Days from planned to executed",
]


def contracting_table(*, summary: ContractingSummary) -> figures.Table:
    return figures.Table(
        caption="Days each contract spent in each stage",
        columns=CONTRACTING_COLUMNS,
        rows=[
            [
                row.contract.title,
                row.contract.organization.name,
                row.contract.get_stage_display(),
                *[row.days_by_stage.get(stage) for stage in STAGES_TIMED],
                row.days_in_current_stage,
                "Yes" if row.past_alert else "No",
                row.planned_to_executed,
            ]
            for row in summary.contracts
        ],
        slug="contracting",
    )


def contracting_chart(*, summary: ContractingSummary) -> figures.Chart:
    rows = summary.contracts
    positions = list(range(len(rows)))  # contracts may share a title: place bars by position
    figure = go.Figure(
        [
            go.Bar(
                name=stage.label,
                y=positions,
                x=[row.days_by_stage.get(stage, 0) for row in rows],
                orientation="h",
                customdata=[f"{row.contract.title} ({row.contract.organization.name})" for row in rows],
                hovertemplate=f"%{{customdata}}: %{{x}} days {stage.label.lower()}<extra></extra>",
            )
            for stage in PIPELINE_STAGES
        ]
    )
    figure.update_layout(
        barmode="stack",
        height=max(320, 120 + 36 * len(rows)),
        xaxis={"title": {"text": "Days before execution"}},
        yaxis={
            "autorange": "reversed",
            "automargin": True,
            "tickvals": positions,
            "ticktext": [f"{row.contract.title} ({row.contract.organization.name})" for row in rows],
        },
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "traceorder": "normal"},
    )
    return _room_at_top(
        figures.chart(
            figure,
            summary=(
                f"Stacked horizontal bars: days each of {len(rows)} contracts spent planned, drafting and in "
                f"review; {len(summary.past_alert)} past {summary.alert_days} days in one stage."
            ),
            element_id="contracting-chart",
        )
    )


STATE_COLUMNS = [
    "Network",
    "Backbone organization",
    "Partners",
    "Partners with attendance recorded",
    "Mean attendance rate (%)",
    "Contracts not yet executed",
    "Alert after (days in one stage)",
    "Contracts past the alert days",
    "Executed contracts",
    "Median days from planned to executed",
]


def state_table(*, rows: Sequence[NetworkHealth], state: State, period: Period) -> figures.Table:
    return figures.Table(
        caption=f"Partnership health of the networks in {state.name}, {period}",
        columns=STATE_COLUMNS,
        rows=[
            [
                row.network.name,
                row.network.backbone.name,
                row.partners,
                row.partners_with_attendance,
                row.mean_attendance_percent,
                len(row.contracts.not_executed),
                row.contracts.alert_days,
                len(row.contracts.past_alert),
                len(row.contracts.executed),
                days_shown(row.contracts.median_planned_to_executed),
            ]
            for row in rows
        ],
        slug="state-health",
    )


def state_chart(*, rows: Sequence[NetworkHealth]) -> figures.Chart:
    names = [row.network.name for row in rows]
    figure = make_subplots(
        rows=1,
        cols=3,
        shared_yaxes=True,
        horizontal_spacing=0.06,
        subplot_titles=[
            "Mean attendance rate (%)",
            "Contracts not yet executed",
            "Median days planned to executed",
        ],
    )
    panels = [
        (1, "Mean attendance rate (%)", [r.mean_attendance_percent for r in rows], "#005ea2", False),
        (
            2,
            "Not yet executed, within the alert days",
            [len(r.contracts.not_executed) - len(r.contracts.past_alert) for r in rows],
            "#73b3e7",
            True,
        ),
        (
            2,
            "Not yet executed, past the alert days",
            [len(r.contracts.past_alert) for r in rows],
            "#c05600",
            True,
        ),
        (
            3,
            "Median days planned to executed",
            [days_shown(r.contracts.median_planned_to_executed) for r in rows],
            "#0f6460",
            False,
        ),
    ]
    for column, name, values, colour, in_legend in panels:
        figure.add_trace(
            go.Bar(
                name=name,
                y=names,
                x=values,
                orientation="h",
                marker_color=colour,
                showlegend=in_legend,
                hovertemplate=f"%{{y}}: %{{x}} ({name.lower()})<extra></extra>",
            ),
            row=1,
            col=column,
        )
    figure.update_layout(
        barmode="stack",
        height=max(320, 160 + 48 * len(rows)),
        legend={"orientation": "h", "y": -0.12, "traceorder": "normal"},
    )
    figure.update_yaxes(autorange="reversed", automargin=True)
    return _room_at_top(
        figures.chart(
            figure,
            summary=(
                f"Three panels of horizontal bars comparing {len(rows)} network{'s' * (len(rows) != 1)}: "
                "mean meeting attendance rate, contracts not yet executed (split by whether they are past "
                "the alert days), and median days from planned to executed."
            ),
            element_id="state-chart",
        )
    )


def _room_at_top(chart: figures.Chart) -> figures.Chart:
    """More top margin than Tandem's default, for a legend or panel titles above the bars."""
    chart.figure.update_layout(margin={"t": 70})
    return chart
