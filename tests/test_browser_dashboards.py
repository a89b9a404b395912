"""Dashboards in a real browser: backbone staff, partner staff, the state viewer and the site
administrator each reach their dashboard from the home page and find its plotly charts drawn (plotly.js
served by Tandem) beside the tables of the same numbers; axe-core checks every page."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from core.calendar import month_add
from demo.goals import GOAL_NAME, build_goals
from demo.network import build_demo
from demo.reports import build_reports
from goals.models import Goal
from metrics import services
from metrics.models import ReportSource
from metrics.tests.factories import values_for
from network.models import Network
from partners.models import Organization
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "tandem-demo"


@pytest.fixture
def demo(built_demo) -> None:
    built_demo(build_demo, build_reports, build_goals)


def assert_dashboard(page: Page, heading: str, tables: list[str]) -> None:
    """The page's heading, every chart drawn by plotly, and its tables with their CSV downloads."""
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    charts = page.locator(".tandem-chart")
    expect(charts.first).to_be_visible()
    for index in range(charts.count()):
        # plotly draws into the element: its SVG with at least one trace.
        expect(charts.nth(index).locator("svg.main-svg").first).to_be_attached()
        expect(charts.nth(index).locator("g.trace").first).to_be_attached()
    for caption in tables:
        table = page.get_by_role("table", name=re.compile(caption))
        expect(table).to_be_visible()
        expect(table.locator("tbody tr").first).to_be_visible()
        expect(page.get_by_role("link", name=re.compile(f"^Download “{caption}")).first).to_be_visible()
    expect(page.get_by_text("Figures brought up to date at")).to_be_visible()
    assert_accessible(page)


def test_backbone_staff_follow_their_goal(page: Page, live_server, demo):
    sign_in(page, live_server.url, "backbone-kansas", PASSWORD)
    page.get_by_role("link", name=re.compile("^Dashboard of Kansas")).first.click()
    assert_dashboard(
        page,
        "Dashboard of the Kansas Diabetes Prevention Partner Network",
        [
            "Progress against the goals of",
            "Increase enrollment in the National DPP by 20 % by December 31, 2026: month by month",
            "Enrollments a month in the",
            "Partners: commitments to",
            "Reports by month",
        ],
    )
    partners = page.get_by_role("table", name=re.compile("^Partners: commitments to"))
    expect(partners).to_contain_text("Tallgrass Valley YMCA")
    # The period filter: three months of referrals.
    page.get_by_role("textbox", name=re.compile(r"^From\b")).fill("2026-01")
    page.get_by_role("textbox", name=re.compile(r"^To\b")).fill("2026-03")
    page.get_by_role("combobox", name=re.compile(r"^Measure\b")).select_option("referrals")
    page.get_by_role("button", name="Show", exact=True).click()
    trend = page.get_by_role("table", name=re.compile("^Referrals a month in the"))
    expect(trend.locator("tbody tr")).to_have_count(4)  # three months and all months
    assert_accessible(page)
    # The goals and their commitments, from the dashboard.
    page.get_by_role("link", name="Goals and commitments").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shared goals of")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("^Commitments")).first.click()
    expect(page.get_by_label("Commitment of Tallgrass Valley YMCA")).not_to_have_value("")
    assert_accessible(page)


def test_partner_staff_see_their_commitment_and_the_network(page: Page, live_server, demo):
    sign_in(page, live_server.url, "partner-kansas-1", PASSWORD)
    page.get_by_role("link", name=re.compile(r"^Dashboard of .* in Kansas")).first.click()
    assert_dashboard(
        page,
        "Dashboard of Tallgrass Valley YMCA",
        ["Progress of Tallgrass Valley YMCA against its commitments", "Enrollments a month: Tallgrass"],
    )
    expect(page.get_by_role("table", name=re.compile("^Enrollments a month: Tallgrass"))).to_contain_text(
        "The whole network"
    )


def test_the_state_viewer_sees_every_network_of_the_state(page: Page, live_server, demo):
    sign_in(page, live_server.url, "state-kansas", PASSWORD)
    page.get_by_role("link", name="Dashboard of Kansas", exact=True).click()
    assert_dashboard(
        page,
        "Dashboard of Kansas",
        [
            "The networks of Kansas side by side",
            "Enrollments a month in Kansas",
            "Progress against the goals of the networks in Kansas",
            "Partners sharing their figures with the state",
        ],
    )
    sharing = page.get_by_role("table", name=re.compile("^Partners sharing their figures"))
    expect(sharing).to_contain_text("Tallgrass Valley YMCA")  # shares with the state
    expect(sharing).not_to_contain_text("Cottonwood Bend Community Health Center")  # backbone only


def test_the_site_administrator_compares_every_state(page: Page, live_server, demo):
    sign_in(page, live_server.url, "admin", PASSWORD)
    page.locator("#main-content").get_by_role("link", name="every state").click()
    assert_dashboard(
        page,
        "Every state compared",
        ["States compared", "Enrollments a month, state by state", "The networks of every state compared"],
    )
    expect(page.get_by_role("table", name=re.compile("^States compared"))).to_contain_text("Wisconsin")


def test_backbone_staff_approve_an_early_report_and_the_outlook_holds(page: Page, live_server, demo):
    """One partner reports a month ahead of the others: approved, it shows as provisional and moves
    no figure of the goal until the months before it are complete."""
    network = Network.objects.get(slug="kansas")
    tallgrass = Organization.objects.get(name="Tallgrass Valley YMCA")
    [goal] = Goal.objects.filter(network=network, name=GOAL_NAME)
    last_over = month_add(timezone.localdate().replace(day=1), -1)
    early = min(last_over, goal.deadline.replace(day=1))
    report = services.report_save(
        network=network,
        organization=tallgrass,
        month=early,
        values=values_for(network, {"enrollments": 3}),
        user=None,
        source=ReportSource.API,
        submit=True,
        today=month_add(early, 1) + datetime.timedelta(days=2),
    )
    sign_in(page, live_server.url, "backbone-kansas", PASSWORD)
    dashboard = f"{live_server.url}/networks/kansas/dashboard/"
    page.goto(dashboard)
    card = page.locator("#goal-heading").locator("xpath=..").locator(".grid-row").first
    before = card.inner_text()
    assert "counted up to" in before and "provisional, not counted yet" in before

    page.goto(f"{live_server.url}/networks/kansas/reports/{report.pk}/")
    page.get_by_role("button", name=re.compile(r"^Approve version \d+$")).click()
    expect(page.get_by_text(re.compile("^Approved Tallgrass Valley YMCA"))).to_be_visible()

    page.goto(dashboard)
    assert card.inner_text() == before  # the same count so far, pace, projection, outlook, rate needed
    by_month = page.get_by_role("table", name=re.compile(f"^{re.escape(GOAL_NAME)}: month by month"))
    row = by_month.get_by_role("row", name=re.compile(f"^{early:%B %Y}"))
    expect(row).to_contain_text("provisional")
    expect(row.locator("td").first).to_have_text("3")
    trend = page.get_by_role("table", name=re.compile("^Enrollments a month in the"))
    expect(trend.get_by_role("row", name=re.compile(f"^{early:%B %Y}"))).to_contain_text("1 of 5 reported")
    assert_accessible(page)
