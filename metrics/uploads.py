"""The upload service: a partner's file of monthly counts is read, previewed, then saved or discarded.

1. `upload_read` takes the file and counts its lines in one cheap pass (a file of more rows than
   ``REPORT_UPLOAD_MAX_ROWS`` is refused then, unread). A small one is read at once; a large one (more
   rows than ``REPORT_UPLOAD_BACKGROUND_ROWS``, or more bytes than ``REPORT_UPLOAD_BACKGROUND_BYTES``)
   is stored and read by the Celery task `metrics.tasks.upload_read`, which reports its progress on the
   `Upload` row. Either way the raw file is deleted once read: a small file never touches the disk,
   and of a DPRP file only the sessions the counts need are kept, as `UploadSession` rows, until the
   upload is saved or discarded. Files are read a chunk at a time (`metrics.importers.encoding`), an
   Excel workbook a row at a time into the same table (`metrics.importers.workbook`).
2. Reading checks everything and stores nothing: the months the file would change, their totals by
   measure and what is stored now, go to ``Upload.result`` for the preview. A file with any problem is
   refused whole, every problem in ``Upload.problems`` with its line, column and what is expected (all
   of them, from every line, in one pass). A month that is locked is not a problem of the file: it is
   left as it was (`Change.LOCKED`), listed, and the partner may ask the backbone staff to reopen it
   (`metrics.services.reopen_request_create`). An error of Tandem's own while reading refuses the file
   too, saying so: an upload never stays "reading".
3. `upload_save` applies every open month in one transaction, all or nothing, through
   `metrics.services.report_save`, so a file is validated like every other way in; the months locked
   by then are left as they were and listed in ``Upload.result["locked"]``.
   `upload_discard` forgets the upload, whenever it is not being saved.
4. `upload_sweep` (every minute, from Celery beat) repairs what went wrong out of sight. A queued
   upload whose message was lost (the broker was down: the upload stays queued, its file kept, and the
   page says it waits) is sent again once it has shown no sign of life for
   ``REPORT_UPLOAD_STALLED_SECONDS``; so is one whose reader died (a reader's sign of life is its
   progress), once, after which it is refused with a message. A raw file waits at most
   `RAW_FILE_HOURS` for a worker, a preview not saved is discarded after ``REPORT_UPLOAD_KEEP_DAYS``,
   and a file no upload points to is removed after `RAW_FILE_HOURS`.

A DPRP file becomes sessions (`ParticipantSession`, one row per organization, participant and day), and
the months it touches are counted again from all the organization's stored sessions, so the same or an
overlapping file counts nobody twice (a session it shares with an earlier file takes its categories,
and its measurements where it recorded them). Saving queues the organization's retention and outcome
cohorts to be counted again (`metrics.outcomes.cohorts_rebuild`). Only months whose counts change get a
new version; other measures of those months (referrals) are kept from their current version. Sessions
in months before the organization joined the network are kept, to tell a new participant from a
returning one, but those months are not reported.
"""

import csv
import dataclasses
import datetime
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError

from core import jobs
from core.calendar import month_iso, month_of
from core.problems import Problem, ReportRefused
from metrics import services
from metrics.catalogue import Catalogue
from metrics.importers import dprp, tandem
from metrics.importers.encoding import Table, file_count, row_limit_problems, size_problems
from metrics.importers.workbook import WorkbookTable, is_workbook, table_open, workbook_row_count
from metrics.models import (
    MonthlyReport,
    ParticipantSession,
    ReportSource,
    ReportStatus,
    ReportValue,
    Upload,
    UploadFormat,
    UploadSession,
    UploadStatus,
    month_locked,
)
from metrics.selectors import SESSION_COLUMNS, participant_sessions
from metrics.validation import Cells
from network.models import Membership, Network
from partners.models import Organization

logger = logging.getLogger(__name__)

