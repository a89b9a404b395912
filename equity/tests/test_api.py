"""GET /api/v1/networks/<slug>/breakdown/: the role matrix, what each role sees of a small count, one
partner's own figures, bad filters, every measure against its formula worked out here from the
counts reported, and queries that do not grow with the partners."""

import datetime
import math

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.calendar import month_add
from equity.tests.factories import estimates_stored, report_approved
from goals.tests.factories import recent_months
from metrics import rollups, services
from network.models import DataSharing
from network.tests.factories import MembershipFactory
from partners.tests.factories import OrganizationFactory, SupplierFactory, state

pytestmark = pytest.mark.django_db

URL = reverse("api:breakdown", args=["kansas"])
ROLES = ["backbone", "admin", "partner", "state_viewer", "other_backbone", "other_partner", "outsider"]
RACES = ["aian", "asian", "black", "nhopi", "white", "multiracial"]
ELIGIBLE = {
    "white": 300_000,
    "black": 40_000,
    "asian": 20_000,
    "aian": 10_000,
    "nhopi": 2_000,
    "multiracial": 28_000,
}
# One month's enrollments by race, July 2026: the first month of the last complete calendar quarter
# (every partner that reports monthly says it had nothing to report in August and September). All four
# Asian participants are Sunflower's; Prairie YMCA is the partner staff's own organization.
RACE = {
    "Prairie YMCA": {"white": 60, "black": 20, "multiracial": 10, "unknown": 5},
    "Sunflower Clinic": {"white": 50, "black": 15, "asian": 4, "multiracial": 11, "unknown": 7},
    "Flint Hills Health": {"white": 40, "black": 10},
}
Z_95 = 1.959963984540054


def counts_of(*names: str) -> dict[str, int]:
    """The counts by race (every category, zero where none) of the partners named."""
    return {code: sum(RACE[name].get(code, 0) for name in names) for code in [*RACES, "unknown"]}


NETWORK = counts_of(*RACE)


@pytest.fixture
def quarter(world) -> list[datetime.date]:
    """The last complete calendar quarter's three months (July to September 2026)."""
    months = recent_months(5)[:3]
    assert months[0].month in (1, 4, 7, 10)
    return months


@pytest.fixture
def month(quarter):
    return quarter[0]


def nothing_reported(network, organization, month: datetime.date, user) -> None:
    """A month with nothing to report, submitted: in, for the month to be complete."""
    services.report_nothing_to_report(
        network=network,
        organization=organization,
        month=month,
        user=user,
        today=month_add(month, 1) + datetime.timedelta(days=3),
    )


@pytest.fixture
def partners(world, quarter):
    sunflower = SupplierFactory(name="Sunflower Clinic")
    flint = SupplierFactory(name="Flint Hills Health")
    for organization in (sunflower, flint):
        MembershipFactory(network=world.network, organization=organization, reports_monthly=True)
    organizations = {
        "Prairie YMCA": world.supplier,
        "Sunflower Clinic": sunflower,
        "Flint Hills Health": flint,
    }
    first, *rest = quarter
    for name, race in RACE.items():
        report_approved(
            network=world.network, organization=organizations[name], month=first, user=world.admin, race=race
        )
        for month in rest:
            nothing_reported(world.network, organizations[name], month, world.admin)
    assert rollups.rollup_rebuild()
    estimates_stored(state=state("KS"), breakdown="race", estimates=ELIGIBLE, name="ACS × CDC", year=2023)
    return organizations


@pytest.fixture
def query(quarter) -> dict[str, str]:
    """The whole quarter: what is published to a viewer who may not see every partner's figures."""
    return {
        "measure": "enrollments",
        "breakdown": "race",
        "from": f"{quarter[0]:%Y-%m}",
        "to": f"{quarter[-1]:%Y-%m}",
    }


def groups(body: dict) -> dict[str, dict]:
    return {group["category"]: group for group in body["groups"]}


def assert_hidden(group: dict) -> None:
    """A suppressed group: its count and everything computed from it null."""
    assert group["suppressed"] is True and group["count"] is None, group
    for field in (
        "share",
        "representation_ratio",
        "reach_per_1000",
        "rate_ratio",
        "rate_ratio_ci_low",
        "rate_ratio_ci_high",
        "fair_share_gap",
    ):
        assert group[field] is None, (group["category"], field)


