"""Signed out, a visitor opens the Kansas demo network's public scorecard in Chromium: it shows no count
the public may not see. Which counts those are is worked out here with the publication layer, for the
viewer who knows no partner (`network.selectors.Viewer()`) and for those who know some (a partner's staff,
the state's viewers), who may read the public page too, and checked where each would stand on the
page (the month's row of the table and its point on the chart, the goal's count so far), together with
each monthly count of the partners that chose neither to be named nor to share with the state. axe-core
checks the page."""

import datetime
import json
import re

import pytest
from django.db.models import Sum
from django.utils import timezone
from playwright.sync_api import Page, expect

from core.calendar import month_add, month_name, quarter_label
from demo.goals import build_goals
from demo.network import build_demo
from demo.outcomes import build_outcomes
from demo.reports import build_reports
from demo.scorecard import build_scorecard
from goals import selectors as goal_selectors
from metrics.catalogue import TOTAL_BREAKDOWN
from metrics.models import CohortCount, Measure, PartnerFigure, RollupNetworkMonth
from metrics.outcome_selectors import finished
from metrics.outcomes import EVALUATED, MET_OUTCOME, STARTED, retained_code
from network.models import DataSharing, Membership, Network
from network.selectors import Viewer
from scorecard.board import TREND_MONTHS, public_board
from scorecard.tests.expected import public_months, public_outcome_cells
from tests.browser import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "tandem-demo"
COTTONWOOD = "Cottonwood Bend Community Health Center"  # partner-kansas-2's, not named in the demo


def counts_of(rows) -> dict[datetime.date, int]:
    return {
        row["month"]: row["n"]
        for row in rows.filter(breakdown__code=TOTAL_BREAKDOWN).values("month").annotate(n=Sum("count"))
    }


def cell_number(text: str) -> int | None:
    found = text.strip().replace(",", "")
    return int(found) if found.isdigit() else None


