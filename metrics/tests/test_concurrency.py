"""Two submissions of the same month at the same moment both end as versions; neither is lost, and each
API answer describes the version its own request stored. A submission never waits for a rollup's
locks, and two rollups of one network still wait for each other (PostgreSQL)."""

import datetime
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create
from metrics import api, rollups, services
from metrics.models import (
    MonthlyReport,
    ReportSource,
    ReportVersion,
    RollupFreshness,
    RollupNetworkMonth,
    RollupPending,
)
from metrics.services import cells_of
from metrics.tests.factories import values_for
from network.models import Network
from network.tests.factories import MembershipFactory
from partners.models import State
from partners.tests.factories import SupplierFactory

# Real transactions in real threads: the test database is truncated afterwards, so the reference
# data loaded by migrations is serialized and put back.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def at_once(work: Callable[[int], object], totals: list[int], *, seconds: float = 60) -> None:
    """Run ``work(total)`` for every total, each in its own thread with its own connection, and fail
    with any error one of them raised."""
    failures: list[BaseException] = []

    def run(total: int) -> None:
        try:
            work(total)
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(total,)) for total in totals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds)
    assert not failures, failures


def test_two_submissions_of_the_same_month_at_once_both_become_versions(reference_data, world):
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    totals = [11, 12, 13, 14]
    start = threading.Barrier(len(totals))

    def submit(total: int) -> None:
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

    at_once(submit, totals)
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
    _, token = api_token_create(user=world.partner, name="concurrency test")
    all_stored = threading.Barrier(len(totals))
    report_save = api.report_save

    def save_then_wait(**kwargs):
        report = report_save(**kwargs)  # one transaction, committed on return
        all_stored.wait(timeout=60)
        return report

    monkeypatch.setattr(api, "report_save", save_then_wait)
    answers: dict[int, object] = {}

    def submit(total: int) -> None:
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

    at_once(submit, totals, seconds=120)
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


def last_month() -> datetime.date:
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def approved(world, month: datetime.date, total: int, organization=None) -> MonthlyReport:
    """A month submitted and approved; its rollup runs as it commits (eagerly, in tests)."""
    report = services.report_save(
        network=world.network,
        organization=organization or world.supplier,
        month=month,
        values=values_for(world.network, {"enrollments": total}),
        user=world.partner,
        source=ReportSource.API,
        submit=True,
    )
    return services.report_approve(report=report, version=report.current_version.number, user=world.backbone)


class InThread(threading.Thread):
    """Runs ``work`` on its own connection; remembers that connection's PostgreSQL backend and any error."""

    def __init__(self, work: Callable[[], object]) -> None:
        super().__init__()
        self.work, self.error, self.backend = work, None, threading.Event()
        self.pid = 0

    def run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self.backend.set()
            self.work()
        except BaseException as error:  # reported in the test's thread
            self.error = error
        finally:
            connections.close_all()


