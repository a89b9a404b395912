"""The file readers on their own: encodings, Tandem's CSV template, the DPRP participant file in each
edition, and the counts made from sessions. No database here except where the catalogue is read."""

import datetime
from decimal import Decimal

import pytest

from metrics.catalogue import Catalogue
from metrics.importers import dprp, tandem
from metrics.importers.encoding import MalformedFile, size_problems, table_read

TODAY = datetime.date(2024, 4, 2)
ORG_CODE = "9001"
KEY = "test-key"

# --- building DPRP files ---------------------------------------------------------------------------

# fmt: off
COMMON = [
    "ORGCODE", "PARTICIP", "STATE", "GLUCTEST", "GDM", "RISKTEST", "AGE", "ETHNIC", "AIAN", "ASIAN", "BLACK",
    "NHOPI", "WHITE", "SEX", "HEIGHT", "EDU", "DMODE", "SESSTYPE", "DATE", "WEIGHT", "PA",
]
# fmt: on
EDITION_COLUMNS = {
    "2018": ["ENROLL", "PAYER", "SESSID"],
    "2021": ["ENROLLMOT", "ENROLLHC", "PAYERSOURCE", "SESSID", "A1C"],
    "2024": ["ENROLLMOT", "ENROLLHC", "PAYERSOURCE", "COHORTID", "COACHID", "A1C"],
}
DEFAULTS = {
    "ORGCODE": ORG_CODE, "STATE": "KS", "GLUCTEST": "1", "GDM": "2", "RISKTEST": "2", "AGE": "52",
    "ETHNIC": "2", "AIAN": "2", "ASIAN": "2", "BLACK": "1", "NHOPI": "2", "WHITE": "2", "SEX": "2",
    "HEIGHT": "64", "EDU": "3", "DMODE": "1", "SESSTYPE": "C", "WEIGHT": "212", "PA": "90",
    "ENROLL": "1", "PAYER": "3", "SESSID": "1", "ENROLLMOT": "1", "ENROLLHC": "1", "PAYERSOURCE": "3",
    "A1C": "5.9", "COHORTID": "C1", "COACHID": "K7",
}  # fmt: skip


def session(participant: str, date: str, **columns: str) -> dict[str, str]:
    """One row of a DPRP file: a participant at a session on ``date`` (mm/dd/yyyy)."""
    return {"PARTICIP": participant, "DATE": date, **columns}


def dprp_file(
    rows: list[dict[str, str]],
    *,
    edition: str = "2021",
    org_code: str = ORG_CODE,
    encoding: str = "utf-8",
    columns: list[str] | None = None,
) -> bytes:
    """A DPRP participant file of ``edition``, columns in a shuffled order (they are read by name)."""
    columns = columns or [*reversed(COMMON[:10]), *EDITION_COLUMNS[edition], *COMMON[10:]]
    lines = [",".join(columns)]
    for row in rows:
        values = {**DEFAULTS, "ORGCODE": org_code, **row}
        lines.append(",".join(values.get(column, "") for column in columns))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def read_dprp(data: bytes, *, today: datetime.date = TODAY, org_code: str = ORG_CODE) -> dprp.DprpRead:
    table, problems = table_read(data)
    assert table is not None, problems
    return dprp.dprp_read(table, org_code=org_code, hash_key=KEY, organization_id=1, today=today)


def messages(problems) -> list[str]:
    return [str(problem) for problem in problems]


# --- encodings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"org_code,month\n9001,2024-03\n",
        "\ufefforg_code,month\n9001,2024-03\n".encode(),  # Excel's "CSV UTF-8"
        "org_code,month\n9001,2024-03\n".encode("utf-16"),
        b"org_code;month\r\n9001;2024-03\r\n",  # Excel where the comma is a decimal mark
    ],
)
def test_utf8_with_or_without_bom_utf16_and_semicolons_are_read(data):
    table, problems = table_read(data)
    assert problems == []
    assert table.columns == {"org_code": 0, "month": 1}
    assert [(row.line, table.value(row, "MONTH")) for row in table.rows()] == [(2, "2024-03")]


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-8", "utf-8-sig", "utf-16"])
def test_latin1_windows_1252_utf8_and_utf16_are_read(encoding):
    table, problems = table_read("name\nPeña Clinic\n“Quoted” Café\n".encode(encoding, errors="replace"))
    assert problems == []
    names = [row.cells[0] for row in table.rows()]
    assert names[0] == "Peña Clinic" and (names[1] == "“Quoted” Café" or encoding == "latin-1")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"  \r\n\r\n", "the file is empty"),
        (b"PK\x03\x04rest-of-a-workbook", "the file is not a CSV file: it looks like an Excel workbook"),
        (b"abc\x00\x01\x02", "the file is not a CSV file: it holds binary data"),
    ],
)
def test_empty_and_binary_files_get_one_clear_problem(data, message):
    table, problems = table_read(data)
    assert table is None
    assert len(problems) == 1 and problems[0].message.startswith(message)
    assert problems[0].expected


