"""Forms for partnership health: the period to look at, touchpoints, and the contract alert days."""

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict

from network.dates import long_date
from network.forms import DateInput
from network.health import ALERT_DAYS_MAX, ALERT_DAYS_MIN, Period, period_default
from network.models import Touchpoint
from partners.models import Organization

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
