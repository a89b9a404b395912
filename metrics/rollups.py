"""Rollups: the counts of approved reports, summed by partner, network and state for the dashboards.

Only the current version of an approved report counts. Two ways keep the tables right:

- `rollup_report` (a Celery task after each submit, approval, return or correction) rewrites the rows of
  one partner and month, then the network's and the state's rows of that month. Its cost depends on
  the network's partners in that month, not on the size of the database. It recomputes, never adds,
  so running it twice or after a crash gives the same rows.
- `rollup_rebuild` (nightly) rewrites every table with one set-based statement each, in one
  transaction (a crash leaves the old rows), and never runs twice at once.

Rollups of one network queue behind a lock on its row, so two partners' reports of the same month
never sum from each other's half-written rows.
"""

import datetime

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from metrics.models import (
    Category,
    MonthlyReport,
    ReportStatus,
    ReportValue,
    RollupFreshness,
    RollupNetworkMonth,
    RollupPartnerMonth,
    RollupStateMonth,
)
from network.models import Network
from partners.models import State

# The key of PostgreSQL's advisory lock held by a full rebuild.
REBUILD_LOCK = 7_305_2024


def _touch(network_ids: list[int], at: datetime.datetime) -> None:
    for network_id in network_ids:
        RollupFreshness.objects.update_or_create(network_id=network_id, defaults={"refreshed_at": at})


@transaction.atomic
def rollup_report(*, report_id: int) -> None:
    """Bring the rollups of one report's partner and month, and the totals above them, up to date."""
    report = MonthlyReport.objects.select_related("network").filter(pk=report_id).first()
    if report is None:
        return
    network = Network.objects.select_for_update().get(pk=report.network_id)
    state = State.objects.select_for_update().get(pk=network.state_id)
    report = MonthlyReport.objects.get(pk=report_id)  # as it is now that the network is ours
    RollupPartnerMonth.objects.filter(
        network=network, organization_id=report.organization_id, month=report.month
    ).delete()
    if report.status == ReportStatus.APPROVED and report.current_version_id:
        RollupPartnerMonth.objects.bulk_create(
            RollupPartnerMonth(
                network=network,
                organization_id=report.organization_id,
                month=report.month,
                measure_id=measure_id,
                breakdown_id=breakdown_id,
                category_id=category_id,
                count=count,
            )
            for measure_id, breakdown_id, category_id, count in ReportValue.objects.filter(
                version_id=report.current_version_id
            ).values_list("measure_id", "category__breakdown_id", "category_id", "count")
        )
    _network_month(network.pk, report.month)
    _state_month(state.pk, report.month)
    _touch([network.pk], timezone.now())


def _network_month(network_id: int, month: datetime.date) -> None:
    RollupNetworkMonth.objects.filter(network_id=network_id, month=month).delete()
    sums = (
        RollupPartnerMonth.objects.filter(network_id=network_id, month=month)
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


def rebuild_statements() -> list[str]:
    """The set-based statements of a full rebuild, in order."""
    partner, network_rollup, state_rollup = (
        _table(RollupPartnerMonth),
        _table(RollupNetworkMonth),
        _table(RollupStateMonth),
    )
    report, value, category, network = (
        _table(MonthlyReport),
        _table(ReportValue),
        _table(Category),
        _table(Network),
    )
    return [
        f"DELETE FROM {state_rollup}",
        f"DELETE FROM {network_rollup}",
        f"DELETE FROM {partner}",
        f"""INSERT INTO {partner}
                (network_id, organization_id, month, measure_id, breakdown_id, category_id, count)
            SELECT r.network_id, r.organization_id, r.month,
                v.measure_id, c.breakdown_id, v.category_id, v.count
            FROM {report} r
            JOIN {value} v ON v.version_id = r.current_version_id
            JOIN {category} c ON c.id = v.category_id
            WHERE r.status = '{ReportStatus.APPROVED.value}'""",
        f"""INSERT INTO {network_rollup}
                (network_id, month, measure_id, breakdown_id, category_id, count, partners)
            SELECT network_id, month, measure_id, breakdown_id, category_id, SUM(count), COUNT(*)
            FROM {partner}
            GROUP BY network_id, month, measure_id, breakdown_id, category_id""",
        f"""INSERT INTO {state_rollup} (state_id, month, measure_id, breakdown_id, category_id, count)
            SELECT n.state_id, x.month, x.measure_id, x.breakdown_id, x.category_id, SUM(x.count)
            FROM {network_rollup} x JOIN {network} n ON n.id = x.network_id
            GROUP BY n.state_id, x.month, x.measure_id, x.breakdown_id, x.category_id""",
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
        network_ids = list(Network.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        with connection.cursor() as cursor:
            for statement in rebuild_statements():
                cursor.execute(statement)
        _touch(network_ids, timezone.now())
    return True
