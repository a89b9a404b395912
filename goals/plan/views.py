"""Pages of the work plan: the plan with its filters and counts, a strategy's and an action's forms, an
action's status, and an action item recorded at a meeting. Every member of the network sees the plan;
backbone staff manage it; partner staff move their own organization's actions along.

Fetch, authorise, call, render: the rules are in `goals.plan.services` and `goals.plan.selectors`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from core.calendar import long_date
from core.figures import Table, download_or_none
from goals.models import ActionStatus
from goals.plan import selectors, services
from goals.plan.forms import ActionForm, PlanFilterForm, StatusForm, StrategyForm
from goals.plan.selectors import WorkPlan
from network.models import Network
from network.selectors import Access, network_get_for_user


def _context(network: Network, access: Access, **extra: object) -> dict[str, object]:
    return {"network": network, "access": access, "can_manage": access == Access.MANAGE, **extra}


def _plan_table(network: Network, plan: WorkPlan) -> Table:
    """The actions shown, as a CSV download."""
    rows = [
        [
            action.title,
            plan_strategy.strategy.title if plan_strategy.strategy else "",
            section.title if plan_strategy.strategy else "",
            action.owner_name,
            action.due_on.isoformat(),
            action.get_status_display(),
            "yes" if action.overdue else "no",
            action.meeting.title if action.meeting else "",
        ]
        for section in plan.sections
        for plan_strategy in section.strategies
        for action in plan_strategy.actions
    ]
    columns = ["Action", "Strategy", "Goal or workgroup", "Owner", "Due", "Status", "Overdue", "Recorded at"]
    return Table(f"Actions of the work plan of the {network.name}", columns, rows, slug="work-plan")


@login_required
def work_plan(request: HttpRequest, slug: str) -> HttpResponse:
    """The plan by goal and workgroup, strategy and action, with the counts and the filters."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    today = timezone.localdate()
    form = PlanFilterForm(request.GET, owners=selectors.owner_choices(network=network))
    plan = selectors.work_plan(network=network, today=today, filters=form.filters())
    table = _plan_table(network, plan)
    if download := download_or_none(request, table):
        return download
    own = selectors.organizations_whose_actions(user=request.user, network=network, access=access)
    for section in plan.sections:
        for plan_strategy in section.strategies:
            for action in plan_strategy.actions:
                action.may_set_status = selectors.may_set_status(
                    action=action, access=access, own_organizations=own
                )
    return render(
        request,
        "goals/work_plan.html",
        _context(
            network,
            access,
            plan=plan,
            form=form,
            table=table,
            today=today,
            statuses=ActionStatus.choices,
            here=request.get_full_path(),
        ),
    )


@login_required
def strategy_create(request: HttpRequest, slug: str) -> HttpResponse:
    return _strategy_form(request, slug, pk=None)


@login_required
def strategy_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _strategy_form(request, slug, pk=pk)


def _strategy_form(request: HttpRequest, slug: str, *, pk: int | None) -> HttpResponse:
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    strategy = selectors.strategy_get(network=network, pk=pk) if pk else None
    initial = {}
    if strategy is None:
        # "Add a strategy" on a goal's or a workgroup's row comes with ?goal=<id> or ?workgroup=<id>.
        initial = {name: request.GET[name] for name in ("goal", "workgroup") if request.GET.get(name)}
    form = StrategyForm(request.POST or None, network=network, strategy=strategy, initial=initial or None)
    if request.method == "POST" and form.is_valid():
        try:
            if strategy is None:
                saved = services.strategy_create(network=network, **form.cleaned_data)
            else:
                saved = services.strategy_update(strategy=strategy, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved the strategy “{saved.title}”.")
            return redirect(f"{reverse('goals:work_plan', args=[network.slug])}#strategy-{saved.pk}")
    return render(
        request, "goals/strategy_form.html", _context(network, access, form=form, strategy=strategy)
    )


@login_required
def strategy_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Take a strategy out of the plan (POST only); its actions stay, under no strategy."""
    network, _ = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    strategy = selectors.strategy_get(network=network, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    moved = services.strategy_delete(strategy=strategy)
    kept = f" Its {moved} action{'s' * (moved != 1)} stay in the plan, under no strategy." if moved else ""
    messages.success(request, f"Took the strategy “{strategy.title}” out of the plan.{kept}")
    return redirect("goals:work_plan", slug=network.slug)


def _owner_initial(network: Network, key: str | None) -> dict[str, str]:
    return {"owner": key} if key and selectors.owner_from_key(network=network, key=key) else {}


@login_required
def action_create(request: HttpRequest, slug: str) -> HttpResponse:
    return _action_form(request, slug, pk=None)


@login_required
def action_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _action_form(request, slug, pk=pk)


def _action_form(request: HttpRequest, slug: str, *, pk: int | None) -> HttpResponse:
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    action = selectors.action_get(network=network, pk=pk) if pk else None
    if action is not None:
        initial = {
            "title": action.title,
            "owner": selectors.owner_key(action.owner),
            "due_on": action.due_on,
            "strategy": action.strategy_id,
            "notes": action.notes,
        }
    else:
        initial = {
            "strategy": request.GET.get("strategy"),
            **_owner_initial(network, request.GET.get("owner")),
        }
    form = ActionForm(
        request.POST or None,
        network=network,
        owners=selectors.owner_choices(network=network),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner = selectors.owner_from_key(network=network, key=data["owner"])
        try:
            if action is None:
                saved = services.action_create(
                    network=network, user=request.user, owner=owner, **_fields(data)
                )
            else:
                saved = services.action_update(action=action, owner=owner, **_fields(data))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved the action “{saved.title}”, due {long_date(saved.due_on)}.")
            return redirect(f"{reverse('goals:work_plan', args=[network.slug])}#action-{saved.pk}")
    return render(request, "goals/action_form.html", _context(network, access, form=form, action=action))


def _fields(data: dict) -> dict:
    return {name: data[name] for name in ("title", "due_on", "strategy", "notes")}


@login_required
def action_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Move an action along or close it (POST only): backbone staff any action, partner staff those of
    their organization."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    action = selectors.action_get(network=network, pk=pk)
    own = selectors.organizations_whose_actions(user=request.user, network=network, access=access)
    if not selectors.may_set_status(action=action, access=access, own_organizations=own):
        raise PermissionDenied("Only the backbone staff and the owner's staff may change this action.")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose planned, in progress, done or dropped.")
    else:
        saved = services.action_set_status(
            action=action, status=form.cleaned_data["status"], user=request.user
        )
        messages.success(request, f"“{saved.title}” is now {saved.get_status_display().lower()}.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith(
        "/"
    ):
        back = reverse("goals:work_plan", args=[network.slug])
    return redirect(f"{back.split('#')[0]}#action-{action.pk}")


@login_required
def meeting_action_create(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Record an action item agreed at a meeting: it becomes an action of the work plan. The meeting's
    page shows the form; this page shows it again with what was wrong."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    meeting = get_object_or_404(network.meetings.select_related("workgroup"), pk=pk)
    form = ActionForm(
        request.POST or None,
        network=network,
        owners=selectors.owner_choices(network=network),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner = selectors.owner_from_key(network=network, key=data["owner"])
        try:
            saved = services.action_record_at_meeting(
                meeting=meeting, user=request.user, owner=owner, **_fields(data)
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"Recorded the action item “{saved.title}” for {selectors.owner_name(saved)}."
            )
            return redirect(
                f"{reverse('network:meeting_detail', args=[network.slug, meeting.pk])}#action-items"
            )
    return render(
        request, "goals/meeting_action_form.html", _context(network, access, form=form, meeting=meeting)
    )
