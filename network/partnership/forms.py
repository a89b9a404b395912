"""The forms of partnership health: the period and alert days of the engagement and contracting pages,
touchpoints, self-assessment rounds and answers, and ties and the map."""

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.calendar import long_date
from network.forms import DateInput
from network.models import Closeness, Instrument, InstrumentItem, Phase, TieKind, Touchpoint
from network.partnership.assessments import (
    CLOSENESS_DESCRIPTIONS,
    PHASE_DESCRIPTIONS,
    RelationshipAnswer,
    item_name,
)
from network.partnership.contracting import ALERT_DAYS_MAX, ALERT_DAYS_MIN
from network.partnership.engagement import Period, period_default
from network.partnership.ties import DEFAULT_MIN_CLOSENESS, MapFilters, MapSource
from partners.models import Organization, OrganizationKind, Sector

# Far enough back for any network (the National DPP began in 2010), near enough that the previous period
# of the same length is still a real date; and far enough ahead for any plan, near enough that a day
# after the period is one too (past December 31, 9999 there is none).
EARLIEST_DAY = datetime.date(2000, 1, 1)
LATEST_DAY = datetime.date(2099, 12, 31)
LONGEST_PERIOD_DAYS = 10 * 366


class PeriodForm(forms.Form):
    """The period to look at, from the query string; the previous period of the same length is compared."""

    start = forms.DateField(label="From", widget=DateInput)
    end = forms.DateField(label="To", widget=DateInput, help_text="Both days are included.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and start < EARLIEST_DAY:
            self.add_error(
                "start", f"Choose a day from {EARLIEST_DAY:%B} {EARLIEST_DAY.day}, {EARLIEST_DAY.year} on."
            )
        elif end and end > LATEST_DAY:
            self.add_error("end", f"Choose a day up to {long_date(LATEST_DAY)}.")
        elif start and end and end < start:
            self.add_error("end", "The period cannot end before it starts.")
        elif start and end and (end - start).days >= LONGEST_PERIOD_DAYS:
            self.add_error("end", "Choose a period of at most ten years.")
        return cleaned


def period_from_query(query: QueryDict, *, today: datetime.date) -> tuple[PeriodForm, Period]:
    """The period the query string asks for, or the last six months (with the form's errors, if any)."""
    default = period_default(today=today)
    if "start" not in query and "end" not in query:
        return PeriodForm(initial={"start": default.start, "end": default.end}), default
    form = PeriodForm(query)
    if form.is_valid():
        return form, Period(start=form.cleaned_data["start"], end=form.cleaned_data["end"])
    return form, default


class TouchpointForm(forms.ModelForm):
    """A contact with a partner outside network meetings; the partner is chosen unless it is given."""

    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), label="Partner organization", empty_label="Choose a partner"
    )

    class Meta:
        model = Touchpoint
        fields = ["organization", "happened_on", "kind", "note"]
        labels = {"happened_on": "Date", "kind": "Kind of contact"}
        help_texts = {"note": "What it was about, in a line: for example a follow-up on missed meetings."}
        widgets = {"happened_on": DateInput}

    def __init__(self, *args: Any, partners: QuerySet[Organization] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if partners is None:
            del self.fields["organization"]  # the page is about one partner already
        else:
            self.fields["organization"].queryset = partners


class AlertDaysForm(forms.Form):
    days = forms.IntegerField(
        label="Days in one stage before an alert",
        min_value=ALERT_DAYS_MIN,
        max_value=ALERT_DAYS_MAX,
        help_text="A contract longer than this in planned, drafting or in review is flagged as delayed.",
    )


def _described(label: str, description: str) -> SafeString:
    """A radio label with a description under it, the U.S. Web Design System way."""
    return format_html('{}<span class="usa-radio__label-description">{}</span>', label, description)


class InstrumentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Instrument) -> SafeString:  # type: ignore[override]
        return _described(obj.name, obj.description)


class RoundOpenForm(forms.Form):
    """Open a round: which instrument, what to call it, and the last day partners can answer."""

    instrument = InstrumentChoiceField(
        queryset=Instrument.objects.all(),
        widget=forms.RadioSelect,
        empty_label=None,
        label="Instrument",
        error_messages={"required": "Choose the instrument partners will answer."},
    )
    title = forms.CharField(
        max_length=200,
        help_text="Partners see it in the e-mail and on the form, for example “Phase check, spring 2025”.",
        error_messages={"required": "Give the round a title."},
    )
    closes_on = forms.DateField(
        label="Last day to answer",
        widget=DateInput,
        help_text="Partners that have not answered are reminded once a week until then.",
        error_messages={"required": "Give the last day partners can answer.", "invalid": "Give a date."},
    )

    def clean_closes_on(self) -> datetime.date:
        closes_on = self.cleaned_data["closes_on"]
        if closes_on < timezone.localdate():
            raise forms.ValidationError("The last day to answer cannot be in the past.")
        return closes_on