MAX_PROBLEMS = 1000  # beyond this a file is broken throughout; listing more helps no one
RAW_FILE_HOURS = 24  # the longest a raw file waits for a worker before the upload is refused
MAX_READ_ATTEMPTS = 2  # a file whose reading stopped twice may be what stops it: refused then
DPRP_MEASURES = set(dprp.MEASURES)
SESSION_FIELDS = dprp.BREAKDOWN_FIELDS
# What the outcome measures need of a session (`metrics.outcomes`).
MEASUREMENT_FIELDS = ["weight", "activity_minutes", "a1c"]


class Change:
    """What saving would do to a month, as the preview tells it."""

    NEW = "new"  # nothing stored yet: a first version
    CHANGED = "changed"  # a new version
    UNCHANGED = "unchanged"  # the same counts: not saved again
    SUBMIT = "submit"  # the same counts, in a draft or returned month: submitted as they are
    NOT_REPORTED = "not_reported"  # not a partner that month: sessions kept, month not reported
    NOT_OVER = "not_over"  # the current month: sessions kept, reported by a file sent once it is over
    LOCKED = "locked"  # would change a locked month: left as it was (the partner may ask to reopen it)


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
        _refuse_unread(upload, problems)
        return upload
    count = file_count(file.chunks())
    upload.sha256, upload.rows_total = count.sha256, count.rows
    workbook = is_workbook(file)
    if workbook:  # the line ends of a zip file count nothing: the sheet says its rows
        upload.rows_total = workbook_row_count(file) or 0
    problems = row_limit_problems(upload.rows_total, settings.REPORT_UPLOAD_MAX_ROWS)
    if problems:
        _refuse_unread(upload, problems)
        return upload
    upload.heartbeat_at = timezone.now()
    if (
        upload.rows_total > settings.REPORT_UPLOAD_BACKGROUND_ROWS
        or upload.size > settings.REPORT_UPLOAD_BACKGROUND_BYTES
    ):
        upload.status = UploadStatus.QUEUED
        upload.save()
        upload.file.save(
            f"{upload.pk}.{'xlsx' if workbook else 'csv'}", file, save=True
        )  # copied (or moved) a chunk at a time
        _enqueue(upload.pk)
        return upload
    upload.status, upload.read_attempts = UploadStatus.READING, 1
    upload.save()
    file.seek(0)
    _read_guarded(upload, file, today=today)
    return upload


class ReadingTakenOver(Exception):
    """The upload is no longer this reader's: the sweep took it over, or the partner discarded it."""


NOT_READ = Problem(
    "Tandem could not read this file: the fault is Tandem's, not the file's",
    "the file again later; if it happens again, tell the backbone organization",
)
DPRP_AS_CSV = Problem(
    "the DPRP participant file is read as a CSV file only, as CDC takes it; this file is an Excel workbook",
    "the file saved as CSV: in Excel, use File, Save As, “CSV UTF-8 (comma delimited)”",
)
TOO_SLOW = Problem(
    "the file took too long to read", "a smaller file: split it by months and upload each part"
)


def upload_read_queued(*, upload_id: int, today: datetime.date | None = None) -> Upload | None:
    """Read a queued upload's stored file (the background job). Claimed with a conditional update, so
    two workers never read one file; the file is deleted once read, whatever the outcome, unless the
    upload was taken over meanwhile (then its new reader needs the file)."""
    upload = _claim(upload_id=upload_id)
    if upload is None:
        return None
    try:
        with upload.file.open("rb") as stored:
            finished = _read_guarded(upload, stored, today=today, progress=_progress_writer(upload))
    except (FileNotFoundError, ValueError):  # ValueError: the upload has no file
        lost = Problem("the file was lost before it could be read", "the file again")
        finished = _finish(upload, {}, [lost], rows=0)
    except SoftTimeLimitExceeded:
        finished = _finish(upload, {}, [TOO_SLOW], rows=0)
    except ReadingTakenOver:
        return upload
    if finished:
        _file_delete(upload)
    return upload


