"""Equity in a real browser: the state viewer of Kansas follows the home page to the state's equity page,
finds the representation ratios drawn by plotly beside their table, the small counts hidden and said to
be in words, switches the breakdown to County, and opens the coverage gaps with the county map drawn;
axe-core checks every page."""

import json
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from core.disclosure import Reason, words
from demo.eligible import build_eligible
from demo.goals import build_goals
from demo.network import ANCHOR, build_demo
from demo.reports import build_reports
from goals.selectors import period_default
from partners.models import County
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "tandem-demo"
# What a hidden cell says, in words: each reason says its own.
REASONS = re.compile("^(" + "|".join(re.escape(words(reason)) for reason in Reason) + ")$")
FEWER = words(Reason.SMALL)  # "Suppressed: fewer than 11"
SMALL_COUNT = re.compile(r"^(10|[1-9])$")


@pytest.fixture
def demo(built_demo) -> None:
    """What `manage.py load_demo` builds."""
    built_demo(build_demo, build_reports, build_goals, build_eligible)


def figure(page: Page, element_id: str) -> dict:
    """The plotly figure the server sent for the chart ``element_id``."""
    return json.loads(page.locator(f"#{element_id}-data").text_content() or "{}")


def assert_hidden_in_words(table: Locator) -> None:
    """At least one suppressed cell, which says why in words (not only by its colour); no row with a
    suppressed cell shows a count from 1 to 10 anywhere."""
    hidden = table.locator("tbody tr").filter(has=table.page.locator(".tandem-suppressed"))
    expect(hidden.first).to_be_visible()
    for cell in hidden.locator(".tandem-suppressed").all():
        expect(cell).to_have_text(REASONS)
    for row in hidden.all():
        cells = [text.strip() for text in row.locator("td").all_inner_texts()]
        assert not [text for text in cells if SMALL_COUNT.match(text)], cells


def assert_a_small_count_says_so(page: Page) -> None:
    """The quarter-by-quarter table, where each group's count is one published cell, reads "fewer than
    11" where a quarter's count is small."""
    trend = page.get_by_role("table", name=re.compile("quarter by quarter"))
    expect(trend.locator(".tandem-suppressed", has_text=FEWER).first).to_be_visible()


def test_the_state_viewer_finds_who_is_missing_in_kansas(page: Page, live_server, demo):
    sign_in(page, live_server.url, "state-kansas", PASSWORD)
    page.get_by_role("link", name="Equity in Kansas", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Equity: Kansas")
    chart = page.locator("#representation-chart")
    expect(chart.locator(".main-svg").first).to_be_visible()  # plotly drew it
    expect(chart.get_by_text("Fair share (1.0)")).to_be_visible()
    breakdown = page.get_by_role("table", name=re.compile("^Enrollments by race against the eligible"))
    expect(breakdown.locator("caption")).to_contain_text("Kansas")
    assert_accessible(page)

    # The demo's last twelve months, whatever today is.
    period = period_default(today=ANCHOR)
    page.get_by_role("textbox", name=re.compile(r"^From\b")).fill(f"{period.first:%Y-%m}")
    page.get_by_role("textbox", name=re.compile(r"^To\b")).fill(f"{period.last:%Y-%m}")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(breakdown.locator("caption")).to_contain_text(str(period))
    expect(
        page.get_by_text(re.compile("counts from 1 to 10 of partners whose figures you may not see"))
    ).to_be_visible()
    assert_hidden_in_words(breakdown)
    assert_a_small_count_says_so(page)
    # The chart draws no bar for a suppressed group, and its hover text holds no number.
    bars = figure(page, "representation-chart")["data"][0]
    hidden = [
        (x, hover)
        for label, x, hover in zip(bars["y"], bars["x"], bars["hovertext"], strict=True)
        if "(suppressed)" in label
    ]
    assert hidden and all(x is None and not re.search(r"\d", hover) for x, hover in hidden)

    page.get_by_role("combobox", name=re.compile(r"^Breakdown\b")).select_option(label="County")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_role("heading", level=2, name=re.compile("^Enrollments by county"))).to_be_visible()
    counties = page.get_by_role("table", name=re.compile("^Enrollments by county against the eligible"))
    expect(counties.get_by_role("rowheader", name="Sedgwick County")).to_be_visible()
    assert_hidden_in_words(counties)
    # 105 counties make no readable bar chart: the page says so, and points to the map.
    expect(page.locator("#representation-chart")).to_have_count(0)
    expect(page.get_by_text("groups are too many for a readable chart")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("^Coverage gaps: counties")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coverage gaps: Kansas")
    kansas = County.objects.filter(state__code="KS").count()
    # Every county drawn (shaded or grey) from the shapes Tandem serves: nothing is fetched from elsewhere.
    expect(page.locator("#county-map path.choroplethlocation")).to_have_count(kansas)
    reach = page.get_by_role("table", name=re.compile("^Counties of Kansas"))
    expect(reach.locator("caption")).to_contain_text(str(period))  # the period came along
    expect(reach.locator("tbody tr")).to_have_count(kansas)
    assert_hidden_in_words(reach)
    hovers = [text for trace in figure(page, "county-map")["data"] for text in trace["hovertext"]]
    assert [text for text in hovers if "suppressed" in text]
    assert not [text for text in hovers if "suppressed" in text and re.search(r"\d", text)]
    assert_accessible(page)


def test_partner_staff_read_why_a_network_count_is_hidden(page: Page, live_server, demo):
    """Partner staff see their network's equity page with the other partners' small counts hidden,
    each saying why in words."""
    sign_in(page, live_server.url, "partner-kansas-1", PASSWORD)
    page.goto(f"{live_server.url}/networks/kansas/equity/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Equity")
    breakdown = page.get_by_role("table", name=re.compile("^Enrollments by race against the eligible"))
    assert_hidden_in_words(breakdown)
    expect(
        breakdown.get_by_role("rowheader", name=re.compile("^All participants in the complete months"))
    ).to_be_visible()
    assert_a_small_count_says_so(page)
    assert_accessible(page)
