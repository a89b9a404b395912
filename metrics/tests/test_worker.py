"""A real Celery worker, in its own process, takes the rollup of an approved report from the broker and
the dashboards' figure changes. Needs a broker: CI's PostgreSQL run sets CELERY_BROKER_URL (Redis)."""

import datetime
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from metrics import services
from metrics.models import ReportSource, RollupNetworkMonth
from metrics.tests.factories import values_for

pytestmark = [
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL,
        reason="needs a broker and PostgreSQL: CI's PostgreSQL run sets CELERY_BROKER_URL and DATABASE_URL",
    ),
    # Committed transactions, so that the worker's own connection sees the reports.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def celery_eager() -> Iterator[None]:
    """Overrides conftest's: tasks go through the broker, as deployed."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager = conf.task_eager_propagates = False
    yield
    conf.task_always_eager, conf.task_eager_propagates = saved


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Path]:
    """`celery -A config worker` in its own process, on the test database; yields its log file."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker process cannot share a test's SQLite database file")
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    log = tmp_path / "worker.log"
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
        "--hostname", f"test-worker-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
        "--logfile", str(log),
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)
    try:
        yield log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def network_total(network, month: datetime.date) -> int | None:
    """The figure the network's dashboard shows: its enrollments of the month, all participants."""
    row = RollupNetworkMonth.objects.filter(
        network=network, month=month, measure__code="enrollments", category__code="all"
    ).first()
    return row.count if row else None


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def test_a_worker_rolls_up_an_approved_report_and_the_figure_changes(reference_data, world, worker):
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)

    def report(total: int):
        return services.report_save(
            network=world.network,
            organization=world.supplier,
            month=month,
            values=values_for(world.network, {"enrollments": total}),
            user=world.partner,
            source=ReportSource.API,
            submit=True,
        )

    first = report(7)
    services.report_approve(report=first, version=first.current_version.number, user=world.backbone)
    assert wait_for(lambda: network_total(world.network, month) == 7), worker.read_text()[-3000:]

    correction = report(12)
    services.report_approve(report=correction, version=correction.current_version.number, user=world.backbone)
    assert wait_for(lambda: network_total(world.network, month) == 12), worker.read_text()[-3000:]
    assert "metrics.tasks.rollup_report" in worker.read_text(), "the worker ran the rollups, not the test"
