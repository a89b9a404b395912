"""Worked examples of the lighter month: corrections of a returned report whatever its lock date,
breakdowns not collected, every problem at once, identical figures sent again, and locked months in a
file with a request to reopen them."""

import datetime
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.calendar import month_add
from core.problems import ReportRefused
from metrics import selectors, services, uploads
from metrics.catalogue import Catalogue
from metrics.models import MonthlyReport, ReopenRequest, ReportSource, ReportStatus, ReportVersion
from metrics.services import NothingChanged, cells_of
from metrics.tests.factories import values_for
from metrics.validation import ValueIn, values_check

pytestmark = pytest.mark.django_db

MONTH = datetime.date(2024, 1, 1)  # due February 15, locked after March 16
OPEN_DAY = datetime.date(2024, 2, 2)
LOCKED_DAY = datetime.date(2024, 4, 2)
MARCH_DAY = datetime.date(2024, 3, 2)


def save(world, values, *, month=MONTH, submit=True, today=OPEN_DAY, **kw):
    return services.report_save(
        network=world.network,
        organization=world.supplier,
        month=month,
        values=values,
        user=world.partner,
        source=ReportSource.FORM,
        submit=submit,
        today=today,
        **kw,
    )


def returned_report(world) -> MonthlyReport:
    report = save(world, values_for(world.network, {"enrollments": 5}))
    return services.report_return(report=report, version=1, user=world.backbone, comment="Race looks swapped")


# 1. A returned report takes its correction whatever its lock date


def test_a_returned_report_in_a_locked_month_is_corrected_and_resubmitted_then_locks_again(world):
    report = returned_report(world)
    actions = selectors.report_actions(user=world.partner, report=report, today=LOCKED_DAY)
    assert not actions.locked and actions.can_correct and actions.can_submit
    corrected = save(world, values_for(world.network, {"enrollments": 6}), today=LOCKED_DAY)
    assert corrected.status == ReportStatus.SUBMITTED and corrected.current_version.number == 2
    # Sent again, the month is locked as before: a further change needs the backbone to reopen it.
    with pytest.raises(ReportRefused, match="January 2024 was locked"):
        save(world, values_for(world.network, {"enrollments": 7}), today=LOCKED_DAY)
    corrected.refresh_from_db()
    assert not selectors.report_actions(user=world.partner, report=corrected, today=LOCKED_DAY).can_correct


def test_a_returned_report_needs_no_reopening(world):
    report = returned_report(world)
    with pytest.raises(services.AlreadyOpen):
        services.report_reopen(
            network=world.network,
            organization=world.supplier,
            month=MONTH,
            user=world.backbone,
            today=LOCKED_DAY,
        )
    assert report.reopened_until is None


def test_next_actor_says_who_must_act(world):
    report = save(world, values_for(world.network, {"enrollments": 5}), submit=False)
    assert selectors.next_actor(report=report).party == "partner"
    report = services.report_submit(report=report, user=world.partner)
    assert selectors.next_actor(report=report).text == "Waiting for backbone review"
    report = services.report_return(report=report, version=1, user=world.backbone, comment="Fix race")
    actor = selectors.next_actor(report=report)
    assert (actor.party, actor.text) == ("partner", f"Waiting for {world.supplier.name} to correct it")
    save(world, values_for(world.network, {"enrollments": 6}), today=LOCKED_DAY)
    report.refresh_from_db()
    report = services.report_approve(report=report, version=2, user=world.backbone)
    assert selectors.next_actor(report=report) is None