def _claim(*, upload_id: int) -> Upload | None:
    """Take a queued upload for reading, or None if another reader has it (or it is done)."""
    claimed = Upload.objects.filter(pk=upload_id, status=UploadStatus.QUEUED).update(
        status=UploadStatus.READING,
        rows_done=0,
        heartbeat_at=timezone.now(),
        read_attempts=F("read_attempts") + 1,
    )
    if not claimed:
        return None
    return Upload.objects.select_related("network", "organization").get(pk=upload_id)


def _reading(upload: Upload) -> QuerySet[Upload]:
    """The upload, only while this reader holds it: being read, in this reader's attempt."""
    return Upload.objects.filter(
        pk=upload.pk, status=UploadStatus.READING, read_attempts=upload.read_attempts
    )


def upload_fail(*, upload_id: int, message: str) -> None:
    """The background job could not finish (it ran out of time): refuse the upload and forget its file."""
    upload = Upload.objects.filter(
        pk=upload_id, status__in=[UploadStatus.QUEUED, UploadStatus.READING]
    ).first()
    if upload is not None:
        _give_up(upload, Problem(message, TOO_SLOW.expected))


def _progress_writer(upload: Upload) -> Callable[[int], None]:
    def write(rows_done: int) -> None:
        # Outside any transaction, so the progress page sees it while the job runs; it is also the
        # reader's sign of life, which the sweep watches.
        if not _reading(upload).update(rows_done=rows_done, heartbeat_at=timezone.now()):
            raise ReadingTakenOver(f"upload {upload.pk} is no longer this reader's")

    return write


def _read_guarded(
    upload: Upload,
    file: BinaryIO,
    *,
    today: datetime.date | None,
    progress: Callable[[int], None] | None = None,
) -> bool:
    """`_read`, with an error of Tandem's own ending the upload refused, saying so, rather than
    leaving it "reading" for ever. True if this reader finished the upload."""
    try:
        return _read(upload, file, today=today, progress=progress)
    except (SoftTimeLimitExceeded, ReadingTakenOver):
        raise
    except Exception:
        logger.exception("Reading upload %s failed", upload.pk)
        return _finish(upload, {}, [NOT_READ], rows=0)


def _read(
    upload: Upload,
    file: BinaryIO,
    *,
    today: datetime.date | None,
    progress: Callable[[int], None] | None = None,
) -> bool:
    today = today or timezone.localdate()
    table, problems = table_open(file)
    if table is None:
        return _finish(upload, {}, problems, rows=0)
    if upload.format == UploadFormat.DPRP and isinstance(table, WorkbookTable):
        return _finish(upload, {}, [DPRP_AS_CSV], rows=0)
    rows_total = table.row_count()
    if upload.rows_total != rows_total:
        upload.rows_total = rows_total
        _reading(upload).update(rows_total=rows_total)
    catalogue = Catalogue.for_state(upload.network.state_id)
    if upload.format == UploadFormat.TANDEM:
        result, problems, rows = _tandem_preview(upload, table, catalogue, today, progress)
        return _finish(upload, result, problems, rows=rows)
    result, problems, rows, sessions = _dprp_preview(upload, table, catalogue, today, progress)
    return _finish(upload, result, problems, rows=rows, sessions=sessions)


def _finish(
    upload: Upload,
    result: dict[str, Any],
    problems: list[Problem],
    *,
    rows: int,
    sessions: Sequence[dprp.Session] = (),
) -> bool:
    """End a reading with its preview (and the sessions a DPRP file holds, until it is saved or
    discarded) or its problems. Stored only while this reader holds the upload: one taken over by the
    sweep, or discarded meanwhile, is left as it is. True if stored."""
    _conclude(upload, result, problems, rows=rows)
    fields = ["status", "problems", "result", "rows_done", "rows_total", "finished_at"]
    with transaction.atomic():
        stored = bool(_reading(upload).update(**{name: getattr(upload, name) for name in fields}))
        if stored and upload.status == UploadStatus.READY and sessions:
            _sessions_read_store(upload, sessions)
    return stored


