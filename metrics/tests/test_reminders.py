"""Reporting reminders: due soon and missing on the right days, once per kind, only to partner staff
who want them, and the page where they turn them off and on."""

import datetime

import pytest
from django.urls import reverse

from metrics import reminders, services, tasks
from metrics.models import ReminderKind, ReminderOptOut, ReportReminder, ReportSource
from metrics.reminders import report_reminders_send
from metrics.tests.factories import values_for
from network import services as network_services
from network.models import RoleKind
from network.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE_URL = "https://tandem.example.org"
OCTOBER = datetime.date(2026, 10, 1)  # due on November 15, 2026 (the default 15th), locked after December 15


def day(number: int, month: int = 11) -> datetime.date:
    return datetime.date(2026, month, number)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the daily job as it runs outside a test's transaction: e-mails go out once committed."""

    def run_on(today: datetime.date) -> dict[str, int]:
        with django_capture_on_commit_callbacks(execute=True):
            return report_reminders_send(today=today, base_url=BASE_URL)

    return run_on


@pytest.fixture
def joined_in_october(world):
    """Only October counts: earlier months are before the supplier joined."""
    world.membership.joined_on = datetime.date(2026, 10, 5)
    world.membership.save()
    return world


def submit(world, month=OCTOBER, today=datetime.date(2026, 11, 5)):
    return services.report_save(
        network=world.network,
        organization=world.supplier,
        month=month,
        values=values_for(world.network, {"enrollments": 6, "referrals": 14}),
        user=world.partner,
        source=ReportSource.FORM,
        submit=True,
        today=today,
    )


def test_due_soon_three_days_before_and_missing_the_day_after_the_due_day(joined_in_october, run, mailoutbox):
    world = joined_in_october
    assert run(day(11)) == {"due_soon": 0, "missing": 0, "emails": 0, "no_recipient": 0}
    assert mailoutbox == []

    assert run(day(12)) == {"due_soon": 1, "missing": 0, "emails": 1, "no_recipient": 0}
    [message] = mailoutbox
    assert message.to == [world.partner.email]
    assert "October 2026" in message.subject and "November 15, 2026" in message.subject
    assert world.network.name in message.subject

    assert run(day(13))["emails"] == 0  # at most once per kind, whichever day the job runs again
    assert run(day(15))["emails"] == 0  # on the due day it is not missing yet
    assert len(mailoutbox) == 1

    assert run(day(16)) == {"due_soon": 0, "missing": 1, "emails": 1, "no_recipient": 0}
    missing = mailoutbox[1]
    assert missing.subject.startswith("Missing")
    assert "was due on November 15, 2026" in missing.body
    assert "until December 15, 2026" in missing.body
    assert run(day(16))["emails"] == run(day(30))["emails"] == 0
    assert len(mailoutbox) == 2
    assert set(ReportReminder.objects.values_list("month", "kind", "recipients")) == {
        (OCTOBER, ReminderKind.DUE_SOON, 1),
        (OCTOBER, ReminderKind.MISSING, 1),
    }


def test_a_missed_run_still_sends_due_soon_within_the_three_days(joined_in_october, run, mailoutbox):
    assert run(day(14))["due_soon"] == 1
    assert len(mailoutbox) == 1


def test_the_link_points_to_the_months_form_and_the_settings_page(joined_in_october, run, mailoutbox):
    world = joined_in_october
    run(day(12))
    body = mailoutbox[0].body
    path = reminders.report_form_path(network=world.network, organization=world.supplier, month=OCTOBER)
    assert path == f"/networks/kansas/organizations/{world.supplier.pk}/reports/2026-10/"
    assert f"{BASE_URL}{path}\n" in body
    assert f"{BASE_URL}{reverse('metrics:reminder_settings')}" in body


def test_submitted_and_approved_months_get_no_reminder(joined_in_october, run, mailoutbox):
    world = joined_in_october
    report = submit(world)
    assert run(day(12))["emails"] == 0
    services.report_approve(report=report, version=report.current_version.number, user=world.backbone)
    assert run(day(16))["emails"] == 0
    assert mailoutbox == [] and not ReportReminder.objects.exists()


def test_a_nothing_to_report_month_is_received(joined_in_october, run, mailoutbox):
    world = joined_in_october
    services.report_nothing_to_report(
        network=world.network, organization=world.supplier, month=OCTOBER, user=world.partner, today=day(2)
    )
    assert run(day(12))["emails"] == run(day(16))["emails"] == 0


