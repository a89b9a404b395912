"""Each role starts from its home page's to-do list, in a real browser: every line leads to the page
where the work is done, the state viewer reaches each network's status, and the home page and the report
form work on a phone-sized screen. axe-core checks every page."""

import contextlib
import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from demo.goals import build_goals
from demo.network import build_demo
from demo.reports import build_reports
from network.models import Network
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "tandem-demo"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo(built_demo) -> None:
    built_demo(build_demo, build_reports, build_goals)


WIDER = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def assert_fits(page: Page) -> None:
    """Nothing wider than the screen: no sideways scrolling of the whole page, once its scripts have
    laid it out (a few seconds at most)."""
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(f"({WIDER}) <= 0", timeout=5000)
    overflow = page.evaluate(WIDER)
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def test_the_state_viewer_reaches_every_network_of_the_state_from_home(page: Page, live_server, demo):
    sign_in(page, live_server.url, "state-kansas", PASSWORD)
    home = page.url
    table = page.get_by_role("table", name=re.compile("^Where each network of Kansas stands"))
    expect(table).to_contain_text("partners have reported")
    assert_accessible(page)
    networks = list(Network.objects.filter(state__code="KS").order_by("name"))
    assert networks
    for network in networks:
        row = table.get_by_role("row", name=re.compile(re.escape(network.name)))
        expect(row).to_contain_text(re.compile("goal|No goal running"))
        row.get_by_role("link", name=network.name, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(network.name)
        # The state's own pages stay one step away on a network's pages.
        expect(page.get_by_role("button", name="All of Kansas")).to_be_visible()
        assert_accessible(page)
        page.goto(home)
    # The state's own pages are in the navigation of every page.
    page.get_by_role("button", name="Kansas", exact=True).click()
    nav = page.get_by_role("navigation", name="Primary navigation")
    nav.get_by_role("link", name="Partnership health", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Partnership health in Kansas")


def test_backbone_staff_go_from_a_line_of_the_list_to_the_work(page: Page, live_server, demo):
    sign_in(page, live_server.url, "backbone-kansas", PASSWORD)
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"reports? waits? for your review$")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reports to review")
    page.get_by_role("link", name=re.compile("^Home")).first.click()
    page.get_by_role("link", name=re.compile(r"not sent")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reporting completeness")
    # The review queue on a phone: its table of reports to approve scrolls in its own box.
    page.set_viewport_size(PHONE)
    page.go_back()
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name=re.compile("^Home")).first.click()
    page.get_by_role("link", name=re.compile(r"reports? waits? for your review$")).click()
    assert_fits(page)
    assert_accessible(page)


def test_partner_staff_open_the_month_that_is_late(page: Page, live_server, demo):
    sign_in(page, live_server.url, "partner-kansas-2", PASSWORD)
    expect(page.get_by_role("navigation", name="Primary navigation")).to_contain_text(
        re.compile(r"\d+ things? to do")
    )
    page.get_by_role("link", name=re.compile(r"is late: it was due on")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cottonwood Bend Community Health Center: ")
    assert_accessible(page)


def test_the_home_and_the_report_form_on_a_phone(page: Page, live_server, demo):
    """(The dashboard's charts on a phone: tests/test_browser_phone.py.)"""
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "partner-kansas-2", PASSWORD)
    assert_fits(page)
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"is due (today|in \d+ days?)")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cottonwood Bend Community Health Center: ")
    assert_fits(page)
    assert_accessible(page)
    # The months list: its table, wider than a phone, scrolls in a box the keyboard reaches.
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Monthly reports", exact=True).click()
    box = page.locator(".tandem-table-wrap").first
    expect(box).to_have_attribute("tabindex", "0")
    expect(box).to_have_attribute("aria-label", re.compile(".+"))
    assert_fits(page)
    assert_accessible(page)
