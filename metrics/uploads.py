"""The upload service: a partner's file of monthly counts is read, previewed, then saved or discarded.

1. `upload_read` takes the file. A small one is read at once; a large one (more rows than
   ``REPORT_UPLOAD_BACKGROUND_ROWS``) is stored and read by the Celery task `metrics.tasks.upload_read`,
   which reports its progress on the `Upload` row. Either way the raw file is deleted once read: a
   small file never touches the disk, and of a DPRP file only the sessions the counts need are kept,
   in ``Upload.result``, until the upload is saved or discarded.
2. Reading checks everything and stores nothing: the months the file would change, their totals by
   measure and what is stored now, go to ``Upload.result`` for the preview. A file with any problem is
   refused whole, every problem in ``Upload.problems`` with its line, column and what is expected.
3. `upload_save` applies every month in one transaction, all or nothing, through
   `metrics.services.report_save`, so a file is validated like every other way in.
   `upload_discard` forgets the upload.

A DPRP file becomes sessions (`ParticipantSession`, one row per organization, participant and day), and
the months it touches are counted again from all the organization's stored sessions, so the same or an
overlapping file counts nobody twice. Only months whose counts change get a new version; other measures
of those months (referrals) are kept from their current version. Sessions in months before the
organization joined the network are kept, to tell a new participant from a returning one, but those
months are not reported.
"""

import dataclasses
import datetime
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from metrics import services
from metrics.catalogue import Catalogue
from metrics.importers import dprp, tandem
from metrics.importers.encoding import Table, size_problems, table_read
from metrics.models import (
    MonthlyReport,
    ParticipantSession,
    ReportSource,
    ReportStatus,
    ReportValue,
    Upload,
    UploadFormat,
    UploadStatus,
)
from metrics.validation import Cells, Problem, ReportRefused, month_end, month_label
from network.models import Membership, Network
from partners.models import Organization

logger = logging.getLogger(__name__)

MAX_PROBLEMS = 1000  # beyond this a file is broken throughout; listing more helps no one
DPRP_MEASURES = set(dprp.MEASURES)
SESSION_FIELDS = ["race", "ethnicity", "sex", "age_group", "payer", "delivery_mode"]


class Change:
    """What saving would do to a month, as the preview tells it."""

    NEW = "new"  # nothing stored yet: a first version
    CHANGED = "changed"  # a new version
    UNCHANGED = "unchanged"  # the same counts: not saved again
    SUBMIT = "submit"  # the same counts, in a draft or returned month: submitted as they are
    NOT_REPORTED = "not_reported"  # not a partner that month: sessions kept, month not reported
    NOT_OVER = "not_over"  # the current month: sessions kept, reported by a file sent once it is over


# --- reading ---------------------------------------------------------------------------------------


def upload_read(
    *,
    network: Network,
    organization: Organization,
    user: AbstractBaseUser | None,
    file: UploadedFile,
    format: str,
    submit: bool,
    today: datetime.date | None = None,
) -> Upload:
    """Take a file of monthly counts (``format`` "tandem" or "dprp") and read it, or queue it.

    The caller has checked that ``user`` submits for ``organization``. Returns the `Upload`: ready
    (its preview in ``result``), refused (``problems``), or queued for the background job. Nothing
    but the `Upload` row is stored.
    """
    if format not in UploadFormat.values:
        raise ValueError(f"unknown upload format {format!r}")
    upload = Upload(
        network=network,
        organization=organization,
        format=format,
        filename=(file.name or "upload.csv")[-255:],
        size=file.size or 0,
        submit=submit,
        created_by=user if user and user.is_authenticated else None,
    )
    problems = size_problems(upload.size, settings.REPORT_UPLOAD_MAX_BYTES)
    if problems:
        upload.sha256 = ""
        _finish(upload, {}, problems, rows=0)
        return upload
    data = b"".join(file.chunks())
    upload.sha256 = hashlib.sha256(data).hexdigest()
    if data.count(b"\n") > settings.REPORT_UPLOAD_BACKGROUND_ROWS:
        from metrics import tasks  # the task module imports this one

        upload.status = UploadStatus.QUEUED
        upload.rows_total = data.count(b"\n")
        upload.save()
        upload.file.save(f"{upload.pk}.csv", ContentFile(data), save=True)
        transaction.on_commit(lambda: tasks.upload_read.delay(upload.pk))
        return upload
    upload.status = UploadStatus.READING
    upload.save()
    _read(upload, data, today=today)
    return upload


