"""Each user's home page: a to-do list for each place they work in (`network.todo`), every item a
link, with the pages of each place one step away."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from network import todo
from network.models import ContractStage, Network


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
    work = todo.work_of(user=user, today=timezone.localdate())
    tasks = todo.tasks_for(work)
    managed = [
        (network, tasks.get(todo.network_place(network.pk), []))
        for network in _with_summary(Network.objects.filter(pk__in=[n.pk for n in work.managed]))
    ]
    partnerships = [
        (membership, tasks.get(todo.partner_place(membership.pk), [])) for membership in work.partnerships
    ]
    states = [
        (
            state,
            [
                (network, tasks.get(todo.state_network_place(network.pk), []))
                for network in work.state_networks
                if network.state_id == state.pk
            ],
        )
        for state in work.states
    ]
    every_network = (
        _with_summary(Network.objects.select_related("state", "backbone")) if user.is_superuser else []
    )
    return render(
        request,
        "network/home.html",
        {
            "work": work,
            "managed": managed,
            "partnerships": partnerships,
            "organizations": work.organizations,
            "states": states,
            "every_network": every_network,
            "actions": sum(t.count for found in tasks.values() for t in found if t.tone == todo.Tone.ACTION),
        },
    )
