"""Forms of monthly reporting: the month form (a table per breakdown, a column per measure), the
backbone's review (the version looked at, and a return's comment), and the completeness period."""

import datetime
import re
from dataclasses import dataclass, field

from django import forms

from core.problems import Problem
from metrics.catalogue import COUNTY_BREAKDOWN, TOTAL_BREAKDOWN, TOTAL_CATEGORY, UNKNOWN, Catalogue
from metrics.validation import MONTHS_READ, Cells, ValueIn, as_count, parse_month

MAX_COUNT = 1_000_000  # far above any month of one partner; keeps a slip of the finger out of the database

CellKey = tuple[str, str, str]  # (measure, breakdown, category)


NOT_COLLECTED = "not collected: counted as unknown"


def sum_text(given: int, total: int, *, blank: bool = False) -> str:
    """A breakdown's running total under a measure's column, in the row "Adds up to"
    (report_form.js says the same). A breakdown left ``blank`` under a total was not collected."""
    if blank and total:
        return f"{total} {NOT_COLLECTED}"
    if given == total:
        return f"{given} of {total}"
    if given < total:
        return f"{given} of {total}: {total - given} to go"
    return f"{given} of {total}: {given - total} too many"


@dataclass
class CountCell:
    """One input of the month form, with its problem (shown beside it) if it has one."""

    field: forms.BoundField
    error: str = ""

    @property
    def error_id(self) -> str:
        return f"{self.field.auto_id}-error"


@dataclass
class CountRow:
    """One category: its name and one input per measure."""

    code: str
    name: str
    cells: list[CountCell]


@dataclass(frozen=True)
class SummaryLine:
    """A line of the error summary: what is wrong, and the id of the input to fix (or "")."""

    anchor: str
    text: str


@dataclass
class CountBlock:
    """One breakdown of the form. County blocks put the organization's counties in ``rows``, the
    state's other counties in ``others`` (shown collapsed) and unknown in ``tail``."""

    code: str
    name: str
    rows: list[CountRow]
    others: list[CountRow] = field(default_factory=list)
    tail: list[CountRow] = field(default_factory=list)
    sums: list[tuple[str, str, str, bool]] = field(default_factory=list)  # (measure, name, text, off)
    others_open: bool = False
    errors: list[tuple[str, str]] = field(default_factory=list)  # (id, text): the breakdown's problems

    @property
    def is_total(self) -> bool:
        return self.code == TOTAL_BREAKDOWN


