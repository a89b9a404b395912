"""Every page that reads a month, a period, an id or a number from its address or query string, sent
odd values by every role that may open it: a form error, a note, a 400 or a 404, never a 500.

The values are the ones that broke pages before: months that overflow date arithmetic (9999-12,
0001-01), months that are not months (0000-01, 2026-13), a superscript digit that ``str.isdigit``
takes for a number, an id too large for the database, nothing, a NUL (PostgreSQL refuses it in a
query), and strings long enough to pass any length check a page forgets. (``download``, which every
page with a table reads, is only compared with the tables' names.)
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"  # 23 digits: more than any database integer holds
# Sent in every parameter.
ODD_VALUES = ["9999-12", "0001-01", "²", HUGE, "", "x" * 3000, "\x00"]
# Sent as well in the parameters that hold a month or a day.
ODD_DATES = ["0000-01", "2026-13", "9999-12-31"]
DATE_PARAMS = {"start", "end", "on", "month"}
ODD_MONTHS = ["9999-12", "0001-01", "0000-01", "2026-13", "²⁰²⁶-01", "2026-1²", HUGE, "x" * 300, "%00"]

BACKBONE, ADMIN, PARTNER, STATE = "backbone", "admin", "partner", "state_viewer"
MANAGE = (BACKBONE, ADMIN)
VIEW = (BACKBONE, ADMIN, PARTNER, STATE)


@dataclass(frozen=True)
class Page:
    """A page, who may open it, and the query-string parameters it reads."""

    url: Callable[[object], str]
    roles: tuple[str, ...]
    params: tuple[str, ...]


def network_url(name: str) -> Callable[[object], str]:
    return lambda world: reverse(name, args=["kansas"])


def state_url(name: str) -> Callable[[object], str]:
    return lambda world: reverse(name, args=["KS"])


def partner_url(name: str) -> Callable[[object], str]:
    return lambda world: reverse(name, args=["kansas", world.supplier.pk])


PERIOD = ("start", "end")
DASHBOARD = (*PERIOD, "measure")
EQUITY = (*PERIOD, "measure", "breakdown", "organization")

PAGES: dict[str, Page] = {
    # network
    "partner_directory": Page(
        network_url("network:partner_directory"), MANAGE, ("q", "sector", "kind", "county", "population")
    ),
    "meeting_create": Page(network_url("network:meeting_create"), MANAGE, ("workgroup",)),
    "contract_list": Page(network_url("network:contract_list"), MANAGE, ("stage",)),
    "engagement": Page(network_url("network:engagement"), MANAGE, PERIOD),
    "contracting": Page(network_url("network:contracting"), MANAGE, PERIOD),
    "touchpoint_create": Page(network_url("network:touchpoint_create"), MANAGE, ("organization",)),
    "map": Page(network_url("network:map"), MANAGE, ("on", "sources", "min_closeness", "sector", "kind")),
    "map_trend": Page(network_url("network:map_trend"), VIEW, ("min_closeness",)),
    "map_organization": Page(partner_url("network:map_organization"), MANAGE, ("on",)),
    "state_health": Page(state_url("network:state_health"), (BACKBONE, ADMIN, STATE), PERIOD),
    # metrics
    "report_list": Page(network_url("metrics:report_list"), VIEW, ("status", "page")),
    "completeness": Page(network_url("metrics:completeness"), MANAGE, ("end",)),
    "reporting_months": Page(partner_url("metrics:reporting_months"), (PARTNER, ADMIN), ("all",)),
    "upload_template": Page(partner_url("metrics:upload_template"), (PARTNER, ADMIN), ("month",)),
    # goals
    "dashboard_network": Page(network_url("goals:dashboard_network"), MANAGE, DASHBOARD),
    "dashboard_partner": Page(partner_url("goals:dashboard_partner"), (BACKBONE, ADMIN, PARTNER), DASHBOARD),
    "dashboard_state": Page(state_url("goals:dashboard_state"), (STATE, ADMIN), DASHBOARD),
    "dashboard_states": Page(lambda world: reverse("goals:dashboard_states"), (ADMIN,), DASHBOARD),
    "work_plan": Page(network_url("goals:work_plan"), VIEW, ("owner", "status", "overdue")),
    "strategy_create": Page(network_url("goals:strategy_create"), MANAGE, ("goal", "workgroup")),
    "action_create": Page(network_url("goals:action_create"), MANAGE, ("strategy", "owner")),
    # equity
    "equity": Page(network_url("equity:network"), VIEW, EQUITY),
    "coverage": Page(network_url("equity:network_coverage"), VIEW, EQUITY),
    "state_equity": Page(state_url("equity:state"), (STATE, ADMIN), EQUITY),
    "state_coverage": Page(state_url("equity:state_coverage"), (STATE, ADMIN), EQUITY),
}


def get(client: Client, url: str, query: dict[str, str]) -> int:
    """The status of the page; a 500 (the test client raises what the view raised) fails the test
    with the page and the query in its message."""
    try:
        return client.get(url, query).status_code
    except Exception as error:
        raise AssertionError(f"500 for {url} {query!r:.200}: {error!r:.300}") from error


CASES = [(page, role) for page, spec in PAGES.items() for role in spec.roles]


@pytest.mark.parametrize(("page", "role"), CASES, ids=[f"{page}-{role}" for page, role in CASES])
def test_pages_refuse_odd_query_values_without_a_500(world, client_for, page, role):
    spec = PAGES[page]
    client = client_for(getattr(world, role))
    url = spec.url(world)
    assert get(client, url, {}) == 200, (page, role)
    for param in spec.params:
        for value in ODD_VALUES + (ODD_DATES if param in DATE_PARAMS else []):
            assert get(client, url, {param: value}) != 500


MONTH_PAGES = {
    "report_form": ("metrics:report_form", (PARTNER, ADMIN)),
    "report_nothing": ("metrics:report_nothing", (PARTNER, ADMIN)),
    "report_reopen": ("metrics:report_reopen", MANAGE),
}


@pytest.mark.parametrize("page", MONTH_PAGES)
def test_odd_months_in_the_address_are_not_found(world, client_for, page):
    name, roles = MONTH_PAGES[page]
    for role in roles:
        client = client_for(getattr(world, role))
        for month in ODD_MONTHS:
            url = reverse(name, args=["kansas", world.supplier.pk, "2026-01"]).replace("2026-01", month)
            for method in (client.get, client.post):
                try:
                    status = method(url).status_code
                except Exception as error:
                    raise AssertionError(f"500 for {method.__name__} {url:.200}: {error!r:.300}") from error
                assert status == 404, (page, role, month, status)


ID_PAGES = [
    ("network:partner_detail", ["kansas", HUGE]),
    ("network:partner_edit", ["kansas", HUGE]),
    ("network:map_organization", ["kansas", HUGE]),
    ("network:touchpoint_list", ["kansas", HUGE]),
    ("network:workgroup_detail", ["kansas", HUGE]),
    ("network:meeting_detail", ["kansas", HUGE]),
    ("network:contract_detail", ["kansas", HUGE]),
    ("network:assessment_round_detail", ["kansas", HUGE]),
    ("network:assessment_results", ["kansas", HUGE]),
    ("network:organization_detail", [HUGE]),
    ("metrics:report_detail", ["kansas", HUGE]),
    ("metrics:reporting_months", ["kansas", HUGE]),
    ("metrics:upload_create", ["kansas", HUGE]),
    ("goals:goal_edit", ["kansas", HUGE]),
    ("goals:goal_commitments", ["kansas", HUGE]),
    ("goals:dashboard_partner", ["kansas", HUGE]),
    ("network:assessment_answer", ["x" * 3000]),
    ("goals:dashboard_state", ["²"]),
    ("equity:state", ["\x00"]),
    ("network:state_health", ["x" * 3000]),
]


@pytest.mark.parametrize("role", [BACKBONE, ADMIN, PARTNER, STATE])
def test_ids_too_large_for_the_database_are_not_found(world, client_for, role):
    client = client_for(getattr(world, role))
    for name, args in ID_PAGES:
        url = reverse(name, args=args)
        status = get(client, url, {})
        assert status in (403, 404), (name, role, status)


# What a person reads instead


def page_text(client: Client, url: str, query: dict[str, str]) -> str:
    response = client.get(url, query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("end", ["9999-12", "0001-01"])
def test_completeness_says_which_months_it_takes_and_shows_the_latest(world, client_for, end):
    page = page_text(
        client_for(world.backbone), reverse("metrics:completeness", args=["kansas"]), {"end": end}
    )
    assert "Give a month from 2000-01 to 2099-12, written YYYY-MM, such as 2024-06." in page
    assert "Showing the latest 12 months." in page


@pytest.mark.parametrize("organization", ["²", HUGE])
@pytest.mark.parametrize("page", ["equity:network", "equity:network_coverage"])
def test_equity_pages_name_an_odd_partner_as_a_form_error(world, client_for, page, organization):
    text = page_text(
        client_for(world.backbone), reverse(page, args=["kansas"]), {"organization": organization}
    )
    assert "Partner: Select a valid choice." in text
    assert "Showing" in text  # and what is shown instead


@pytest.mark.parametrize("query", [{"end": "9999-12"}, {"start": "0001-01"}])
def test_dashboards_say_which_months_they_take(world, client_for, query):
    url = reverse("goals:dashboard_network", args=["kansas"])
    text = page_text(client_for(world.backbone), url, query)
    assert "Give a month as YYYY-MM, e.g. 2026-01, from January 2000 to December 2099." in text


def test_partnership_health_says_which_days_it_takes(world, client_for):
    url = reverse("network:engagement", args=["kansas"])
    text = page_text(client_for(world.backbone), url, {"start": "2024-01-01", "end": "9999-12-31"})
    assert "Choose a day up to December 31, 2099." in text


def test_the_map_says_which_days_it_takes(world, client_for):
    text = page_text(
        client_for(world.backbone), reverse("network:map", args=["kansas"]), {"on": "9999-12-31"}
    )
    assert "Choose a day from January 1, 2000 to December 31, 2099." in text


# Forms that choose several rows by id


def test_an_id_too_large_among_the_counties_served_is_a_form_error(world, client_for):
    response = client_for(world.partner).post(
        reverse("network:organization_edit", args=[world.supplier.pk]),
        {
            "name": world.supplier.name,
            "state": world.supplier.state_id,
            "sector": world.supplier.sector,
            "recognition_status": world.supplier.recognition_status,
            "counties_served": [HUGE],
        },
    )
    assert response.status_code == 200
    assert f"“{HUGE}” is not a valid value." in response.content.decode()


@pytest.mark.parametrize("invited", [HUGE, "²"])
def test_an_odd_id_among_the_organizations_invited_is_a_form_error(world, client_for, invited):
    response = client_for(world.backbone).post(
        reverse("network:meeting_create", args=["kansas"]),
        {"title": "Quarterly meeting", "starts_at": "2026-03-02T10:00", "invited": [invited]},
    )
    assert response.status_code == 200
    assert f"“{invited}” is not a valid value." in response.content.decode()


def test_the_partner_directory_search_has_a_length_limit(world, client_for):
    url = reverse("network:partner_directory", args=["kansas"])
    text = page_text(client_for(world.backbone), url, {"q": "x" * 3000})
    assert "Ensure this value has at most 200 characters (it has 3000)." in text
