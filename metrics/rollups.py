"""Rollups: the counts of approved reports, summed by network and state for the dashboards.

Only the current version of an approved report counts. A partner's own figures are not copied: they
are the values of its approved reports, read through the `PartnerFigure` view. Three ways keep the
network and state tables right:

- `rollup_report` (a Celery task after each submit, approval, return or correction) rewrites the
  network's rows of the report's month from its partners' figures, then the state's rows of that
  month. Its cost depends on the network's partners in that month, not on the size of the database.
  It recomputes, never adds, so running it twice or after a crash gives the same rows.
- `rollup_sweep` (every few minutes) runs `rollup_report` again for each change whose rollup has not
  run for a while (a `RollupPending` row, written with the change): its message was lost to a broker
  that was down, or to a worker killed mid-task. So a lost rollup is repaired within minutes.
- `rollup_rebuild` (nightly) recomputes every table from the approved reports with set-based SQL, in
  one transaction (a crash leaves the old rows), and never runs twice at once. On PostgreSQL it works by
  difference: it reads the reported values once and rewrites only the rollup rows that differ, so a
  night with little to repair writes little (see `_statements_by_difference`).

Rollups of one network queue behind a lock on its row, so two partners' reports of the same month
never sum from each other's half-written rows. The lock is PostgreSQL's FOR NO KEY UPDATE: it excludes
another rollup, but not the FOR KEY SHARE lock that storing a report (a row referring to the network)
takes, so a submission never waits for a rollup or a rebuild. (FOR UPDATE would make it wait.)
"""

import datetime
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Min, Sum
from django.utils import timezone

from metrics.models import (
    Category,
    MonthlyReport,
    PartnerFigure,
    ReportStatus,
    ReportValue,
    RollupFreshness,
    RollupNetworkMonth,
    RollupPending,
    RollupStateMonth,
)
from network.models import Network
from partners.models import State

logger = logging.getLogger(__name__)

# The key of PostgreSQL's advisory lock held by a full rebuild.
REBUILD_LOCK = 7_305_2024
# The key of PostgreSQL's advisory lock held by a sweep.
SWEEP_LOCK = 7_305_2025
# A rollup queued as usual runs within seconds; one still pending after this was most likely lost.
# Running one twice does no harm (it recomputes), it only costs a little.
SWEEP_SETTLED = datetime.timedelta(minutes=2)
# At most this many rollups a sweep (about 50 ms each); the next sweep takes the rest.
SWEEP_LIMIT = 500


def _touch(network_ids: list[int], at: datetime.datetime) -> None:
    for network_id in network_ids:
        RollupFreshness.objects.update_or_create(network_id=network_id, defaults={"refreshed_at": at})


@transaction.atomic
def rollup_report(*, report_id: int) -> None:
    """Bring the rollups of one report's partner and month, and the totals above them, up to date."""
    report = MonthlyReport.objects.select_related("network").filter(pk=report_id).first()
    if report is None:
        return
    network = Network.objects.select_for_update(no_key=True).get(pk=report.network_id)
    state = State.objects.select_for_update(no_key=True).get(pk=network.state_id)
    # The changes this rollup answers for: read before the report, so each was committed before the
    # report is read and this rollup sees it. A change committed later leaves its row for its own
    # rollup (or the sweep).
    pending = list(RollupPending.objects.filter(report_id=report_id).values_list("pk", flat=True))
    report = MonthlyReport.objects.get(pk=report_id)  # as it is now that the network is ours
    _network_month(network.pk, report.month)
    _state_month(state.pk, report.month)
    _touch([network.pk], timezone.now())
    RollupPending.objects.filter(pk__in=pending).delete()


def _network_month(network_id: int, month: datetime.date) -> None:
    RollupNetworkMonth.objects.filter(network_id=network_id, month=month).delete()
    sums = (
        PartnerFigure.objects.filter(network_id=network_id, month=month)
        .values("measure_id", "breakdown_id", "category_id")
        .annotate(total=Sum("count"), partners=Count("organization_id"))
        .order_by()
    )
    RollupNetworkMonth.objects.bulk_create(
        RollupNetworkMonth(
            network_id=network_id,
            month=month,
            measure_id=row["measure_id"],
            breakdown_id=row["breakdown_id"],
            category_id=row["category_id"],
            count=row["total"],
            partners=row["partners"],
        )
        for row in sums
    )