def test_signed_out_the_scorecard_shows_no_count_the_public_may_not_see(page: Page, live_server, built_demo):
    # The snapshot of the first three steps is shared with the other browser tests; the scorecard on it.
    built_demo(build_demo, build_reports, build_goals)
    build_outcomes()  # two Kansas suppliers share their outcomes, one does not
    build_scorecard()
    network = Network.objects.get(slug="kansas")
    today = timezone.localdate()
    measure = Measure.objects.get(code="enrollments")
    period = goal_selectors.period_default(today=today, months=TREND_MONTHS)

    # What the publication layer publishes to the public, and what it hides: from the public itself, or
    # from a partner's staff or the state's viewers, who read the public page too.
    public, from_others = public_months(network, today)
    actual = counts_of(RollupNetworkMonth.objects.filter(network=network, measure=measure))
    hidden = {
        month: actual[month]
        for month in period.months
        if month in public and (public[month].hidden or month in from_others)
    }
    shown = {month: public[month].value for month in period.months if month in public and month not in hidden}
    assert hidden and shown  # the demo has both, or the test would prove nothing
    # The partners that chose neither to be named nor to share with the state: their own counts.
    private = Membership.objects.current().filter(
        network=network, named_publicly=False, data_sharing=DataSharing.BACKBONE_ONLY
    )
    own = {
        membership.organization.name: counts_of(
            PartnerFigure.objects.filter(
                network=network, organization=membership.organization, measure=measure
            )
        )
        for membership in private.select_related("organization")
    }
    assert any(own.values())

    # The figures built before the first visit, as a visit after the first of the day finds them: the
    # state's outcome cells, solved with its networks', take longer than the browser waits for a page.
    public_board(network=network, today=today)
    page.goto(f"{live_server.url}/public/kansas/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(network.name)
    expect(page.get_by_role("button", name=re.compile("Sign out"))).to_have_count(0)
    assert_accessible(page)
    text = page.locator("main").inner_text()
    for name in own:
        assert name not in text

    # The table: each month's row shows the published count, or says why not; a hidden month's row
    # holds neither its count nor any private partner's own count of that month.
    table = page.locator("table", has=page.locator("caption", has_text=f"{measure.name} a month in the"))
    rows = {}
    for row in table.locator("tbody tr").all():
        rows[row.locator("th").inner_text().strip()] = row.locator("td").first.inner_text()
    for month in period.months:
        said = rows[month_name(month)]
        number = cell_number(said)
        if month in hidden:
            assert number is None and re.match("Suppressed|Provisional", said), (month, said)
        elif month in shown:
            assert number == shown[month], (month, said)
        for counts in own.values():
            if month in counts and counts[month] != shown.get(month):
                assert number != counts[month], (month, said)

    # The chart: no point where the count is hidden.
    figure = json.loads(page.locator("#trend-chart-data").text_content())
    line = next(trace for trace in figure["data"] if trace["name"] == network.name)
    for x, y in zip(line["x"], line["y"], strict=True):
        month = datetime.date.fromisoformat(x[:10])
        assert (y is None) if month in hidden else (y == shown.get(month)), (month, y)

    # The goals: the count so far, shown only where the public may see it.
    standings = goal_selectors.goal_standings_for(
        goals=[s.goal for s in page_standings(network, today)], today=today, viewer=Viewer()
    )
    # A goal's count so far is shown only where each month it counts is shown (on top of its own rule).
    goals_table = page.locator(
        "table", has=page.locator("caption", has_text="Progress toward the shared goals")
    )
    columns = [cell.inner_text().strip() for cell in goals_table.locator("thead th").all()]
    for standing in standings:
        row = goals_table.locator("tbody tr", has=page.locator("th", has_text=standing.goal.name))
        so_far = row.locator("th, td").nth(columns.index("So far")).inner_text()
        counted = [
            m for m in hidden if standing.counted_to and standing.goal.starts_on <= m <= standing.counted_to
        ]
        by_month = standing.goal.population_id is None  # a population's goal counts by whole quarter
        if "actual" in standing.hidden or (by_month and counted):
            assert so_far.startswith("Suppressed"), (standing.goal.name, so_far)
        elif by_month:
            assert cell_number(so_far) == standing.progress.actual, (standing.goal.name, so_far)
        else:
            assert so_far.startswith("Suppressed") or cell_number(so_far) == standing.progress.actual

    # What happens after people enroll: each quarter's count shown where the public and every partner
    # sharing its outcomes and the state's viewers are shown it; else neither it nor the network's
    # actual count, nor a share made from it.
    for path in ("/public/kansas/", "/public/kansas/embed/"):
        page.goto(f"{live_server.url}{path}")
        outcomes_shown(page, network, today)

    # The embeddable variant: the same page without the site's header and footer, as accessible.
    page.goto(f"{live_server.url}/public/kansas/embed/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(network.name)
    expect(page.get_by_role("contentinfo")).to_have_count(0)
    assert_accessible(page)


# The outcome table's count columns, by the measure each shows, and the share beside each.
OUTCOME_COLUMNS = {
    STARTED.code: ("Started", None),
    retained_code(6): ("Still in the program in month 6", "Still in the program in month 6 (%)"),
    retained_code(12): ("Still in the program in month 12", "Still in the program in month 12 (%)"),
    EVALUATED.code: ("Evaluated", None),
    MET_OUTCOME.code: ("Met the outcome", "Met the outcome (% of evaluated)"),
}


def outcomes_shown(page: Page, network: Network, today: datetime.date) -> None:
    section = page.get_by_role("region", name="What happens after people enroll")
    expect(section).to_contain_text("2 partners share their program outcomes")
    public, from_others = public_outcome_cells(network, today)
    quarters = finished(public)[-4:]
    assert quarters
    sharing = Membership.objects.filter(network=network, outcomes_shared=True).values("organization_id")
    actual = {
        (quarter, code): sum(
            CohortCount.objects.filter(
                organization_id__in=sharing,
                cohort_month__gte=quarter,
                cohort_month__lt=month_add(quarter, 3),
                category__breakdown__code=TOTAL_BREAKDOWN,
                measure=code,
            ).values_list("count", flat=True)
        )
        for quarter in quarters
        for code in OUTCOME_COLUMNS
    }
    table = section.locator(
        "table", has=page.locator("caption", has_text="by quarter of their first session")
    )
    columns = [cell.inner_text().strip() for cell in table.locator("thead th").all()]
    seen_hidden = False
    for quarter in quarters:
        row = table.locator("tbody tr", has=page.locator("th", has_text=quarter_label(quarter)))
        cells = [cell.inner_text().strip() for cell in row.locator("th, td").all()]
        for code, (column, share_column) in OUTCOME_COLUMNS.items():
            said = cells[columns.index(column)]
            key = (quarter, code, None)
            if public.figure(*key).hidden or key in from_others:
                seen_hidden = True
                assert said.startswith("Suppressed"), (quarter, code, said)
                assert cell_number(said) != actual[quarter, code]
                if share_column:
                    assert cells[columns.index(share_column)].startswith("Suppressed"), (quarter, code)
            else:
                assert cell_number(said) == public.figure(*key).value == actual[quarter, code], (
                    quarter,
                    code,
                )
    assert seen_hidden  # at the demo's size some are: the check above proves something


def page_standings(network: Network, today: datetime.date) -> list[goal_selectors.GoalStanding]:
    running = goal_selectors.goals_running(network=network, today=today)
    goals = running.live or ([running.last_ended] if running.last_ended else [])
    return goal_selectors.goal_standings(goals=goals, today=today)


def test_a_partner_chooses_to_be_named_and_the_backbone_switches_the_scorecard_on(
    page: Page, live_server, built_demo
):
    built_demo(build_demo, build_reports, build_goals)
    base = live_server.url
    network = Network.objects.get(slug="kansas")
    membership = Membership.objects.current().get(network=network, organization__name=COTTONWOOD)

    # The partner's staff name their organization on the scorecard, on their own organization's page.
    sign_in(page, base, "partner-kansas-2", PASSWORD)
    page.goto(f"{base}/organizations/{membership.organization_id}/")
    form = page.locator("form", has=page.get_by_role("group", name=network.name))
    expect(
        form.get_by_label("Share our program outcomes (retention and outcomes from our DPRP files)")
    ).not_to_be_checked()
    form.locator("label", has_text="Name us on the network's public scorecard").click()
    assert_accessible(page)
    form.get_by_role("button", name=re.compile("^Save the choices")).click()
    expect(page.get_by_role("status")).to_contain_text("its public scorecard names you")
    expect(page.get_by_role("table", name=re.compile("name on the public scorecard"))).to_contain_text(
        "Switched on"
    )
    page.get_by_role("button", name=re.compile("^Sign out")).click()

    # The backbone staff find the scorecard in the navigation, read what the public will see, switch it on.
    assert page.goto(f"{base}/public/kansas/").status == 404
    sign_in(page, base, "backbone-kansas", PASSWORD)
    page.goto(f"{base}/networks/kansas/")
    page.get_by_role("button", name="Reports", exact=True).click()
    page.get_by_role("link", name="Public scorecard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Public scorecard")
    expect(page.get_by_role("region", name="What the public will see once it is on")).to_contain_text(
        COTTONWOOD
    )
    assert_accessible(page)
    page.get_by_role("textbox", name="The curve").fill("Enrollment is rising.")
    page.get_by_role("button", name="Save the story").click()
    expect(page.get_by_role("status")).to_contain_text("not on the public web")
    page.get_by_role("button", name="Switch the scorecard on").click()
    expect(page.get_by_role("status")).to_contain_text("is on the public web")
    page.get_by_role("button", name=re.compile("^Sign out")).click()

    page.goto(f"{base}/public/kansas/")
    expect(page.get_by_text("Enrollment is rising.")).to_be_visible()
    expect(page.get_by_role("region", name="Partners").get_by_role("list")).to_contain_text(COTTONWOOD)