def test_a_draft_is_not_received(joined_in_october, run, mailoutbox):
    world = joined_in_october
    services.report_save(
        network=world.network,
        organization=world.supplier,
        month=OCTOBER,
        values=values_for(world.network, {"enrollments": 3}),
        user=world.partner,
        source=ReportSource.FORM,
        submit=False,
        today=day(3),
    )
    assert run(day(12))["due_soon"] == 1
    assert "A draft is saved but not submitted yet." in mailoutbox[0].body


def test_a_returned_month_gets_a_missing_reminder_after_the_due_date(joined_in_october, run, mailoutbox):
    world = joined_in_october
    report = submit(world)
    services.report_return(
        report=report,
        version=report.current_version.number,
        user=world.backbone,
        comment="Referrals by county add up wrong.",
    )
    assert run(day(15))["emails"] == 0  # it was submitted on time: no "due soon" was sent before
    assert run(day(16))["missing"] == 1
    [message] = mailoutbox
    assert message.subject.startswith("Still to correct")
    assert "Referrals by county add up wrong." in message.body


def test_opted_out_users_get_nothing_and_their_colleagues_still_do(joined_in_october, run, mailoutbox):
    world = joined_in_october
    colleague = UserFactory(username="colleague")
    network_services.role_grant(user=colleague, kind=RoleKind.PARTNER_STAFF, scope=world.supplier)
    reminders.reminder_opt_out_set(user=world.partner, opted_out=True)
    assert run(day(12))["emails"] == 1
    assert [m.to for m in mailoutbox] == [[colleague.email]]
    assert ReportReminder.objects.get().recipients == 1


def test_with_no_one_to_remind_no_email_and_no_reminder_is_recorded(joined_in_october, run, mailoutbox):
    world = joined_in_october
    reminders.reminder_opt_out_set(user=world.partner, opted_out=True)
    assert run(day(12)) == {"due_soon": 0, "missing": 0, "emails": 0, "no_recipient": 1}
    assert mailoutbox == [] and not ReportReminder.objects.exists()
    # Back in the next day: the reminder is still due, so it goes out.
    reminders.reminder_opt_out_set(user=world.partner, opted_out=False)
    assert run(day(13))["due_soon"] == 1
    assert len(mailoutbox) == 1


def test_users_without_an_email_address_or_with_an_ended_role_get_nothing(joined_in_october, run, mailoutbox):
    world = joined_in_october
    world.partner.email = ""
    world.partner.save()
    former = UserFactory(username="former")
    role = network_services.role_grant(user=former, kind=RoleKind.PARTNER_STAFF, scope=world.supplier)
    network_services.role_end(role=role)
    assert run(day(12))["no_recipient"] == 1
    assert mailoutbox == []


def test_left_partners_non_reporting_members_and_other_staff_get_nothing(world, run, mailoutbox):
    world.membership.left_on = datetime.date(2026, 11, 1)
    world.membership.save()
    reporting_elsewhere = MembershipFactory(network=world.other_network, reports_monthly=False)
    network_services.role_grant(
        user=UserFactory(username="not-reporting"),
        kind=RoleKind.PARTNER_STAFF,
        scope=reporting_elsewhere.organization,
    )
    assert run(day(12))["emails"] == run(day(16))["emails"] == 0
    assert mailoutbox == []


def test_no_reminder_for_months_before_the_partner_joined(world, run, mailoutbox):
    world.membership.joined_on = datetime.date(2026, 11, 2)
    world.membership.save()
    assert run(day(12))["emails"] == run(day(16))["emails"] == 0
    world.membership.joined_on = datetime.date(2026, 10, 31)  # a member for a day of October: it reports
    world.membership.save()
    assert run(day(16))["missing"] == 1


def test_locked_months_get_none_unless_the_backbone_reopened_them(world, run, mailoutbox):
    world.membership.joined_on = datetime.date(2026, 8, 1)
    world.membership.save()
    submit(world)  # October is in; August and September are missing
    # November 16: August locked after October 15, September (due October 15) locks after November 14.
    assert run(day(16)) == {"due_soon": 0, "missing": 0, "emails": 0, "no_recipient": 0}
    # On October 20 September was missing and open; August had just locked.
    assert run(day(20, month=10))["missing"] == 1
    assert ReportReminder.objects.get().month == datetime.date(2026, 9, 1)

    services.report_reopen(
        network=world.network,
        organization=world.supplier,
        month=datetime.date(2026, 8, 1),
        user=world.backbone,
        today=day(16),
    )
    assert run(day(17))["missing"] == 1
    assert "until November 30, 2026" in mailoutbox[-1].body
    assert set(ReportReminder.objects.values_list("month", flat=True)) == {
        datetime.date(2026, 8, 1),
        datetime.date(2026, 9, 1),
    }


