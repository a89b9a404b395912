"""The equity pages: the role matrix, what each role sees of a small count (in the HTML tables, the CSV
downloads and the chart JSON), the network's own threshold, the coverage page, and queries that do not
grow with the partners.

The network: three suppliers. Prairie YMCA (the partner staff's own organization), Sunflower Clinic
and Flint Hills Health report the counts below; four Asian participants in all, none of them
Prairie's. Every expected figure is worked out here from those counts."""

import csv
import datetime
import io
import json
import re
from collections import Counter
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.calendar import month_add
from core.disclosure import Reason, words
from core.figures import Suppressed
from equity.tests.factories import estimates_stored, report_approved
from goals.tests.factories import GoalFactory, recent_months
from goals.tests.test_views import html_tables
from metrics import rollups
from metrics import services as metrics_services
from metrics.models import Category
from network import services as network_services
from network.models import DataSharing, Network, RoleKind
from network.tests.factories import MembershipFactory, NetworkFactory, UserFactory
from partners.models import County, Organization, PopulationOfFocus, RecognitionStatus
from partners.tests.factories import SupplierFactory, counties, state

pytestmark = pytest.mark.django_db

OK, FORBIDDEN, NOT_FOUND = 200, 403, 404
# A hidden cell in words, as `core.figures.Suppressed` says it (its wording is that class's to choose).
SUPPRESSED = str(Suppressed(11))
# Every wording a hidden cell may have (`core.disclosure.words`), under the usual threshold or 20.
HIDDEN = {words(reason, threshold) for reason in Reason for threshold in (11, 20)}


def hidden(text: str) -> bool:
    """A cell shown only in words, for one of the reasons a figure is not shown."""
    return text in HIDDEN


def shown_words(content: str) -> bool:
    return any(said in content for said in HIDDEN)


RACES = ["aian", "asian", "black", "nhopi", "white", "multiracial"]
ELIGIBLE_RACE = {
    "white": 300_000,
    "black": 40_000,
    "asian": 20_000,
    "aian": 10_000,
    "nhopi": 2_000,
    "multiracial": 28_000,
}
ELIGIBLE_COUNTY = {"c1": 50_000, "c2": 2_000, "c3": 8_000}

# Each partner's reports: (month of the period, counts by breakdown). Month 0 is in one quarter, month
# 3 in the next. County keys c1..c3 stand for the first three Kansas counties.
REPORTS: dict[str, list[tuple[int, dict[str, dict[str, int]]]]] = {
    "Prairie YMCA": [
        (
            0,
            {
                "race": {"white": 50, "black": 15, "multiracial": 5, "unknown": 8},
                "ethnicity": {"not_hispanic": 70, "unknown": 8},
                "age_group": {"18-44": 3, "45-64": 75},
                "county": {"c1": 40, "unknown": 38},
            },
        ),
        (
            3,
            {
                "race": {"white": 60, "black": 30, "unknown": 15},
                "ethnicity": {"not_hispanic": 100, "unknown": 5},
                "age_group": {"45-64": 105},
                "county": {"c1": 60, "unknown": 45},
            },
        ),
    ],
    "Sunflower Clinic": [
        (
            0,
            {
                "race": {"white": 40, "black": 10, "asian": 1, "multiracial": 11, "unknown": 6},
                "ethnicity": {"hispanic": 5, "not_hispanic": 57, "unknown": 6},
                "age_group": {"45-64": 68},
                "county": {"c2": 5, "c3": 20, "unknown": 43},
            },
        ),
    ],
    "Flint Hills Health": [
        (
            0,
            {
                "race": {"white": 30, "black": 15, "asian": 3, "unknown": 6},
                "ethnicity": {"not_hispanic": 50, "unknown": 4},
                "age_group": {"45-64": 30, "65-plus": 24},
                "county": {"c3": 14, "unknown": 40},
            },
        ),
    ],
}


def nothing_reported(network: Network, organization: Organization, month: datetime.date, user) -> None:
    """A month with nothing to report, submitted: in, so that the month can be complete."""
    metrics_services.report_nothing_to_report(
        network=network,
        organization=organization,
        month=month,
        user=user,
        today=month_add(month, 1) + datetime.timedelta(days=3),
    )


def complete_quarters(n: int = 2) -> list[datetime.date]:
    """The months of the last ``n`` complete calendar quarters (Q2 and Q3 2026), oldest first."""
    months = recent_months(3 * n + 2)[: 3 * n]
    assert months[0].month in (1, 4, 7, 10)
    return months


def goal_from(first: datetime.date, **fields) -> object:
    """A goal counted from ``first`` (the data's first month) for a year, its baseline the year before."""
    return GoalFactory(
        starts_on=first,
        baseline_start=month_add(first, -12),
        baseline_end=first - datetime.timedelta(days=1),
        deadline=month_add(first, 12) - datetime.timedelta(days=1),
        **fields,
    )


