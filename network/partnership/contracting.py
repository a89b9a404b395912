"""Where contracting holds the work up: the days each contract spent in each stage, the network's
medians and the contracts past their alert, with their table and chart. Durations are worked out in
Python over one fetched list of contracts with their stage changes."""

import datetime
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from core import figures
from network.models import (
    Contract,
    ContractStage,
    ContractStageChange,
    Network,
)
from network.selectors import CONTRACT_STAGES_BEFORE_EXECUTION

# Contracting


PIPELINE_STAGES = [ContractStage.PLANNED, ContractStage.DRAFTING, ContractStage.IN_REVIEW]
# Each stage's colour from Tandem's colour-blind-safe palette (never red against green).
STAGE_COLOURS = {
    ContractStage.PLANNED: figures.SKY_BLUE,
    ContractStage.DRAFTING: figures.BLUE,
    ContractStage.IN_REVIEW: figures.ORANGE,
}
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


def contracts_with_changes(networks: Iterable[int]) -> QuerySet[Contract]:
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
        for contract in contracts_with_changes([network.pk])
    ]
    return sorted(rows, key=contract_order)


def contract_order(row: ContractDurations) -> tuple:
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


# Figures: each result as a table (shown on the page and offered as CSV) and a plotly chart


def days_shown(days: float | None) -> float | int | None:
    """Median days as shown: whole days, or with the half day an even count can give."""
    if days is None:
        return None
    return int(days) if float(days).is_integer() else round(days, 1)


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
                marker_color=STAGE_COLOURS[stage],
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
    return figures.chart(
        figure,
        summary=(
            f"Stacked horizontal bars: days each of {len(rows)} contracts spent planned, drafting and in "
            f"review; {len(summary.past_alert)} past {summary.alert_days} days in one stage."
        ),
        margin=figures.ROOM_AT_TOP,
        element_id="contracting-chart",
    )
