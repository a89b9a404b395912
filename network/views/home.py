"""Each user's home page: one section per role they hold."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from network import selectors
from network.models import ContractStage, Network, RoleKind


def _with_summary(networks):
    """Networks annotated with the figures their cards show, in one query."""
    return networks.annotate(
        partner_count=Count("memberships", filter=Q(memberships__left_on__isnull=True), distinct=True),
        workgroup_count=Count("workgroups", distinct=True),
        contracts_open=Count(
            "contracts",
            filter=Q(
                contracts__stage__in=[ContractStage.PLANNED, ContractStage.DRAFTING, ContractStage.IN_REVIEW]
            ),
            distinct=True,
        ),
    ).order_by("state__name", "name")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    roles = list(selectors.current_roles(user=user))
    kinds = {role.kind for role in roles}
    managed = (
        _with_summary(selectors.networks_managed_by(user=user)) if RoleKind.BACKBONE_STAFF in kinds else []
    )
    organizations = (
        selectors.organizations_with_memberships(user=user) if RoleKind.PARTNER_STAFF in kinds else []
    )
    states = (
        [
            (state, _with_summary(Network.objects.filter(state=state).select_related("backbone")))
            for state in selectors.states_viewed_by(user=user)
        ]
        if RoleKind.STATE_VIEWER in kinds
        else []
    )
    every_network = (
        _with_summary(Network.objects.select_related("state", "backbone")) if user.is_superuser else []
    )
    return render(
        request,
        "network/home.html",
        {
            "roles": roles,
            "managed": managed,
            "organizations": organizations,
            "states": states,
            "every_network": every_network,
        },
    )
