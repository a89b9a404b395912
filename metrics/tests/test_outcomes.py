"""Retention and the outcome measures (`metrics.outcomes`), worked by hand.

Each example is a small table of participants: their sessions given by program month (month 1 is the
first 365/12 days from their first session), with the weight, physical activity (PA) minutes and A1C
recorded at them. The expected counts are derived in the comments, so a reader can check them by hand.
No database here: `cohort_counts` is pure."""

import datetime
import math
from collections import Counter
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import outcomes
from metrics.importers import dprp
from metrics.outcomes import cohort_counts, cohort_is_complete, program_month

CATEGORIES = {"race": "white", "ethnicity": "not_hispanic", "sex": "female", "age_group": "45-64",
              "payer": "private", "delivery_mode": "in_person"}  # fmt: skip


def day_in(first: datetime.date, month: int, nth: int = 0) -> datetime.date:
    """The ``nth`` (0, 1, 2, 3) weekly session in program ``month`` of a participant who started on
    ``first``: the month starts on day ceil((month - 1) * 365 / 12) after the first session."""
    return first + datetime.timedelta(days=math.ceil((month - 1) * 365 / 12) + 7 * nth)


def attended(
    participant: str,
    first: datetime.date,
    months: list[int],
    *,
    weights: list[str | None] | None = None,
    pa: list[int | None] | None = None,
    a1c: list[str | None] | None = None,
    edition: str = "2021",
    **categories: str,
) -> list[dprp.Session]:
    """A participant's sessions, one in each program month listed (a month listed twice: two weeks of
    it); ``weights``, ``pa`` and ``a1c`` are recorded at the sessions in the same order (None: not
    recorded, as a 999 in the file is read). Categories are those of every session."""

    def at(values: list | None, index: int):
        return values[index] if values and index < len(values) else None

    seen: Counter = Counter()
    sessions = []
    for index, month in enumerate(months):
        weight, result = at(weights, index), at(a1c, index)
        sessions.append(
            dprp.Session(
                participant,
                day_in(first, month, seen[month]),
                **{**CATEGORIES, **categories},
                weight=Decimal(weight) if weight is not None else None,
                activity_minutes=at(pa, index),
                a1c=Decimal(result) if result is not None else None,
                edition=edition,
            )
        )
        seen[month] += 1
    return sessions


def totals(counts: dict, cohort: datetime.date) -> dict[str, int]:
    return {m: n for (c, m, b, _), n in counts.items() if c == cohort and b == "total"}


# --- program months --------------------------------------------------------------------------------


def test_a_program_month_is_365_12_days_from_the_first_session():
    first = datetime.date(2024, 1, 8)
    assert program_month(first, first) == 1
    assert program_month(first, first + datetime.timedelta(days=30)) == 1  # 30 < 30.42
    assert program_month(first, first + datetime.timedelta(days=31)) == 2
    assert program_month(first, first + datetime.timedelta(days=182)) == 6  # 182 < 182.5
    assert program_month(first, first + datetime.timedelta(days=183)) == 7
    assert program_month(first, first + datetime.timedelta(days=364)) == 12
    assert program_month(first, first + datetime.timedelta(days=365)) == 13
    assert [program_month(first, day_in(first, month, 3)) for month in range(1, 14)] == list(range(1, 14))


# --- retention and sessions ------------------------------------------------------------------------

JANUARY = datetime.date(2024, 1, 1)