def test_oversized_and_empty_files_are_told_before_reading():
    assert messages(size_problems(25 * 1024 * 1024, 20 * 1024 * 1024)) == [
        "the file is 25.0 MB, more than the 20.0 MB Tandem takes "
        "(a smaller file: split it by month and upload each part)"
    ]
    assert size_problems(0, 100)[0].message == "the file is empty"
    assert size_problems(100, 100) == []


def test_a_column_named_twice_is_a_problem():
    _, problems = table_read(b"month,Month\n2024-03,2024-04\n")
    assert messages(problems) == ["line 1, column month: the column 'Month' appears twice (each column once)"]


def test_blank_rows_are_skipped_and_rows_keep_their_line_numbers():
    table, _ = table_read(b'a,b\n1,"two, quoted"\n,\n\n3,x\n')
    assert [(row.line, row.cells) for row in table.rows()] == [(2, ["1", "two, quoted"]), (5, ["3", "x"])]


def malformed(data: bytes) -> list[str]:
    """The problems that refuse a file for its form alone, read row by row as the importers do."""
    table, problems = table_read(data)
    if table is None:
        return messages(problems)
    with pytest.raises(MalformedFile) as refused:
        list(table.rows())
    return messages(refused.value.problems)


UNCLOSED = 'the quote (") that opens this cell is not closed on its line'


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # A quote never closed: before, the cell ran on to the end of the file and swallowed every row.
        (
            b'a,b,name\n1,2,"Black or African American\n3,4,x\n5,6,y\n',
            [f"line 2, column name: {UNCLOSED}"],
        ),
        (b'a,b\n1,"2\n3,4\n', [f"line 2, column b: {UNCLOSED}"]),
        (b'a,b\n1,"2"3\n', ['line 2: a quote (") stands inside a cell']),
        (b"a,b,c\n1,2,3,4\n", ["line 2: the line has 4 cells, but the header has 3 columns"]),
        (b"a,b,c\n1,2\n", ["line 2: the line has 2 cells, but the header has 3 columns"]),
        (b"a,b\n1,2\x01\n", ["line 2: the line holds a control character (U+0001), which is not text"]),
        (b"a,b\r1,2\r3,4\r", ["line 1: the line holds a carriage return that does not end it"]),
        (b'a,b\n"x\ny",1\n', [f"line 2, column a: {UNCLOSED}"]),
    ],
)
def test_a_malformed_line_refuses_the_file_naming_the_line(data, expected):
    found = malformed(data)
    assert len(found) == len(expected), found
    assert all(message.startswith(start) for message, start in zip(found, expected, strict=True)), found


def test_every_malformed_line_is_listed_and_good_rows_around_them_are_still_read():
    table, _ = table_read(b'a,b\n1,2\n3,"4\n5,6\n7,8,9\n10,11\n')
    rows = []
    with pytest.raises(MalformedFile) as refused:
        for row in table.rows():
            rows.append(row.line)
    assert rows == [2, 4, 6]
    assert [p.line for p in refused.value.problems] == [3, 5]


def test_trailing_empty_cells_beyond_the_header_are_not_a_problem():
    table, _ = table_read(b"a,b\n1,2,,\n3,4\n")
    assert [row.cells[:2] for row in table.rows()] == [["1", "2"], ["3", "4"]]


def test_a_file_mixing_utf8_and_latin1_is_refused_at_the_first_line_that_is_not_utf8():
    data = "name,n\nPeña,1\n".encode() + "Peña,2\n".encode("latin-1")
    table, problems = table_read(data)
    assert table is None
    assert messages(problems) == [
        "line 3: the line is not UTF-8 text, but line 2 is: the file mixes two kinds of text "
        "(a CSV file: in Excel, use File, Save As, “CSV UTF-8 (comma delimited)”)"
    ]
    latin1_first = "name,n\nPeña,1\n".encode("latin-1") + "Peña,2\n".encode()
    (problem,) = messages(table_read(latin1_first)[1])
    assert problem.startswith("line 2: the line is not UTF-8 text, but line 3 is")


