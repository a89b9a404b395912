"""A real Celery worker, in its own process and its own working directory (as on another machine: it
shares only PostgreSQL and Redis with the web process), takes the rollup of an approved report from the
broker and the dashboards' figure changes, never served from the cache once the rollup changed it; a
worker killed in the middle of a rollup leaves the figure right
within minutes all the same. Needs a broker: CI's PostgreSQL run sets CELERY_BROKER_URL (Redis)."""

import datetime
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from metrics import services, tasks
from metrics.models import MonthlyReport, ReportSource, RollupNetworkMonth, RollupPending
from metrics.tests.factories import values_for
from network.models import Network

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


@contextmanager
def running_worker(log: Path, *pool: str) -> Iterator[subprocess.Popen]:
    """`celery -A config worker` in its own process (and process group), on the test database, reading
    a broker emptied first: a message an earlier test left behind is not this test's."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker process cannot share a test's SQLite database file")
    celery_app.control.purge()
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": celery_app.conf.broker_url,  # this test process's (conftest.py)
        "PYTHONPATH": str(settings.BASE_DIR),  # the code, but not the web process's working directory
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", *(pool or ["--pool=solo"]),
        "--loglevel=INFO", "--hostname", f"test-worker-{os.getpid()}-{log.stem}@%h", "--without-gossip",
        "--without-mingle", "--logfile", str(log),
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=log.parent, env=env, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Path]:
    """A worker with the solo pool; yields its log file."""
    log = tmp_path / "worker.log"
    with running_worker(log):
        yield log


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


def published_total(client, network: Network, month: datetime.date) -> int | None:
    """The month's count as the progress API gives it to backbone staff (cached between rollups)."""
    series = client.get(reverse("api:progress", args=[network.slug])).json()["series"]
    return next(row["count"] for row in series if row["month"] == f"{month:%Y-%m}")


def test_a_worker_rolls_up_an_approved_report_and_the_figure_changes(reference_data, world, worker, api_for):
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    backbone = api_for(world.backbone)

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
    assert (
        published_total(backbone, world.network, month)
        == published_total(backbone, world.network, month)
        == 7
    )  # the second cached

    correction = report(12)
    services.report_approve(report=correction, version=correction.current_version.number, user=world.backbone)
    assert wait_for(lambda: network_total(world.network, month) == 12), worker.read_text()[-3000:]
    assert published_total(backbone, world.network, month) == 12, (
        "the rollup changed the figure: not served from the cache"
    )
    assert "metrics.tasks.rollup_report" in worker.read_text(), "the worker ran the rollups, not the test"


def last_month() -> datetime.date:
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


@contextmanager
def network_locked(network: Network) -> Iterator[Callable[[], list[int]]]:
    """Another session holds the network's row as a rollup would: a rollup that starts now stops at
    its first step and waits. Yields a function giving the sessions that wait for it."""
    holder = connections.create_connection("default")
    holder.set_autocommit(False)
    try:
        with holder.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {Network._meta.db_table} WHERE id = %s FOR NO KEY UPDATE", [network.pk]
            )
            pid = holder.connection.get_backend_pid()

        def waiting() -> list[int]:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid]
                )
                return [row[0] for row in cursor.fetchall()]

        yield waiting
    finally:
        holder.rollback()
        holder.close()


def approved_with_one_message(world, total: int) -> MonthlyReport:
    """A month submitted and approved, with one rollup message on the broker: the services send one a
    change, so the first ones are dropped here, and only the message a test kills could help."""
    with transaction.atomic():
        report = services.report_save(
            network=world.network,
            organization=world.supplier,
            month=last_month(),
            values=values_for(world.network, {"enrollments": total}),
            user=world.partner,
            source=ReportSource.API,
            submit=True,
        )
        services.report_approve(report=report, version=report.current_version.number, user=world.backbone)
        connection.run_on_commit.clear()
    tasks.rollup_report.delay(report.pk)
    return report


def pool_processes(worker: subprocess.Popen) -> list[int]:
    """The prefork pool's child processes of a worker."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def test_a_rollup_whose_worker_process_is_killed_is_run_again(reference_data, world, tmp_path):
    """The pool process running a rollup is killed (out of memory, say): the message goes back to the
    queue instead of being dropped, and another pool process brings the figure up to date."""
    log = tmp_path / "prefork.log"
    with running_worker(log, "--pool=prefork", "--concurrency=1") as worker:
        assert wait_for(lambda: "ready" in (log.read_text() if log.exists() else "")), (
            "the worker did not start"
        )
        with network_locked(world.network) as waiting:
            approved_with_one_message(world, 7)
            assert wait_for(lambda: len(waiting()) == 1, 30), log.read_text()[-3000:]  # the rollup started
            [pool_process] = pool_processes(worker)
            os.kill(pool_process, signal.SIGKILL)
            assert wait_for(lambda: "signal 9" in log.read_text(), 30), log.read_text()[-3000:]
        assert wait_for(lambda: network_total(world.network, last_month()) == 7, 30), log.read_text()[-3000:]
    assert not RollupPending.objects.exists()


@pytest.fixture
def unacknowledged_cleared() -> Iterator[None]:
    """Forget messages a killed worker left unacknowledged, so no later worker gets them."""
    yield
    redis.Redis.from_url(celery_app.conf.broker_url).delete("unacked", "unacked_index")


def test_a_rollup_lost_with_its_whole_worker_is_run_again_by_the_sweep(
    reference_data, world, tmp_path, unacknowledged_cleared
):
    """The whole worker is killed mid-rollup (a container stopped, the machine rebooted): Redis keeps
    the message unacknowledged for the visibility timeout, and the sweep (every few minutes) does not
    wait that long: it runs the rollup again on the next worker."""
    first = tmp_path / "killed.log"
    with running_worker(first) as worker, network_locked(world.network) as waiting:
        report = approved_with_one_message(world, 7)
        assert wait_for(lambda: len(waiting()) == 1, 30), first.read_text()[-3000:]  # the rollup started
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert network_total(world.network, last_month()) is None, "the rollup died with its worker"
    assert list(RollupPending.objects.values_list("report_id", flat=True).distinct()) == [report.pk]

    second = tmp_path / "next.log"
    with running_worker(second):
        tasks.rollup_sweep.delay(settled_seconds=0)  # beat's sweep, without waiting for the changes to settle
        assert wait_for(lambda: network_total(world.network, last_month()) == 7), second.read_text()[-3000:]
    assert "metrics.tasks.rollup_sweep" in second.read_text()
    assert not RollupPending.objects.exists()