def test_the_path_is_under_the_api():
    assert URL == "/api/v1/networks/kansas/breakdown/"


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(world, partners, query, api_for, role):
    response = api_for(getattr(world, role)).get(URL, query)
    expected = 200 if role in ("backbone", "admin", "partner", "state_viewer") else 404
    assert response.status_code == expected, response.content


def test_without_a_token_401(world, api_for):
    response = api_for(None).get(URL)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Token")


def test_an_unknown_network_is_404(world, api_for):
    assert api_for(world.admin).get("/api/v1/networks/nowhere/breakdown/").status_code == 404


# Who sees what


@pytest.mark.parametrize("role", ["backbone", "admin"])
def test_backbone_staff_see_every_count(world, partners, query, api_for, role):
    body = api_for(getattr(world, role)).get(URL, query).json()
    found = groups(body)
    for code in RACES:
        assert found[code]["count"] == NETWORK[code] and found[code]["suppressed"] is False, code
    assert found["asian"]["count"] == 4
    assert body["unknown"]["count"] == NETWORK["unknown"]
    assert body["total"] == sum(NETWORK.values())
    assert body["shares_of"] == "known"


def test_partner_staff_see_the_rest_of_the_network_suppressed(world, partners, query, api_for):
    rest = counts_of("Sunflower Clinic", "Flint Hills Health")
    # The rest has two small counts, the Asian and the unknown: nothing more to hide.
    assert {code for code, n in rest.items() if 0 < n < 11} == {"asian", "unknown"}
    body = api_for(world.partner).get(URL, query).json()
    found = groups(body)
    assert_hidden(found["asian"])
    assert_hidden(body["unknown"])
    for code in ("white", "black", "multiracial", "aian", "nhopi"):
        assert found[code]["count"] == NETWORK[code] and not found[code]["suppressed"], code
    assert body["total"] == sum(NETWORK.values())
    # The unknown count is hidden, so shares are of every participant.
    assert body["shares_of"] == "all"
    assert found["white"]["share"] == pytest.approx(NETWORK["white"] / sum(NETWORK.values()))
    assert body["threshold"] == 11


def test_the_networks_threshold(world, partners, query, api_for):
    world.network.suppression_threshold = 20
    world.network.save()
    rest = counts_of("Sunflower Clinic", "Flint Hills Health")
    assert 11 <= rest["multiracial"] < 20  # shown under the usual rule, hidden under this network's
    body = api_for(world.partner).get(URL, query).json()
    assert body["threshold"] == 20
    found = groups(body)
    assert_hidden(found["multiracial"])
    assert_hidden(found["asian"])
    assert found["black"]["count"] == NETWORK["black"]  # its rest, 25, is above 19
    assert (
        groups(api_for(world.backbone).get(URL, query).json())["multiracial"]["count"]
        == NETWORK["multiracial"]
    )


REASONS = {
    "Suppressed: fewer than 11",
    "Suppressed: fewer than 20",
    "Suppressed so that another count cannot be worked out",
    "Suppressed: includes a suppressed count",
    "Provisional: not all reports are in",
    "Shown by whole quarter only",
}


def assert_published_honestly(body: dict, true: dict[str, int], rest: dict[str, int]) -> None:
    """The invariants of what is published: every small rest (1 to threshold - 1 of the participants the
    viewer may not see) hidden; every count shown the true one; every hidden count says why in words;
    and the hidden counts' rest, which the total less the counts shown gives away, not small."""
    threshold = body["threshold"]
    every = {**groups(body), "unknown": body["unknown"]}
    for code, group in every.items():
        if 0 < rest[code] < threshold:
            assert_hidden(group)
        if group["suppressed"]:
            assert group["count"] is None and group["suppressed_because"] in REASONS, group
        else:
            assert group["count"] == true[code], code
    if body["total"] is not None:
        assert body["total"] == sum(true.values())
        hidden = [code for code, group in every.items() if group["suppressed"]]
        assert not 0 < sum(rest[code] for code in hidden) < threshold, hidden


