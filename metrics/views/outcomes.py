"""The program outcome pages (retention and the outcomes of the DPRP Standards, from partners' DPRP
files): a partner's own, the backbone's for its network, and the state's.

Fetch, authorise, call, render: who sees what is decided in `metrics.outcome_publication`, the tables
and charts are built in `metrics.outcome_selectors`. Each page makes the same number of queries whatever
the number of partners.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from core.disclosure import note
from core.figures import download_or_none
from metrics import outcome_selectors as selectors
from metrics.forms import OutcomeBreakdownForm
from metrics.models import Breakdown
from metrics.outcome_publication import OutcomePublications, outcome_publications
from metrics.outcomes import MEASURES, RETAINED
from network.models import Network
from network.selectors import (
    Access,
    network_get_for_user,
    state_get_for_viewer,
    viewer_for,
    viewer_for_states,
)

# The definitions box lists retention once, not for each of the twelve months.
DEFINED = [measure for measure in MEASURES if measure not in RETAINED[1:]]


def _breakdown(
    request: HttpRequest, publications: OutcomePublications
) -> tuple[OutcomeBreakdownForm, Breakdown]:
    """The equity view's breakdown: the one asked for, else the default (or the first with counts)."""
    choices = selectors.breakdowns()
    form = OutcomeBreakdownForm(request.GET or None, breakdowns=choices)
    counted = set(publications.breakdown_of.values())
    breakdown = selectors.breakdown_chosen(choices, form.asked(), counted)
    form.show(breakdown.code)
    return form, breakdown


def _render(request: HttpRequest, template: str, board: object, **context: object) -> HttpResponse:
    if download := download_or_none(request, *board.tables):  # type: ignore[attr-defined]
        return download
    return render(
        request,
        template,
        {
            "board": board,
            "definitions": DEFINED,
            "retained_m1": RETAINED[0],
            "gap": selectors.GAP_POINTS,
            "smallest": selectors.SMALLEST_GROUP,
            **context,
        },
    )


@login_required
def outcomes_partner(request: HttpRequest, slug: str, organization_id: int) -> HttpResponse:
    """A partner's own cohorts (its staff see them whatever it chose) beside the network's published."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    viewer = viewer_for(user=request.user, network=network, access=access)
    membership = selectors.outcome_partner_get(
        network=network, organization_id=organization_id, viewer=viewer
    )
    # A viewer of the state's page sees the network's cells as solved there, with the state's: two
    # patterns of hidden cells for one viewer could be set against each other.
    statewide = network.state_id in viewer.states
    networks = [network]
    if statewide:
        networks = list(Network.objects.filter(state_id=network.state_id).select_related("state"))
    publications = outcome_publications(
        networks=networks, viewer=viewer, today=timezone.localdate(), with_states=statewide
    )
    board = selectors.outcomes_partner(publications=publications, membership=membership, network=network)
    return _render(
        request,
        "metrics/outcomes_partner.html",
        board,
        network=network,
        access=access,
        organization=membership.organization,
        own_staff=organization_id in viewer.organization_ids,
        note=note(board.network.publication.threshold),
    )


@login_required
def outcomes_network(request: HttpRequest, slug: str) -> HttpResponse:
    """Backbone staff: the network's total of sharing partners, each of them, and the equity breakdown."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    viewer = viewer_for(user=request.user, network=network, access=access)
    publications = outcome_publications(networks=[network], viewer=viewer, today=timezone.localdate())
    form, breakdown = _breakdown(request, publications)
    board = selectors.outcomes_network(publications=publications, network=network, breakdown=breakdown)
    return _render(request, "metrics/outcomes_network.html", board, network=network, access=access, form=form)


@login_required
def outcomes_state(request: HttpRequest, code: str) -> HttpResponse:
    """The state's viewers: the state's cohorts and each network's, published; the equity breakdown."""
    state = state_get_for_viewer(user=request.user, code=code)
    viewer = viewer_for_states(user=request.user, states=[state])
    networks = list(Network.objects.filter(state=state).select_related("state").order_by("name"))
    publications = outcome_publications(
        networks=networks, viewer=viewer, today=timezone.localdate(), with_states=True
    )
    form, breakdown = _breakdown(request, publications)
    board = selectors.outcomes_state(
        publications=publications, state=state, networks=networks, breakdown=breakdown
    )
    return _render(
        request,
        "metrics/outcomes_state.html",
        board,
        state=state,
        form=form,
        note=note(board.state.publication.threshold),
    )


urlpatterns = [
    path("networks/<slug:slug>/outcomes/", outcomes_network, name="outcomes_network"),
    path(
        "networks/<slug:slug>/organizations/<int:organization_id>/outcomes/",
        outcomes_partner,
        name="outcomes_partner",
    ),
    path("states/<str:code>/outcomes/", outcomes_state, name="outcomes_state"),
]
