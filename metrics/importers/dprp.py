"""The DPRP participant-level file: the CSV a CDC-recognized organization sends CDC's Diabetes Prevention
Recognition Program every six months, one row per session attended per participant.

Columns are found by header name (any order, any case), because they changed between editions of the
DPRP Standards:

- 2018 Standards: ENROLL, PAYER, SESSID;
- 2021 Standards: ENROLLMOT and ENROLLHC (instead of ENROLL), PAYERSOURCE (instead of PAYER), SESSID,
  and an optional A1C;
- 2024 Standards: as 2021, with COHORTID and COACHID added and SESSID dropped;
- every edition: ORGCODE, PARTICIP, STATE, GLUCTEST, GDM, RISKTEST, AGE, ETHNIC, AIAN, ASIAN, BLACK,
  NHOPI, WHITE, SEX, HEIGHT, EDU, DMODE, SESSTYPE, DATE (mm/dd/yyyy), WEIGHT, PA.

What Tandem keeps of a row: a one-way hash of PARTICIP, the session date, the breakdown categories the
counts need (race, ethnicity, sex, age group, payer, delivery mode), and what the outcome measures of the
DPRP Standards need (`metrics.outcomes`): the session's weight and physical activity minutes (999, "not
recorded", kept as nothing), its A1C (files of the 2021 Standards and later), and the file's edition.
These are kept only on the hashed session rows, never in an upload's preview or result. Height, the
eligibility tests, education and the rest are checked (a known code, a plausible number) and forgotten.
Two rows of one participant on one day (a make-up session on the day of a core one) are one session:
the first row of the file is kept, measurements included.

THE CODE TABLES below are the one place Tandem reads DPRP codes; each says the editions it comes from.
An unexpected code is reported back as a problem on its line, never dropped or guessed. When CDC
publishes a new edition, add it to `EDITIONS` and give it its tables.
"""

import datetime
import hashlib
import hmac
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from core.calendar import month_of
from core.problems import Problem
from metrics.catalogue import COUNTY_BREAKDOWN, TOTAL_BREAKDOWN, TOTAL_CATEGORY, UNKNOWN
from metrics.importers.encoding import Table, missing_columns
from metrics.validation import Cells

Progress = Callable[[int], None]

# ---------------------------------------------------------------------------------------------------
# Code tables (DPRP code -> Tandem category code). Editions: 2018, 2021 and 2024 DPRP Standards.
# ---------------------------------------------------------------------------------------------------

# ETHNIC, every edition.
ETHNICITY = {"1": "hispanic", "2": "not_hispanic", "9": "unknown"}
# AIAN, ASIAN, BLACK, NHOPI, WHITE, every edition: 1 yes, 2 no. Several yes is "multiracial"; none is
# "unknown" (the participant did not say).
RACE_FLAGS = {"AIAN": "aian", "ASIAN": "asian", "BLACK": "black", "NHOPI": "nhopi", "WHITE": "white"}
YES_NO = {"1": "yes", "2": "no"}
# SEX, every edition.
SEX = {"1": "male", "2": "female", "9": "unknown"}
# DMODE, every edition: the delivery mode of the session.
DELIVERY_MODE = {"1": "in_person", "2": "online", "3": "distance"}
# PAYER (2018 Standards) and PAYERSOURCE (2021 and 2024 Standards) share their codes.
PAYER = {
    "1": "medicare",
    "2": "medicaid",
    "3": "private",  # private or commercial insurer
    "4": "self_pay",
    "5": "dual",  # dual eligible: Medicare and Medicaid
    "6": "grant",  # grant funding
    "7": "employer",
    "8": "free",  # free of charge, no payment
    "9": "other",
}
# EDU, every edition; checked, not kept.
EDUCATION = {
    "1": "less than grade 12",
    "2": "grade 12 or GED",
    "3": "college 1 to 3 years",
    "4": "college 4 years or more",
    "9": "not reported",
}
# GLUCTEST, GDM, RISKTEST, every edition: 1 yes, 2 no; checked, not kept.
ELIGIBILITY_FLAGS = ["GLUCTEST", "GDM", "RISKTEST"]
# SESSTYPE, every edition: core, core maintenance, ongoing maintenance, make-up; checked, not kept.
SESSION_TYPES = {"C": "core", "CM": "core maintenance", "OM": "ongoing maintenance", "MU": "make-up"}
# Plausible ranges of the measurements, every edition (A1C from 2021). 999 is how the Standards mark a
# weight or activity not recorded. Weight, activity and A1C are kept (`KEPT`); height is checked only.
MEASUREMENTS: dict[str, tuple[float, float, str]] = {
    "WEIGHT": (70, 997, "a weight in pounds from 70 to 997, 999 if not recorded, or empty"),
    "HEIGHT": (30, 98, "a height in inches from 30 to 98, or empty"),
    "PA": (0, 997, "minutes of physical activity from 0 to 997, 999 if not recorded, or empty"),
    "A1C": (3, 20, "an A1C percentage from 3.0 to 20.0, or empty"),
}
NOT_RECORDED = {"WEIGHT": "999", "PA": "999"}
# How a kept measurement is stored: weight in pounds and A1C in percent to one decimal (as the session
# rows hold them), activity in whole minutes.
KEPT: dict[str, Decimal] = {"WEIGHT": Decimal("0.1"), "PA": Decimal("1"), "A1C": Decimal("0.1")}
AGE_GROUPS = [(18, 44, "18-44"), (45, 64, "45-64"), (65, 120, "65-plus")]
# The earliest session date taken. CDC's Diabetes Prevention Recognition Program, which recognizes the
# organizations that deliver the National DPP lifestyle change program and receives these files, began
# recognizing programs in 2012; no file holds an earlier session, so an earlier date is a mistyped year.
EARLIEST_SESSION = datetime.date(2012, 1, 1)
# STATE: the participant's state, a USPS abbreviation (states, DC and territories).
# fmt: off
STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
    "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
    "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
    "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "GU", "VI", "AS", "MP",
})
# fmt: on


