"""Importing eligible-population estimates: a file stored whole (and a second one replacing only what it
covers), a bad file refused whole with every problem listed, and the site administrators' page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.figures import XLSX_TYPE
from core.problems import ReportRefused
from equity.models import EligibleEstimate, EstimateSource
from equity.services import estimates_import
from metrics.tests.factories import workbook_of
from partners.models import County
from partners.tests.factories import state

pytestmark = pytest.mark.django_db

URL = "/equity/estimates/"


def csv_bytes(*rows: str, header: str = "state,breakdown,category,estimate") -> bytes:
    return "\n".join([header, *rows, ""]).encode()


def stored() -> dict[tuple[str, str, str], tuple[int, str]]:
    """Every estimate: (state, breakdown, category) -> (estimate, its source's name)."""
    return {
        (e.state.code, e.category.breakdown.code, e.category.code): (e.estimate, e.source.name)
        for e in EligibleEstimate.objects.select_related("state", "category__breakdown", "source")
    }


def county(code: str = "KS", n: int = 0) -> County:
    return County.objects.filter(state__code=code).order_by("fips")[n]


def test_the_path():
    assert reverse("equity:estimates") == URL


# The import


def test_an_import_stores_every_row_with_its_source(world):
    kansas_county = county("KS")
    alabama_county = County.objects.get(fips="01001")  # a leading zero spreadsheets drop
    data = csv_bytes(
        "KS,race,white,300000",
        "ks,Race,Asian,20000",  # codes in any case
        '20,race,black,"40,000"',  # a state by its FIPS code; a thousands separator
        f"KS,county,{kansas_county.fips},1200",
        "AL,county,1001,5000",
        "UT,ethnicity,hispanic,75000",
    )
    source = estimates_import(
        data=data,
        name="ACS 2023 × CDC prevalence",
        year=2023,
        url="https://example.org/estimates",
        notes="Adults by group times prevalence.",
        user=world.admin,
    )
    assert EstimateSource.objects.get() == source
    assert (source.name, source.year, source.url, source.notes, source.imported_by) == (
        "ACS 2023 × CDC prevalence",
        2023,
        "https://example.org/estimates",
        "Adults by group times prevalence.",
        world.admin,
    )
    name = source.name
    assert stored() == {
        ("KS", "race", "white"): (300_000, name),
        ("KS", "race", "asian"): (20_000, name),
        ("KS", "race", "black"): (40_000, name),
        ("KS", "county", kansas_county.fips): (1200, name),
        ("AL", "county", alabama_county.fips): (5000, name),
        ("UT", "ethnicity", "hispanic"): (75_000, name),
    }
    assert source.estimates.count() == 6


def test_a_second_import_replaces_only_the_states_and_breakdowns_it_covers(world):
    kansas_county = county("KS")
    estimates_import(
        data=csv_bytes(
            "KS,race,white,300000",
            "KS,race,asian,20000",
            f"KS,county,{kansas_county.fips},1200",
            "KS,sex,female,150000",
            "UT,race,white,250000",
        ),
        name="First",
        year=2022,
    )
    second = estimates_import(
        data=csv_bytes("KS,race,white,310000", "KS,race,black,41000", "KS,sex,male,140000"),
        name="Second",
        year=2023,
    )
    assert stored() == {
        # Kansas by race: the second file's rows only (its Asian estimate is gone with the first's).
        ("KS", "race", "white"): (310_000, "Second"),
        ("KS", "race", "black"): (41_000, "Second"),
        # Kansas by sex too: the second file covers that breakdown, so the first's female row goes.
        ("KS", "sex", "male"): (140_000, "Second"),
        # What the second file does not cover stays.
        ("KS", "county", kansas_county.fips): (1200, "First"),
        ("UT", "race", "white"): (250_000, "First"),
    }
    # Both sources are kept: the first still describes the rows it gave.
    assert set(EstimateSource.objects.values_list("name", flat=True)) == {"First", "Second"}
    assert second.estimates.count() == 3


def test_a_bad_file_is_refused_whole_with_every_problem(world):
    estimates_import(data=csv_bytes("KS,race,white,300000"), name="Earlier", year=2022)
    before = stored()
    utah_county = county("UT")
    data = csv_bytes(
        "KS,race,black,40000",  # line 2: fine, and still not stored
        "ZZ,race,white,100",  # 3: no such state
        "KS,race,martian,100",  # 4: no such category
        f"KS,county,{utah_county.fips},100",  # 5: a Utah county in Kansas
        "KS,race,asian,-5",  # 6: negative
        "KS,race,aian,many",  # 7: not a number
        "KS,race,nhopi,10",  # 8: first of a pair
        "KS,race,nhopi,11",  # 9: the same state and category again
        "KS,race,unknown,100",  # 10: no eligible population
        "KS,shoe_size,large,1",  # 11: no such breakdown
        "KS,race,multiracial,",  # 12: no estimate
    )
    with pytest.raises(ReportRefused) as refused:
        estimates_import(data=data, name="Bad", year=2023)
    problems = {(problem.line, problem.column): problem.message for problem in refused.value.problems}
    assert problems == {
        (3, "state"): "no state 'ZZ'",
        (4, "category"): "no category 'martian' in the breakdown 'race'",
        (5, ""): f"county {utah_county.fips} is not in Kansas",
        (6, "estimate"): "the estimate '-5' is not a whole number from 0 up",
        (7, "estimate"): "the estimate 'many' is not a whole number from 0 up",
        (9, ""): "KS race nhopi appears twice (first on line 8)",
        (10, "category"): "“unknown” has no eligible population",
        (11, "category"): "no category 'large' in the breakdown 'shoe_size'",
        (12, "estimate"): "the estimate '' is not a whole number from 0 up",
    }
    assert all(problem.expected for problem in refused.value.problems)
    assert stored() == before
    assert not EstimateSource.objects.filter(name="Bad").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (csv_bytes("KS,race,1", header="state,breakdown,estimate"), "the column category is missing"),
        (csv_bytes(), "the file has no estimates"),
        (b"", "the file is empty"),
        (b"PK\x03\x04 a workbook", "the file is not an Excel workbook Tandem can read"),
        (b"%PDF-1.7 a document", "the file is not a CSV file"),
        (csv_bytes("KS,race,white,60000000"), "the estimate '60000000' is not a whole number from 0 up"),
    ],
)
def test_files_refused_before_their_rows(world, data, message):
    with pytest.raises(ReportRefused) as refused:
        estimates_import(data=data, name="Bad", year=2023)
    assert any(problem.message.startswith(message) for problem in refused.value.problems), [
        problem.message for problem in refused.value.problems
    ]
    assert not EstimateSource.objects.exists() and not EligibleEstimate.objects.exists()