def _state_month(state_id: int, month: datetime.date) -> None:
    RollupStateMonth.objects.filter(state_id=state_id, month=month).delete()
    sums = (
        RollupNetworkMonth.objects.filter(network__state_id=state_id, month=month)
        .values("measure_id", "breakdown_id", "category_id")
        .annotate(total=Sum("count"))
        .order_by()
    )
    RollupStateMonth.objects.bulk_create(
        RollupStateMonth(
            state_id=state_id,
            month=month,
            measure_id=row["measure_id"],
            breakdown_id=row["breakdown_id"],
            category_id=row["category_id"],
            count=row["total"],
        )
        for row in sums
    )


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# A rebuild's session on PostgreSQL: its hash tables (300,000 network cells at national scale) fit in
# memory instead of spilling to disk, and its few large statements are not worth compiling (JIT).
REBUILD_SETTINGS = {"work_mem": "256MB", "jit": "off"}


def rebuild_statements() -> list[str]:
    """The set-based statements of a full rebuild, in order: by difference on PostgreSQL, elsewhere
    (SQLite, the embedded default with little data) by rewriting every row."""
    if connection.vendor == "postgresql":
        return _statements_by_difference()
    return _statements_rewriting_everything()


def _statements_rewriting_everything() -> list[str]:
    figures, network_rollup, state_rollup, network = (
        _table(PartnerFigure),
        _table(RollupNetworkMonth),
        _table(RollupStateMonth),
        _table(Network),
    )
    return [
        f"DELETE FROM {state_rollup}",
        f"DELETE FROM {network_rollup}",
        f"""INSERT INTO {network_rollup}
                (network_id, month, measure_id, breakdown_id, category_id, count, partners)
            SELECT network_id, month, measure_id, breakdown_id, category_id, SUM(count), COUNT(*)
            FROM {figures}
            GROUP BY network_id, month, measure_id, breakdown_id, category_id""",
        f"""INSERT INTO {state_rollup} (state_id, month, measure_id, breakdown_id, category_id, count)
            SELECT n.state_id, x.month, x.measure_id, x.breakdown_id, x.category_id, SUM(x.count)
            FROM {network_rollup} x JOIN {network} n ON n.id = x.network_id
            GROUP BY n.state_id, x.month, x.measure_id, x.breakdown_id, x.category_id""",
    ]


def _statements_by_difference() -> list[str]:
    """A rebuild that reads the approved values once and writes only what differs (PostgreSQL).

    Rewriting every rollup row each night churns the tables for nothing; reading the values is the
    floor of any rebuild. So: (1) sum the approved reports' values per network cell (network, month,
    measure, category), which is that floor; (2) compare those cells with the network rollups and
    rewrite the rows that differ; (3) the same for the states' cells, summed from (1).

    At national scale (12 million values) this takes about the time of a bare GROUP BY of the values
    (README, "Benchmark").
    """
    network_rollup, state_rollup = _table(RollupNetworkMonth), _table(RollupStateMonth)
    report, value, category, network = (
        _table(MonthlyReport),
        _table(ReportValue),
        _table(Category),
        _table(Network),
    )
    approved = ReportStatus.APPROVED.value
    cell = "network_id, month, measure_id, category_id"
    return [
        # Temporary tables last until the transaction ends: a rebuild's own, or a test's around two.
        "DROP TABLE IF EXISTS rollup_reported, rollup_cell, rollup_state_cell",
        *(f"SET LOCAL {name} = '{setting}'" for name, setting in REBUILD_SETTINGS.items()),
        # 1. What the approved reports say, per network cell.
        f"""CREATE TEMPORARY TABLE rollup_reported ON COMMIT DROP AS
            SELECT r.network_id, r.month, v.measure_id, v.category_id,
                SUM(v.count) AS count, COUNT(*) AS partners
            FROM {report} r JOIN {value} v ON v.version_id = r.current_version_id
            WHERE r.status = '{approved}'
            GROUP BY r.network_id, r.month, v.measure_id, v.category_id""",
        # 2. The network rollup rows that differ from it, rewritten.
        f"""CREATE TEMPORARY TABLE rollup_cell ON COMMIT DROP AS
            SELECT {cell}, c.breakdown_id, r.count, r.partners, n.id AS network_rollup_id
            FROM rollup_reported r
            FULL JOIN {network_rollup} n USING ({cell})
            JOIN {category} c ON c.id = category_id
            WHERE r.count IS DISTINCT FROM n.count OR r.partners IS DISTINCT FROM n.partners
                OR n.breakdown_id <> c.breakdown_id""",
        f"""DELETE FROM {network_rollup}
            WHERE id IN (SELECT network_rollup_id FROM rollup_cell)""",
        f"""INSERT INTO {network_rollup}
                (network_id, month, measure_id, breakdown_id, category_id, count, partners)
            SELECT network_id, month, measure_id, breakdown_id, category_id, count, partners
            FROM rollup_cell WHERE count IS NOT NULL""",
        # 3. The state rollup rows that differ: sums of the reports' network cells by state.
        f"""CREATE TEMPORARY TABLE rollup_state_cell ON COMMIT DROP AS
            SELECT state_id, month, measure_id, category_id, c.breakdown_id, r.count,
                s.id AS state_rollup_id
            FROM (
                SELECT n.state_id, x.month, x.measure_id, x.category_id, SUM(x.count) AS count
                FROM rollup_reported x JOIN {network} n ON n.id = x.network_id
                GROUP BY n.state_id, x.month, x.measure_id, x.category_id
            ) AS r
            FULL JOIN {state_rollup} s USING (state_id, month, measure_id, category_id)
            JOIN {category} c ON c.id = category_id
            WHERE r.count IS DISTINCT FROM s.count OR s.breakdown_id <> c.breakdown_id""",
        f"""DELETE FROM {state_rollup}
            WHERE id IN (SELECT state_rollup_id FROM rollup_state_cell)""",
        f"""INSERT INTO {state_rollup} (state_id, month, measure_id, breakdown_id, category_id, count)
            SELECT state_id, month, measure_id, breakdown_id, category_id, count
            FROM rollup_state_cell WHERE count IS NOT NULL""",
    ]


