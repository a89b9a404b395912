"""The equity pages' filters, and the estimates import form."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict

from core.figures import XLSX_TYPE
from goals.forms import DEFAULT_MEASURE, DashboardForm
from goals.selectors import MonthPeriod, period_default
from metrics.models import Breakdown, Measure
from partners.models import Organization

DEFAULT_BREAKDOWN = "race"


class EquityForm(DashboardForm):
    """The period, the measure, the breakdown and, where the viewer may see some partners' own
    figures, one of those partners."""

    breakdown = forms.ChoiceField(label="Breakdown")
    organization = forms.TypedChoiceField(label="Partner", coerce=int, required=False, empty_value=None)

    def __init__(
        self,
        *args: Any,
        measures: Sequence[Measure],
        breakdowns: Sequence[Breakdown],
        organizations: Sequence[Organization] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, measures=measures, **kwargs)
        self.fields["breakdown"].choices = [(breakdown.code, breakdown.name) for breakdown in breakdowns]
        if organizations:
            self.fields["organization"].choices = [("", "The whole network")] + [
                (organization.pk, organization.name) for organization in organizations
            ]
        else:
            del self.fields["organization"]


@dataclass(frozen=True)
class EquityFilters:
    period: MonthPeriod
    measure: Measure
    breakdown: Breakdown
    organization_id: int | None = None


FIELDS = ("start", "end", "measure", "breakdown", "organization")


def equity_filters(
    query: QueryDict,
    *,
    today: datetime.date,
    measures: Sequence[Measure],
    breakdowns: Sequence[Breakdown],
    organizations: Sequence[Organization] = (),
    default_breakdown: str = DEFAULT_BREAKDOWN,
) -> tuple[EquityForm, EquityFilters]:
    """The filters the query string asks for; where it asks for nothing, or something wrong (the form
    then has errors to show), the last 12 complete months, enrollments, by race, the whole scope."""
    period = period_default(today=today)
    measure = next((m for m in measures if m.code == DEFAULT_MEASURE), measures[0])
    breakdown = next((b for b in breakdowns if b.code == default_breakdown), breakdowns[0])
    default = EquityFilters(period, measure, breakdown)
    initial = {
        "start": f"{period.first:%Y-%m}",
        "end": f"{period.last:%Y-%m}",
        "measure": measure.code,
        "breakdown": breakdown.code,
    }
    options = {"measures": measures, "breakdowns": breakdowns, "organizations": organizations}
    if not any(key in query for key in FIELDS):
        return EquityForm(initial=initial, **options), default
    form = EquityForm({**initial, **query.dict()}, **options)
    if not form.is_valid():
        return form, default
    return form, EquityFilters(
        period=MonthPeriod(first=form.cleaned_data["start"], last=form.cleaned_data["end"]),
        measure=next(m for m in measures if m.code == form.cleaned_data["measure"]),
        breakdown=next(b for b in breakdowns if b.code == form.cleaned_data["breakdown"]),
        organization_id=form.cleaned_data.get("organization"),
    )


class EstimatesImportForm(forms.Form):
    """A CSV file or an Excel workbook of estimates and where they come from (shown beside every figure
    computed from them)."""

    file = forms.FileField(
        label="Estimates (CSV or Excel)",
        help_text="A CSV file or an Excel workbook (.xlsx: its first sheet is read, row 1 its header). "
        "Columns: state (postal code), breakdown, category, estimate. County categories are "
        "5-digit FIPS codes. The file replaces the estimates of the states and breakdowns it covers.",
        widget=forms.ClearableFileInput(attrs={"accept": f".csv,text/csv,.xlsx,{XLSX_TYPE}"}),
    )
    name = forms.CharField(label="Source", max_length=200)
    year = forms.IntegerField(label="Year the estimates describe", min_value=1990, max_value=2100)
    url = forms.URLField(label="Address of the source", required=False, assume_scheme="https")
    notes = forms.CharField(label="How they were derived", widget=forms.Textarea, required=False)
