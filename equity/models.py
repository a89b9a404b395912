"""The eligible population: how many adults with prediabetes live in each state, by each breakdown's
categories (a county breakdown's categories are the state's counties), and where the figures come from."""

from django.conf import settings
from django.db import models

from metrics.models import Category
from partners.models import State


class EstimateSource(models.Model):
    """One imported set of estimates: what they were derived from and for which year, shown beside
    every figure computed from them."""

    name = models.CharField(max_length=200, help_text="E.g. “Census ACS 2023 × CDC prediabetes prevalence”.")
    year = models.PositiveSmallIntegerField(help_text="The year the estimates describe.")
    url = models.URLField("address", blank=True)
    notes = models.TextField(blank=True, help_text="How the estimates were derived.")
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"


class EligibleEstimate(models.Model):
    """Adults with prediabetes in a state who belong to one category of a breakdown. A newer import
    replaces a state's estimates for the breakdowns it covers; each row keeps its source."""

    state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    estimate = models.PositiveIntegerField()
    source = models.ForeignKey(EstimateSource, on_delete=models.PROTECT, related_name="estimates")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["state", "category"], name="one_estimate_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.state_id} {self.category_id}: {self.estimate}"