def test_a_byte_that_is_no_character_in_windows_1252_is_refused_at_its_line():
    _, problems = table_read(b"name,n\nabc,1\nab\x81c,2\n")
    assert [(p.line, p.message) for p in problems] == [
        (3, "the line holds the byte 0x81, which is not a character in UTF-8, Latin-1 or Windows-1252 text")
    ]


def test_a_line_too_long_to_be_a_row_is_refused():
    table, _ = table_read(b"a,b\n1," + b"x" * 200_000 + b"\n")
    with pytest.raises(MalformedFile) as refused:
        list(table.rows())
    (problem,) = messages(refused.value.problems)
    assert problem.startswith("line 2: the line is longer than 100,000 characters")


def test_a_utf16_file_without_errors_is_read_and_counted():
    data = "a,b\n1,2\n3,4\n".encode("utf-16")
    table, problems = table_read(data)
    assert problems == [] and table.row_count() == 2
    assert [row.cells for row in table.rows()] == [["1", "2"], ["3", "4"]]


# --- Tandem's CSV template -------------------------------------------------------------------------

MEASURES = ["referrals", "enrollments", "active_participants"]


def read_tandem(text: str, org_code: str = ORG_CODE) -> tandem.TandemRead:
    table, problems = table_read(text.encode())
    assert table is not None, problems
    return tandem.tandem_read(table, org_code=org_code, measures=MEASURES)


def test_columns_are_found_by_name_in_any_order_and_case():
    read = read_tandem(
        "COUNT,Category,breakdown,Measure,month,ORG_CODE\n"
        "4,all,total,enrollments,2024-03,9001\n"
        "4,unknown,race,enrollments,2024-03,9001\n"
    )
    assert read.problems == []
    (month,) = read.months.values()
    assert month.month == datetime.date(2024, 3, 1)
    assert [(v.measure, v.breakdown, v.category, v.count, v.line) for v in month.values] == [
        ("enrollments", "total", "all", "4", 2),
        ("enrollments", "race", "unknown", "4", 3),
    ]


def test_missing_columns_are_each_a_problem_on_the_header_line():
    read = read_tandem("org_code,month,measure,count\n9001,2024-03,enrollments,4\n")
    assert [(p.line, p.column) for p in read.problems] == [(1, "breakdown"), (1, "category")]


def test_a_wrong_organization_code_and_a_bad_month_are_problems_of_their_row():
    read = read_tandem(
        "org_code,month,measure,breakdown,category,count\n"
        "9002,2024-03,enrollments,total,all,4\n"
        "9001,March,enrollments,total,all,4\n"
    )
    assert messages(read.problems) == [
        "line 2, column org_code: the organization code '9002' is not this organization's "
        "(the organization's DPRP organization code, 9001)",
        "line 3, column month: 'March' is not a month (a month written YYYY-MM, such as 2024-03)",
    ]


def test_blank_counts_are_zero_and_a_measure_left_blank_is_not_given():
    read = read_tandem(
        "org_code,month,measure,breakdown,category,count\n"
        "9001,2024-03,enrollments,total,all,4\n"
        "9001,2024-03,enrollments,sex,male,\n"
        "9001,2024-03,referrals,total,all,\n"
        "9001,2024-03,referrals,sex,male,\n"
    )
    (month,) = read.months.values()
    assert [(v.category, v.count) for v in month.values] == [("all", "4"), ("male", 0)]
    assert month.blank_measures == ["referrals"]


def test_a_month_left_blank_is_a_problem():
    read = read_tandem(
        "org_code,month,measure,breakdown,category,count\n9001,2024-03,enrollments,total,all,\n"
    )
    assert messages(read.problems)[0].startswith("line 2, column count: every count of March 2024 is blank")


def test_county_codes_get_back_the_leading_zero_a_spreadsheet_dropped():
    read = read_tandem(
        "org_code,month,measure,breakdown,category,count\n9001,2024-03,enrollments,county,1001,2\n"
    )
    (month,) = read.months.values()
    assert month.values[0].category == "01001"