@dataclass(frozen=True)
class Edition:
    year: str
    standards: str
    marks: list[str]  # columns only this edition has: how a file tells its edition
    payer_column: str
    a1c: bool  # whether its files carry A1C results


EDITIONS = [  # newest first: a file is the newest edition whose marks it carries
    Edition("2024", "2024 DPRP Standards", ["COHORTID", "COACHID"], "PAYERSOURCE", a1c=True),
    Edition("2021", "2021 DPRP Standards", ["ENROLLMOT", "ENROLLHC", "PAYERSOURCE"], "PAYERSOURCE", a1c=True),
    Edition("2018", "2018 DPRP Standards", ["ENROLL", "PAYER", "SESSID"], "PAYER", a1c=False),
]
# The columns the counts need; the other common columns are checked where the file has them.
REQUIRED = ["ORGCODE", "PARTICIP", "DATE", "AGE", "ETHNIC", *RACE_FLAGS, "SEX", "DMODE"]
BREAKDOWN_FIELDS = ["race", "ethnicity", "sex", "age_group", "payer", "delivery_mode"]
MEASURES = ["enrollments", "active_participants"]


class Session(NamedTuple):
    """One session attended, as Tandem keeps it: nothing identifying; of what is clinical, only what
    the outcome measures need, under the hashed participant."""

    participant: str  # HMAC-SHA256 of the organization and the DPRP participant ID
    day: datetime.date
    race: str
    ethnicity: str
    sex: str
    age_group: str
    payer: str
    delivery_mode: str
    weight: Decimal | None = None  # pounds; None where not recorded
    activity_minutes: int | None = None  # physical activity minutes; None where not recorded
    a1c: Decimal | None = None  # percent; None where not recorded (and in 2018 files)
    edition: str = ""  # the year of the DPRP Standards the file follows


def participant_hash(key: str, organization_id: int, participant_id: str) -> str:
    """One-way: the ID cannot be read back, and the same ID in another organization hashes apart."""
    message = f"{organization_id}:{participant_id.strip()}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class DprpRead:
    edition: Edition | None
    sessions: list[Session]
    problems: list[Problem]
    rows: int
    participants: int = 0
    # month -> the first line of the file with a session in it, where a month's problems point
    month_lines: dict[datetime.date, int] = field(default_factory=dict)


def edition_of(table: Table) -> tuple[Edition | None, list[Problem]]:
    for edition in EDITIONS:
        if any(table.has(mark) for mark in edition.marks):
            return edition, missing_columns(table, [*REQUIRED, edition.payer_column])
    return None, [
        Problem(
            "the file is not a DPRP participant file of a known edition",
            "the header row of a DPRP file: ORGCODE, PARTICIP, ..., with PAYER (2018 Standards) or "
            "PAYERSOURCE (2021 and 2024 Standards)",
            line=1,
        )
    ]


_WHOLE = re.compile(r"^[+]?0*(\d+)(\.0*)?$")


def _code(text: str) -> str:
    """Codes as spreadsheets write them: "01", "1.0" and "1" are the same code."""
    match = _WHOLE.match(text.strip())
    return match.group(1) if match else text.strip().upper()


def _codes_expected(table: dict[str, str]) -> str:
    return "; ".join(f"{code} ({meaning.replace('_', ' ')})" for code, meaning in table.items())


