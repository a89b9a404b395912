"""Who works with whom: recorded ties, the network map (backbone staff), and the network-level figures
over rounds (everyone who may view the network)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date

from core import figures
from network import selectors
from network.models import Network
from network.partnership import ties
from network.partnership.forms import EARLIEST_DAY, LATEST_DAY, MapForm, TieEndForm, TieForm, TrendForm
from network.selectors import Access


def _context(network: Network, access: Access, **extra: object) -> dict[str, object]:
    return {"network": network, "access": access, "can_manage": access == Access.MANAGE, **extra}


@login_required
def tie_list(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    rows = ties.ties_for_network(network=network)
    return render(request, "network/tie_list.html", _context(network, access, rows=rows))


@login_required
def tie_create(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    form = TieForm(
        request.POST or None,
        partners=selectors.partners_current(network=network),
        initial={"started_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            tie = ties.tie_record(network=network, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Recorded the tie {tie}.")
            return redirect("network:tie_list", slug=network.slug)
    return render(request, "network/tie_form.html", _context(network, access, form=form))


@login_required
def tie_end(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    tie = ties.tie_get(network=network, pk=pk)
    form = TieEndForm(request.POST or None, initial={"ended_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            ties.tie_end(tie=tie, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Recorded the end of the tie {tie}.")
            return redirect("network:tie_list", slug=network.slug)
    return render(request, "network/tie_end.html", _context(network, access, tie=tie, form=form))


@login_required
def network_map(request: HttpRequest, slug: str) -> HttpResponse:
    """The map of who works with whom, and each partner's connections, trust and value."""
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    form = MapForm(request.GET, today=timezone.localdate())
    graph = ties.network_graph(network=network, filters=form.filters())
    ratings = ties.partner_ratings(survey_round=graph.survey_round)
    partner_table = ties.map_partner_table(graph=graph, ratings=ratings)
    connection_table = ties.map_connection_table(graph=graph)
    if download := figures.download_or_none(request, partner_table, connection_table):
        return download
    positions = ties.map_positions(graph=graph)
    return render(
        request,
        "network/map.html",
        _context(
            network,
            access,
            form=form,
            graph=graph,
            chart=ties.map_figure(graph=graph, ratings=ratings, positions=positions),
            search_data=ties.map_search_data(graph=graph, positions=positions),
            partner_rows=zip(ties.map_partner_ids(graph=graph), partner_table.rows, strict=True),
            partner_table=partner_table,
            connection_table=connection_table,
        ),
    )


@login_required
def map_organization(request: HttpRequest, slug: str, organization_id: int) -> HttpResponse:
    """One partner's ties and what its partners said about it in the survey: backbone staff only."""
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    membership = selectors.membership_get(network=network, organization_id=organization_id)
    on = _date_or_today(request.GET.get("on", ""))
    detail = ties.partner_relationships(network=network, organization=membership.organization, on=on)
    return render(
        request,
        "network/map_organization.html",
        _context(
            network, access, membership=membership, organization=membership.organization, on=on, detail=detail
        ),
    )


@login_required
def map_trend(request: HttpRequest, slug: str) -> HttpResponse:
    """Density and degree centralization over rounds: network-level figures, for all who may view."""
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    form = TrendForm(request.GET if "min_closeness" in request.GET else None)
    trend = ties.graph_trend(network=network, min_closeness=form.min_closeness_or_default())
    table = ties.trend_table(trend=trend)
    if download := figures.download_or_none(request, table):
        return download
    return render(
        request,
        "network/map_trend.html",
        _context(
            network,
            access,
            form=form,
            trend=trend,
            survey=ties.trend_latest_survey(trend=trend),
            today=trend[-1],
            chart=ties.trend_figure(trend=trend),
            table=table,
        ),
    )


def _date_or_today(text: str) -> datetime.date:
    """The day in the link (from the map's own form), or today where it is missing, wrong or outside
    the days the map's form takes."""
    try:
        day = parse_date(text)
    except ValueError:
        day = None
    return day if day is not None and EARLIEST_DAY <= day <= LATEST_DAY else timezone.localdate()
