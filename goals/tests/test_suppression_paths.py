"""Small-count suppression on every path a viewer sees the goals' aggregates by: the HTML tables, the
CSV downloads, the charts' JSON (values, hover text and summaries) and the progress API, for each role.

The data: in the Kansas network, Prairie YMCA (the partner staff's own organization) and Flint Hills
report three months. In the first the network counts 4 (a small total), in the second 50, in the third
34 of which 30 are Prairie YMCA's: a rest of 4 that Prairie YMCA's staff could work out by subtraction.
"""

import csv
import datetime
import io
import json
import re

import pytest
from django.urls import reverse

from core.disclosure import Reason, note, words
from core.figures import Suppressed
from goals import selectors
from goals.tests.factories import CommitmentFactory, GoalFactory, recent_months, report_approved
from goals.tests.test_views import html_tables
from network.models import DataSharing, Network
from network.tests.factories import MembershipFactory, NetworkFactory
from partners.tests.factories import SupplierFactory, state

pytestmark = pytest.mark.django_db

THRESHOLD = 11
WORDS = words(Reason.SMALL, THRESHOLD)  # "Suppressed: fewer than 11", on the page and in the CSV
INCLUDES = words(Reason.INCLUDES, THRESHOLD)
NOTE = note(THRESHOLD)
PRAIRIE = [0, 30, 30]
FLINT = [4, 20, 4]
NETWORK = [p + f for p, f in zip(PRAIRIE, FLINT, strict=True)]  # 4, 50, 34


@pytest.fixture(autouse=True)
def months_stay_open(world) -> None:
    Network.objects.update(report_lock_days=400)
    world.network.refresh_from_db()


@pytest.fixture
def months() -> list[datetime.date]:
    return recent_months(3)


@pytest.fixture
def flint(world):
    organization = SupplierFactory(name="Flint Hills Clinic")
    MembershipFactory(network=world.network, organization=organization, reports_monthly=True)
    return organization


@pytest.fixture
def reported(world, flint, months, django_capture_on_commit_callbacks):
    """The three months approved, and a goal from the first of them both suppliers committed to."""
    goal = GoalFactory(network=world.network, name="Enroll more", starts_on=months[0])
    CommitmentFactory(goal=goal, organization=world.supplier, amount=40)
    CommitmentFactory(goal=goal, organization=flint, amount=25)
    with django_capture_on_commit_callbacks(execute=True):
        for organization, counts in ((world.supplier, PRAIRIE), (flint, FLINT)):
            for month, count in zip(months, counts, strict=True):
                approve(world, organization, month, count)
    return goal


def approve(world, organization, month: datetime.date, count: int) -> None:
    report_approved(
        network=world.network,
        organization=organization,
        month=month,
        totals={"enrollments": count},
        user=world.admin,
    )


def query(months: list[datetime.date]) -> dict[str, str]:
    return {"start": f"{months[0]:%Y-%m}", "end": f"{months[-1]:%Y-%m}"}


def board_table(response, slug: str):
    return next(table for table in response.context["board"].tables if table.slug == slug)


def column(table, heading: str) -> list[object]:
    """A column of a table's month rows and its "All months" row, as shown on the page (str)."""
    index = list(table.columns).index(heading)
    return [row[index] for row in table.rows]


def shown(values: list[object]) -> list[object]:
    return ["hidden" if isinstance(value, Suppressed) else value for value in values]


def csv_column(response, heading: str) -> list[str]:
    header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    return [row[header.index(heading)] for row in rows]


def chart(response, element_id: str) -> dict:
    """The plotly figure embedded in the page, as the browser reads it."""
    found = re.search(
        rf'<script id="{element_id}-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.DOTALL,
    )
    assert found, element_id
    return json.loads(found.group(1))


def trace(figure: dict, name: str) -> dict:
    return next(trace for trace in figure["data"] if trace["name"] == name)


def summary(response, element_id: str) -> str:
    found = re.search(
        rf'<figcaption id="{element_id}-summary"[^>]*>(.*?)</figcaption>', response.content.decode()
    )
    assert found, element_id
    return found.group(1)


def says(text: str, count: int) -> bool:
    """Whether a text states the count (as a whole number, formatted as Tandem formats counts)."""
    return re.search(rf"(?<![\d,.]){count:,}(?![\d,])", text) is not None


def sentence_free_text(trace_: dict) -> str:
    """Everything a trace shows besides its values: hover templates, custom data, text."""
    return json.dumps({key: trace_.get(key) for key in ("hovertemplate", "customdata", "text", "hovertext")})


