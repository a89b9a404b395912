"""Shared goals of a network and what each partner commits to them."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from metrics.models import Category, Measure
from network.models import Network
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
