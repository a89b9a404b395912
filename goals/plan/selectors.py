"""Reads of the work plan, shared by its pages, the meeting page, the home pages and the public
scorecard. Each reads a fixed number of queries, whatever the number of partners or actions."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.ids import id_or_none
from goals.models import OPEN_STATUSES, Action, ActionStatus, Goal, Owner, Strategy
from network.models import Meeting, Membership, Network, RoleKind, Workgroup
from network.selectors import Access, organizations_for_user
from partners.models import Organization, Sector

SOON_DAYS = 14  # an open action due within this many days is the owner's to do now
RECENT_DAYS = 90  # the public scorecard shows actions done in this many days


# Owners: one key per owner, so that a form's single choice and a filter can name any of the three.


def owner_key(owner: Owner) -> str:
    """ "organization:12", "workgroup:3" or "user:7"."""
    if isinstance(owner, Organization):
        return f"organization:{owner.pk}"
    if isinstance(owner, Workgroup):
        return f"workgroup:{owner.pk}"
    return f"user:{owner.pk}"


def person_name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]


def owner_name(action: Action) -> str:
    """Who owns the action, as the network's own pages name them."""
    if action.owner_organization_id:
        return action.owner_organization.name
    if action.owner_workgroup_id:
        return f"{action.owner_workgroup.name} (workgroup)"
    return f"{person_name(action.owner_user)} (backbone staff)"


def _backbone_staff(network: Network) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(
            roles__kind=RoleKind.BACKBONE_STAFF, roles__network=network, roles__ended_at__isnull=True
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def owner_choices(*, network: Network) -> list[tuple[str, list[tuple[str, str]]]]:
    """Who may own an action of the network, grouped for a select: its current partners, its
    workgroups and its backbone staff. Three queries."""
    partners = Organization.objects.filter(
        memberships__in=Membership.objects.current().filter(network=network)
    ).order_by("name")
    return [
        ("Partners", [(owner_key(org), org.name) for org in partners]),
        ("Workgroups", [(owner_key(wg), wg.name) for wg in network.workgroups.order_by("name")]),
        ("Backbone staff", [(owner_key(user), person_name(user)) for user in _backbone_staff(network)]),
    ]


def owner_from_key(*, network: Network, key: str) -> Owner | None:
    """The owner a key names, if it is of this network (a partner today, one of its workgroups, one of
    its backbone staff); None otherwise. One query."""
    kind, _, text = key.partition(":")
    pk = id_or_none(text)
    if pk is None:
        return None
    if kind == "organization":
        current = Membership.objects.current().filter(network=network)
        return Organization.objects.filter(memberships__in=current, pk=pk).first()
    if kind == "workgroup":
        return network.workgroups.filter(pk=pk).first()
    if kind == "user":
        return _backbone_staff(network).filter(pk=pk).first()
    return None


def _with_owners(actions: QuerySet[Action]) -> QuerySet[Action]:
    return actions.select_related(
        "owner_organization", "owner_workgroup", "owner_user", "strategy", "meeting", "network"
    )


# One network's plan


def strategies_of(*, network: Network) -> QuerySet[Strategy]:
    return network.strategies.select_related("goal", "workgroup")


def strategy_get(*, network: Network, pk: int) -> Strategy:
    return get_object_or_404(strategies_of(network=network), pk=pk)


def action_get(*, network: Network, pk: int) -> Action:
    return get_object_or_404(_with_owners(network.actions.all()), pk=pk)


def _described(actions: Iterable[Action], today: datetime.date) -> list[Action]:
    """Each action with ``overdue`` (open and past its due date on ``today``) and ``owner_name``."""
    found = list(actions)
    for action in found:
        action.overdue = action.is_overdue(today)
        action.owner_name = owner_name(action)
    return found


def actions_at_meeting(*, meeting: Meeting, today: datetime.date) -> list[Action]:
    """The action items recorded at a meeting, in the order they are due. One query."""
    return _described(_with_owners(meeting.actions.all()), today)


@dataclass
class Tally:
    """How many actions are open, how many of those overdue, how many done."""

    open: int = 0
    overdue: int = 0
    done: int = 0

    def add(self, action: Action, today: datetime.date) -> None:
        if action.is_open:
            self.open += 1
            self.overdue += action.is_overdue(today)
        elif action.status == ActionStatus.DONE:
            self.done += 1

    def absorb(self, other: "Tally") -> None:
        self.open, self.overdue, self.done = (
            self.open + other.open,
            self.overdue + other.overdue,
            self.done + other.done,
        )


@dataclass
class StrategyPlan:
    strategy: Strategy | None  # None: the actions filed under no strategy
    actions: list[Action] = field(default_factory=list)  # those the filters let through
    tally: Tally = field(default_factory=Tally)  # of all its actions


@dataclass
class PlanSection:
    """A goal or a workgroup with its strategies, or the strategies and actions under neither."""

    title: str
    goal: Goal | None = None
    workgroup: Workgroup | None = None
    strategies: list[StrategyPlan] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)


