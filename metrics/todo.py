"""Reporting's part of each home page's to-do list (`network.todo`): the months a partner owes, the
reports waiting for the backbone, who has not reported, and how far each network of a state is in."""

import datetime
from collections.abc import Iterator

from django.db.models import Count, Q
from django.urls import reverse

from core.calendar import long_date, month_add, month_iso, month_name
from metrics.completeness import (
    IN_FOR_PROGRESS,
    RECEIVED,
    MonthReporting,
    ReportingMonth,
    last_due_month,
    reporting_by_month,
    reporting_months,
)
from metrics.models import MonthlyReport, ReopenRequest, ReportStatus, Upload, UploadStatus
from network.models import Membership, Network
from network.todo import (
    Found,
    Task,
    Tone,
    Work,
    network_place,
    partner_place,
    plural,
    provide,
    state_network_place,
)

LOOK_BACK_MONTHS = 12


def _month_task(membership: Membership, row: ReportingMonth) -> Task | None:
    """What a partner has to do about one month, if anything."""
    network, organization = membership.network, membership.organization
    form = reverse("metrics:report_form", args=[network.slug, organization.pk, month_iso(row.month)])
    name = month_name(row.month)
    if row.status == ReportStatus.RETURNED:
        detail = reverse("metrics:report_detail", args=[network.slug, row.report.pk])
        return Task(f"{name} was returned for correction: correct it and submit it again", detail, order=10)
    if row.locked or row.received or row.status == "nothing":
        return None
    due = long_date(row.due_on)
    if row.today > row.due_on:
        verb = "is a draft, not yet submitted" if row.status == ReportStatus.DRAFT else "is late"
        return Task(f"{name} {verb}: it was due on {due}", form, order=5)
    if row.status == ReportStatus.DRAFT:
        return Task(f"{name} is a draft: submit it by {due}", form, order=20)
    days = plural(row.days_to_due, "day", "days") if row.days_to_due else "today"
    when = "today" if not row.days_to_due else f"in {days}"
    return Task(f"{name} is due {when} ({due})", form, order=20)


def _partner_months(work: Work) -> Found:
    for membership in work.partnerships:
        if not membership.reports_monthly:
            continue
        place = partner_place(membership.pk)
        rows = reporting_months(
            network=membership.network, organization=membership.organization, today=work.today
        )
        # Locked months never reported, over the last year (the completeness page's window): older
        # gaps are history, not today's work.
        since = month_add(work.today.replace(day=1), -LOOK_BACK_MONTHS)
        never = [row for row in rows if row.locked and row.status == "not_started" and row.month >= since]
        for row in rows:
            task = _month_task(membership, row)
            if task is not None:
                yield place, task
        if never:
            yield (
                place,
                Task(
                    f"{plural(len(never), 'month was', 'months were')} never reported and "
                    f"{'is' if len(never) == 1 else 'are'} now locked "
                    f"(the latest {month_name(never[0].month)}): ask the backbone staff to reopen them",
                    reverse(
                        "metrics:reporting_months", args=[membership.network.slug, membership.organization_id]
                    ),
                    Tone.WARNING,
                    len(never),
                    order=70,
                ),
            )


def _partner_uploads(work: Work) -> Found:
    if not work.partnerships:
        return
    places = {(m.network_id, m.organization_id): m for m in work.partnerships}
    waiting = (
        Upload.objects.filter(
            organization__in={m.organization_id for m in work.partnerships},
            network__in={m.network_id for m in work.partnerships},
            status__in=[UploadStatus.QUEUED, UploadStatus.READING, UploadStatus.READY],
        )
        .only("pk", "network_id", "organization_id", "status", "filename")
        .order_by("created_at")
    )
    for upload in waiting:
        membership = places.get((upload.network_id, upload.organization_id))
        if membership is None:
            continue
        url = reverse(
            "metrics:upload_detail", args=[membership.network.slug, membership.organization_id, upload.pk]
        )
        if upload.status == UploadStatus.READY:
            task = Task(
                f"Your file {upload.filename} has been checked: look at it and save it", url, order=15
            )
        else:
            task = Task(f"Your file {upload.filename} is being read", url, Tone.INFO, order=80)
        yield partner_place(membership.pk), task


