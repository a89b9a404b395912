"""The work plan in a real browser: backbone staff record an action item at a meeting for a partner, the
partner's staff find it on their home page, close it on the work plan, and it leaves their home.
axe-core checks every page on the way."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from core.calendar import long_date
from demo.goals import build_goals
from demo.network import build_demo
from demo.reports import build_reports
from goals.models import Action, ActionStatus
from network.models import Meeting
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "tandem-demo"
PARTNER = "Cottonwood Bend Community Health Center"  # partner-kansas-2's organization
TITLE = "Share the referral numbers of the last quarter"


@pytest.fixture
def demo(built_demo) -> None:
    built_demo(build_demo, build_reports, build_goals)


def test_an_action_item_goes_from_a_meeting_to_the_owners_home_and_is_closed(
    page: Page, browser: Browser, live_server, demo
):
    base = live_server.url
    meeting = Meeting.objects.filter(network__slug="kansas", starts_at__lt=timezone.now()).latest("starts_at")
    due = timezone.localdate() + datetime.timedelta(days=7)

    # Backbone staff open the meeting and record what was agreed there.
    sign_in(page, base, "backbone-kansas", PASSWORD)
    page.goto(f"{base}/networks/kansas/meetings/{meeting.pk}/")
    expect(page.get_by_role("heading", name="Action items")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("textbox", name=re.compile("^Action")).fill(TITLE)
    page.get_by_label(re.compile("^Owner")).select_option(label=PARTNER)
    page.get_by_label(re.compile("^Due")).fill(due.isoformat())
    page.get_by_label(re.compile("^Strategy")).select_option(
        label="Grow referrals from clinics and pharmacies"
    )
    page.get_by_role("button", name="Record the action item").click()
    expect(page.get_by_role("status")).to_contain_text(f"Recorded the action item “{TITLE}”")
    items = page.get_by_role("table", name=f"Action items recorded at {meeting.title}")
    expect(items.get_by_role("row", name=re.compile(re.escape(TITLE)))).to_contain_text(PARTNER)
    assert_accessible(page)
    action = Action.objects.get(title=TITLE)
    assert (action.meeting, action.owner_organization.name) == (meeting, PARTNER)

    # The work plan shows it under its strategy, with the plan's counts and filters.
    page.get_by_role("button", name="Kansas network").click()
    page.get_by_role("link", name="Work plan", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Work plan of")
    expect(page.locator(f"#action-{action.pk}")).to_contain_text(meeting.title)
    assert_accessible(page)

    # The partner's staff find it on their home page, a thing to do, and close it from there.
    partner_context = browser.new_context()
    partner = partner_context.new_page()
    sign_in(partner, base, "partner-kansas-2", PASSWORD)
    line = f"Action “{TITLE}” is due in 7 days ({long_date(due)})"
    item = partner.locator(".tandem-todo__item", has_text=line)
    expect(item).to_contain_text("To do")
    assert_accessible(partner)
    partner.get_by_role("link", name=line).click()
    expect(partner.get_by_role("heading", level=1)).to_contain_text("Work plan of")
    assert partner.url.endswith(f"#action-{action.pk}")
    assert_accessible(partner)
    partner.get_by_label(f"Status of {TITLE}").select_option(label="Done")
    partner.get_by_role("button", name=f"Update the status of {TITLE}").click()
    expect(partner.get_by_role("status")).to_contain_text(f"“{TITLE}” is now done")
    expect(partner.locator(f"#action-{action.pk}")).to_contain_text(f"Done on {timezone.localdate():%b} ")
    partner.get_by_role("link", name=re.compile("^Home")).first.click()
    expect(partner.get_by_role("heading", level=1)).to_contain_text("Welcome")
    expect(partner.get_by_role("link", name=line)).to_have_count(0)
    partner_context.close()
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.closed_by.username == "partner-kansas-2"
