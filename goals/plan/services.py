"""Writes of the work plan: backbone staff set strategies and actions (also as action items recorded at
a meeting); an action's owner may move it along or close it. Views decide who may call which; these
services keep the plan itself sound and say what is wrong in words a person understands."""

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from goals.models import CLOSED_STATUSES, Action, ActionStatus, Goal, Owner, Strategy
from network.models import Meeting, Membership, Network, Role, RoleKind, Workgroup
from partners.models import Organization

STRATEGY_FIELDS = ("title", "description", "goal", "workgroup", "order")


def _strategy_check(strategy: Strategy) -> None:
    errors: dict[str, str] = {}
    if not strategy.title:
        errors["title"] = "Give the strategy a title."
    if strategy.goal is not None and strategy.goal.network_id != strategy.network_id:
        errors["goal"] = "Choose a goal of this network."
    if strategy.workgroup is not None and strategy.workgroup.network_id != strategy.network_id:
        errors["workgroup"] = "Choose a workgroup of this network."
    if strategy.goal is None and strategy.workgroup is None and not errors:
        errors["goal"] = "A strategy belongs under a goal, a workgroup, or both: choose at least one."
    if errors:
        raise ValidationError(errors)


def strategy_create(
    *,
    network: Network,
    title: str,
    description: str = "",
    goal: Goal | None = None,
    workgroup: Workgroup | None = None,
    order: int = 0,
) -> Strategy:
    """Add a strategy to the network's work plan, under a goal, a workgroup, or both."""
    strategy = Strategy(
        network=network,
        title=title.strip(),
        description=description.strip(),
        goal=goal,
        workgroup=workgroup,
        order=order or 0,
    )
    _strategy_check(strategy)
    strategy.save()
    return strategy


def strategy_update(*, strategy: Strategy, **fields: object) -> Strategy:
    """Change a strategy's fields (any of `STRATEGY_FIELDS`); its actions stay under it."""
    unknown = set(fields) - set(STRATEGY_FIELDS)
    if unknown:
        raise TypeError(f"Not a field of a strategy: {', '.join(sorted(unknown))}")
    for field, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(strategy, field, value if field != "order" else value or 0)
    _strategy_check(strategy)
    strategy.save()
    return strategy


@transaction.atomic
def strategy_delete(*, strategy: Strategy) -> int:
    """Take a strategy out of the plan. Its actions stay in the plan, under no strategy, so no one's
    work disappears with it; returns how many were moved."""
    moved = strategy.actions.update(strategy=None)
    strategy.delete()
    return moved


def _owner_error(network: Network, owner: Owner | None) -> str | None:
    """What is wrong with ``owner`` as the owner of an action of ``network``, or None."""
    if owner is None:
        return "Choose who owns the action: a partner, a workgroup or a member of the backbone staff."
    if isinstance(owner, Organization):
        is_partner = Membership.objects.current().filter(network=network, organization=owner).exists()
        return None if is_partner else f"{owner} is not a current partner of {network}."
    if isinstance(owner, Workgroup):
        return None if owner.network_id == network.pk else f"{owner} is not a workgroup of {network}."
    is_staff = Role.objects.filter(
        user=owner, kind=RoleKind.BACKBONE_STAFF, network=network, ended_at__isnull=True
    ).exists()
    name = owner.get_full_name() or owner.get_username()  # type: ignore[attr-defined]
    return None if is_staff else f"{name} is not backbone staff of {network}."


def _owner_set(action: Action, owner: Owner | None) -> None:
    action.owner_organization = owner if isinstance(owner, Organization) else None
    action.owner_workgroup = owner if isinstance(owner, Workgroup) else None
    action.owner_user = (
        owner if owner is not None and not isinstance(owner, Organization | Workgroup) else None
    )


def _action_check(action: Action, owner: Owner | None) -> None:
    """Every problem of an action at once, by field."""
    network = action.network
    errors: dict[str, str] = {}
    if not action.title:
        errors["title"] = "Give the action a title: what is to be done."
    if action.due_on is None:
        errors["due_on"] = "Give the day the action is due."
    if (owner_error := _owner_error(network, owner)) is not None:
        errors["owner"] = owner_error
    if action.strategy is not None and action.strategy.network_id != network.pk:
        errors["strategy"] = "Choose a strategy of this network's work plan."
    if action.meeting is not None and action.meeting.network_id != network.pk:
        errors["meeting"] = "That meeting belongs to another network."
    if errors:
        raise ValidationError(errors)


def action_create(
    *,
    network: Network,
    title: str,
    owner: Owner | None,
    due_on: datetime.date | None,
    user: AbstractBaseUser | None,
    strategy: Strategy | None = None,
    notes: str = "",
    meeting: Meeting | None = None,
) -> Action:
    """Add an action to the network's work plan: what, who owns it, by when; planned to begin with."""
    action = Action(
        network=network,
        title=title.strip(),
        notes=notes.strip(),
        due_on=due_on,
        strategy=strategy,
        meeting=meeting,
        created_by=user,
    )
    _owner_set(action, owner)
    _action_check(action, owner)
    action.save()
    return action


def action_record_at_meeting(
    *,
    meeting: Meeting,
    title: str,
    owner: Owner | None,
    due_on: datetime.date | None,
    user: AbstractBaseUser | None,
    strategy: Strategy | None = None,
    notes: str = "",
) -> Action:
    """An action item agreed at a meeting: an action of the meeting's network, recorded at it."""
    return action_create(
        network=meeting.network,
        title=title,
        owner=owner,
        due_on=due_on,
        user=user,
        strategy=strategy,
        notes=notes,
        meeting=meeting,
    )


def action_update(
    *,
    action: Action,
    title: str,
    owner: Owner | None,
    due_on: datetime.date | None,
    strategy: Strategy | None = None,
    notes: str = "",
) -> Action:
    """Change what an action is, who owns it, by when and under which strategy; its status moves only
    by `action_set_status`."""
    action.title, action.notes = title.strip(), notes.strip()
    action.due_on, action.strategy = due_on, strategy
    _owner_set(action, owner)
    _action_check(action, owner)
    action.save()
    return action


@transaction.atomic
def action_set_status(
    *,
    action: Action,
    status: str,
    user: AbstractBaseUser | None,
    now: datetime.datetime | None = None,
) -> Action:
    """Move an action to ``status``. Closing it (done or dropped) records who closed it and when;
    opening it again clears both. Setting the status it already has changes nothing."""
    if status not in ActionStatus.values:
        raise ValidationError({"status": "Choose planned, in progress, done or dropped."})
    action = Action.objects.select_for_update().get(pk=action.pk)
    if action.status == status:
        return action
    action.status = status
    if status in CLOSED_STATUSES:
        action.closed_at, action.closed_by = now or timezone.now(), user
    else:
        action.closed_at, action.closed_by = None, None
    action.save(update_fields=["status", "closed_at", "closed_by"])
    return action
