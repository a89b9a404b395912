"""Writes of monthly reporting: saving a version, submitting, approving, returning, reopening.

Every way in (form, file, API) ends in `report_save`, so all share one validation and one way of
keeping versions. A report row is locked while a version is added, so two submissions of the same month
at the same moment both end as versions, one after the other.
"""

import datetime
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core import jobs
from core.calendar import long_date, month_iso, month_name
from core.problems import Problem, ReportRefused
from metrics.catalogue import Catalogue
from metrics.models import (
    APPROVABLE,
    RETURNABLE,
    SUBMITTABLE,
    MonthlyReport,
    ReopenRequest,
    ReportAction,
    ReportEvent,
    ReportSource,
    ReportStatus,
    ReportValue,
    ReportVersion,
    RollupPending,
    Upload,
    month_locked,
)
from metrics.validation import Cells, ValueIn, month_problems, values_check
from network.models import Membership, Network, Role, RoleKind
from partners.models import Organization

logger = logging.getLogger(__name__)

# Set by `rollups_deferred`: changes are noted as pending, and one rebuild rolls them up afterwards.
_rollups_deferred: ContextVar[bool] = ContextVar("rollups_deferred", default=False)


@contextmanager
def rollups_deferred() -> Iterator[None]:
    """For a bulk load (the demo's 24 months of reports): no rollup a report, since one rebuild after
    the load (`metrics.rollups.rollup_rebuild`, which clears what is pending) costs a hundredth of
    them. The changes are still noted as pending, so a load the caller forgets to follow with a
    rebuild is rolled up by the sweep."""
    token = _rollups_deferred.set(True)
    try:
        yield
    finally:
        _rollups_deferred.reset(token)


def _rollup_after_commit(report: MonthlyReport) -> None:
    """Queue the rollup of this report once the change is committed (ids only), and note in the same
    transaction that it is pending. Robust: a broker that is down fails nothing here, and the rollup
    whose message it lost is run by the sweep (`metrics.rollups.rollup_sweep`) within minutes."""

    RollupPending.objects.create(report_id=report.pk)
    if not _rollups_deferred.get():
        jobs.send_on_commit("metrics.tasks.rollup_report", report.pk)


def _memberships(network: Network, organization: Organization) -> list[Membership]:
    return list(Membership.objects.filter(network=network, organization=organization))


def _report_locked(*, network: Network, organization: Organization, month: datetime.date) -> MonthlyReport:
    """The month's report row, created if need be, locked for this transaction."""
    report, _ = MonthlyReport.objects.get_or_create(network=network, organization=organization, month=month)
    return MonthlyReport.objects.select_for_update().get(pk=report.pk)


def report_check(
    *,
    network: Network,
    organization: Organization,
    month: datetime.date,
    values: Iterable[ValueIn],
    catalogue: Catalogue | None = None,
    today: datetime.date | None = None,
    check_lock: bool = True,
) -> tuple[Cells, list[Problem]]:
    """Every problem of one month's values, without storing anything. A file that leaves a locked
    month as it was checks its figures all the same (``check_lock`` False): bad data refuses it."""
    catalogue = catalogue or Catalogue.for_state(network.state_id)
    today = today or timezone.localdate()
    label = month_iso(month)
    cells, problems = values_check(catalogue, list(values), month=label)
    reopened, status = (
        MonthlyReport.objects.filter(network=network, organization=organization, month=month)
        .values_list("reopened_until", "status")
        .first()
    ) or (None, "")
    problems += month_problems(
        network=network,
        memberships=_memberships(network, organization),
        month=month,
        today=today,
        reopened_until=reopened,
        returned=status == ReportStatus.RETURNED,
        check_lock=check_lock,
    )
    return cells, problems


