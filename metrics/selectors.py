"""Reads of monthly reporting that pages and the API share, each behind its permission question.

- partner staff see and submit their own organizations' reports (``partners.submit_report``);
- backbone staff see, approve and return every report of their network (``network.manage_network``);
- a state viewer sees identified reports only of partners that share them with the state.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.http import Http404

from metrics.catalogue import COUNTY_BREAKDOWN, TOTAL_BREAKDOWN, UNKNOWN, Catalogue
from metrics.importers import dprp
from metrics.models import (
    APPROVABLE,
    RETURNABLE,
    SUBMITTABLE,
    MonthlyReport,
    ParticipantSession,
    ReopenRequest,
    ReportEvent,
    ReportStatus,
    ReportValue,
    ReportVersion,
    month_locked,
)
from metrics.validation import Cells
from network.models import DataSharing, Membership, Network
from network.selectors import (
    User,
    networks_managed_by,
    networks_visible_to,
    organizations_for_user,
    states_viewed_by,
)
from partners.models import Organization


def organizations_reporting_for(*, user: User) -> QuerySet[Organization]:
    """Organizations whose reports the user may submit."""
    return organizations_for_user(user=user, perm="partners.submit_report")


def reporting_organization_get(
    *, user: User, organization_id: int, network: Network | None = None
) -> Organization:
    """The organization the user reports for, a partner (now or once) of ``network`` where one is given:
    403 if the user may see it there but does not report for it (backbone staff, state viewers, fellow
    partners), 404 if not even that. Pages, uploads and the API all ask this."""
    reporting = organizations_reporting_for(user=user).filter(pk=organization_id)
    seen = Membership.objects.filter(organization_id=organization_id)
    if network is not None:
        reporting = reporting.filter(memberships__network=network)
        seen = seen.filter(network=network)
    else:
        seen = seen.filter(network__in=networks_visible_to(user=user).values("pk"))
    organization = reporting.distinct().first()
    if organization is not None:
        return organization
    if seen.exists():
        raise PermissionDenied("Only the organization's partner staff report its months.")
    raise Http404("No such organization.")


def _shared_with_state() -> Exists:
    return Exists(
        Membership.objects.current().filter(
            network=OuterRef("network"),
            organization=OuterRef("organization"),
            data_sharing=DataSharing.BACKBONE_AND_STATE,
        )
    )


def reports_visible_to(*, user: User) -> QuerySet[MonthlyReport]:
    """Every identified report the user may see."""
    reports = MonthlyReport.objects.select_related("organization", "network", "current_version")
    if not user.is_authenticated or not user.is_active:
        return reports.none()
    if user.is_superuser:
        return reports
    return reports.filter(
        Q(organization__in=organizations_reporting_for(user=user))
        | Q(network__in=networks_managed_by(user=user))
        | (Q(network__state__in=states_viewed_by(user=user)) & _shared_with_state())
    )


def report_may_review(*, user: User, report: MonthlyReport) -> bool:
    """Backbone staff of the report's network approve, return and reopen."""
    return networks_managed_by(user=user).filter(pk=report.network_id).exists()


def report_may_edit(*, user: User, report: MonthlyReport) -> bool:
    """Partner staff of the report's organization correct and submit it."""
    return organizations_reporting_for(user=user).filter(pk=report.organization_id).exists()


@dataclass(frozen=True)
class ReportActions:
    """What the user may do with a report today: the one place the report page, its buttons and the
    services read the allowed transitions from."""

    may_review: bool  # backbone staff of the report's network
    may_edit: bool  # partner staff of the report's organization
    locked: bool
    can_approve: bool
    can_return: bool
    can_reopen: bool
    can_correct: bool
    can_submit: bool


def report_actions(*, user: User, report: MonthlyReport, today: datetime.date) -> ReportActions:
    may_review = report_may_review(user=user, report=report)
    may_edit = report_may_edit(user=user, report=report)
    locked = month_locked(report.network, report.month, report, today)
    return ReportActions(
        may_review=may_review,
        may_edit=may_edit,
        locked=locked,
        can_approve=may_review and report.status in APPROVABLE,
        can_return=may_review and report.status in RETURNABLE,
        can_reopen=may_review and locked,
        can_correct=may_edit and not locked,
        can_submit=may_edit
        and not locked
        and report.current_version_id is not None
        and report.status in SUBMITTABLE,
    )


@dataclass(frozen=True)
class NextActor:
    """Who must act next on a report: its partner (``partner``) or the backbone staff (``backbone``),
    and the page's words for it."""

    party: str
    text: str


