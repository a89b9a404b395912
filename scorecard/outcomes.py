"""What happens after people enroll, for the public scorecard: of the participants whose year in the
program is over, how many started, the share still in the program at months 6 and 12, and the share of
the evaluated who met the outcome of the DPRP Standards, over the network's latest four quarters of
cohorts whose year is over (`metrics.outcomes`, published by `metrics.outcome_publication`).

Only the partners that share their outcomes count (the outcome publication adds up theirs alone). Their
staff and the state's viewers read the public page too, so a cell (a quarter's count of a measure) is
shown to the public only where the outcome publication shows it to each of them as well, on the page
where they read it (`public_outcome_publication`): the same rule as the monthly counts'
(`scorecard.board.public_publication`). A share is shown only where both its counts are."""

import dataclasses
import datetime
from dataclasses import dataclass, field

from core.calendar import quarter_label
from core.disclosure import Reason
from core.figures import Chart, Table
from metrics.outcome_publication import OutcomePublication, outcome_publications
from metrics.outcome_selectors import (
    Summary,
    finished,
    share,
    share_cell,
    shown,
    summary,
    survival_chart,
    survival_line,
    survival_table,
)
from metrics.outcomes import EVALUATED, MET_OUTCOME, STARTED, CohortMeasure
from metrics.publication import Figure
from network.models import Network
from scorecard.readers import PUBLIC, viewers_identifying

QUARTERS = 4  # a year of cohorts: what a legislature asks about

# Said once, in plain words, from the definitions of `metrics.outcomes` (EVALUATED, OUTCOMES).
DEFINITION = (
    "A participant meets the outcome of the DPRP Standards when, over their year in the program, they "
    "lose at least 5 % of their weight, or at least 4 % while being active 150 minutes a week on average, "
    "or lower their A1C by at least 0.2 points; only evaluated participants are judged: those who came to "
    "at least 3 sessions in their first 6 months and stayed at least 9 months."
)


def public_outcome_publication(*, network: Network, today: datetime.date) -> OutcomePublication:
    """The network's outcomes as published to the public: the outcome publication for the viewer who
    knows no partner, less each cell hidden from the staff of a partner whose outcomes count (on their
    network's page) or from the state's viewers (on the state's page, solved with the state's cells).
    Those cells say why: so that another count cannot be worked out. One outcome publication for the
    public and one for each of them."""
    public = outcome_publications(networks=[network], viewer=PUBLIC, today=today)
    published = public.networks[network.pk]
    sharing = {m.organization_id for m in public.memberships if m.outcomes_shared}
    if not sharing:
        return published
    hidden = dict(published.hidden)
    statewide: list[Network] | None = None
    for viewer in viewers_identifying(network=network, organization_ids=sharing):
        networks = [network]
        if network.state_id in viewer.states:
            statewide = statewide or list(Network.objects.filter(state_id=network.state_id))
            networks = statewide
        theirs = outcome_publications(
            networks=networks, viewer=viewer, today=today, with_states=network.state_id in viewer.states
        ).networks[network.pk]
        for key in theirs.hidden:
            hidden.setdefault(key, Reason.COMPLEMENT)
    return dataclasses.replace(published, hidden=hidden)


@dataclass
class Window(Summary):
    """One group of cohorts on the scorecard (a quarter, or the four together): its counts as published."""

    label: str = ""


def _window(publication: OutcomePublication, label: str, cohorts: list[datetime.date]) -> Window:
    return Window(label=label, **vars(summary(publication, cohorts)))


@dataclass
class PublicOutcomes:
    """The scorecard's "What happens after people enroll": sentences, and (when something is shown) a
    table of the cohorts and a survival-style chart beside its table."""

    sharing: int  # partners sharing their outcomes now: organizations, not people
    said: list[str]
    unconfirmed: list[CohortMeasure] = field(default_factory=list)
    table: Table | None = None
    survival: Table | None = None
    chart: Chart | None = None

    @property
    def tables(self) -> list[Table]:
        return [table for table in (self.table, self.survival) if table is not None]

    @property
    def definition(self) -> str:
        return DEFINITION


def _percent_words(part: Figure, whole: Figure) -> str | None:
    found = share(part, whole)
    return None if found is None else f"{found} %"


def _retention_words(window: Window) -> str | None:
    at_6 = _percent_words(window.month_6, window.started)
    at_12 = _percent_words(window.month_12, window.started)
    if at_6 and at_12:
        return f"{at_6} were still in the program 6 months on, and {at_12} at 12 months"
    return None


