"""People of a network: inviting by e-mail, accepting by the link (once, in time), ending a role, and
the pages against the role matrix."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.core import ObjectPermissionChecker

from network import people, services
from network.models import Role, RoleInvitation, RoleKind
from network.tests.factories import MembershipFactory, UserFactory
from partners.tests.factories import OrganizationFactory, SupplierFactory

pytestmark = pytest.mark.django_db

OK, BAD, FORBIDDEN, NOT_FOUND, GONE = 200, 400, 403, 404, 410
BASE = "https://tandem.example.org"
LINK = re.compile(r"https?://(?:tandem\.example\.org|testserver)(/invitations/\S+/)")


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run a write and the e-mails it queues on commit, as the request's transaction would."""

    def run(write, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return write(**kwargs)

    return run


def invite(world, sent, email="pat@ymca.example.org", kind=RoleKind.PARTNER_STAFF, organization=None, **kw):
    organization = world.supplier if kind == RoleKind.PARTNER_STAFF and organization is None else organization
    return sent(
        people.person_invite,
        network=world.network,
        email=email,
        kind=kind,
        organization=organization,
        invited_by=world.backbone,
        base_url=BASE,
        **kw,
    )


def link_in(message) -> str:
    return LINK.search(message.body).group(1)


def token_of(path: str) -> str:
    return path.removeprefix("/invitations/").removesuffix("/")


# Services


def test_inviting_a_new_address_sends_a_link_that_grants_the_role(world, sent):
    result = invite(world, sent, email=" Pat@YMCA.example.org ", first_name="Pat", last_name="Lee")
    assert result.outcome == people.Outcome.INVITED
    invitation = result.invitation
    assert (invitation.email, invitation.organization, invitation.invited_by) == (
        "pat@ymca.example.org",
        world.supplier,
        world.backbone,
    )
    [message] = mail.outbox
    assert message.to == ["pat@ymca.example.org"]
    assert "partner staff of Prairie YMCA" in message.subject
    token = token_of(link_in(message))
    assert people.invitation_link_check(token=token).state == people.LinkState.OPEN
    assert not get_user_model().objects.filter(email="pat@ymca.example.org").exists()  # not before accepting

    user, created = people.invitation_accept(invitation=invitation, password="a long new password 7")
    assert created and user.check_password("a long new password 7")
    assert (user.username, user.get_full_name()) == ("pat@ymca.example.org", "Pat Lee")
    role = Role.objects.get(user=user, ended_at__isnull=True)
    assert (role.kind, role.organization, role.granted_by) == (
        RoleKind.PARTNER_STAFF,
        world.supplier,
        world.backbone,
    )
    assert ObjectPermissionChecker(user).has_perm("submit_report", world.supplier)
    assert people.invitation_link_check(token=token).state == people.LinkState.USED
    with pytest.raises(ValidationError):  # once only
        people.invitation_accept(invitation=invitation, password="another long password 8")


def test_inviting_again_sends_again_with_a_new_link_and_the_old_one_stops(world, sent):
    first = invite(world, sent).invitation
    old = token_of(link_in(mail.outbox[0]))
    again = invite(world, sent, email="PAT@ymca.example.org")
    assert again.outcome == people.Outcome.RESENT
    assert again.invitation.pk == first.pk
    assert RoleInvitation.objects.count() == 1
    assert len(mail.outbox) == 2
    new = token_of(link_in(mail.outbox[1]))
    assert people.invitation_link_check(token=old).state == people.LinkState.REPLACED
    assert people.invitation_link_check(token=new).state == people.LinkState.OPEN
    # A double submit that raced past the look-up meets the constraint, and sends the same one again.
    twin = RoleInvitation.objects.get(pk=first.pk)
    twin.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    # Another role for the same address is an invitation of its own.
    assert invite(world, sent, kind=RoleKind.BACKBONE_STAFF).outcome == people.Outcome.INVITED
    assert RoleInvitation.objects.count() == 2


def test_a_link_expires_and_a_changed_or_withdrawn_one_does_not_work(world, sent, settings):
    invitation = invite(world, sent).invitation
    token = people.invitation_token(invitation=invitation)
    later = invitation.sent_at + datetime.timedelta(days=settings.INVITATION_DAYS)
    assert people.invitation_link_check(token=token, now=later).state == people.LinkState.OPEN
    later += datetime.timedelta(seconds=1)
    assert people.invitation_link_check(token=token, now=later).state == people.LinkState.EXPIRED
    assert people.invitation_link_check(token=token[:-2] + "xx").state == people.LinkState.UNKNOWN
    assert people.invitation_link_check(token="nonsense").state == people.LinkState.UNKNOWN
    people.invitation_withdraw(invitation=invitation)
    assert people.invitation_link_check(token=token).state == people.LinkState.WITHDRAWN
    with pytest.raises(ValidationError):
        people.invitation_accept(invitation=invitation, password="a long new password 7")


def test_an_existing_account_gets_the_role_at_once_and_an_e_mail(world, sent):
    result = invite(world, sent, email="OUTSIDER@example.org", kind=RoleKind.BACKBONE_STAFF)
    assert result.outcome == people.Outcome.GRANTED
    assert result.role.user == world.outsider
    assert ObjectPermissionChecker(world.outsider).has_perm("manage_network", world.network)
    assert not RoleInvitation.objects.exists()
    [message] = mail.outbox
    assert message.to == ["outsider@example.org"]
    assert "backbone staff of" in message.subject
    assert "user name outsider" in message.body

    with pytest.raises(ValidationError) as refused:  # the same role again changes nothing
        invite(world, sent, email="outsider@example.org", kind=RoleKind.BACKBONE_STAFF)
    assert "already holds this role" in str(refused.value.message_dict["email"])
    assert Role.objects.filter(user=world.outsider).count() == 1
    assert len(mail.outbox) == 1


def test_giving_the_role_to_an_account_made_since_withdraws_the_invitation_to_it(world, sent):
    invitation = invite(world, sent, email="late@example.org").invitation
    late = UserFactory(username="late", email="late@example.org")
    assert invite(world, sent, email="late@example.org").outcome == people.Outcome.GRANTED
    assert Role.objects.get(user=late).organization == world.supplier
    assert not RoleInvitation.objects.get(pk=invitation.pk).is_pending


def test_bad_invitations_change_nothing(world, sent):
    foreign = world.other_network.memberships.get().organization
    with pytest.raises(ValidationError) as refused:
        invite(world, sent, organization=foreign)
    assert "not a current partner" in str(refused.value.message_dict["organization"])
    with pytest.raises(ValidationError) as refused:
        sent(
            people.person_invite,
            network=world.network,
            email="x@example.org",
            kind=RoleKind.PARTNER_STAFF,
            organization=None,
            invited_by=world.backbone,
            base_url=BASE,
        )
    assert "organization" in refused.value.message_dict
    world.outsider.is_active = False
    world.outsider.save()
    with pytest.raises(ValidationError) as refused:
        invite(world, sent, email="outsider@example.org")
    assert "switched off" in str(refused.value.message_dict["email"])
    UserFactory(email="twin@example.org")
    UserFactory(email="Twin@example.org")
    with pytest.raises(ValidationError):
        invite(world, sent, email="twin@example.org")
    assert not RoleInvitation.objects.exists()
    assert not mail.outbox


def test_accepting_after_the_partner_left_is_refused(world, sent):
    invitation = invite(world, sent).invitation
    services.membership_end(membership=world.membership, left_on=timezone.localdate())
    with pytest.raises(ValidationError, match="no longer a partner"):
        people.invitation_accept(invitation=invitation, password="a long new password 7")
    invitation.refresh_from_db()
    assert invitation.is_pending  # the claim rolled back with the refusal
    assert not get_user_model().objects.filter(email=invitation.email).exists()


def test_ending_a_role_takes_access_back_but_never_the_last_backbone_role(world):
    partner_role = Role.objects.get(user=world.partner)
    people.person_role_end(network=world.network, role=partner_role)
    assert not ObjectPermissionChecker(world.partner).has_perm("submit_report", world.supplier)
    assert Role.objects.get(pk=partner_role.pk).ended_at is not None

    own = Role.objects.get(user=world.backbone)
    with pytest.raises(ValidationError, match="last backbone staff role"):
        people.person_role_end(network=world.network, role=own)
    assert Role.objects.get(pk=own.pk).is_current
    services.role_grant(user=world.outsider, kind=RoleKind.BACKBONE_STAFF, scope=world.network)
    people.person_role_end(network=world.network, role=own)  # someone is left to manage it
    assert not ObjectPermissionChecker(world.backbone).has_perm("manage_network", world.network)


def test_people_of_a_network_are_its_backbone_and_its_current_partners_staff(world):
    gone = SupplierFactory(name="Former Partner")
    MembershipFactory(network=world.network, organization=gone, left_on=datetime.date(2024, 1, 1))
    services.role_grant(user=UserFactory(), kind=RoleKind.PARTNER_STAFF, scope=gone)
    ended = UserFactory()
    people.person_role_end(
        network=world.network,
        role=services.role_grant(user=ended, kind=RoleKind.PARTNER_STAFF, scope=world.supplier),
    )
    holders = {(role.user.username, role.kind) for role in people.people_of(network=world.network)}
    assert holders == {("backbone", RoleKind.BACKBONE_STAFF), ("partner", RoleKind.PARTNER_STAFF)}


# Pages


def pages(world):
    slug = world.network.slug
    return {
        "people": reverse("network:people", args=[slug]),
        "person_invite": reverse("network:person_invite", args=[slug]),
        "role_end": reverse("network:role_end", args=[slug, Role.objects.get(user=world.partner).pk]),
    }


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("backbone", OK),
        ("admin", OK),
        ("partner", FORBIDDEN),
        ("state_viewer", FORBIDDEN),
        ("other_backbone", NOT_FOUND),
        ("other_partner", NOT_FOUND),
        ("outsider", NOT_FOUND),
    ],
)
def test_people_pages_role_matrix(world, client_for, role, status):
    client = client_for(getattr(world, role))
    for page, url in pages(world).items():
        assert client.get(url).status_code == status, page
    # Writes refuse the same people, and change nothing.
    if status != OK:
        assert client.post(pages(world)["role_end"]).status_code == status
        response = client.post(
            pages(world)["person_invite"], {"email": "x@example.org", "kind": "backbone_staff"}
        )
        assert response.status_code == status
        assert Role.objects.get(user=world.partner).is_current
        assert not RoleInvitation.objects.exists()


