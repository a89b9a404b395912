"""People of a network: who holds a role in it, inviting a person by e-mail to a role, and ending one.
Services (writes) first, then selectors (reads that pages share).

Backbone staff invite to two kinds of role: backbone staff of their network, or partner staff of one of
its current partners. An address that already has an account gets the role at once (and an e-mail
saying so); any other gets an invitation whose link lets the person choose a password, which makes the
account and grants the role. The link is signed (`django.core.signing`, as Django signs its own
password-reset links) over the invitation and the moment it was sent: it works once, for
``INVITATION_DAYS``, and sending the invitation again replaces it.
"""

import datetime
import enum
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core import jobs
from network.models import Network, Role, RoleInvitation, RoleKind
from network.selectors import partners_current
from network.services import role_end, role_grant
from partners.models import Organization

TOKEN_SALT = "network.people.invitation"
INVITABLE_KINDS = (RoleKind.BACKBONE_STAFF, RoleKind.PARTNER_STAFF)


def email_normalize(email: str) -> str:
    """One spelling per address, so that inviting ``Pat@Example.org`` again finds ``pat@example.org``."""
    return email.strip().lower()


def invitation_lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=settings.INVITATION_DAYS)


class Outcome(enum.Enum):
    GRANTED = "granted"  # an existing account got the role
    INVITED = "invited"  # a new invitation went out
    RESENT = "resent"  # the pending invitation went out again, with a new link


@dataclass(frozen=True)
class InviteResult:
    outcome: Outcome
    role: Role | None = None
    invitation: RoleInvitation | None = None


def _scope(*, network: Network, kind: str, organization: Organization | None) -> Network | Organization:
    """What the role is over, refused unless it lies within ``network``."""
    if kind == RoleKind.BACKBONE_STAFF:
        return network
    if kind != RoleKind.PARTNER_STAFF:
        raise ValidationError({"kind": "Choose backbone staff or partner staff."})
    if organization is None:
        raise ValidationError({"organization": "Choose the partner whose staff the person joins."})
    if not partners_current(network=network).filter(pk=organization.pk).exists():
        raise ValidationError(
            {"organization": f"{organization.name} is not a current partner of {network.name}."}
        )
    return organization


def _accounts_with(email: str) -> QuerySet[AbstractBaseUser]:
    return get_user_model().objects.filter(email__iexact=email)


def _pending(
    *, network: Network, email: str, kind: str, organization: Organization | None
) -> QuerySet[RoleInvitation]:
    return RoleInvitation.objects.filter(
        network=network,
        email=email,
        kind=kind,
        organization=organization,
        accepted_at__isnull=True,
        withdrawn_at__isnull=True,
    )


@transaction.atomic
def person_invite(
    *,
    network: Network,
    email: str,
    kind: str,
    organization: Organization | None = None,
    first_name: str = "",
    last_name: str = "",
    invited_by: AbstractBaseUser | None,
    base_url: str,
) -> InviteResult:
    """Give the person at ``email`` a role in ``network``: at once if the address has an account, else by
    an e-mailed invitation (sent again, with a new link, if one is already pending for that role).

    The e-mail goes out from a Celery task once the transaction commits; ``base_url`` makes its link
    absolute. Refuses an organization that is not a current partner of the network, an address shared by
    several accounts or belonging to a switched-off one, and a role the account already holds."""
    email = email_normalize(email)
    scope = _scope(network=network, kind=kind, organization=organization)
    organization = scope if isinstance(scope, Organization) else None
    accounts = list(_accounts_with(email)[:2])
    if len(accounts) > 1:
        raise ValidationError(
            {"email": "Several accounts share this address: ask a site administrator to give the role."}
        )
    if accounts:
        user = accounts[0]
        if not user.is_active:
            raise ValidationError(
                {"email": "The account with this e-mail address is switched off; ask a site administrator."}
            )
        field = "network" if kind == RoleKind.BACKBONE_STAFF else "organization"
        if Role.objects.filter(user=user, kind=kind, ended_at__isnull=True, **{field: scope}).exists():
            raise ValidationError({"email": f"{email} already holds this role; nothing was changed."})
        role = role_grant(user=user, kind=kind, scope=scope, granted_by=invited_by)
        # An invitation to the same role made before the account was is no longer needed.
        _pending(network=network, email=email, kind=kind, organization=organization).update(
            withdrawn_at=timezone.now()
        )
        jobs.send_on_commit("network.tasks.send_role_granted", role.pk, network.pk, base_url)
        return InviteResult(Outcome.GRANTED, role=role)

    pending = _pending(network=network, email=email, kind=kind, organization=organization)
    invitation = pending.select_for_update().first()
    outcome = Outcome.RESENT if invitation else Outcome.INVITED
    if invitation is None:
        invitation = RoleInvitation(network=network, email=email, kind=kind, organization=organization)
    invitation.sent_at = timezone.now()
    invitation.invited_by = invited_by
    invitation.first_name = first_name.strip() or invitation.first_name
    invitation.last_name = last_name.strip() or invitation.last_name
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        # A double submit made the same invitation a moment ago (the constraint allows one): send that.
        invitation = pending.get()
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at"])
        outcome = Outcome.RESENT
    jobs.send_on_commit("network.tasks.send_role_invitation", invitation.pk, base_url)
    return InviteResult(outcome, invitation=invitation)