def _refuse_unread(upload: Upload, problems: list[Problem]) -> None:
    """Refuse a new upload before reading it (too large): stored refused, with its problems."""
    _conclude(upload, {}, problems, rows=upload.rows_total)
    upload.save()


def _conclude(upload: Upload, result: dict[str, Any], problems: list[Problem], *, rows: int) -> None:
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


def _enqueue(upload_id: int) -> None:
    """Send the upload to the background job once the transaction that stored it commits. With the
    broker unreachable the upload stays queued, its file kept, and the page says it waits: the sweep
    sends it again once the broker is back. The partner never gets an error for Tandem's broker."""

    def send() -> None:

        try:
            jobs.send("metrics.tasks.upload_read", upload_id)
        except (OperationalError, OSError):
            logger.warning("Upload %s stays queued: the broker cannot be reached", upload_id, exc_info=True)

    transaction.on_commit(send)


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
        "month": month_iso(month),
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
        # A locked month is not a problem of the file: it is left as it was, and listed. Its figures
        # are still checked, so bad data refuses the whole file.
        locked = month_locked(upload.network, month, stored[month].report, today)
        cells, month_problems = services.report_check(
            network=upload.network,
            organization=upload.organization,
            month=month,
            values=given.values,
            catalogue=catalogue,
            today=today,
            check_lock=not locked,
        )
        problems += [_placed(problem, given) for problem in month_problems]
        kept = {key: n for key, n in stored[month].cells.items() if key[0] in given.blank_measures}
        new = {**kept, **cells}
        change = _change(new, stored[month], submit=upload.submit)
        if locked and change in SAVED_CHANGES:
            change = Change.LOCKED
        months.append(
            _month_result(
                month,
                new,
                stored[month],
                change,
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
    sessions = participant_sessions(organization_id=organization.pk)
    return {(session.participant, session.day): session for session in sessions}


def _months_touched(
    sessions: dict[tuple[str, datetime.date], dprp.Session], participants: set[str]
) -> list[datetime.date]:
    """Every month in which a participant of the file attended: their first session (so their
    enrollment month and their categories) may have changed, and with it each of those months."""
    return sorted({month_of(day) for participant, day in sessions if participant in participants})


def _memberships(network: Network, organization: Organization) -> list[Membership]:
    return list(Membership.objects.filter(network=network, organization=organization))


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
        if not any(m.is_member_in(month) for m in memberships):
            change = Change.NOT_REPORTED
        elif month >= today.replace(day=1):
            change = Change.NOT_OVER
        problems: list[Problem] = []
        if change in SAVED_CHANGES:
            # A locked month is left as it was, and listed (its sessions are kept all the same, so a
            # file sent again once it is reopened counts it, and nobody twice).
            locked = month_locked(upload.network, month, stored[month].report, today)
            _, problems = services.report_check(
                network=upload.network,
                organization=upload.organization,
                month=month,
                values=services.values_from_cells(cells),
                catalogue=catalogue,
                today=today,
                check_lock=not locked,
            )
            if locked:
                change = Change.LOCKED
        months.append(DprpMonth(month, cells, stored[month], change, problems))
    return months


def _dprp_preview(
    upload: Upload,
    table: Table,
    catalogue: Catalogue,
    today: datetime.date,
    progress: Callable[[int], None] | None,
) -> tuple[dict[str, Any], list[Problem], int, list[dprp.Session]]:
    read = dprp.dprp_read(
        table,
        org_code=upload.organization.dprp_org_code or "",
        hash_key=settings.PARTICIPANT_HASH_KEY,
        organization_id=upload.organization_id,
        today=today,
        progress=progress,
    )
    if read.problems:
        return {}, read.problems, read.rows, []
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
    }
    # The sessions are kept until the file is saved or discarded (`UploadSession`): one-way hashes,
    # dates, breakdown categories and what the outcome measures need, nothing else; none of it is in
    # the preview.
    return result, problems, read.rows, read.sessions


def _sessions_read_store(upload: Upload, sessions: Sequence[dprp.Session]) -> None:
    """The sessions of a file just read, in one bulk load of plain rows (a hundred thousand model
    instances would cost seconds): PostgreSQL's COPY, elsewhere one prepared insert run for each."""
    columns = ["upload_id", *SESSION_COLUMNS]
    table = connection.ops.quote_name(UploadSession._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            rows = io.StringIO()
            csv.writer(rows).writerows((upload.pk, *session) for session in sessions)
            rows.seek(0)
            cursor.cursor.copy_expert(
                # An empty cell is NULL (a measurement not recorded), except the edition's: text.
                f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (edition))",
                rows,
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
                [(upload.pk, *session) for session in sessions],
            )


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
        _conclude(upload, {}, refused.problems, rows=upload.rows_total)
        upload.save()
        raise


@transaction.atomic
def _upload_save(
    *, upload: Upload, user: AbstractBaseUser | None, today: datetime.date
) -> list[MonthlyReport]:
    locked = Upload.objects.select_for_update().select_related("network", "organization").get(pk=upload.pk)
    if locked.status != UploadStatus.READY:
        raise UploadNotReady(f"This upload is {locked.get_status_display().lower()}: it cannot be saved.")
    catalogue = Catalogue.for_state(locked.network.state_id)
    left_locked: list[datetime.date] = []
    if locked.format == UploadFormat.TANDEM:
        saved = _tandem_save(locked, user, catalogue, today, left_locked)
    else:
        saved = _dprp_save(locked, user, catalogue, today, left_locked)
    locked.status = UploadStatus.SAVED
    locked.result["saved"] = [month_iso(report.month) for report in saved]
    locked.result["locked"] = sorted({month_iso(month) for month in left_locked})
    locked.finished_at = timezone.now()
    locked.save()
    upload.refresh_from_db()
    return saved


def _tandem_save(
    upload: Upload,
    user: AbstractBaseUser | None,
    catalogue: Catalogue,
    today: datetime.date,
    left_locked: list[datetime.date],
) -> list[MonthlyReport]:
    months = {datetime.date.fromisoformat(m["month"] + "-01"): m for m in upload.result.get("months", [])}
    stored = _stored(upload.network, upload.organization, list(months))
    saved: list[MonthlyReport] = []
    for month, read in months.items():
        # Measures left blank keep what is stored now, not what was stored at the preview.
        kept = {key: n for key, n in stored[month].cells.items() if key[0] in read.get("blank", [])}
        cells = {**kept, **_cells_from_json(read["given"])}
        if _change(cells, stored[month], submit=upload.submit) not in SAVED_CHANGES:
            continue
        if month_locked(upload.network, month, stored[month].report, today):
            left_locked.append(month)  # locked since the preview, say: left as it was
            continue
        saved.append(_month_save(upload, user, catalogue, today, month, cells, ReportSource.TANDEM_CSV))
    return saved


def _dprp_save(
    upload: Upload,
    user: AbstractBaseUser | None,
    catalogue: Catalogue,
    today: datetime.date,
    left_locked: list[datetime.date],
) -> list[MonthlyReport]:
    # One save of an organization's sessions at a time, so each recount sees the other's sessions.
    # No key: a rollup inserting rows that refer to the organization must not wait for this save.
    Organization.objects.select_for_update(no_key=True).filter(pk=upload.organization_id).first()
    _sessions_read_save(upload)
    # The organization's cohorts follow its sessions, in the background once they are committed.
    jobs.send_on_commit("metrics.tasks.cohorts_rebuild", upload.organization_id)
    sessions = _sessions_stored(upload.organization)
    participants = set(upload.sessions_read.values_list("participant", flat=True).distinct())
    upload.sessions_read.all()._raw_delete(connection.alias)
    saved = []
    for counted in _dprp_months(upload, sessions, participants, catalogue, today):
        if counted.change == Change.LOCKED:
            left_locked.append(counted.month)
        if counted.change in SAVED_CHANGES:
            saved.append(
                _month_save(
                    upload, user, catalogue, today, counted.month, counted.cells, ReportSource.DPRP_FILE
                )
            )
    return saved


def _sessions_read_save(upload: Upload) -> None:
    """The file's sessions into the organization's, in one statement. The same session in an earlier
    file: this file's categories and edition win, and so do its measurements where it recorded them; a
    measurement it did not record keeps the earlier file's (a later file may fill a weight an earlier
    one lacked, never erase one). Still one session: nobody is counted twice."""
    columns = SESSION_COLUMNS
    kept = connection.ops.quote_name(ParticipantSession._meta.db_table)
    read = connection.ops.quote_name(UploadSession._meta.db_table)
    updated = ", ".join(
        [
            *(f"{column} = excluded.{column}" for column in [*SESSION_FIELDS, "edition", "upload_id"]),
            *(f"{column} = COALESCE(excluded.{column}, {kept}.{column})" for column in MEASUREMENT_FIELDS),
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {kept} (organization_id, upload_id, {", ".join(columns)})
                SELECT %s, upload_id, {", ".join(columns)} FROM {read} WHERE upload_id = %s
                ON CONFLICT (organization_id, participant, session_date) DO UPDATE SET {updated}""",
            [upload.organization_id, upload.pk],
        )


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
    """Forget an upload that was not saved: its file and the sessions it read. Nothing else changes.

    Allowed whenever the upload is not being saved (saving holds its row locked, so a discard waits
    and then finds it saved): a file still queued or being read too, whose reader then stops at its
    next progress report and leaves the upload discarded."""
    locked = Upload.objects.select_for_update().get(pk=upload.pk)
    if locked.status == UploadStatus.SAVED:
        raise UploadNotReady("This upload was saved: correct a month from its report instead.")
    if locked.status == UploadStatus.DISCARDED:
        return locked
    _file_delete(locked)
    locked.status = UploadStatus.DISCARDED
    locked.sessions_read.all()._raw_delete(connection.alias)
    locked.finished_at = timezone.now()
    locked.save()
    upload.refresh_from_db()
    return locked


def max_megabytes() -> int:
    """The largest file taken, in whole megabytes, for the upload page."""
    return settings.REPORT_UPLOAD_MAX_BYTES // (1024 * 1024)


def upload_is_stalled(upload: Upload) -> bool:
    """Queued or being read with no sign of life for a while: the broker is down, or its reader died.
    The sweep sends it again; the page says so meanwhile."""
    if upload.status not in (UploadStatus.QUEUED, UploadStatus.READING):
        return False
    last = upload.heartbeat_at or upload.created_at
    return timezone.now() - last > datetime.timedelta(seconds=settings.REPORT_UPLOAD_STALLED_SECONDS)


# --- the sweep -------------------------------------------------------------------------------------


def upload_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Repair what a lost message or a dead reader left behind, and forget what waited too long.

    Run every minute by Celery beat (`metrics.tasks.upload_sweep`). Each upload is taken with a
    conditional update, so two sweeps, or a sweep and a reader, never act on one upload twice. Returns
    how many uploads were sent again, refused and discarded, and how many files were removed."""
    now = now or timezone.now()
    stalled_before = now - datetime.timedelta(seconds=settings.REPORT_UPLOAD_STALLED_SECONDS)
    raw_before = now - datetime.timedelta(hours=RAW_FILE_HOURS)
    counts = {"requeued": 0, "failed": 0, "discarded": 0, "files_removed": 0}
    waiting = Upload.objects.filter(status__in=[UploadStatus.QUEUED, UploadStatus.READING]).filter(
        Q(heartbeat_at__lt=stalled_before) | Q(heartbeat_at__isnull=True, created_at__lt=stalled_before)
    )
    for upload in waiting.order_by("pk").defer("result"):
        outcome = _repair(upload, raw_before=raw_before, now=now)
        if outcome:
            counts[outcome] += 1
    unsaved = Upload.objects.filter(
        status=UploadStatus.READY,
        created_at__lt=now - datetime.timedelta(days=settings.REPORT_UPLOAD_KEEP_DAYS),
    )
    for upload in unsaved.order_by("pk").only("pk"):  # not the sessions: discarding reads its own row
        try:
            upload_discard(upload=upload, user=None)
        except UploadNotReady:
            continue  # saved meanwhile
        counts["discarded"] += 1
    counts["files_removed"] = _stray_files_remove(older_than=raw_before)
    return counts


def _repair(upload: Upload, *, raw_before: datetime.datetime, now: datetime.datetime) -> str:
    """Send a silent upload to the background job again, or refuse it with a message."""
    if upload.created_at < raw_before:
        problem = Problem(
            "Tandem could not read the file within a day of its upload: its background job was not running",
            "the file again",
        )
    elif upload.status == UploadStatus.READING and not upload.file:
        problem = Problem("Tandem stopped reading this file before it was done", "the file again")
    elif upload.status == UploadStatus.READING and upload.read_attempts >= MAX_READ_ATTEMPTS:
        problem = Problem(
            "Tandem stopped reading this file twice before it was done",
            f"the file again; if it stops again, {TOO_SLOW.expected}",
        )
    else:
        sent_again = _as_seen(upload).update(status=UploadStatus.QUEUED, heartbeat_at=now)
        if not sent_again:
            return ""
        _enqueue(upload.pk)
        return "requeued"
    return "failed" if _give_up(upload, problem) else ""


def _as_seen(upload: Upload) -> QuerySet[Upload]:
    """The upload, only while it is as the sweep saw it: not claimed, finished or sent again since."""
    return Upload.objects.filter(
        pk=upload.pk,
        status=upload.status,
        read_attempts=upload.read_attempts,
        heartbeat_at=upload.heartbeat_at,
    )


def _give_up(upload: Upload, problem: Problem) -> bool:
    """Refuse a queued or stalled upload with ``problem`` and remove its file, unless it moved on."""
    seen = _as_seen(upload)
    _conclude(upload, {}, [problem], rows=0)
    fields = ["status", "problems", "result", "rows_done", "rows_total", "finished_at"]
    if not seen.update(**{name: getattr(upload, name) for name in fields}):
        return False
    _file_delete(upload)
    return True


def _stray_files_remove(*, older_than: datetime.datetime) -> int:
    """Remove raw files that no waiting upload needs: those of finished uploads (a reader that died
    between finishing and deleting), and files no upload points to (an upload whose transaction
    rolled back after its file was written), once older than ``older_than``."""
    removed = 0
    finished = Upload.objects.exclude(status__in=[UploadStatus.QUEUED, UploadStatus.READING]).exclude(file="")
    for upload in finished:
        _file_delete(upload)
        removed += 1
    field = Upload._meta.get_field("file")
    storage, folder = field.storage, str(field.upload_to).split("/", 1)[0]
    kept = set(Upload.objects.exclude(file="").values_list("file", flat=True))
    for name in _files_under(storage, folder):
        if name in kept:
            continue
        try:
            if storage.get_modified_time(name) >= older_than:
                continue
        except (OSError, NotImplementedError):
            continue
        storage.delete(name)
        removed += 1
    return removed


def _files_under(storage: Storage, folder: str) -> list[str]:
    try:
        folders, files = storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return []
    names = [f"{folder}/{name}" for name in files]
    for name in folders:
        names += _files_under(storage, f"{folder}/{name}")
    return names