def test_people_pages_send_anonymous_visitors_to_sign_in(world, client):
    for url in pages(world).values():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_people_page_lists_roles_and_pending_invitations(world, client_for, sent):
    world.partner.first_name, world.partner.last_name = "Robin", "Diaz"
    world.partner.save()
    invite(world, sent, email="new@ymca.example.org")
    html = client_for(world.backbone).get(pages(world)["people"]).content.decode()
    assert "Robin Diaz" in html and "partner@example.org" in html and "Prairie YMCA" in html
    assert "new@ymca.example.org" in html and "link expired" not in html
    RoleInvitation.objects.update(sent_at=timezone.now() - datetime.timedelta(days=8))
    assert "link expired" in client_for(world.backbone).get(pages(world)["people"]).content.decode()
    assert world.other_backbone.email not in html and world.state_viewer.email not in html


def test_the_people_page_makes_the_same_number_of_queries_for_more_people(world, client_for, sent):
    client = client_for(world.backbone)
    url = pages(world)["people"]
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == OK
        return len(queries)

    few = count()
    for n in range(5):
        organization = OrganizationFactory()
        MembershipFactory(network=world.network, organization=organization)
        services.role_grant(user=UserFactory(), kind=RoleKind.PARTNER_STAFF, scope=organization)
        invite(world, sent, email=f"person{n}@example.org", organization=organization)
    assert count() == few