def test_retention_by_program_month_and_sessions_attended():
    first = datetime.date(2024, 1, 8)
    sessions = [
        # A: one session in each of months 1 to 12             -> in at months 1-12; 12 sessions: 9 to 15
        *attended("A", first, list(range(1, 13))),
        # B: months 1, 2, 3, skips 4 and 5, back in 6           -> in at months 1-6; 4 sessions: 4 to 8
        *attended("B", first, [1, 2, 3, 6]),
        # C: two sessions in month 1, then 2, 3, 4; leaves      -> in at months 1-4; 5 sessions: 4 to 8
        *attended("C", datetime.date(2024, 1, 22), [1, 1, 2, 3, 4]),
        # D: one session only                                   -> in at month 1;    1 session: 1 to 3
        *attended("D", datetime.date(2024, 1, 31), [1]),
        # E: four a month in months 1-4, then one in month 13   -> in at months 1-12 (month 13 is later);
        #    16 sessions in the year (the month 13 one is not): 16 or more
        *attended("E", first, [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 13]),
    ]
    got = totals(cohort_counts(sessions), JANUARY)
    # Still in at month k: month 1: all 5; months 2-4: A, B, C, E; months 5-6: A, B, E; 7-12: A, E.
    assert [got[outcomes.retained_code(k)] for k in range(1, 13)] == [5, 4, 4, 4, 3, 3, 2, 2, 2, 2, 2, 2]
    assert got["started"] == 5
    assert (got["sessions_1_3"], got["sessions_4_8"], got["sessions_9_15"], got["sessions_16_plus"]) == (
        1,  # D
        2,  # B, C
        1,  # A
        1,  # E
    )
    # Evaluated (3 sessions in months 1-6, the last 9 months after the first): A alone; E's last
    # session of the year is in month 4.
    assert got["evaluated"] == 1
    assert got["attended_9_in_1_6"] == 0  # A attended 6 in months 1-6
    assert got["attended_3_in_7_12"] == 1  # A attended 6 in months 7-12


def test_a_participant_belongs_to_the_cohort_of_their_first_session_only():
    sessions = [
        *attended("A", datetime.date(2024, 1, 30), [1, 2]),
        *attended("B", datetime.date(2024, 2, 1), [1]),
    ]
    counts = cohort_counts(sessions)
    assert totals(counts, JANUARY)["started"] == 1
    assert totals(counts, datetime.date(2024, 2, 1))["started"] == 1
    assert totals(counts, datetime.date(2024, 3, 1)) == {}  # A's March session starts no cohort


# --- evaluation and attendance ---------------------------------------------------------------------

FEBRUARY = datetime.date(2024, 2, 1)


def test_who_is_evaluated_and_the_attendance_requirements():
    first = datetime.date(2024, 2, 5)
    sessions = [
        # F: 3 sessions in months 1-6, last in month 10, 274 days after the first (at least 9 months
        #    of 365/12 days: 273.75)                                          -> evaluated
        *attended("F", first, [1, 2, 3, 10]),
        # G: two sessions only, months 1 and 11: 1 in months 1-6             -> not evaluated
        *attended("G", first, [1, 11]),
        # H: 3 sessions in months 1-6, last in month 9 (244 days: 8 months)  -> not evaluated
        *attended("H", first, [1, 2, 3, 9]),
        # I: 9 in months 1-6, 3 in months 7-12                               -> evaluated, both
        *attended("I", first, [1, 1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 12]),
        # J: 9 in months 1-6 and 2 in months 7-12 (one more in month 13)     -> evaluated, 9 in 1-6 only
        *attended("J", first, [1, 1, 1, 2, 2, 3, 4, 5, 6, 7, 12, 13]),
    ]
    got = totals(cohort_counts(sessions), FEBRUARY)
    assert (got["started"], got["evaluated"]) == (5, 3)  # F, I, J
    assert got["attended_9_in_1_6"] == 2  # I, J
    assert got["attended_3_in_7_12"] == 1  # I (J's month 13 session is outside the year)


def test_a_last_session_273_days_after_the_first_is_not_9_months_274_is():
    first = datetime.date(2024, 2, 5)
    early = attended("K", first, [1, 2, 3])
    last = dict(CATEGORIES, weight=None, activity_minutes=None, a1c=None, edition="2021")
    short = [*early, dprp.Session("K", first + datetime.timedelta(days=273), **last)]
    enough = [*early, dprp.Session("K", first + datetime.timedelta(days=274), **last)]
    assert totals(cohort_counts(short), FEBRUARY)["evaluated"] == 0
    assert totals(cohort_counts(enough), FEBRUARY)["evaluated"] == 1


# --- the outcome measures --------------------------------------------------------------------------

MARCH = datetime.date(2024, 3, 1)
EVALUATED = [1, 2, 3, 10]  # 3 sessions in months 1-6, the last 274 days after the first


