"""The count and month parsers every way in shares, and what a partner sees when a cell or a file
holds a count that only looks like one (a superscript "²", digits of another script)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from metrics.models import MonthlyReport
from metrics.tests.test_uploads import HEADER, code, last_month, nothing_stored, page_upload, read
from metrics.tests.test_views import everything_unknown, form_data, form_url
from metrics.validation import FIRST_MONTH, LAST_MONTH, MAX_COUNT, as_count, parse_month

pytestmark = pytest.mark.django_db


# as_count


@pytest.mark.parametrize("text", ["²", "1²", "٣", "३", "１２", "-1", "1.5", "", " ", "x", "9" * 5000])
def test_as_count_refuses_what_only_looks_like_a_count(text):
    assert as_count(text) is None


@pytest.mark.parametrize(
    ("value", "count"),
    [("0", 0), (" 12 ", 12), ("1,024", 1024), ("007", 7), (3, 3), (4.0, 4), (str(MAX_COUNT), MAX_COUNT)],
)
def test_as_count_reads_ascii_whole_numbers(value, count):
    assert as_count(value) == count


def test_as_count_refuses_counts_over_the_limit_negatives_and_booleans():
    assert as_count(str(MAX_COUNT + 1)) is None
    assert as_count(-1) is None
    assert as_count(True) is None
    assert as_count(float("inf")) is None


@given(st.text(max_size=30))
def test_as_count_of_any_text_is_none_or_the_ascii_number_it_writes(text):
    count = as_count(text)
    if count is not None:
        digits = text.strip().replace(",", "")
        assert digits.isascii() and digits.isdigit()
        assert count == int(digits) <= MAX_COUNT


# parse_month


@pytest.mark.parametrize(
    "text", ["9999-12", "0001-01", "0000-01", "2026-13", "1999-12", "2100-01", "²⁰²⁶-01"]
)
def test_parse_month_refuses_months_outside_the_years_tandem_reads(text):
    assert parse_month(text) is None


@pytest.mark.parametrize("text", ["٢٠٢٦-٠١", "2026-0١", "x" * 3000, "2026-01" + " " * 3000 + "x"])
def test_parse_month_refuses_other_digits_and_long_text(text):
    assert parse_month(text) is None


def test_parse_month_reads_the_first_and_last_months_and_every_format():
    assert parse_month("2000-01") == FIRST_MONTH
    assert parse_month("2099-12") == LAST_MONTH
    assert parse_month(" 2026-03 ") == parse_month("2026-03-17") == parse_month("03/2026")
    assert parse_month("2026-03") == datetime.date(2026, 3, 1)


# Through the ways in


@pytest.mark.parametrize("odd", ["²", "٣", "9" * 5000])
def test_a_month_form_cell_that_only_looks_like_a_count_is_a_form_error(world, client_for, odd):
    """The finding: "²" passed ``str.isdigit`` and the page then failed on ``int("²")``."""
    cells = {**everything_unknown("enrollments", 4), "enrollments__sex__female": odd}
    response = client_for(world.partner).post(form_url(world), form_data(cells))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enrollments, sex: Female: enter a whole number, 0 or more." in page
    assert not MonthlyReport.objects.exists()


def test_a_file_with_a_superscript_count_is_refused_with_the_line(world):
    month = f"{last_month():%Y-%m}"
    data = f"{HEADER}\n{code(world)},{month},enrollments,total,all,²\n".encode()
    upload = read(world, data, today=timezone.localdate())
    assert [(p["line"], p["column"]) for p in upload.problems] == [(2, "count")]
    assert "is not a count" in upload.problems[0]["message"]
    assert nothing_stored()


def test_a_file_with_a_superscript_count_is_refused_through_the_page(world, client_for):
    month = f"{last_month():%Y-%m}"
    data = f"{HEADER}\n{code(world)},{month},enrollments,total,all,²\n".encode()
    client = client_for(world.partner)
    response = page_upload(client, world, data)
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "The file was refused: nothing was saved" in html
    assert "is not a count" in html
    assert nothing_stored()


def test_the_template_download_refuses_a_month_outside_the_years_tandem_reads(world, client_for):
    url = reverse("metrics:upload_template", args=["kansas", world.supplier.pk])
    response = client_for(world.partner).get(url, {"month": "9999-12"})
    assert response.status_code == 400
    assert "YYYY-MM" in response.content.decode()
