"""People of a network in a real browser: backbone staff invite a partner's staff member by e-mail, the
invited person opens the link from the e-mail, chooses a password, is signed in and submits a monthly
report; backbone staff see them on the People page. axe-core finds no serious or critical problem on any
page of the journey, and the browser reports no breach of the Content-Security-Policy."""

import re

import pytest
from django.core import mail
from playwright.sync_api import ConsoleMessage, Page, expect

from network import services
from network.models import RoleKind
from network.tests.factories import MembershipFactory, NetworkFactory, UserFactory
from partners.tests.factories import SupplierFactory
from tests.browser import assert_accessible, choose, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a-test-password-1"  # network.tests.factories.UserFactory's
NEW_PASSWORD = "prairie sunflower 42"
VIOLATION = re.compile(
    r"Content.Security.Policy|Refused to (apply|execute|load|connect|evaluate|frame)", re.I
)


@pytest.fixture
def prairie(reference_data) -> None:
    """A small network: its backbone and a YMCA that reports monthly, with one backbone staff member."""
    network = NetworkFactory(name="Prairie Diabetes Prevention Network", slug="prairie")
    MembershipFactory(network=network, organization=network.backbone)
    MembershipFactory(
        network=network, organization=SupplierFactory(name="Prairie YMCA"), reports_monthly=True
    )
    lead = UserFactory(username="backbone", first_name="Lee", last_name="Park")
    services.role_grant(user=lead, kind=RoleKind.BACKBONE_STAFF, scope=network)


def test_an_invited_partner_chooses_a_password_and_submits_a_month(page: Page, live_server, prairie):
    base = live_server.url
    mail.outbox.clear()
    # Under the Content-Security-Policy, no page of the journey does anything the policy refuses.
    violations: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if VIOLATION.search(message.text):
            violations.append(f"{page.url}: {message.text}")

    page.on("console", listen)

    # Backbone staff invite Pat as staff of the YMCA; a slip in the address is refused first.
    sign_in(page, base, "backbone", PASSWORD)
    page.goto(f"{base}/networks/prairie/people/")
    expect(page.get_by_role("heading", name="People", level=1)).to_be_visible()
    expect(
        page.get_by_role("table", name="Current roles in Prairie Diabetes Prevention Network")
    ).to_contain_text("Lee Park")
    assert_accessible(page)
    page.get_by_role("link", name="Invite a person").click()
    page.get_by_label("E-mail address").fill("pat@ymca")
    page.get_by_label("First name").fill("Pat")
    page.get_by_label("Last name").fill("Lee")
    choose(page, "Partner staff")
    page.get_by_label("Partner", exact=True).select_option(label="Prairie YMCA")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".usa-alert")).to_contain_text("Nobody was invited")
    # The message is beside the field it is about, and the rest of the form is kept as typed.
    email_group = page.locator(".usa-form-group--error", has=page.get_by_label("E-mail address"))
    expect(email_group.get_by_role("alert")).to_have_text("Enter a valid email address.")
    expect(page.get_by_label("Partner", exact=True)).to_have_value(re.compile(r"\d+"))
    assert_accessible(page)
    page.get_by_label("E-mail address").fill("pat@ymca.example.org")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invited pat@ymca.example.org as partner staff")
    expect(page.get_by_role("table", name="Invitations not yet accepted")).to_contain_text(
        "pat@ymca.example.org"
    )
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Sign out")).click()

    # Pat opens the link from the e-mail (the live server sends in this process) and chooses a password.
    [message] = [m for m in mail.outbox if m.to == ["pat@ymca.example.org"]]
    link = re.search(r"http://\S+/invitations/\S+/", message.body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Join Prairie Diabetes Prevention Network in Tandem"
    )
    assert_accessible(page)
    page.get_by_label(re.compile(r"^New password\W*$")).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Choose the password and sign in").click()
    expect(page.get_by_role("status")).to_contain_text("you are now partner staff of Prairie YMCA")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    assert_accessible(page)

    # Signed in as Pat, with the role: the YMCA's monthly reports, and a month submitted by the form.
    page.get_by_role("link", name=re.compile(r"^Monthly reports of Prairie YMCA")).first.click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Monthly reports of Prairie YMCA")
    page.locator("tbody a.usa-button", has_text=re.compile(r"^Fill in")).first.click()
    expect(heading).to_contain_text("Prairie YMCA: ")
    month = heading.inner_text().split(": ", 1)[1].strip()
    page.get_by_label("Enrollments, total", exact=True).fill("0")
    page.get_by_role("button", name="Submit the month").click()
    expect(page.get_by_role("status")).to_contain_text(f"{month} is submitted")
    assert_accessible(page)

    # The link worked once.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This invitation was already accepted")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Sign out")).click()

    # Backbone staff now see Pat among the people of the network, no longer invited.
    sign_in(page, base, "backbone", PASSWORD)
    page.goto(f"{base}/networks/prairie/people/")
    roles = page.get_by_role("table", name="Current roles in Prairie Diabetes Prevention Network")
    expect(roles.get_by_role("row", name=re.compile("Pat Lee"))).to_contain_text("Prairie YMCA")
    expect(page.get_by_role("table", name="Invitations not yet accepted")).to_contain_text("No invitations")
    assert not violations
