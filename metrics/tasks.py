"""Celery tasks of the metrics app: ids and plain values in, a service call or two each.

The idempotent ones are ``acks_late`` with ``reject_on_worker_lost``: a worker process that dies
mid-task (killed, out of memory) puts its message back for another, instead of dropping it."""

import datetime

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from metrics import outcomes, reminders, rollups, services, uploads
from partners.models import Organization


@shared_task(name="metrics.tasks.send_report_reminders", acks_late=True, reject_on_worker_lost=True)
def send_report_reminders(base_url: str) -> dict[str, int]:
    """The daily job: e-mail partner staff about months due soon and months missing.

    Idempotent: each reminder is recorded before it is sent, so a retry or a second run the same day
    sends nothing twice."""
    return reminders.report_reminders_send(today=timezone.localdate(), base_url=base_url)


@shared_task(
    name="metrics.tasks.upload_read",
    soft_time_limit=settings.REPORT_UPLOAD_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_UPLOAD_TIME_LIMIT,
)
def upload_read(upload_id: int) -> None:
    """Read a large uploaded file in the background, reporting progress on its `Upload` row.

    Not acks_late: the upload is claimed before it is read, so a redelivered message finds it claimed
    and does nothing; an upload whose worker died is sent again by `upload_sweep`."""
    try:
        uploads.upload_read_queued(upload_id=upload_id)
    except SoftTimeLimitExceeded:
        uploads.upload_fail(upload_id=upload_id, message="the file took too long to read")


@shared_task(name="metrics.tasks.upload_sweep", soft_time_limit=50, time_limit=60)
def upload_sweep() -> dict[str, int]:
    """Every minute: send again uploads whose message was lost or whose reader died, refuse those that
    waited too long, discard old unsaved previews and remove stray files. Two sweeps at once are
    harmless: each upload is taken with a conditional update."""
    return uploads.upload_sweep()


@shared_task(name="metrics.tasks.rollup_report", acks_late=True, reject_on_worker_lost=True)
def rollup_report(report_id: int) -> None:
    """Bring the rollups of one report's partner and month up to date. Idempotent: it recomputes."""
    rollups.rollup_report(report_id=report_id)


@shared_task(name="metrics.tasks.rollup_sweep")
def rollup_sweep(settled_seconds: int = int(rollups.SWEEP_SETTLED.total_seconds())) -> int | None:
    """Every few minutes (beat): run again the rollups whose message was lost (a broker down when the
    change committed, a worker killed mid-task); skipped while another sweep runs. Not acks_late: a
    sweep lost with its worker is followed by the next one minutes later."""
    return rollups.rollup_sweep(settled=datetime.timedelta(seconds=settled_seconds))


@shared_task(name="metrics.tasks.rollup_rebuild", acks_late=True, reject_on_worker_lost=True)
def rollup_rebuild() -> bool:
    """The nightly job: rebuild every rollup; skipped while another rebuild runs. Then queue the
    cohorts of every organization with DPRP sessions again, one task each, as the same safety net
    (not when skipped: the rebuild that runs queues them)."""
    rebuilt = rollups.rollup_rebuild()
    if rebuilt:
        outcomes.cohorts_rebuild_queue()
    return rebuilt


@shared_task(
    name="metrics.tasks.cohorts_rebuild",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=300,
    time_limit=360,
)
def cohorts_rebuild(organization_id: int) -> int:
    """Recompute one organization's retention and outcome cohorts from its sessions (after a DPRP file
    is saved, and nightly). Idempotent: it recomputes."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0  # deleted since: its cohorts went with it
    return outcomes.cohorts_rebuild(organization=organization)


@shared_task(name="metrics.tasks.send_reopen_request")
def send_reopen_request(request_id: int) -> int:
    """E-mail the backbone staff a partner's request to reopen a locked month."""
    return services.reopen_request_mail(request_id=request_id)
