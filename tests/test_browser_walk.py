"""Signed out, a visitor prints the Kansas demo network's public scorecard: the paper shows the tables
and charts but none of the downloads, not even the "or" between a table's two, and on a phone's width
the page does not scroll sideways."""

import pytest
from playwright.sync_api import Page, expect

from demo.goals import build_goals
from demo.network import build_demo
from demo.reports import build_reports
from demo.scorecard import build_scorecard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_printed_scorecard_has_no_downloads_and_a_phone_no_sideways_scroll(
    page: Page, live_server, built_demo
):
    built_demo(build_demo, build_reports, build_goals)  # the snapshot the other browser tests share
    build_scorecard()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/public/kansas/")
    downloads = page.locator(".tandem-downloads")
    expect(downloads.first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.emulate_media(media="print")
    assert downloads.count() > 0
    for index in range(downloads.count()):
        expect(downloads.nth(index)).to_be_hidden()
    expect(page.get_by_role("table").first).to_be_visible()
    printed = page.locator("main").inner_text()
    assert "Download" not in printed and "\nor\n" not in f"\n{printed}\n"