def summed(breakdown: str, *, names: set[str] | None = None, months: set[int] | None = None) -> Counter:
    """The counts of ``breakdown`` over the partners named (all) and months of the period (all)."""
    total: Counter = Counter()
    for name, reports in REPORTS.items():
        for month, counts in reports:
            if (names is None or name in names) and (months is None or month in months):
                total.update(counts[breakdown])
    return total


@dataclass
class Equity:
    network: Network
    prairie: Organization
    sunflower: Organization
    flint: Organization
    counties: dict[str, County]  # c1..c3
    query: dict[str, str]
    quarters: list[str]  # of the period, in order: the first holds month 0, the second month 3


@pytest.fixture
def equity(world) -> Equity:
    # Two whole complete quarters (April to September 2026): month 0 opens the first, month 3 the
    # second, and every partner that reports monthly says it had nothing to report in the other months.
    months = complete_quarters(2)
    sunflower = SupplierFactory(name="Sunflower Clinic")
    MembershipFactory(network=world.network, organization=sunflower, reports_monthly=True)
    # Flint Hills is still preparing to apply for recognition: a partner, but no supplier yet.
    flint = SupplierFactory(name="Flint Hills Health", recognition_status=RecognitionStatus.APPLYING)
    MembershipFactory(network=world.network, organization=flint, reports_monthly=True)
    found = dict(zip(["c1", "c2", "c3"], counties("KS", 3), strict=True))
    world.supplier.counties_served.set([found["c1"]])
    sunflower.counties_served.set([found["c2"]])
    flint.counties_served.set([found["c3"]])
    organizations = {o.name: o for o in (world.supplier, sunflower, flint)}
    for name, reports in REPORTS.items():
        reported = {month for month, _ in reports}
        for k, month in enumerate(months):
            if k not in reported:
                nothing_reported(world.network, organizations[name], month, world.admin)
        for month, counts in reports:
            county = {found[k].fips if k in found else k: n for k, n in counts["county"].items()}
            report_approved(
                network=world.network,
                organization=organizations[name],
                month=months[month],
                user=world.admin,
                race=counts["race"],
                ethnicity=counts["ethnicity"],
                age_group=counts["age_group"],
                county=county,
            )
    assert rollups.rollup_rebuild()
    kansas = state("KS")
    estimates_stored(state=kansas, breakdown="race", estimates=ELIGIBLE_RACE, name="ACS × CDC")
    estimates_stored(
        state=kansas,
        breakdown="county",
        estimates={found[key].fips: n for key, n in ELIGIBLE_COUNTY.items()},
        name="County split",
    )
    # The trend runs to the last quarter with a report: month 3's (a quarter with none after it is left
    # out, its reports still to come).
    quarters = sorted({f"{m.year} Q{(m.month - 1) // 3 + 1}" for m in months[:4]})
    return Equity(
        network=world.network,
        prairie=world.supplier,
        sunflower=sunflower,
        flint=flint,
        counties=found,
        query={"start": f"{months[0]:%Y-%m}", "end": f"{months[-1]:%Y-%m}"},
        quarters=quarters,
    )


def share_with_state(organization: Organization) -> None:
    organization.memberships.update(data_sharing=DataSharing.BACKBONE_AND_STATE)


# Reading a page: its tables, its CSV downloads, its charts


def html_table(response, slug: str) -> dict[str, list[str]]:
    """The rows of the page's table ``slug`` as shown in the HTML, by their heading."""
    caption = next(t.caption for t in response.context["board"].tables if t.slug == slug)
    return {row[0]: row[1:] for row in html_tables(response)[caption]}


def csv_table(client, url: str, query: dict[str, str], slug: str) -> tuple[list[str], dict[str, list[str]]]:
    response = client.get(url, {**query, "download": slug})
    assert response.status_code == OK
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    return header, {row[0]: row[1:] for row in rows}


def chart_json(response, element_id: str) -> dict:
    found = re.search(
        rf'<script id="{element_id}-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.DOTALL,
    )
    assert found, f"no chart {element_id}"
    return json.loads(found.group(1))


def race_name(code: str) -> str:
    return Category.objects.get(breakdown__code="race", code=code).name


def bars(figure: dict) -> dict[str, tuple[float | None, str]]:
    """The representation chart's bars: (x, hover text) by group name (labels lose their notes)."""
    [bar] = figure["data"]
    return {
        re.sub(r" \((suppressed|unstable)\)$", "", label): (x, hover)
        for label, x, hover in zip(bar["y"], bar["x"], bar["hovertext"], strict=True)
    }


def representation(count: int, denominator: int, code: str) -> float:
    return (count / denominator) / (ELIGIBLE_RACE[code] / sum(ELIGIBLE_RACE.values()))


