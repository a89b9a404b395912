"""Reporting reminders: e-mails to partner staff a few days before a month is due, and once it is
missing. Services (writes) first, then the reads the settings page needs.

Which months get a reminder, for each current membership that reports monthly:
- "due soon": the month whose due day is at most `DUE_SOON_DAYS` days away, if it is not yet received;
- "missing": every month past its due day and not yet received (submitted or approved; a draft or a
  report returned for correction is not received) while the partner can still send it: up to the day
  it locks, or while backbone staff have reopened it. A locked month gets no reminder: the partner
  could not act on it, and a new deployment does not e-mail years of old gaps.
Only months the organization was a member in count (from the month it joined). Each kind is sent at
most once per organization, network and month: the `ReportReminder` row is created first (its unique
constraint decides between two workers) and the e-mails go out once that row is committed, so a crash
or a second run never sends twice. Users who opted out, and users without an e-mail address, get
nothing; with no recipient left no row is written, so a colleague added later is still reminded.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core import mail
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from core.calendar import long_date, month_iso, report_due_on, report_locks_after
from metrics.models import MonthlyReport, ReminderKind, ReminderOptOut, ReportReminder, ReportStatus
from network.models import Membership, Network, Role, RoleKind
from partners.models import Organization

logger = logging.getLogger(__name__)

# The "due soon" reminder goes out this many days before the due day (or on a later day of that
# window, should the daily job miss a run).
DUE_SOON_DAYS = 3

RECEIVED = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)


def _previous_month(month: datetime.date) -> datetime.date:
    return (month - datetime.timedelta(days=1)).replace(day=1)


def report_form_path(*, network: Network, organization: Organization, month: datetime.date) -> str:
    """The path of the partner's form for one month: the one place reminder links are built."""
    return reverse(
        "metrics:report_form",
        kwargs={"slug": network.slug, "organization_id": organization.pk, "month": month_iso(month)},
    )


def reminder_settings_path() -> str:
    return reverse("metrics:reminder_settings")


@dataclass(frozen=True)
class _Due:
    """A reminder to decide on: one kind, for one month of one membership."""

    membership: Membership
    month: datetime.date
    kind: str

    @property
    def key(self) -> tuple[int, int, datetime.date]:
        return (self.membership.organization_id, self.membership.network_id, self.month)


def _months_due(membership: Membership, today: datetime.date) -> list[_Due]:
    """The months of one current membership that may need a reminder today, by the calendar alone."""
    network = membership.network
    this_month = today.replace(day=1)
    found = []
    # Due soon: last month (due this month) or, with an early due day, this month (due next month).
    for month in (_previous_month(this_month), this_month):
        due_on = report_due_on(network, month)
        if due_on - datetime.timedelta(days=DUE_SOON_DAYS) <= today < due_on and membership.is_member_in(
            month
        ):
            found.append(_Due(membership, month, ReminderKind.DUE_SOON))
    # Missing: past the due day and not locked. Later months lock later, so walk back until one is.
    month = _previous_month(this_month)
    while membership.is_member_in(month) and report_locks_after(network, month) >= today:
        if report_due_on(network, month) < today:
            found.append(_Due(membership, month, ReminderKind.MISSING))
        month = _previous_month(month)
    return found


def _reopened(memberships: list[Membership], today: datetime.date) -> list[_Due]:
    """Locked months that backbone staff reopened and that are still not received."""
    by_key = {(m.organization_id, m.network_id): m for m in memberships}
    reports = MonthlyReport.objects.filter(reopened_until__gte=today).exclude(status__in=RECEIVED)
    found = []
    for organization_id, network_id, month in reports.values_list("organization_id", "network_id", "month"):
        membership = by_key.get((organization_id, network_id))
        if (
            membership
            and membership.is_member_in(month)
            and report_locks_after(membership.network, month) < today
        ):
            found.append(_Due(membership, month, ReminderKind.MISSING))
    return found


def _recipients(organization_ids: set[int]) -> dict[int, list[AbstractBaseUser]]:
    """Each organization's current partner staff who want reminders and have an e-mail address."""
    roles = (
        Role.objects.filter(
            kind=RoleKind.PARTNER_STAFF,
            ended_at__isnull=True,
            organization_id__in=organization_ids,
            user__is_active=True,
        )
        .exclude(user__email="")
        .exclude(user__in=ReminderOptOut.objects.values("user_id"))
        .select_related("user")
        .order_by("organization_id", "user__username")
    )
    found: dict[int, list[AbstractBaseUser]] = defaultdict(list)
    for role in roles:
        found[role.organization_id].append(role.user)
    return found