def test_inviting_from_the_page_then_accepting_by_the_link(world, client_for, client, sent):
    backbone = client_for(world.backbone)
    response = sent(
        backbone.post,
        path=pages(world)["person_invite"],
        data={
            "email": "pat@ymca.example.org",
            "first_name": "Pat",
            "kind": "partner_staff",
            "organization": world.supplier.pk,
        },
    )
    assert response.status_code == 302 and response["Location"] == pages(world)["people"]
    [message] = mail.outbox
    path = link_in(message)
    assert f"http://testserver{path}" in message.body  # the link is made from the request's host
    backbone.logout()

    page = client.get(path)
    assert page.status_code == OK
    assert "Your user name is <strong>pat@ymca.example.org</strong>" in page.content.decode()
    refused = client.post(path, {"new_password1": "short", "new_password2": "short"})
    assert refused.status_code == BAD
    assert "too short" in refused.content.decode()
    assert not get_user_model().objects.filter(email="pat@ymca.example.org").exists()

    password = "prairie sunflower 42"
    response = client.post(path, {"new_password1": password, "new_password2": password})
    assert response.status_code == 302 and response["Location"] == reverse("network:home")
    home = client.get(reverse("network:home"))
    assert home.context["user"].username == "pat@ymca.example.org"
    assert "Prairie YMCA" in home.content.decode()

    client.logout()
    used = client.get(path)
    assert used.status_code == GONE
    assert "already accepted" in used.content.decode()
    assert get_user_model().objects.get(username="pat@ymca.example.org").check_password(password)


def test_expired_replaced_and_unknown_links_get_a_page_saying_so(world, client, sent, settings):
    invitation = invite(world, sent).invitation
    path = link_in(mail.outbox[0])
    settings.INVITATION_DAYS = 0
    response = client.get(path)
    assert response.status_code == GONE and "has expired" in response.content.decode()
    assert client.post(path, {"new_password1": "x" * 20, "new_password2": "x" * 20}).status_code == GONE
    settings.INVITATION_DAYS = 7
    people.invitation_resend(invitation=invitation, base_url=BASE)
    assert "was replaced" in client.get(path).content.decode()
    response = client.get(reverse("network:invitation_accept", args=["not-a-token"]))
    assert response.status_code == GONE and "does not work" in response.content.decode()
    assert not get_user_model().objects.filter(email=invitation.email).exists()