def _scale_choices(instrument: Instrument) -> list[tuple[str, str]]:
    labels = instrument.scale_labels or {}
    return [
        (str(score), f"{score}: {labels[str(score)]}" if str(score) in labels else str(score))
        for score in range(instrument.scale_min, instrument.scale_max + 1)
    ]


class PhaseCheckForm(forms.Form):
    """The phase check: every item scored on the instrument's scale, and the phase the network is in."""

    def __init__(
        self,
        *args: Any,
        instrument: Instrument,
        items: list[InstrumentItem],
        with_phase: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            name = item_name(item, items)
            self.fields[f"item_{item.code}"] = forms.TypedChoiceField(
                label=f"{name}: {item.text}",
                choices=_scale_choices(instrument),
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Choose a score for “{name}”.",
                    "invalid_choice": f"Choose a score for “{name}” from the list.",
                },
            )
        if with_phase:
            self.fields["phase"] = forms.ChoiceField(
                label="Which phase of development is the network in?",
                help_text="The phases of ReThink Health's Pulse Check of 237 multisector partnerships.",
                choices=[
                    (value, _described(label, PHASE_DESCRIPTIONS[value])) for value, label in Phase.choices
                ],
                widget=forms.RadioSelect,
                error_messages={"required": "Choose the phase the network is in: Earlier, Middle or Later."},
            )

    def scores(self) -> dict[str, int]:
        return {item.code: self.cleaned_data[f"item_{item.code}"] for item in self.items}

    def phase(self) -> str:
        return self.cleaned_data.get("phase", "")


@dataclass
class PartnerRow:
    """The fields of one partner in the relationship survey: how closely, and the ratings."""

    organization: Organization
    closeness: forms.BoundField
    ratings: list[forms.BoundField]

    @property
    def has_errors(self) -> bool:
        return bool(self.closeness.errors) or any(field.errors for field in self.ratings)


class RelationshipSurveyForm(forms.Form):
    """For each other current partner: how closely the respondent works with it (or not at all), and, if
    at all, a rating on every item. Works without JavaScript: nothing is hidden or revealed."""

    def __init__(
        self,
        *args: Any,
        instrument: Instrument,
        items: list[InstrumentItem],
        partners: list[Organization],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.items, self.partners = items, partners
        ratings = [("", "Not rated"), *_scale_choices(instrument)]
        for partner in partners:
            self.fields[f"p{partner.pk}-closeness"] = forms.ChoiceField(
                label=f"How closely do you work with {partner.name}?",
                choices=[("", "We do not work with them"), *Closeness.choices],
                required=False,
            )
            for item in items:
                self.fields[f"p{partner.pk}-{item.code}"] = forms.TypedChoiceField(
                    label=item.text,
                    choices=ratings,
                    coerce=int,
                    empty_value=None,
                    required=False,
                )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for partner in self.partners:
            closeness = cleaned.get(f"p{partner.pk}-closeness")
            rated = {item.code: cleaned.get(f"p{partner.pk}-{item.code}") for item in self.items}
            if closeness:
                for item in self.items:
                    if rated[item.code] is None and f"p{partner.pk}-{item.code}" not in self.errors:
                        self.add_error(
                            f"p{partner.pk}-{item.code}",
                            f"Rate {partner.name} on “{item.text}”, or choose “We do not work with them”.",
                        )
            elif any(score is not None for score in rated.values()):
                self.add_error(
                    f"p{partner.pk}-closeness",
                    f"You rated {partner.name}: choose how closely you work with them, "
                    "or set the ratings back to “Not rated”.",
                )
        return cleaned

    @property
    def rows(self) -> list[PartnerRow]:
        return [
            PartnerRow(
                organization=partner,
                closeness=self[f"p{partner.pk}-closeness"],
                ratings=[self[f"p{partner.pk}-{item.code}"] for item in self.items],
            )
            for partner in self.partners
        ]

    def relationships(self) -> list[RelationshipAnswer]:
        answers = []
        for partner in self.partners:
            closeness = self.cleaned_data.get(f"p{partner.pk}-closeness")
            if closeness:
                scores = {item.code: self.cleaned_data[f"p{partner.pk}-{item.code}"] for item in self.items}
                answers.append(RelationshipAnswer(partner.pk, closeness, scores))
        return answers


def closeness_levels() -> list[tuple[str, str]]:
    """The closeness levels with what each means, for the survey's introduction."""
    return [(label, CLOSENESS_DESCRIPTIONS[value]) for value, label in Closeness.choices]


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