def test_the_partner_corrects_a_returned_locked_month_from_the_pages(world, client_for):
    report = returned_report(world)
    client = client_for(world.partner)
    url = reverse("metrics:reporting_months", args=["kansas", world.supplier.pk])
    months = client.get(url, {"all": "1"}).content.decode()
    (row,) = re.findall(r"<tr>\s*<th scope=\"row\"><a [^>]*>January 2024</a>.*?</tr>", months, re.S)
    assert "Locked" not in row and "Correct<span" in row
    page = client.get(reverse("metrics:report_detail", args=["kansas", report.pk])).content.decode()
    assert f"Waiting for {world.supplier.name} to correct it" in page
    assert "Correct the month" in page
    form = client.get(reverse("metrics:report_form", args=["kansas", world.supplier.pk, "2024-01"]))
    assert "This month takes no figures" not in form.content.decode()
    backbone_page = client_for(world.backbone).get(
        reverse("metrics:report_detail", args=["kansas", report.pk])
    )
    assert "Reopen the month" not in backbone_page.content.decode()


# 2. A breakdown left blank was not collected


def total_only(measure: str, total: int, **breakdowns: dict[str, int]) -> list[ValueIn]:
    values = [ValueIn(measure, "total", "all", total)]
    for breakdown, counts in breakdowns.items():
        values += [ValueIn(measure, breakdown, category, count) for category, count in counts.items()]
    return values


def test_a_breakdown_left_blank_counts_the_total_as_unknown(world):
    report = save(world, total_only("enrollments", 5, sex={"female": 3, "male": 2}))
    cells = cells_of(report.current_version)
    assert cells["enrollments", "sex", "female"] == 3
    assert cells["enrollments", "race", "unknown"] == 5
    assert cells["enrollments", "county", "unknown"] == 5
    assert ("enrollments", "sex", "unknown") not in cells
    catalogue = Catalogue.for_state(world.network.state_id)
    assert selectors.report_not_collected(catalogue=catalogue, cells=cells) == [
        "Race, ethnicity, age group, payer, delivery mode and county not collected: counted as unknown"
    ]
    only_race = {**cells, **{("enrollments", b, "unknown"): 0 for b in ("ethnicity", "age_group", "payer")}}
    only_race.update({("enrollments", b, "other"): 5 for b in ("ethnicity", "age_group", "payer")})
    only_race.update(
        {
            ("enrollments", "delivery_mode", "online"): 5,
            ("enrollments", "county", "unknown"): 0,
            ("enrollments", "delivery_mode", "unknown"): 0,
        }
    )
    only_race[("referrals", "total", "all")] = 2
    only_race[("referrals", "race", "white")] = 2
    assert selectors.report_not_collected(catalogue=catalogue, cells=only_race) == [
        "Race not collected for enrollments: counted as unknown"
    ]


def test_a_breakdown_partly_filled_must_still_add_up(world):
    with pytest.raises(ReportRefused) as refused:
        save(world, total_only("enrollments", 5, sex={"female": 3}))
    assert [p.message for p in refused.value.problems] == [
        "enrollments by sex adds up to 3, but the total is 5"
    ]


def test_the_report_page_says_which_breakdowns_were_not_collected(world, client_for):
    report = save(world, total_only("enrollments", 5, sex={"female": 5}))
    for user in (world.partner, world.backbone):
        page = (
            client_for(user)
            .get(reverse("metrics:report_detail", args=["kansas", report.pk]))
            .content.decode()
        )
        assert "Race, ethnicity, age group, payer, delivery mode and county not collected" in page