# The rule, unit by unit


def test_a_count_over_months_is_hidden_where_a_month_is():
    assert selectors.published_sum([50, 34, 0]) == 84
    assert selectors.published_sum([50, None, 34]) is None


# Backbone staff: every partner identified, nothing suppressed


def test_backbone_staff_see_every_count(world, reported, months, client_for):
    client = client_for(world.backbone)
    url = reverse("goals:dashboard_network", args=["kansas"])
    page = client.get(url, query(months))
    trend = board_table(page, "trend")
    assert column(trend, world.network.name) == [*NETWORK, sum(NETWORK)]
    assert NOTE not in trend.caption
    assert trace(chart(page, "trend-chart"), world.network.name)["y"] == NETWORK
    assert says(summary(page, "trend-chart"), sum(NETWORK))
    download = client.get(url, {**query(months), "download": "trend"})
    assert csv_column(download, world.network.name) == [str(n) for n in [*NETWORK, sum(NETWORK)]]
    goals = {row[0]: row for row in board_table(page, "goals").rows}
    assert goals["Enroll more"][8] == sum(NETWORK)
    assert goals["Enroll more"][16] == 65


# Partner staff: their own figures identified, the network's suppressed where the rest is small


def test_partner_staff_do_not_see_a_small_network_month_or_rest(world, reported, months, client_for):
    client = client_for(world.partner)
    url = reverse("goals:dashboard_partner", args=["kansas", world.supplier.pk])
    page = client.get(url, query(months))
    whole = "The whole network"

    # The HTML table: the own figures, the network's where the rest is not small; a note says why.
    trend = board_table(page, "trend")
    assert column(trend, world.supplier.name) == [*PRAIRIE, sum(PRAIRIE)]
    assert shown(column(trend, whole)) == ["hidden", NETWORK[1], "hidden", "hidden"]
    assert trend.caption.endswith(NOTE)
    html = html_tables(page)[trend.caption]
    assert [row[2] for row in html] == [WORDS, str(NETWORK[1]), WORDS, INCLUDES]

    # The CSV says the same in words.
    download = client.get(url, {**query(months), "download": "trend"})
    assert csv_column(download, whole) == [WORDS, str(NETWORK[1]), WORDS, INCLUDES]
    assert csv_column(download, world.supplier.name) == [str(n) for n in [*PRAIRIE, sum(PRAIRIE)]]

    # The chart leaves the hidden months out (gaps); neither its hover text nor its summary has them.
    figure = chart(page, "trend-chart")
    network_line = trace(figure, whole)
    assert network_line["y"] == [None, NETWORK[1], None]
    assert network_line["connectgaps"] is False
    assert trace(figure, world.supplier.name)["y"] == PRAIRIE
    text = summary(page, "trend-chart")
    assert not says(text, sum(NETWORK)) and "suppressed" in text
    for hidden in (NETWORK[0], NETWORK[2], sum(NETWORK)):
        assert not says(sentence_free_text(network_line), hidden)

    # The network's goal: its count so far and all computed from it; the commitments added up
    # would be Flint Hills' own commitment once Prairie YMCA's is taken away.
    goals_table = board_table(page, "goals")
    row = {r[0]: r for r in goals_table.rows}["Enroll more"]
    assert isinstance(row[8], Suppressed) and isinstance(row[9], Suppressed)  # so far, share
    assert isinstance(row[14], Suppressed)  # outlook
    assert str(row[16]) == "Not shown (one partner's commitment)" and row[16].is_suppressed
    assert goals_table.caption.endswith(NOTE)
    download = client.get(url, {**query(months), "download": "goals"})
    assert csv_column(download, "So far") == [INCLUDES]
    assert csv_column(download, "Committed by partners") == ["Not shown (one partner's commitment)"]


def test_a_rest_large_enough_is_shown_to_partner_staff(
    world, flint, months, client_for, django_capture_on_commit_callbacks
):
    # Prairie YMCA's 30 and Flint Hills' 14: a rest of 14, above the threshold.
    with django_capture_on_commit_callbacks(execute=True):
        for organization, count in ((world.supplier, 30), (flint, 14)):
            approve(world, organization, months[-1], count)
    page = client_for(world.partner).get(
        reverse("goals:dashboard_partner", args=["kansas", world.supplier.pk]), query(months)
    )
    trend = board_table(page, "trend")
    assert column(trend, "The whole network") == [None, None, 44, 44]
    assert NOTE not in trend.caption


# State viewers: aggregates only, with the partners sharing with the state identified


