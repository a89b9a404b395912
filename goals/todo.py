"""Goals' part of each home page's to-do list (`network.todo`): goals at risk or off track for the
backbone, and each network's goals' outlook for the state, as published to the state viewer."""

import datetime
from collections import Counter

from django.urls import reverse

from goals.models import Goal
from goals.progress import Outlook
from goals.selectors import goal_standings, goal_standings_for, goals_of
from network.selectors import viewer_of
from network.todo import Found, Task, Tone, Work, network_place, plural, provide, state_network_place

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


def register() -> None:
    provide(_backbone_goals)
    provide(_state_outlooks)