def upload_read_queued(*, upload_id: int, today: datetime.date | None = None) -> Upload | None:
    """Read a queued upload's stored file (the background job). Claimed with a conditional update, so
    two workers never read one file; the file is deleted once read, whatever the outcome."""
    claimed = Upload.objects.filter(pk=upload_id, status=UploadStatus.QUEUED).update(
        status=UploadStatus.READING, rows_done=0
    )
    if not claimed:
        return None
    upload = Upload.objects.select_related("network", "organization").get(pk=upload_id)
    try:
        with upload.file.open("rb") as stored:
            data = stored.read()
    except (FileNotFoundError, ValueError):
        _finish(upload, {}, [Problem("the file was lost before it could be read", "the file again")], rows=0)
        return upload
    try:
        _read(upload, data, today=today, progress=_progress_writer(upload))
    except SoftTimeLimitExceeded:
        raise  # the task refuses the upload, saying it took too long
    except Exception:
        # A bug, not the partner's file: say so rather than leave the progress bar spinning.
        logger.exception("Reading upload %s failed", upload_id)
        _finish(upload, {}, [Problem("Tandem could not read this file", "the file again later")], rows=0)
    finally:
        _file_delete(upload)
    return upload


def upload_fail(*, upload_id: int, message: str) -> None:
    """The background job could not finish (it ran out of time): refuse the upload and forget its file."""
    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is None or upload.status not in (UploadStatus.QUEUED, UploadStatus.READING):
        return
    _file_delete(upload)
    _finish(upload, {}, [Problem(message, "a smaller file: split it by month and upload each part")], rows=0)


def _progress_writer(upload: Upload) -> Callable[[int], None]:
    def write(rows_done: int) -> None:
        # Outside any transaction, so the progress page sees it while the job runs.
        Upload.objects.filter(pk=upload.pk).update(rows_done=rows_done)

    return write


def _read(
    upload: Upload,
    data: bytes,
    *,
    today: datetime.date | None,
    progress: Callable[[int], None] | None = None,
) -> None:
    today = today or timezone.localdate()
    table, problems = table_read(data)
    if table is None:
        _finish(upload, {}, problems, rows=0)
        return
    rows_total = table.row_count()
    if upload.rows_total != rows_total:
        upload.rows_total = rows_total
        Upload.objects.filter(pk=upload.pk).update(rows_total=rows_total)
    catalogue = Catalogue.for_state(upload.network.state_id)
    if upload.format == UploadFormat.TANDEM:
        result, problems, rows = _tandem_preview(upload, table, catalogue, today, progress)
    else:
        result, problems, rows = _dprp_preview(upload, table, catalogue, today, progress)
    _finish(upload, result, problems, rows=rows)


def _finish(upload: Upload, result: dict[str, Any], problems: list[Problem], *, rows: int) -> None:
    if problems:
        problems = sorted(problems, key=lambda p: (p.line or 0, p.month))
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems = [
                *problems[:MAX_PROBLEMS],
                Problem(f"and {more} more problems not listed", "the problems above corrected first"),
            ]
        upload.status = UploadStatus.REFUSED
        upload.problems = [p.as_dict() for p in problems]
        upload.result = {}  # a refused DPRP file leaves nothing of its participants behind
    else:
        upload.status = UploadStatus.READY
        upload.problems = []
        upload.result = result
    upload.rows_done = upload.rows_total = rows
    upload.finished_at = timezone.now()
    upload.save()


def _file_delete(upload: Upload) -> None:
    if upload.file:
        upload.file.delete(save=False)
        Upload.objects.filter(pk=upload.pk).update(file="")


# --- what is stored --------------------------------------------------------------------------------


@dataclass
class StoredMonth:
    report: MonthlyReport | None
    cells: Cells


def _stored(
    network: Network, organization: Organization, months: list[datetime.date]
) -> dict[datetime.date, StoredMonth]:
    """The current counts of each month, in two queries whatever the number of months."""
    reports = {
        report.month: report
        for report in MonthlyReport.objects.filter(
            network=network, organization=organization, month__in=months
        )
    }
    by_version: dict[int, Cells] = {}
    values = ReportValue.objects.filter(
        version_id__in=[r.current_version_id for r in reports.values() if r.current_version_id]
    ).values_list("version_id", "measure__code", "category__breakdown__code", "category__code", "count")
    for version_id, measure, breakdown, category, count in values:
        by_version.setdefault(version_id, {})[measure, breakdown, category] = count
    stored = {}
    for month in months:
        report = reports.get(month)
        version_id = report.current_version_id if report else None
        stored[month] = StoredMonth(report, by_version.get(version_id, {}) if version_id else {})
    return stored