def wait_until(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def blocked_by(pid: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_blocking_pids(%s)", [pid])
        return list(cursor.fetchone()[0])


def rollup_held_at_its_state_lock(world) -> tuple[object, InThread]:
    """A rollup of an approved report, stopped while it holds its network's lock: another session
    holds the lock on the state's row, which the rollup takes next. Returns that session and the
    rollup's thread; roll the session back to let the rollup go on."""
    report = approved(world, last_month(), 7)
    holder = connections.create_connection("default")
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {State._meta.db_table} WHERE id = %s FOR UPDATE", [world.network.state_id]
        )
    rollup = InThread(lambda: rollups.rollup_report(report_id=report.pk))
    rollup.start()
    assert rollup.backend.wait(10)
    assert wait_until(lambda: holder.connection.get_backend_pid() in blocked_by(rollup.pid)), "not held"
    return holder, rollup


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_a_submission_does_not_wait_for_a_rollup_holding_its_networks_lock(reference_data, world):
    Network.objects.filter(pk=world.network.pk).update(report_lock_days=400)
    world.network.refresh_from_db()
    holder, rollup = rollup_held_at_its_state_lock(world)
    earlier = (last_month() - datetime.timedelta(days=1)).replace(day=1)  # over, and never reported
    submission = InThread(
        lambda: services.report_save(
            network=world.network,
            organization=world.supplier,
            month=earlier,
            values=values_for(world.network, {"enrollments": 3}),
            user=world.partner,
            source=ReportSource.API,
            submit=True,
        )
    )
    try:
        submission.start()
        # Committed: its rollup (run eagerly by the same thread in tests, by a worker when deployed)
        # then waits its turn, but the partner's answer does not.
        stored = wait_until(
            lambda: MonthlyReport.objects.filter(month=earlier, current_version__isnull=False).exists(), 5
        )
        assert stored, f"the submission waited for the rollup's lock: blocked by {blocked_by(submission.pid)}"
        assert rollup.is_alive(), "the rollup held its lock the whole time"
    finally:
        holder.rollback()
        holder.close()
        rollup.join(30)
        submission.join(30)
    assert rollup.error is None and submission.error is None, (rollup.error, submission.error)
    total = RollupNetworkMonth.objects.get(
        month=last_month(), category__code="all", measure__code="enrollments"
    )
    assert total.count == 7


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_two_rollups_of_one_network_still_wait_for_each_other(reference_data, world):
    second = SupplierFactory(name="Flint Hills Clinic")
    MembershipFactory(network=world.network, organization=second, reports_monthly=True)
    other = approved(world, last_month(), 5, organization=second)
    holder, first = rollup_held_at_its_state_lock(world)
    rollup = InThread(lambda: rollups.rollup_report(report_id=other.pk))
    try:
        rollup.start()
        assert rollup.backend.wait(10)
        assert wait_until(lambda: first.pid in blocked_by(rollup.pid)), "the second rollup did not wait"
    finally:
        holder.rollback()
        holder.close()
        first.join(30)
        rollup.join(30)
    assert first.error is None and rollup.error is None, (first.error, rollup.error)
    total = RollupNetworkMonth.objects.get(
        month=last_month(), category__code="all", measure__code="enrollments"
    )
    assert (total.count, total.partners) == (12, 2)


def network_total(month: datetime.date) -> int | None:
    row = RollupNetworkMonth.objects.filter(month=month, category__code="all", measure__code="enrollments")
    return row.values_list("count", flat=True).first()


def lost(change: Callable[[], object]) -> None:
    """Commit a change whose rollup message is lost: only its pending row tells of it."""
    with transaction.atomic():
        change()
        connection.run_on_commit.clear()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_a_rollup_clears_only_the_changes_it_saw(reference_data, world):
    """A correction committed while a rollup runs, after it read the report, stays pending: the rollup
    did not count it, so the sweep must still find it."""
    month = last_month()
    report = approved(world, month, 7)

    def correct(total: int, *, approve: bool) -> None:
        saved = services.report_save(
            network=world.network,
            organization=world.supplier,
            month=month,
            values=values_for(world.network, {"enrollments": total}),
            user=world.partner,
            source=ReportSource.API,
            submit=True,
        )
        if approve:
            services.report_approve(report=saved, version=saved.current_version.number, user=world.backbone)

    lost(lambda: correct(9, approve=True))  # version 2, approved: two changes pending
    seen = set(RollupPending.objects.values_list("pk", flat=True))
    assert len(seen) == 2
    # The rollup stops at its last step, when it notes the network's freshness: another session holds
    # that row.
    holder = connections.create_connection("default")
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {RollupFreshness._meta.db_table} WHERE network_id = %s FOR UPDATE",
            [world.network.pk],
        )
    rollup = InThread(lambda: rollups.rollup_report(report_id=report.pk))
    try:
        rollup.start()
        assert rollup.backend.wait(10)
        assert wait_until(lambda: holder.connection.get_backend_pid() in blocked_by(rollup.pid)), "not held"
        lost(lambda: correct(11, approve=False))  # version 3, submitted: counts for nothing yet
    finally:
        holder.rollback()
        holder.close()
        rollup.join(30)
    assert rollup.error is None, rollup.error
    assert network_total(month) == 9, "the rollup counted version 2, the one it read"
    left = set(RollupPending.objects.values_list("pk", flat=True))
    assert len(left) == 1 and not left & seen, "the change the rollup did not see is still pending"

    assert rollups.rollup_sweep(settled=datetime.timedelta(0)) == 1
    assert network_total(month) is None and not RollupPending.objects.exists()