@pytest.mark.parametrize("sharing", [False, True])
def test_state_viewers_see_the_aggregate_suppressed(world, partners, query, api_for, sharing):
    if sharing:
        partners["Sunflower Clinic"].memberships.update(data_sharing=DataSharing.BACKBONE_AND_STATE)
    body = api_for(world.state_viewer).get(URL, query).json()
    found = groups(body)
    assert body["threshold"] == 11
    if not sharing:
        # The state sees none of the partners identified: the four Asian participants hidden, and
        # enough beside them that they cannot be worked out.
        rest = NETWORK
        assert_hidden(found["asian"])
    else:
        # Sunflower's figures are the state's to see: every Asian participant is Sunflower's, and what is
        # left of the multiracial and unknown counts is small.
        rest = counts_of("Prairie YMCA", "Flint Hills Health")
        assert rest["asian"] == 0 and 0 < rest["multiracial"] < 11 and 0 < rest["unknown"] < 11
        assert found["asian"]["count"] == 4 and not found["asian"]["suppressed"]
        assert_hidden(found["multiracial"])
        assert_hidden(body["unknown"])
        for code in ("white", "black"):
            assert found[code]["count"] == NETWORK[code]
        assert body["total"] == sum(NETWORK.values())
    assert_published_honestly(body, NETWORK, rest)


def test_state_viewers_see_the_large_counts_of_the_aggregate(world, partners, query, api_for):
    """Hiding the four Asian participants needs one more count beside them (the unknown, 12), in the
    network's cells and the state's: the white and black counts and the total have no reason to hide."""
    body = api_for(world.state_viewer).get(URL, query).json()
    found = groups(body)
    assert min((n, code) for code, n in NETWORK.items() if code != "asian" and n > 0) == (12, "unknown")
    for code in ("white", "black", "multiracial"):
        assert found[code]["count"] == NETWORK[code], code
    assert body["total"] == sum(NETWORK.values())


def test_a_small_count_of_one_quarter_says_it_is_small(world, partners, query, api_for):
    found = groups(api_for(world.partner).get(URL, query).json())
    assert found["asian"]["suppressed_because"] == "Suppressed: fewer than 11"


def test_a_month_of_an_incomplete_quarter_is_shown_by_whole_quarter_only(world, partners, api_for):
    """November 2026: its quarter is still running, so a viewer who may not see every partner's figures
    gets no category's count of it; backbone staff still see every count of the month."""
    [november] = recent_months(1)
    assert (november.year, november.month) == (2026, 11)
    for name, race in RACE.items():
        report_approved(
            network=world.network, organization=partners[name], month=november, user=world.admin, race=race
        )
    assert rollups.rollup_rebuild()
    query = {"measure": "enrollments", "breakdown": "race", "from": "2026-11", "to": "2026-11"}
    for user in (world.partner, world.state_viewer):
        body = api_for(user).get(URL, query).json()
        for group in [*body["groups"], body["unknown"]]:
            assert_hidden(group)
            assert group["suppressed_because"] == "Shown by whole quarter only", group
        assert body["total"] is None
    body = api_for(world.backbone).get(URL, query).json()
    found = groups(body)
    for code in RACES:
        assert found[code]["count"] == NETWORK[code] and not found[code]["suppressed"], code
    assert body["unknown"]["count"] == NETWORK["unknown"]
    assert body["total"] == sum(NETWORK.values()) and body["covers"] == ""


def test_one_partner_of_ones_own(world, partners, query, api_for):
    prairie = partners["Prairie YMCA"]
    own = counts_of("Prairie YMCA")
    assert 0 < own["unknown"] < 11  # small, and theirs to see
    body = api_for(world.partner).get(URL, {**query, "organization": prairie.pk}).json()
    assert body["organization"] == prairie.pk
    found = groups(body)
    for code in RACES:
        assert found[code]["count"] == own[code] and not found[code]["suppressed"], code
    assert body["unknown"]["count"] == own["unknown"] and not body["unknown"]["suppressed"]
    assert body["total"] == sum(own.values())
    assert body["shares_of"] == "known"
    known = sum(own.values()) - own["unknown"]
    assert found["white"]["share"] == pytest.approx(own["white"] / known)


@pytest.mark.parametrize(
    ("role", "partner", "status"),
    [
        ("partner", "Sunflower Clinic", 403),  # a fellow partner's own figures
        ("partner", "Flint Hills Health", 403),
        ("state_viewer", "Sunflower Clinic", 403),  # not shared with the state
        ("backbone", "Flint Hills Health", 200),
        ("admin", "Sunflower Clinic", 200),
    ],
)
def test_another_partners_own_figures(world, partners, query, api_for, role, partner, status):
    organization = partners[partner]
    response = api_for(getattr(world, role)).get(URL, {**query, "organization": organization.pk})
    assert response.status_code == status, response.content
    if status == 200:
        found = groups(response.json())
        assert found["asian"]["count"] == RACE[partner].get("asian", 0)