@dataclass(frozen=True)
class PlanFilters:
    owner: str = ""  # an `owner_key`, or "" for anyone
    status: str = ""  # an `ActionStatus`, "open", or "" for any
    overdue: bool = False

    @property
    def active(self) -> bool:
        return bool(self.owner or self.status or self.overdue)


@dataclass
class WorkPlan:
    sections: list[PlanSection]
    tally: Tally
    shown: int  # actions that pass the filters
    filters: PlanFilters


def _passes(action: Action, filters: PlanFilters, today: datetime.date) -> bool:
    if filters.owner and owner_key(action.owner) != filters.owner:
        return False
    if filters.status == "open" and not action.is_open:
        return False
    if filters.status and filters.status != "open" and action.status != filters.status:
        return False
    return not (filters.overdue and not action.is_overdue(today))


def work_plan(*, network: Network, today: datetime.date, filters: PlanFilters = PlanFilters()) -> WorkPlan:
    """The network's work plan: a section per goal (its strategies), then one per workgroup (its
    strategies under no goal), then strategies under neither and actions under no strategy. Each
    strategy lists the actions the filters let through and counts all of its own. Two queries.

    Each action carries ``overdue`` (open and past its due date on ``today``) and ``owner_name``."""
    strategies = list(strategies_of(network=network).order_by("order", "title", "id"))
    actions = _with_owners(network.actions.all())
    plans = {strategy.pk: StrategyPlan(strategy) for strategy in strategies}
    unfiled = StrategyPlan(None)
    whole, shown = Tally(), 0
    for action in _described(actions, today):
        plan = plans.get(action.strategy_id, unfiled) if action.strategy_id else unfiled
        plan.tally.add(action, today)
        whole.add(action, today)
        if _passes(action, filters, today):
            plan.actions.append(action)
            shown += 1
    sections: dict[tuple[str, int], PlanSection] = {}
    for strategy in strategies:
        if strategy.goal is not None:
            key = ("goal", strategy.goal_id)
            section = sections.setdefault(key, PlanSection(strategy.goal.name, goal=strategy.goal))
        elif strategy.workgroup is not None:
            key = ("workgroup", strategy.workgroup_id)
            section = sections.setdefault(
                key, PlanSection(strategy.workgroup.name, workgroup=strategy.workgroup)
            )
        else:
            section = sections.setdefault(("other", 0), PlanSection("Strategies under no goal or workgroup"))
        section.strategies.append(plans[strategy.pk])
    ordered = sorted(
        sections.items(),
        key=lambda item: (
            {"goal": 0, "workgroup": 1, "other": 2}[item[0][0]],
            item[1].goal.deadline if item[1].goal else datetime.date.min,
            item[1].title,
        ),
    )
    result = [section for _, section in ordered]
    if unfiled.actions or unfiled.tally.open or unfiled.tally.done:
        result.append(PlanSection("Actions under no strategy", strategies=[unfiled]))
    for section in result:
        if filters.active:
            section.strategies = [plan for plan in section.strategies if plan.actions]
        for plan in section.strategies:
            section.tally.absorb(plan.tally)
    if filters.active:
        result = [section for section in result if section.strategies]
    return WorkPlan(sections=result, tally=whole, shown=shown, filters=filters)


def organizations_whose_actions(*, user: AbstractBaseUser, network: Network, access: Access) -> set[int]:
    """The organizations the user is partner staff of, whose actions they may move along; none needed
    for backbone staff, who may move any (`may_set_status`). One query at most."""
    if access >= Access.MANAGE:
        return set()
    return set(organizations_for_user(user=user).values_list("pk", flat=True))


