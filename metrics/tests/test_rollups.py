"""Rollups equal a direct count of the approved reports: after incremental rollups, after a rebuild,
and after either runs twice; on random data sets. A rollup whose message was lost is run again by the
sweep within minutes."""

import datetime
import random
from collections import Counter

import pytest
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import F
from django.utils import timezone

from config.celery import app as celery_app
from metrics import rollups, services
from metrics.models import (
    Category,
    MonthlyReport,
    PartnerFigure,
    ReportSource,
    ReportStatus,
    ReportValue,
    RollupFreshness,
    RollupNetworkMonth,
    RollupPending,
    RollupStateMonth,
)
from metrics.tests.factories import values_for
from network.models import Network
from network.tests.factories import MembershipFactory, NetworkFactory
from partners.tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 7, 3)
MONTHS = [datetime.date(2024, m, 1) for m in range(1, 7)]


def direct_counts() -> tuple[Counter, Counter, Counter]:
    """What the approved reports say, counted straight from their current versions."""
    partner, network, state = Counter(), Counter(), Counter()
    values = ReportValue.objects.filter(
        version__report__status=ReportStatus.APPROVED, version__report__current_version=F("version")
    ).values_list(
        "version__report__network_id",
        "version__report__network__state_id",
        "version__report__organization_id",
        "version__report__month",
        "measure_id",
        "category_id",
        "count",
    )
    for network_id, state_id, organization_id, month, measure_id, category_id, count in values:
        partner[network_id, organization_id, month, measure_id, category_id] += count
        network[network_id, month, measure_id, category_id] += count
        state[state_id, month, measure_id, category_id] += count
    return partner, network, state


def rolled_up() -> tuple[Counter, Counter, Counter]:
    partner = Counter(
        {
            (r.network_id, r.organization_id, r.month, r.measure_id, r.category_id): r.count
            for r in PartnerFigure.objects.all()
        }
    )
    network = Counter(
        {
            (r.network_id, r.month, r.measure_id, r.category_id): r.count
            for r in RollupNetworkMonth.objects.all()
        }
    )
    state = Counter(
        {(r.state_id, r.month, r.measure_id, r.category_id): r.count for r in RollupStateMonth.objects.all()}
    )
    return partner, network, state


def positive(counters: tuple[Counter, ...]) -> tuple[Counter, ...]:
    return tuple(+c for c in counters)  # zero counts are stored but count for nothing


@pytest.fixture(autouse=True)
def months_stay_open(world) -> None:
    """Every month of the history stays open for changes on `TODAY`."""
    Network.objects.update(report_lock_days=365)
    world.network.refresh_from_db()


@pytest.fixture
def partners(world) -> list[tuple]:
    """Four suppliers in two Kansas networks and one in Utah, each with a user who reports."""
    second = NetworkFactory(slug="kc", report_lock_days=365)
    pairs = [(world.network, world.supplier)]
    for network in [world.network, world.network, second]:
        supplier = SupplierFactory()
        MembershipFactory(network=network, organization=supplier, reports_monthly=True)
        pairs.append((network, supplier))
    utah_supplier = world.other_network.memberships.get().organization
    pairs.append((world.other_network, utah_supplier))
    Network.objects.update(report_lock_days=365)
    return [(Network.objects.get(pk=network.pk), organization) for network, organization in pairs]


def random_history(rng: random.Random, partners: list[tuple], user, reviewer, steps: int) -> None:
    """Submissions, corrections, approvals and returns in a random order."""
    for step in range(steps):
        network, organization = rng.choice(partners)
        month = rng.choice(MONTHS)
        report = MonthlyReport.objects.filter(network=network, organization=organization, month=month).first()
        action = rng.random()
        if report and report.status == ReportStatus.SUBMITTED and action < 0.5:
            services.report_approve(report=report, version=report.current_version.number, user=reviewer)
        elif report and report.status in (ReportStatus.SUBMITTED, ReportStatus.APPROVED) and action < 0.6:
            services.report_return(
                report=report, version=report.current_version.number, user=reviewer, comment="Please check"
            )
        else:
            totals = {"enrollments": rng.randint(0, 40), "active_participants": rng.randint(0, 90)}
            if rng.random() < 0.5:
                totals["referrals"] = rng.randint(0, 120)
            services.report_save(
                network=network,
                organization=organization,
                month=month,
                values=values_for(network, totals, seed=step),
                user=user,
                source=ReportSource.API,
                submit=rng.random() < 0.9,
                today=TODAY,
            )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_equal_a_direct_count_of_the_approved_reports(
    world, partners, seed, django_capture_on_commit_callbacks
):
    rng = random.Random(seed)
    with django_capture_on_commit_callbacks(execute=True):
        random_history(rng, partners, world.admin, world.admin, steps=40)
    assert MonthlyReport.objects.filter(status=ReportStatus.APPROVED).exists()
    expected = positive(direct_counts())
    assert positive(rolled_up()) == expected, "after incremental rollups"

    for report in MonthlyReport.objects.all():  # every rollup run again
        rollups.rollup_report(report_id=report.pk)
    assert positive(rolled_up()) == expected, "after incremental rollups run twice"

    assert rollups.rollup_rebuild()
    assert positive(rolled_up()) == expected, "after a rebuild"
    assert rollups.rollup_rebuild()
    assert positive(rolled_up()) == expected, "after a rebuild run twice"