# The role matrix


ROLES = ["backbone", "admin", "partner", "state_viewer", "other_backbone", "other_partner", "outsider"]
MATRIX = {
    #                    backbone admin partner state other_b other_p outsider
    "network": (OK, OK, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "network_coverage": (OK, OK, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    # The state's pages are its viewers'; staff of a network in the state get 403.
    "state": (FORBIDDEN, OK, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "state_coverage": (FORBIDDEN, OK, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "estimates": (NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND),
}


def urls() -> dict[str, str]:
    return {
        "network": reverse("equity:network", args=["kansas"]),
        "network_coverage": reverse("equity:network_coverage", args=["kansas"]),
        "state": reverse("equity:state", args=["KS"]),
        "state_coverage": reverse("equity:state_coverage", args=["KS"]),
        "estimates": reverse("equity:estimates"),
    }


def test_a_hidden_cell_is_said_in_words():
    assert SUPPRESSED.startswith("Suppressed") and str(Suppressed(20)).startswith("Suppressed")


def test_the_paths():
    assert urls() == {
        "network": "/networks/kansas/equity/",
        "network_coverage": "/networks/kansas/equity/coverage/",
        "state": "/states/KS/equity/",
        "state_coverage": "/states/KS/equity/coverage/",
        "estimates": "/equity/estimates/",
    }


@pytest.mark.parametrize("role", ROLES)
def test_pages_role_matrix(world, equity, client_for, role):
    client = client_for(getattr(world, role))
    for page, url in urls().items():
        expected = MATRIX[page][ROLES.index(role)]
        response = client.get(url, equity.query)
        assert response.status_code == expected, (role, page)
        if page != "estimates":
            # A CSV download asks the same question first.
            download = client.get(url, {**equity.query, "download": "breakdown"})
            assert download.status_code == expected, (role, page)
            if expected == OK and page in ("network", "state"):
                assert download["Content-Type"].startswith("text/csv"), (role, page)


def test_anonymous_users_are_sent_to_sign_in(world, client):
    for page, url in urls().items():
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], page


def test_unknown_network_and_state_are_not_found(world, client_for):
    client = client_for(world.admin)
    assert client.get(reverse("equity:network", args=["nowhere"])).status_code == NOT_FOUND
    assert client.get(reverse("equity:state", args=["XX"])).status_code == NOT_FOUND


# Who sees the four Asian participants


def assert_published_honestly(
    rows: dict[str, list[str]],
    names: dict[str, str],
    true: dict[str, int],
    rest: dict[str, int],
    threshold: int = 11,
) -> None:
    """The invariants of a breakdown table (``names``: row heading by code, the unknown among them): every
    small rest (1 to threshold - 1 of the participants the viewer may not see) hidden in words; every
    count shown the true one; and where the total shows, the hidden counts' rest (the total less the
    counts shown gives it away) not small."""
    for code, name in names.items():
        if 0 < rest.get(code, 0) < threshold:
            assert hidden(rows[name][0]), (name, rows[name])
        if not hidden(rows[name][0]):
            assert rows[name][0] == f"{true.get(code, 0)}", name
    total = rows["All participants"][0]
    if not hidden(total):
        assert total == f"{sum(true.values())}"
        gone = [code for code, name in names.items() if hidden(rows[name][0])]
        assert not 0 < sum(rest.get(code, 0) for code in gone) < threshold, gone


def race_rows() -> dict[str, str]:
    return {**{code: race_name(code) for code in RACES}, "unknown": "Unknown or not reported"}


def assert_asian_hidden(
    client, url: str, query: dict[str, str], rest: dict[str, int], second_quarter: bool = True
) -> None:
    """On the page, in the CSV of the breakdown and trend tables and in both charts: the Asian
    participants only in words, with whatever else hides beside them (``rest``: the counts the viewer
    may not see identified) so that they cannot be worked out; every count shown the network's."""
    asian = race_name("asian")
    network = summed("race")
    response = client.get(url, query)
    assert response.status_code == OK
    eligible_total = sum(ELIGIBLE_RACE.values())
    for rows in (html_table(response, "breakdown"), csv_table(client, url, query, "breakdown")[1]):
        assert_published_honestly(rows, race_rows(), network, rest)
        for code in RACES:
            row = rows[race_name(code)]
            eligible_share = round(100 * ELIGIBLE_RACE[code] / eligible_total, 1)
            # The eligible population is public.
            assert row[2:4] == [f"{ELIGIBLE_RACE[code]}", f"{eligible_share}"], code
            if hidden(row[0]):
                # Its share, ratios, reach and gap in words too.
                assert all(hidden(row[k]) for k in (1, 4, 5, 6, 7)), row
                assert row[8] == "", row
        assert hidden(rows[asian][0])
    content = response.content.decode()
    assert shown_words(content)
    assert "counts from 1 to 10 of partners" in content

    # The first quarter holds every Asian participant: suppressed there; the second has none.
    first, second = sorted(html_table(response, "trend"))[:2]
    header, csv_rows = csv_table(client, url, query, "trend")
    assert header == ["Quarter", *(race_name(code) for code in RACES)]
    for rows in (html_table(response, "trend"), csv_rows):
        assert hidden(rows[first][header.index(asian) - 1])
        if second_quarter:
            assert rows[second][header.index(asian) - 1] == "0.0"

    representation_bars = bars(chart_json(response, "representation-chart"))
    x, hover = representation_bars[asian]
    assert x is None
    assert "suppressed" in hover and not re.search(r"\d", hover), hover
    trend = {trace["name"]: trace for trace in chart_json(response, "trend-chart")["data"]}
    assert trend[asian]["x"][0] == first and trend[asian]["y"][0] is None
    if second_quarter:
        assert trend[asian]["y"][1] == 0


def test_backbone_staff_see_every_count(world, equity, client_for):
    client = client_for(world.backbone)
    url = reverse("equity:network", args=["kansas"])
    counts = summed("race")
    assert counts["asian"] == 4
    known = sum(counts.values()) - counts["unknown"]
    response = client.get(url, equity.query)
    for rows in (html_table(response, "breakdown"), csv_table(client, url, equity.query, "breakdown")[1]):
        asian = rows[race_name("asian")]
        assert asian[0] == "4"
        assert asian[1] == f"{round(100 * 4 / known, 1)}"
        assert asian[4] == f"{round(representation(4, known, 'asian'), 2)}"
        assert asian[5] == f"{round(1000 * 4 / ELIGIBLE_RACE['asian'], 1)}"
        assert rows[race_name("multiracial")][0] == f"{counts['multiracial']}"
        assert rows["All participants"][0] == f"{sum(counts.values())}"
    content = response.content.decode()
    assert not shown_words(content)
    assert "counts from 1 to 10 of partners" not in content  # the note is for those who see less
    x, hover = bars(chart_json(response, "representation-chart"))[race_name("asian")]
    assert x == round(representation(4, known, "asian"), 2)
    assert f"{round(100 * 4 / known, 1)}% of participants" in hover

    # The trend: each quarter's ratios from that quarter's counts.
    trend = html_table(response, "trend")
    assert list(trend) == equity.quarters
    for quarter, month in ((equity.quarters[0], 0), (equity.quarters[1], 3)):
        counts = summed("race", months={month})
        known = sum(counts.values()) - counts["unknown"]
        assert trend[quarter] == [f"{round(representation(counts[code], known, code), 2)}" for code in RACES]

    # Each partner's own figures, Flint Hills' three Asian participants among them.
    page = client.get(url, {**equity.query, "organization": equity.flint.pk})
    assert page.status_code == OK
    assert html_table(page, "breakdown")[race_name("asian")][0] == "3"


def test_partner_staff_see_the_rest_of_the_network_suppressed(world, equity, client_for):
    url = reverse("equity:network", args=["kansas"])
    rest = summed("race", names={"Sunflower Clinic", "Flint Hills Health"})
    # The rest of the network has four Asian participants; the next smallest of its cells above zero
    # is the multiracial one, which would give them away.
    assert rest["asian"] == 4
    assert min((n, code) for code, n in rest.items() if code != "asian" and n > 0) == (11, "multiracial")
    client = client_for(world.partner)
    assert_asian_hidden(client, url, equity.query, rest)

    # The large counts are the network's, Prairie's own participants included.
    network = summed("race")
    rows = html_table(client.get(url, equity.query), "breakdown")
    for code in ("white", "black"):
        assert rows[race_name(code)][0] == f"{network[code]}", code
    assert rows["All participants"][0] == f"{sum(network.values())}"


def test_partner_staff_see_their_own_figures_identified(world, equity, client_for):
    url = reverse("equity:network", args=["kansas"])
    own = summed("race", names={"Prairie YMCA"})
    assert 0 < own["multiracial"] < 11  # a small count, theirs to see
    client = client_for(world.partner)
    response = client.get(url, {**equity.query, "organization": equity.prairie.pk})
    assert response.status_code == OK
    for rows in (
        html_table(response, "breakdown"),
        csv_table(client, url, {**equity.query, "organization": equity.prairie.pk}, "breakdown")[1],
    ):
        for code in RACES:
            assert rows[race_name(code)][0] == f"{own[code]}", code
        assert rows["All participants"][0] == f"{sum(own.values())}"
    assert not shown_words(response.content.decode())
    x, _ = bars(chart_json(response, "representation-chart"))[race_name("multiracial")]
    known = sum(own.values()) - own["unknown"]
    assert x == round(representation(own["multiracial"], known, "multiracial"), 2)

    # In the network's figures, a small count that is all their own is theirs to see too; the state's
    # viewers see it suppressed, with the next smallest age group.
    by_age = {**equity.query, "breakdown": "age_group"}
    network, own = summed("age_group"), summed("age_group", names={"Prairie YMCA"})
    assert network["18-44"] == own["18-44"] == 3
    assert min((n, code) for code, n in network.items() if code != "18-44" and n > 0) == (24, "65-plus")
    rows = html_table(client.get(url, by_age), "breakdown")
    assert [rows[name][0] for name in ("18 to 44", "45 to 64", "65 and older")] == [
        f"{network[code]}" for code in ("18-44", "45-64", "65-plus")
    ]
    rows = html_table(client_for(world.state_viewer).get(url, by_age), "breakdown")
    assert hidden(rows["18 to 44"][0])
    ages = {"18-44": "18 to 44", "45-64": "45 to 64", "65-plus": "65 and older"}
    assert_published_honestly(rows, ages, network, network)


@pytest.mark.parametrize("url_name", ["network", "network_coverage"])
@pytest.mark.parametrize(
    ("role", "partner", "shares"),
    [
        ("partner", "sunflower", False),  # a fellow partner
        ("partner", "flint", False),
        ("state_viewer", "sunflower", False),  # not sharing with the state
        ("state_viewer", "flint", True),  # another partner shares; this one does not
    ],
)
def test_picking_a_partner_whose_figures_one_may_not_see_is_refused(
    world, equity, client_for, url_name, role, partner, shares
):
    if shares:
        share_with_state(equity.sunflower)
    organization = getattr(equity, partner)
    response = client_for(getattr(world, role)).get(
        reverse(f"equity:{url_name}", args=["kansas"]), {**equity.query, "organization": organization.pk}
    )
    assert response.status_code == FORBIDDEN


@pytest.mark.parametrize("sharing", [False, True])
def test_state_viewers_see_aggregates_suppressed(world, equity, client_for, sharing):
    if sharing:
        share_with_state(equity.sunflower)
    client = client_for(world.state_viewer)
    network = summed("race")
    assert network["asian"] == 4
    assert min((n, code) for code, n in network.items() if code != "asian" and n > 0) == (16, "multiracial")
    names = {"Prairie YMCA", "Flint Hills Health"} if sharing else None
    rest = summed("race", names=names)
    for url in (reverse("equity:state", args=["KS"]), reverse("equity:network", args=["kansas"])):
        # Sunflower's one Asian participant, if shared, still leaves three: suppressed either way.
        assert_asian_hidden(client, url, equity.query, rest)


def test_a_partner_sharing_with_the_state_is_identified_to_its_viewers(world, equity, client_for):
    client = client_for(world.state_viewer)
    hispanic = Category.objects.get(breakdown__code="ethnicity", code="hispanic").name
    by_ethnicity = {**equity.query, "breakdown": "ethnicity"}
    counts = summed("ethnicity")
    sunflower = summed("ethnicity", names={"Sunflower Clinic"})
    assert counts["hispanic"] == sunflower["hispanic"] == 5  # all of them Sunflower's
    urls_ = [reverse("equity:state", args=["KS"]), reverse("equity:network", args=["kansas"])]
    own = reverse("equity:network", args=["kansas"])
    for url in urls_:
        assert hidden(html_table(client.get(url, by_ethnicity), "breakdown")[hispanic][0])
    assert "organization" not in client.get(own, by_ethnicity).context["form"].fields

    share_with_state(equity.sunflower)
    for url in urls_:
        rows = html_table(client.get(url, by_ethnicity), "breakdown")
        assert rows[hispanic][0] == "5", url
        # Shown, the true count; or hidden beside another count (the complement chosen by the audit).
        assert rows["Not Hispanic or Latino"][0] in (f"{counts['not_hispanic']}", *HIDDEN), url
    response = client.get(own, {**by_ethnicity, "organization": equity.sunflower.pk})
    assert response.status_code == OK
    rows = html_table(response, "breakdown")
    assert rows[hispanic][0] == "5" and rows["All participants"][0] == f"{sum(sunflower.values())}"
    offered = dict(response.context["form"].fields["organization"].choices)
    assert set(offered) == {"", equity.sunflower.pk}  # a partner not sharing stays the backbone's


def test_a_partner_shares_with_the_state_one_network_at_a_time(world, client_for):
    """Data sharing is a choice of each membership: a partner sharing its Kansas network figures with
    the state does not share those of its membership of another Kansas network."""
    second = NetworkFactory(slug="kc", name="Kansas City", state=state("KS"))
    MembershipFactory(network=second, organization=second.backbone)
    sunflower = SupplierFactory(name="Sunflower Clinic")
    MembershipFactory(
        network=world.network,
        organization=sunflower,
        reports_monthly=True,
        data_sharing=DataSharing.BACKBONE_AND_STATE,
    )
    MembershipFactory(
        network=second, organization=sunflower, reports_monthly=True, data_sharing=DataSharing.BACKBONE_ONLY
    )
    month, *others = complete_quarters(1)
    report_approved(
        network=world.network, organization=sunflower, month=month, user=world.admin, race={"white": 50}
    )
    for network in (world.network, second):
        for other in others:
            nothing_reported(network, sunflower, other, world.admin)
    for other in (month, *others):
        nothing_reported(world.network, world.supplier, other, world.admin)
    # In Kansas City, Sunflower's three Asian participants are the backbone's to see, not the state's.
    report_approved(
        network=second,
        organization=sunflower,
        month=month,
        user=world.admin,
        race={"white": 40, "black": 30, "asian": 3},
    )
    assert rollups.rollup_rebuild()
    query = {"start": f"{month:%Y-%m}", "end": f"{others[-1]:%Y-%m}"}
    client = client_for(world.state_viewer)
    network = html_table(client.get(reverse("equity:network", args=["kc"]), query), "breakdown")
    assert hidden(network[race_name("asian")][0])
    statewide = html_table(client.get(reverse("equity:state", args=["KS"]), query), "breakdown")
    assert hidden(statewide[race_name("asian")][0])


def test_site_administrators_see_the_network_identified_and_the_state_suppressed(world, equity, client_for):
    client = client_for(world.admin)
    response = client.get(reverse("equity:network", args=["kansas"]), equity.query)
    assert html_table(response, "breakdown")[race_name("asian")][0] == "4"
    response = client.get(reverse("equity:state", args=["KS"]), equity.query)
    assert hidden(html_table(response, "breakdown")[race_name("asian")][0])


def test_a_focus_goal_does_not_give_a_complementary_count_away(world, equity, client_for):
    """A goal for the multiracial group counts the same months as the breakdown table, where the
    multiracial count is hidden so that the Asian count cannot be worked out from the total."""
    multiracial = Category.objects.get(breakdown__code="race", code="multiracial")
    goal = goal_from(
        complete_quarters(2)[0],
        network=world.network,
        population=multiracial,
        name="More multiracial participants",
    )
    url = reverse("equity:network", args=["kansas"])
    counts = summed("race")
    backbone = html_table(client_for(world.backbone).get(url, equity.query), "focus-goals")
    assert backbone[goal.name][6] == f"{counts['multiracial']}"
    rests = {
        world.partner: summed("race", names={"Sunflower Clinic", "Flint Hills Health"}),
        world.state_viewer: counts,
    }
    for user, rest in rests.items():
        response = client_for(user).get(url, equity.query)
        breakdown = html_table(response, "breakdown")
        assert hidden(breakdown[race_name("asian")][0])
        assert_published_honestly(breakdown, race_rows(), counts, rest)
        so_far = html_table(response, "focus-goals")[goal.name][6]
        # The goal counts the same whole quarters from the same published cells: shown where the
        # multiracial count is (the same figure), hidden where it is, so the 4 cannot be worked out.
        multiracial_shown = breakdown[race_name("multiracial")][0]
        if hidden(multiracial_shown):
            assert hidden(so_far), so_far
        else:
            assert so_far == multiracial_shown == f"{counts['multiracial']}"


def test_a_focus_goal_does_not_give_the_rest_of_the_network_away(world, client_for):
    """Prairie's staff know Prairie's ten Asian participants; the network's 15 would tell them
    Flint Hills has five."""
    flint = SupplierFactory(name="Flint Hills Health")
    MembershipFactory(network=world.network, organization=flint, reports_monthly=True)
    months = complete_quarters(1)
    for organization, asian in ((world.supplier, 10), (flint, 5)):
        report_approved(
            network=world.network,
            organization=organization,
            month=months[0],
            user=world.admin,
            race={"white": 100, "asian": asian},
        )
        for month in months[1:]:
            nothing_reported(world.network, organization, month, world.admin)
    assert rollups.rollup_rebuild()
    asian = Category.objects.get(breakdown__code="race", code="asian")
    goal = goal_from(months[0], network=world.network, population=asian, name="More Asian participants")
    url = reverse("equity:network", args=["kansas"])
    query = {"start": f"{months[0]:%Y-%m}", "end": f"{months[-1]:%Y-%m}"}
    assert html_table(client_for(world.backbone).get(url, query), "focus-goals")[goal.name][6] == "15"
    response = client_for(world.partner).get(url, query)
    assert hidden(html_table(response, "breakdown")[race_name("asian")][0])
    assert hidden(html_table(response, "focus-goals")[goal.name][6])


@pytest.mark.parametrize(
    ("role", "which"),
    [
        ("backbone", "network"),
        ("partner", "network"),
        ("partner", "network_coverage"),
        ("state_viewer", "state"),
        ("state_viewer", "state_coverage"),
    ],
)
def test_csv_downloads_match_the_tables(world, equity, client_for, role, which):
    GoalFactory(network=world.network, population=Category.objects.get(breakdown__code="race", code="asian"))
    client = client_for(getattr(world, role))
    url = urls()[which]
    response = client.get(url, equity.query)
    tables = response.context["board"].tables
    assert len(tables) >= 2
    for table in tables:
        header, rows = csv_table(client, url, equity.query, table.slug)
        assert header == list(table.columns)
        shown = html_table(response, table.slug)
        assert list(rows) == list(shown), table.slug
        for name, row in rows.items():
            assert [value or "—" for value in row] == [value or "—" for value in shown[name]], (
                table.slug,
                name,
            )


# The network's own threshold


def test_a_network_threshold_above_11_hides_more(world, client_for, django_capture_on_commit_callbacks):
    flint = SupplierFactory(name="Flint Hills Health")
    MembershipFactory(network=world.network, organization=flint, reports_monthly=True)
    month, *others = complete_quarters(1)
    report_approved(
        network=world.network,
        organization=flint,
        month=month,
        user=world.admin,
        race={"white": 100, "black": 15},
    )
    for organization in (flint, world.supplier):
        for other in others if organization == flint else [month, *others]:
            nothing_reported(world.network, organization, other, world.admin)
    assert rollups.rollup_rebuild()
    query = {"start": f"{month:%Y-%m}", "end": f"{others[-1]:%Y-%m}"}
    black, white = race_name("black"), race_name("white")
    pages = [
        (world.partner, reverse("equity:network", args=["kansas"])),
        (world.state_viewer, reverse("equity:network", args=["kansas"])),
        (world.state_viewer, reverse("equity:state", args=["KS"])),
    ]
    for user, url in pages:
        rows = html_table(client_for(user).get(url, query), "breakdown")
        assert rows[black][0] == "15" and rows[white][0] == "100", url

    with django_capture_on_commit_callbacks(execute=True):  # committed: the cached figures are out of date
        world.network.suppression_threshold = 20
        world.network.save()
    for user, url in pages:
        client = client_for(user)
        response = client.get(url, query)
        for rows in (html_table(response, "breakdown"), csv_table(client, url, query, "breakdown")[1]):
            assert hidden(rows[black][0]), url
            assert hidden(rows[white][0]), url  # or black is 115 − 100
            assert rows["All participants"][0] == "115", url
        assert "counts from 1 to 19 of partners" in response.content.decode()
    rows = html_table(client_for(world.backbone).get(pages[0][1], query), "breakdown")
    assert rows[black][0] == "15"


# Coverage


def test_coverage_page(world, equity, client_for):
    c1, c2, c3 = (equity.counties[key] for key in ("c1", "c2", "c3"))
    population = PopulationOfFocus.objects.order_by("name").first()
    equity.prairie.populations_of_focus.set([population])
    network = summed("county")
    url = reverse("equity:network_coverage", args=["kansas"])
    kansas = set(County.objects.filter(state__code="KS").values_list("fips", flat=True))

    # Backbone staff: every county's count.
    client = client_for(world.backbone)
    response = client.get(url, equity.query)
    assert response.status_code == OK
    rows = html_table(response, "counties")
    assert rows[c2.name][:3] == [
        f"{ELIGIBLE_COUNTY['c2']}",
        f"{network['c2']}",
        f"{round(1000 * network['c2'] / ELIGIBLE_COUNTY['c2'], 1)}",
    ]
    assert rows[c2.name][3:] == ["Sunflower Clinic", "Yes"]
    assert rows[c1.name][3:] == ["Prairie YMCA", "Yes"]
    # Flint Hills serves the third county, but is no supplier yet.
    assert rows[c3.name][1] == f"{network['c3']}"
    assert rows[c3.name][3:] == ["None", "No supplier serves this county"]
    assert len(rows) == len(kansas)

    unserved = response.context["board"].unserved
    assert c3.name in unserved and c1.name not in unserved and c2.name not in unserved
    assert len(unserved) == len(kansas) - 2
    listed = re.search(
        r"Counties no supplier serves \((\d+)\)</h3>\s*<p>(.*?)</p>", response.content.decode()
    )
    assert listed and int(listed.group(1)) == len(kansas) - 2
    assert c3.name in listed.group(2) and c1.name not in listed.group(2).split(", ")

    populations = html_table(response, "populations")
    assert populations[population.name] == ["Prairie YMCA", "1"]
    others = [name for name in populations if name != population.name]
    assert others and all(populations[name] == ["No partner serves this population", "0"] for name in others)
    csv_populations = csv_table(client, url, equity.query, "populations")[1]
    assert csv_populations[population.name] == ["Prairie YMCA", "1"]

    figure = chart_json(response, "county-map")
    features = {feature["id"] for feature in figure["data"][0]["geojson"]["features"]}
    assert features == kansas
    shaded = {
        location: z
        for trace in figure["data"]
        if trace.get("colorscale") != [[0, "#dfe1e2"], [1, "#dfe1e2"]]
        for location, z in zip(trace["locations"], trace["z"], strict=True)
    }
    assert shaded[c2.fips] == round(1000 * network["c2"] / ELIGIBLE_COUNTY["c2"], 1)


def test_coverage_suppresses_a_small_county_for_partner_staff(world, equity, client_for):
    c1, c2, c3 = (equity.counties[key] for key in ("c1", "c2", "c3"))
    network = summed("county")
    rest = summed("county", names={"Sunflower Clinic", "Flint Hills Health"})
    assert rest["c2"] == 5 and rest["c1"] == 0
    # The smallest other county above zero hides with it.
    assert min((n, code) for code, n in rest.items() if code != "c2" and n > 0) == (rest["c3"], "c3")
    url = reverse("equity:network_coverage", args=["kansas"])
    client = client_for(world.partner)
    response = client.get(url, equity.query)
    for rows in (html_table(response, "counties"), csv_table(client, url, equity.query, "counties")[1]):
        for county in (c2, c3):
            assert all(hidden(cell) for cell in rows[county.name][1:3]), county.name
        # Prairie's own county: all of its participants are Prairie's.
        assert rows[c1.name][1:3] == [
            f"{network['c1']}",
            f"{round(1000 * network['c1'] / ELIGIBLE_COUNTY['c1'], 1)}",
        ]
    figure = chart_json(response, "county-map")
    hovers = {
        location: hover
        for trace in figure["data"]
        for location, hover in zip(trace["locations"], trace["hovertext"], strict=True)
    }
    for county in (c2, c3):
        assert "suppressed" in hovers[county.fips] and not re.search(r"\d", hovers[county.fips])
    for trace in figure["data"]:
        if county_z := dict(zip(trace["locations"], trace["z"], strict=True)).get(c2.fips):
            assert county_z != round(1000 * network["c2"] / ELIGIBLE_COUNTY["c2"], 1)
    assert shown_words(response.content.decode())

    # The state's viewers see the state's counties the same way.
    response = client_for(world.state_viewer).get(reverse("equity:state_coverage", args=["KS"]), equity.query)
    rows = html_table(response, "counties")
    assert hidden(rows[c2.name][1])


# Queries do not grow with the number of partners


def add_partners(world, n: int) -> None:
    [month] = recent_months(1)
    for k in range(n):
        supplier = SupplierFactory(name=f"Supplier {k}")
        MembershipFactory(
            network=world.network,
            organization=supplier,
            reports_monthly=True,
            data_sharing=DataSharing.BACKBONE_ONLY if k % 2 else DataSharing.BACKBONE_AND_STATE,
        )
        supplier.counties_served.set(counties("KS", k + 1)[-1:])
        network_services.role_grant(user=UserFactory(), kind=RoleKind.PARTNER_STAFF, scope=supplier)
        report_approved(
            network=world.network,
            organization=supplier,
            month=month,
            user=world.admin,
            race={"white": 20 + k, "asian": 1 + k % 3, "unknown": 2},
        )
    assert rollups.rollup_rebuild()


def queries_of(client, url: str, query: dict[str, str]) -> tuple[int, int]:
    """The page's queries when its figures are made (the cache empty), then when they are cached."""
    client.get(url, query)  # warms what Django caches per process (content types), whichever test ran before
    cache.clear()
    counted = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, query)
        assert response.status_code == OK
        counted.append(len(captured.captured_queries))
    made, cached = counted
    assert cached < made
    return made, cached


@pytest.mark.parametrize(
    ("role", "which"),
    [
        ("backbone", "network"),
        ("partner", "network"),
        ("state_viewer", "network"),
        ("state_viewer", "state"),
        ("backbone", "network_coverage"),
        ("partner", "network_coverage"),
        ("state_viewer", "state_coverage"),
    ],
)
def test_queries_do_not_grow_with_the_partners(world, client_for, role, which):
    estimates_stored(state=state("KS"), breakdown="race", estimates=ELIGIBLE_RACE)
    [month] = recent_months(1)
    query = {"start": f"{month:%Y-%m}", "end": f"{month:%Y-%m}"}
    url = urls()[which]
    client = client_for(getattr(world, role))
    add_partners(world, 3)
    few = queries_of(client, url, query)
    add_partners(world, 9)
    many = queries_of(client, url, query)
    assert many == few, (few, many)
