"""Two submissions of the same month at the same moment both end as versions; neither is lost."""

import datetime
import threading

import pytest
from django.db import connections
from django.utils import timezone

from metrics import services
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
