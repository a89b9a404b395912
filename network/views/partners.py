"""The network's overview, its partner directory and partner pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from core.figures import download_or_none
from network import figures, selectors, services
from network.forms import DirectoryFilterForm, MembershipForm
from network.selectors import Access, DirectoryFilters
from partners import services as partner_services
from partners.forms import ContactForm, OrganizationForm
from partners.models import Organization


@login_required
def network_detail(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    summary = selectors.network_summary(network=network)
    table, sector_chart = figures.sector_figures(summary)
    if download := download_or_none(request, table):
        return download
    return render(
        request,
        "network/network_detail.html",
        {
            "network": network,
            "access": access,
            "can_manage": access == Access.MANAGE,
            "summary": summary,
            "sector_table": table,
            "sector_chart": sector_chart,
            "workgroups": network.workgroups.all(),
        },
    )


@login_required
def partner_directory(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    form = DirectoryFilterForm(request.GET or None, state_id=network.state_id)
    filters = DirectoryFilters(**form.cleaned_data) if form.is_valid() else DirectoryFilters()
    memberships = selectors.partner_directory(network=network, filters=filters)
    return render(
        request,
        "network/partner_directory.html",
        {
            "network": network,
            "access": access,
            "form": form,
            "memberships": memberships,
            "filtered": any(vars(filters).values()),
        },
    )


@login_required
def partner_detail(request: HttpRequest, slug: str, organization_id: int) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    membership = selectors.membership_get(network=network, organization_id=organization_id)
    return render(
        request,
        "network/partner_detail.html",
        {
            "network": network,
            "access": access,
            **selectors.partner_profile(network=network, membership=membership),
            "sharing_history": selectors.data_sharing_history(membership=membership),
            "choice_history": selectors.choice_history(membership=membership),
        },
    )


@login_required
def partner_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a new organization to the registry and make it a partner of the network."""
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    org_form = OrganizationForm(request.POST or None, prefix="org", state=network.state)
    membership_form = MembershipForm(
        request.POST or None, prefix="membership", initial={"joined_on": timezone.localdate()}
    )
    if request.method == "POST" and org_form.is_valid() and membership_form.is_valid():
        organization = org_form.save(commit=False)
        try:
            services.partner_add(
                network=network,
                organization=organization,
                many=org_form.many(),
                joined_on=membership_form.cleaned_data["joined_on"],
                reports_monthly=membership_form.cleaned_data["reports_monthly"],
            )
        except ValidationError as error:
            org_form.add_error(None, error)
        else:
            messages.success(request, f"{organization} is now a partner in {network}.")
            return redirect("network:partner_detail", slug=network.slug, organization_id=organization.pk)
    return render(
        request,
        "network/partner_form.html",
        {
            "network": network,
            "access": access,
            "org_form": org_form,
            "membership_form": membership_form,
            "adding": True,
        },
    )


@login_required
def partner_edit(request: HttpRequest, slug: str, organization_id: int) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    membership = selectors.membership_get(network=network, organization_id=organization_id)
    org_form = OrganizationForm(request.POST or None, instance=membership.organization, prefix="org")
    membership_form = MembershipForm(request.POST or None, instance=membership, prefix="membership")
    if request.method == "POST" and org_form.is_valid() and membership_form.is_valid():
        services.partner_update(
            organization=org_form.save(commit=False),
            many=org_form.many(),
            membership=membership_form.save(commit=False),
        )
        messages.success(request, f"Saved the changes to {membership.organization}.")
        return redirect("network:partner_detail", slug=network.slug, organization_id=organization_id)
    return render(
        request,
        "network/partner_form.html",
        {
            "network": network,
            "access": access,
            "org_form": org_form,
            "membership_form": membership_form,
            "membership": membership,
        },
    )


@login_required
def contact_add(request: HttpRequest, slug: str, organization_id: int) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    membership = selectors.membership_get(network=network, organization_id=organization_id)
    return contact_form_page(
        request,
        membership.organization,
        template_context={"network": network, "access": access},
        done=("network:partner_detail", {"slug": network.slug, "organization_id": organization_id}),
    )


def contact_form_page(
    request: HttpRequest, organization: Organization, *, template_context: dict, done: tuple[str, dict]
) -> HttpResponse:
    """Add a contact to an organization; shared by the backbone's and the partner's own pages."""
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contact = form.save(commit=False)
        contact.organization = organization
        try:
            partner_services.contact_save(contact=contact)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Added {contact.name} as a contact of {organization}.")
            return redirect(done[0], **done[1])
    return render(
        request, "network/contact_form.html", {"form": form, "organization": organization, **template_context}
    )
