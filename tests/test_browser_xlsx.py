"""Excel in and out in a real browser: partner staff download the template as an Excel workbook, fill
in a month's enrollments, upload it and save it; backbone staff download a table of the network's page
as a workbook holding the table's header. axe-core checks every page."""

import io
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from demo.network import build_demo
from demo.reports import build_reports
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "tandem-demo"


def opened(path: Path) -> openpyxl.Workbook:
    """A downloaded workbook: Playwright's file has no extension, which openpyxl wants of a path."""
    return openpyxl.load_workbook(io.BytesIO(path.read_bytes()))


@pytest.fixture
def demo(built_demo) -> None:
    built_demo(build_demo, build_reports)


def test_partner_staff_fill_in_the_excel_template_and_upload_it(page: Page, live_server, demo, tmp_path):
    sign_in(page, live_server.url, "partner-kansas-1", PASSWORD)
    page.get_by_role("link", name=re.compile(r"^Send a file to Kansas")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a file of monthly counts")
    expect(page.get_by_text("Tandem reads the workbook's first sheet")).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the template as Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    workbook = opened(download.value.path())
    sheet = workbook.worksheets[0]
    month = sheet["B2"].value
    # Seven enrollments, each breakdown's seven "unknown": typed as numbers, as a person types them.
    for row in sheet.iter_rows(min_row=2):
        if row[2].value == "enrollments" and row[4].value in ("all", "unknown"):
            row[5].value = 7
    filled = tmp_path / "counts.xlsx"
    workbook.save(filled)

    page.locator("input[type=file]").set_input_files(filled)
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Preview: nothing is saved yet")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("^Months in counts.xlsx"))).to_contain_text("7")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.get_by_text(re.compile(r"1 month (submitted|saved as drafts)"))).to_be_visible()
    assert month and re.fullmatch(r"\d{4}-\d{2}", month)


def test_backbone_staff_download_a_table_as_excel(page: Page, live_server, demo):
    sign_in(page, live_server.url, "backbone-kansas", PASSWORD)
    page.goto(f"{live_server.url}/networks/kansas/")
    link = page.get_by_role("link", name=re.compile(r"^Download “.*” as Excel$")).first
    expect(link).to_be_visible()
    caption = re.match(r"Download “(.*)” as Excel", link.text_content() or "")
    assert_accessible(page)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = opened(download.value.path()).worksheets[0]
    table = page.get_by_role("table", name=caption.group(1) if caption else re.compile("."))
    headers = [text.strip() for text in table.first.locator("thead th").all_inner_texts()]
    assert [cell.value for cell in sheet[1]] == headers
    assert sheet.max_row > 1
