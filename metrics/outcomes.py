"""Retention and the outcome measures of the DPRP Standards: each defined once, here, with the edition of
the Standards it comes from and whether Tandem could confirm its wording in the published text.

A cohort is an organization's participants whose first session fell in one month. What Tandem keeps of
them is `metrics.models.CohortCount`: how many of a cohort did what each measure counts, in all and by
breakdown category (the categories of the participant's first session). Program months are counted
from the participant's first session, not by calendar month: month 1 is its first 365/12 days.

Sources, as far as they could be confirmed (the page and the README say the same):
- 2018 DPRP Standards (March 1, 2018): the evaluation cohort (at least 3 sessions in months 1 to 6 and at
  least 9 months from first to last session) and the attendance requirement (9 sessions in months 1 to 6,
  3 in months 7 to 12) are confirmed from CDC's progress report to organizations (OMB 0920-0909).
- 2021 DPRP Standards (May 1, 2021): three ways to meet the risk-reduction outcome, confirmed from CDC's
  published analysis of them: at least 5 % weight loss; at least 4 % weight loss with a weekly mean of
  150 or more minutes of physical activity; a 0.2 point reduction in A1C.
- 2024 DPRP Standards (June 1, 2024): Tandem could not read their outcome section; the 2021 definitions
  are applied and marked unconfirmed.

How they are counted (`cohort_counts`, below the definitions): a participant's year is program months 1
to 12; sessions after it count for retention only ("attended in month k or later"). Weight and A1C are
compared first recorded against last recorded in the year; activity is the mean over the sessions of the
year where it was recorded. An outcome measure counts only evaluated participants, and only under the
editions it lists: the participant's edition is that of the file their first session came from, so a
2018 file's participant meets the outcome by 5 % weight loss alone. `cohorts_rebuild` keeps the counts
as `CohortCount` rows, rebuilt after each saved DPRP file and nightly.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction

from core import jobs
from core.calendar import month_end, month_of
from metrics import figure_cache
from metrics.catalogue import TOTAL_BREAKDOWN, TOTAL_CATEGORY
from metrics.importers.dprp import BREAKDOWN_FIELDS, Session
from metrics.models import Category, CohortCount, ParticipantSession
from metrics.selectors import participant_sessions
from network.models import Membership
from partners.models import Organization

EDITIONS = ("2018", "2021", "2024")
PROGRAM_MONTHS = range(1, 13)  # the year-long lifestyle change program
DAYS_PER_PROGRAM_MONTH = 365 / 12


@dataclass(frozen=True)
class CohortMeasure:
    code: str  # `CohortCount.measure`
    label: str
    description: str  # in plain words, for the page
    editions: tuple[str, ...]  # editions of the DPRP Standards that define it; () for Tandem's own
    source: str  # where the definition comes from
    confirmed: bool  # whether its wording was confirmed in a published text
    outcome: bool = False  # one of the ways to meet the Standards' outcome


def retained_code(month: int) -> str:
    """The measure of the participants still in the program in program month ``month``."""
    return f"retained_m{month}"


STARTED = CohortMeasure(
    "started",
    "Started",
    "Participants whose first session was in the month.",
    EDITIONS,
    "Tandem: a participant is enrolled in the month of their first session",
    True,
)
RETAINED = [
    CohortMeasure(
        retained_code(month),
        f"Still in the program in month {month}",
        f"Participants who attended a session in month {month} of their year or later.",
        (),
        "Tandem's retention measure (a survival curve of attendance)",
        True,
    )
    for month in PROGRAM_MONTHS
]
SESSIONS = [
    CohortMeasure(
        code, label, f"Participants who attended {label.lower()} in their year.", (), "Tandem", True
    )
    for code, label in [
        ("sessions_1_3", "1 to 3 sessions"),
        ("sessions_4_8", "4 to 8 sessions"),
        ("sessions_9_15", "9 to 15 sessions"),
        ("sessions_16_plus", "16 sessions or more"),
    ]
]
EVALUATED = CohortMeasure(
    "evaluated",
    "Evaluated",
    "Participants who attended at least 3 sessions in months 1 to 6 and whose last session was at least "
    "9 months after their first: the participants the DPRP Standards judge outcomes by.",
    EDITIONS,
    "2018 DPRP Standards, attendance requirement (confirmed); assumed unchanged in 2021 and 2024",
    False,
)
ATTENDANCE = [
    CohortMeasure(
        "attended_9_in_1_6",
        "9 sessions in months 1 to 6",
        "Evaluated participants who attended at least 9 sessions in months 1 to 6.",
        EDITIONS,
        "2018 DPRP Standards, session attendance in months 1 to 6 (confirmed); assumed unchanged since",
        False,
    ),
    CohortMeasure(
        "attended_3_in_7_12",
        "3 sessions in months 7 to 12",
        "Evaluated participants who attended at least 3 sessions in months 7 to 12.",
        EDITIONS,
        "2018 DPRP Standards, session attendance in months 7 to 12 (confirmed); assumed unchanged since",
        False,
    ),
]
OUTCOMES = [
    CohortMeasure(
        "weight_loss_5",
        "5 % weight loss",
        "Evaluated participants whose last recorded weight is at least 5 % below their first.",
        EDITIONS,
        "2021 DPRP Standards, risk reduction (confirmed); the 2018 Standards judge the cohort's average "
        "weight loss of 5 % instead, so for 2018 files this counts participants, not the average",
        False,
        outcome=True,
    ),
    CohortMeasure(
        "weight_loss_4_activity_150",
        "4 % weight loss and 150 minutes of activity",
        "Evaluated participants with at least 4 % weight loss and a weekly mean of at least 150 minutes of "
        "physical activity over the sessions where it was recorded.",
        ("2021", "2024"),
        "2021 DPRP Standards, risk reduction (confirmed); 2024 assumed unchanged (unconfirmed)",
        False,
        outcome=True,
    ),
    CohortMeasure(
        "a1c_drop_0_2",
        "A1C down 0.2 points",
        "Evaluated participants whose last recorded A1C is at least 0.2 percentage points below their first.",
        ("2021", "2024"),
        "2021 DPRP Standards, risk reduction (confirmed that a 0.2 reduction counts; which two A1C results "
        "are compared is Tandem's reading, unconfirmed); 2024 assumed unchanged (unconfirmed)",
        False,
        outcome=True,
    ),
]
MET_OUTCOME = CohortMeasure(
    "met_outcome",
    "Met the outcome",
    "Evaluated participants who met at least one of the outcome measures of the edition of the Standards "
    "their file follows.",
    EDITIONS,
    "2021 DPRP Standards, risk reduction (confirmed); 2018: 5 % weight loss only; 2024 as 2021 (unconfirmed)",
    False,
)
MEASURES: list[CohortMeasure] = [
    STARTED,
    *RETAINED,
    *SESSIONS,
    EVALUATED,
    *ATTENDANCE,
    *OUTCOMES,
    MET_OUTCOME,
]
BY_CODE = {measure.code: measure for measure in MEASURES}
# The measures published by breakdown group to a viewer who does not see every partner: what the equity
# breakdown reads (who started, who is still in at months 3, 6, 9 and 12, who was evaluated and who met
# the outcome). Each other measure is published for everyone together only: every cell published by
# group is one more the suppression must protect, and the solving grows faster than the cells.
GROUP_MONTHS = (3, 6, 9, 12)
BY_GROUP = frozenset(
    [STARTED.code, *(retained_code(month) for month in GROUP_MONTHS), EVALUATED.code, MET_OUTCOME.code]
)


# --- the computation -------------------------------------------------------------------------------

# (cohort month, measure code, breakdown code, category code) -> participants
CohortCells = dict[tuple[datetime.date, str, str, str], int]
EVALUATION_DAYS = 9 * 365 / 12  # "at least 9 months from first to last session": 9 program months, in days


def program_month(first: datetime.date, day: datetime.date) -> int:
    """The program month of a session on ``day`` of a participant whose first session was on ``first``:
    1 for the first 365/12 days, and so on (in whole days, so no rounding decides it)."""
    return (day - first).days * 12 // 365 + 1


def _weight_lost_at_least(year: list[Session], percent: int) -> bool:
    """The last recorded weight of the year at least ``percent`` % below the first (exact decimals)."""
    weights = [session.weight for session in year if session.weight is not None]
    return bool(weights) and (weights[0] - weights[-1]) * 100 >= percent * weights[0]


def _activity_at_least(year: list[Session], minutes: int) -> bool:
    """The mean of the activity minutes recorded in the year at least ``minutes``."""
    recorded = [session.activity_minutes for session in year if session.activity_minutes is not None]
    return bool(recorded) and sum(recorded) >= minutes * len(recorded)


def _a1c_dropped_at_least(year: list[Session], points: Decimal) -> bool:
    results = [session.a1c for session in year if session.a1c is not None]
    return bool(results) and results[0] - results[-1] >= points


# Each outcome measure's test on a participant's sessions of their year, by code (`OUTCOMES`).
OUTCOME_TESTS: dict[str, Callable[[list[Session]], bool]] = {
    "weight_loss_5": lambda year: _weight_lost_at_least(year, 5),
    "weight_loss_4_activity_150": lambda year: (
        _weight_lost_at_least(year, 4) and _activity_at_least(year, 150)
    ),
    "a1c_drop_0_2": lambda year: _a1c_dropped_at_least(year, Decimal("0.2")),
}


def _sessions_bucket(count: int) -> str:
    if count <= 3:
        return "sessions_1_3"
    if count <= 8:
        return "sessions_4_8"
    return "sessions_9_15" if count <= 15 else "sessions_16_plus"


def participant_measures(sessions: list[Session]) -> set[str]:
    """The codes of the measures one participant counts in, from their sessions (one a day, in order of
    day). Their year is program months 1 to 12: sessions after it count for retention only. Outcome
    measures count only evaluated participants, and only those the edition of their file defines
    (the edition of their first session's row)."""
    first = sessions[0]
    months = [program_month(first.day, session.day) for session in sessions]
    codes = {STARTED.code, *(retained_code(month) for month in PROGRAM_MONTHS if month <= months[-1])}
    year = [session for session, month in zip(sessions, months, strict=True) if month <= 12]
    codes.add(_sessions_bucket(len(year)))
    early = sum(1 for month in months if month <= 6)
    late = sum(1 for month in months if 7 <= month <= 12)
    if early < 3 or (year[-1].day - first.day).days < EVALUATION_DAYS:
        return codes
    codes.add(EVALUATED.code)
    if early >= 9:
        codes.add("attended_9_in_1_6")
    if late >= 3:
        codes.add("attended_3_in_7_12")
    met = {
        measure.code
        for measure in OUTCOMES
        if first.edition in measure.editions and OUTCOME_TESTS[measure.code](year)
    }
    if met:
        codes |= met | {MET_OUTCOME.code}
    return codes


def cohort_counts(sessions: Iterable[Session]) -> CohortCells:
    """Every measure of every cohort of one organization, in all and by breakdown, from its sessions
    (all of them, one per participant and day, as `ParticipantSession` holds them). Pure.

    A participant belongs to the cohort of the month of their first session and is counted under the
    categories of that session, as the monthly counts do (`dprp.monthly_counts`), so each breakdown's
    categories sum to the total. Every measure's total is there for each cohort, zero included; a
    category with nobody is left out."""
    by_participant: dict[str, list[Session]] = defaultdict(list)
    for session in sessions:
        by_participant[session.participant].append(session)
    counts: CohortCells = {}
    for attended in by_participant.values():
        attended.sort(key=lambda session: session.day)
        first = attended[0]
        cohort = month_of(first.day)
        for measure in MEASURES:
            counts.setdefault((cohort, measure.code, TOTAL_BREAKDOWN, TOTAL_CATEGORY), 0)
        groups = [(TOTAL_BREAKDOWN, TOTAL_CATEGORY)]
        groups += [(breakdown, getattr(first, breakdown)) for breakdown in BREAKDOWN_FIELDS]
        for code in participant_measures(attended):
            for breakdown, category in groups:
                key = (cohort, code, breakdown, category)
                counts[key] = counts.get(key, 0) + 1
    return counts


def cohort_is_complete(cohort_month: datetime.date, last_session_day: datetime.date | None) -> bool:
    """Whether every participant of the cohort has had their year by ``last_session_day`` (the latest
    session of the organization's files): its last day's starters reach program month 13 then. A cohort
    still running may gain retention and outcomes as later files come in."""
    if last_session_day is None:
        return False
    return last_session_day >= month_end(cohort_month) + datetime.timedelta(days=365)


def cohorts_rebuild(*, organization: Organization) -> int:
    """Recompute the organization's `CohortCount` rows from its `ParticipantSession` rows, in one
    transaction (delete, then insert): idempotent, and its cost depends on this organization's
    sessions alone. Six queries (the categories, the lock, the sessions, the delete, the insert, the
    organization's networks, whose cached figures it marks changed once committed) and one more insert
    for each thousand rows past the first. Returns the number of rows written.

    Queued after a DPRP file is saved (`metrics.tasks.cohorts_rebuild`) and for every organization
    with sessions by the nightly rebuild."""
    categories = {
        (breakdown, code): pk
        for pk, breakdown, code in Category.objects.filter(
            breakdown__code__in=[TOTAL_BREAKDOWN, *BREAKDOWN_FIELDS]
        ).values_list("pk", "breakdown__code", "code")
    }
    with transaction.atomic():
        # One rebuild of an organization at a time: two would insert the same rows.
        Organization.objects.select_for_update(no_key=True).filter(pk=organization.pk).first()
        counts = cohort_counts(participant_sessions(organization_id=organization.pk))
        rows = [
            CohortCount(
                organization_id=organization.pk,
                cohort_month=cohort,
                measure=measure,
                category_id=categories[breakdown, category],
                count=count,
            )
            for (cohort, measure, breakdown, category), count in sorted(counts.items())
        ]
        CohortCount.objects.filter(organization=organization)._raw_delete(connection.alias)
        CohortCount.objects.bulk_create(rows, batch_size=1000)
        # Bulk writes send no signal: the figures cached of the organization's networks (the public
        # scorecard's outcomes) are out of date once this commits.
        network_ids = sorted(
            set(Membership.objects.filter(organization=organization).values_list("network_id", flat=True))
        )
        transaction.on_commit(lambda: figure_cache.changed(network_ids))
    return len(rows)


def cohorts_rebuild_queue() -> int:
    """Queue `cohorts_rebuild` for every organization with sessions, or with cohort counts left (its
    sessions deleted since): the nightly safety net for a message lost after a file was saved. One
    task each, so one organization's cohorts never wait for another's. Returns how many."""
    with_sessions = ParticipantSession.objects.values_list("organization_id", flat=True).distinct()
    with_counts = CohortCount.objects.values_list("organization_id", flat=True).distinct()
    organization_ids = sorted({*with_sessions, *with_counts})
    for organization_id in organization_ids:
        jobs.send("metrics.tasks.cohorts_rebuild", organization_id)
    return len(organization_ids)