@pytest.mark.django_db
def test_the_template_has_every_measure_breakdown_and_category_with_empty_counts(world):
    catalogue = Catalogue.for_state(world.network.state_id)
    text = tandem.template_csv(catalogue, org_code="9001", month=datetime.date(2024, 3, 1))
    lines = text.splitlines()
    assert lines[0] == "org_code,month,measure,breakdown,category,count,category_name"
    categories = sum(len(codes) for codes in catalogue.categories.values())
    assert len(lines) == 1 + 3 * categories
    assert "9001,2024-03,enrollments,total,all,,All" in lines
    kansas_counties = [c for c in catalogue.categories["county"] if c != "unknown"]
    assert len(kansas_counties) == 105 and all(code.startswith("20") for code in kansas_counties)
    # Read back as it is, the template is one month with nothing filled in yet.
    read = read_tandem(text, org_code="9001")
    assert [(p.line, p.column, p.message) for p in read.problems] == [
        (2, "count", "every count of March 2024 is blank")
    ]
    # With a total filled in, it reads back whole: the other blank counts of the measure are 0.
    filled = text.replace("9001,2024-03,enrollments,total,all,,", "9001,2024-03,enrollments,total,all,0,")
    read = read_tandem(filled, org_code="9001")
    assert read.problems == []
    (month,) = read.months.values()
    assert len(month.values) == categories and month.blank_measures == ["referrals", "active_participants"]


# --- DPRP participant file -------------------------------------------------------------------------


@pytest.mark.parametrize("edition", ["2018", "2021", "2024"])
def test_each_edition_is_read_by_its_column_names(edition):
    read = read_dprp(
        dprp_file(
            [
                session("P1", "03/05/2024", PAYER="1", PAYERSOURCE="1"),
                session("P1", "03/12/2024", PAYER="1", PAYERSOURCE="1"),
                session(
                    "P2", "03/12/2024", AGE="70", SEX="1", WHITE="1", DMODE="2", PAYER="5", PAYERSOURCE="5"
                ),
            ],
            edition=edition,
        )
    )
    assert read.problems == []
    assert read.edition.year == edition
    assert read.rows == 3 and read.participants == 2 and len(read.sessions) == 3
    by_participant = {s.participant: s for s in read.sessions}
    first, other = (by_participant[dprp.participant_hash(KEY, 1, p)] for p in ("P1", "P2"))
    assert first[2:8] == ("black", "not_hispanic", "female", "45-64", "medicare", "in_person")
    assert other[2:8] == ("multiracial", "not_hispanic", "male", "65-plus", "dual", "online")
    assert first.edition == other.edition == edition


def test_the_participant_id_is_kept_only_as_a_keyed_one_way_hash():
    read = read_dprp(dprp_file([session("PARTICIPANT-77", "03/05/2024")]))
    (kept,) = read.sessions
    assert kept.participant == dprp.participant_hash(KEY, 1, "PARTICIPANT-77")
    assert len(kept.participant) == 64 and "77" not in kept.participant
    assert dprp.participant_hash(KEY, 2, "PARTICIPANT-77") != kept.participant  # another organization
    assert dprp.participant_hash("another-key", 1, "PARTICIPANT-77") != kept.participant


def test_weight_activity_and_a1c_are_kept_height_is_checked_and_forgotten():
    read = read_dprp(
        dprp_file([session("P1", "03/05/2024", WEIGHT="287.5", HEIGHT="71.25", A1C="6.35", PA="143")])
    )
    assert read.problems == []
    (kept,) = read.sessions
    assert (kept.weight, kept.activity_minutes, kept.a1c, kept.edition) == (
        Decimal("287.5"),
        143,
        Decimal("6.4"),  # kept to one decimal, as laboratories report it
        "2021",
    )
    assert "71.25" not in repr(read.sessions)
    assert set(dprp.Session._fields) == {
        "participant", "day", "race", "ethnicity", "sex", "age_group", "payer", "delivery_mode",
        "weight", "activity_minutes", "a1c", "edition",
    }  # fmt: skip


