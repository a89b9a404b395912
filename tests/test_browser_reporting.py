"""Monthly reporting in a real browser: partner staff fill in a month with the form (the running totals
follow what they type; a breakdown that does not add up is refused with an error summary), submit it,
and backbone staff find it in their review queue and approve it. axe-core checks every page."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from core.calendar import is_locked
from demo.network import build_demo
from demo.reports import build_reports
from metrics import services
from metrics.models import MonthlyReport, ReportStatus
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "tandem-demo"

# Four enrollments, split over every breakdown; "unknown" where the partner does not know.
ENROLLMENTS = {
    "Enrollments, total": "4",
    "Enrollments, race: Black or African American": "1",
    "Enrollments, race: White": "2",
    "Enrollments, race: Unknown or not reported": "1",
    "Enrollments, ethnicity: Hispanic or Latino": "1",
    "Enrollments, ethnicity: Not Hispanic or Latino": "3",
    "Enrollments, sex: Female": "3",
    "Enrollments, sex: Male": "1",
    "Enrollments, age group: 45 to 64": "4",
    "Enrollments, payer: Medicare": "2",
    "Enrollments, payer: Private insurance": "2",
    "Enrollments, delivery mode: In person": "4",
    "Enrollments, county: Unknown or not reported": "4",
}


@pytest.fixture
def demo(built_demo) -> None:
    built_demo(build_demo, build_reports)


def test_partner_submits_a_month_and_backbone_staff_approve_it(page: Page, live_server, demo):
    base = live_server.url
    sign_in(page, base, "partner-kansas-1", PASSWORD)
    page.get_by_role("link", name=re.compile(r"^Monthly reports of .* to Kansas")).first.click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Monthly reports of ")
    organization = heading.inner_text().removeprefix("Monthly reports of ").strip()
    assert_accessible(page)

    # The most recent month that takes figures: "Fill in" if the demo left it unreported, else "Correct".
    page.locator("tbody a.usa-button", has_text=re.compile(r"^(Fill in|Correct)")).first.click()
    expect(heading).to_contain_text(f"{organization}: ")
    month = heading.inner_text().split(": ", 1)[1].strip()
    assert_accessible(page)

    # Start from an empty month whatever the demo holds, then type the figures.
    page.eval_on_selector_all(
        "input[data-measure]", "inputs => inputs.forEach(input => { input.value = ''; })"
    )
    for label, count in ENROLLMENTS.items():
        page.get_by_label(label, exact=True).fill(count)
    race = page.locator('[data-sum="race enrollments"]')
    expect(race).to_have_text("4 of 4")
    # A slip: race now adds up to 5. The running total says so at once, and the server refuses the month.
    page.get_by_label("Enrollments, race: White", exact=True).fill("3")
    expect(race).to_have_text("5 of 4: 1 too many")
    page.get_by_role("button", name="Submit the month").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("1 problem: nothing was saved")
    expect(summary).to_contain_text("Enrollments by race adds up to 5, but the total is 4")
    expect(page.get_by_label("Enrollments, race: White", exact=True)).to_have_value("3")  # kept as typed
    assert_accessible(page)
    page.get_by_label("Enrollments, race: White", exact=True).fill("2")
    expect(race).to_have_text("4 of 4")
    page.get_by_role("button", name="Submit the month").click()

    expect(page.get_by_role("status")).to_contain_text(f"{month} is submitted")
    expect(heading).to_have_text(f"{organization}: {month}")
    expect(page.locator("dd .tandem-status--submitted")).to_have_text("Submitted")
    expect(page.get_by_role("table", name="Total: everyone counted once")).to_contain_text("4")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Sign out")).click()

    sign_in(page, base, "backbone-kansas", PASSWORD)
    page.get_by_role("link", name="Reports to review").first.click()
    expect(page.get_by_role("heading", name="Reports to review", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=f"{organization}, {month}", exact=True).click()
    expect(heading).to_have_text(f"{organization}: {month}")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(r"^Approve version \d+$")).click()
    expect(page.get_by_role("status")).to_contain_text(f"Approved {organization}, {month}")
    expect(page.locator("dd .tandem-status--approved")).to_have_text("Approved")
    expect(page.get_by_role("table", name=re.compile("^Who did what"))).to_contain_text("Approved")
    assert_accessible(page)

    for path in ("reports/completeness/", "reports/"):
        response = page.goto(f"{base}/networks/kansas/{path}")
        assert response is not None and response.status == 200, path
        assert_accessible(page)
    expect(page.get_by_role("link", name=f"{organization}, {month}", exact=True)).to_be_visible()


def test_state_viewer_reads_the_reports_of_partners_sharing_with_the_state(page: Page, live_server, demo):
    base = live_server.url
    sign_in(page, base, "state-kansas", PASSWORD)
    response = page.goto(f"{base}/networks/kansas/reports/")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", name="Monthly reports", level=1)).to_be_visible()
    assert_accessible(page)
    response = page.goto(f"{base}/networks/kansas/reports/review/")
    assert response is not None and response.status == 403


def test_partner_corrects_a_returned_report_of_a_locked_month_and_resubmits_it(page: Page, live_server, demo):
    partner = get_user_model().objects.get(username="partner-kansas-1")
    backbone = get_user_model().objects.get(username="backbone-kansas")
    today = timezone.localdate()
    report = next(
        report
        for report in MonthlyReport.objects.filter(
            network__slug="kansas",
            organization__roles__user=partner,
            status__in=[ReportStatus.SUBMITTED, ReportStatus.APPROVED],
            current_version__nothing_to_report=False,
        ).order_by("month")
        if is_locked(report.network, report.month, report.reopened_until, today)
    )
    services.report_return(
        report=report,
        version=report.current_version.number,
        user=backbone,
        comment="The race split looks swapped",
    )
    organization, month = report.organization.name, f"{report.month:%B %Y}"

    base = live_server.url
    sign_in(page, base, "partner-kansas-1", PASSWORD)
    page.goto(f"{base}/networks/kansas/reports/{report.pk}/")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(f"{organization}: {month}")
    expect(page.locator(".tandem-next-actor")).to_contain_text(f"Waiting for {organization} to correct it")
    assert_accessible(page)
    page.get_by_role("link", name="Correct the month").click()
    expect(page.get_by_role("heading", name="This month takes no figures")).to_have_count(0)

    # One bad field: marked beside the input, and summed up on top.
    page.get_by_label("Enrollments, sex: Female", exact=True).fill("two")
    page.get_by_role("button", name="Submit the month").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("1 problem: nothing was saved")
    female = page.get_by_label("Enrollments, sex: Female", exact=True)
    expect(female).to_have_attribute("aria-invalid", "true")
    expect(female).to_have_attribute("aria-describedby", "id_enrollments__sex__female-error")
    expect(page.locator("#id_enrollments__sex__female-error")).to_have_text(
        "Enter a whole number, 0 or more."
    )
    assert_accessible(page)

    # The correction: totals only, every breakdown left blank (not collected), and submitted again.
    page.eval_on_selector_all(
        "input[data-measure]", "inputs => inputs.forEach(input => { input.value = ''; })"
    )
    page.get_by_label("Enrollments, total", exact=True).fill("6")
    expect(page.locator('[data-sum="race enrollments"]')).to_have_text("6 not collected: counted as unknown")
    page.get_by_role("button", name="Submit the month").click()
    expect(page.get_by_role("status")).to_contain_text(f"{month} is submitted")
    expect(page.locator("dd .tandem-status--submitted")).to_have_text("Submitted")
    expect(page.locator(".tandem-next-actor")).to_contain_text("Waiting for backbone review")
    expect(page.locator(".tandem-not-collected")).to_contain_text(
        "Race, ethnicity, sex, age group, payer, delivery mode and county not collected: counted as unknown"
    )
    assert_accessible(page)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
