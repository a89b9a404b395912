"""Forms of the work plan: a strategy, an action (also an action item at a meeting), an action's
status, and the plan's filters. What a strategy or an action must be is the services' to say."""

from typing import Any

from django import forms
from django.http import QueryDict

from goals.models import ActionStatus, Goal, Strategy
from goals.plan.selectors import PlanFilters
from network.forms import DateInput
from network.models import Network, Workgroup


class StrategyForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="In a few words, e.g. “Grow referrals from clinics”.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    goal = forms.ModelChoiceField(queryset=Goal.objects.none(), required=False, empty_label="No goal")
    workgroup = forms.ModelChoiceField(
        queryset=Workgroup.objects.none(),
        required=False,
        empty_label="No workgroup",
        help_text="A strategy belongs under a goal, a workgroup, or both.",
    )
    order = forms.IntegerField(
        min_value=0, max_value=999, required=False, initial=0, help_text="Lower comes first."
    )

    def __init__(self, *args: Any, network: Network, strategy: Strategy | None = None, **kwargs: Any) -> None:
        if strategy is not None:
            kwargs.setdefault("initial", {name: getattr(strategy, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = network.goals.all()
        self.fields["workgroup"].queryset = network.workgroups.order_by("name")


class ActionForm(forms.Form):
    """What to do, who owns it, by when; a strategy and notes if any. The owner is one choice among
    the network's partners, workgroups and backbone staff (`goals.plan.selectors.owner_key`)."""

    title = forms.CharField(max_length=200, label="Action", help_text="What is to be done, in a sentence.")
    owner = forms.ChoiceField(
        label="Owner", help_text="A partner, a workgroup, or one of the backbone staff."
    )
    due_on = forms.DateField(label="Due", widget=DateInput)
    strategy = forms.ModelChoiceField(
        queryset=Strategy.objects.none(), required=False, empty_label="No strategy"
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self,
        *args: Any,
        network: Network,
        owners: list[tuple[str, list[tuple[str, str]]]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [
            ("", "Choose an owner"),
            *[(group, keys) for group, keys in owners if keys],
        ]
        self.fields["strategy"].queryset = network.strategies.order_by("order", "title")


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionStatus.choices)


STATUS_FILTERS = [("", "Any status"), ("open", "Open (planned or in progress)"), *ActionStatus.choices]


class PlanFilterForm(forms.Form):
    owner = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False, choices=STATUS_FILTERS)
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, data: QueryDict, *, owners: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__(data)
        self.fields["owner"].choices = [("", "Anyone"), *[(group, keys) for group, keys in owners if keys]]

    def filters(self) -> PlanFilters:
        """The filters asked for; an unknown choice is dropped (the form says which) rather than refused."""
        self.is_valid()
        data = self.cleaned_data
        return PlanFilters(
            owner=data.get("owner", ""), status=data.get("status", ""), overdue=data.get("overdue", False)
        )
