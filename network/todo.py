"""The work waiting for a user: the to-do list of their home page, and its count in the navigation.

The list lives here, with the roles it is built from; the apps above `network` (metrics, goals) add
their items by registering a provider in their `AppConfig.ready`, so the home page can stay in
`network` and still say that a report waits for review or a goal is off track.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q
from django.urls import reverse

from core.calendar import long_date
from network import selectors
from network.models import AssessmentInvitation, AssessmentRound, Membership, Network, RoleKind
from partners.models import Organization, State


class Tone(StrEnum):
    ACTION = "action"  # the user has to do something: counted in the navigation
    WARNING = "warning"  # something is off and worth a look
    INFO = "info"  # where things stand


@dataclass(frozen=True)
class Task:
    """One line of a to-do list: what, in words, and the page where it is done."""

    text: str
    url: str
    tone: Tone = Tone.ACTION
    count: int = 1  # how many things the line stands for (the navigation adds up the actions)
    order: int = 50  # lower first within its place


# Places a task belongs to, each a card of the home page.
def network_place(network_id: int) -> tuple[str, int]:
    """A network the user coordinates (backbone staff)."""
    return ("network", network_id)


def partner_place(membership_id: int) -> tuple[str, int]:
    """One organization's partnership in one network (partner staff)."""
    return ("partner", membership_id)


def state_network_place(network_id: int) -> tuple[str, int]:
    """A network of a state the user views (state viewer)."""
    return ("state_network", network_id)


@dataclass
class Work:
    """Whom a to-do list is for: the places of their roles, fetched once."""

    user: AbstractBaseUser
    today: datetime.date
    managed: list[Network] = field(default_factory=list)
    partnerships: list[Membership] = field(default_factory=list)
    organizations: list[Organization] = field(default_factory=list)  # those the user is staff of
    states: list[State] = field(default_factory=list)
    state_networks: list[Network] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.managed or self.partnerships or self.state_networks)

    @property
    def roles(self) -> bool:
        return bool(self.managed or self.organizations or self.states)


def work_of(*, user: AbstractBaseUser, today: datetime.date) -> Work:
    """The places of the user's current roles: six queries at most, whatever the number of partners."""
    kinds = set(selectors.current_roles(user=user).values_list("kind", flat=True))
    work = Work(user=user, today=today)
    if RoleKind.BACKBONE_STAFF in kinds:
        work.managed = list(selectors.networks_managed_by(user=user).select_related("state").order_by("name"))
    if RoleKind.PARTNER_STAFF in kinds:
        work.organizations = list(selectors.organizations_for_user(user=user).order_by("name"))
        work.partnerships = list(
            Membership.objects.current()
            .filter(organization__in=work.organizations)
            .select_related("organization", "network", "network__state")
            .order_by("organization__name", "network__name")
        )
    if RoleKind.STATE_VIEWER in kinds:
        work.states = list(selectors.states_viewed_by(user=user).order_by("name"))
        work.state_networks = list(
            Network.objects.filter(state__in=work.states)
            .select_related("state", "backbone")
            .order_by("state__name", "name")
        )
    return work


Found = Iterable[tuple[Hashable, Task]]
Provider = Callable[[Work], Found]


@dataclass(frozen=True)
class _Registered:
    provider: Provider
    in_navigation: bool


_providers: list[_Registered] = []


def provide(provider: Provider, *, in_navigation: bool = False) -> Provider:
    """Add a provider of tasks. ``in_navigation``: its actions are counted in the navigation on every
    page, so it must be cheap (a few queries, whatever the size of the network)."""
    if all(registered.provider is not provider for registered in _providers):
        _providers.append(_Registered(provider, in_navigation))
    return provider


def tasks_for(work: Work) -> dict[Hashable, list[Task]]:
    """Every task of the user, by place, in order."""
    found: dict[Hashable, list[Task]] = defaultdict(list)
    if work.empty:
        return found
    for registered in _providers:
        for place, task in registered.provider(work):
            found[place].append(task)
    for tasks in found.values():
        tasks.sort(key=lambda task: task.order)
    return found


def actions_waiting(work: Work) -> int:
    """What the navigation counts: the things the user has to do, from the cheap providers only."""
    if work.empty:
        return 0
    return sum(
        task.count
        for registered in _providers
        if registered.in_navigation
        for _, task in registered.provider(work)
        if task.tone == Tone.ACTION
    )


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


# Network's own tasks: contracts and self-assessments (not counted in the navigation: a contract
# waits on others, and a round's invitation comes by e-mail).


def _backbone_tasks(work: Work) -> Found:
    for network in work.managed:
        place = network_place(network.pk)
        delayed = selectors.contract_pipeline(network=network, today=work.today).delayed
        if delayed:
            yield (
                place,
                Task(
                    f"{plural(delayed, 'contract has', 'contracts have')} been in one stage for more than "
                    f"{network.contract_stage_alert_days} days",
                    reverse("network:contract_list", args=[network.slug]),
                    Tone.WARNING,
                    delayed,
                    order=40,
                ),
            )
    rounds = (
        AssessmentRound.objects.filter(
            network__in=work.managed, closed_at__isnull=True, closes_on__gte=work.today
        )
        .select_related("network")
        .annotate(
            invited=Count("invitations"),
            answered=Count("invitations", filter=Q(invitations__submitted_at__isnull=False)),
        )
        .order_by("closes_on")
    )
    for open_round in rounds:
        yield (
            network_place(open_round.network_id),
            Task(
                f"Self-assessment “{open_round.title}” open until {long_date(open_round.closes_on)}: "
                f"{open_round.answered} of {open_round.invited} partners answered",
                reverse("network:assessment_round_detail", args=[open_round.network.slug, open_round.pk]),
                Tone.INFO,
                order=60,
            ),
        )


def _partner_assessments(work: Work) -> Found:
    if not work.partnerships:
        return
    places = {(m.network_id, m.organization_id): m.pk for m in work.partnerships}
    waiting = (
        AssessmentInvitation.objects.filter(
            organization__in={m.organization_id for m in work.partnerships},
            round__network__in={m.network_id for m in work.partnerships},
            submitted_at__isnull=True,
            round__closed_at__isnull=True,
            round__closes_on__gte=work.today,
        )
        .select_related("round")
        .order_by("round__closes_on")
    )
    for invitation in waiting:
        place = places.get((invitation.round.network_id, invitation.organization_id))
        if place is None:
            continue
        by = long_date(invitation.round.closes_on)
        yield (
            partner_place(place),
            Task(
                f"Answer the self-assessment “{invitation.round.title}” by {by}",
                reverse("network:assessment_answer", args=[invitation.token]),
                order=30,
            ),
        )


def register() -> None:
    provide(_backbone_tasks)
    provide(_partner_assessments, in_navigation=True)
