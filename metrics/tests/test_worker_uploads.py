"""Real Celery workers, in their own processes, and uploads that must survive what happens to them: a
worker killed while reading a file, and a broker that was down when the file came in. Nothing is lost:
the sweep, run by a worker as Celery beat would send it, gets the file read. Needs a broker: CI's
PostgreSQL run sets CELERY_BROKER_URL (Redis)."""

import datetime
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from metrics import tasks, uploads
from metrics.models import StoredFile, Upload, UploadStatus
from metrics.tests.test_importers import dprp_file, session
from metrics.tests.test_uploads import _broker_at, closed_port, recent
from metrics.tests.test_worker import celery_eager, wait_for  # noqa: F401 - celery_eager is a fixture

pytestmark = [
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL,
        reason="needs a broker and PostgreSQL: CI's PostgreSQL run sets CELERY_BROKER_URL and DATABASE_URL",
    ),
    # Committed transactions, so that the workers' own connections see the uploads.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[str], tuple[subprocess.Popen, Path]]]:
    """Starts `celery -A config worker` processes on the test database, each in a working directory of
    its own (as on another machine: the uploaded files wait in the database); each is stopped at the
    end."""
    if connection.vendor != "postgresql":
        pytest.skip("a worker process cannot share a test's SQLite database file")
    celery_app.control.purge()  # a message an earlier test left behind is not this test's
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": celery_app.conf.broker_url,  # this test process's (conftest.py)
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    started: list[subprocess.Popen] = []

    def start(name: str) -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"{name}.log"
        folder = tmp_path / name
        folder.mkdir()
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
            "--hostname", f"{name}-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
            "--logfile", str(log),
        ]  # fmt: skip
        started.append(subprocess.Popen(command, cwd=folder, env=env))
        return started[-1], log

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def upload_file(world, data: bytes) -> Upload:
    return uploads.upload_read(
        network=world.network,
        organization=world.supplier,
        user=world.partner,
        file=SimpleUploadedFile("sessions.csv", data, content_type="text/csv"),
        format="dprp",
        submit=True,
    )


def status_of(upload: Upload) -> tuple[str, int]:
    upload.refresh_from_db()
    return upload.status, upload.read_attempts


@contextmanager
def files_locked() -> Iterator[None]:
    """The uploaded files' table locked from another connection, as a slow read would hold a worker:
    a worker that opens a file waits until the lock is released."""
    db = connection.settings_dict
    other = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"] or 5432
    )
    try:
        with other.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {StoredFile._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        other.rollback()
        other.close()


def age(upload: Upload) -> None:
    """Ten minutes pass without a sign of life from the upload's reader."""
    Upload.objects.filter(pk=upload.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=10))


def test_a_worker_killed_while_reading_a_file_leaves_nothing_lost(
    reference_data, world, settings, start_worker
):
    settings.REPORT_UPLOAD_BACKGROUND_ROWS = 1
    data = dprp_file([session(f"P{i}", recent()) for i in range(5)], org_code=world.supplier.dprp_org_code)
    upload = upload_file(world, data)  # queued: its message waits in Redis, no worker runs yet
    assert upload.status == UploadStatus.QUEUED
    # The worker will block opening the file (its table locked), so it is killed mid-reading, after it
    # claimed the upload, whatever the speed of the machine.
    with files_locked():
        first, first_log = start_worker("killed")
        assert wait_for(lambda: status_of(upload) == (UploadStatus.READING, 1)), first_log.read_text()[-3000:]
        first.kill()  # SIGKILL: nothing of the worker's own runs after this
        first.wait(timeout=30)
        assert status_of(upload) == (UploadStatus.READING, 1)  # what a dead worker leaves

    age(upload)
    second, second_log = start_worker("sweeper")
    tasks.upload_sweep.delay()  # what Celery beat sends every minute
    assert wait_for(lambda: status_of(upload)[0] == UploadStatus.READY), second_log.read_text()[-3000:]
    assert upload.read_attempts == 2
    assert upload.result["months"][-1]["totals"] == {"enrollments": 5, "active_participants": 5}
    assert not upload.file and not StoredFile.objects.exists()  # the raw file is gone once read
    log = second_log.read_text()
    assert "metrics.tasks.upload_sweep" in log and "metrics.tasks.upload_read" in log


def test_a_file_taken_while_the_broker_was_down_is_read_once_it_is_back(
    reference_data, world, settings, start_worker
):
    settings.REPORT_UPLOAD_BACKGROUND_ROWS = 1
    broker = celery_app.conf.broker_url
    data = dprp_file([session(f"P{i}", recent()) for i in range(3)], org_code=world.supplier.dprp_org_code)
    _broker_at(f"redis://127.0.0.1:{closed_port()}/0", eager=False)
    try:
        upload = upload_file(world, data)  # the message cannot be sent: no error, the upload waits
    finally:
        _broker_at(broker, eager=False)  # the broker is back
    assert status_of(upload) == (UploadStatus.QUEUED, 0) and StoredFile.objects.exists()

    age(upload)
    _, log = start_worker("after-outage")
    tasks.upload_sweep.delay()
    assert wait_for(lambda: status_of(upload)[0] == UploadStatus.READY), log.read_text()[-3000:]
    assert upload.result["months"][-1]["totals"] == {"enrollments": 3, "active_participants": 3}
    assert not StoredFile.objects.exists()
