"""The backbone's scorecard page against the role matrix, switching it on and off, the public page
(404 while off, 200 signed out while on), its embeddable variant's headers, and its figures: published
for the public, as the publication layer publishes them to a viewer who knows no partner."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.figures import Suppressed
from equity import boards as equity_boards
from goals import figures as goal_figures
from goals.tests.test_views import html_tables
from network.models import Membership
from network.tests.factories import MembershipFactory
from partners.models import Organization
from partners.tests.factories import SupplierFactory
from scorecard import board
from scorecard.models import Scorecard
from scorecard.tests.conftest import FLINT, NETWORK, PRAIRIE
from scorecard.tests.expected import public_months

pytestmark = pytest.mark.django_db


def edit_url() -> str:
    return reverse("scorecard:edit", args=["kansas"])


def public_url(slug: str = "kansas") -> str:
    return reverse("scorecard:public", args=[slug])


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("backbone", 200),
        ("admin", 200),
        ("partner", 403),
        ("state_viewer", 403),
        ("other_backbone", 404),
        ("other_partner", 404),
        ("outsider", 404),
    ],
)
def test_the_scorecard_page_is_the_backbone_staffs(world, client_for, who, status):
    client = client_for(getattr(world, who))
    assert client.get(edit_url()).status_code == status
    assert client.get(reverse("scorecard:preview", args=["kansas"])).status_code == status
    assert client.post(reverse("scorecard:publish", args=["kansas"])).status_code in (
        {302} if status == 200 else {status}
    )
    assert Scorecard.objects.filter(published=True).exists() is (status == 200)


def test_signed_out_the_backbone_page_asks_to_sign_in(world):
    response = Client().get(edit_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_backbone_writes_the_story_and_switches_it_on_and_off(world, client_for):
    client = client_for(world.backbone)
    page = client.get(edit_url())
    assert "What the public will see once it is on" in page.content.decode()
    response = client.post(
        edit_url(),
        {
            "headline": "Rising",
            "what_works": "Clinics refer.",
            "partners_with_a_role": "",
            "what_we_will_do": "",
        },
    )
    assert response.status_code == 302
    assert Scorecard.objects.get().what_works == "Clinics refer."
    assert Client().get(public_url()).status_code == 404  # saved, still off
    client.post(reverse("scorecard:publish", args=["kansas"]))
    assert Client().get(public_url()).status_code == 200
    Scorecard.objects.update(published_at=timezone.now().replace(hour=14))  # a time written "p.m."
    on = client.get(edit_url()).content.decode()
    assert "On the public web: yes" in on and "(on the public web since " in on
    assert ".." not in re.sub(r"<[^>]+>", "", on)  # "2:12 p.m." ends no sentence with a second period
    client.post(reverse("scorecard:unpublish", args=["kansas"]))
    assert Client().get(public_url()).status_code == 404


def test_a_story_too_long_is_said_beside_its_field(world, client_for):
    response = client_for(world.backbone).post(
        edit_url(),
        {"headline": "x" * 201, "what_works": "", "partners_with_a_role": "", "what_we_will_do": ""},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["headline"]


def test_the_public_page_is_not_found_unless_switched_on(world):
    assert Client().get(public_url()).status_code == 404
    assert Client().get(public_url("no-such-network")).status_code == 404
    Scorecard.objects.create(network=world.network, published=False, headline="Draft")
    assert Client().get(public_url()).status_code == 404
    assert Client().get(reverse("scorecard:embed", args=["kansas"])).status_code == 404


def test_the_preview_shows_a_scorecard_that_is_off(world, client_for):
    response = client_for(world.backbone).get(reverse("scorecard:preview", args=["kansas"]))
    assert response.status_code == 200
    assert "not on the public web" in response.content.decode()


def test_signed_out_anyone_reads_it_while_it_is_on(world, reported, published):
    response = Client().get(public_url())
    assert response.status_code == 200
    text = response.content.decode()
    assert "Enrollment is rising." in text
    assert "<p>Referrals from clinics.</p>\n\n<p>Evening classes.</p>" in text
    assert "Sign out" not in text and "csrfmiddlewaretoken" not in text
    assert "public" in response["Cache-Control"]
    # Not in another site's frame: only the embeddable variant is.
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_embeddable_variant_may_be_framed_and_has_no_site_chrome(world, reported, published):
    response = Client().get(reverse("scorecard:embed", args=["kansas"]))
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "'none'" not in policy.split("frame-ancestors")[1].split(";")[0]
    text = response.content.decode()
    assert "usa-footer" not in text and "Embed this scorecard" not in text
    assert reverse("scorecard:public", args=["kansas"]) in text  # a link to the whole page
    # The page itself offers the snippet to embed it.
    assert "Embed this scorecard" in Client().get(public_url()).content.decode()


def test_a_partner_is_named_only_when_it_chose_so(world, reported, published, flint):
    text = Client().get(public_url()).content.decode()
    assert world.supplier.name in text  # Prairie YMCA chose so (the fixture)
    assert flint.name not in text
    Membership.objects.filter(organization=world.supplier).update(named_publicly=False)
    cache.clear()
    assert world.supplier.name not in Client().get(public_url()).content.decode()


def test_its_trend_is_the_publication_for_the_public(world, reported, published, months):
    response = Client().get(public_url())
    board = response.context["board"]
    trend = next(table for table in board.tables if table.slug == "trend")
    rows = {row[0]: row[1] for row in trend.rows}
    shown = [rows[f"{month:%B %Y}"] for month in months]
    # Worked out here with the publication layer: for the viewer who knows no partner, less what a
    # partner's staff or the state's viewers are not shown.
    public, from_others = public_months(world.network, timezone.localdate())
    expected = [None if public[m].hidden or m in from_others else public[m].value for m in months]
    assert [None if isinstance(cell, Suppressed) else cell for cell in shown] == expected
    assert isinstance(shown[0], Suppressed)  # the small month (4)
    assert shown[1] == NETWORK[1]  # a count shown is the network's count, as on every page
    # 34, of which Prairie YMCA's own are 30: shown, it would give its staff the others' 4.
    assert not public[months[2]].hidden and months[2] in from_others
    assert isinstance(shown[2], Suppressed)
    # The goal's count so far includes a hidden month: not shown, in words or in the table.
    goal_row = {row[0]: row for row in board.goals_table.rows}["Enroll more"]
    assert isinstance(goal_row[board.goals_table.columns.index("So far")], Suppressed)
    assert "not shown" in " ".join(board.goals_said[0].sentences)


def test_no_hidden_count_nor_a_partners_own_is_on_the_page_or_its_downloads(
    world, reported, published, months
):
    client = Client()
    page = client.get(public_url())
    cells = [cell for table in html_tables(page).values() for row in table for cell in row]
    hidden = {NETWORK[0], NETWORK[2], sum(NETWORK)}
    assert not hidden & {int(c) for c in cells if c.replace(",", "").isdigit()}
    # Names from the factories carry numbers of their own ("Network 31"), which are not counts.
    names = [world.network.name, *Organization.objects.values_list("name", flat=True)]

    def without_names(text: str) -> str:
        for name in names:
            text = text.replace(name, " ")
        return text

    text = without_names(re.sub(r"<[^>]+>", " ", page.content.decode()))
    for count in {*FLINT, *PRAIRIE} - {0}:
        if count >= 11:  # a small one is any digit of a date; the table cells are checked above
            assert not re.search(rf"(?<![\d,.]){count}(?![\d,])", text), count
    for table in page.context["board"].tables:
        download = without_names(
            client.get(public_url(), {"download": table.slug}).content.decode("utf-8-sig")
        )
        assert not hidden & {int(c) for c in re.findall(r"(?<![\d.])\d+(?![\d.])", download)}


def test_a_visit_reads_the_figures_from_the_cache_whatever_the_partners(world, reported, published):
    client = Client()
    client.get(public_url())
    with CaptureQueriesContext(connection) as before:
        client.get(public_url())
    for n in range(3):
        organization = SupplierFactory(name=f"Named partner {n}")
        MembershipFactory(network=world.network, organization=organization, named_publicly=True)
    client.get(public_url())
    with CaptureQueriesContext(connection) as after:
        page = client.get(public_url())
    assert "Named partner 2" in page.content.decode()
    assert len(after.captured_queries) == len(before.captured_queries) <= 8


def test_the_columns_left_out_are_the_dashboards_own():
    """A column renamed on the dashboards or the equity pages must be renamed here too, or the public
    table would keep it."""
    assert set(goal_figures.GOAL_COLUMNS) >= board.GOAL_COLUMNS_LEFT_OUT
    assert set(equity_boards.BREAKDOWN_COLUMNS) >= board.EQUITY_COLUMNS_LEFT_OUT


def test_site_administrators_read_the_scorecards_and_the_choices_in_the_admin(world, published, client_for):
    client = client_for(world.admin)
    for name in ("admin:scorecard_scorecard_changelist", "admin:network_partnerchoicechange_changelist"):
        assert client.get(reverse(name)).status_code == 200
    assert client.get(reverse("admin:scorecard_scorecard_change", args=[published.pk])).status_code == 200


def test_the_equity_picture_says_the_months_its_tables_count(world, reported, published):
    """The sentence above the ratios names the months the tables count: whole quarters where the
    public may not see every month (each table's caption says "counted over" them)."""
    board_ = Client().get(public_url()).context["board"]
    captions = [picture.table.caption for picture in board_.equity]
    counted = {re.search(r", counted over (.+)$", caption).group(1) for caption in captions}
    assert counted == {board_.equity_period}
