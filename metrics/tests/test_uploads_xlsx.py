"""Tandem's template as an Excel workbook: read into the same table as its CSV twin, so a bad row is
refused whole at the same line and column, and a good one saves exactly what the CSV file saves; the
template downloaded as a workbook reads back unchanged; what is no workbook is refused cleanly."""

import csv
import datetime
import io
import re
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.figures import XLSX_TYPE
from metrics import uploads
from metrics.importers import encoding
from metrics.importers.tandem import TEMPLATE_COLUMNS
from metrics.models import MonthlyReport, ReportSource, Upload, UploadStatus
from metrics.services import cells_of
from metrics.tests.factories import values_for, workbook_of
from metrics.tests.test_importers import dprp_file, session
from metrics.tests.test_uploads import (
    _bad_files,
    code,
    last_month,
    nothing_stored,
    page_upload,
    read,
    recent,
    save,
    stored_files,
    tandem_csv,
    url,
)
from network.tests.factories import MembershipFactory
from partners.tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db


def problems_of(upload: Upload) -> list[tuple]:
    return [(p.get("line"), p.get("column"), p["message"]) for p in upload.problems]


def read_xlsx(world, data: bytes, **options) -> Upload:
    return read(world, data, name="counts.xlsx", **options)


def second_partner(world):
    """Another supplier of the network, with its own DPRP organization code, to save a twin into."""
    supplier = SupplierFactory(name="Flint Hills Health")
    MembershipFactory(network=world.network, organization=supplier, reports_monthly=True)
    return supplier


# --- the Done-when pair ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    ["unknown category", "negative count", "non-integer count", "future month", "wrong organization code"],
)
def test_a_workbook_with_a_bad_row_is_refused_whole_at_the_csv_twins_line_and_column(world, kind):
    data, expected = _bad_files(world)[kind]
    csv_upload = read(world, data)
    upload = read_xlsx(world, workbook_of(data))
    assert upload.status == UploadStatus.REFUSED
    assert problems_of(upload) == problems_of(csv_upload)  # line = Excel's row number, column by name
    assert [(line, column) for line, column, _ in problems_of(upload)] == [
        (ln, col) for ln, col, _ in expected
    ]
    assert upload.result == {} and nothing_stored()
    with pytest.raises(uploads.UploadNotReady):
        save(world, upload)
    assert nothing_stored()


def test_a_good_workbook_is_saved_exactly_as_its_csv_twin(world):
    other = second_partner(world)
    months = {
        "2024-03": values_for(world.network, {"referrals": 20, "enrollments": 12, "active_participants": 31}),
        "2024-02": values_for(world.network, {"enrollments": 5}, seed=3),
    }
    csv_upload = read(world, tandem_csv(code(world), months))
    twin = tandem_csv(other.dprp_org_code, months)
    xlsx_upload = uploads.upload_read(
        network=world.network,
        organization=other,
        user=world.partner,
        file=SimpleUploadedFile("counts.xlsx", workbook_of(twin), content_type=XLSX_TYPE),
        format="tandem",
        submit=True,
        today=datetime.date(2024, 4, 2),
    )
    assert xlsx_upload.status == UploadStatus.READY, xlsx_upload.problems
    assert xlsx_upload.result == csv_upload.result  # the same preview, month by month
    save(world, csv_upload)
    save(world, xlsx_upload)

    def stored(organization) -> dict:
        reports = MonthlyReport.objects.filter(network=world.network, organization=organization)
        return {
            report.month: (report.status, cells_of(report.current_version), report.current_version.source)
            for report in reports
        }

    assert stored(other) == stored(world.supplier)
    assert len(stored(other)) == 2
    march = stored(other)[datetime.date(2024, 3, 1)]
    assert march[1]["enrollments", "total", "all"] == 12 and march[2] == ReportSource.TANDEM_CSV


# --- what a workbook holds ---------------------------------------------------------------------------