def _without_zeros(cells: Cells) -> Cells:
    """Counts compared as stored: a zero category and a missing one are the same; totals always count."""
    return {key: count for key, count in cells.items() if count or key[1:] == ("total", "all")}


def _totals(cells: Cells) -> dict[str, int]:
    return {measure: count for (measure, breakdown, _), count in cells.items() if breakdown == "total"}


def _cells_json(cells: Cells) -> list[list]:
    return [[*key, count] for key, count in sorted(cells.items())]


def _cells_from_json(rows: list[list]) -> Cells:
    return {(m, b, c): n for m, b, c, n in rows}


def _month_result(
    month: datetime.date, cells: Cells, stored: StoredMonth, change: str, **extra: Any
) -> dict[str, Any]:
    return {
        "month": month_label(month),
        "change": change,
        "totals": _totals(cells),
        "stored_totals": _totals(stored.cells)
        if stored.report and stored.report.current_version_id
        else None,
        "stored_status": stored.report.status if stored.report else "",
        "cells": _cells_json(cells),
        **extra,
    }


def _change(new: Cells, stored: StoredMonth, *, submit: bool) -> str:
    if stored.report is None or stored.report.current_version_id is None:
        return Change.NEW
    if _without_zeros(new) != _without_zeros(stored.cells):
        return Change.CHANGED
    if submit and stored.report.status in (ReportStatus.DRAFT, ReportStatus.RETURNED):
        return Change.SUBMIT
    return Change.UNCHANGED


SAVED_CHANGES = (Change.NEW, Change.CHANGED, Change.SUBMIT)


# --- Tandem CSV template ---------------------------------------------------------------------------


def _tandem_preview(
    upload: Upload,
    table: Table,
    catalogue: Catalogue,
    today: datetime.date,
    progress: Callable[[int], None] | None,
) -> tuple[dict[str, Any], list[Problem], int]:
    read = tandem.tandem_read(
        table,
        org_code=upload.organization.dprp_org_code or "",
        measures=catalogue.measures,
        progress=progress,
    )
    problems = list(read.problems)
    stored = _stored(upload.network, upload.organization, list(read.months))
    months = []
    for month, given in read.months.items():
        if not given.values:
            continue  # already a problem
        cells, month_problems = services.report_check(
            network=upload.network,
            organization=upload.organization,
            month=month,
            values=given.values,
            catalogue=catalogue,
            today=today,
        )
        problems += [_placed(problem, given) for problem in month_problems]
        kept = {key: n for key, n in stored[month].cells.items() if key[0] in given.blank_measures}
        new = {**kept, **cells}
        months.append(
            _month_result(
                month,
                new,
                stored[month],
                _change(new, stored[month], submit=upload.submit),
                given=_cells_json(cells),
                blank=given.blank_measures,
                kept=[m for m in given.blank_measures if any(key[0] == m for key in kept)],
            )
        )
    return {"format": UploadFormat.TANDEM, "rows": read.rows, "months": months}, problems, read.rows


def _placed(problem: Problem, given: tandem.TandemMonth) -> Problem:
    """A problem of a whole measure or month, pointed at the line where a person would fix it."""
    if problem.line:
        return problem
    measure = problem.message.split(" ", 1)[0]
    if measure in given.measure_lines:
        return dataclasses.replace(problem, line=given.measure_lines[measure], column="count")
    return dataclasses.replace(problem, line=given.first_line, column="month")


# --- DPRP participant file -------------------------------------------------------------------------


def _sessions_stored(organization: Organization) -> dict[tuple[str, datetime.date], dprp.Session]:
    rows = ParticipantSession.objects.filter(organization=organization).values_list(
        "participant", "session_date", *SESSION_FIELDS
    )
    return {(row[0], row[1]): dprp.Session(*row) for row in rows}


def _months_touched(
    sessions: dict[tuple[str, datetime.date], dprp.Session], participants: set[str]
) -> list[datetime.date]:
    """Every month in which a participant of the file attended: their first session (so their
    enrollment month and their categories) may have changed, and with it each of those months."""
    return sorted({dprp.month_of(day) for participant, day in sessions if participant in participants})


def _memberships(network: Network, organization: Organization) -> list[Membership]:
    return list(Membership.objects.filter(network=network, organization=organization))


def _member_in(memberships: list[Membership], month: datetime.date) -> bool:
    return any(
        m.joined_on <= month_end(month) and (m.left_on is None or m.left_on >= month) for m in memberships
    )


@dataclass
class DprpMonth:
    month: datetime.date
    cells: Cells  # the month's counts after the file: DPRP measures recounted, the others kept
    stored: StoredMonth
    change: str
    problems: list[Problem]  # why the month cannot be saved (locked, say)


