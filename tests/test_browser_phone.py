"""On a phone (390 px wide) in a real browser: the backbone's dashboard charts fit the screen (names
and axis titles inside the chart, no toolbar, the legend below the plot) and axe-core finds nothing
serious; the network map's search works from the keyboard."""

import re

import pytest
from playwright.sync_api import Page, expect

from demo.goals import build_goals
from demo.network import build_demo
from demo.reports import build_reports
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "tandem-demo"
PHONE = {"width": 390, "height": 844}

# Each chart's box, its plot area, legend, axis titles and tick labels, as the browser laid them out.
CHART_BOXES = """
element => {
  const box = node => {
    const r = node.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  };
  const all = selector => Array.from(element.querySelectorAll(selector)).map(box);
  return {
    layout: element.getAttribute("data-layout"),
    chart: box(element),
    plots: all(".draglayer .nsewdrag, .geolayer .geo"),
    legend: all(".legend .bg"),
    titles: all(".g-xtitle text, .g-ytitle text, .annotation-text"),
    ticks: all(".xtick text, .ytick text"),
    modebar: element.querySelectorAll(".modebar-btn").length,
  };
}
"""


@pytest.fixture
def demo(built_demo) -> None:
    built_demo(build_demo, build_reports, build_goals)


def inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (
        inner["left"] >= outer["left"] - slack
        and inner["right"] <= outer["right"] + slack
        and inner["top"] >= outer["top"] - slack
        and inner["bottom"] <= outer["bottom"] + slack
    )


def test_backbone_dashboard_charts_fit_a_phone(page: Page, live_server, demo):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "backbone-kansas", PASSWORD)
    page.goto(f"{live_server.url}/networks/kansas/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard of the Kansas")
    charts = page.locator(".tandem-chart")
    expect(charts.first.locator("g.trace").first).to_be_attached()
    assert charts.count() >= 3
    for index in range(charts.count()):
        expect(charts.nth(index).locator("g.trace").first).to_be_attached()
        laid = charts.nth(index).evaluate(CHART_BOXES)
        assert laid["layout"] == "narrow" and laid["modebar"] == 0
        assert laid["chart"]["right"] <= PHONE["width"]
        for text in laid["titles"] + laid["ticks"]:
            assert inside(text, laid["chart"]), (index, text, laid["chart"])
        plot_bottom = max(plot["bottom"] for plot in laid["plots"])
        for legend in laid["legend"]:
            assert legend["top"] >= plot_bottom, (index, legend, plot_bottom)
            assert inside(legend, laid["chart"])
    # Nothing runs off the side of the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)


def test_map_search_finds_a_partner_and_its_connections_from_the_keyboard(page: Page, live_server, demo):
    sign_in(page, live_server.url, "backbone-kansas", PASSWORD)
    page.goto(f"{live_server.url}/networks/kansas/map/")
    chart = page.locator("#network-map")
    expect(chart.locator("g.trace").first).to_be_attached()
    # Names beside the dots.
    expect(chart.locator(".textpoint", has_text="Bluestem Health Plan")).to_be_attached()
    search = page.get_by_label("Find an organization on the map")  # a combobox: it suggests names
    search.focus()
    page.keyboard.type("bluestem")
    result = page.get_by_role("status")
    expect(result).to_have_text(
        re.compile(r"^Bluestem Health Plan \(Payer \(insurer\)\): \d+ connections?, with ")
    )
    expect(chart).to_have_attribute("data-found", re.compile(r"^\d+$"))
    expect(chart.locator(".scatterlayer .trace").last.locator(".point")).to_have_count(1)  # its ring
    page.keyboard.type("zzz")
    expect(result).to_have_text("No organization on the map matches “bluestemzzz”.")
    page.keyboard.press("Escape")
    expect(result).to_have_text("")
    expect(chart).to_have_attribute("data-found", "")
    assert_accessible(page)