@transaction.atomic
def invitation_resend(*, invitation: RoleInvitation, base_url: str) -> RoleInvitation:
    """Send a pending invitation again, with a new link (the earlier one stops working) and a new
    ``INVITATION_DAYS`` to accept it."""
    if not invitation.is_pending:
        raise ValidationError("This invitation was already accepted or withdrawn.")
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["sent_at"])
    jobs.send_on_commit("network.tasks.send_role_invitation", invitation.pk, base_url)
    return invitation


def invitation_withdraw(*, invitation: RoleInvitation) -> RoleInvitation:
    """Withdraw a pending invitation: its link stops working. Withdrawing twice changes nothing."""
    if invitation.is_pending:
        invitation.withdrawn_at = timezone.now()
        invitation.save(update_fields=["withdrawn_at"])
    return invitation


def invitation_token(*, invitation: RoleInvitation) -> str:
    """The secret of the invitation's link: the invitation and when it was sent, signed with the
    project's secret key and timestamped."""
    return signing.dumps([invitation.pk, invitation.sent_at.isoformat()], salt=TOKEN_SALT, compress=True)


def _link(base_url: str, name: str, *args: object) -> str:
    return base_url.rstrip("/") + reverse(name, args=args)


def invitation_email_send(*, invitation: RoleInvitation, base_url: str) -> bool:
    """E-mail the invitation's link (the task queued by `person_invite`); nothing once it is no longer
    pending. Returns whether a message went out."""
    if not invitation.is_pending:
        return False
    network = invitation.network
    context = {
        "invitation": invitation,
        "network": network,
        "role": _role_words(kind=invitation.kind, network=network, organization=invitation.organization),
        "link": _link(base_url, "network:invitation_accept", invitation_token(invitation=invitation)),
        "expires_at": invitation.sent_at + invitation_lifetime(),
        "days": settings.INVITATION_DAYS,
    }
    _send(template="role_invitation", context=context, to=invitation.email)
    return True


def role_granted_email_send(*, role: Role, network: Network, base_url: str) -> bool:
    """Tell the holder of an existing account of the role just given to them; nothing if it has ended."""
    if not role.is_current or not role.user.email:
        return False
    context = {
        "user": role.user,
        "network": network,
        "role": _role_words(kind=role.kind, network=network, organization=role.organization),
        "link": _link(base_url, "login"),
    }
    _send(template="role_granted", context=context, to=role.user.email)
    return True


def _send(*, template: str, context: dict[str, object], to: str) -> None:
    subject = render_to_string(f"network/email/{template}_subject.txt", context)
    body = render_to_string(f"network/email/{template}.txt", context)
    send_mail(" ".join(subject.split()), body, None, [to])


def _role_words(*, kind: str, network: Network, organization: Organization | None) -> str:
    if kind == RoleKind.BACKBONE_STAFF:
        return f"backbone staff of {network.name}"
    return f"partner staff of {organization.name if organization else 'a partner'} in {network.name}"


def _free_username(email: str) -> str:
    """The e-mail address as user name (what the person signs in with), made unique if taken."""
    User = get_user_model()
    base = email[:140]
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def invitation_has_account(*, invitation: RoleInvitation) -> bool:
    """Whether the invited address has an account now, which accepting gives the role to."""
    return _accounts_with(invitation.email).filter(is_active=True).exists()


def invitation_new_account(*, invitation: RoleInvitation) -> AbstractBaseUser:
    """The account that accepting would make (not saved): what the password is checked against, so a
    password like the person's own name or address is refused."""
    return get_user_model()(
        username=_free_username(invitation.email),
        email=invitation.email,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
    )


@transaction.atomic
def invitation_accept(*, invitation: RoleInvitation, password: str) -> tuple[AbstractBaseUser, bool]:
    """Accept the invitation: make the account with ``password`` and grant the role. Returns the user and
    whether the account is new; an account made for the address since the invitation (by another
    invitation, say) gets the role and keeps its own password.

    The invitation is claimed with a conditional UPDATE, so the link works once even when two requests
    race."""
    now = timezone.now()
    claimed = RoleInvitation.objects.filter(
        pk=invitation.pk, sent_at=invitation.sent_at, accepted_at__isnull=True, withdrawn_at__isnull=True
    ).update(accepted_at=now)
    if not claimed:
        raise ValidationError("This invitation was already accepted, withdrawn or sent again.")
    network = invitation.network
    organization = invitation.organization
    if organization and not partners_current(network=network).filter(pk=organization.pk).exists():
        raise ValidationError(
            f"{organization.name} is no longer a partner of {network.name}, so the invitation cannot be "
            "accepted. Ask the network's backbone staff."
        )
    scope = invitation.organization if invitation.kind == RoleKind.PARTNER_STAFF else network
    user = _accounts_with(invitation.email).filter(is_active=True).order_by("pk").first()
    created = user is None
    if user is None:
        user = invitation_new_account(invitation=invitation)
        user.set_password(password)
        user.save()
    role = role_grant(user=user, kind=invitation.kind, scope=scope, granted_by=invitation.invited_by)  # type: ignore[arg-type]
    invitation.accepted_at = now
    invitation.role = role
    invitation.save(update_fields=["role"])
    return user, created