def may_set_status(*, action: Action, access: Access, own_organizations: Iterable[int]) -> bool:
    """Backbone staff move any action along; partner staff those their organization owns."""
    return access >= Access.MANAGE or action.owner_organization_id in set(own_organizations)


# Whose actions


def actions_of_organization(
    *, organization: Organization, network_ids: Iterable[int] | None = None
) -> QuerySet[Action]:
    """The actions a partner organization owns, in every network or in ``network_ids``."""
    actions = Action.objects.filter(owner_organization=organization)
    if network_ids is not None:
        actions = actions.filter(network_id__in=list(network_ids))
    return _with_owners(actions)


def actions_of_user(*, user: AbstractBaseUser, network_ids: Iterable[int] | None = None) -> QuerySet[Action]:
    """The actions that are a user's to do: those they own as backbone staff, those of the organizations
    they are partner staff of, and those of the workgroups where such an organization holds a seat (a
    workgroup's action is every seated partner's business). One query."""
    organizations = organizations_for_user(user=user).values("pk")
    actions = Action.objects.filter(
        Q(owner_user=user)
        | Q(owner_organization__in=organizations)
        | Q(owner_workgroup__seats__organization__in=organizations)
    ).distinct()
    if network_ids is not None:
        actions = actions.filter(network_id__in=list(network_ids))
    return _with_owners(actions)


# The public scorecard: "what we will do"


@dataclass(frozen=True)
class PublicAction:
    title: str
    owner: str  # a partner's name only if it chose to be named publicly; else its sector
    due_on: datetime.date
    status: str  # the status's label
    done_on: datetime.date | None


@dataclass
class PublicStrategy:
    title: str
    description: str
    goal: str
    workgroup: str
    open: list[PublicAction] = field(default_factory=list)
    done: list[PublicAction] = field(default_factory=list)  # done in the last `RECENT_DAYS`


def public_owner_name(action: Action, named: set[int]) -> str:
    """A partner is named only if it chose to be (``Membership.named_publicly``); otherwise by its sector,
    or as "A partner". Workgroups and the backbone staff are named (never a person)."""
    if action.owner_organization_id:
        if action.owner_organization_id in named:
            return action.owner_organization.name
        sector = Sector(action.owner_organization.sector).label if action.owner_organization.sector else ""
        return f"A partner ({sector.lower()})" if sector else "A partner"
    if action.owner_workgroup_id:
        return f"{action.owner_workgroup.name} (workgroup)"
    return "Backbone staff"


def work_plan_public(
    *, network: Network, today: datetime.date | None = None, recent_days: int = RECENT_DAYS
) -> list[PublicStrategy]:
    """The plan as the public scorecard shows it: each strategy with its open actions and those done in
    the last ``recent_days`` days (notes, dropped actions and people's names left out). Actions under
    no strategy are not shown: the scorecard speaks of strategies. Three queries."""
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=recent_days)
    named = set(
        Membership.objects.current()
        .filter(network=network, named_publicly=True)
        .values_list("organization_id", flat=True)
    )
    strategies = {
        strategy.pk: PublicStrategy(
            title=strategy.title,
            description=strategy.description,
            goal=strategy.goal.name if strategy.goal else "",
            workgroup=strategy.workgroup.name if strategy.workgroup else "",
        )
        for strategy in strategies_of(network=network).order_by("order", "title", "id")
    }
    actions = (
        network.actions.filter(strategy__isnull=False)
        .filter(Q(status__in=OPEN_STATUSES) | Q(status=ActionStatus.DONE, closed_at__date__gte=since))
        .select_related("owner_organization", "owner_workgroup")
        .order_by("due_on", "title", "id")
    )
    for action in actions:
        shown = PublicAction(
            title=action.title,
            owner=public_owner_name(action, named),
            due_on=action.due_on,
            status=action.get_status_display(),
            done_on=timezone.localdate(action.closed_at) if action.closed_at else None,
        )
        strategy = strategies[action.strategy_id]
        (strategy.open if action.is_open else strategy.done).append(shown)
    return list(strategies.values())
