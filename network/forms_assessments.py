"""Forms for self-assessments: opening a round, and the two answer forms partners reach by their link."""

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from network.assessments import CLOSENESS_DESCRIPTIONS, PHASE_DESCRIPTIONS, RelationshipAnswer, item_name
from network.forms import DateInput
from network.models import Closeness, Instrument, InstrumentItem, Phase
from partners.models import Organization


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