def test_each_outcome_measure_with_its_edges():
    first = datetime.date(2024, 3, 4)
    sessions = [
        # P1: 200 -> 190 lb: (200 - 190) / 200 = exactly 5.0 %              -> 5 % weight loss; met
        *attended("P1", first, EVALUATED, weights=["200", "197", "195", "190"]),
        # P2: 200 -> 190.2 lb = 4.9 %, PA 150, 150, 150, 150: mean 150     -> 4 % and 150 min; met
        *attended("P2", first, EVALUATED, weights=["200", None, None, "190.2"], pa=[150, 150, 150, 150]),
        # P3: 200 -> 192 lb = 4.0 %, PA 148, 150, 149, 149: mean 149       -> neither; not met
        *attended("P3", first, EVALUATED, weights=["200", None, None, "192"], pa=[148, 150, 149, 149]),
        # P4: no weight recorded (999), A1C 6.0 -> 6.3 -> 5.8: first 6.0, last 5.8, 0.2 down
        #                                                                   -> A1C down 0.2; met
        *attended("P4", first, EVALUATED, a1c=["6.0", None, "6.3", "5.8"]),
        # P5: A1C 6.0 -> 5.9 (0.1 down), one weight only (200: no loss)     -> nothing; not met
        *attended("P5", first, EVALUATED, weights=["200"], a1c=["6.0", None, None, "5.9"]),
        # P6, a 2018 file: 200 -> 192 lb = 4.0 %, PA 160                    -> the 2018 Standards have no
        #     4 % + activity outcome (and no A1C): not counted; not met
        *attended("P6", first, EVALUATED, weights=["200", None, None, "192"], pa=[160] * 4, edition="2018"),
        # P7, a 2021 file: the same                                         -> 4 % and 150 min; met
        *attended("P7", first, EVALUATED, weights=["200", None, None, "192"], pa=[160] * 4),
        # P8: 200 -> 180 lb (10 %), but two sessions only: not evaluated    -> counted in no outcome
        *attended("P8", first, [1, 2], weights=["200", "180"]),
        # P9: first weight not recorded; first recorded 210 (month 2), last of the year 199.5 (month 10):
        #     10.5 / 210 = exactly 5 %; the 150 lb of month 13 is after the year -> 5 % weight loss; met
        *attended("P9", first, [1, 2, 3, 10, 13], weights=[None, "210", "205", "199.5", "150"]),
    ]
    got = totals(cohort_counts(sessions), MARCH)
    assert got["started"] == 9
    assert got["evaluated"] == 8  # all but P8
    assert got["weight_loss_5"] == 2  # P1, P9
    assert got["weight_loss_4_activity_150"] == 2  # P2, P7
    assert got["a1c_drop_0_2"] == 1  # P4
    assert got["met_outcome"] == 5  # P1, P2, P4, P7, P9


def test_met_outcome_follows_the_edition_of_the_first_session():
    first = datetime.date(2024, 3, 4)
    # 200 -> 192 lb (4.0 %) with PA 160 at every session: met under the 2021 Standards, not under 2018.
    loss = {"weights": ["200", None, None, "192"], "pa": [160] * 4}
    for edition, met in (("2018", 0), ("2021", 1), ("2024", 1)):
        got = totals(cohort_counts(attended("Q", first, EVALUATED, edition=edition, **loss)), MARCH)
        assert (got["weight_loss_4_activity_150"], got["met_outcome"]) == (met, met), edition
    # A participant whose later sessions come from a 2021 file keeps the edition of their first row.
    mixed = attended("Q", first, EVALUATED, **loss)
    mixed[0] = mixed[0]._replace(edition="2018")
    assert totals(cohort_counts(mixed), MARCH)["met_outcome"] == 0


# --- breakdowns ------------------------------------------------------------------------------------


