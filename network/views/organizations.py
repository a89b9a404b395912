"""A partner's own organization: its profile, contacts and data-sharing choices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
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
    memberships = organization.memberships.filter(left_on__isnull=True).select_related(
        "network", "network__state"
    )
    return render(
        request,
        "network/organization_detail.html",
        {
            "organization": organization,
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
    membership = get_object_or_404(organization.memberships, pk=membership_id, left_on__isnull=True)
    form = DataSharingForm(request.POST, instance=membership, prefix=f"m{membership.pk}")
    if form.is_valid():
        services.membership_set_data_sharing(
            membership=membership, data_sharing=form.cleaned_data["data_sharing"]
        )
        messages.success(
            request,
            f"{membership.network}: your identified figures go to {membership.get_data_sharing_display()}.",
        )
    else:
        messages.error(request, "Choose who may see your identified figures.")
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
