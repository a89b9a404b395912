"""A self-assessment round in a real browser: the backbone opens a phase check, a partner answers by the
link e-mailed to it (without signing in), and the backbone sees the result; axe-core finds no serious or
critical accessibility problem on the answer form or the results page."""

import datetime
import re

import pytest
from django.apps import apps
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from network import services
from network.models import AssessmentInvitation, Instrument, Network, RoleKind
from network.partnership import assessments, instruments
from network.tests.factories import MembershipFactory, NetworkFactory, UserFactory
from partners import reference
from partners.models import Sector
from partners.tests.factories import ContactFactory, OrganizationFactory, SupplierFactory
from tests.browser import assert_accessible, choose, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a-test-password-1"  # network.tests.factories.UserFactory's


@pytest.fixture
def prairie(reference_data) -> None:
    """A small network: the backbone, a YMCA, a health plan and an employer group, each with a contact."""
    # A transactional test before this one flushed the lists that migrations load; put them back.
    reference.load(apps.get_model)
    instruments.load(apps.get_model)
    network = NetworkFactory(name="Prairie Diabetes Prevention Network", slug="prairie")
    MembershipFactory(network=network, organization=network.backbone)
    ContactFactory(organization=network.backbone, email="lead@backbone.example.org", is_primary=True)
    ymca = SupplierFactory(name="Prairie YMCA")
    plan = OrganizationFactory(name="Sunflower Health Plan", sector=Sector.PAYER)
    employers = OrganizationFactory(name="Wichita Employers", sector=Sector.EMPLOYER)
    for organization, email in [
        (ymca, "pat@ymca.example.org"),
        (plan, "care@plan.example.org"),
        (employers, "hr@employers.example.org"),
    ]:
        MembershipFactory(network=network, organization=organization)
        ContactFactory(organization=organization, email=email, is_primary=True)
    services.role_grant(user=UserFactory(username="backbone"), kind=RoleKind.BACKBONE_STAFF, scope=network)


