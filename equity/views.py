"""The equity pages: a breakdown against the eligible population (network, partner or state), the
coverage gaps, and the estimates import for site administrators.

Fetch, authorise, call, render: the figures are built in `equity.boards`.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from core.figures import download_or_none
from core.ids import id_or_none
from core.problems import ReportRefused
from equity import boards, selectors, services
from equity.forms import EquityFilters, EquityForm, EstimatesImportForm, equity_filters
from equity.models import EstimateSource
from equity.selectors import Scope
from goals.selectors import measures
from metrics import figure_cache
from metrics.figure_cache import page_arguments, viewer_key
from network.models import Network
from network.selectors import Access, network_get_for_user, partners_current

Board = boards.EquityBoard | boards.CoverageBoard


def _network_filters(
    request: HttpRequest, network: Network, access: Access
) -> tuple[EquityForm, EquityFilters, Scope]:
    """The filters and the scope of a network's equity pages; a partner is offered to those who may
    see its own figures (backbone staff: every partner; partner staff: their own; state viewers: those
    sharing with the state)."""
    requested = request.GET.get("organization", "")
    # A partner the viewer may not see is refused (403; 404 if it never was a partner) before the form
    # would quietly fall back to the whole network.
    scope = selectors.network_scope(
        user=request.user,
        network=network,
        access=access,
        organization_id=id_or_none(requested),
    )
    partners = partners_current(network=network)
    if not scope.viewer.sees_all_of(network.pk):
        partners = partners.filter(pk__in=scope.viewer.known_in(network.pk))
    form, filters = equity_filters(
        request.GET,
        today=timezone.localdate(),
        measures=measures(),
        breakdowns=selectors.breakdowns(),
        organizations=list(partners.distinct()),
    )
    if filters.organization_id is None and scope.organization is not None:
        # The form fell back to its defaults (another filter was wrong): so does the scope.
        scope = selectors.network_scope(
            user=request.user, network=network, access=access, organization_id=None
        )
    return form, filters, scope


def _cached(request: HttpRequest, name: str, scope: Scope, make: Callable[[], Board]) -> Board:
    """The page's board from the figures' cache while nothing it was made from changed."""
    networks = [network.pk for network in scope.networks] or ([scope.network.pk] if scope.network else [])
    return figure_cache.cached(
        name=name,
        network_ids=networks,
        parts=[
            scope.state.pk,
            scope.network.pk if scope.network else None,
            scope.organization.pk if scope.organization else None,
            viewer_key(scope.viewer),
            page_arguments(request.GET),
            timezone.localdate(),
        ],
        build=make,
    )


def _page(request: HttpRequest, template: str, board: Board, **context: object) -> HttpResponse:
    """The CSV of the table asked for, or the page."""
    if download := download_or_none(request, *board.tables):
        return download
    return render(request, template, {"board": board, "scope": board.scope, **context})


@login_required
def network_equity(request: HttpRequest, slug: str) -> HttpResponse:
    """Everyone who may see the network: its counts by group against the eligible population."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    form, filters, scope = _network_filters(request, network, access)
    board = _cached(
        request,
        "equity-network",
        scope,
        lambda: boards.equity_board(scope=scope, filters=filters, today=timezone.localdate()),
    )
    return _page(request, "equity/equity.html", board, network=network, access=access, form=form)


@login_required
def network_coverage(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    form, filters, scope = _network_filters(request, network, access)
    board = _cached(
        request,
        "coverage-network",
        scope,
        lambda: boards.coverage_board(scope=scope, filters=filters, today=timezone.localdate()),
    )
    return _page(request, "equity/coverage.html", board, network=network, access=access, form=form)


def _state_filters(request: HttpRequest, code: str) -> tuple[EquityForm, EquityFilters, Scope]:
    scope = selectors.state_scope(user=request.user, code=code)
    form, filters = equity_filters(
        request.GET, today=timezone.localdate(), measures=measures(), breakdowns=selectors.breakdowns()
    )
    return form, filters, scope


@login_required
def state_equity(request: HttpRequest, code: str) -> HttpResponse:
    """The state's viewers: the whole state's counts by group against the eligible population."""
    form, filters, scope = _state_filters(request, code)
    board = _cached(
        request,
        "equity-state",
        scope,
        lambda: boards.equity_board(scope=scope, filters=filters, today=timezone.localdate()),
    )
    return _page(request, "equity/equity.html", board, state=scope.state, form=form)


@login_required
def state_coverage(request: HttpRequest, code: str) -> HttpResponse:
    form, filters, scope = _state_filters(request, code)
    board = _cached(
        request,
        "coverage-state",
        scope,
        lambda: boards.coverage_board(scope=scope, filters=filters, today=timezone.localdate()),
    )
    return _page(request, "equity/coverage.html", board, state=scope.state, form=form)


@login_required
def estimates(request: HttpRequest) -> HttpResponse:
    """Site administrators: the estimates' sources, and a CSV import that replaces what it covers."""
    if not request.user.is_superuser:
        raise Http404("No such page.")
    form = EstimatesImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        try:
            source = services.estimates_import(
                data=form.cleaned_data["file"].read(),
                name=form.cleaned_data["name"],
                year=form.cleaned_data["year"],
                url=form.cleaned_data["url"],
                notes=form.cleaned_data["notes"],
                user=request.user,
            )
        except ReportRefused as refused:
            problems = refused.problems
        else:
            messages.success(request, f"Imported {source.estimates.count():,} estimates from “{source}”.")
            return redirect("equity:estimates")
    sources = EstimateSource.objects.select_related("imported_by").order_by("-imported_at")
    return render(
        request,
        "equity/estimates.html",
        {"form": form, "problems": problems, "sources": selectors.sources_in_use(sources)},
        status=400 if problems else 200,
    )
