"""Goals pages (the list, a goal's form, the partners' commitments) and the dashboards: the backbone's,
a partner's, the state's and the site administrators' cross-state view.

Fetch, authorise, call, render: the figures are built in `goals.dashboards`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from core.figures import download_or_none
from core.numbers import as_percent
from goals import dashboards, figures, selectors, services
from goals.forms import CommitmentsForm, GoalForm, dashboard_filters
from goals.models import Goal
from metrics import figure_cache
from metrics.figure_cache import page_arguments, viewer_key
from network import selectors as network_selectors
from network.models import Network
from network.selectors import Access, network_get_for_user, viewer_for, viewer_for_states


def _context(network: Network, access: Access, **extra: object) -> dict[str, object]:
    return {"network": network, "access": access, "can_manage": access == Access.MANAGE, **extra}


# Goals and commitments


@login_required
def goal_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The network's goals: every member sees them; backbone staff set them."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    viewer = viewer_for(user=request.user, network=network, access=access)
    goals = list(selectors.goal_list(network=network, viewer=viewer))
    standings = selectors.goal_standings_for(
        goals=list(selectors.goals_of(network_ids=[network.pk])),
        today=timezone.localdate(),
        viewer=viewer,
    )
    by_goal = {standing.goal.pk: standing for standing in standings}
    rows = [(goal, by_goal[goal.pk]) for goal in goals]
    return render(
        request,
        "goals/goal_list.html",
        _context(network, access, rows=rows, withheld=figures.Withheld()),
    )


@login_required
def goal_create(request: HttpRequest, slug: str) -> HttpResponse:
    return _goal_form(request, slug, pk=None)


@login_required
def goal_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _goal_form(request, slug, pk=pk)


def _goal_form(request: HttpRequest, slug: str, *, pk: int | None) -> HttpResponse:
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    goal = selectors.goal_get(network=network, pk=pk) if pk else None
    form = GoalForm(request.POST or None, goal=goal)
    if request.method == "POST" and form.is_valid():
        try:
            if goal is None:
                saved = services.goal_create(network=network, **form.cleaned_data)
            else:
                saved = services.goal_update(goal=goal, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved the goal “{saved.name}”: the target is {saved.target:,}.")
            if goal is None:
                return redirect("goals:goal_commitments", slug=network.slug, pk=saved.pk)
            return redirect("goals:goal_list", slug=network.slug)
    return render(request, "goals/goal_form.html", _context(network, access, form=form, goal=goal))


@login_required
def goal_commitments(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A table of the current partners with what each commits to the goal."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    goal = selectors.goal_get(network=network, pk=pk)
    partners = list(selectors.partners_for_commitments(network=network))
    commitments = list(goal.commitments.select_related("organization"))
    amounts = {commitment.organization_id: commitment.amount for commitment in commitments}
    form = CommitmentsForm(request.POST or None, partners=partners, amounts=amounts)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.commitments_set(goal=goal, amounts=form.amounts())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            total = sum(commitment.amount for commitment in saved)
            messages.success(
                request,
                f"Saved {len(saved)} commitment{'s' * (len(saved) != 1)} to “{goal.name}”: "
                f"{total:,} of the target of {goal.target:,}.",
            )
            return redirect("goals:goal_commitments", slug=network.slug, pk=goal.pk)
    current = {organization.pk for organization in partners}
    committed = sum(amounts.values())
    return render(
        request,
        "goals/goal_commitments.html",
        _context(
            network,
            access,
            goal=goal,
            form=form,
            committed=committed,
            coverage=as_percent(committed / goal.target if goal.target else None),
            former=[c for c in commitments if c.organization_id not in current],
        ),
    )


# Dashboards


@login_required
def dashboard_network(request: HttpRequest, slug: str) -> HttpResponse:
    """Backbone staff: progress against each goal, the trend, the partners, completeness, contracts."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    today = timezone.localdate()
    goals: list[Goal] = list(selectors.goals_of(network_ids=[network.pk]))
    form, filters = dashboard_filters(request.GET, today=today, measures=selectors.measures(), goals=goals)
    board = figure_cache.cached(
        name="dashboard-network",
        network_ids=[network.pk],
        parts=[page_arguments(request.GET), today],
        build=lambda: dashboards.network_dashboard(
            network=network, goals=goals, filters=filters, today=today
        ),
    )
    if download := download_or_none(request, *board.tables):
        return download
    return render(request, "goals/dashboard_network.html", _context(network, access, form=form, board=board))


@login_required
def dashboard_partner(request: HttpRequest, slug: str, organization_id: int) -> HttpResponse:
    """A partner's progress against its commitments, its own trend and the network's aggregate trend."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    organization, viewer = selectors.partner_get_for_dashboard(
        user=request.user, network=network, access=access, organization_id=organization_id
    )
    today = timezone.localdate()
    goals = list(selectors.goals_of(network_ids=[network.pk]))
    form, filters = dashboard_filters(request.GET, today=today, measures=selectors.measures())
    board = figure_cache.cached(
        name="dashboard-partner",
        network_ids=[network.pk],
        parts=[organization.pk, viewer_key(viewer), page_arguments(request.GET), today],
        build=lambda: dashboards.partner_dashboard(
            network=network,
            organization=organization,
            goals=goals,
            filters=filters,
            today=today,
            viewer=viewer,
        ),
    )
    if download := download_or_none(request, *board.tables):
        return download
    return render(
        request,
        "goals/dashboard_partner.html",
        _context(network, access, form=form, board=board, organization=organization),
    )


@login_required
def dashboard_state(request: HttpRequest, code: str) -> HttpResponse:
    """The state health department: every network in the state side by side, and the statewide trend."""
    state = network_selectors.state_get_for_viewer(user=request.user, code=code)
    today = timezone.localdate()
    form, filters = dashboard_filters(request.GET, today=today, measures=selectors.measures())
    viewer = viewer_for_states(user=request.user, states=[state])
    board = figure_cache.cached(
        name="dashboard-state",
        network_ids=selectors.network_ids_in(states=[state]),
        parts=[state.pk, viewer_key(viewer), page_arguments(request.GET), today],
        build=lambda: dashboards.state_dashboard(state=state, filters=filters, today=today, viewer=viewer),
    )
    if download := download_or_none(request, *board.tables):
        return download
    return render(request, "goals/dashboard_state.html", {"state": state, "form": form, "board": board})


@login_required
def dashboard_states(request: HttpRequest) -> HttpResponse:
    """Site administrators: the networks of every state compared."""
    if not request.user.is_superuser:
        raise Http404("No such page.")
    today = timezone.localdate()
    form, filters = dashboard_filters(request.GET, today=today, measures=selectors.measures())
    viewer = viewer_for_states(user=request.user)
    board = figure_cache.cached(
        name="dashboard-states",
        network_ids=selectors.network_ids_in(),
        parts=[viewer_key(viewer), page_arguments(request.GET), today],
        build=lambda: dashboards.cross_state_dashboard(filters=filters, today=today, viewer=viewer),
    )
    if download := download_or_none(request, *board.tables):
        return download
    return render(request, "goals/dashboard_states.html", {"form": form, "board": board})
