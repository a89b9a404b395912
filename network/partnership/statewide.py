"""Partnership health network by network for the state health department: network-level figures only,
with their table and chart."""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import plotly.graph_objects as go
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from plotly.subplots import make_subplots

from core import figures
from core.numbers import as_percent
from network import selectors
from network.models import (
    Attendance,
    Membership,
    Network,
)
from network.partnership.contracting import (
    ContractDurations,
    ContractingSummary,
    contract_durations,
    contract_order,
    contracts_with_changes,
    days_shown,
)
from network.partnership.engagement import Period
from network.selectors import User
from partners.models import State

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
        return as_percent(self.mean_attendance)


def attendance_rates_by_network(*, network_ids: Sequence[int], period: Period) -> dict[int, list[Fraction]]:
    """Each network's partners' attendance rates in the period (current partners other than the
    backbone, with attendance recorded), from one grouped query; the same rates as the engagement page."""
    start, end = period.bounds()
    current_member = Membership.objects.current().filter(
        network_id=OuterRef("meeting__network_id"), organization_id=OuterRef("organization_id")
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
    for contract in contracts_with_changes(network_ids):
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
                contracts=sorted(durations[network.pk], key=contract_order),
                alert_days=network.contract_stage_alert_days,
            ),
        )
        for network in networks
    ]


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
        (1, "Mean attendance rate (%)", [r.mean_attendance_percent for r in rows], figures.BLUE, False),
        (
            2,
            "Not yet executed, within the alert days",
            [len(r.contracts.not_executed) - len(r.contracts.past_alert) for r in rows],
            figures.SKY_BLUE,
            True,
        ),
        (
            2,
            "Not yet executed, past the alert days",
            [len(r.contracts.past_alert) for r in rows],
            figures.VERMILLION,
            True,
        ),
        (
            3,
            "Median days planned to executed",
            [days_shown(r.contracts.median_planned_to_executed) for r in rows],
            figures.BLUISH_GREEN,
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
    return figures.chart(
        figure,
        summary=(
            f"Three panels of horizontal bars comparing {len(rows)} network{'s' * (len(rows) != 1)}: "
            "mean meeting attendance rate, contracts not yet executed (split by whether they are past "
            "the alert days), and median days from planned to executed."
        ),
        margin=figures.ROOM_AT_TOP,
        element_id="state-chart",
    )
