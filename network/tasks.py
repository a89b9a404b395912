"""Celery tasks of the network app: ids and plain values in, a service call or two each."""

from celery import shared_task

from network import people
from network.models import AssessmentRound, Network, Role, RoleInvitation
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


@shared_task(name="network.tasks.send_role_invitation")
def send_role_invitation(invitation_id: int, base_url: str) -> bool:
    """E-mail an invitation's link (queued when backbone staff invite, or invite again). A lost message
    loses nothing for good: the People page sends the invitation again."""
    invitation = (
        RoleInvitation.objects.select_related("network", "organization").filter(pk=invitation_id).first()
    )
    if invitation is None:
        return False
    return people.invitation_email_send(invitation=invitation, base_url=base_url)


@shared_task(name="network.tasks.send_role_granted")
def send_role_granted(role_id: int, network_id: int, base_url: str) -> bool:
    """Tell the holder of an existing account of the role they were just given in a network."""
    role = Role.objects.select_related("user", "organization").filter(pk=role_id).first()
    network = Network.objects.filter(pk=network_id).first()
    if role is None or network is None:
        return False
    return people.role_granted_email_send(role=role, network=network, base_url=base_url)
