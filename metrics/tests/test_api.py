"""The reports API against the role matrix, every kind of bad input, versions, filters, and the
schema and docs."""

import dataclasses
import datetime
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from metrics import services, uploads
from metrics.models import MonthlyReport, ReportSource, ReportStatus, ReportVersion, Upload, UploadStatus
from metrics.services import cells_of
from metrics.tests.factories import values_for, workbook_of
from metrics.validation import ValueIn
from network.models import DataSharing
from network.tests.factories import MembershipFactory
from partners.tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

OK, CREATED, BAD, UNAUTHORIZED, FORBIDDEN, NOT_FOUND = 200, 201, 400, 401, 403, 404
REPORTS = reverse("api:reports")


def add_months(month: datetime.date, months: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def last_month() -> str:
    """A month that is open whatever today is: due on the 15th of this month, locked 30 days later."""
    return f"{add_months(timezone.localdate().replace(day=1), -1):%Y-%m}"


def as_json(values: list[ValueIn]) -> list[dict]:
    return [
        {"measure": v.measure, "breakdown": v.breakdown, "category": v.category, "count": v.count}
        for v in values
    ]


def body(world, *, totals=None, values=None, **fields) -> dict:
    return {
        "organization": world.supplier.pk,
        "network": "kansas",
        "month": last_month(),
        "submit": True,
        "values": values
        if values is not None
        else as_json(values_for(world.network, totals or {"enrollments": 12})),
        **fields,
    }


def post(client: APIClient, data) -> object:
    return client.post(REPORTS, data, format="json")


def submitted(world, month: datetime.date, *, organization=None, network=None, totals=None) -> MonthlyReport:
    """A report stored as if on the first day of the following month (before it is due)."""
    network = network or world.network
    return services.report_save(
        network=network,
        organization=organization or world.supplier,
        month=month,
        values=values_for(network, totals or {"enrollments": 5}),
        user=None,
        source=ReportSource.FORM,
        submit=True,
        today=add_months(month, 1),
    )


def utah_supplier(world):
    return world.other_network.memberships.get().organization


def share_with_state(world) -> None:
    world.membership.data_sharing = DataSharing.BACKBONE_AND_STATE
    world.membership.save()


# Reading reports: the role matrix

# Which reports each role sees: kansas (Prairie YMCA, not shared with the state) and utah.
SEES = {
    "backbone": {"kansas"},
    "partner": {"kansas"},
    "state_viewer": set(),
    "other_backbone": {"utah"},
    "other_partner": {"utah"},
    "outsider": set(),
    "admin": {"kansas", "utah"},
}


@pytest.mark.parametrize("role", SEES)
def test_reports_list_and_detail_role_matrix(world, api_for, role):
    month = add_months(timezone.localdate().replace(day=1), -3)
    reports = {
        "kansas": submitted(world, month),
        "utah": submitted(world, month, organization=utah_supplier(world), network=world.other_network),
    }
    client = api_for(getattr(world, role))
    response = client.get(REPORTS)
    assert response.status_code == OK
    assert {row["network"] for row in response.json()["results"]} == SEES[role]
    for network, report in reports.items():
        expected = OK if network in SEES[role] else NOT_FOUND
        assert client.get(reverse("api:report", args=[report.pk])).status_code == expected, network


def test_state_viewers_see_reports_of_partners_who_share_with_the_state(world, api_for):
    report = submitted(world, add_months(timezone.localdate().replace(day=1), -3))
    client = api_for(world.state_viewer)
    url = reverse("api:report", args=[report.pk])
    assert client.get(url).status_code == NOT_FOUND
    share_with_state(world)
    assert client.get(url).status_code == OK
    assert [row["id"] for row in client.get(REPORTS).json()["results"]] == [report.pk]


def test_anonymous_callers_are_asked_to_sign_in(world, api_for):
    report = submitted(world, add_months(timezone.localdate().replace(day=1), -3))
    client = api_for(None)
    for response in (
        client.get(REPORTS),
        client.get(reverse("api:report", args=[report.pk])),
        post(client, body(world)),
    ):
        assert response.status_code == UNAUTHORIZED
    assert not ReportVersion.objects.filter(source=ReportSource.API).exists()


def test_an_unknown_report_is_not_found(world, api_for):
    assert api_for(world.backbone).get(reverse("api:report", args=[999_999])).status_code == NOT_FOUND


def test_report_detail_has_the_current_counts_and_every_version(world, api_for):
    month = add_months(timezone.localdate().replace(day=1), -3)
    submitted(world, month, totals={"enrollments": 5})
    report = submitted(world, month, totals={"enrollments": 7, "referrals": 20})
    services.report_return(
        report=report,
        version=report.current_version.number,
        user=world.backbone,
        comment="Check the county counts.",
    )
    data = api_for(world.partner).get(reverse("api:report", args=[report.pk])).json()
    assert {key: data[key] for key in ("organization", "organization_name", "network", "month")} == {
        "organization": world.supplier.pk,
        "organization_name": "Prairie YMCA",
        "network": "kansas",
        "month": f"{month:%Y-%m}",
    }
    assert data["status"] == ReportStatus.RETURNED
    assert data["version"] == 2
    assert data["nothing_to_report"] is False
    assert data["review_comment"] == "Check the county counts."
    assert data["due_on"] == f"{add_months(month, 1):%Y-%m}-15"
    assert [(v["number"], v["source"]) for v in data["versions"]] == [(1, "form"), (2, "form")]
    counts = {(v["measure"], v["breakdown"], v["category"]): v["count"] for v in data["values"]}
    assert counts == {
        (v.measure, v.breakdown, v.category): v.count
        for v in values_for(world.network, {"enrollments": 7, "referrals": 20})
    }
    assert data["values"][0] == {"measure": "referrals", "breakdown": "total", "category": "all", "count": 20}


# Filters and query counts


def test_reports_filters(world, api_for):
    this_month = timezone.localdate().replace(day=1)
    months = [add_months(this_month, -n) for n in (5, 4, 3)]
    for month in months:
        submitted(world, month)
    other = SupplierFactory(name="Flint Hills Clinic")
    MembershipFactory(network=world.network, organization=other, reports_monthly=True)
    submitted(world, months[0], organization=other)
    others = MonthlyReport.objects.get(organization=other)
    services.report_approve(report=others, version=others.current_version.number, user=world.backbone)
    submitted(world, months[0], organization=utah_supplier(world), network=world.other_network)
    client = api_for(world.admin)

    def found(**params) -> list[tuple[str, str]]:
        response = client.get(REPORTS, params)
        assert response.status_code == OK, response.json()
        return [(row["organization_name"], row["month"]) for row in response.json()["results"]]

    label = [f"{month:%Y-%m}" for month in months]
    assert found(organization=other.pk) == [("Flint Hills Clinic", label[0])]
    assert len(found(network="kansas")) == 4
    assert found(network="kansas", month_from=label[1]) == [
        ("Prairie YMCA", label[2]),
        ("Prairie YMCA", label[1]),
    ]
    assert found(network="kansas", month_to=label[0]) == [
        ("Flint Hills Clinic", label[0]),
        ("Prairie YMCA", label[0]),
    ]
    assert found(month_from=label[1], month_to=label[1]) == [("Prairie YMCA", label[1])]
    assert found(status="approved") == [("Flint Hills Clinic", label[0])]
    assert found(network="atlantis") == []
    page = client.get(REPORTS, {"limit": 2, "offset": 1}).json()
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"] and page["previous"]


@pytest.mark.parametrize(
    ("params", "column"),
    [
        ({"month_from": "2024-13"}, "month_from"),
        ({"month_to": "March"}, "month_to"),
        ({"organization": "x"}, "organization"),
        ({"network": "kansas network"}, "network"),
        ({"limit": "1" * 23}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "²"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_bad_filters_get_a_400_with_problems(world, api_for, params, column):
    submitted(world, add_months(timezone.localdate().replace(day=1), -2))  # a page reaches the database
    response = api_for(world.backbone).get(REPORTS, params)
    assert response.status_code == BAD
    problems = response.json()["problems"]
    assert [problem["column"] for problem in problems] == [column]
    assert problems[0]["message"] and problems[0]["expected"]


@pytest.mark.parametrize("role", ["backbone", "partner"])
def test_the_reports_list_makes_the_same_number_of_queries_for_more_reports(world, api_for, role):
    first = datetime.date(2024, 1, 1)
    client = api_for(getattr(world, role))
    client.get(REPORTS)  # warm the content type cache

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(REPORTS).status_code == OK
        return len(queries)

    for n in range(2):
        submitted(world, add_months(first, n))
    few = count()
    for n in range(2, 10):
        submitted(world, add_months(first, n))
    assert count() == few
    assert len(client.get(REPORTS).json()["results"]) == 10


# Sending a month


def test_sending_a_month_twice_makes_version_1_then_version_2(world, api_for):
    client = api_for(world.partner)
    first = post(client, body(world, totals={"enrollments": 12}))
    assert first.status_code == CREATED, first.json()
    data = first.json()
    assert first["Location"].endswith(reverse("api:report", args=[data["id"]]))
    assert (data["month"], data["status"], data["version"]) == (last_month(), ReportStatus.SUBMITTED, 1)
    assert data["versions"][0]["source"] == ReportSource.API
    assert data["versions"][0]["created_by"] == "partner"
    assert {"measure": "enrollments", "breakdown": "total", "category": "all", "count": 12} in data["values"]

    second = post(client, body(world, totals={"enrollments": 14}))
    assert second.status_code == CREATED
    data = second.json()
    assert data["id"] == first.json()["id"]
    assert data["version"] == 2
    assert [version["number"] for version in data["versions"]] == [1, 2]
    assert {"measure": "enrollments", "breakdown": "total", "category": "all", "count": 14} in data["values"]
    assert ReportVersion.objects.filter(report_id=data["id"]).count() == 2


def test_a_month_can_be_kept_as_a_draft_or_have_nothing_to_report(world, api_for):
    client = api_for(world.partner)
    draft = post(client, body(world, submit=False)).json()
    assert draft["status"] == ReportStatus.DRAFT
    nothing = post(client, body(world, values=[], nothing_to_report=True)).json()
    assert (nothing["status"], nothing["nothing_to_report"], nothing["version"]) == (
        ReportStatus.SUBMITTED,
        True,
        2,
    )
    assert nothing["versions"][-1]["source"] == ReportSource.NOTHING
    assert nothing["values"] == []


POST_STATUS = {
    "partner": CREATED,
    "admin": CREATED,
    "backbone": FORBIDDEN,  # sees the organization, does not report for it
    "state_viewer": FORBIDDEN,
    "other_backbone": NOT_FOUND,
    "other_partner": NOT_FOUND,
    "outsider": NOT_FOUND,
}


@pytest.mark.parametrize("role", POST_STATUS)
def test_sending_a_month_role_matrix(world, api_for, role):
    response = post(api_for(getattr(world, role)), body(world))
    assert response.status_code == POST_STATUS[role], response.json()
    assert MonthlyReport.objects.exists() == (POST_STATUS[role] == CREATED)


def test_sending_for_an_unknown_organization_is_not_found(world, api_for):
    assert post(api_for(world.partner), body(world, organization=999_999)).status_code == NOT_FOUND


def replaced(world, measure_breakdown_category: tuple[str, str, str], **change) -> list[dict]:
    """Valid values with one of them changed."""
    values = values_for(world.network, {"enrollments": 12})
    return as_json(
        [
            dataclasses.replace(v, **change)
            if (v.measure, v.breakdown, v.category) == measure_breakdown_category
            else v
            for v in values
        ]
    )


def index_of(values: list[dict], measure: str, breakdown: str, category: str) -> int:
    return next(
        i
        for i, v in enumerate(values)
        if (v["measure"], v["breakdown"], v["category"]) == (measure, breakdown, category)
    )


def bad_inputs(world) -> dict[str, tuple[dict, list[dict]]]:
    """Each kind of bad input, and the problems it must get (each as a subset of the problem's keys)."""
    month = last_month()
    this_month = timezone.localdate().replace(day=1)
    valid = as_json(values_for(world.network, {"enrollments": 12}))
    black = index_of(valid, "enrollments", "race", "black")
    total = index_of(valid, "enrollments", "total", "all")

    def at(index: int, field: str, value) -> list[dict]:
        values = [dict(v) for v in valid]
        values[index][field] = value
        return values

    return {
        "unknown measure": (
            body(world, values=at(total, "measure", "signups")),
            [{"column": f"values[{total}].measure", "message": "unknown measure 'signups'"}],
        ),
        "unknown breakdown": (
            body(world, values=at(black, "breakdown", "religion")),
            [{"column": f"values[{black}].breakdown", "message": "unknown breakdown 'religion'"}],
        ),
        "unknown category": (
            body(world, values=at(black, "category", "martian")),
            [{"column": f"values[{black}].category", "message": "unknown race category 'martian'"}],
        ),
        "breakdown not adding up": (
            body(world, values=at(black, "count", valid[black]["count"] + 1)),
            [
                {
                    "message": "enrollments by race adds up to 13, but the total is 12",
                    "month": month,
                }
            ],
        ),
        "negative count": (
            body(world, values=at(black, "count", -1)),
            [
                {
                    "column": f"values[{black}].count",
                    "message": "-1 is not a count",
                    "expected": "a whole number, 0 or more",
                }
            ],
        ),
        "fractional count": (
            body(world, values=at(black, "count", 2.5)),
            [{"column": f"values[{black}].count", "message": "2.5 is not a count"}],
        ),
        "count in words": (
            body(world, values=at(black, "count", "four")),
            [{"column": f"values[{black}].count", "message": "'four' is not a count"}],
        ),
        "count in superscript digits": (
            body(world, values=at(black, "count", "²")),
            [{"column": f"values[{black}].count", "message": "'²' is not a count"}],
        ),
        "value given twice": (
            body(world, values=[*valid, dict(valid[black])]),
            [
                {
                    "column": f"values[{len(valid)}].category",
                    "message": f"enrollments by race, black, is given twice (also at values[{black}])",
                }
            ],
        ),
        "future month": (
            body(world, month=f"{add_months(this_month, 1):%Y-%m}"),
            [{"message": f"{add_months(this_month, 1):%B %Y} is in the future"}],
        ),
        "month before joining": (
            body(world, month="2022-12"),
            [
                {
                    "message": "December 2022 is before the organization joined the network "
                    "on January 1, 2023",
                    "month": "2022-12",
                }
            ],
        ),
        "locked month": (
            body(world, month=f"{add_months(this_month, -3):%Y-%m}"),
            [{"expected": "ask the network's backbone staff to reopen the month"}],
        ),
        "network the organization is not in": (
            body(world, network="utah"),
            [
                {
                    "column": "network",
                    "message": "Prairie YMCA is not a partner in network 'utah'",
                    "expected": "one of its networks: kansas",
                }
            ],
        ),
        "unknown network": (
            body(world, network="atlantis"),
            [{"column": "network", "message": "Prairie YMCA is not a partner in network 'atlantis'"}],
        ),
        "missing fields": (
            {"values": []},
            [
                {"column": "organization", "message": "This field is required."},
                {"column": "network", "message": "This field is required."},
                {"column": "month", "message": "This field is required.", "expected": "a month as YYYY-MM"},
            ],
        ),
        "malformed month": (
            body(world, month="2024-13"),
            [{"column": "month", "message": "'2024-13' is not a month.", "expected": "a month as YYYY-MM"}],
        ),
        "organization not a number": (
            body(world, organization="Prairie YMCA"),
            [{"column": "organization", "message": "A valid integer is required."}],
        ),
        "values not a list": (
            body(world, values={"enrollments": 12}),
            [{"column": "values", "expected": "a list of {measure, breakdown, category, count}"}],
        ),
        "value missing its count": (
            body(world, values=[{"measure": "enrollments", "breakdown": "total", "category": "all"}]),
            [{"column": "values[0].count", "message": "This field is required."}],
        ),
        "no counts": (body(world, values=[]), [{"message": "no counts were given", "month": month}]),
        "nothing to report with counts": (
            body(world, nothing_to_report=True),
            [{"message": "a month with nothing to report has no counts above 0"}],
        ),
        "body not an object": ([body(world)], [{"expected": "a JSON object"}]),
    }


BAD_INPUTS = [
    "unknown measure",
    "unknown breakdown",
    "unknown category",
    "breakdown not adding up",
    "negative count",
    "fractional count",
    "count in words",
    "count in superscript digits",
    "value given twice",
    "future month",
    "month before joining",
    "locked month",
    "network the organization is not in",
    "unknown network",
    "missing fields",
    "malformed month",
    "organization not a number",
    "values not a list",
    "value missing its count",
    "no counts",
    "nothing to report with counts",
    "body not an object",
]


@pytest.mark.parametrize("kind", BAD_INPUTS)
def test_bad_input_gets_a_400_with_every_problem_and_stores_nothing(world, api_for, kind):
    data, expected = bad_inputs(world)[kind]
    response = post(api_for(world.partner), data)
    assert response.status_code == BAD, response.json()
    refusal = response.json()
    assert "nothing was stored" in refusal["detail"]
    assert len(refusal["problems"]) == len(expected), refusal["problems"]
    for problem, wanted in zip(refusal["problems"], expected, strict=True):
        assert wanted.items() <= problem.items(), (problem, wanted)
        assert problem["message"]
    assert not MonthlyReport.objects.exists()
    assert not ReportVersion.objects.exists()


def test_every_problem_of_a_request_is_listed_at_once(world, api_for):
    values = as_json(values_for(world.network, {"enrollments": 12}))
    values[0]["measure"] = "signups"
    values[1]["count"] = -3
    values[2]["category"] = "martian"
    response = post(api_for(world.partner), body(world, values=values))
    assert response.status_code == BAD
    assert [problem["column"] for problem in response.json()["problems"]] == [
        "values[0].measure",
        "values[1].count",
        "values[2].category",
    ]


def test_numbers_too_large_to_store_are_refused_not_a_server_error(world, api_for):
    client = api_for(world.partner)
    huge = 10**12
    values = [
        {"measure": "enrollments", "breakdown": breakdown, "category": category, "count": huge}
        for breakdown, category in [
            ("total", "all"),
            ("race", "unknown"),
            ("ethnicity", "unknown"),
            ("sex", "unknown"),
            ("age_group", "unknown"),
            ("payer", "unknown"),
            ("delivery_mode", "unknown"),
            ("county", "unknown"),
        ]
    ]
    response = post(client, body(world, values=values))
    assert response.status_code == BAD
    assert {problem["column"] for problem in response.json()["problems"]} == {
        f"values[{index}].count" for index in range(len(values))
    }
    assert post(client, body(world, organization=10**30)).status_code == BAD
    assert client.get(REPORTS, {"organization": 10**30}).status_code == BAD
    assert client.get(reverse("api:report", args=[10**30])).status_code == NOT_FOUND
    assert not MonthlyReport.objects.exists()


def test_the_browsable_api_renders_for_a_signed_in_user(world, client_for):
    client = client_for(world.partner)
    for url in (REPORTS, reverse("api:me")):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == OK, url
        assert response["Content-Type"].startswith("text/html")


def test_malformed_json_gets_a_400_with_a_problem(world, api_for):
    response = api_for(world.partner).post(
        REPORTS, '{"organization": 1, "values": [', content_type="application/json"
    )
    assert response.status_code == BAD
    refusal = response.json()
    assert "not valid JSON" in refusal["detail"]
    assert refusal["problems"][0]["expected"] == "a JSON object"
    assert not MonthlyReport.objects.exists()


def test_the_problems_of_a_refusal_are_plain_json(world, api_for):
    """Line numbers and months keep their types, whatever DRF does to error details."""
    response = post(api_for(world.partner), body(world, month="2022-12"))
    assert json.loads(response.content)["problems"] == [
        {
            "message": "December 2022 is before the organization joined the network on January 1, 2023",
            "expected": "a month from January 2023 on",
            "month": "2022-12",
        }
    ]


# Sending a file

UPLOAD = reverse("api:upload_create")


def tandem_file(
    world, values: list[ValueIn], month: str | None = None, *, name="counts.csv"
) -> SimpleUploadedFile:
    month = month or last_month()
    code = world.supplier.dprp_org_code
    lines = ["org_code,month,measure,breakdown,category,count"] + [
        f"{code},{month},{v.measure},{v.breakdown},{v.category},{v.count}" for v in values
    ]
    return SimpleUploadedFile(name, "\n".join(lines).encode(), content_type="text/csv")


def upload(client: APIClient, world, csv_file, **fields):
    data = {
        "organization": world.supplier.pk,
        "network": "kansas",
        "format": "tandem",
        "file": csv_file,
        **fields,
    }
    return client.post(UPLOAD, data, format="multipart")


def test_a_tandem_file_saves_its_months(world, api_for):
    response = upload(
        api_for(world.partner), world, tandem_file(world, values_for(world.network, {"enrollments": 12}))
    )
    assert response.status_code == CREATED, response.json()
    data = response.json()
    assert data["upload"]["status"] == UploadStatus.SAVED
    assert data["upload"]["saved"] == [last_month()]
    [report] = data["reports"]
    assert (report["month"], report["version"], report["status"]) == (last_month(), 1, ReportStatus.SUBMITTED)
    version = MonthlyReport.objects.get(pk=report["id"]).current_version
    assert version.source == ReportSource.TANDEM_CSV


def test_a_dry_run_shows_the_months_and_keeps_nothing(world, api_for):
    file = tandem_file(world, values_for(world.network, {"enrollments": 12}))
    response = upload(api_for(world.partner), world, file, dry_run=True)
    assert response.status_code == OK, response.json()
    [month] = response.json()["months"]
    assert (month["month"], month["change"], month["totals"]) == (last_month(), "new", {"enrollments": 12})
    assert {"measure": "enrollments", "breakdown": "total", "category": "all", "count": 12} in month["values"]
    assert not MonthlyReport.objects.exists()
    assert Upload.objects.get().status == UploadStatus.DISCARDED


def test_a_file_with_problems_is_refused_whole_with_lines_and_columns(world, api_for):
    values = values_for(world.network, {"enrollments": 12})
    values[3] = dataclasses.replace(values[3], count=-1)
    values[5] = dataclasses.replace(values[5], measure="signups")
    response = upload(api_for(world.partner), world, tandem_file(world, values))
    assert response.status_code == BAD
    refusal = response.json()
    assert "nothing was stored" in refusal["detail"]
    assert {(problem.get("line"), problem.get("column")) for problem in refusal["problems"]} >= {
        (5, "count"),
        (7, "measure"),
    }
    assert not MonthlyReport.objects.exists()


def test_an_excel_workbook_is_refused_at_the_same_lines_and_columns_and_saved_as_its_csv_twin(world, api_for):
    values = values_for(world.network, {"enrollments": 12})
    bad = [*values[:3], dataclasses.replace(values[3], count=-1), *values[4:]]
    client = api_for(world.partner)
    refusals = [
        upload(client, world, SimpleUploadedFile(name, data, content_type="application/octet-stream"))
        for name, data in (
            ("counts.csv", tandem_file(world, bad).read()),
            ("counts.xlsx", workbook_of(tandem_file(world, bad).read())),
        )
    ]
    assert [response.status_code for response in refusals] == [BAD, BAD]
    assert refusals[0].json()["problems"] == refusals[1].json()["problems"]
    assert (refusals[1].json()["problems"][0]["line"], refusals[1].json()["problems"][0]["column"]) == (
        5,
        "count",
    )
    assert not MonthlyReport.objects.exists()

    workbook = SimpleUploadedFile("counts.xlsx", workbook_of(tandem_file(world, values).read()))
    response = upload(client, world, workbook)
    assert response.status_code == CREATED, response.json()
    report = MonthlyReport.objects.get()
    assert cells_of(report.current_version) == {(v.measure, v.breakdown, v.category): v.count for v in values}


UPLOAD_STATUS = {
    "partner": CREATED,
    "backbone": FORBIDDEN,
    "state_viewer": FORBIDDEN,
    "other_backbone": NOT_FOUND,
    "other_partner": NOT_FOUND,
    "outsider": NOT_FOUND,
}


@pytest.mark.parametrize("role", UPLOAD_STATUS)
def test_sending_a_file_role_matrix(world, api_for, role):
    file = tandem_file(world, values_for(world.network, {"enrollments": 12}))
    assert upload(api_for(getattr(world, role)), world, file).status_code == UPLOAD_STATUS[role]
    assert MonthlyReport.objects.exists() == (UPLOAD_STATUS[role] == CREATED)


def test_sending_a_file_anonymously_is_refused(world, api_for):
    file = tandem_file(world, values_for(world.network, {"enrollments": 12}))
    assert upload(api_for(None), world, file).status_code == UNAUTHORIZED
    assert not Upload.objects.exists()


@pytest.mark.parametrize(
    ("fields", "columns"),
    [
        ({"file": "not a file", "format": "excel"}, ["file", "format"]),
        ({"network": "utah"}, ["network"]),
        ({"format": "dprp"}, None),  # a Tandem file read as a DPRP file: its columns are missing
    ],
)
def test_a_bad_upload_request_gets_a_400_with_problems(world, api_for, fields, columns):
    file = tandem_file(world, values_for(world.network, {"enrollments": 12}))
    response = upload(api_for(world.partner), world, file, **fields)
    assert response.status_code == BAD, response.json()
    problems = response.json()["problems"]
    assert problems
    if columns:
        assert [problem["column"] for problem in problems] == columns
    assert not MonthlyReport.objects.exists()


def test_a_large_file_is_read_in_the_background_then_saved(world, api_for, settings, tmp_path):
    settings.REPORT_UPLOAD_BACKGROUND_ROWS = 1
    settings.MEDIA_ROOT = tmp_path
    client = api_for(world.partner)
    response = upload(client, world, tandem_file(world, values_for(world.network, {"enrollments": 12})))
    assert response.status_code == 202
    queued = response.json()
    assert queued["status"] == UploadStatus.QUEUED
    assert response["Location"] == queued["url"]
    assert client.get(queued["url"]).json()["status"] == UploadStatus.QUEUED
    assert api_for(world.backbone).get(queued["url"]).status_code == NOT_FOUND
    assert client.post(reverse("api:upload_save", args=[queued["id"]])).status_code == 409

    uploads.upload_read_queued(upload_id=queued["id"])  # what the background job does
    ready = client.get(queued["url"]).json()
    assert (ready["status"], ready["percent_done"]) == (UploadStatus.READY, 100)
    assert [month["change"] for month in ready["months"]] == ["new"]
    assert (
        api_for(world.backbone).post(reverse("api:upload_save", args=[queued["id"]])).status_code == NOT_FOUND
    )
    saved = client.post(reverse("api:upload_save", args=[queued["id"]]))
    assert saved.status_code == CREATED
    assert [report["version"] for report in saved.json()["reports"]] == [1]
    assert client.post(reverse("api:upload_save", args=[queued["id"]])).status_code == 409
    assert client.delete(queued["url"]).status_code == 409  # saved: corrected from its report instead


def test_an_upload_not_saved_can_be_discarded(world, api_for, settings, tmp_path):
    settings.REPORT_UPLOAD_BACKGROUND_ROWS = 1
    settings.MEDIA_ROOT = tmp_path
    client = api_for(world.partner)
    queued = upload(client, world, tandem_file(world, values_for(world.network, {"enrollments": 12}))).json()
    uploads.upload_read_queued(upload_id=queued["id"])
    assert api_for(world.outsider).delete(queued["url"]).status_code == NOT_FOUND
    assert client.delete(queued["url"]).status_code == 204
    assert client.get(queued["url"]).json()["status"] == UploadStatus.DISCARDED
    assert client.post(reverse("api:upload_save", args=[queued["id"]])).status_code == 409
    assert not MonthlyReport.objects.exists()


# Schema and docs


def test_the_openapi_schema_describes_every_endpoint(world, api_for):
    response = APIClient().get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == OK
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/me/",
        "/api/v1/networks/",
        "/api/v1/organizations/",
        "/api/v1/reports/",
        "/api/v1/reports/{id}/",
        "/api/v1/reports/upload/",
        "/api/v1/reports/upload/{id}/",
        "/api/v1/reports/upload/{id}/save/",
    ):
        assert path in paths, path
    create = paths["/api/v1/reports/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ReportIn")
    assert {"201", "400", "401", "403", "404"} <= set(create["responses"])
    listing = paths["/api/v1/reports/"]["get"]
    assert {"organization", "network", "month_from", "month_to", "limit", "offset"} <= {
        parameter["name"] for parameter in listing["parameters"]
    }
    components = schema["components"]["schemas"]
    assert {"values", "versions", "month", "status"} <= set(components["ReportDetailOut"]["properties"])
    assert {"measure", "breakdown", "category", "count"} <= set(components["ReportValueIn"]["properties"])
    upload = paths["/api/v1/reports/upload/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"200", "201", "202", "400"} <= set(upload["responses"])
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_the_docs_are_served_without_a_cdn(world):
    response = APIClient().get(reverse("api:docs"))
    assert response.status_code == OK
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    outside = [
        url for url in re.findall(r"https?://[^\s\"'<>]+", html) if not url.startswith("http://testserver")
    ]
    assert outside == []
    assert '"validatorUrl": null' in html  # else Swagger UI loads a badge from validator.swagger.io
    for word in ("cdn", "jsdelivr", "unpkg"):
        assert word not in html.lower()
    # The assets the page loads are Tandem's own static files.
    for asset in re.findall(r'(?:src|href)="/static/([^"]+)"', html):
        assert finders.find(asset), asset