def dprp_read(
    table: Table,
    *,
    org_code: str,
    hash_key: str,
    organization_id: int,
    today: datetime.date,
    progress: Progress | None = None,
) -> DprpRead:
    """Every row of a DPRP file checked, and the sessions it holds (one per participant and day)."""
    org_code = (org_code or "").strip()
    if not org_code:
        return DprpRead(
            None,
            [],
            [
                Problem(
                    "the organization has no DPRP organization code in Tandem",
                    "its DPRP organization code on its profile, then the file again",
                )
            ],
            0,
        )
    edition, problems = edition_of(table)
    if edition is None or problems:
        return DprpRead(edition, [], problems, 0)
    sessions: dict[tuple[str, datetime.date], Session] = {}
    month_lines: dict[datetime.date, int] = {}
    rows = 0
    reader = _Reader(table, edition, org_code, hash_key, organization_id, today)
    for file_row in table.rows(progress, problems):  # a malformed line is a problem, never a guess
        rows += 1
        session = reader.session(file_row.cells, file_row.line, problems)
        if session is not None:
            # Two rows of one participant on one day (a make-up session) are one day attended.
            sessions.setdefault((session.participant, session.day), session)
            month_lines.setdefault(month_of(session.day), file_row.line)
    if rows == 0 and not problems:
        problems.append(Problem("the file has a header row but no sessions", "one row per session", line=2))
    found = sorted(sessions.values(), key=lambda s: (s.day, s.participant))
    return DprpRead(edition, found, problems, rows, len({s.participant for s in found}), month_lines)


# What a cell says: its value, or the problem with it (message, expected).
Checked = tuple[object, tuple[str, str] | None]


class _Reader:
    """Reads the rows of one file into sessions, checking every cell.

    A file of 100,000 rows holds a few hundred distinct codes, dates, ages and measurements, and a few
    thousand participants: each distinct text of a column is checked (and each participant ID hashed)
    once, then looked up, so a row costs a few dictionary lookups rather than a parse of each cell.
    Every row is still checked and every problem reported on its own line, in the file's order and,
    within a line, in the order of `_COLUMNS`."""

    def __init__(
        self,
        table: Table,
        edition: Edition,
        org_code: str,
        hash_key: str,
        organization_id: int,
        today: datetime.date,
    ) -> None:
        checks: dict[str, Callable[[str, str], Checked]] = {
            "ORGCODE": lambda column, text: _org_code(text, org_code),
            "PARTICIP": lambda column, text: (
                (participant_hash(hash_key, organization_id, text), None)
                if text
                else (None, ("PARTICIP is missing", "the participant's ID"))
            ),
            "DATE": lambda column, text: _date(text, today),
            "AGE": lambda column, text: _age_group(text),
            "ETHNIC": _coded(ETHNICITY),
            **{column: _coded(YES_NO) for column in RACE_FLAGS},
            "SEX": _coded(SEX),
            "DMODE": _coded(DELIVERY_MODE),
            edition.payer_column: _coded(PAYER),
            **{column: _coded(YES_NO, required=False) for column in ELIGIBILITY_FLAGS},
            "EDU": _coded(EDUCATION, required=False),
            "SESSTYPE": _coded(SESSION_TYPES, required=False),
            "STATE": lambda column, text: _state(text),
            **dict.fromkeys(MEASUREMENTS, _number),
        }
        self.payer = edition.payer_column
        self.edition = edition
        # (column, its position in a row or None where the file lacks it, its check, its remembered texts)
        self.columns = [
            (column, table.position(column), checks[column], {})
            for column in ["ORGCODE", "PARTICIP", "DATE", "AGE", "ETHNIC", *RACE_FLAGS, "SEX", "DMODE",
                           self.payer, *ELIGIBILITY_FLAGS, "EDU", "SESSTYPE", "STATE", *MEASUREMENTS]
        ]  # fmt: skip

    def session(self, cells: list[str], line: int, problems: list[Problem]) -> Session | None:
        values: dict[str, object] = {}
        ok = True
        width = len(cells)
        for column, position, check, seen in self.columns:
            text = cells[position] if position is not None and position < width else ""
            found = seen.get(text)
            if found is None:
                found = seen[text] = check(column, text.strip())
            value, problem = found
            if problem is not None:
                problems.append(Problem(problem[0], problem[1], line, column))
                ok = False
            values[column] = value
        flags = [values[column] for column in RACE_FLAGS]
        race = _race(flags)
        needed = [values[c] for c in ("DATE", "AGE", "ETHNIC", "SEX", "DMODE", self.payer)]
        if not ok or race is None or None in needed:
            return None
        day, age_group, ethnicity, sex, delivery_mode, payer = needed
        return Session(
            values["PARTICIP"],
            day,
            race,
            ethnicity,
            sex,
            age_group,
            payer,
            delivery_mode,
            weight=values["WEIGHT"],
            activity_minutes=int(values["PA"]) if values["PA"] is not None else None,
            a1c=values["A1C"] if self.edition.a1c else None,
            edition=self.edition.year,
        )


