"""Forms of goals: a goal, the partners' commitments to it, and the dashboards' filters."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict

from core.calendar import month_count
from goals import selectors
from goals.models import Goal, TargetKind
from goals.selectors import MonthPeriod, period_default
from metrics.models import Category, Measure
from metrics.validation import FIRST_MONTH, LAST_MONTH, parse_month
from network.forms import DateInput
from partners.models import Organization


class PopulationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return f"{obj.breakdown.name}: {obj.name}"


class GoalForm(forms.Form):
    """A network's goal as typed. What a goal must be as a whole (a deadline after the start, a
    baseline before it, ...) is the services' to say, by field."""

    name = forms.CharField(
        label="Goal",
        max_length=200,
        help_text=(
            "In a sentence, e.g. “Increase enrollment in the National DPP by 20 % by December 31, 2026”."
        ),
    )
    measure = forms.ModelChoiceField(
        queryset=Measure.objects.order_by("order", "code"),
        empty_label=None,
        help_text="What the goal counts each month.",
    )
    population = PopulationChoice(
        queryset=Category.objects.none(),
        required=False,
        label="Population of focus",
        empty_label="Everyone",
        help_text="Count only one group of people, e.g. Hispanic or Latino participants; or everyone.",
    )
    baseline_start = forms.DateField(label="Baseline period from", widget=DateInput)
    baseline_end = forms.DateField(label="Baseline period to", widget=DateInput)
    baseline_value = forms.IntegerField(
        label="Baseline",
        min_value=0,
        max_value=2_000_000_000,
        help_text="The count over the baseline period, e.g. last year's enrollments.",
    )
    target_kind = forms.ChoiceField(
        label="The target is", choices=TargetKind.choices, widget=forms.RadioSelect
    )
    target_value = forms.DecimalField(
        label="Target",
        max_digits=12,
        decimal_places=2,
        help_text="The count to reach from the start to the deadline, or the percentage increase.",
    )
    starts_on = forms.DateField(
        label="Counted from",
        widget=DateInput,
        help_text="The first day counted toward the goal; the baseline period ends before it.",
    )
    deadline = forms.DateField(widget=DateInput, help_text="Counted by whole months, both included.")

    def __init__(self, *args: Any, goal: Goal | None = None, **kwargs: Any) -> None:
        if goal is not None:
            kwargs.setdefault("initial", {field: getattr(goal, field) for field in self.base_fields})
        super().__init__(*args, **kwargs)
        self.fields["population"].queryset = selectors.population_choices()


class CommitmentsForm(forms.Form):
    """One amount per current partner; empty takes a commitment back."""

    def __init__(
        self, *args: Any, partners: Sequence[Organization], amounts: dict[int, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.partners = list(partners)
        for organization in self.partners:
            self.fields[self.field_name(organization)] = forms.IntegerField(
                label=f"Commitment of {organization.name}",
                required=False,
                min_value=0,
                max_value=10_000_000,
                initial=amounts.get(organization.pk),
            )

    @staticmethod
    def field_name(organization: Organization) -> str:
        return f"partner_{organization.pk}"

    def rows(self) -> list[tuple[Organization, forms.BoundField]]:
        return [(organization, self[self.field_name(organization)]) for organization in self.partners]

    def amounts(self) -> dict[Organization, int | None]:
        return {
            organization: self.cleaned_data.get(self.field_name(organization))
            for organization in self.partners
        }


# Dashboard filters

LONGEST_MONTHS = 120


class MonthInput(forms.TextInput):
    """A native month picker where the browser has one; YYYY-MM typed where it has not."""

    input_type = "month"


class DashboardForm(forms.Form):
    """The period shown (from and to months), the measure, and on the backbone's dashboard the goal."""

    start = forms.CharField(label="From", widget=MonthInput(attrs={"placeholder": "YYYY-MM"}))
    end = forms.CharField(
        label="To", widget=MonthInput(attrs={"placeholder": "YYYY-MM"}), help_text="Both months are included."
    )
    measure = forms.ChoiceField(label="Measure")
    goal = forms.TypedChoiceField(label="Goal", coerce=int, required=False)

    def __init__(
        self,
        *args: Any,
        measures: Sequence[Measure],
        goals: Sequence[Goal] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = [(measure.code, measure.name) for measure in measures]
        if goals:
            self.fields["goal"].choices = [(goal.pk, goal.name) for goal in goals]
        else:
            del self.fields["goal"]

    @staticmethod
    def _month(text: str) -> datetime.date:
        month = parse_month(text.strip())
        if month is None:
            raise forms.ValidationError(
                f"Give a month as YYYY-MM, e.g. 2026-01, from {FIRST_MONTH:%B %Y} to {LAST_MONTH:%B %Y}."
            )
        return month

    def clean_start(self) -> datetime.date:
        return self._month(self.cleaned_data["start"])

    def clean_end(self) -> datetime.date:
        return self._month(self.cleaned_data["end"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The period cannot end before it starts.")
        elif start and end and month_count(start, end) > LONGEST_MONTHS:
            self.add_error("end", "Choose a period of at most ten years.")
        return cleaned


@dataclass(frozen=True)
class DashboardFilters:
    period: MonthPeriod
    measure: Measure
    goal: Goal | None


DEFAULT_MEASURE = "enrollments"


def dashboard_filters(
    query: QueryDict,
    *,
    today: datetime.date,
    measures: Sequence[Measure],
    goals: Sequence[Goal] | None = None,
) -> tuple[DashboardForm, DashboardFilters]:
    """The filters the query string asks for; where it asks for nothing, or for something wrong (then
    the form has errors to show), the last 12 complete months, enrollments and the first goal still
    running (or the latest)."""
    default_period = period_default(today=today)
    by_code = {measure.code: measure for measure in measures}
    default_measure = by_code.get(DEFAULT_MEASURE) or measures[0]
    goals = list(goals or [])
    running = [goal for goal in goals if goal.deadline >= today]
    default_goal = running[0] if running else (goals[-1] if goals else None)
    default = DashboardFilters(default_period, default_measure, default_goal)
    initial = {
        "start": f"{default_period.first:%Y-%m}",
        "end": f"{default_period.last:%Y-%m}",
        "measure": default_measure.code,
        "goal": default_goal.pk if default_goal else None,
    }
    if not any(key in query for key in ("start", "end", "measure", "goal")):
        return DashboardForm(initial=initial, measures=measures, goals=goals), default
    form = DashboardForm({**initial, **query.dict()}, measures=measures, goals=goals)
    if not form.is_valid():
        return form, default
    goal_id = form.cleaned_data.get("goal")
    return form, DashboardFilters(
        period=MonthPeriod(first=form.cleaned_data["start"], last=form.cleaned_data["end"]),
        measure=by_code[form.cleaned_data["measure"]],
        goal=next((goal for goal in goals if goal.pk == goal_id), default_goal),
    )