def rollup_rebuild() -> bool:
    """Rebuild every rollup from the approved reports; False if another rebuild holds the lock.

    One transaction: readers see the old rows until it commits, and a crash leaves them in place.
    The network rows are locked first, so incremental rollups wait instead of writing in between.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [REBUILD_LOCK])
                if not cursor.fetchone()[0]:
                    return False
        # On SQLite the transaction holds the database's one write lock from its start (IMMEDIATE).
        network_ids = list(
            Network.objects.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True)
        )
        # Changes committed before the rebuild reads the reports are in its rows: no longer pending.
        covered = list(RollupPending.objects.values_list("pk", flat=True))
        with connection.cursor() as cursor:
            for statement in rebuild_statements():
                cursor.execute(statement)
            changed = _changed_by_rebuild(cursor, network_ids)
        # Only the networks whose rows it rewrote (and those never rolled up): a night with nothing to
        # repair leaves every dashboard's cached figures in place (`metrics.figure_cache`).
        never = set(network_ids) - set(RollupFreshness.objects.values_list("network_id", flat=True))
        _touch(sorted(changed | never), timezone.now())
        RollupPending.objects.filter(pk__in=covered).delete()
    return True


def _changed_by_rebuild(cursor, network_ids: list[int]) -> set[int]:
    """The networks whose network or state rows the rebuild just rewrote: read from its own temporary
    tables on PostgreSQL; every network elsewhere, where it rewrites every row."""
    if connection.vendor != "postgresql":
        return set(network_ids)
    cursor.execute(
        f"""SELECT network_id FROM rollup_cell
            UNION SELECT n.id FROM {_table(Network)} n JOIN rollup_state_cell s ON s.state_id = n.state_id"""
    )
    return {row[0] for row in cursor.fetchall()}


def rollups_behind(*, settled: datetime.timedelta = SWEEP_SETTLED, limit: int = SWEEP_LIMIT) -> list[int]:
    """The reports with a change older than ``settled`` whose rollup has not run, the longest waiting
    first: one query."""
    return list(
        RollupPending.objects.filter(changed_at__lte=timezone.now() - settled)
        .values("report_id")
        .annotate(since=Min("changed_at"))
        .order_by("since", "report_id")
        .values_list("report_id", flat=True)[:limit]
    )


def rollup_sweep(*, settled: datetime.timedelta = SWEEP_SETTLED, limit: int = SWEEP_LIMIT) -> int | None:
    """Run again every rollup still pending after ``settled``: those whose message was lost. Returns
    how many ran, or None if another sweep holds the lock (it skips, it does not wait).

    One transaction per report, as its own Celery task would: a report that fails is logged and
    left pending for the next sweep, and the others go on."""
    with _sweep_lock() as held:
        if not held:
            return None
        report_ids = rollups_behind(settled=settled, limit=limit)
        for report_id in report_ids:
            try:
                rollup_report(report_id=report_id)
            except DatabaseError:
                logger.exception("The rollup of report %s failed; the next sweep tries again.", report_id)
        if report_ids:
            logger.warning("Ran %s rollup(s) whose message was lost.", len(report_ids))
        return len(report_ids)


@contextmanager
def _sweep_lock() -> Iterator[bool]:
    """Whether this sweep may run: PostgreSQL's advisory lock, for the session rather than one
    transaction as a sweep is many; released when the sweep ends, or with the connection if its
    worker dies. SQLite (the embedded default) runs tasks in the one web process: nothing to take."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SWEEP_LOCK])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [SWEEP_LOCK])