@pytest.mark.parametrize("edition", ["2018", "2021", "2024"])
def test_999_is_not_recorded_and_a1c_is_kept_from_the_2021_standards(edition):
    rows = [
        session("P1", "03/05/2024", WEIGHT="999", PA="999", A1C="5.9"),
        session("P2", "03/05/2024", WEIGHT="", PA="", A1C=""),
        session("P3", "03/05/2024", WEIGHT="201.04", PA="150", A1C="6.0"),
    ]
    read = read_dprp(dprp_file(rows, edition=edition))
    assert read.problems == []
    measured = {s.participant: (s.weight, s.activity_minutes, s.a1c, s.edition) for s in read.sessions}
    a1c = {"2018": None}.get(edition, Decimal("5.9"))  # a 2018 file has no A1C column
    assert measured[dprp.participant_hash(KEY, 1, "P1")] == (None, None, a1c, edition)
    assert measured[dprp.participant_hash(KEY, 1, "P2")] == (None, None, None, edition)
    assert measured[dprp.participant_hash(KEY, 1, "P3")] == (
        Decimal("201.0"),
        150,
        None if edition == "2018" else Decimal("6.0"),
        edition,
    )


def test_an_a1c_column_in_a_2018_file_is_checked_but_not_kept():
    columns = [*COMMON, *EDITION_COLUMNS["2018"], "A1C"]
    read = read_dprp(dprp_file([session("P1", "03/05/2024", A1C="6.1")], edition="2018", columns=columns))
    assert read.problems == [] and read.sessions[0].a1c is None
    read = read_dprp(dprp_file([session("P1", "03/05/2024", A1C="61")], edition="2018", columns=columns))
    assert [p.column for p in read.problems] == ["A1C"]


def test_of_two_rows_of_one_participant_on_one_day_the_first_is_kept_measurements_included():
    read = read_dprp(
        dprp_file(
            [
                session("P1", "03/05/2024", WEIGHT="999"),
                session("P1", "03/05/2024", WEIGHT="210", SESSTYPE="MU"),
            ]
        )
    )
    (kept,) = read.sessions
    assert kept.weight is None


def test_race_flags_none_is_unknown():
    read = read_dprp(dprp_file([session("P1", "03/05/2024", BLACK="2")]))
    assert read.sessions[0].race == "unknown"


def test_codes_as_spreadsheets_write_them_are_the_same_codes():
    read = read_dprp(dprp_file([session("P1", "03/05/2024", SEX="01", ETHNIC="1.0", PAYERSOURCE="09")]))
    assert read.problems == []
    assert read.sessions[0][2:5] == ("black", "hispanic", "male") and read.sessions[0].payer == "other"


def test_every_bad_value_is_reported_on_its_line_and_column():
    read = read_dprp(
        dprp_file(
            [
                session("P1", "03/05/2024"),
                session("P2", "03/05/2024", PAYERSOURCE="12", ETHNIC="3", AIAN="0"),
                session("P3", "03/05/2024", AGE="16"),
                session("P4", "13/05/2024", DMODE="4", SESSTYPE="X"),
                session("P5", "04/20/2024", ORGCODE="9999", WEIGHT="2100", HEIGHT="tall", A1C="60"),
                session("", "03/05/2024", AGE="", GDM="5", STATE="ZZ"),
            ]
        )
    )
    assert [s.participant for s in read.sessions] == [dprp.participant_hash(KEY, 1, "P1")]  # P1 alone is fine
    found = {(p.line, p.column): p.message for p in read.problems}
    assert found == {
        (3, "PAYERSOURCE"): "PAYERSOURCE '12' is not a code of the DPRP Standards",
        (3, "ETHNIC"): "ETHNIC '3' is not a code of the DPRP Standards",
        (3, "AIAN"): "AIAN '0' is not a code of the DPRP Standards",
        (4, "AGE"): "the participant is 16",
        (5, "DATE"): "'13/05/2024' is not a date",
        (5, "DMODE"): "DMODE '4' is not a code of the DPRP Standards",
        (5, "SESSTYPE"): "SESSTYPE 'X' is not a code of the DPRP Standards",
        (6, "ORGCODE"): "the organization code '9999' is not this organization's",
        (6, "DATE"): "04/20/2024 is in the future",
        (6, "WEIGHT"): "WEIGHT '2100' is not plausible",
        (6, "HEIGHT"): "HEIGHT 'tall' is not a number",
        (6, "A1C"): "A1C '60' is not plausible",
        (7, "PARTICIP"): "PARTICIP is missing",
        (7, "AGE"): "AGE is missing",
        (7, "GDM"): "GDM '5' is not a code of the DPRP Standards",
        (7, "STATE"): "STATE 'ZZ' is not a state",
    }
    under_18 = next(p for p in read.problems if p.column == "AGE" and p.line == 4)
    assert under_18.expected == "18 or older: the lifestyle change program is for adults"
    payer = next(p for p in read.problems if p.column == "PAYERSOURCE")
    assert payer.expected.startswith("1 (medicare); 2 (medicaid); 3 (private)")