def test_a_state_viewer_does_not_see_a_small_network_month(world, reported, months, client_for):
    client = client_for(world.state_viewer)
    url = reverse("goals:dashboard_state", args=["KS"])
    page = client.get(url, query(months))
    trend = board_table(page, "trend")
    statewide = "All of Kansas"
    # Nothing of the network is known to the state viewer: only the small total of the first month.
    assert shown(column(trend, world.network.name)) == ["hidden", NETWORK[1], NETWORK[2], "hidden"]
    assert shown(column(trend, statewide)) == ["hidden", NETWORK[1], NETWORK[2], "hidden"]
    assert trend.caption.endswith(NOTE)
    download = client.get(url, {**query(months), "download": "trend"})
    assert csv_column(download, statewide) == [WORDS, str(NETWORK[1]), str(NETWORK[2]), INCLUDES]

    networks = board_table(page, "networks")
    [row] = [r for r in networks.rows if r[0] == world.network.name]
    assert isinstance(row[4], Suppressed) and isinstance(row[5], Suppressed)  # in the period, mean
    download = client.get(url, {**query(months), "download": "networks"})
    assert csv_column(download, "In the complete months of the period") == [INCLUDES]

    figure = chart(page, "trend-chart")
    assert trace(figure, world.network.name)["y"] == [None, NETWORK[1], NETWORK[2]]
    assert trace(figure, statewide)["y"] == [None, NETWORK[1], NETWORK[2]]
    assert not says(summary(page, "trend-chart"), sum(NETWORK))
    bars = chart(page, "networks-chart")
    assert bars["data"][0]["x"] == [None]
    assert not says(sentence_free_text(bars["data"][0]), sum(NETWORK))

    goals = {r[1]: r for r in board_table(page, "goals").rows}  # with the network first
    assert isinstance(goals["Enroll more"][9], Suppressed)
    assert goals["Enroll more"][17] == 65  # two partners' commitments: neither can be worked out


def test_partners_sharing_with_the_state_are_known_to_its_viewers(world, reported, months, client_for):
    # Prairie YMCA shares with the state: its 30 in the third month are known, leaving a rest of 4.
    world.membership.data_sharing = DataSharing.BACKBONE_AND_STATE
    world.membership.save()
    page = client_for(world.state_viewer).get(reverse("goals:dashboard_state", args=["KS"]), query(months))
    trend = board_table(page, "trend")
    assert shown(column(trend, world.network.name)) == ["hidden", NETWORK[1], "hidden", "hidden"]
    assert board_table(page, "partners-sharing").rows == [
        [world.supplier.name, world.network.name, sum(PRAIRIE)]
    ]
    # The partner's own dashboard, open to the state viewer now, says the same of the network.
    partner = client_for(world.state_viewer).get(
        reverse("goals:dashboard_partner", args=["kansas", world.supplier.pk]), query(months)
    )
    assert shown(column(board_table(partner, "trend"), "The whole network")) == [
        "hidden",
        NETWORK[1],
        "hidden",
        "hidden",
    ]


def test_a_state_total_that_would_give_a_small_network_away_is_hidden(
    world, reported, months, client_for, django_capture_on_commit_callbacks
):
    second = NetworkFactory(slug="kc", state=state("KS"), report_lock_days=400)
    small = SupplierFactory(name="Wyandotte Clinic")
    MembershipFactory(network=second, organization=small, reports_monthly=True)
    with django_capture_on_commit_callbacks(execute=True):
        report_approved(
            network=second, organization=small, month=months[1], totals={"enrollments": 4}, user=world.admin
        )
    page = client_for(world.state_viewer).get(reverse("goals:dashboard_state", args=["KS"]), query(months))
    trend = board_table(page, "trend")
    assert column(trend, second.name)[1] == Suppressed(THRESHOLD, Reason.SMALL)
    # The state's second month (54) less the network's (50) would be the 4: one of them is hidden too,
    # so that another count cannot be worked out.
    pair = [column(trend, world.network.name)[1], column(trend, "All of Kansas")[1]]
    assert Suppressed(THRESHOLD, Reason.COMPLEMENT) in pair
    # Wyandotte Clinic's third month is not in: the state's month is provisional, not published.
    assert column(trend, "All of Kansas")[2] == Suppressed(THRESHOLD, Reason.PROVISIONAL)


def test_the_network_threshold_applies(world, reported, months, client_for):
    Network.objects.filter(pk=world.network.pk).update(suppression_threshold=40)
    page = client_for(world.state_viewer).get(reverse("goals:dashboard_state", args=["KS"]), query(months))
    trend = board_table(page, "trend")
    assert shown(column(trend, world.network.name)) == ["hidden", NETWORK[1], "hidden", "hidden"]
    assert trend.caption.endswith(note(40))
    assert column(trend, world.network.name)[0] == Suppressed(40, Reason.SMALL)


