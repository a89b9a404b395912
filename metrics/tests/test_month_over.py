"""A month is reported once it is over: the form, "nothing to report", a Tandem file and the API refuse
the current month with a message that says from when it can be reported; a DPRP file keeps its
sessions of the current month and reports the month once it is over."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.calendar import month_end
from metrics import uploads
from metrics.models import MonthlyReport, ParticipantSession, UploadStatus
from metrics.tests.factories import values_for
from metrics.tests.test_importers import dprp_file, session
from metrics.uploads import Change

pytestmark = pytest.mark.django_db


def this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def reportable_from() -> str:
    day = month_end(this_month()) + datetime.timedelta(days=1)
    return f"{day:%B} {day.day}, {day.year}"


def test_the_form_refuses_the_current_month_and_says_when_it_opens(world, client_for):
    client = client_for(world.partner)
    url = reverse("metrics:report_form", args=["kansas", world.supplier.pk, f"{this_month():%Y-%m}"])
    page = client.get(url).content.decode()
    assert f"{this_month():%B %Y} is not over yet: it can be reported from {reportable_from()}" in page
    client.post(url, {"action": "submit", "enrollments-total-all": "3"})
    nothing = reverse("metrics:report_nothing", args=["kansas", world.supplier.pk, f"{this_month():%Y-%m}"])
    response = client.post(nothing, follow=True)
    assert "is not over yet" in response.content.decode()
    assert not MonthlyReport.objects.filter(month=this_month()).exists()
    months = client.get(reverse("metrics:reporting_months", args=["kansas", world.supplier.pk]))
    assert f"{this_month():%B %Y}" not in months.content.decode()


def test_the_api_refuses_the_current_month(world, api_for):
    values = values_for(world.network, {"enrollments": 4})
    response = api_for(world.partner).post(
        reverse("api:reports"),
        {
            "organization": world.supplier.pk,
            "network": "kansas",
            "month": f"{this_month():%Y-%m}",
            "submit": True,
            "values": [
                {"measure": v.measure, "breakdown": v.breakdown, "category": v.category, "count": v.count}
                for v in values
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    [problem] = response.json()["problems"]
    assert problem["message"] == (
        f"{this_month():%B %Y} is not over yet: it can be reported from {reportable_from()}"
    )
    assert not MonthlyReport.objects.exists()


def upload(world, data: bytes, format: str):
    return uploads.upload_read(
        network=world.network,
        organization=world.supplier,
        user=world.partner,
        file=SimpleUploadedFile("counts.csv", data, content_type="text/csv"),
        format=format,
        submit=True,
    )


def test_a_tandem_file_with_the_current_month_is_refused_whole(world):
    last = (this_month() - datetime.timedelta(days=1)).replace(day=1)
    lines = ["org_code,month,measure,breakdown,category,count"]
    for month in (last, this_month()):
        lines += [
            f"{world.supplier.dprp_org_code},{month:%Y-%m},{v.measure},{v.breakdown},{v.category},{v.count}"
            for v in values_for(world.network, {"enrollments": 2})
        ]
    read = upload(world, ("\n".join(lines) + "\n").encode(), "tandem")
    assert read.status == UploadStatus.REFUSED
    assert any("is not over yet" in problem["message"] for problem in read.problems)
    assert not MonthlyReport.objects.exists()


def test_a_dprp_file_keeps_the_current_months_sessions_and_reports_it_later(world):
    today = timezone.localdate()
    if today.day == 1:
        pytest.skip("no session of the current month can be dated before today on its first day")
    last = (this_month() - datetime.timedelta(days=1)).replace(day=10)
    rows = [session("A", f"{last:%m/%d/%Y}"), session("B", f"{this_month():%m/%d/%Y}")]
    read = upload(world, dprp_file(rows, org_code=world.supplier.dprp_org_code), "dprp")
    assert read.status == UploadStatus.READY, read.problems
    changes = {m["month"]: m["change"] for m in read.result["months"]}
    assert changes == {f"{last:%Y-%m}": Change.NEW, f"{this_month():%Y-%m}": Change.NOT_OVER}
    uploads.upload_save(upload=read, user=world.partner)
    assert list(MonthlyReport.objects.values_list("month", flat=True)) == [last.replace(day=1)]
    assert ParticipantSession.objects.count() == 2  # the current month's session is kept for later