def test_every_missing_column_is_named(world):
    with pytest.raises(ReportRefused) as refused:
        estimates_import(data=csv_bytes("KS", header="state"), name="Bad", year=2023)
    assert {problem.column for problem in refused.value.problems} == {"breakdown", "category", "estimate"}


# The page


def upload(data: bytes, **fields: str) -> dict[str, object]:
    return {
        "file": SimpleUploadedFile("estimates.csv", data, content_type="text/csv"),
        "name": "ACS 2023 × CDC prevalence",
        "year": "2023",
        "url": "https://example.org/estimates",
        "notes": "Adults by group times prevalence.",
        **fields,
    }


def test_site_administrators_import_a_file(world, client_for):
    client = client_for(world.admin)
    page = client.get(URL)
    assert page.status_code == 200 and "None imported yet." in page.content.decode()
    rows = ["KS,race,white,300000", "KS,race,asian,20000", "UT,race,white,250000"]
    response = client.post(URL, upload(csv_bytes(*rows)))
    assert response.status_code == 302 and response["Location"] == URL
    page = client.get(URL)
    content = page.content.decode()
    source = EstimateSource.objects.get()
    assert f"Imported {len(rows)} estimates from “{source}”." in content
    assert source.imported_by == world.admin and source.name == "ACS 2023 × CDC prevalence"
    assert '<a href="https://example.org/estimates">ACS 2023 × CDC prevalence</a>' in content
    assert list(page.context["sources"]) == [(source, len(rows))]
    assert stored()[("UT", "race", "white")] == (250_000, source.name)


