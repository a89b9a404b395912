"""Celery tasks of the network app: ids and plain values in, a service call or two each."""

from celery import shared_task

from network.models import AssessmentRound
from network.partnership import assessments


@shared_task(name="network.tasks.send_assessment_invitations", acks_late=True, reject_on_worker_lost=True)
def send_assessment_invitations(round_id: int, base_url: str) -> int:
    """E-mail a round's invitations that have not gone out yet (queued when the round opens).

    Idempotent: each invitation is claimed before it is sent, so a retry sends only the rest."""
    assessment_round = AssessmentRound.objects.filter(pk=round_id).first()
    if assessment_round is None:
        return 0  # the round was deleted before the worker got to it
    return assessments.assessment_invitations_send(assessment_round=assessment_round, base_url=base_url)


@shared_task(name="network.tasks.send_assessment_reminders", acks_late=True, reject_on_worker_lost=True)
def send_assessment_reminders(base_url: str) -> int:
    """The daily job: close rounds past their last day, send invitations a lost message missed, and
    remind partners that have not answered (at most once every seven days)."""
    assessments.assessment_rounds_close_overdue()
    assessments.assessment_invitations_send(base_url=base_url)
    return assessments.assessment_reminders_send(base_url=base_url)
