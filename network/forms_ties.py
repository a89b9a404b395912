"""Forms for ties between partners and for the network map's choices."""

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict

from network.dates import long_date
from network.forms import DateInput
from network.forms_health import EARLIEST_DAY, LATEST_DAY
from network.models import Closeness, TieKind
from network.ties import DEFAULT_MIN_CLOSENESS, MapFilters, MapSource
from partners.models import Organization, OrganizationKind, Sector

NOT_A_PARTNER = "Choose a current partner of the network."


class TieForm(forms.Form):
    """Record a tie: who works with whom, how, and since when."""

    source = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        label="From",
        empty_label="Choose a partner",
        error_messages={"invalid_choice": NOT_A_PARTNER},
        help_text="The partner that refers, shares data, funds or delivers.",
    )
    target = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        label="To",
        empty_label="Choose a partner",
        error_messages={"invalid_choice": NOT_A_PARTNER},
        help_text="The partner it refers people to, shares data with, funds or delivers the program with.",
    )
    kind = forms.ChoiceField(label="Kind of tie", choices=TieKind.choices, widget=forms.RadioSelect)
    started_on = forms.DateField(label="Started on", widget=DateInput)
    note = forms.CharField(
        max_length=255, required=False, help_text="For example the agreement or the program it is about."
    )

    def __init__(self, *args: Any, partners: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = partners
        self.fields["target"].queryset = partners

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        source, target = cleaned.get("source"), cleaned.get("target")
        if source is not None and source == target:
            self.add_error("target", "A tie links two different partners: choose another organization.")
        return cleaned


class TieEndForm(forms.Form):
    ended_on = forms.DateField(
        label="Ended on", widget=DateInput, help_text="From this day on the tie is no longer on the map."
    )


_CLOSENESS_CHOICES = [
    (value, f"{label} or closer" if value != Closeness.INTEGRATION else label)
    for value, label in Closeness.choices
]


class MapForm(forms.Form):
    """What the map shows: on which date, from which sources, how close, which partners."""

    on = forms.DateField(
        label="As of", widget=DateInput, help_text="Ties current that day and the survey closed by then."
    )
    sources = forms.MultipleChoiceField(
        label="Connections from",
        choices=MapSource.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one source of connections."},
    )
    min_closeness = forms.ChoiceField(
        label="Survey answers that count",
        choices=_CLOSENESS_CHOICES,
        help_text="How closely a partner must say it works with another for a connection.",
    )
    sector = forms.ChoiceField(label="Sector", required=False, choices=[("", "Any sector"), *Sector.choices])
    kind = forms.ChoiceField(label="Kind of organization", required=False)

    def __init__(self, data: QueryDict, *, today: datetime.date, **kwargs: Any) -> None:
        # The map opens with the defaults; the form is bound once a choice comes in the query string.
        # A link that gives only some choices (say ?sector=payer) keeps the defaults for the others;
        # the page's own form always sends the date, so there no source ticked means none chosen.
        self.today = today
        defaults = self.defaults(today)
        bound: QueryDict | None = None
        if any(name in data for name in self.base_fields):
            bound = data.copy()
            if "sources" not in bound and "on" not in bound:
                bound.setlist("sources", defaults["sources"])
            for name in ("on", "min_closeness"):
                bound.setdefault(name, str(defaults[name]))
        super().__init__(bound, initial=defaults, **kwargs)
        self.fields["kind"].choices = [
            ("", "Any kind"),
            *OrganizationKind.objects.values_list("code", "name"),
        ]

    def clean_on(self) -> datetime.date:
        on = self.cleaned_data["on"]
        if not EARLIEST_DAY <= on <= LATEST_DAY:
            first, last = long_date(EARLIEST_DAY), long_date(LATEST_DAY)
            raise forms.ValidationError(f"Choose a day from {first} to {last}.")
        return on

    @staticmethod
    def defaults(today: datetime.date) -> dict[str, Any]:
        return {"on": today, "sources": MapSource.values, "min_closeness": DEFAULT_MIN_CLOSENESS}

    def filters(self) -> MapFilters:
        """The choices made, or the defaults while the form is unbound or wrong."""
        if not self.is_bound or not self.is_valid():
            return MapFilters(on=self.today)
        return MapFilters(
            on=self.cleaned_data["on"],
            sources=frozenset(self.cleaned_data["sources"]),
            min_closeness=self.cleaned_data["min_closeness"],
            sector=self.cleaned_data["sector"],
            kind=self.cleaned_data["kind"],
        )


class TrendForm(forms.Form):
    min_closeness = forms.ChoiceField(
        label="Survey answers that count",
        choices=_CLOSENESS_CHOICES,
        initial=DEFAULT_MIN_CLOSENESS,
        help_text="How closely a partner must say it works with another for a connection.",
    )

    def min_closeness_or_default(self) -> str:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["min_closeness"]
        return DEFAULT_MIN_CLOSENESS