def _dprp_months(
    upload: Upload,
    sessions: dict[tuple[str, datetime.date], dprp.Session],
    participants: set[str],
    catalogue: Catalogue,
    today: datetime.date,
) -> list[DprpMonth]:
    """The months the file touches, recounted from ``sessions`` (all of the organization's), each
    checked as `report_save` will check it."""
    touched = _months_touched(sessions, participants)
    counts = dprp.monthly_counts(sessions.values(), set(touched))
    stored = _stored(upload.network, upload.organization, touched)
    memberships = _memberships(upload.network, upload.organization)
    months = []
    for month in touched:
        kept = {key: n for key, n in stored[month].cells.items() if key[0] not in DPRP_MEASURES}
        cells = {**kept, **counts[month]}
        change = _change(cells, stored[month], submit=upload.submit)
        if not _member_in(memberships, month):
            change = Change.NOT_REPORTED
        elif month >= today.replace(day=1):
            change = Change.NOT_OVER
        problems: list[Problem] = []
        if change in SAVED_CHANGES:
            _, problems = services.report_check(
                network=upload.network,
                organization=upload.organization,
                month=month,
                values=services.values_from_cells(cells),
                catalogue=catalogue,
                today=today,
            )
        if change == Change.SUBMIT and problems:
            # Same counts in a month that cannot be submitted now (locked): leave it be, do not refuse
            # a file over a month it does not change.
            change, problems = Change.UNCHANGED, []
        months.append(DprpMonth(month, cells, stored[month], change, problems))
    return months


def _dprp_preview(
    upload: Upload,
    table: Table,
    catalogue: Catalogue,
    today: datetime.date,
    progress: Callable[[int], None] | None,
) -> tuple[dict[str, Any], list[Problem], int]:
    read = dprp.dprp_read(
        table,
        org_code=upload.organization.dprp_org_code or "",
        hash_key=settings.PARTICIPANT_HASH_KEY,
        organization_id=upload.organization_id,
        today=today,
        progress=progress,
    )
    if read.problems:
        return {}, read.problems, read.rows
    sessions = _sessions_stored(upload.organization)
    sessions.update({(s.participant, s.day): s for s in read.sessions})
    participants = {s.participant for s in read.sessions}
    problems: list[Problem] = []
    months = []
    for counted in _dprp_months(upload, sessions, participants, catalogue, today):
        line = read.month_lines.get(counted.month)
        problems += [
            dataclasses.replace(p, line=p.line or line, column=p.column or ("DATE" if line else ""))
            for p in counted.problems
        ]
        months.append(_month_result(counted.month, counted.cells, counted.stored, counted.change))
    result = {
        "format": UploadFormat.DPRP,
        "edition": read.edition.year if read.edition else "",
        "standards": read.edition.standards if read.edition else "",
        "rows": read.rows,
        "participants": read.participants,
        "sessions_count": len(read.sessions),
        "months": months,
        # Kept until saved or discarded: one-way hashes, dates and breakdown categories, nothing else.
        "sessions": [s.as_json() for s in read.sessions],
    }
    return result, problems, read.rows


# --- saving and discarding -------------------------------------------------------------------------


class UploadNotReady(Exception):
    """The upload is not (or no longer) ready to save or discard."""


def upload_save(
    *, upload: Upload, user: AbstractBaseUser | None, today: datetime.date | None = None
) -> list[MonthlyReport]:
    """Save every month of a ready upload in one transaction: all of them, or none.

    Returns the reports that got a new version. Raises `ReportRefused` with every problem if a month
    can no longer be saved (it was locked since the preview, say); the upload is then refused and
    nothing is stored. Raises `UploadNotReady` if it was saved, discarded or refused already.
    """
    try:
        return _upload_save(upload=upload, user=user, today=today or timezone.localdate())
    except ReportRefused as refused:
        upload.refresh_from_db()
        _finish(upload, {}, refused.problems, rows=upload.rows_total)
        raise


@transaction.atomic
def _upload_save(
    *, upload: Upload, user: AbstractBaseUser | None, today: datetime.date
) -> list[MonthlyReport]:
    locked = Upload.objects.select_for_update().select_related("network", "organization").get(pk=upload.pk)
    if locked.status != UploadStatus.READY:
        raise UploadNotReady(f"This upload is {locked.get_status_display().lower()}: it cannot be saved.")
    catalogue = Catalogue.for_state(locked.network.state_id)
    if locked.format == UploadFormat.TANDEM:
        saved = _tandem_save(locked, user, catalogue, today)
    else:
        saved = _dprp_save(locked, user, catalogue, today)
    locked.status = UploadStatus.SAVED
    locked.result = {key: value for key, value in locked.result.items() if key != "sessions"}
    locked.result["saved"] = [month_label(report.month) for report in saved]
    locked.finished_at = timezone.now()
    locked.save()
    upload.refresh_from_db()
    return saved


