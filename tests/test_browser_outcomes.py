"""Program outcomes in a real browser: backbone staff open their network's outcomes page from the Reports
menu (the survival-style chart drawn by plotly beside its table, the partner that does not share named),
and a partner's staff open their own page, told that only they see their cohorts until they share them;
axe-core checks both pages."""

import datetime
import json
import re

import pytest
from playwright.sync_api import Page, expect

from metrics.tests.cohorts import cohort_add, measures_of
from network import services
from network.models import RoleKind
from network.tests.factories import MembershipFactory, NetworkFactory, UserFactory
from partners.tests.factories import SupplierFactory
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a-test-password-1"  # network.tests.factories.UserFactory's


@pytest.fixture
def prairie(reference_data) -> None:
    """A network with a YMCA sharing its outcomes and a clinic keeping them to itself, each with a year
    of cohorts over and one still running, and a user of each."""
    network = NetworkFactory(name="Prairie Diabetes Prevention Network", slug="prairie")
    MembershipFactory(network=network, organization=network.backbone)
    ymca = SupplierFactory(name="Prairie YMCA")
    clinic = SupplierFactory(name="Cottonwood Clinic")
    MembershipFactory(network=network, organization=ymca, outcomes_shared=True)
    MembershipFactory(network=network, organization=clinic)
    this_month = datetime.date.today().replace(day=1)
    for organization, started in ((ymca, 60), (clinic, 25)):
        counts = measures_of(started, kept=0.4)
        cohort_add(
            organization, datetime.date(2024, 2, 1), counts, female=measures_of(started // 2, kept=0.3)
        )
        cohort_add(organization, this_month, measures_of(started // 2))
    services.role_grant(user=UserFactory(username="backbone"), kind=RoleKind.BACKBONE_STAFF, scope=network)
    services.role_grant(user=UserFactory(username="clinic"), kind=RoleKind.PARTNER_STAFF, scope=clinic)


def test_the_backbone_and_a_partner_open_their_outcomes(page: Page, live_server, prairie):
    sign_in(page, live_server.url, "backbone", PASSWORD)
    page.goto(f"{live_server.url}/networks/prairie/")
    page.get_by_role("button", name="Reports").click()
    page.get_by_role("link", name="Program outcomes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Program outcomes: Prairie Diabetes Prevention Network"
    )
    expect(page.get_by_text("Not sharing: Cottonwood Clinic.")).to_be_visible()
    chart = page.locator("#network-survival-chart .main-svg").first
    expect(chart).to_be_visible()  # drawn by plotly.js
    drawn = json.loads(page.locator("#network-survival-chart-data").text_content() or "{}")
    assert [trace["name"] for trace in drawn["data"]] == ["Cohorts of 2024"]
    retention = page.get_by_role("table", name=re.compile("^Retention by cohort"))
    expect(retention.get_by_role("row", name=re.compile("February 2024"))).to_contain_text("60")
    expect(retention).to_contain_text("Still running")
    expect(page.get_by_role("table", name=re.compile("^Each partner"))).not_to_contain_text("Cottonwood")
    expect(page.get_by_text("Unconfirmed").first).to_be_visible()
    assert_accessible(page)

    page.context.clear_cookies()
    sign_in(page, live_server.url, "clinic", PASSWORD)
    page.goto(f"{live_server.url}/networks/prairie/")
    page.get_by_role("link", name="Program outcomes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Program outcomes: Cottonwood Clinic")
    expect(page.get_by_role("heading", name="Only your staff see these")).to_be_visible()
    own = page.get_by_role("table", name="Retention by cohort: Cottonwood Clinic")
    expect(own.get_by_role("row", name=re.compile("February 2024"))).to_contain_text("25")
    # The network's cohorts are the YMCA's alone: the clinic does not share.
    network = page.get_by_role("table", name="Retention by cohort: Prairie Diabetes Prevention Network")
    expect(network.get_by_role("row", name=re.compile("Q1 2024"))).to_contain_text("60")
    assert_accessible(page)