def _outcome_words(window: Window) -> str | None:
    met = _percent_words(window.met, window.evaluated)
    if met and window.evaluated.value is not None:
        evaluated = window.evaluated.value
        return f"of the {evaluated:,} evaluated participants, {met} met the outcome of the DPRP Standards"
    return None


def _sentences(total: Window, windows: list[Window], covers: str) -> list[str]:
    """The section in plain words: over all the quarters where shown; else, said so, the latest quarter
    where it is (a count shown in the table, so nothing more is told)."""
    said = []
    if total.started.value is None:
        said.append(f"How many started {covers} is not shown, to protect privacy.")
    else:
        said.append(f"{total.started.value:,} people started the program {covers}.")
    for words, what in (
        (_retention_words, "How many of them were still in the program at months 6 and 12"),
        (_outcome_words, "The share of the evaluated participants who met the outcome"),
    ):
        if found := words(total):
            said.append(f"{found[0].upper()}{found[1:]}.")
            continue
        latest = next(((w, f) for w in reversed(windows) if (f := words(w))), None)
        hidden = f"{what} is not shown over all of them, to protect privacy"
        said.append(
            f"{hidden}; of those who started in {latest[0].label}, {latest[1]}." if latest else f"{hidden}."
        )
    return said


def public_outcomes(*, network: Network, today: datetime.date) -> PublicOutcomes:
    """The section, from `public_outcome_publication`: over the latest ``QUARTERS`` quarters of cohorts
    whose year is over. Only sentences where no partner shares, no cohort has had its year, or every
    figure is hidden."""
    publication = public_outcome_publication(network=network, today=today)
    sharing = len(
        set(
            network.memberships.current()
            .filter(outcomes_shared=True)
            .values_list("organization_id", flat=True)
        )
    )
    if not sharing:
        return PublicOutcomes(
            sharing, ["No partner shares its program outcomes yet, so none can be shown here."]
        )
    quarters = finished(publication)[-QUARTERS:]
    if not quarters:
        return PublicOutcomes(
            sharing, ["No group of participants of the partners that share has finished its year yet."]
        )
    covers = (
        f"in {quarter_label(quarters[0])}"
        if len(quarters) == 1
        else f"from {quarter_label(quarters[0])} to {quarter_label(quarters[-1])}"
    )
    windows = [_window(publication, quarter_label(quarter), [quarter]) for quarter in quarters]
    total = _window(publication, f"All {len(quarters)} quarters", quarters)
    if all(figure.value is None for window in [*windows, total] for figure in window.figures):
        return PublicOutcomes(
            sharing,
            [
                "Every figure of the participants who finished their year is hidden, to protect privacy: "
                "the groups are still too small to show."
            ],
        )
    t = publication.threshold
    table = Table(
        caption=f"Participants who started {covers}, by quarter of their first session",
        columns=[
            "Cohort (quarter of first session)",
            STARTED.label,
            "Still in the program in month 6",
            "Still in the program in month 6 (%)",
            "Still in the program in month 12",
            "Still in the program in month 12 (%)",
            EVALUATED.label,
            MET_OUTCOME.label,
            f"{MET_OUTCOME.label} (% of evaluated)",
        ],
        rows=[
            [
                window.label,
                shown(window.started, t),
                shown(window.month_6, t),
                share_cell(window.month_6, window.started, t),
                shown(window.month_12, t),
                share_cell(window.month_12, window.started, t),
                shown(window.evaluated, t),
                shown(window.met, t),
                share_cell(window.met, window.evaluated, t),
            ]
            for window in [*windows, total]
        ],
        slug="outcomes",
    )
    # A line per quarter as well as theirs together: where one quarter's count is hidden, the others' show.
    lines = [survival_line(publication, f"Started in {quarter_label(q)}", [q]) for q in quarters]
    if len(quarters) > 1:
        lines.append(survival_line(publication, f"Started {covers}", quarters))
    title = f"Share still in the program, of the participants who started {covers}"
    return PublicOutcomes(
        sharing=sharing,
        said=_sentences(total, windows, covers),
        unconfirmed=[measure for measure in (EVALUATED, MET_OUTCOME) if not measure.confirmed],
        table=table,
        survival=survival_table(lines, caption=title, slug="outcomes-survival", threshold=t),
        chart=survival_chart(lines, title=title, element_id="outcomes-survival-chart"),
    )