def _tandem_save(
    upload: Upload, user: AbstractBaseUser | None, catalogue: Catalogue, today: datetime.date
) -> list[MonthlyReport]:
    months = {datetime.date.fromisoformat(m["month"] + "-01"): m for m in upload.result.get("months", [])}
    stored = _stored(upload.network, upload.organization, list(months))
    saved = []
    for month, read in months.items():
        # Measures left blank keep what is stored now, not what was stored at the preview.
        kept = {key: n for key, n in stored[month].cells.items() if key[0] in read.get("blank", [])}
        cells = {**kept, **_cells_from_json(read["given"])}
        if _change(cells, stored[month], submit=upload.submit) not in SAVED_CHANGES:
            continue
        saved.append(_month_save(upload, user, catalogue, today, month, cells, ReportSource.TANDEM_CSV))
    return saved


def _dprp_save(
    upload: Upload, user: AbstractBaseUser | None, catalogue: Catalogue, today: datetime.date
) -> list[MonthlyReport]:
    # One save of an organization's sessions at a time, so each recount sees the other's sessions.
    Organization.objects.select_for_update().filter(pk=upload.organization_id).first()
    read = [dprp.Session.from_json(row) for row in upload.result.get("sessions", [])]
    ParticipantSession.objects.bulk_create(
        [
            ParticipantSession(
                organization_id=upload.organization_id,
                participant=s.participant,
                session_date=s.day,
                upload=upload,
                **{name: getattr(s, name) for name in SESSION_FIELDS},
            )
            for s in read
        ],
        batch_size=1000,
        # The same session in a later file: the later file's categories win.
        update_conflicts=True,
        unique_fields=["organization", "participant", "session_date"],
        update_fields=[*SESSION_FIELDS, "upload"],
    )
    sessions = _sessions_stored(upload.organization)
    participants = {s.participant for s in read}
    saved = []
    for counted in _dprp_months(upload, sessions, participants, catalogue, today):
        if counted.change in SAVED_CHANGES:
            saved.append(
                _month_save(
                    upload, user, catalogue, today, counted.month, counted.cells, ReportSource.DPRP_FILE
                )
            )
    return saved


def _month_save(
    upload: Upload,
    user: AbstractBaseUser | None,
    catalogue: Catalogue,
    today: datetime.date,
    month: datetime.date,
    cells: Cells,
    source: str,
) -> MonthlyReport:
    return services.report_save(
        network=upload.network,
        organization=upload.organization,
        month=month,
        values=services.values_from_cells(cells),
        user=user,
        source=source,
        submit=upload.submit,
        note=f"From the file {upload.filename}.",
        upload=upload,
        catalogue=catalogue,
        today=today,
    )


@transaction.atomic
def upload_discard(*, upload: Upload, user: AbstractBaseUser | None) -> Upload:
    """Forget an upload that was not saved: its file and the sessions it read. Nothing else changes."""
    locked = Upload.objects.select_for_update().get(pk=upload.pk)
    if locked.status == UploadStatus.SAVED:
        raise UploadNotReady("This upload was saved: correct a month from its report instead.")
    if locked.status == UploadStatus.DISCARDED:
        return locked
    if locked.status in (UploadStatus.QUEUED, UploadStatus.READING) and not upload_is_stalled(locked):
        raise UploadNotReady("This file is still being read: discard it when it is done.")
    _file_delete(locked)
    locked.status = UploadStatus.DISCARDED
    locked.result = {key: value for key, value in locked.result.items() if key != "sessions"}
    locked.finished_at = timezone.now()
    locked.save()
    upload.refresh_from_db()
    return locked


def max_megabytes() -> int:
    """The largest file taken, in whole megabytes, for the upload page."""
    return settings.REPORT_UPLOAD_MAX_BYTES // (1024 * 1024)


def upload_is_stalled(upload: Upload) -> bool:
    """Queued or being read for longer than the job may run: its worker died or its message was lost."""
    if upload.status not in (UploadStatus.QUEUED, UploadStatus.READING):
        return False
    limit = datetime.timedelta(seconds=settings.REPORT_UPLOAD_TIME_LIMIT + 300)
    return timezone.now() - upload.created_at > limit