def _coded(table: dict[str, str], *, required: bool = True) -> Callable[[str, str], Checked]:
    """The check of a coded column: its category, or the problem with the code."""

    def check(column: str, text: str) -> Checked:
        if not text:
            return None, ((f"{column} is missing", _codes_expected(table)) if required else None)
        code = _code(text)
        if code not in table:
            return None, (f"{column} {text!r} is not a code of the DPRP Standards", _codes_expected(table))
        return table[code], None

    return check


def _org_code(given: str, org_code: str) -> Checked:
    if given.casefold() == org_code.casefold():
        return given, None
    message = f"the organization code {given!r} is not this organization's" if given else "ORGCODE is missing"
    return None, (message, f"the organization's DPRP organization code, {org_code}")


def _state(text: str) -> Checked:
    if text and text.upper() not in STATES:
        return None, (f"STATE {text!r} is not a state", "a two-letter state abbreviation, such as KS")
    return text, None


def _number(column: str, text: str) -> Checked:
    """A measurement: checked where present; its value rounded as it is kept, if it is (`KEPT`)."""
    if not text or NOT_RECORDED.get(column) == _code(text):
        return None, None
    low, high, expected = MEASUREMENTS[column]
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None, (f"{column} {text!r} is not a number", expected)
    if not math.isfinite(value) or not low <= value <= high:
        return None, (f"{column} {text!r} is not plausible", expected)
    if column not in KEPT:
        return None, None
    return Decimal(text.replace(",", "")).quantize(KEPT[column], ROUND_HALF_UP), None


def _date(text: str, today: datetime.date) -> Checked:
    """A session date in the years the program has run: a mistyped year (1926 for 2026) would
    otherwise move the participant's enrollment to that year without a word."""
    try:
        day = datetime.datetime.strptime(text, "%m/%d/%Y").date()
    except ValueError:
        return None, (f"{text!r} is not a date" if text else "DATE is missing", "a date mm/dd/yyyy")
    if EARLIEST_SESSION <= day <= today:
        return day, None
    if day > today:
        message = f"{text} is in the future"
    else:
        message = (
            f"{text} is before {EARLIEST_SESSION.year}, when CDC began recognizing lifestyle change programs"
        )
    expected = (
        f"a session date from {EARLIEST_SESSION:%m/%d/%Y} to today ({today:%m/%d/%Y}), written mm/dd/yyyy"
    )
    return None, (message, expected)


def _age_group(text: str) -> Checked:
    match = _WHOLE.match(text)
    if not match:
        return None, (f"AGE {text!r} is not an age" if text else "AGE is missing", "the age in years")
    age = int(match.group(1))
    if age < 18:
        return None, (f"the participant is {age}", "18 or older: the lifestyle change program is for adults")
    for low, high, group in AGE_GROUPS:
        if low <= age <= high:
            return group, None
    return None, (f"AGE {age} is not plausible", "an age from 18 to 120")


def _race(flags: list[str | None]) -> str | None:
    if None in flags:
        return None
    said = [code for code, flag in zip(RACE_FLAGS.values(), flags, strict=True) if flag == "yes"]
    if not said:
        return UNKNOWN[0]
    return said[0] if len(said) == 1 else "multiracial"


def monthly_counts(
    sessions: Iterable[Session], months: Collection[datetime.date]
) -> dict[datetime.date, Cells]:
    """Enrollments and active participants of ``months``, with every breakdown, from ``sessions`` (all
    of the organization's, one per participant and day).

    A participant is enrolled in the month of their first session and active in every month they
    attend one; their categories are those of their first session. DPRP files have no county, so
    every participant is counted under county "unknown". Zero counts are left out, except totals.
    """
    first: dict[str, Session] = {}
    active: dict[datetime.date, set[str]] = defaultdict(set)
    for session in sessions:
        earlier = first.get(session.participant)
        if earlier is None or session.day < earlier.day:
            first[session.participant] = session
        month = month_of(session.day)
        if month in months:
            active[month].add(session.participant)
    enrolled: dict[datetime.date, set[str]] = defaultdict(set)
    for participant, session in first.items():
        if month_of(session.day) in months:
            enrolled[month_of(session.day)].add(participant)
    counts: dict[datetime.date, Cells] = {}
    for month in sorted(months):
        cells: Cells = {}
        for measure, people in (("enrollments", enrolled[month]), ("active_participants", active[month])):
            cells[measure, TOTAL_BREAKDOWN, TOTAL_CATEGORY] = len(people)
            if people:
                cells[measure, COUNTY_BREAKDOWN, UNKNOWN[0]] = len(people)
            for breakdown in BREAKDOWN_FIELDS:
                tally = Counter(getattr(first[person], breakdown) for person in people)
                for category, count in sorted(tally.items()):
                    cells[measure, breakdown, category] = count
        counts[month] = cells
    return counts
