"""Two submissions of the same month at the same moment both end as versions; neither is lost, and each
API answer describes the version its own request stored."""

import datetime
import threading

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from metrics import api, services
from metrics.models import MonthlyReport, ReportSource, ReportVersion
from metrics.services import cells_of
from metrics.tests.factories import values_for

# Real transactions in real threads: the test database is truncated afterwards, so the reference
# data loaded by migrations is serialized and put back.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_submissions_of_the_same_month_at_once_both_become_versions(reference_data, world):
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    totals = [11, 12, 13, 14]
    start = threading.Barrier(len(totals))
    failures: list[BaseException] = []

    def submit(total: int) -> None:
        try:
            start.wait()
            services.report_save(
                network=world.network,
                organization=world.supplier,
                month=month,
                values=values_for(world.network, {"enrollments": total}, seed=total),
                user=world.partner,
                source=ReportSource.API,
                submit=True,
            )
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(total,)) for total in totals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    report = MonthlyReport.objects.get()
    versions = ReportVersion.objects.filter(report=report).order_by("number")
    assert [v.number for v in versions] == [1, 2, 3, 4]
    kept = sorted(cells_of(v)["enrollments", "total", "all"] for v in versions)
    assert kept == totals
    assert report.current_version == versions.last()


def test_simultaneous_api_submissions_each_answer_with_their_own_version(reference_data, world, monkeypatch):
    """Twelve requests for the same month at once. Each waits, once its version is stored, until every
    other request has stored one too: the worst order for an answer that reads the report again."""
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    totals = list(range(21, 33))
    token = Token.objects.create(user=world.partner).key
    all_stored = threading.Barrier(len(totals))
    report_save = api.report_save

    def save_then_wait(**kwargs):
        report = report_save(**kwargs)  # one transaction, committed on return
        all_stored.wait(timeout=60)
        return report

    monkeypatch.setattr(api, "report_save", save_then_wait)
    answers: dict[int, object] = {}
    failures: list[BaseException] = []

    def submit(total: int) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            values = values_for(world.network, {"enrollments": total}, seed=total)
            data = {
                "organization": world.supplier.pk,
                "network": world.network.slug,
                "month": f"{month:%Y-%m}",
                "values": [
                    {"measure": v.measure, "breakdown": v.breakdown, "category": v.category, "count": v.count}
                    for v in values
                ],
            }
            answers[total] = client.post(reverse("api:reports"), data, format="json")
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(total,)) for total in totals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert sorted(answers) == totals
    numbers = []
    for total, response in answers.items():
        assert response.status_code == 201, response.content
        answer = response.json()
        sent = {(v["measure"], v["breakdown"], v["category"]): v["count"] for v in answer["values"]}
        assert sent["enrollments", "total", "all"] == total, f"the answer to {total} shows another's figures"
        stored = ReportVersion.objects.get(report_id=answer["id"], number=answer["version"])
        assert cells_of(stored)["enrollments", "total", "all"] == total, "the answer names another's version"
        assert answer["versions"][-1]["number"] == answer["version"], "versions after its own are not its own"
        numbers.append(answer["version"])
    assert sorted(numbers) == list(range(1, len(totals) + 1))
