"""User journeys in a real browser: each demo role signs in, reaches its home page and its main
pages, and an axe-core scan of every page finds no serious or critical accessibility problem."""

import pytest
from playwright.sync_api import Page, expect

from demo.network import build_demo
from tests.browser import assert_accessible, choose, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "tandem-demo"


@pytest.fixture
def demo(built_demo) -> None:
    built_demo(build_demo)


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert_accessible(page)


def test_sign_in_page_is_accessible_and_refuses_a_wrong_password(page: Page, live_server, demo):
    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page)
    page.get_by_label("Username").fill("backbone-kansas")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    assert_accessible(page)


def test_backbone_staff_journey(page: Page, live_server, demo):
    base = live_server.url
    sign_in(page, base, "backbone-utah", PASSWORD)
    expect(page.get_by_role("heading", name="Networks you coordinate")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Partners", exact=True).first.click()
    expect(page.get_by_role("heading", name="Partners", level=1)).to_be_visible()
    assert_accessible(page)
    # Filter the directory by sector, then open a partner.
    page.get_by_label("Sector").select_option("health_care")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("matching the filters")).to_be_visible()
    page.locator("table tbody th a").first.click()
    expect(page.get_by_role("heading", name="In this network", exact=True)).to_be_visible()
    assert_accessible(page)
    pages = ["", "workgroups/", "meetings/", "contracts/", "missing/", "partners/new/", "engagement/"]
    pages += ["contracting/", "map/", "map/trend/", "ties/", "assessments/", "settings/"]
    for path in pages:
        visit(page, f"{base}/networks/utah/{path}")
    page.goto(f"{base}/networks/utah/workgroups/")
    expect(page.get_by_text("Infrastructure and Awareness").first).to_be_visible()


def test_partner_staff_journey(page: Page, live_server, demo):
    base = live_server.url
    sign_in(page, base, "partner-kansas-2", PASSWORD)
    expect(page.get_by_role("heading", name="Your organization")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Update your organization's profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit your organization's profile")
    assert_accessible(page)
    page.get_by_role("button", name="Save the profile").click()
    expect(page.get_by_role("status")).to_contain_text("profile is saved")
    # The partner decides whether the state sees its identified figures.
    choose(page, "Backbone organization and state health department")
    page.get_by_role("button", name="Save the choices for Kansas").click()
    expect(page.get_by_role("status")).to_contain_text("state health department")
    assert_accessible(page)
    # Backbone-only pages are closed to partner staff.
    response = page.goto(f"{base}/networks/kansas/partners/")
    assert response is not None and response.status == 403


def test_state_viewer_journey(page: Page, live_server, demo):
    base = live_server.url
    sign_in(page, base, "state-michigan", PASSWORD)
    expect(page.get_by_role("heading", name="Networks in Michigan")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Partnership health in Michigan").click()
    expect(page.get_by_role("heading", name="Partnership health in Michigan", level=1)).to_be_visible()
    expect(page.locator(".tandem-chart .main-svg").first).to_be_visible()  # plotly drew the chart
    expect(page.get_by_role("table")).to_contain_text("Michigan Diabetes Prevention Partner Network")
    assert_accessible(page)
    page.goto(f"{base}/")
    page.get_by_role("link", name="Michigan Diabetes Prevention Partner Network", exact=True).click()
    expect(page.get_by_role("heading", name="The partnership at a glance")).to_be_visible()
    assert_accessible(page)
    response = page.goto(f"{base}/networks/kansas/")
    assert response is not None and response.status == 404


def test_site_administrator_journey(page: Page, live_server, demo):
    base = live_server.url
    sign_in(page, base, "admin", PASSWORD)
    expect(page.get_by_role("heading", name="Every network")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Administration", exact=True).click()
    expect(page).to_have_title("Site administration | Tandem")