# Site administrators: the cross-state dashboard is aggregates only


def test_site_administrators_do_not_see_a_small_count_across_states(world, reported, months, client_for):
    client = client_for(world.admin)
    url = reverse("goals:dashboard_states")
    page = client.get(url, query(months))
    states = {row[0]: row for row in board_table(page, "states").rows}
    assert isinstance(states["Kansas"][3], Suppressed) and isinstance(states["Kansas"][4], Suppressed)
    trend = board_table(page, "trend")
    assert shown(column(trend, "Kansas")) == ["hidden", NETWORK[1], NETWORK[2], "hidden"]
    networks = {row[1]: row for row in board_table(page, "networks").rows}
    assert isinstance(networks[world.network.name][5], Suppressed)
    heading = "In the complete months of the period"
    for slug in ("states", "networks"):
        download = client.get(url, {**query(months), "download": slug})
        assert INCLUDES in csv_column(download, heading), slug
    assert trace(chart(page, "trend-chart"), "Kansas")["y"] == [None, NETWORK[1], NETWORK[2]]
    bars = chart(page, "networks-chart")["data"][0]
    kansas = bars["customdata"].index(f"{world.network.name} (KS)")
    assert bars["x"][kansas] is None
    # The state dashboard, which site administrators may open too, hides the same.
    state_page = client.get(reverse("goals:dashboard_state", args=["KS"]), query(months))
    assert shown(column(board_table(state_page, "trend"), "All of Kansas"))[0] == "hidden"


# The progress API


def api_series(response) -> list[tuple[int | None, bool]]:
    return [(row["count"], row["suppressed"]) for row in response.json()["series"][-3:]]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("backbone", [(4, False), (50, False), (34, False)]),
        # Site administrators hold every permission on every network (Access.MANAGE): the API
        # answers them as it answers the backbone staff.
        ("admin", [(4, False), (50, False), (34, False)]),
        ("partner", [(None, True), (50, False), (None, True)]),
        ("state_viewer", [(None, True), (50, False), (34, False)]),
    ],
)
def test_the_api_suppresses_for_each_role(world, reported, months, api_for, role, expected):
    response = api_for(getattr(world, role)).get(
        reverse("api:progress", args=["kansas"]), {"month_to": f"{months[-1]:%Y-%m}"}
    )
    assert response.status_code == 200
    assert api_series(response) == expected
    body = response.json()
    [goal] = body["goals"]
    identified = role in ("backbone", "admin")
    assert body["suppression_threshold"] == (None if identified else THRESHOLD)
    if identified:
        assert goal["actual"] == sum(NETWORK) and goal["suppressed"] == []
        assert [m["count"] for m in goal["monthly"][-3:]] == NETWORK
    else:
        # A month counted is suppressed: the count so far and everything computed from it are too.
        assert goal["actual"] is None and goal["share"] is None and goal["projected"] is None
        assert {"actual", "share", "pace", "projected", "outlook", "needed_per_month"} <= set(
            goal["suppressed"]
        )
        monthly = goal["monthly"][-3:]
        assert [m["suppressed"] for m in monthly] == [count is None for count, _ in expected]
        assert all(m["so_far"] is None for m in monthly)  # from the first suppressed month on
        assert all(m["count"] is None for m in monthly if m["suppressed"])


def test_the_api_documents_suppression(world, api_for):
    schema = json.loads(api_for(None).get(reverse("api:schema"), {"format": "json"}).content)
    components = schema["components"]["schemas"]
    assert "suppression_threshold" in components["ProgressOut"]["properties"]
    goal = components["GoalProgressOut"]["properties"]
    assert goal["suppressed"]["type"] == "array"
    assert goal["actual"].get("nullable") is True
    month = components["MonthCountOut"]["properties"]
    assert month["suppressed"]["type"] == "boolean" and month["count"].get("nullable") is True


# The goals list


def test_the_goal_list_withholds_a_sum_that_is_one_partners_commitment(world, reported, client_for):
    url = reverse("goals:goal_list", args=["kansas"])
    withheld = "Not shown (one partner&#x27;s commitment)"
    partner = client_for(world.partner).get(url).content.decode()
    assert withheld in partner and ">65<" not in partner
    for user in (world.backbone, world.state_viewer):
        content = client_for(user).get(url).content.decode()
        assert ">65<" in content and withheld not in content