@pytest.mark.parametrize("date", ["01/05/1926", "12/31/2011", "04/03/2024", "01/01/2099"])
def test_a_session_date_outside_the_program_years_is_a_problem_of_its_line(date):
    read = read_dprp(dprp_file([session("P1", "03/05/2024"), session("P1", date)]))
    assert [(p.line, p.column) for p in read.problems] == [(3, "DATE")]
    assert read.problems[0].message.startswith(date)
    expected = "a session date from 01/01/2012 to today (04/02/2024), written mm/dd/yyyy"
    assert read.problems[0].expected == expected


def test_the_first_day_of_the_window_and_today_are_session_dates():
    read = read_dprp(dprp_file([session("P1", "01/01/2012"), session("P1", "04/02/2024")]))
    assert read.problems == [] and len(read.sessions) == 2


def test_a_file_of_no_known_edition_or_missing_columns_is_refused_at_the_header():
    read = read_dprp(b"ORGCODE,PARTICIP,DATE\n9001,P1,03/05/2024\n")
    assert messages(read.problems)[0].startswith("line 1: the file is not a DPRP participant file")
    columns = [c for c in [*COMMON, *EDITION_COLUMNS["2018"]] if c not in ("SEX", "AGE")]
    read = read_dprp(dprp_file([session("P1", "03/05/2024")], edition="2018", columns=columns))
    assert [(p.line, p.column) for p in read.problems] == [(1, "AGE"), (1, "SEX")]


def test_an_organization_without_a_dprp_code_cannot_upload_a_dprp_file():
    read = read_dprp(dprp_file([session("P1", "03/05/2024")]), org_code="")
    assert messages(read.problems) == [
        "the organization has no DPRP organization code in Tandem "
        "(its DPRP organization code on its profile, then the file again)"
    ]


def test_two_rows_of_one_participant_on_one_day_are_one_session():
    read = read_dprp(dprp_file([session("P1", "03/05/2024"), session("P1", "03/05/2024", SESSTYPE="MU")]))
    assert len(read.sessions) == 1 and read.rows == 2


def test_latin1_and_bom_dprp_files_are_read():
    rows = [session("Peña-1", "03/05/2024")]
    assert read_dprp(dprp_file(rows, encoding="latin-1")).problems == []
    assert read_dprp(dprp_file(rows, encoding="utf-8-sig")).problems == []
    assert read_dprp(dprp_file(rows, encoding="latin-1")).sessions == read_dprp(dprp_file(rows)).sessions


# --- counting --------------------------------------------------------------------------------------


def _session(participant: str, day: str, **categories: str) -> dprp.Session:
    base = {"race": "white", "ethnicity": "not_hispanic", "sex": "female", "age_group": "45-64",
            "payer": "private", "delivery_mode": "in_person"}  # fmt: skip
    return dprp.Session(participant, datetime.date.fromisoformat(day), **{**base, **categories})


def test_enrolled_in_the_month_of_the_first_session_active_in_each_month_attended():
    sessions = [
        _session("a", "2024-01-10"),
        _session("a", "2024-02-07", sex="male"),  # later sessions do not change a participant's groups
        _session("a", "2024-02-21"),
        _session("b", "2024-02-14", race="asian", payer="medicare"),
        _session("c", "2023-12-01"),  # enrolled before the months counted
        _session("c", "2024-02-01"),
    ]
    months = [datetime.date(2024, 1, 1), datetime.date(2024, 2, 1)]
    counts = dprp.monthly_counts(sessions, months)
    january, february = counts[months[0]], counts[months[1]]
    assert january["enrollments", "total", "all"] == 1
    assert january["active_participants", "total", "all"] == 1
    assert february["enrollments", "total", "all"] == 1
    assert february["active_participants", "total", "all"] == 3
    assert february["active_participants", "sex", "female"] == 3
    assert february["active_participants", "race", "asian"] == 1
    assert february["active_participants", "race", "white"] == 2
    assert february["enrollments", "payer", "medicare"] == 1
    assert february["active_participants", "county", "unknown"] == 3
    assert ("enrollments", "payer", "private") not in february  # zero categories are left out
