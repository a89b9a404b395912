"""People of a network, for its backbone staff: who holds a role, invitations, ending a role; and the
invitation link, which needs no sign-in."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from network import people, selectors
from network.forms import PersonInviteForm
from network.models import Network, RoleKind
from network.selectors import Access


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _manage(request: HttpRequest, slug: str) -> Network:
    network, _ = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    return network


@login_required
def people_list(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    return render(
        request,
        "network/people.html",
        {
            "network": network,
            "access": access,
            "roles": people.people_of(network=network),
            "invitations": people.invitations_pending(network=network),
            "lifetime": people.invitation_lifetime(),
            "sent_before_expired": timezone.now() - people.invitation_lifetime(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_invite(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    form = PersonInviteForm(
        request.POST or None, network=network, partners=selectors.partners_current(network=network)
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = people.person_invite(
                network=network, invited_by=request.user, base_url=_base_url(request), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            email = form.cleaned_data["email"]
            role = people.role_words(role=result.role or result.invitation, network=network)  # type: ignore[arg-type]
            if result.outcome == people.Outcome.GRANTED:
                messages.success(
                    request, f"{email} already had an account: they are now {role}, and told so."
                )
            elif result.outcome == people.Outcome.RESENT:
                messages.success(request, f"Sent the invitation to {email} again, with a new link.")
            else:
                messages.success(request, f"Invited {email} as {role}.")
            return redirect("network:people", slug=network.slug)
    return render(
        request,
        "network/person_invite.html",
        {"network": network, "access": access, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def role_end(request: HttpRequest, slug: str, role_id: int) -> HttpResponse:
    """Confirm, then end a role in the network."""
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    role = people.role_get_in_network(network=network, role_id=role_id)
    error = people.role_end_refusal(network=network, role=role)
    if request.method == "POST" and not error:
        try:
            people.person_role_end(network=network, role=role)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            words = people.role_words(role=role, network=network)
            messages.success(request, f"{role.user.get_full_name() or role.user.email} is no longer {words}.")
            if role.user_id == request.user.pk and role.kind == RoleKind.BACKBONE_STAFF:
                return redirect("network:home")  # they no longer manage the network
            return redirect("network:people", slug=network.slug)
    return render(
        request,
        "network/role_end.html",
        {
            "network": network,
            "access": access,
            "role": role,
            "role_words": people.role_words(role=role, network=network),
            "is_self": role.user_id == request.user.pk,
            "error": error,
        },
        status=400 if error and request.method == "POST" else 200,
    )


@login_required
def invitation_resend(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network = _manage(request, slug)
    invitation = people.invitation_get_pending(network=network, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    people.invitation_resend(invitation=invitation, base_url=_base_url(request))
    messages.success(request, f"Sent the invitation to {invitation.email} again, with a new link.")
    return redirect("network:people", slug=network.slug)


@login_required
def invitation_withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network = _manage(request, slug)
    invitation = people.invitation_get_pending(network=network, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    people.invitation_withdraw(invitation=invitation)
    messages.success(request, f"Withdrew the invitation to {invitation.email}: its link no longer works.")
    return redirect("network:people", slug=network.slug)


# Accepting, by the e-mailed link: no sign-in.


@never_cache  # a password form reached by a secret link: no shared cache may keep it
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invited person chooses a password; the account is made with the role, and they are signed in.
    A used, expired, replaced, withdrawn or unknown link gets a page saying so and what to do (410)."""
    link = people.invitation_link_check(token=token)
    invitation = link.invitation
    if link.state != people.LinkState.OPEN or invitation is None:
        return render(
            request, "network/invitation_closed.html", {"link": link, "invitation": invitation}, status=410
        )
    network = invitation.network
    # An account made for the address since the invitation (by another invitation, say) keeps its
    # password: the person only accepts.
    has_account = people.invitation_has_account(invitation=invitation)
    account = people.invitation_new_account(invitation=invitation)
    form = SetPasswordForm(account, request.POST or None)
    if request.method == "POST" and (has_account or form.is_valid()):
        try:
            user, created = people.invitation_accept(
                invitation=invitation, password="" if has_account else form.cleaned_data["new_password1"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            role = people.role_words(role=invitation, network=network)
            if not created:
                messages.success(
                    request, f"You are now {role}. Sign in with your account, {user.get_username()}."
                )
                return redirect("login")
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, f"Welcome: you are now {role}. Your user name is {user.get_username()}."
            )
            return redirect("network:home")
    return render(
        request,
        "network/invitation_accept.html",
        {
            "invitation": invitation,
            "network": network,
            "role_words": people.role_words(role=invitation, network=network),
            "username": account.get_username(),
            "has_account": has_account,
            "form": form,
        },
        status=400 if form.is_bound and form.errors else 200,
    )
