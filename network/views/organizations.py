"""A partner's own organization: its profile, contacts and data-sharing choices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from network import selectors, services
from network.forms import DataSharingForm
from network.views.partners import contact_form_page
from partners import services as partner_services
from partners.forms import OrganizationForm


@login_required
def organization_detail(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = selectors.organization_get_for_user(user=request.user, pk=organization_id)
    memberships = selectors.organization_memberships_current(organization=organization)
    return render(
        request,
        "network/organization_detail.html",
        {
            "organization": organization,
            # Site administrators see the choice and its history; only the partner's staff change it.
            "may_set_sharing": selectors.speaks_for_partner(user=request.user, organization=organization),
            "sharing_forms": [
                (membership, DataSharingForm(instance=membership, prefix=f"m{membership.pk}"))
                for membership in memberships
            ],
            "contacts": organization.contacts.all(),
        },
    )


@login_required
def organization_edit(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = selectors.organization_get_for_user(user=request.user, pk=organization_id)
    form = OrganizationForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            partner_services.organization_save(organization=form.save(commit=False), many=form.many())
        messages.success(request, "Your organization's profile is saved.")
        return redirect("network:organization_detail", organization_id=organization.pk)
    return render(request, "network/organization_form.html", {"organization": organization, "form": form})


@login_required
@require_POST
def organization_data_sharing(request: HttpRequest, organization_id: int, membership_id: int) -> HttpResponse:
    organization = selectors.organization_get_for_user(user=request.user, pk=organization_id)
    membership = get_object_or_404(organization.memberships.current(), pk=membership_id)
    if not selectors.speaks_for_partner(user=request.user, organization=organization):
        raise PermissionDenied("Only the partner's own staff may choose who sees its identified figures.")
    form = DataSharingForm(request.POST, instance=membership, prefix=f"m{membership.pk}")
    if not form.is_valid():
        messages.error(request, "Choose who may see your identified figures.")
        return redirect("network:organization_detail", organization_id=organization.pk)
    try:
        with transaction.atomic():
            services.membership_set_data_sharing(
                membership=membership, data_sharing=form.cleaned_data["data_sharing"], changed_by=request.user
            )
            services.membership_set_choices(
                membership=membership,
                outcomes_shared=form.cleaned_data["outcomes_shared"],
                named_publicly=form.cleaned_data["named_publicly"],
                changed_by=request.user,
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        outcomes = "shared with" if membership.outcomes_shared else "not shared with"
        named = "names" if membership.named_publicly else "does not name"
        messages.success(
            request,
            f"{membership.network}: your identified figures go to {membership.get_data_sharing_display()}; "
            f"your program outcomes are {outcomes} the network; its public scorecard {named} you.",
        )
    return redirect("network:organization_detail", organization_id=organization.pk)


@login_required
def organization_contact_add(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = selectors.organization_get_for_user(user=request.user, pk=organization_id)
    return contact_form_page(
        request,
        organization,
        template_context={},
        done=("network:organization_detail", {"organization_id": organization.pk}),
    )