def _messages(
    *, due: _Due, report: MonthlyReport | None, users: list[AbstractBaseUser], base_url: str
) -> list[EmailMessage]:
    """One plain-text e-mail per recipient, so no one sees a colleague's address."""
    network, organization = due.membership.network, due.membership.organization
    base = base_url.rstrip("/")
    open_until = report_locks_after(network, due.month)
    if report and report.reopened_until and report.reopened_until > open_until:
        open_until = report.reopened_until  # backbone staff reopened the month
    context = {
        "network": network,
        "organization": organization,
        "month_name": f"{due.month:%B %Y}",
        "due_on": long_date(report_due_on(network, due.month)),
        "open_until": long_date(open_until),
        "report": report,
        "returned": report is not None and report.status == ReportStatus.RETURNED,
        "draft": report is not None and report.status == ReportStatus.DRAFT,
        "link": base + report_form_path(network=network, organization=organization, month=due.month),
        "settings_link": base + reminder_settings_path(),
    }
    template = f"metrics/email/report_{due.kind}"
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    return [
        EmailMessage(
            subject, render_to_string(f"{template}.txt", {**context, "user": user}), None, [user.email]
        )
        for user in users
    ]


def _deliver(reminder_id: int, messages: list[EmailMessage]) -> None:
    """Send a committed reminder's e-mails. If not one went out, the claim is given back so that the
    next run tries again; once any went out the row stays, so no one gets the reminder twice."""
    sent = 0
    try:
        with mail.get_connection() as connection:
            for message in messages:
                message.connection = connection
                sent += message.send()
    except Exception:
        logger.exception("Reporting reminder %s: %s of %s e-mails sent", reminder_id, sent, len(messages))
        if sent:
            ReportReminder.objects.filter(pk=reminder_id).update(recipients=sent)
        else:
            ReportReminder.objects.filter(pk=reminder_id).delete()


def report_reminders_send(*, today: datetime.date, base_url: str) -> dict[str, int]:
    """Decide and send today's reporting reminders (the daily job); ``base_url`` (e.g.
    ``https://tandem.example.org``) makes the links absolute.

    Returns how many reminders of each kind were decided, how many e-mails were queued, and how many
    reminders were due but had no one to go to. Running it again the same day sends nothing more.
    """
    memberships = list(
        Membership.objects.current().filter(reports_monthly=True).select_related("network", "organization")
    )
    candidates = [due for membership in memberships for due in _months_due(membership, today)]
    candidates += _reopened(memberships, today)
    counts = {ReminderKind.DUE_SOON.value: 0, ReminderKind.MISSING.value: 0, "emails": 0, "no_recipient": 0}
    if not candidates:
        return counts
    months = {due.month for due in candidates}
    organization_ids = {due.membership.organization_id for due in candidates}
    reports = {
        (report.organization_id, report.network_id, report.month): report
        for report in MonthlyReport.objects.filter(organization_id__in=organization_ids, month__in=months)
    }
    already = set(
        ReportReminder.objects.filter(organization_id__in=organization_ids, month__in=months).values_list(
            "organization_id", "network_id", "month", "kind"
        )
    )
    recipients = _recipients(organization_ids)
    for due in candidates:
        report = reports.get(due.key)
        if (report and report.status in RECEIVED) or (*due.key, due.kind) in already:
            continue
        users = recipients.get(due.membership.organization_id, [])
        if not users:
            counts["no_recipient"] += 1
            continue
        messages = _messages(due=due, report=report, users=users, base_url=base_url)
        try:
            with transaction.atomic():
                reminder, created = ReportReminder.objects.get_or_create(
                    organization_id=due.membership.organization_id,
                    network_id=due.membership.network_id,
                    month=due.month,
                    kind=due.kind,
                    defaults={"recipients": len(users)},
                )
                if created:
                    transaction.on_commit(partial(_deliver, reminder.pk, messages))
        except IntegrityError:
            created = False  # another worker created the same reminder at the same moment
        if created:
            counts[due.kind] += 1
            counts["emails"] += len(messages)
    return counts


@transaction.atomic
def reminder_opt_out_set(*, user: AbstractBaseUser, opted_out: bool) -> bool:
    """Stop (``opted_out=True``) or restart a user's reporting reminders. Setting the state the user
    is already in changes nothing. Returns the new state."""
    if opted_out:
        ReminderOptOut.objects.get_or_create(user=user)
    else:
        ReminderOptOut.objects.filter(user=user).delete()
    return opted_out


# Reads


def reminders_wanted(*, user: AbstractBaseUser) -> bool:
    """Whether the user gets reporting reminders (has not opted out)."""
    return not ReminderOptOut.objects.filter(user=user).exists()


@dataclass(frozen=True)
class ReminderSubscription:
    organization: Organization
    networks: list[Network]


def reminder_subscriptions(*, user: AbstractBaseUser) -> list[ReminderSubscription]:
    """The organizations the user receives reminders for (as current partner staff), each with the
    networks it reports to monthly. Two queries."""
    organization_ids = Role.objects.filter(
        user=user, kind=RoleKind.PARTNER_STAFF, ended_at__isnull=True
    ).values("organization_id")
    memberships = (
        Membership.objects.current()
        .filter(organization_id__in=organization_ids, reports_monthly=True)
        .select_related("organization", "network")
        .order_by("organization__name", "network__name")
    )
    networks: dict[Organization, list[Network]] = defaultdict(list)
    for membership in memberships:
        networks[membership.organization].append(membership.network)
    return [ReminderSubscription(organization, nets) for organization, nets in networks.items()]
