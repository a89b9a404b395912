"""How engaged each partner is (meetings invited and attended, workgroup seats, reports on time, the
backbone's last contact) over a period of days, the backbone's touchpoints, and their table and chart.
Every read is a fixed number of queries, however many partners a network has."""

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Self

import plotly.graph_objects as go
from dateutil.relativedelta import relativedelta
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import figures
from core.calendar import long_date
from core.numbers import as_percent
from network import selectors
from network.models import (
    Attendance,
    Membership,
    Network,
    Touchpoint,
    TouchpointKind,
    WorkgroupSeat,
)
from partners.models import Organization

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
        return as_percent(self.rate)


@dataclass(frozen=True)
class ReportsOnTime:
    """Monthly reports a partner submitted on time, of those due in a period."""

    due: int
    on_time: int


NO_REPORTS_DUE = ReportsOnTime(due=0, on_time=0)

# A change in attendance rate smaller than this many percentage points is noise (one meeting missed of
# a handful), not a partner drifting away: the page flags a fall, and says "about the same", from here.
ATTENDANCE_CHANGE_POINTS = 10

# Monthly reporting lives in the metrics app, which imports this one and not the other way round:
# metrics registers its selector here (in its AppConfig.ready) with `reports_on_time_source_set`.
ReportsOnTimeSource = Callable[..., Mapping[int, ReportsOnTime]]
_reports_on_time_source: ReportsOnTimeSource | None = None


def reports_on_time_source_set(*, source: ReportsOnTimeSource | None) -> None:
    """Name the function that counts each partner's reports due and on time, called as
    ``source(network=..., period=..., today=...)`` and returning {organization id: ReportsOnTime}."""
    global _reports_on_time_source
    _reports_on_time_source = source


def reports_on_time_by_partner(
    *, network: Network, period: Period, today: datetime.date
) -> Mapping[int, ReportsOnTime] | None:
    """Each partner's reports on time of those due in the period; None when no source is registered
    (the metrics app not loaded), so pages say "not available" rather than show invented numbers."""
    if _reports_on_time_source is None:
        return None
    return _reports_on_time_source(network=network, period=period, today=today)


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
        """The rate fell by at least `ATTENDANCE_CHANGE_POINTS`: a smaller fall is not flagged."""
        return self.change is not None and self.change <= -ATTENDANCE_CHANGE_POINTS

    @property
    def rose(self) -> bool:
        return self.change is not None and self.change >= ATTENDANCE_CHANGE_POINTS

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
        if self.fell:
            return f"Fell from {before}% to {now}%"
        if self.rose:
            return f"Rose from {before}% to {now}%"
        if now == before:
            return f"Steady at {now}%"
        return f"About the same: {now}%, was {before}%"

    @property
    def reports_text(self) -> str:
        if not self.reports_monthly and (self.reports is None or not self.reports.due):
            return "Does not report monthly"
        if self.reports is None:
            return "Not available"
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

    One query for the partners (every figure is a subquery), plus the reporting source's (two).
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
    reports = reports_on_time_by_partner(network=network, period=period, today=today)
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
                marker_color=figures.GREY,
                hovertemplate="%{y}: %{x}% in the previous period<extra></extra>",
            ),
            go.Bar(
                name="This period",
                y=names,
                x=[row.current.percent for row in rows],
                orientation="h",
                marker_color=figures.BLUE,
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
    return figures.chart(
        figure,
        summary=(
            f"Horizontal bars: the attendance rate of {len(rows)} partner{'s' * (len(rows) != 1)} this "
            f"period next to the previous period; {fell} fell, listed first."
        ),
        margin=figures.ROOM_AT_TOP,
        element_id="engagement-chart",
    )