def test_a_partner_shared_with_the_state(world, partners, query, api_for):
    sunflower = partners["Sunflower Clinic"]
    sunflower.memberships.update(data_sharing=DataSharing.BACKBONE_AND_STATE)
    body = api_for(world.state_viewer).get(URL, {**query, "organization": sunflower.pk}).json()
    assert (
        groups(body)["asian"]["count"] == 4
        and body["unknown"]["count"] == RACE["Sunflower Clinic"]["unknown"]
    )
    flint = partners["Flint Hills Health"]
    assert api_for(world.state_viewer).get(URL, {**query, "organization": flint.pk}).status_code == 403


def test_an_organization_that_is_no_partner_is_404(world, partners, query, api_for):
    stranger = OrganizationFactory(name="Not a partner")
    for user in (world.backbone, world.partner):
        response = api_for(user).get(URL, {**query, "organization": stranger.pk})
        assert response.status_code == 404


# Bad filters


def test_bad_filters_get_a_400_listing_every_problem(world, partners, api_for):
    response = api_for(world.backbone).get(
        URL, {"measure": "steps", "breakdown": "race", "from": "January", "to": "2026-13"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The filters were refused."
    assert [problem["column"] for problem in body["problems"]] == ["measure", "from", "to"]
    messages = " ".join(problem["message"] for problem in body["problems"])
    assert "'steps'" in messages and "'January'" in messages and "'2026-13'" in messages
    assert all(problem["expected"] for problem in body["problems"])
    assert "enrollments" in body["problems"][0]["expected"]


@pytest.mark.parametrize(
    ("query", "columns"),
    [
        ({"breakdown": "shoe_size"}, ["breakdown"]),
        ({"breakdown": "total"}, ["breakdown"]),  # the total is no breakdown to compare
        ({"from": "2026-05", "to": "2026-01"}, ["to"]),
        ({"from": "2001-01", "to": "2026-01"}, ["to"]),
        ({"organization": "prairie"}, ["organization"]),
        ({"organization": "²"}, ["organization"]),
        ({"organization": "1" * 23}, ["organization"]),
        ({"organization": "0"}, ["organization"]),
        ({"measure": ""}, ["measure"]),
        (
            {"measure": "steps", "breakdown": "shoe_size", "organization": "x"},
            ["measure", "breakdown", "organization"],
        ),
    ],
)
def test_each_bad_filter_is_named(world, api_for, query, columns):
    response = api_for(world.partner).get(URL, query)
    assert response.status_code == 400
    assert [problem["column"] for problem in response.json()["problems"]] == columns


def test_an_outsider_learns_nothing_from_bad_filters(world, api_for):
    response = api_for(world.outsider).get(URL, {"measure": "steps"})
    assert response.status_code == 404


# The measures against their formulas


def expected_measures(counts: dict[str, int], denominator: int) -> dict[str, dict[str, object]]:
    """Each group's measures worked out from the counts and the estimates (DOMAIN.md's formulas)."""
    eligible_total = sum(ELIGIBLE.values())
    reference = max(ELIGIBLE, key=ELIGIBLE.get)
    reference_reach = counts[reference] / ELIGIBLE[reference]
    found = {}
    for code in RACES:
        count, eligible = counts[code], ELIGIBLE[code]
        share = count / denominator
        eligible_share = eligible / eligible_total
        ratio = (count / eligible) / reference_reach
        if count:
            spread = Z_95 * math.sqrt(1 / count + 1 / counts[reference])
            low, high = ratio * math.exp(-spread), ratio * math.exp(spread)
        else:
            low = high = None
        # The x more participants for (count + x) / (denominator + x) = eligible_share.
        gap = max(0, math.ceil((eligible_share * denominator - count) / (1 - eligible_share) - 1e-9))
        found[code] = {
            "count": count,
            "eligible": eligible,
            "share": share,
            "eligible_share": eligible_share,
            "representation_ratio": share / eligible_share,
            "reach_per_1000": 1000 * count / eligible,
            "rate_ratio": ratio,
            "rate_ratio_ci_low": low,
            "rate_ratio_ci_high": high,
            "fair_share_gap": gap,
            "unstable": count < 20 or counts[reference] < 20,
            "reference": code == reference,
        }
    return found


def test_the_measures_follow_their_formulas(world, partners, query, api_for):
    body = api_for(world.backbone).get(URL, query).json()
    known = sum(NETWORK.values()) - NETWORK["unknown"]
    expected = expected_measures(NETWORK, known)
    found = groups(body)
    assert list(found) == RACES  # in the catalogue's order
    for code, values in expected.items():
        for field, value in values.items():
            assert found[code][field] == (pytest.approx(value) if isinstance(value, float) else value), (
                code,
                field,
            )
    # Worked by hand for one group: the Asian participants' fair share of 220 known.
    assert expected["asian"]["fair_share_gap"] == math.ceil((0.05 * known - 4) / 0.95)
    assert found["white"]["rate_ratio"] == pytest.approx(1.0)
    assert body["sources"] == [{"name": "ACS × CDC", "year": 2023, "url": ""}]
    assert body["network"] == "kansas" and body["measure"] == "enrollments" and body["breakdown"] == "race"


def test_the_partners_measures_are_of_the_published_counts(world, partners, query, api_for):
    """Shares of every participant (the unknown count is hidden), and a ratio only where the count shows."""
    body = api_for(world.partner).get(URL, query).json()
    expected = expected_measures(NETWORK, sum(NETWORK.values()))
    found = groups(body)
    for code in ("white", "black", "multiracial"):
        for field in ("share", "representation_ratio", "reach_per_1000", "rate_ratio", "fair_share_gap"):
            value = expected[code][field]
            assert found[code][field] == (pytest.approx(value) if isinstance(value, float) else value), (
                code,
                field,
            )
    # The eligible population is no secret.
    assert found["asian"]["eligible"] == ELIGIBLE["asian"]
    assert found["asian"]["eligible_share"] == pytest.approx(ELIGIBLE["asian"] / sum(ELIGIBLE.values()))


def test_a_period_without_counts(world, partners, month, api_for):
    body = api_for(world.backbone).get(URL, {"from": "2020-01", "to": "2020-03"}).json()
    assert body["total"] == 0 and body["month_from"] == "2020-01" and body["month_to"] == "2020-03"
    for group in body["groups"]:
        assert group["count"] == 0 and group["share"] is None and not group["suppressed"]


# Queries


def test_the_same_number_of_queries_for_3_and_12_partners(world, month, query, api_for):
    estimates_stored(state=state("KS"), breakdown="race", estimates=ELIGIBLE)

    def add(n: int) -> None:
        for k in range(n):
            supplier = SupplierFactory()
            MembershipFactory(
                network=world.network,
                organization=supplier,
                reports_monthly=True,
                data_sharing=DataSharing.BACKBONE_ONLY if k % 2 else DataSharing.BACKBONE_AND_STATE,
            )
            report_approved(
                network=world.network,
                organization=supplier,
                month=month,
                user=world.admin,
                race={"white": 30 + k, "asian": 1 + k % 4},
            )
        assert rollups.rollup_rebuild()

    clients = {role: api_for(getattr(world, role)) for role in ("backbone", "partner", "state_viewer")}
    add(1)  # 3 partners with the backbone and the world's supplier

    def counted(client) -> tuple[int, int]:
        """The queries when the figures are made (the cache empty), then when they are cached."""
        cache.clear()
        found = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(URL, query).status_code == 200
            found.append(len(queries.captured_queries))
        return found[0], found[1]

    few = {}
    for role, client in clients.items():
        client.get(URL, query)  # warms what Django caches per process (content types)
        few[role] = counted(client)
        assert few[role][1] < few[role][0], role
    add(9)  # 12
    for role, client in clients.items():
        assert counted(client) == few[role], role


@pytest.mark.parametrize("role", ["partner", "state_viewer"])
def test_no_two_periods_difference_to_a_small_count(world, partners, quarter, api_for, role):
    """The attack this layer closes: ask for months A..B and A+1..B and subtract. Over every period from
    May to November 2026, no two counts shown of one group (or of all participants) differ by 1 to 10."""
    client = api_for(getattr(world, role))
    months = [month_add(quarter[0], n) for n in range(-2, 5)]
    shown: dict[str, set[int]] = {}
    for first_index, first in enumerate(months):
        for last in months[first_index:]:
            body = client.get(
                URL,
                {
                    "measure": "enrollments",
                    "breakdown": "race",
                    "from": f"{first:%Y-%m}",
                    "to": f"{last:%Y-%m}",
                },
            ).json()
            for group in [*body["groups"], body["unknown"]]:
                if group and group["count"] is not None:
                    shown.setdefault(group["category"], set()).add(group["count"])
            for name in ("total", "complete_total"):
                if body[name] is not None:
                    shown.setdefault(name, set()).add(body[name])
    assert shown  # something is published
    for name, counts in shown.items():
        differences = {abs(a - b) for a in counts for b in counts}
        assert not {d for d in differences if 0 < d < 11}, (name, sorted(counts))
