"""Review with context: each count of a submitted report beside the partner's recent approved months
and the network's median for the same month, with unusual changes and left-out measures flagged in
words, as DHIS2's min-max and outlier checks do.

The rule is `unusual` (counts) and `left_out` (measures and breakdowns), pure functions over numbers;
`review_contexts` reads what they need for any number of reports in three queries, so neither the
report page nor the review queue makes more queries as partners or reports grow. Only backbone staff
of the report's network see it: every figure read is of that network's partners.
"""

import datetime
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from django.db.models import Q

from core.calendar import month_add, month_name
from metrics.catalogue import TOTAL_BREAKDOWN, TOTAL_CATEGORY, UNKNOWN, Catalogue
from metrics.models import MonthlyReport, PartnerFigure, ReportValue
from network.models import Network

# The rule, in one place. A count is unusual when it changes by at least MIN_CHANGE people (smaller
# changes are the noise of small programs) and
# - lies outside the partner's own range over its recent approved months, widened by a margin of
#   MARGIN_SHARE of the range's top (at least MIN_CHANGE), or
# - lies outside that range (unwidened) and more than MAD_LIMIT median absolute deviations from the
#   partner's recent median (a count the partner has reported before is not an outlier), or
# - is NETWORK_FACTOR times the network's median or more (a median of NETWORK_MIN_PARTNERS or more
#   partners that reported the measure that month).
# A breakdown's categories are judged the same way, unless the measure's total is flagged: its change
# moves them too, and one flag says so.
# The partner's own months count only when there are at least MIN_HISTORY of them.
HISTORY_MONTHS = 6
MIN_HISTORY = 3
MIN_CHANGE = 5
MARGIN_SHARE = 0.5
MAD_LIMIT = 3
NETWORK_FACTOR = 3
NETWORK_MIN_PARTNERS = 3

RULE_TEXT = (
    f"A count is flagged as unusual when it differs by {MIN_CHANGE} or more and lies well outside the "
    f"partner's lowest to highest count of its last {HISTORY_MONTHS} approved months (by half the highest, "
    f"at least {MIN_CHANGE}), or outside it and more than {MAD_LIMIT} median absolute deviations from their "
    "median, or is "
    f"{NETWORK_FACTOR} times the network's median for the month or more; a category only when its measure's "
    "total is not flagged already. A measure given last month and "
    "not now, or a breakdown given last month and now all unknown, is flagged as left out."
)