def next_actor(*, report: MonthlyReport) -> NextActor | None:
    """Who the report waits for: the partner to fill in, submit or correct it, the backbone staff to
    review it; None once approved. No query (the organization is read if not selected already)."""
    name = report.organization.name
    if report.status == ReportStatus.RETURNED:
        return NextActor("partner", f"Waiting for {name} to correct it")
    if report.status == ReportStatus.SUBMITTED:
        return NextActor("backbone", "Waiting for backbone review")
    if report.status == ReportStatus.DRAFT:
        return NextActor("partner", f"Waiting for {name} to submit it")
    return None


def report_get_for_user(*, user: User, pk: int) -> MonthlyReport:
    """A report the user may see; 404 to everyone else."""
    report = reports_visible_to(user=user).filter(pk=pk).first()
    if report is None:
        raise Http404("No such report.")
    return report


def report_get_for_review(*, user: User, pk: int) -> MonthlyReport:
    """A report the user may review: 404 if they may not see it, 403 if they may only look."""
    report = report_get_for_user(user=user, pk=pk)
    if not report_may_review(user=user, report=report):
        raise PermissionDenied("Only the network's backbone staff review reports.")
    return report


# The report page and the review queue


@dataclass
class FigureTable:
    """One breakdown of a version's figures: a row per category, a column per measure reported."""

    code: str
    name: str
    measures: list[str]
    rows: list[tuple[str, list[int | None]]]


def report_figures(*, catalogue: Catalogue, cells: Cells) -> list[FigureTable]:
    """A version's counts as a table per breakdown. Only the measures reported are columns, and only
    the counties with a count are rows (with unknown), so a month stays short to read."""
    measures = [code for code in catalogue.measures if any(key[0] == code for key in cells)]
    if not measures:
        return []
    tables = []
    for breakdown, name in catalogue.breakdowns.items():
        rows = []
        for info in catalogue.categories[breakdown].values():
            counts = [cells.get((measure, breakdown, info.code)) for measure in measures]
            if breakdown == COUNTY_BREAKDOWN and info.code != UNKNOWN[0] and not any(counts):
                continue
            rows.append((info.name, counts))
        tables.append(FigureTable(breakdown, name, [catalogue.measures[m][1] for m in measures], rows))
    return tables


def report_not_collected(*, catalogue: Catalogue, cells: Cells) -> list[str]:
    """The breakdowns a version's partner did not collect, in the page's words ("Race not collected:
    counted as unknown"; "Race and sex not collected: ..." for several): those whose every count, for
    each measure with a total above 0, is under unknown. Named for the measures concerned when only
    some are."""
    totals = {
        measure: count
        for (measure, breakdown, _), count in cells.items()
        if breakdown == TOTAL_BREAKDOWN and count
    }
    by_scope: dict[str, list[str]] = {}
    for breakdown, name in catalogue.breakdowns.items():
        if breakdown == TOTAL_BREAKDOWN:
            continue
        measures = [m for m, total in totals.items() if cells.get((m, breakdown, UNKNOWN[0])) == total]
        if not measures:
            continue
        scope = ""
        if len(measures) < len(totals):
            names = [catalogue.measures[m][1].lower() for m in catalogue.measures if m in measures]
            scope = f" for {_and(names)}"
        by_scope.setdefault(scope, []).append(name)
    return [
        f"{_and([names[0], *(name.lower() for name in names[1:])])} not collected{scope}: counted as unknown"
        for scope, names in by_scope.items()
    ]