@transaction.atomic
def person_role_end(*, network: Network, role: Role) -> Role:
    """End a role within ``network`` (`role_end` takes its permissions back). The network's last backbone
    staff role cannot end: someone must be left to manage the network."""
    refusal = role_end_refusal(network=network, role=role, lock=True)
    if refusal:
        raise ValidationError(refusal)
    return role_end(role=role)


# Selectors


def _in_network(network: Network) -> Q:
    return Q(kind=RoleKind.BACKBONE_STAFF, network=network) | Q(
        kind=RoleKind.PARTNER_STAFF, organization__in=partners_current(network=network).values("pk")
    )


def people_of(*, network: Network) -> QuerySet[Role]:
    """Every current role in the network: its backbone staff and the staff of its current partners,
    backbone first, then by organization and name. One query."""
    return (
        Role.objects.filter(_in_network(network), ended_at__isnull=True)
        .select_related("user", "organization")
        .order_by("kind", "organization__name", "user__last_name", "user__first_name", "user__email", "pk")
    )


def role_get_in_network(*, network: Network, role_id: int) -> Role:
    """A current role within the network; 404 for any other, so no one learns of roles elsewhere."""
    role = people_of(network=network).filter(pk=role_id).first()
    if role is None:
        raise Http404("No such role in this network.")
    return role


def role_end_refusal(*, network: Network, role: Role, lock: bool = False) -> str:
    """Why the role may not end, or "" if it may: the network's last backbone staff role stays, so
    someone is left to manage the network. ``lock`` holds the other backbone roles until the
    transaction ends, so two staff cannot end each other's roles at once."""
    if role.kind != RoleKind.BACKBONE_STAFF or not role.is_current:
        return ""
    others = Role.objects.filter(network=network, kind=RoleKind.BACKBONE_STAFF, ended_at__isnull=True)
    if lock:
        others = others.select_for_update()
    if others.exclude(pk=role.pk).exists():
        return ""
    return (
        "This is the network's last backbone staff role: invite someone else as backbone staff before "
        "ending it."
    )


def invitations_pending(*, network: Network) -> QuerySet[RoleInvitation]:
    """The network's invitations not yet accepted or withdrawn, newest first. One query."""
    return network.role_invitations.filter(
        accepted_at__isnull=True, withdrawn_at__isnull=True
    ).select_related("organization", "invited_by")


def invitation_get_pending(*, network: Network, pk: int) -> RoleInvitation:
    invitation = invitations_pending(network=network).filter(pk=pk).first()
    if invitation is None:
        raise Http404("No such pending invitation.")
    return invitation


class LinkState(enum.Enum):
    OPEN = "open"
    USED = "used"
    EXPIRED = "expired"
    REPLACED = "replaced"  # sent again since: only the newest link works
    WITHDRAWN = "withdrawn"
    UNKNOWN = "unknown"  # not a link Tandem made


@dataclass(frozen=True)
class InvitationLink:
    state: LinkState
    invitation: RoleInvitation | None = None


def invitation_link_check(*, token: str, now: datetime.datetime | None = None) -> InvitationLink:
    """What an invitation link leads to. A used or withdrawn invitation says so before its age does, so
    the page can tell the person what to do."""
    try:
        invitation_id, sent = signing.loads(token, salt=TOKEN_SALT)
        invitation_id = int(invitation_id)
    except (signing.BadSignature, ValueError, TypeError):
        return InvitationLink(LinkState.UNKNOWN)
    invitation = (
        RoleInvitation.objects.select_related("network", "network__backbone", "organization")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        return InvitationLink(LinkState.UNKNOWN)
    if invitation.accepted_at is not None:
        return InvitationLink(LinkState.USED, invitation)
    if invitation.withdrawn_at is not None:
        return InvitationLink(LinkState.WITHDRAWN, invitation)
    if sent != invitation.sent_at.isoformat():
        return InvitationLink(LinkState.REPLACED, invitation)
    if (now or timezone.now()) - invitation.sent_at > invitation_lifetime():
        return InvitationLink(LinkState.EXPIRED, invitation)
    return InvitationLink(LinkState.OPEN, invitation)


def role_words(*, role: Role | RoleInvitation, network: Network) -> str:
    """The role in a few words, e.g. 'partner staff of Prairie YMCA in Kansas DPP Network'."""
    return _role_words(kind=role.kind, network=network, organization=role.organization)