def test_network_rollups_count_the_partners_they_sum(world, partners, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for network, organization in partners[:3]:  # three Kansas partners of the same network
            report = services.report_save(
                network=network,
                organization=organization,
                month=MONTHS[0],
                values=values_for(network, {"enrollments": 5}),
                user=world.admin,
                source=ReportSource.API,
                submit=True,
                today=TODAY,
            )
            services.report_approve(report=report, version=report.current_version.number, user=world.admin)
    total = RollupNetworkMonth.objects.get(network=world.network, month=MONTHS[0], category__code="all")
    assert (total.count, total.partners) == (15, 3)
    assert RollupFreshness.objects.get(network=world.network).refreshed_at is not None


def test_a_returned_report_leaves_the_rollups(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_save(
            network=world.network,
            organization=world.supplier,
            month=MONTHS[0],
            values=values_for(world.network, {"enrollments": 7}),
            user=world.partner,
            source=ReportSource.FORM,
            submit=True,
            today=TODAY,
        )
    assert not PartnerFigure.objects.exists(), "a submitted report counts only once approved"
    with django_capture_on_commit_callbacks(execute=True):
        services.report_approve(report=report, version=report.current_version.number, user=world.backbone)
    assert RollupStateMonth.objects.get(category__code="all", measure__code="enrollments").count == 7
    with django_capture_on_commit_callbacks(execute=True):
        services.report_return(
            report=report, version=report.current_version.number, user=world.backbone, comment="Wrong month"
        )
    assert not PartnerFigure.objects.exists()
    assert not RollupNetworkMonth.objects.exists() and not RollupStateMonth.objects.exists()


def test_a_rebuild_repairs_lost_messages_and_rows_gone_wrong(
    world, partners, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        random_history(random.Random(7), partners, world.admin, world.admin, steps=60)
    # Lost messages: a report approved, and one returned, with their rollups never run.
    submitted = MonthlyReport.objects.filter(status=ReportStatus.SUBMITTED).first()
    approved = MonthlyReport.objects.filter(status=ReportStatus.APPROVED).last()
    services.report_approve(report=submitted, version=submitted.current_version.number, user=world.admin)
    services.report_return(
        report=approved, version=approved.current_version.number, user=world.admin, comment="Lost"
    )
    # Rows gone wrong: network and state rows changed, missing, extra or with a wrong breakdown. (The
    # partners' figures are the approved values themselves: nothing of theirs can go wrong.)
    network_rows = list(RollupNetworkMonth.objects.order_by("pk")[:5])
    RollupNetworkMonth.objects.filter(pk=network_rows[0].pk).update(count=F("count") + 1)
    RollupNetworkMonth.objects.filter(pk=network_rows[1].pk).update(partners=F("partners") + 1)
    network_rows[2].delete()
    other_breakdown = Category.objects.exclude(breakdown_id=network_rows[3].breakdown_id).first().breakdown_id
    RollupNetworkMonth.objects.filter(pk=network_rows[3].pk).update(breakdown_id=other_breakdown)
    extra = network_rows[4]
    extra.pk, extra.month = None, datetime.date(2023, 6, 1)  # a month nobody reported
    extra.save()
    RollupStateMonth.objects.filter(pk=RollupStateMonth.objects.order_by("pk").first().pk).update(count=999)
    stray = RollupStateMonth.objects.order_by("pk").last()
    stray.pk, stray.month = None, datetime.date(2023, 6, 1)
    stray.save()
    assert positive(rolled_up()) != positive(direct_counts())

    assert rollups.rollup_rebuild()
    assert positive(rolled_up()) == positive(direct_counts())
    for model in (RollupNetworkMonth, RollupStateMonth):
        assert not model.objects.exclude(breakdown_id=F("category__breakdown_id")).exists()
    kept = {
        model: set(model.objects.values_list("pk", flat=True))
        for model in (RollupNetworkMonth, RollupStateMonth)
    }
    assert rollups.rollup_rebuild()
    if connection.vendor == "postgresql":  # by difference: nothing left to repair, nothing rewritten
        assert {model: set(model.objects.values_list("pk", flat=True)) for model in kept} == kept


def test_a_failed_rebuild_leaves_the_old_rows(
    world, partners, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        random_history(random.Random(5), partners, world.admin, world.admin, steps=25)
    before = rolled_up()
    statements = rollups.rebuild_statements()
    monkeypatch.setattr(rollups, "rebuild_statements", lambda: [*statements, "SELECT * FROM no_such_table"])
    with pytest.raises(DatabaseError):
        rollups.rollup_rebuild()
    assert rolled_up() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rebuild's advisory lock is PostgreSQL's")
def test_a_second_rebuild_skips_while_one_runs(world):
    from django.db import connections

    other = connections.create_connection("default")  # another session, as a second worker would be
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [rollups.REBUILD_LOCK])
        assert rollups.rollup_rebuild() is False
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [rollups.REBUILD_LOCK])
        assert rollups.rollup_rebuild() is True
    finally:
        other.close()


# Lost messages and the sweep


def tasks_in(callbacks: list) -> list[str]:
    """The Celery tasks among a transaction's on-commit callbacks (`core.jobs.send_on_commit`)."""
    return [c.task for c in callbacks if hasattr(c, "task")]


def pending() -> list[int]:
    return sorted(RollupPending.objects.values_list("report_id", flat=True).distinct())


def settle(minutes: float = 3) -> None:
    """Age every pending change, as if ``minutes`` had passed since it was made."""
    RollupPending.objects.update(changed_at=F("changed_at") - datetime.timedelta(minutes=minutes))


def test_a_change_is_pending_until_its_rollup_runs(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        report = services.report_save(
            network=world.network,
            organization=world.supplier,
            month=MONTHS[0],
            values=values_for(world.network, {"enrollments": 7}),
            user=world.partner,
            source=ReportSource.API,
            submit=True,
            today=TODAY,
        )
        services.report_approve(report=report, version=1, user=world.backbone)
    assert pending() == [report.pk] and RollupPending.objects.count() == 2  # one a change
    for callback in queued:
        callback()
    assert pending() == []
    assert RollupNetworkMonth.objects.get(month=MONTHS[0], category__code="all").count == 7


def test_the_sweep_runs_again_the_rollups_whose_message_was_lost(
    world, partners, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        random_history(random.Random(11), partners, world.admin, world.admin, steps=40)
    assert pending() == [] and positive(rolled_up()) == positive(direct_counts())
    # Lost messages (a broker down at commit, a worker killed): an approval and a return, rolled up never.
    submitted = MonthlyReport.objects.filter(status=ReportStatus.SUBMITTED).first()
    approved = MonthlyReport.objects.filter(status=ReportStatus.APPROVED).last()
    with django_capture_on_commit_callbacks(execute=False):
        services.report_approve(report=submitted, version=submitted.current_version.number, user=world.admin)
        services.report_return(
            report=approved, version=approved.current_version.number, user=world.admin, comment="Lost"
        )
    assert positive(rolled_up()) != positive(direct_counts())

    assert rollups.rollup_sweep() == 0, "a change of a moment ago waits for its own message first"
    settle()
    assert rollups.rollup_sweep() == 2
    assert positive(rolled_up()) == positive(direct_counts())
    assert pending() == [] and rollups.rollup_sweep() == 0


def test_the_sweep_takes_the_longest_waiting_first_and_at_most_its_limit(
    world, partners, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        reports = [
            services.report_save(
                network=network,
                organization=organization,
                month=MONTHS[1],
                values=values_for(network, {"enrollments": 4}),
                user=world.admin,
                source=ReportSource.API,
                submit=True,
                today=TODAY,
            )
            for network, organization in partners[:3]
        ]
    for minutes, report in zip([5, 9, 7], reports, strict=True):
        RollupPending.objects.filter(report=report).update(
            changed_at=timezone.now() - datetime.timedelta(minutes=minutes)
        )
    assert rollups.rollups_behind(limit=2) == [reports[1].pk, reports[2].pk]
    assert rollups.rollup_sweep(limit=2) == 2
    assert pending() == [reports[0].pk]


@pytest.fixture
def broker_down():
    """Tasks go to a broker that refuses connections, as Redis does while it is down."""
    conf, amqp = celery_app.conf, celery_app.amqp
    saved = conf.task_always_eager, conf.broker_write_url, celery_app._pool, amqp._producer_pool
    conf.task_always_eager = False
    conf.broker_write_url = "redis://127.0.0.1:1/0"  # where tasks are sent; nothing listens on port 1
    celery_app._pool = amqp._producer_pool = None  # the app's pools, made again from that address
    yield
    conf.task_always_eager, conf.broker_write_url, celery_app._pool, amqp._producer_pool = saved


def test_a_change_committed_while_the_broker_is_down_is_rolled_up_by_the_sweep(
    world, broker_down, django_capture_on_commit_callbacks, caplog
):
    report = services.report_save(
        network=world.network,
        organization=world.supplier,
        month=MONTHS[0],
        values=values_for(world.network, {"enrollments": 7}),
        user=world.partner,
        source=ReportSource.API,
        submit=True,
        today=TODAY,
    )
    with django_capture_on_commit_callbacks(execute=True):
        approved = services.report_approve(report=report, version=1, user=world.backbone)
    assert approved.status == ReportStatus.APPROVED, "the approval stands"
    assert "on_commit" in caplog.text, "the message could not be sent"
    assert not RollupNetworkMonth.objects.exists()

    settle()
    assert rollups.rollup_sweep() == 1
    assert RollupNetworkMonth.objects.get(month=MONTHS[0], category__code="all").count == 7


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the sweep's advisory lock is PostgreSQL's")
def test_a_second_sweep_skips_while_one_runs(world, django_capture_on_commit_callbacks):
    from django.db import connections

    with django_capture_on_commit_callbacks(execute=False):
        services.report_save(
            network=world.network,
            organization=world.supplier,
            month=MONTHS[0],
            values=values_for(world.network, {"enrollments": 7}),
            user=world.partner,
            source=ReportSource.API,
            submit=True,
            today=TODAY,
        )
    settle()
    other = connections.create_connection("default")  # another session, as a second worker would be
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [rollups.SWEEP_LOCK])
        assert rollups.rollup_sweep() is None
        assert len(pending()) == 1
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [rollups.SWEEP_LOCK])
        assert rollups.rollup_sweep() == 1
    finally:
        other.close()


def test_lost_rollups_are_swept_every_few_minutes_and_unacknowledged_messages_come_back():
    sweep = settings.CELERY_BEAT_SCHEDULE["rollup-sweep"]
    assert sweep["task"] == "metrics.tasks.rollup_sweep"
    assert sweep["schedule"] <= datetime.timedelta(minutes=5)
    assert sweep["schedule"] + rollups.SWEEP_SETTLED <= datetime.timedelta(minutes=7)
    # Redis hands a message its worker never acknowledged to another worker after the visibility
    # timeout: longer than any task may run, or a running task would be handed out twice.
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert max(settings.CELERY_TASK_TIME_LIMIT, settings.REPORT_UPLOAD_TIME_LIMIT) < timeout <= 30 * 60
    from metrics import tasks

    for task in (tasks.rollup_report, tasks.rollup_rebuild):
        assert task.acks_late and task.reject_on_worker_lost, task.name


def test_a_bulk_load_defers_its_rollups_to_one_rebuild_which_clears_them(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as queued, services.rollups_deferred():
        report = services.report_save(
            network=world.network,
            organization=world.supplier,
            month=MONTHS[0],
            values=values_for(world.network, {"enrollments": 9}),
            user=world.partner,
            source=ReportSource.API,
            submit=True,
            today=TODAY,
        )
        services.report_approve(report=report, version=1, user=world.backbone)
    assert tasks_in(queued) == [] and pending() == [report.pk]  # noted, not rolled up
    assert not RollupNetworkMonth.objects.exists()
    assert rollups.rollup_rebuild()
    assert pending() == []
    total = RollupNetworkMonth.objects.get(network=world.network, month=MONTHS[0], category__code="all")
    assert total.count == 9