def test_an_early_due_day_reminds_about_the_current_month(world, run, mailoutbox):
    world.network.report_due_day = 2
    world.network.save()
    world.membership.joined_on = datetime.date(2026, 11, 1)
    world.membership.save()
    assert run(day(29))["due_soon"] == 1  # November is due on December 2
    assert "November 2026" in mailoutbox[0].subject


def test_a_reminder_already_recorded_is_not_sent_again(joined_in_october, run, mailoutbox):
    world = joined_in_october
    ReportReminder.objects.create(
        organization=world.supplier, network=world.network, month=OCTOBER, kind=ReminderKind.DUE_SOON
    )
    assert run(day(12))["emails"] == 0
    assert mailoutbox == []


def test_emails_go_out_only_once_the_reminder_is_committed(
    joined_in_october, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report_reminders_send(today=day(12), base_url=BASE_URL)
    assert ReportReminder.objects.count() == 1
    assert len(callbacks) == 1 and mailoutbox == []  # rolled back here: nothing would have been sent


def test_a_failed_send_gives_the_reminder_back_for_the_next_run(joined_in_october, run, mailoutbox, settings):
    settings.EMAIL_BACKEND = "metrics.tests.test_reminders.FailingBackend"
    assert run(day(12))["due_soon"] == 1
    assert mailoutbox == [] and not ReportReminder.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert run(day(13))["due_soon"] == 1
    assert len(mailoutbox) == 1


class FailingBackend:
    """An e-mail backend whose server is down."""

    def __init__(self, **kwargs: object) -> None:
        pass

    def __enter__(self) -> "FailingBackend":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def send_messages(self, messages: list) -> int:
        raise ConnectionRefusedError("the mail server is down")


def test_the_daily_task_runs_the_service(
    joined_in_october, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: day(12))
    with django_capture_on_commit_callbacks(execute=True):
        counts = tasks.send_report_reminders.delay(BASE_URL).get()
    assert counts == {"due_soon": 1, "missing": 0, "emails": 1, "no_recipient": 0}
    assert mailoutbox[0].body.count(BASE_URL) == 2


def test_the_beat_runs_the_task_daily():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["report-reminders"]
    assert entry["task"] == tasks.send_report_reminders.name
    assert entry["kwargs"] == {"base_url": settings.SITE_URL}


# The settings page: about the signed-in user's own account.

SETTINGS_URL = "/reminders/"


def test_the_settings_page_sends_anonymous_visitors_to_sign_in(client):
    assert reverse("metrics:reminder_settings") == SETTINGS_URL
    for response in (client.get(SETTINGS_URL), client.post(SETTINGS_URL, {"reminders": "off"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert not ReminderOptOut.objects.exists()


@pytest.mark.parametrize(
    "who", ["partner", "backbone", "state_viewer", "other_partner", "other_backbone", "outsider", "admin"]
)
def test_every_signed_in_user_sees_and_changes_only_their_own_setting(world, client_for, who):
    user = getattr(world, who)
    client = client_for(user)
    response = client.get(SETTINGS_URL)
    assert response.status_code == 200
    assert "Reminders are on." in response.content.decode()

    response = client.post(SETTINGS_URL, {"reminders": "off"}, follow=True)
    assert response.redirect_chain == [(SETTINGS_URL, 302)]
    assert "You will get no more reporting reminders." in response.content.decode()
    assert "Reminders are off." in response.content.decode()
    assert list(ReminderOptOut.objects.values_list("user", flat=True)) == [user.pk]
    client.post(SETTINGS_URL, {"reminders": "off"})  # pressed twice: still off, not toggled back
    assert ReminderOptOut.objects.filter(user=user).count() == 1

    client.post(SETTINGS_URL, {"reminders": "on"})
    assert not ReminderOptOut.objects.exists()


def test_the_settings_page_lists_what_a_partner_is_reminded_about(world, client_for):
    page = client_for(world.partner).get(SETTINGS_URL).content.decode()
    assert f"{world.supplier.name}: monthly reports to {world.network.name}" in page
    page = client_for(world.outsider).get(SETTINGS_URL).content.decode()
    assert "You are not staff of an organization that reports monthly" in page


def test_the_settings_page_refuses_an_unknown_choice_with_a_message(world, client_for):
    response = client_for(world.partner).post(SETTINGS_URL, {"reminders": "maybe"})
    assert response.status_code == 400
    assert "Choose whether to get reporting reminders" in response.content.decode()
    assert not ReminderOptOut.objects.exists()