_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def _number(value: float) -> str:
    """A median as a page writes it: 10, 10.5 or 1,250,000 (a median of counts is a whole or a half)."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def unusual(count: int, history: Sequence[int], network_median: float | None) -> str | None:
    """Why ``count`` is unusual against the partner's recent approved months (``history``) and the
    network's median for the month (None when too few partners reported), in words; None if it is
    not."""
    if len(history) >= MIN_HISTORY:
        low, high = min(history), max(history)
        margin = max(MIN_CHANGE, MARGIN_SHARE * high)
        months = _WORDS.get(len(history), str(len(history)))
        if count > high + margin or count < low - margin:
            return f"Unusual: {count:,} against {low:,}–{high:,} in the last {months} approved months"
        median = statistics.median(history)
        deviation = statistics.median(abs(value - median) for value in history)
        outside = count > high or count < low
        if (
            outside
            and deviation
            and abs(count - median) >= MIN_CHANGE
            and abs(count - median) > MAD_LIMIT * deviation
        ):
            return (
                f"Unusual: {count:,}, more than {MAD_LIMIT} median absolute deviations "
                f"({_number(deviation)}) from the median of {_number(median)} in the last {months} "
                "approved months"
            )
    if (
        network_median is not None
        and count - network_median >= MIN_CHANGE
        and count >= NETWORK_FACTOR * max(network_median, 1)
    ):
        if network_median < 1:
            return f"Unusual: {count:,} against the network's median of {_number(network_median)}"
        times = count / network_median
        return f"Unusual: {count:,}, {times:.0f} times the network's median of {_number(network_median)}"
    return None


@dataclass(frozen=True)
class ContextRow:
    """One count of the report beside the partner's recent months and the network's median."""

    label: str  # "Total", or "Race: White"
    where: str  # in a sentence: "total", or "race: White"
    count: int
    history: list[int | None]  # per month of `ReviewContext.months`; None where the measure was not
    network_median: float | None
    network_partners: int
    flag: str | None


@dataclass
class MeasureContext:
    code: str
    name: str
    rows: list[ContextRow]


@dataclass
class ReviewContext:
    """What a reviewer reads beside a report: the months compared, a table per measure, and what is
    flagged."""

    months: list[datetime.date]  # the months before the report's, oldest first
    measures: list[MeasureContext] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    @property
    def flags(self) -> list[str]:
        found = [
            f"{measure.name}, {row.where}: {row.flag}"
            for measure in self.measures
            for row in measure.rows
            if row.flag
        ]
        return found + self.left_out

    @property
    def flag_count(self) -> int:
        return len(self.flags)


Figures = dict[tuple[int, int], int]  # (measure id, category id) -> count


def left_out(
    *,
    catalogue: Catalogue,
    cells: Figures,
    last: Figures | None,
    last_month: datetime.date | None,
) -> list[str]:
    """What the partner left out against its last approved month (``last``; None if it has none): a
    measure with a figure then and none now, or a breakdown given then (or ever, without a last
    month) and now all unknown."""
    found = []
    total_id = catalogue.categories[TOTAL_BREAKDOWN][TOTAL_CATEGORY].id
    for measure_id, name in catalogue.measures.values():
        before = (last or {}).get((measure_id, total_id))
        now = cells.get((measure_id, total_id))
        if now is None:
            if before and last_month is not None:
                found.append(f"Left out: {name}, {before:,} in {month_name(last_month)}, none in this report")
            continue
        if not now:
            continue
        for breakdown, breakdown_name in catalogue.breakdowns.items():
            if breakdown == TOTAL_BREAKDOWN:
                continue
            known = [info.id for info in catalogue.categories[breakdown].values() if info.code != UNKNOWN[0]]
            if any(cells.get((measure_id, category)) for category in known):
                continue
            if last is not None and not any(last.get((measure_id, category)) for category in known):
                continue  # not given last month either: nothing newly left out
            found.append(f"Left out: {name} by {breakdown_name.lower()}, all {now:,} counted as unknown")
    return found


def _median(values: list[int]) -> float | None:
    return statistics.median(values) if len(values) >= NETWORK_MIN_PARTNERS else None


def review_contexts(
    *, network: Network, reports: Iterable[MonthlyReport], catalogue: Catalogue
) -> dict[int, ReviewContext]:
    """The review context of each report of ``network``, by report id. Three queries whatever the
    number of reports and partners: the reports' current values, the partners' approved months before
    them, and every partner's approved figures of the reports' months."""
    reports = [report for report in reports if report.network_id == network.pk]
    if not reports:
        return {}
    versions = {report.current_version_id: report.pk for report in reports if report.current_version_id}
    cells: dict[int, Figures] = {report.pk: {} for report in reports}
    for version_id, measure_id, category_id, count in ReportValue.objects.filter(
        version_id__in=sorted(versions)
    ).values_list("version_id", "measure_id", "category_id", "count"):
        cells[versions[version_id]][measure_id, category_id] = count

    months = {report.month for report in reports}
    # Each partner's months before its reports, and no others: a queue reaching far back reads what
    # it shows, not every month between.
    windows: dict[int, tuple[datetime.date, datetime.date]] = {}
    for report in reports:
        first, last = windows.get(report.organization_id, (report.month, report.month))
        windows[report.organization_id] = (min(first, report.month), max(last, report.month))
    scope = Q()
    for organization_id, (first, last) in sorted(windows.items()):
        scope |= Q(
            organization_id=organization_id, month__gte=month_add(first, -HISTORY_MONTHS), month__lt=last
        )
    # (organization, month) -> figures, for the partners' own recent months
    history: dict[tuple[int, datetime.date], Figures] = defaultdict(dict)
    for organization_id, month, measure_id, category_id, count in PartnerFigure.objects.filter(
        scope, network=network
    ).values_list("organization_id", "month", "measure_id", "category_id", "count"):
        history[organization_id, month][measure_id, category_id] = count
    # month -> organization -> figures, for the network's medians
    peers: dict[datetime.date, dict[int, Figures]] = defaultdict(lambda: defaultdict(dict))
    for organization_id, month, measure_id, category_id, count in PartnerFigure.objects.filter(
        network=network, month__in=sorted(months)
    ).values_list("organization_id", "month", "measure_id", "category_id", "count"):
        peers[month][organization_id][measure_id, category_id] = count

    return {
        report.pk: _context(
            catalogue=catalogue,
            report=report,
            cells=cells[report.pk],
            history=history,
            peers={
                org: figures for org, figures in peers[report.month].items() if org != report.organization_id
            },
        )
        for report in reports
    }


def report_review_context(*, report: MonthlyReport, catalogue: Catalogue) -> ReviewContext:
    """The review context of one report (`review_contexts`): three queries."""
    return review_contexts(network=report.network, reports=[report], catalogue=catalogue)[report.pk]


def _context(
    *,
    catalogue: Catalogue,
    report: MonthlyReport,
    cells: Figures,
    history: dict[tuple[int, datetime.date], Figures],
    peers: dict[int, Figures],
) -> ReviewContext:
    months = [month_add(report.month, -n) for n in range(HISTORY_MONTHS, 0, -1)]
    past = [history.get((report.organization_id, month)) for month in months]
    total_id = catalogue.categories[TOTAL_BREAKDOWN][TOTAL_CATEGORY].id
    context = ReviewContext(months=months)
    for code, (measure_id, name) in catalogue.measures.items():
        if (measure_id, total_id) not in cells:
            continue
        # A month counts for a measure when the partner reported the measure then; a category not
        # given that month counts as 0, as a blank cell does.
        reported = [figures if figures and (measure_id, total_id) in figures else None for figures in past]
        reporters = [figures for figures in peers.values() if (measure_id, total_id) in figures]
        rows = []
        for breakdown, breakdown_name in catalogue.breakdowns.items():
            for info in catalogue.categories[breakdown].values():
                key = (measure_id, info.id)
                count = cells.get(key, 0)
                series = [None if figures is None else figures.get(key, 0) for figures in reported]
                is_total = breakdown == TOTAL_BREAKDOWN
                if not is_total and not count and not any(series):
                    continue  # a category nobody counts in: keeps the table short
                median = _median([figures.get(key, 0) for figures in reporters])
                rows.append(
                    ContextRow(
                        label="Total" if is_total else f"{breakdown_name}: {info.name}",
                        where="total" if is_total else f"{breakdown_name.lower()}: {info.name}",
                        count=count,
                        history=series,
                        network_median=median,
                        network_partners=len(reporters),
                        flag=unusual(count, [value for value in series if value is not None], median),
                    )
                )
        if rows[0].flag:
            # The total's change moves its categories too: one flag for it, not one per category.
            rows[1:] = [replace(row, flag=None) for row in rows[1:]]
        context.measures.append(MeasureContext(code, name, rows))
    last_index = max((index for index, figures in enumerate(past) if figures), default=None)
    context.left_out = left_out(
        catalogue=catalogue,
        cells=cells,
        last=None if last_index is None else past[last_index],
        last_month=None if last_index is None else months[last_index],
    )
    return context