def test_a_phase_check_round_from_opening_to_results(page: Page, browser: Browser, live_server, prairie):
    base = live_server.url
    mail.outbox.clear()

    # The backbone opens a round.
    sign_in(page, base, "backbone", PASSWORD)
    page.goto(f"{base}/networks/prairie/assessments/")
    expect(page.get_by_role("heading", name="Self-assessments", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Open a round").click()
    assert_accessible(page)
    choose(page, "Partnership phase check")
    page.get_by_label("Title").fill("Phase check, spring")
    closes_on = timezone.localdate() + datetime.timedelta(days=21)
    page.get_by_label("Last day to answer").fill(closes_on.isoformat())
    page.get_by_role("button", name="Open the round and e-mail partners").click()
    expect(page.get_by_role("status")).to_contain_text("Invitations are on their way to 4 partners")
    expect(page.get_by_role("heading", name="Phase check, spring", level=1)).to_be_visible()
    assert_accessible(page)

    # The partner's contact got the link by e-mail (the live server sends in this process).
    message = next(m for m in mail.outbox if m.to == ["pat@ymca.example.org"])
    link = re.search(r"https?://\S+/assessments/\S+/", message.body).group(0)
    assert link.startswith(base)

    # The partner answers without signing in, in a browser of its own.
    partner_context = browser.new_context()
    partner = partner_context.new_page()
    partner.goto(link)
    expect(partner.get_by_role("heading", name="Phase check, spring", level=1)).to_be_visible()
    expect(partner.get_by_text("Prairie YMCA").first).to_be_visible()
    assert_accessible(partner)
    # Sending an incomplete form lists what is missing, at the top and by each question.
    choose(partner.get_by_role("group", name=re.compile("^Shared vision")), "4: Mostly")
    partner.get_by_role("button", name="Send the answers").click()
    expect(partner.get_by_role("heading", name="6 answers need attention")).to_be_visible()
    expect(partner.get_by_role("link", name="Choose a score for “Financing”.")).to_be_visible()
    assert_accessible(partner)
    for name, score in [
        ("Shared vision", "4: Mostly"),
        ("Leadership", "3: Partly"),
        ("Financing", "2: A little"),
        ("Engagement", "4: Mostly"),
        ("Data", "5: Fully"),
        ("Learning", "3: Partly"),
    ]:
        choose(partner.get_by_role("group", name=re.compile(f"^{name}")), score)
    choose(partner, "Middle phase")
    partner.get_by_role("button", name="Send the answers").click()
    expect(partner.get_by_role("status")).to_contain_text("Thank you")
    partner_context.close()
    invitation = AssessmentInvitation.objects.get(organization__name="Prairie YMCA")
    assert invitation.submitted_at is not None and invitation.phase == "middle"

    # The backbone sees who answered, and the result.
    page.reload()
    expect(page.get_by_role("row", name=re.compile("Prairie YMCA"))).to_contain_text("Answered")
    page.get_by_role("link", name="Results", exact=True).click()
    expect(page.get_by_role("heading", name="Results of Phase check, spring")).to_be_visible()
    expect(page.locator(".tandem-stat", has_text="1 of 4")).to_be_visible()
    expect(page.locator(".tandem-stat", has_text="25%")).to_be_visible()
    items = page.get_by_role("table", name="Scores per item in Phase check, spring")
    expect(items.get_by_role("row", name=re.compile("^Data"))).to_contain_text("5.0")
    phases = page.get_by_role("table", name="The phase partners place the network in")
    expect(phases.get_by_role("row", name=re.compile("Middle phase"))).to_contain_text("1")
    expect(page.locator("#items-chart .main-svg").first).to_be_attached()  # plotly drew the chart
    assert_accessible(page)
    page.get_by_role("link", name="Answers by organization").click()
    expect(page.get_by_role("row", name=re.compile("Prairie YMCA"))).to_contain_text("Middle phase")
    assert_accessible(page)


def test_a_partner_answers_the_relationship_survey(page: Page, live_server, prairie):
    """The longest form: a row of choices per partner, errors in words, and the backbone's ratings."""
    base = live_server.url
    network = Network.objects.get(slug="prairie")
    assessment_round = assessments.assessment_round_open(
        network=network,
        instrument=Instrument.objects.get(code="relationship-survey"),
        title="Who works with whom, 2025",
        closes_on=timezone.localdate() + datetime.timedelta(days=14),
        base_url=base,
    )
    token = assessment_round.invitations.get(organization__name="Sunflower Health Plan").token

    page.goto(f"{base}/assessments/{token}/")
    expect(page.get_by_role("heading", name="Who works with whom, 2025", level=1)).to_be_visible()
    ymca = page.get_by_role("group", name="Prairie YMCA")
    ymca.get_by_label("How closely do you work with Prairie YMCA?").select_option("coordination")
    ymca.get_by_label("This partner follows through on its commitments.").select_option("4")
    page.get_by_role("button", name="Send the answers").click()
    expect(page.get_by_role("heading", name="5 answers need attention")).to_be_visible()
    expect(
        page.get_by_role("link", name=re.compile("^Rate Prairie YMCA on “This partner is open"))
    ).to_be_visible()
    assert_accessible(page)

    ymca = page.get_by_role("group", name=re.compile("^Prairie YMCA"))
    for statement, score in [
        ("This partner shares the network's mission and goals.", "4"),
        ("This partner is open to discussion and to other points of view.", "3"),
        ("This partner has power and influence that helps the network.", "2"),
        ("This partner contributes resources: staff, money, data, space or referrals.", "3"),
        ("This partner is actively involved in the network's work.", "4"),
    ]:
        ymca.get_by_label(statement).select_option(score)
    page.get_by_role("button", name="Send the answers").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you")
    assert_accessible(page)

    sign_in(page, base, "backbone", PASSWORD)
    page.goto(f"{base}/networks/prairie/assessments/{assessment_round.pk}/results/by-organization/")
    ratings = page.get_by_role("table", name="How the other partners rate each organization")
    # Trust (4 + 4 + 3) / 3 = 3.67, value (2 + 3 + 4) / 3 = 3.0, named by one partner.
    expect(ratings.get_by_role("row", name=re.compile("^Prairie YMCA"))).to_have_text(
        re.compile(r"Prairie YMCA\s*1\s*3\.67\s*3\.0")
    )
    assert_accessible(page)
    page.goto(f"{base}/networks/prairie/assessments/{assessment_round.pk}/results/")
    closeness = page.get_by_role("table", name="How closely partners say they work together")
    expect(closeness.get_by_role("row", name=re.compile("^Coordination"))).to_have_text(
        re.compile(r"Coordination\s*1")
    )
    assert_accessible(page)