def _review(work: Work) -> Found:
    """Reports waiting for the backbone, those waiting for the partner, and requests to reopen a locked
    month: two queries."""
    if not work.managed:
        return
    counts = {
        row["network_id"]: row
        for row in MonthlyReport.objects.filter(
            network__in=work.managed, status__in=[ReportStatus.SUBMITTED, ReportStatus.RETURNED]
        )
        .values("network_id")
        .annotate(
            submitted=Count("pk", filter=Q(status=ReportStatus.SUBMITTED)),
            returned=Count("pk", filter=Q(status=ReportStatus.RETURNED)),
        )
        .order_by()
    }
    asked = dict(
        ReopenRequest.objects.filter(network__in=work.managed, resolved_at__isnull=True)
        .values_list("network_id")
        .annotate(Count("pk"))
        .order_by()
    )
    for network in work.managed:
        if asked.get(network.pk):
            text = f"{plural(asked[network.pk], 'partner asks', 'partners ask')} you to reopen a locked month"
            url = reverse("metrics:completeness", args=[network.slug]) + "#reopen-requests"
            yield network_place(network.pk), Task(text, url, count=asked[network.pk], order=15)
        row = counts.get(network.pk)
        if row is None:
            continue
        queue = reverse("metrics:review_queue", args=[network.slug])
        if row["submitted"]:
            text = f"{plural(row['submitted'], 'report waits', 'reports wait')} for your review"
            yield network_place(network.pk), Task(text, queue, count=row["submitted"], order=10)
        if row["returned"]:
            text = (
                f"{plural(row['returned'], 'report was', 'reports were')} returned for correction: "
                "the partner's turn"
            )
            yield network_place(network.pk), Task(text, queue, Tone.INFO, row["returned"], order=90)


def _last_months_reporting(
    networks: list[Network], today: datetime.date, counted: Q
) -> Iterator[tuple[Network, datetime.date, MonthReporting]]:
    """Each network's last month due, with its reports expected and ``counted``: two queries."""
    if not networks:
        return
    due = {network.pk: last_due_month(network, today) for network in networks}
    found = reporting_by_month(
        networks=networks, first=min(due.values()), last=max(due.values()), today=today, counted=counted
    )
    for network in networks:
        reporting = found[network.pk].get(due[network.pk])
        if reporting is not None:
            yield network, due[network.pk], reporting


def _missing(work: Work) -> Found:
    """Backbone staff: partners whose last month due is not in (submitted or approved)."""
    for network, month, reporting in _last_months_reporting(work.managed, work.today, Q(status__in=RECEIVED)):
        missing = reporting.expected - reporting.received
        if missing > 0:
            yield (
                network_place(network.pk),
                Task(
                    f"{plural(missing, 'partner has', 'partners have')} not sent {month_name(month)} "
                    f"({reporting.received} of {reporting.expected} in)",
                    reverse("metrics:completeness", args=[network.slug]),
                    Tone.WARNING,
                    missing,
                    order=20,
                ),
            )


def _state_reporting(work: Work) -> Found:
    """State viewers: how far each network's last month due is counted (its reports approved)."""
    for network, month, reporting in _last_months_reporting(work.state_networks, work.today, IN_FOR_PROGRESS):
        state = "complete" if reporting.complete else "not complete yet: its figures are provisional"
        yield (
            state_network_place(network.pk),
            Task(
                f"{month_name(month)}: {reporting.partners_words}; the month is {state}",
                reverse("goals:dashboard_network", args=[network.slug]) + "#completeness-heading",
                Tone.INFO if reporting.complete else Tone.WARNING,
                order=10,
            ),
        )


def register() -> None:
    provide(_partner_months, in_navigation=True)
    provide(_partner_uploads, in_navigation=True)
    provide(_review, in_navigation=True)
    provide(_missing)
    provide(_state_reporting)
