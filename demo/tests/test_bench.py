"""`manage.py bench` at a tiny scale: it prints its table, and the rollups it builds equal a direct count."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from metrics.models import MonthlyReport, ReportValue
from metrics.tests.test_rollups import direct_counts, rolled_up

pytestmark = pytest.mark.django_db

TINY = [
    "--networks", "2", "--partners", "6", "--months", "3", "--values", "20", "--runs", "3",
    "--no-http", "--no-worker", "--dprp-rows", "0",
]  # fmt: skip


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmark runs on PostgreSQL only")
def test_the_bench_prints_its_table_and_builds_rollups_equal_to_a_direct_count():
    out = io.StringIO()
    call_command("bench", *TINY, stdout=out, stderr=io.StringIO())

    table = out.getvalue()
    assert "Data set: 2 networks, 6 partners, 3 months, 20 values a report: 18 reports, 360 values" in table
    for row in [
        "| Floor: bare GROUP BY",
        "| Nightly rebuild, nothing to repair (median of 3) |",
        "| Nightly rebuild after 1 report(s) changed without their rollup",
        "| First rebuild, into empty rollup tables |",
        "| One report's rollup in this process at 1 % scale (3 reports) |",
        "| One report's rollup in this process at 100 % scale (3 reports) |",
        "| Reporting completeness | backbone | 200 |",
    ]:
        assert row in table
    assert "Network rollups equal the floor's GROUP BY after the rebuilds: yes" in table
    assert "every rollup row equals a direct count: yes" in table
    assert MonthlyReport.objects.count() == 18 and ReportValue.objects.count() == 360
    assert rolled_up() == direct_counts()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="on PostgreSQL the bench runs")
def test_the_bench_refuses_to_run_on_anything_but_postgresql():
    with pytest.raises(CommandError, match="PostgreSQL only"):
        call_command("bench", *TINY, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmark runs on PostgreSQL only")
def test_the_bench_refuses_a_database_not_made_for_it(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "NAME", "tandem")
    with pytest.raises(CommandError, match="does not look like a database made for it"):
        call_command("bench", *TINY, stdout=io.StringIO(), stderr=io.StringIO())
    assert MonthlyReport.objects.exists() is False  # nothing emptied, nothing built