def test_an_address_with_an_account_by_now_only_accepts(world, client, sent):
    invitation = invite(world, sent, email="late@example.org").invitation
    path = link_in(mail.outbox[0])
    late = UserFactory(username="late", email="late@example.org")
    page = client.get(path)
    assert "You already have an account" in page.content.decode()
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert Role.objects.get(user=late, ended_at__isnull=True).organization == world.supplier
    assert late.check_password("a-test-password-1")  # kept
    assert RoleInvitation.objects.get(pk=invitation.pk).role.user == late


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not an address", "kind": "backbone_staff"}, "email", "Enter a valid email address."),
        ({"email": "a@example.org", "kind": "partner_staff"}, "organization", "Choose the partner whose"),
        ({"email": "a@example.org", "kind": "owner"}, "kind", "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_beside_the_field(world, client_for, data, field, message):
    response = client_for(world.backbone).post(pages(world)["person_invite"], data)
    assert response.status_code == BAD
    html = response.content.decode()
    assert message in html
    assert response.context["form"].errors[field]
    assert not RoleInvitation.objects.exists() and not mail.outbox


def test_an_organization_outside_the_network_is_refused_beside_the_field(world, client_for):
    foreign = world.other_network.memberships.get().organization
    response = client_for(world.backbone).post(
        pages(world)["person_invite"],
        {"email": "a@example.org", "kind": "partner_staff", "organization": foreign.pk},
    )
    assert response.status_code == BAD
    assert response.context["form"].errors["organization"] == [
        "Choose one of the network's current partners."
    ]
    assert not RoleInvitation.objects.exists() and not mail.outbox


def test_ending_a_role_from_the_page(world, client_for):
    backbone = client_for(world.backbone)
    url = pages(world)["role_end"]
    assert "End the role of" in backbone.get(url).content.decode()
    response = backbone.post(url)
    assert response.status_code == 302
    assert not Role.objects.get(user=world.partner).is_current
    assert backbone.get(url).status_code == NOT_FOUND  # ended: no longer among the network's roles

    own = reverse("network:role_end", args=["kansas", Role.objects.get(user=world.backbone).pk])
    page = backbone.get(own).content.decode()
    assert "cannot end" in page and "End the role</button>" not in page
    response = backbone.post(own)
    assert response.status_code == BAD
    assert "last backbone staff role" in response.content.decode()
    assert Role.objects.get(user=world.backbone).is_current

    elsewhere = reverse("network:role_end", args=["kansas", Role.objects.get(user=world.other_backbone).pk])
    assert backbone.post(elsewhere).status_code == NOT_FOUND
    assert Role.objects.get(user=world.other_backbone).is_current


def test_sending_again_and_withdrawing_from_the_page(world, client_for, sent):
    invitation = invite(world, sent).invitation
    resend = reverse("network:invitation_resend", args=["kansas", invitation.pk])
    withdraw = reverse("network:invitation_withdraw", args=["kansas", invitation.pk])
    assert client_for(world.partner).post(withdraw).status_code == FORBIDDEN
    backbone = client_for(world.backbone)
    assert backbone.get(resend).status_code == 405
    response = sent(backbone.post, path=resend)
    assert response.status_code == 302 and len(mail.outbox) == 2
    assert backbone.post(withdraw).status_code == 302
    assert not RoleInvitation.objects.get(pk=invitation.pk).is_pending
    assert backbone.post(withdraw).status_code == NOT_FOUND


HUGE = "99999999999999999999999"  # more than any database integer holds


@pytest.mark.parametrize("value", [HUGE, "²", "", "x" * 3000, "\x00", "0"])
def test_odd_input_is_refused_never_a_500(world, client_for, value):
    backbone = client_for(world.backbone)
    response = backbone.post(
        pages(world)["person_invite"],
        {"email": value, "first_name": value, "last_name": value, "kind": value, "organization": value},
    )
    assert response.status_code == BAD
    for path in ("roles/{}/end/", "invitations/{}/resend/", "invitations/{}/withdraw/"):
        assert backbone.post(f"/networks/kansas/people/{path.format(HUGE)}").status_code == NOT_FOUND
    backbone.logout()
    assert backbone.get(f"/invitations/{value}/").status_code in (GONE, NOT_FOUND)
    password = {"new_password1": value, "new_password2": value}
    assert backbone.post(f"/invitations/{value}x/", password).status_code in (GONE, NOT_FOUND)
    assert not RoleInvitation.objects.exists()