def test_the_form_takes_a_total_with_its_breakdowns_blank(world, client_for):
    last_month = month_add(timezone.localdate().replace(day=1), -1)
    url = reverse("metrics:report_form", args=["kansas", world.supplier.pk, f"{last_month:%Y-%m}"])
    response = client_for(world.partner).post(
        url, {"enrollments__total__all": "4", "enrollments__sex__female": "", "action": "submit"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report = MonthlyReport.objects.get()
    cells = cells_of(report.current_version)
    assert cells["enrollments", "payer", "unknown"] == 4 and cells["enrollments", "sex", "unknown"] == 4


# 4. Every problem at once


def test_an_unknown_category_and_a_breakdown_that_does_not_add_up_are_both_reported(world):
    catalogue = Catalogue.for_state(world.network.state_id)
    values = [
        ValueIn("enrollments", "total", "all", 5, line=2),
        ValueIn("enrollments", "race", "martian", 5, line=3),
        ValueIn("enrollments", "sex", "female", 2, line=4),
    ]
    _, problems = values_check(catalogue, values, month="2024-01")
    assert [p.message for p in problems] == [
        "unknown race category 'martian'",
        "enrollments by sex adds up to 2, but the total is 5",
    ]


def test_a_file_with_an_unknown_category_and_a_bad_split_lists_both(world, client_for):
    code = world.supplier.dprp_org_code
    rows = [
        "org_code,month,measure,breakdown,category,count",
        f"{code},2024-01,enrollments,total,all,5",
        f"{code},2024-01,enrollments,race,martian,5",
        f"{code},2024-01,enrollments,sex,female,2",
        f"{code},2024-01,referrals,total,all,3",
        f"{code},2024-01,referrals,age_group,18-44,9",
    ]
    upload = uploads.upload_read(
        network=world.network,
        organization=world.supplier,
        user=world.partner,
        file=SimpleUploadedFile("counts.csv", "\n".join(rows).encode()),
        format="tandem",
        submit=True,
        today=OPEN_DAY,
    )
    messages = [(p.get("line"), p["message"]) for p in upload.problems]
    assert (3, "unknown race category 'martian'") in messages
    assert any("enrollments by sex adds up to 2" in m for _, m in messages)
    assert any("referrals by age group adds up to 9" in m for _, m in messages)
    assert not MonthlyReport.objects.exists()
    url = reverse("metrics:upload_detail", args=["kansas", world.supplier.pk, upload.pk])
    page = client_for(world.partner).get(url).content.decode()
    assert "(January 2024)" in page and "2024-01" not in page


# 5. The same figures again


def test_the_same_figures_again_make_no_new_version(world):
    values = values_for(world.network, {"enrollments": 5})
    save(world, values)
    with pytest.raises(NothingChanged, match="nothing changed"):
        save(world, values)
    with pytest.raises(NothingChanged):
        save(world, values, submit=False)  # a draft of the same figures would not change a thing either
    report = MonthlyReport.objects.get()
    assert report.status == ReportStatus.SUBMITTED and ReportVersion.objects.count() == 1


def test_a_draft_submitted_with_the_same_figures_is_submitted_without_a_new_version(world):
    values = values_for(world.network, {"enrollments": 5})
    save(world, values, submit=False)
    report = save(world, values, note="As agreed")
    assert report.status == ReportStatus.SUBMITTED and ReportVersion.objects.count() == 1
    assert report.events.first().comment == "As agreed"


def test_the_form_and_the_api_say_nothing_changed(world, client_for, api_for):
    month = datetime.date(2024, 2, 1)
    report = save(world, values_for(world.network, {"enrollments": 5}), month=month, today=MARCH_DAY)
    services.report_reopen(
        network=world.network, organization=world.supplier, month=month, user=world.backbone
    )
    cells = cells_of(report.current_version)
    data = {"__".join(key): count for key, count in cells.items()}
    response = client_for(world.partner).post(
        reverse("metrics:report_form", args=["kansas", world.supplier.pk, "2024-02"]),
        {**data, "action": "submit"},
        follow=True,
    )
    assert "These figures are the same as the version you already sent: nothing changed." in (
        response.content.decode()
    )
    body = {
        "network": "kansas",
        "organization": world.supplier.pk,
        "month": "2024-02",
        "values": [
            {"measure": m, "breakdown": b, "category": c, "count": n} for (m, b, c), n in cells.items()
        ],
    }
    answer = api_for(world.partner).post(reverse("api:reports"), body, format="json")
    assert answer.status_code == 200, answer.content
    assert "nothing changed" in answer["Tandem-Unchanged"]
    assert ReportVersion.objects.count() == 1


# 6. Locked months in a file, and a request to reopen them


def test_a_partner_asks_to_reopen_a_locked_month_and_the_backbone_is_told(
    world, client_for, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client = client_for(world.partner)
    url = reverse("metrics:reopen_request", args=["kansas", world.supplier.pk, "2024-01"])
    with django_capture_on_commit_callbacks(execute=True):
        with_commit = client.post(url, {"next": "/"}, follow=True)
    assert "The backbone staff are asked to reopen January 2024." in with_commit.content.decode()
    (request,) = selectors.reopen_requests_open(network=world.network)
    assert (request.organization, request.month, request.requested_by) == (
        world.supplier,
        MONTH,
        world.partner,
    )
    assert [message.to for message in mail.outbox] == [[world.backbone.email]]
    assert "reopen January 2024" in mail.outbox[0].subject
    again = client.post(url, follow=True).content.decode()
    assert "You asked already" in again
    assert ReopenRequest.objects.count() == 1 and len(mail.outbox) == 1
    # Backbone staff see it where they reopen months, and reopen it: the request is answered.
    completeness = client_for(world.backbone).get(reverse("metrics:completeness", args=["kansas"]))
    assert "Partners ask you to reopen 1 locked month" in completeness.content.decode()
    assert f"{world.supplier.name}, January 2024: asked" in completeness.content.decode()
    client_for(world.backbone).post(
        reverse("metrics:report_reopen", args=["kansas", world.supplier.pk, "2024-01"])
    )
    assert selectors.reopen_requests_open(network=world.network).count() == 0


def test_only_the_partner_asks_to_reopen_its_months(world, client_for):
    url = reverse("metrics:reopen_request", args=["kansas", world.supplier.pk, "2024-01"])
    assert client_for(world.backbone).post(url).status_code == 403
    assert client_for(world.outsider).post(url).status_code == 404
    assert not ReopenRequest.objects.exists()


def test_the_upload_result_lists_locked_months_with_a_button_to_ask(world, client_for):
    code = world.supplier.dprp_org_code
    lines = ["org_code,month,measure,breakdown,category,count", f"{code},2024-01,enrollments,total,all,4"]
    client = client_for(world.partner)
    response = client.post(
        reverse("metrics:upload_create", args=["kansas", world.supplier.pk]),
        {"format": "tandem", "submit": "1", "file": SimpleUploadedFile("jan.csv", "\n".join(lines).encode())},
        follow=True,
    )
    page = response.content.decode()
    assert "Locked month: saving leaves it as it is" in page
    upload = world.supplier.uploads.get()
    client.post(reverse("metrics:upload_save", args=["kansas", world.supplier.pk, upload.pk]))
    page = client.get(
        reverse("metrics:upload_detail", args=["kansas", world.supplier.pk, upload.pk])
    ).content.decode()
    assert "Locked month left as it was" in page
    assert re.search(r"Ask the backbone to reopen<span class=\"usa-sr-only\"> January 2024</span>", page)
    assert not MonthlyReport.objects.exists()


def test_a_returned_report_of_a_locked_month_is_corrected_by_file_and_by_api(world, api_for):
    returned_report(world)
    code = world.supplier.dprp_org_code
    lines = ["org_code,month,measure,breakdown,category,count", f"{code},2024-01,enrollments,total,all,6"]
    upload = uploads.upload_read(
        network=world.network,
        organization=world.supplier,
        user=world.partner,
        file=SimpleUploadedFile("jan.csv", "\n".join(lines).encode()),
        format="tandem",
        submit=True,
    )
    assert [(m["month"], m["change"]) for m in upload.result["months"]] == [
        ("2024-01", uploads.Change.CHANGED)
    ]
    (report,) = uploads.upload_save(upload=upload, user=world.partner)
    assert report.status == ReportStatus.SUBMITTED and report.current_version.number == 2
    report = services.report_return(report=report, version=2, user=world.backbone, comment="Payer, please")
    body = {
        "network": "kansas",
        "organization": world.supplier.pk,
        "month": "2024-01",
        "values": [{"measure": "enrollments", "breakdown": "total", "category": "all", "count": 7}],
    }
    answer = api_for(world.partner).post(reverse("api:reports"), body, format="json")
    assert answer.status_code == 201, answer.content
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and report.current_version.number == 3