@transaction.atomic
def report_save(
    *,
    network: Network,
    organization: Organization,
    month: datetime.date,
    values: Iterable[ValueIn],
    user: AbstractBaseUser | None,
    source: str,
    submit: bool,
    nothing_to_report: bool = False,
    note: str = "",
    upload: Upload | None = None,
    catalogue: Catalogue | None = None,
    today: datetime.date | None = None,
) -> MonthlyReport:
    """Store one month's figures as a new version of its report, as a draft or submitted.

    Raises `ReportRefused` with every problem found; then nothing is stored. A month already reported
    gets a new version; the earlier ones are kept. Returns the report as this call left it: its
    ``current_version`` is the version made here, even if another submission has added a newer one
    since (so describe it from the object returned, not by reading the report again).
    """
    catalogue = catalogue or Catalogue.for_state(network.state_id)
    values = list(values)
    cells, problems = report_check(
        network=network,
        organization=organization,
        month=month,
        values=values,
        catalogue=catalogue,
        today=today,
    )
    if nothing_to_report and any(cells.values()):
        problems.append(
            Problem("a month with nothing to report has no counts above 0", month=month_iso(month))
        )
    if not nothing_to_report and not values:
        problems.append(
            Problem(
                "no counts were given",
                "at least one measure's total, or “nothing to report this month”",
                month=month_iso(month),
            )
        )
    if problems:
        raise ReportRefused(problems)
    report = _report_locked(network=network, organization=organization, month=month)
    current = report.current_version
    if (
        current is not None
        and current.nothing_to_report == nothing_to_report
        and cells_same(cells, cells_of(current))
    ):
        # The same figures again: no new version. A draft or returned report sent as it is still
        # becomes submitted, and the history says so (with the note, where there is one).
        if submit and report.status in SUBMITTABLE:
            return _submitted(report, user, note)
        raise NothingChanged(report)
    number = (report.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    version = ReportVersion.objects.create(
        report=report,
        number=number,
        source=ReportSource.NOTHING if nothing_to_report else source,
        nothing_to_report=nothing_to_report,
        note=note,
        created_by=user,
        upload=upload,
    )
    ReportValue.objects.bulk_create(
        ReportValue(
            version=version,
            measure_id=catalogue.measure_id(measure),
            category_id=catalogue.categories[breakdown][category].id,
            count=count,
        )
        for (measure, breakdown, category), count in cells.items()
    )
    report.current_version = version
    now = timezone.now()
    if submit:
        report.status = ReportStatus.SUBMITTED
        report.submitted_at = now
        report.first_submitted_at = report.first_submitted_at or now
    elif report.status != ReportStatus.RETURNED:
        report.status = ReportStatus.DRAFT
    report.save()
    ReportEvent.objects.create(
        report=report,
        version=version,
        action=ReportAction.SUBMITTED if submit else ReportAction.SAVED,
        actor=user,
        comment=note,
    )
    _rollup_after_commit(report)
    return report


def cells_same(first: Cells, second: Cells) -> bool:
    """The same counts: a category given as 0 and one not given are the same."""

    def counted(cells: Cells) -> Cells:
        return {key: count for key, count in cells.items() if count or key[1:] == ("total", "all")}

    return counted(first) == counted(second)


NOTHING_CHANGED = "These figures are the same as the version you already sent: nothing changed"


class NothingChanged(Exception):
    """Figures identical to the report's current version, sent again where that changes nothing (its
    status stays): no version is made. ``report`` is the report, as it was."""

    def __init__(self, report: MonthlyReport) -> None:
        super().__init__(NOTHING_CHANGED)
        self.report = report


def _submitted(report: MonthlyReport, user: AbstractBaseUser | None, comment: str = "") -> MonthlyReport:
    """Submit a locked report's current version as it is (its status allows it)."""
    now = timezone.now()
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = now
    report.first_submitted_at = report.first_submitted_at or now
    report.save()
    ReportEvent.objects.create(
        report=report,
        version_id=report.current_version_id,
        action=ReportAction.SUBMITTED,
        actor=user,
        comment=comment,
    )
    _rollup_after_commit(report)
    return report


def report_nothing_to_report(
    *,
    network: Network,
    organization: Organization,
    month: datetime.date,
    user: AbstractBaseUser | None,
    today: datetime.date | None = None,
) -> MonthlyReport:
    """Submit a month with nothing to report, in one click."""
    return report_save(
        network=network,
        organization=organization,
        month=month,
        values=[],
        user=user,
        source=ReportSource.NOTHING,
        submit=True,
        nothing_to_report=True,
        today=today,
    )


class TransitionRefused(Exception):
    """A status change that the report's current status does not allow."""


class AlreadyOpen(TransitionRefused):
    """A month backbone staff asked to reopen that takes changes already: nothing to do."""


class VersionOutdated(TransitionRefused):
    """A review of a version that is no longer the report's current one: the partner sent a newer
    version after the reviewer opened the report. ``current`` is the newer version's number."""

    def __init__(self, *, seen: int, current: int, refused: str) -> None:
        self.seen, self.current = seen, current
        super().__init__(
            f"Version {current} of this report arrived after you looked at version {seen}, so {refused}. "
            f"Look at version {current} first."
        )


def _check_version(report: MonthlyReport, version: int, refused: str) -> None:
    """Refuse a review of any version but the current one: the reviewer must see what they accept."""
    current = (
        ReportVersion.objects.filter(pk=report.current_version_id).values_list("number", flat=True).first()
    )
    if current is None:
        raise TransitionRefused(f"There is nothing to review yet, so {refused}.")
    if version < current:
        raise VersionOutdated(seen=version, current=current, refused=refused)
    if version != current:
        raise TransitionRefused(f"This report has no version {version}, so {refused}.")


@transaction.atomic
def report_submit(*, report: MonthlyReport, user: AbstractBaseUser | None) -> MonthlyReport:
    """Submit the current version of a draft or returned report."""
    report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
    if report.current_version_id is None:
        raise TransitionRefused("There is nothing to submit yet: fill in the month first.")
    if report.status not in SUBMITTABLE:
        raise TransitionRefused(f"This month is already {report.get_status_display().lower()}.")
    return _submitted(report, user)


@transaction.atomic
def report_approve(
    *, report: MonthlyReport, version: int, user: AbstractBaseUser, comment: str = ""
) -> MonthlyReport:
    """Backbone staff accept a submitted report; its figures count from now on.

    ``version`` is the number of the version the reviewer looked at: if the partner has sent another
    since, nothing is approved (`VersionOutdated`), so nobody approves figures they never saw."""
    report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
    _check_version(report, version, "nothing was approved")
    if report.status not in APPROVABLE:
        raise TransitionRefused("Only a submitted report can be approved.")
    return _reviewed(report, user, ReportStatus.APPROVED, ReportAction.APPROVED, comment)


@transaction.atomic
def report_return(
    *, report: MonthlyReport, version: int, user: AbstractBaseUser, comment: str
) -> MonthlyReport:
    """Backbone staff send a report back for correction, saying why. ``version`` is the number of the
    version the reviewer looked at; a newer one refuses the return, as it does an approval."""
    if not comment.strip():
        raise TransitionRefused("Say what needs correcting: the partner sees your comment.")
    report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
    _check_version(report, version, "the report was not returned")
    if report.status not in RETURNABLE:
        raise TransitionRefused("Only a submitted or approved report can be returned.")
    return _reviewed(report, user, ReportStatus.RETURNED, ReportAction.RETURNED, comment.strip())


def _reviewed(
    report: MonthlyReport, user: AbstractBaseUser, status: str, action: str, comment: str
) -> MonthlyReport:
    report.status = status
    report.reviewed_at = timezone.now()
    report.reviewed_by = user
    report.review_comment = comment
    report.save()
    ReportEvent.objects.create(
        report=report, version_id=report.current_version_id, action=action, actor=user, comment=comment
    )
    _rollup_after_commit(report)
    return report


@dataclass
class BulkApproval:
    """What `reports_approve` did: the reports approved, and those refused with the reason."""

    approved: list[MonthlyReport] = field(default_factory=list)
    refused: list[tuple[MonthlyReport, str]] = field(default_factory=list)


@transaction.atomic
def reports_approve(*, network: Network, versions: dict[int, int], user: AbstractBaseUser) -> BulkApproval:
    """Backbone staff approve several reports of ``network`` at once: ``versions`` maps each report's
    id to the number of the version the reviewer saw. One transaction; each report goes through
    `report_approve` (in a savepoint of its own), so its events and rollups are those of a single
    approval, and a refusal (a newer version, a report no longer submitted) leaves the others
    approved. Ids of other networks' reports are ignored."""
    result = BulkApproval()
    reports = network.monthly_reports.filter(pk__in=sorted(versions)).select_related("organization")
    for report in reports.order_by("submitted_at", "pk"):
        try:
            result.approved.append(report_approve(report=report, version=versions[report.pk], user=user))
        except TransitionRefused as refused:
            result.refused.append((report, str(refused)))
    return result


@transaction.atomic
def report_reopen(
    *,
    network: Network,
    organization: Organization,
    month: datetime.date,
    user: AbstractBaseUser,
    days: int = 14,
    today: datetime.date | None = None,
) -> MonthlyReport:
    """Backbone staff reopen a locked month for ``days`` days: refused for a month the organization was
    not a partner in, and (`AlreadyOpen`) for a month that is not locked."""
    today = today or timezone.localdate()
    if not any(membership.is_member_in(month) for membership in _memberships(network, organization)):
        raise TransitionRefused(f"{organization.name} was not a partner in {month_name(month)}.")
    report = _report_locked(network=network, organization=organization, month=month)
    if not month_locked(network, month, report, today):
        raise AlreadyOpen(f"{month_name(month)} is open for changes already.")
    report.reopened_until = today + datetime.timedelta(days=days)
    report.save()
    ReopenRequest.objects.filter(
        network=network, organization=organization, month=month, resolved_at__isnull=True
    ).update(resolved_at=timezone.now(), report=report)
    ReportEvent.objects.create(
        report=report,
        action=ReportAction.REOPENED,
        actor=user,
        comment=f"Open for changes until {long_date(report.reopened_until)}.",
    )
    return report


class ReopenNotNeeded(TransitionRefused):
    """A request to reopen a month that takes changes already."""


def reopen_request_create(
    *,
    network: Network,
    organization: Organization,
    month: datetime.date,
    user: AbstractBaseUser,
    upload: Upload | None = None,
    today: datetime.date | None = None,
) -> tuple[ReopenRequest, bool]:
    """A partner asks the backbone staff to reopen a locked month; they are e-mailed once the request
    is committed. Asking again while a request is open changes nothing: returns the open request and
    False. Refused (`ReopenNotNeeded`) for a month that is open already, and (`TransitionRefused`)
    for one the organization was not a partner in."""
    today = today or timezone.localdate()
    if not any(membership.is_member_in(month) for membership in _memberships(network, organization)):
        raise TransitionRefused(f"{organization.name} was not a partner in {month_name(month)}.")
    report = MonthlyReport.objects.filter(network=network, organization=organization, month=month).first()
    if not month_locked(network, month, report, today):
        raise ReopenNotNeeded(f"{month_name(month)} is open for changes already: no need to ask.")
    open_request = ReopenRequest.objects.filter(
        network=network, organization=organization, month=month, resolved_at__isnull=True
    ).first()
    if open_request is not None:
        return open_request, False
    try:
        with transaction.atomic():
            request = ReopenRequest.objects.create(
                network=network,
                organization=organization,
                month=month,
                report=report,
                upload=upload,
                requested_by=user,
            )
    except IntegrityError:  # the same request, sent a moment earlier
        return ReopenRequest.objects.get(
            network=network, organization=organization, month=month, resolved_at__isnull=True
        ), False
    jobs.send_on_commit("metrics.tasks.send_reopen_request", request.pk)
    return request, True


def reopen_request_mail(*, request_id: int) -> int:
    """E-mail a reopen request to the network's backbone staff, one message each (a Celery task, like
    every e-mail). A mail server that is down loses no request: the backbone sees it in Tandem all
    the same."""
    request = ReopenRequest.objects.select_related("network", "organization", "requested_by", "upload").get(
        pk=request_id
    )
    staff = (
        Role.objects.filter(kind=RoleKind.BACKBONE_STAFF, network=request.network, ended_at__isnull=True)
        .exclude(user__email="")
        .select_related("user")
    )
    who = request.requested_by
    context = {
        "network": request.network,
        "organization": request.organization,
        "month_name": month_name(request.month),
        "requested_by": (who.get_full_name() or who.get_username()) if who else "Partner staff",
        "filename": request.upload.filename if request.upload else "",
        "link": settings.SITE_URL + reverse("metrics:completeness", args=[request.network.slug]),
    }
    subject = " ".join(render_to_string("metrics/email/reopen_request_subject.txt", context).split())
    messages = [
        mail.EmailMessage(
            subject,
            render_to_string("metrics/email/reopen_request.txt", {**context, "user": role.user}),
            None,
            [role.user.email],
        )
        for role in staff
    ]
    try:
        return mail.get_connection().send_messages(messages) or 0
    except Exception:  # the request stands; only its e-mail is lost
        logger.exception("Reopen request %s: the e-mail to the backbone staff failed", request_id)
        return 0


def cells_of(version: ReportVersion | None) -> Cells:
    """A stored version's counts, keyed as `values_check` keys them."""
    if version is None:
        return {}
    return {
        (value.measure.code, value.category.breakdown.code, value.category.code): value.count
        for value in version.values.select_related("measure", "category__breakdown")
    }


def values_from_cells(cells: Cells) -> list[ValueIn]:
    return [
        ValueIn(measure, breakdown, category, count)
        for (measure, breakdown, category), count in cells.items()
    ]