def test_a_formula_counts_with_its_saved_value_and_one_saved_without_is_refused_at_its_cell(world):
    values = values_for(world.network, {"enrollments": 4})
    data = workbook_of(tandem_csv(code(world), {"2024-03": values}))
    # Excel saves a formula with its value; openpyxl writes none, so the value is put in the sheet's XML.
    summed = _with_cached_value(
        workbook_of(tandem_csv(code(world), {"2024-03": values}), formulas={"F2": "=2+2"})
    )
    assert read_xlsx(world, summed).result["months"] == read_xlsx(world, data).result["months"]

    upload = read_xlsx(
        world, workbook_of(tandem_csv(code(world), {"2024-03": values}), formulas={"F3": "=2+2"})
    )
    assert upload.status == UploadStatus.REFUSED
    assert problems_of(upload) == [
        (3, "count", "the cell in column F holds a formula saved without its value")
    ]


def _with_cached_value(data: bytes) -> bytes:
    """The workbook with F2's formula saved with its value, 4, as Excel saves it."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content, replaced = re.subn(
                    rb"(<c r=\"F2\"[^>]*>)<f>2\+2</f><v\s*/?>(</v>)?", rb"\1<f>2+2</f><v>4</v>", content
                )
                assert replaced == 1, content[:2000]
            target.writestr(item, content)
    return out.getvalue()


def edited(data: bytes, **cells: object) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    for cell, value in cells.items():
        workbook.worksheets[0][cell] = value
        if isinstance(value, int):
            workbook.worksheets[0][cell].number_format = "General"  # a number, not a date's serial
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_date_reads_as_its_csv_text_and_a_number_is_no_month(world):
    data = workbook_of(tandem_csv(code(world), {"2024-03": values_for(world.network, {"enrollments": 4})}))
    # A day of the month reads "2024-03-15", which the CSV takes for March too.
    mid_month = read_xlsx(world, edited(data, B4=datetime.datetime(2024, 3, 15)))
    assert mid_month.result["months"] == read_xlsx(world, data).result["months"]
    upload = read_xlsx(world, edited(data, B4=202403, B5=datetime.datetime(2024, 3, 1, 9, 30)))
    assert upload.status == UploadStatus.REFUSED
    assert [problem for problem in problems_of(upload) if problem[1] == "month"] == [
        (4, "month", "'202403' is not a month"),
        (5, "month", "'2024-03-01 09:30:00' is not a month"),
    ]
    assert nothing_stored()


def test_a_value_beyond_the_header_refuses_the_file_at_its_row_as_a_cell_too_many_in_csv(world):
    data = workbook_of(tandem_csv(code(world), {"2024-03": values_for(world.network, {"enrollments": 4})}))
    upload = read_xlsx(world, edited(data, J6="stray", B4=datetime.datetime(2024, 3, 15)))
    # As with a malformed CSV line, the months are not checked further: no derived problem hides it.
    assert problems_of(upload) == [
        (6, None, "the row has a value in column J, but the header names 6 columns")
    ]
    assert nothing_stored()


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + b"\x00" * 50,  # a zip file's start, and nothing
        b"PK\x03\x04garbage that is no zip file at all",
        None,  # a real zip file holding no workbook
    ],
)
def test_a_file_that_is_no_workbook_is_refused_cleanly_and_changes_nothing(world, data):
    if data is None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("notes.txt", "hello")
        data = out.getvalue()
    upload = read_xlsx(world, data)
    assert upload.status == UploadStatus.REFUSED
    assert [p["message"] for p in upload.problems] == [
        "the file is not an Excel workbook Tandem can read: it is damaged, or another kind of zip file"
    ]
    assert nothing_stored()


def test_a_csv_file_named_xlsx_is_read_as_csv(world):
    data = tandem_csv(code(world), {"2024-03": values_for(world.network, {"enrollments": 4})})
    assert read_xlsx(world, data).status == UploadStatus.READY


def test_a_dprp_file_as_a_workbook_is_refused_saying_to_save_it_as_csv(world):
    data = workbook_of(dprp_file([session("A", recent())], org_code=code(world)))
    upload = read_xlsx(world, data, format="dprp")
    assert upload.status == UploadStatus.REFUSED
    assert [p["message"] for p in upload.problems] == [uploads.DPRP_AS_CSV.message]
    assert nothing_stored()


# --- large workbooks ---------------------------------------------------------------------------------


def test_a_large_workbook_is_counted_by_its_rows_and_read_in_the_background_with_progress(
    world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    values = values_for(world.network, {"enrollments": 4})
    data = workbook_of(tandem_csv(code(world), {"2024-03": values}))
    settings.REPORT_UPLOAD_BACKGROUND_ROWS = 5
    monkeypatch.setattr(encoding, "PROGRESS_EVERY", 10)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload = read_xlsx(world, data, today=datetime.date.today())
    assert upload.status == UploadStatus.QUEUED and upload.rows_total == len(values)
    assert upload.file.name.endswith(".xlsx") and stored_files()
    done = []
    monkeypatch.setattr(uploads, "_progress_writer", lambda upload: done.append)
    for callback in callbacks:
        callback()
    upload.refresh_from_db()
    assert upload.status in (UploadStatus.READY, UploadStatus.REFUSED)  # read, whatever today's month
    assert upload.rows_done == len(values) and done == list(range(10, len(values) + 1, 10))
    assert not stored_files()


def test_a_workbook_over_the_row_limit_is_refused_unread(world, settings):
    settings.REPORT_UPLOAD_MAX_ROWS = 10
    data = workbook_of(tandem_csv(code(world), {"2024-03": values_for(world.network, {"enrollments": 4})}))
    upload = read_xlsx(world, data)
    assert upload.status == UploadStatus.REFUSED
    assert upload.problems[0]["message"].endswith("Tandem reads files of up to 10 rows")


# --- the template as a workbook, through the pages ---------------------------------------------------


def test_the_template_as_a_workbook_reads_back_unchanged_and_filled_in_saves(world, client_for):
    client = client_for(world.partner)
    month = last_month()
    response = client.get(url(world, "upload_template"), {"month": f"{month:%Y-%m}", "as": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"].endswith(f'-{month:%Y-%m}.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == TEMPLATE_COLUMNS
    assert all(cell.font.b for cell in sheet[1]) and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["G"].width >= 30
    assert {tuple(v.sqref.ranges)[0].coord.split(":")[0] for v in sheet.data_validations.dataValidation} == {
        "C2",
        "D2",
    }
    csv_rows = list(
        csv.reader(
            io.StringIO(
                client.get(url(world, "upload_template"), {"month": f"{month:%Y-%m}"}).content.decode()
            )
        )
    )
    assert [[cell.value or "" for cell in row] for row in sheet.iter_rows()] == csv_rows

    # Uploaded unchanged: every count blank, so every month is refused as blank, but the file reads.
    page_upload(client, world, response.content)
    unchanged = Upload.objects.get()
    assert [p["message"] for p in unchanged.problems] == [f"every count of {month:%B %Y} is blank"]

    # Filled in: the totals, and every breakdown's "unknown", typed as numbers.
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        if row[2].value == "enrollments" and row[4].value in ("all", "unknown"):
            row[5].value = 7
    out = io.BytesIO()
    workbook.save(out)
    redirect = page_upload(client, world, out.getvalue())
    upload = Upload.objects.latest("pk")
    assert upload.status == UploadStatus.READY, upload.problems
    client.post(url(world, "upload_save", pk=upload.pk))
    report = MonthlyReport.objects.get()
    assert cells_of(report.current_version)["enrollments", "total", "all"] == 7
    assert redirect.status_code == 302


def test_the_upload_page_offers_both_templates_and_says_what_it_reads(world, client_for):
    html = client_for(world.partner).get(url(world, "upload_create")).content.decode()
    assert "Download the template as CSV" in html and 'name="as" value="xlsx"' in html
    assert "first sheet" in html and ".xlsx" in html
    assert "an Excel workbook is refused" in html  # the DPRP file stays CSV


def test_a_sheet_that_records_no_size_is_counted_by_its_rows(world):
    values = values_for(world.network, {"enrollments": 4})
    data = workbook_of(tandem_csv(code(world), {"2024-03": values}))
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content, removed = re.subn(rb"<dimension[^>]*/>", b"", content)
                assert removed == 1
            target.writestr(item, content)
    upload = read_xlsx(world, out.getvalue())
    assert upload.status == UploadStatus.READY, upload.problems
    assert upload.rows_total == upload.rows_done == len(values)
