"""Under the Content-Security-Policy in a real browser: the pages with plotly charts (a dashboard, the
equity page and its county map, partnership health), the API tokens page, the API docs (Swagger UI) and
the Django admin draw and run with no violation reported in Chromium's console."""

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from demo.eligible import build_eligible
from demo.goals import build_goals
from demo.network import build_demo
from demo.reports import build_reports
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "tandem-demo"
VIOLATION = re.compile(
    r"Content.Security.Policy|Refused to (apply|execute|load|connect|evaluate|frame)", re.I
)


@pytest.fixture
def demo(built_demo) -> None:
    built_demo(build_demo, build_reports, build_goals, build_eligible)


@pytest.fixture
def violations(page: Page) -> list[str]:
    """What the console says about the policy, and any violation event a page raises."""
    found: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if VIOLATION.search(message.text):
            found.append(f"{page.url}: {message.text}")

    page.on("console", listen)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content-Security-Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI"
        " + ' ' + e.sourceFile + ':' + e.lineNumber))"
    )
    return found


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, url
    assert "content-security-policy" in response.headers
    page.wait_for_load_state("networkidle")


def assert_charts_drawn(page: Page) -> None:
    charts = page.locator(".tandem-chart")
    expect(charts.first).to_be_visible()
    for index in range(charts.count()):
        expect(charts.nth(index).locator("svg.main-svg").first).to_be_attached()


def test_pages_run_under_the_policy(page: Page, live_server, demo, violations):
    base = live_server.url
    visit(page, f"{base}/accounts/login/")
    sign_in(page, base, "backbone-kansas", PASSWORD)
    for path in (
        "/networks/kansas/dashboard/",
        "/networks/kansas/equity/",
        "/networks/kansas/equity/coverage/",
        "/networks/kansas/",
    ):
        visit(page, base + path)
        assert_charts_drawn(page)
        # Plotly's hover labels and mode bar: its styles, applied.
        page.locator(".tandem-chart").first.hover()
    # The API tokens page, from the menu: make a token, see it once, in a page axe-core finds sound.
    page.get_by_role("button", name="API", exact=True).click()
    page.get_by_role("link", name="Your API tokens").click()
    page.get_by_label("What will use it").fill("nightly upload")
    page.get_by_role("button", name="Make a token").click()
    expect(page.get_by_role("heading", name="Your new token")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("nightly upload")
    assert_accessible(page)
    visit(page, f"{base}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Tandem API")
    page.locator(".opblock-summary").first.click()  # Swagger UI expands an endpoint
    expect(page.locator(".opblock-body").first).to_be_visible()

    # The Django admin (one test: the demo takes minutes to build).
    page.context.clear_cookies()
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    for path in ("/admin/network/network/", "/admin/network/network/add/", "/admin/auth/user/"):
        visit(page, base + path)
    assert not violations, "\n".join(violations)
