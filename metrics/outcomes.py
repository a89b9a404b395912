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
"""

from dataclasses import dataclass

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
