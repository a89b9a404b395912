"""Goals' part of each home page's to-do list (`network.todo`): goals at risk or off track for the
backbone, each network's goals' outlook for the state, as published to the state viewer, and the open
actions of the work plan: a partner's own, the backbone staff member's own and the network's overdue."""

import datetime
from collections import Counter

from django.db.models import Count
from django.urls import reverse

from core.calendar import long_date
from goals.models import Action, Goal
from goals.plan.selectors import SOON_DAYS
from goals.progress import Outlook
from goals.selectors import goal_standings, goal_standings_for, goals_of
from network.selectors import viewer_of
from network.todo import (
    Found,
    Task,
    Tone,
    Work,
    network_place,
    partner_place,
    plural,
    provide,
    state_network_place,
)

_TROUBLE = (Outlook.OFF_TRACK, Outlook.AT_RISK)


def _running(goals: list[Goal], today: datetime.date) -> list[Goal]:
    return [goal for goal in goals if goal.starts_on <= today <= goal.deadline]


def _backbone_goals(work: Work) -> Found:
    """Running goals at risk or off track, each a line: backbone staff see every partner identified."""
    goals = _running(list(goals_of(network_ids=[network.pk for network in work.managed])), work.today)
    if not goals:
        return
    for standing in goal_standings(goals=goals, today=work.today):
        outlook = standing.progress.outlook
        if outlook in _TROUBLE:
            goal = standing.goal
            yield (
                network_place(goal.network_id),
                Task(
                    f"Goal “{goal.name}” is {outlook}: {standing.progress.actual:,} of {goal.target:,}",
                    reverse("goals:dashboard_network", args=[goal.network.slug]),
                    Tone.WARNING,
                    order=30,
                ),
            )


def _state_outlooks(work: Work) -> Found:
    """Each network's running goals by outlook, as published to the state viewer (an outlook computed
    from a count they may not see is counted as not shown)."""
    goals = _running(list(goals_of(network_ids=[network.pk for network in work.state_networks])), work.today)
    by_network: dict[int, Counter] = {network.pk: Counter() for network in work.state_networks}
    if goals:
        viewer = viewer_of(user=work.user)
        for standing in goal_standings_for(goals=goals, today=work.today, viewer=viewer):
            by_network[standing.goal.network_id][standing.outlook or "not shown (small counts)"] += 1
    for network in work.state_networks:
        outlooks = by_network[network.pk]
        url = reverse("goals:dashboard_network", args=[network.slug])
        if not outlooks:
            yield state_network_place(network.pk), Task("No goal running", url, Tone.INFO, order=20)
            continue
        words = ", ".join(f"{count} {outlook}" for outlook, count in sorted(outlooks.items()))
        trouble = any(outlook in _TROUBLE for outlook in outlooks)
        yield (
            state_network_place(network.pk),
            Task(
                f"{plural(outlooks.total(), 'goal', 'goals')} running: {words}",
                url,
                Tone.WARNING if trouble else Tone.INFO,
                order=20,
            ),
        )


def _action_task(action: Action, slug: str, today: datetime.date) -> Task:
    """One open action: overdue or due within `SOON_DAYS` (the owner's to do now), or later."""
    url = f"{reverse('goals:work_plan', args=[slug])}#action-{action.pk}"
    due = long_date(action.due_on)
    if action.due_on < today:
        return Task(f"Action “{action.title}” was due on {due}: overdue", url, Tone.ACTION, order=35)
    days = (action.due_on - today).days
    if days <= SOON_DAYS:
        when = "today" if days == 0 else f"in {plural(days, 'day', 'days')} ({due})"
        return Task(f"Action “{action.title}” is due {when}", url, Tone.ACTION, order=36)
    return Task(f"Action “{action.title}” is due on {due}", url, Tone.INFO, order=70)


def _partner_actions(work: Work) -> Found:
    """The open actions each partner organization of the user owns in each of its networks: one query."""
    if not work.partnerships:
        return
    places = {(m.network_id, m.organization_id): m for m in work.partnerships}
    actions = Action.objects.open().filter(
        owner_organization__in={m.organization_id for m in work.partnerships},
        network__in={m.network_id for m in work.partnerships},
    )
    for action in actions.order_by("due_on", "title"):
        membership = places.get((action.network_id, action.owner_organization_id))
        if membership is not None:
            yield partner_place(membership.pk), _action_task(action, membership.network.slug, work.today)


def _backbone_actions(work: Work) -> Found:
    """For backbone staff, each network's overdue actions in one line, and the open actions they own
    themselves: two queries."""
    if not work.managed:
        return
    slugs = {network.pk: network.slug for network in work.managed}
    overdue = (
        Action.objects.overdue(work.today)
        .filter(network__in=list(slugs))
        .values("network_id")
        .annotate(count=Count("pk"))
        .order_by("network_id")
    )
    for row in overdue:
        count = plural(row["count"], "action of the work plan is", "actions of the work plan are")
        yield (
            network_place(row["network_id"]),
            Task(
                f"{count} overdue",
                f"{reverse('goals:work_plan', args=[slugs[row['network_id']]])}?overdue=on",
                Tone.WARNING,
                row["count"],
                order=34,  # before the lines of the user's own actions
            ),
        )
    own = Action.objects.open().filter(owner_user=work.user, network__in=list(slugs))
    for action in own.order_by("due_on", "title"):
        yield network_place(action.network_id), _action_task(action, slugs[action.network_id], work.today)


def register() -> None:
    provide(_backbone_goals)
    provide(_state_outlooks)
    # Cheap (one or two queries whatever the network's size): the navigation counts what is due soon.
    provide(_partner_actions, in_navigation=True)
    provide(_backbone_actions, in_navigation=True)