def test_a_bad_file_on_the_page_shows_each_problem_and_stores_nothing(world, client_for):
    client = client_for(world.admin)
    data = csv_bytes("KS,race,white,300000", "ZZ,race,white,100", "KS,race,asian,many", "KS,race,unknown,9")
    response = client.post(URL, upload(data))
    assert response.status_code == 400
    content = response.content.decode()
    assert "The file was refused; nothing was imported" in content
    for text in (
        "line 3, column state: no state &#x27;ZZ&#x27;",
        "line 4, column estimate: the estimate &#x27;many&#x27; is not a whole number from 0 up",
        "line 5, column category: “unknown” has no eligible population",
    ):
        assert text in content, text
    assert len(response.context["problems"]) == 3
    assert not EstimateSource.objects.exists() and not EligibleEstimate.objects.exists()


def test_the_form_asks_for_the_source(world, client_for):
    response = client_for(world.admin).post(URL, upload(csv_bytes("KS,race,white,3"), name="", year="1800"))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "year"}
    assert not EstimateSource.objects.exists() and not EligibleEstimate.objects.exists()


@pytest.mark.parametrize("role", ["backbone", "partner", "state_viewer", "other_backbone", "outsider"])
def test_only_site_administrators_see_the_page(world, client_for, role):
    client = client_for(getattr(world, role))
    assert client.get(URL).status_code == 404
    assert client.post(URL, upload(csv_bytes("KS,race,white,300000"))).status_code == 404
    assert not EstimateSource.objects.exists() and not EligibleEstimate.objects.exists()


def test_anonymous_users_are_sent_to_sign_in(world, client):
    response = client.post(URL, upload(csv_bytes("KS,race,white,300000")))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not EligibleEstimate.objects.exists()
    assert state("KS")  # the reference data is untouched


# The import from an Excel workbook: the same rows as their CSV twin, the same problems at the same lines
# and columns (a row's line is its row number in Excel), the same estimates stored.


def test_a_workbook_with_a_bad_row_is_refused_whole_at_its_csv_twins_lines_and_columns(world):
    estimates_import(data=csv_bytes("KS,race,white,300000"), name="Earlier", year=2022)
    before = stored()
    data = csv_bytes(
        "KS,race,black,40000",
        "ZZ,race,white,100",  # 3: no such state
        "KS,race,asian,-5",  # 4: negative
        "KS,race,aian,many",  # 5: not a number
        "KS,race,nhopi,12.5",  # 6: not a whole number
        "KS,race,multiracial,",  # 7: no estimate
    )
    with pytest.raises(ReportRefused) as from_csv:
        estimates_import(data=data, name="Bad", year=2023)
    with pytest.raises(ReportRefused) as from_workbook:
        estimates_import(data=workbook_of(data), name="Bad", year=2023)
    problems = [(p.line, p.column, p.message) for p in from_workbook.value.problems]
    assert problems == [(p.line, p.column, p.message) for p in from_csv.value.problems]
    assert [(line, column) for line, column, _ in problems] == [
        (3, "state"),
        (4, "estimate"),
        (5, "estimate"),
        (6, "estimate"),
        (7, "estimate"),
    ]
    assert stored() == before
    assert not EstimateSource.objects.filter(name="Bad").exists()


def test_a_good_workbook_stores_exactly_what_its_csv_twin_stores(world):
    data = csv_bytes(
        "KS,race,white,300000",
        "ks,Race,Asian,20001",  # stored in the workbook as 20001.0
        '20,race,black,"40,000"',  # a state by its FIPS code, a number in the workbook
        f"KS,county,{county('KS').fips},1200",
        "AL,county,01001,5000",  # the leading zero Excel drops
    )
    estimates_import(data=data, name="From CSV", year=2023)
    from_csv = {key: estimate for key, (estimate, _) in stored().items()}
    source = estimates_import(data=workbook_of(data), name="From Excel", year=2023)
    assert stored() == {key: (estimate, "From Excel") for key, estimate in from_csv.items()}
    assert source.estimates.count() == len(from_csv) == 5
    assert from_csv["AL", "county", "01001"] == 5000


def test_a_workbook_imports_through_the_page(world, client_for):
    client = client_for(world.admin)
    page = client.get(URL).content.decode()
    assert "Estimates (CSV or Excel)" in page and "first sheet" in page
    workbook = workbook_of(csv_bytes("KS,race,white,300000", "UT,race,white,250000"))
    form = upload(workbook)
    form["file"] = SimpleUploadedFile("estimates.xlsx", workbook, content_type=XLSX_TYPE)
    response = client.post(URL, form)
    assert response.status_code == 302
    assert stored()[("UT", "race", "white")] == (250_000, "ACS 2023 × CDC prevalence")
