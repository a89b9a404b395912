"""Reviewing in a real browser: backbone staff open the review queue (its "select every report" box
works from its own script, under the Content-Security-Policy), open the longest-waiting report, read
it against the partner's recent months, and use "Approve and next" twice: to the next report waiting,
then back to the queue, empty. axe-core checks every page."""

import re

import pytest
from playwright.sync_api import Page, expect

from demo.network import build_demo
from demo.reports import build_reports
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "tandem-demo"


@pytest.fixture
def demo(built_demo) -> None:
    built_demo(build_demo, build_reports)


def test_backbone_staff_approve_and_go_to_the_next_report_twice(page: Page, live_server, demo):
    base = live_server.url
    sign_in(page, base, "backbone-kansas", PASSWORD)
    page.get_by_role("link", name="Reports to review").first.click()
    expect(page.get_by_role("heading", name="Reports to review", level=1)).to_be_visible()
    waiting = page.get_by_role("table", name=re.compile(r"submitted reports? waiting for review$"))
    names = [link.inner_text() for link in waiting.locator("tbody th a").all()]
    assert len(names) == 2, names  # the demo leaves two Kansas reports waiting
    assert_accessible(page)

    # Select every report, clear one (the box then says some are selected), select every one again,
    # and clear them all. Nothing is sent.
    every = page.get_by_label("Select every report waiting for review")
    boxes = [page.get_by_label(f"Select {name}", exact=True) for name in names]
    every.check()
    for box in boxes:
        expect(box).to_be_checked()
    boxes[0].uncheck()
    assert every.evaluate("box => box.indeterminate && !box.checked") is True
    every.check()
    expect(boxes[0]).to_be_checked()
    every.uncheck()
    for box in boxes:
        expect(box).not_to_be_checked()

    heading = page.get_by_role("heading", level=1)
    page.get_by_role("link", name=names[0], exact=True).click()
    expect(heading).to_have_text(names[0].replace(", ", ": ", 1))
    expect(page.get_by_role("heading", name="Against recent months and the network")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile(r"this report beside")).first).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Approve and next").click()
    expect(page.get_by_role("status")).to_contain_text(f"Approved {names[0]}")
    expect(heading).to_have_text(names[1].replace(", ", ": ", 1))
    assert_accessible(page)

    page.get_by_role("button", name="Approve and next").click()
    expect(page.get_by_role("status")).to_contain_text(f"Approved {names[1]}")
    expect(page.get_by_role("status")).to_contain_text("No other report is waiting for review.")
    expect(page.get_by_role("heading", name="Reports to review", level=1)).to_be_visible()
    expect(page.get_by_text("No report is waiting for review.")).to_be_visible()
    assert_accessible(page)
