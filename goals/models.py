"""Shared goals of a network, what each partner commits to them, and the work plan toward them."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from metrics.models import Category, Measure
from network.models import Meeting, Network, Workgroup
from partners.models import Organization


class TargetKind(models.TextChoices):
    NUMBER = "number", "A number"
    PERCENT_INCREASE = "percent_increase", "A percentage increase over the baseline"


class Goal(models.Model):
    """A common goal, e.g. "increase enrollment in the National DPP by 20 % by 2024-12-31": a measure
    counted from ``starts_on`` to ``deadline`` against a target, optionally for a population of focus."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="goals")
    name = models.CharField(max_length=200)
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    population = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="population of focus",
        help_text="Count only this category of a breakdown (e.g. Hispanic or Latino); empty for everyone.",
    )
    baseline_start = models.DateField("baseline from")
    baseline_end = models.DateField("baseline to")
    baseline_value = models.PositiveIntegerField("baseline")
    target_kind = models.CharField(max_length=20, choices=TargetKind.choices, default=TargetKind.NUMBER)
    target_value = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="The number to reach, or the percentage increase."
    )
    starts_on = models.DateField()
    deadline = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gt=models.F("starts_on")), name="goal_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(baseline_end__gte=models.F("baseline_start")), name="goal_baseline_period"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.deadline and self.starts_on and self.deadline <= self.starts_on:
            raise ValidationError({"deadline": "The deadline comes after the start."})
        if self.baseline_end and self.baseline_start and self.baseline_end < self.baseline_start:
            raise ValidationError({"baseline_end": "The baseline period ends after it begins."})

    @property
    def target(self) -> int:
        """The count to reach between the start and the deadline."""
        if self.target_kind == TargetKind.PERCENT_INCREASE:
            return round(self.baseline_value * (1 + Decimal(self.target_value) / 100))
        return round(self.target_value)


class Commitment(models.Model):
    """A partner's part of a goal: how many of the goal's count it commits to bring."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="commitments")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="commitments")
    amount = models.PositiveIntegerField()
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["goal", "organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "organization"], name="one_commitment_per_partner")
        ]

    def __str__(self) -> str:
        return f"{self.organization}: {self.amount} toward {self.goal}"


# The work plan: what the partners will do toward the goals, and who does it by when.


class Strategy(models.Model):
    """A line of work under a goal, a workgroup, or both (e.g. "Grow referrals from clinics"): the work
    plan groups its actions under it. Written only by `goals.plan.services`."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="strategies")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    goal = models.ForeignKey(
        Goal, on_delete=models.SET_NULL, null=True, blank=True, related_name="strategies"
    )
    workgroup = models.ForeignKey(
        Workgroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="strategies"
    )
    order = models.PositiveSmallIntegerField(default=0, help_text="Lower first within its goal or workgroup.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "title", "id"]
        verbose_name_plural = "strategies"

    def __str__(self) -> str:
        return self.title


class ActionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


OPEN_STATUSES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)
CLOSED_STATUSES = (ActionStatus.DONE, ActionStatus.DROPPED)


class ActionQuerySet(models.QuerySet):
    def open(self) -> "ActionQuerySet":
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today: datetime.date) -> "ActionQuerySet":
        """Open and past its due date: the one rule of the work plan, its counts and the home pages."""
        return self.open().filter(due_on__lt=today)


# Who may own an action: a partner organization, a workgroup, or a backbone staff member (a user).
Owner = Organization | Workgroup | AbstractBaseUser

# Exactly one owner: a partner organization, a workgroup of the network, or a backbone staff member.
_ONE_OWNER = (
    Q(owner_organization__isnull=False, owner_workgroup__isnull=True, owner_user__isnull=True)
    | Q(owner_organization__isnull=True, owner_workgroup__isnull=False, owner_user__isnull=True)
    | Q(owner_organization__isnull=True, owner_workgroup__isnull=True, owner_user__isnull=False)
)


class Action(models.Model):
    """One thing to do, by whom and by when, optionally under a strategy and recorded at a meeting.

    Written only by `goals.plan.services`, which also checks that the owner belongs to the network
    (a current partner, one of its workgroups, or one of its backbone staff)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="actions")
    strategy = models.ForeignKey(
        Strategy, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    title = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    owner_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    owner_workgroup = models.ForeignKey(
        Workgroup, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    due_on = models.DateField("due")
    status = models.CharField(max_length=20, choices=ActionStatus.choices, default=ActionStatus.PLANNED)
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name="recorded at",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "title", "id"]
        constraints = [
            models.CheckConstraint(condition=_ONE_OWNER, name="action_has_exactly_one_owner"),
            # Closed (done or dropped) exactly when it carries the day it was closed.
            models.CheckConstraint(
                condition=Q(status__in=CLOSED_STATUSES, closed_at__isnull=False)
                | Q(status__in=OPEN_STATUSES, closed_at__isnull=True),
                name="action_closed_when_done_or_dropped",
            ),
        ]
        indexes = [models.Index(fields=["network", "status", "due_on"], name="action_network_open")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: datetime.date) -> bool:
        return self.is_open and self.due_on < today

    @property
    def owner(self) -> Owner:
        return self.owner_organization or self.owner_workgroup or self.owner_user  # type: ignore[return-value]