def test_breakdowns_come_from_the_first_session_and_sum_to_the_total():
    first = datetime.date(2024, 1, 8)
    sessions = [
        *attended("A", first, list(range(1, 13)), weights=["200"] + [None] * 10 + ["188"]),
        *attended("B", first, [1, 2, 3, 6], sex="male", race="black", payer="medicare"),
        *attended("C", first, [1, 2], race="multiracial", age_group="65-plus", delivery_mode="online"),
    ]
    # B's later sessions say another sex: the first session's categories count.
    sessions += [s._replace(sex="unknown") for s in attended("B", day_in(first, 7), [1])]
    counts = cohort_counts(sessions)
    # started: A, B, C; by sex: female A, C; male B. By race: white A, black B, multiracial C.
    assert counts[JANUARY, "started", "sex", "female"] == 2
    assert counts[JANUARY, "started", "sex", "male"] == 1
    assert (JANUARY, "started", "sex", "unknown") not in counts
    assert [counts[JANUARY, "started", "race", race] for race in ("white", "black", "multiracial")] == [
        1,
        1,
        1,
    ]
    # retained at month 5: A and B (B back in months 6 and 7): female 1, male 1.
    assert counts[JANUARY, "retained_m5", "sex", "male"] == 1
    # 5 % weight loss: A alone (200 -> 188, 6 %), white, female, 45-64, private, in person.
    assert counts[JANUARY, "weight_loss_5", "payer", "private"] == 1
    assert (JANUARY, "weight_loss_5", "payer", "medicare") not in counts
    for (cohort, measure), total in _totals_by_measure(counts).items():
        for breakdown in dprp.BREAKDOWN_FIELDS:
            parts = sum(n for (c, m, b, _), n in counts.items() if (c, m, b) == (cohort, measure, breakdown))
            assert parts == total, (measure, breakdown)


def _totals_by_measure(counts: dict) -> dict:
    return {(c, m): n for (c, m, b, _), n in counts.items() if b == "total"}


def test_every_measure_has_its_total_for_every_cohort_even_zero():
    counts = cohort_counts(attended("A", datetime.date(2024, 1, 8), [1]))
    assert set(totals(counts, JANUARY)) == {measure.code for measure in outcomes.MEASURES}
    assert totals(counts, JANUARY)["met_outcome"] == 0
    assert cohort_counts([]) == {}


# --- still running ---------------------------------------------------------------------------------


def test_a_cohort_is_complete_once_its_last_starter_had_a_year():
    # January's last starter (January 31, 2024) is in program month 13 from January 30, 2025.
    assert not cohort_is_complete(JANUARY, datetime.date(2025, 1, 29))
    assert cohort_is_complete(JANUARY, datetime.date(2025, 1, 30))
    assert not cohort_is_complete(JANUARY, None)


# --- properties ------------------------------------------------------------------------------------

_participant = st.tuples(
    st.lists(st.integers(0, 420), min_size=1, max_size=30, unique=True),  # session days from a start
    st.integers(0, 60),  # the start, in days from January 1, 2024
    st.sampled_from(["female", "male", "unknown"]),
    st.sampled_from(outcomes.EDITIONS),
    st.lists(st.one_of(st.none(), st.integers(150, 260)), min_size=30, max_size=30),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(_participant, max_size=8))
def test_the_counts_hold_together(participants):
    sessions = []
    for index, (days, start, sex, edition, weights) in enumerate(participants):
        first = datetime.date(2024, 1, 1) + datetime.timedelta(days=start)
        for offset, weight in zip(sorted(days), weights, strict=False):
            sessions.append(
                dprp.Session(
                    f"p{index}",
                    first + datetime.timedelta(days=offset),
                    **{**CATEGORIES, "sex": sex},
                    weight=Decimal(weight) if weight is not None else None,
                    edition=edition,
                )
            )
    counts = cohort_counts(sessions)
    by_cohort: dict = {}
    for (cohort, measure, breakdown, _), n in counts.items():
        if breakdown == "total":
            by_cohort.setdefault(cohort, {})[measure] = n
    assert sum(t["started"] for t in by_cohort.values()) == len(participants)
    for total in by_cohort.values():
        retained = [total[outcomes.retained_code(k)] for k in range(1, 13)]
        assert retained[0] == total["started"] and retained == sorted(retained, reverse=True)
        buckets = sum(total[m.code] for m in outcomes.SESSIONS)
        assert buckets == total["started"]
        assert total["evaluated"] <= total["started"]
        for measure in [*outcomes.ATTENDANCE, *outcomes.OUTCOMES, outcomes.MET_OUTCOME]:
            assert total[measure.code] <= total["evaluated"]
        assert total["met_outcome"] <= sum(total[m.code] for m in outcomes.OUTCOMES)
    for (cohort, measure, breakdown, _), n in counts.items():
        if breakdown == "sex":
            assert n <= by_cohort[cohort][measure]