def _and(words: list[str]) -> str:
    """ "race, sex and payer"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


@dataclass(frozen=True)
class CellChange:
    measure: str
    breakdown: str
    category: str
    before: int
    after: int


@dataclass
class VersionChanges:
    version: ReportVersion
    changes: list[CellChange]  # against the version before; empty for the first


def report_versions(*, report: MonthlyReport, catalogue: Catalogue) -> list[VersionChanges]:
    """Every version of a report, newest first, each with the cells whose count differs from the
    version before (a cell not given counts as 0). Two queries."""
    versions = list(report.versions.select_related("created_by", "upload").order_by("number"))
    counts: dict[int, dict[tuple[int, int], int]] = {version.pk: {} for version in versions}
    for version_id, measure_id, category_id, count in ReportValue.objects.filter(
        version__report=report
    ).values_list("version_id", "measure_id", "category_id", "count"):
        counts[version_id][measure_id, category_id] = count
    measures = {
        measure_id: (position, name)
        for position, (measure_id, name) in enumerate(catalogue.measures.values())
    }
    breakdowns = list(catalogue.breakdowns)
    positions = {
        info.id: (breakdowns.index(info.breakdown), position)
        for codes in catalogue.categories.values()
        for position, info in enumerate(codes.values())
    }

    def order(key: tuple[int, int]) -> tuple:
        measure_id, category_id = key
        return (measures.get(measure_id, (99, ""))[0], positions.get(category_id, (99, category_id)))

    result = []
    before: dict[tuple[int, int], int] = {}
    for index, version in enumerate(versions):
        after = counts[version.pk]
        changes = []
        if index:
            for key in sorted(set(before) | set(after), key=order):
                if before.get(key, 0) != after.get(key, 0):
                    info = catalogue.category_by_id.get(key[1])
                    changes.append(
                        CellChange(
                            measure=measures.get(key[0], (0, f"measure {key[0]}"))[1],
                            breakdown=catalogue.breakdowns.get(info.breakdown, "") if info else "",
                            category=info.name if info else f"category {key[1]}",
                            before=before.get(key, 0),
                            after=after.get(key, 0),
                        )
                    )
        result.append(VersionChanges(version, changes))
        before = after
    result.reverse()
    return result


def report_events(*, report: MonthlyReport) -> QuerySet[ReportEvent]:
    """Who did what to the report, newest first."""
    return report.events.select_related("actor", "version").order_by("-at", "-id")


def reports_waiting_for_review(*, network: Network) -> QuerySet[MonthlyReport]:
    """Submitted reports of the network, the longest waiting first."""
    return (
        network.monthly_reports.filter(status=ReportStatus.SUBMITTED)
        .select_related("organization", "current_version", "current_version__created_by")
        .order_by("submitted_at", "pk")
    )


def report_next_for_review(*, network: Network, after: MonthlyReport) -> MonthlyReport | None:
    """The report to review after ``after`` ("Approve and next"): the next one waiting in the queue's
    order, else the first still waiting (one skipped earlier); None when nothing is left. Two queries
    at most."""
    waiting = reports_waiting_for_review(network=network).exclude(pk=after.pk)
    if after.submitted_at is not None:
        later = waiting.filter(
            Q(submitted_at__gt=after.submitted_at) | Q(submitted_at=after.submitted_at, pk__gt=after.pk)
        ).first()
        if later is not None:
            return later
    return waiting.first()


def reports_returned(*, network: Network) -> QuerySet[MonthlyReport]:
    """Reports sent back for correction that the partner has not corrected yet, the oldest first:
    the partner's turn, since they were returned (a correction saved as a draft is its current
    version)."""
    return (
        network.monthly_reports.filter(status=ReportStatus.RETURNED)
        .select_related("organization", "reviewed_by", "current_version")
        .order_by("reviewed_at", "pk")
    )


def reopen_requests_open(*, network: Network) -> QuerySet[ReopenRequest]:
    """The network's requests to reopen a locked month that the backbone staff have not answered yet,
    the oldest first. One query (``.count()`` for the home page's number)."""
    return (
        ReopenRequest.objects.filter(network=network, resolved_at__isnull=True)
        .select_related("organization", "requested_by", "report")
        .order_by("requested_at", "pk")
    )


# The columns of a stored session (`metrics.models.SessionAttended`), in the order of `dprp.Session`.
SESSION_COLUMNS = [
    "participant",
    "session_date",
    *dprp.BREAKDOWN_FIELDS,
    "weight",
    "activity_minutes",
    "a1c",
    "edition",
]


def participant_sessions(*, organization_id: int) -> list[dprp.Session]:
    """Every session the organization's DPRP files have given Tandem, one per participant and day: one
    query. For the recounts of uploads and for the cohorts (`metrics.outcomes`), not for pages."""
    rows = ParticipantSession.objects.filter(organization_id=organization_id).values_list(*SESSION_COLUMNS)
    return [dprp.Session(*row) for row in rows]


def last_session_days(*, organization_ids: Iterable[int]) -> dict[int, datetime.date]:
    """The latest session day of each organization's DPRP files (organizations with none left out):
    what tells a cohort still running from a complete one (`metrics.outcomes.cohort_is_complete`).
    One query, whatever the number of organizations."""
    rows = (
        ParticipantSession.objects.filter(organization_id__in=list(organization_ids))
        .values("organization_id")
        .annotate(last=Max("session_date"))
        .values_list("organization_id", "last")
    )
    return dict(rows)