class CountInput(forms.TextInput):
    """A count's input: USWDS's ``usa-input``, with ``usa-input--error`` while it has a problem."""

    template_name = "metrics/widgets/count_input.html"

    def get_context(self, name: str, value: object, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        context["widget"]["invalid"] = context["widget"]["attrs"].get("aria-invalid") == "true"
        return context


class CountField(forms.IntegerField):
    """A count typed in ASCII digits. Python's ``int`` (and so Django's IntegerField) also reads
    digits of other scripts ("٣"), which the running totals, the files and the API refuse; a cell
    means the same whichever way it comes in."""

    def to_python(self, value: object) -> int | None:
        if value not in self.empty_values and not str(value).strip().isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class MonthForm(forms.Form):
    """A month's counts: one optional whole number per measure and category.

    A blank cell counts as 0; a measure whose every cell is blank is not reported at all. Whether the
    breakdowns add up is the service's check, shared with files and the API.
    """

    note = forms.CharField(
        label="Note for the backbone staff (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example, what a correction changes.",
    )

    def __init__(
        self,
        data: object = None,
        *,
        catalogue: Catalogue,
        served_fips: set[str] | frozenset[str] = frozenset(),
        cells: Cells | None = None,
    ) -> None:
        initial = {self.field_name(key): count for key, count in (cells or {}).items()}
        super().__init__(data, initial=initial)
        self.catalogue = catalogue
        self.served_fips = served_fips
        self.keys: dict[str, CellKey] = {}
        for breakdown, breakdown_name in catalogue.breakdowns.items():
            for info in catalogue.categories[breakdown].values():
                for measure, (_, measure_name) in catalogue.measures.items():
                    key = (measure, breakdown, info.code)
                    name = self.field_name(key)
                    label = (
                        f"{measure_name}, total"
                        if breakdown == TOTAL_BREAKDOWN
                        else f"{measure_name}, {breakdown_name.lower()}: {info.name}"
                    )
                    message = f"{label}: enter a whole number, 0 or more."
                    self.fields[name] = CountField(
                        label=label,
                        required=False,
                        min_value=0,
                        max_value=MAX_COUNT,
                        error_messages={
                            "invalid": message,
                            "min_value": message,
                            "max_value": f"{label}: enter a count up to {MAX_COUNT:,}.",
                        },
                        widget=CountInput(
                            attrs={
                                "inputmode": "numeric",
                                "autocomplete": "off",
                                "aria-label": label,
                                "data-measure": measure,
                                "data-breakdown": breakdown,
                            }
                        ),
                    )
                    self.keys[name] = key
        self.order_fields([*self.keys, "note"])
        # (breakdown, measure) -> the service's problem with that breakdown of that measure
        self.breakdown_errors: dict[tuple[str, str], str] = {}
        self.other_problems: list[str] = []

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.keys:
                self._mark(name, f"{self[name].auto_id}-error")

    def _mark(self, name: str, described_by: str) -> None:
        """An input with a problem: aria-invalid, described by its message, in USWDS's error style."""
        self.fields[name].widget.attrs.update({"aria-invalid": "true", "aria-describedby": described_by})

    def place_problems(self, problems: list[Problem]) -> None:
        """Put the service's problems beside what they are about: a breakdown that does not add up (or a
        measure with no total) marks that column of that breakdown; the rest (the month) go on top."""
        names = {name.lower(): code for code, name in self.catalogue.breakdowns.items()}
        for problem in problems:
            text = self._words(problem.message)
            found = re.match(r"^(\w+) by (.+) adds up to ", problem.message)
            if found and found[1] in self.catalogue.measures and found[2] in names:
                key = (names[found[2]], found[1])
            elif (found := re.match(r"^(\w+) has no total$", problem.message)) and (
                found[1] in self.catalogue.measures
            ):
                key = (TOTAL_BREAKDOWN, found[1])
            else:
                self.other_problems.append(text)
                continue
            self.breakdown_errors[key] = text[0].upper() + text[1:]
            breakdown, measure = key
            for name, (cell_measure, cell_breakdown, _) in self.keys.items():
                if (cell_measure, cell_breakdown) == (measure, breakdown) and name not in self.errors:
                    self._mark(name, self._breakdown_error_id(breakdown, measure))

    def _words(self, text: str) -> str:
        """A problem in the page's words: measures by their names."""
        for code, (_, name) in self.catalogue.measures.items():
            text = re.sub(rf"(^|: ){re.escape(code)}\b", rf"\g<1>{name}", text)
        return text

    @staticmethod
    def _breakdown_error_id(breakdown: str, measure: str) -> str:
        return f"error-{breakdown}-{measure}"

    def summary(self) -> list[SummaryLine]:
        """Every problem, in the order of the page, each linked to the input to fix: the error
        summary on top says what and where, the message beside the input says the rest."""
        lines = [
            SummaryLine(self[name].auto_id, error)
            for name in [*self.keys, "note"]
            for error in self.errors.get(name, [])
        ]
        for (breakdown, measure), text in self.breakdown_errors.items():
            # The breakdown's first input; for counties, unknown's (the others may be folded away).
            category = (
                UNKNOWN[0]
                if breakdown == COUNTY_BREAKDOWN
                else next(iter(self.catalogue.categories[breakdown]))
            )
            first = self.field_name((measure, breakdown, category))
            lines.append(SummaryLine(self[first].auto_id, text))
        lines += [SummaryLine("", text) for text in self.other_problems]
        return lines

    @property
    def measure_names(self) -> list[str]:
        return [name for _, name in self.catalogue.measures.values()]

    @staticmethod
    def field_name(key: CellKey) -> str:
        return "__".join(key)

    def values(self) -> list[ValueIn]:
        """The counts to store: for each measure with any cell filled in, its total (0 if blank)
        and every cell filled in."""
        cleaned = {key: self.cleaned_data.get(name) for name, key in self.keys.items()}
        values = []
        for measure in self.catalogue.measures:
            cells = {key: count for key, count in cleaned.items() if key[0] == measure and count is not None}
            if not cells:
                continue
            total_key = (measure, TOTAL_BREAKDOWN, TOTAL_CATEGORY)
            cells.setdefault(total_key, 0)
            values.extend(ValueIn(*key, count) for key, count in cells.items())
        return values

    def _count(self, name: str) -> int:
        """What a cell holds now, leniently (for the running totals): anything but a count is 0."""
        return as_count(self[name].value()) or 0

    def blocks(self) -> list[CountBlock]:
        """The form laid out as a block per breakdown, the total first, each with its running totals."""
        blocks = []
        measures = list(self.catalogue.measures.items())
        totals = {
            measure: self._count(self.field_name((measure, TOTAL_BREAKDOWN, TOTAL_CATEGORY)))
            for measure, _ in measures
        }
        for breakdown, breakdown_name in self.catalogue.breakdowns.items():
            rows = [
                CountRow(
                    info.code,
                    info.name,
                    [self._cell((measure, breakdown, info.code)) for measure, _ in measures],
                )
                for info in self.catalogue.categories[breakdown].values()
            ]
            block = CountBlock(breakdown, breakdown_name, rows)
            block.errors = [
                (self._breakdown_error_id(breakdown, measure), self.breakdown_errors[breakdown, measure])
                for measure, _ in measures
                if (breakdown, measure) in self.breakdown_errors
            ]
            if breakdown == COUNTY_BREAKDOWN:
                block.rows = [row for row in rows if row.code in self.served_fips]
                block.others = [
                    row for row in rows if row.code not in self.served_fips and row.code != UNKNOWN[0]
                ]
                block.tail = [row for row in rows if row.code == UNKNOWN[0]]
                block.others_open = any(
                    cell.error or self._count(cell.field.html_name)
                    for row in block.others
                    for cell in row.cells
                )
            if breakdown != TOTAL_BREAKDOWN:
                for measure, measure_name in measures:
                    names = [self.field_name((measure, breakdown, row.code)) for row in rows]
                    given = sum(self._count(name) for name in names)
                    blank = all(self[name].value() in (None, "") for name in names)
                    total = totals[measure]
                    block.sums.append(
                        (
                            measure,
                            measure_name,
                            sum_text(given, total, blank=blank),
                            given != total and not blank,
                        )
                    )
            blocks.append(block)
        return blocks

    def _cell(self, key: CellKey) -> CountCell:
        name = self.field_name(key)
        errors = self.errors.get(name, []) if self.is_bound else []
        # Beside the input, the message without the label the summary needs ("enter a whole number").
        text = errors[0].removeprefix(f"{self.fields[name].label}: ") if errors else ""
        return CountCell(self[name], text[:1].upper() + text[1:])


class ReviewForm(forms.Form):
    """The version a reviewer looked at, sent with their decision: if the partner has sent a newer one
    since, the decision is refused (`metrics.services.VersionOutdated`)."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ReturnForm(ReviewForm):
    comment = forms.CharField(
        label="What needs correcting",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="The partner's staff see this comment with the report.",
        error_messages={"required": "Say what needs correcting: the partner sees your comment."},
    )


class PeriodEndForm(forms.Form):
    """The last month of the completeness grid, as YYYY-MM."""

    end = forms.CharField(required=False)

    def clean_end(self) -> datetime.date | None:
        text = self.cleaned_data["end"]
        if not text:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError(f"Give {MONTHS_READ}, such as 2024-06.")
        return month


class OutcomeBreakdownForm(forms.Form):
    """The breakdown the program outcomes' equity view splits participants by."""

    breakdown = forms.ChoiceField(label="Breakdown", required=False)

    def __init__(self, data: object, *, breakdowns: list) -> None:
        super().__init__(data)
        self.fields["breakdown"].choices = [(b.code, b.name) for b in breakdowns]

    def asked(self) -> str | None:
        """The breakdown asked for, if it is one of the choices."""
        if not self.is_valid():
            return None
        return self.cleaned_data["breakdown"] or None

    def show(self, code: str) -> None:
        """Show ``code`` as chosen, whatever was asked (a wrong choice keeps its error)."""
        if not self.is_bound:
            self.initial = {"breakdown": code}
