"""Goals pages and dashboards: every page against the role matrix, the goal form and its errors, the
commitments table, the dashboards' figures against a direct count of the approved reports on random
data, CSV downloads against the tables shown, and queries that do not grow with the partners."""

import csv
import datetime
import io
import random
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.calendar import month_add
from core.figures import Suppressed
from goals.models import Commitment, Goal, TargetKind
from goals.tests.factories import (
    CommitmentFactory,
    GoalFactory,
    complete_months,
    counted_to_direct,
    counted_to_direct_for,
    direct_counts,
    random_history,
    recent_months,
    report_approved,
    today,
)
from metrics import rollups
from metrics.models import Category, Measure, MonthlyReport, ReportStatus
from metrics.services import rollups_deferred
from network import services as network_services
from network.models import DataSharing, Network
from network.tests.factories import MembershipFactory, NetworkFactory
from partners.tests.factories import SupplierFactory, state

pytestmark = pytest.mark.django_db

OK, FOUND, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404
ROLES = ["backbone", "admin", "partner", "state_viewer", "other_backbone", "other_partner", "outsider"]


@pytest.fixture(autouse=True)
def months_stay_open(world) -> None:
    Network.objects.update(report_lock_days=400)
    world.network.refresh_from_db()


@pytest.fixture
def goal(world) -> Goal:
    goal = GoalFactory(network=world.network)
    CommitmentFactory(goal=goal, organization=world.supplier, amount=40)
    return goal


def urls(world, goal: Goal) -> dict[str, str]:
    return {
        "goal_list": reverse("goals:goal_list", args=["kansas"]),
        "goal_create": reverse("goals:goal_create", args=["kansas"]),
        "goal_edit": reverse("goals:goal_edit", args=["kansas", goal.pk]),
        "goal_commitments": reverse("goals:goal_commitments", args=["kansas", goal.pk]),
        "dashboard_network": reverse("goals:dashboard_network", args=["kansas"]),
        "dashboard_partner": reverse("goals:dashboard_partner", args=["kansas", world.supplier.pk]),
        "dashboard_state": reverse("goals:dashboard_state", args=["KS"]),
        "dashboard_states": reverse("goals:dashboard_states"),
    }


MATRIX = {
    #                    backbone admin partner state other_b other_p outsider
    "goal_list": (OK, OK, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "goal_create": (OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "goal_edit": (OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "goal_commitments": (OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "dashboard_network": (OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    # The supplier shares its figures with the backbone only: not with the state.
    "dashboard_partner": (OK, OK, OK, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    # The statewide dashboard is the state viewers'; backbone and partner staff in the state get 403.
    "dashboard_state": (FORBIDDEN, OK, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "dashboard_states": (NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND),
}


# The role matrix


@pytest.mark.parametrize("role", ROLES)
def test_pages_role_matrix(world, goal, client_for, role):
    client = client_for(getattr(world, role))
    for page, url in urls(world, goal).items():
        expected = MATRIX[page][ROLES.index(role)]
        response = client.get(url)
        assert response.status_code == expected, (role, page)
        if expected == OK and page.startswith("dashboard"):
            assert b'class="tandem-chart"' in response.content, (role, page)
            assert b"plotly.min.js" in response.content
            assert b"Figures brought up to date" in response.content or b"No figures" in response.content
        # A CSV download asks the same question first.
        download = client.get(url, {"download": "trend"})
        assert download.status_code == expected, (role, page)


def test_anonymous_users_are_sent_to_sign_in(world, goal, client):
    for page, url in urls(world, goal).items():
        response = client.get(url)
        assert response.status_code == FOUND and "/accounts/login/" in response["Location"], page


def test_a_state_viewer_sees_a_partner_sharing_with_the_state(world, goal, client_for):
    url = reverse("goals:dashboard_partner", args=["kansas", world.supplier.pk])
    assert client_for(world.state_viewer).get(url).status_code == FORBIDDEN
    world.membership.data_sharing = DataSharing.BACKBONE_AND_STATE
    world.membership.save()
    assert client_for(world.state_viewer).get(url).status_code == OK


def test_partner_staff_see_only_their_own_organization(world, goal, client_for):
    fellow = SupplierFactory(name="Flint Hills Clinic")
    MembershipFactory(network=world.network, organization=fellow, reports_monthly=True)
    client = client_for(world.partner)
    assert client.get(reverse("goals:dashboard_partner", args=["kansas", fellow.pk])).status_code == FORBIDDEN
    stranger = SupplierFactory(name="Not a partner")
    for user in (world.partner, world.backbone):
        url = reverse("goals:dashboard_partner", args=["kansas", stranger.pk])
        assert client_for(user).get(url).status_code == NOT_FOUND


@pytest.mark.parametrize("role", ["partner", "state_viewer", "other_backbone", "other_partner", "outsider"])
def test_only_backbone_staff_write(world, goal, client_for, role):
    client = client_for(getattr(world, role))
    status = MATRIX["goal_create"][ROLES.index(role)]
    data = goal_data(name="Taken over")
    assert client.post(reverse("goals:goal_create", args=["kansas"]), data).status_code == status
    assert client.post(reverse("goals:goal_edit", args=["kansas", goal.pk]), data).status_code == status
    commitments = {f"partner_{world.supplier.pk}": "999"}
    url = reverse("goals:goal_commitments", args=["kansas", goal.pk])
    assert client.post(url, commitments).status_code == status
    assert not Goal.objects.filter(name="Taken over").exists()
    assert Commitment.objects.get(goal=goal).amount == 40


def test_a_goal_of_another_network_is_not_found(world, goal, client_for):
    foreign = GoalFactory(network=world.other_network)
    client = client_for(world.backbone)
    assert client.get(reverse("goals:goal_edit", args=["kansas", foreign.pk])).status_code == NOT_FOUND
    assert client.get(reverse("goals:goal_commitments", args=["kansas", foreign.pk])).status_code == NOT_FOUND


# The goal form


def goal_data(**overrides: object) -> dict[str, object]:
    data = {
        "name": "Increase enrollment in the National DPP by 20 % by 2026-12-31",
        "measure": Measure.objects.get(code="enrollments").pk,
        "population": "",
        "baseline_start": "2024-10-01",
        "baseline_end": "2025-09-30",
        "baseline_value": "500",
        "target_kind": TargetKind.PERCENT_INCREASE,
        "target_value": "20",
        "starts_on": "2026-01-01",
        "deadline": "2026-12-31",
    }
    return {**data, **overrides}


def test_backbone_staff_set_a_goal_then_its_commitments(world, client_for):
    client = client_for(world.backbone)
    hispanic = Category.objects.get(breakdown__code="ethnicity", code="hispanic")
    response = client.post(reverse("goals:goal_create", args=["kansas"]), goal_data(population=hispanic.pk))
    goal = Goal.objects.get(network=world.network)
    assert response.status_code == FOUND
    assert response["Location"] == reverse("goals:goal_commitments", args=["kansas", goal.pk])
    assert goal.target == 600 and goal.population == hispanic
    assert goal.starts_on == datetime.date(2026, 1, 1)

    page = client.get(response["Location"])
    assert page.status_code == OK
    assert world.supplier.name in page.content.decode()
    assert world.network.backbone.name not in page.content.decode()  # the backbone commits to nothing
    response = client.post(response["Location"], {f"partner_{world.supplier.pk}": "250"})
    assert response.status_code == FOUND
    assert Commitment.objects.get(goal=goal, organization=world.supplier).amount == 250
    page = client.get(response["Location"])
    assert "Saved 1 commitment" in page.content.decode() and page.context["coverage"] == 42

    # Emptying the amount takes the commitment back.
    client.post(response["Location"], {f"partner_{world.supplier.pk}": ""})
    assert not Commitment.objects.filter(goal=goal).exists()

    response = client.post(
        reverse("goals:goal_edit", args=["kansas", goal.pk]),
        goal_data(target_kind=TargetKind.NUMBER, target_value="750"),
    )
    assert response.status_code == FOUND
    goal.refresh_from_db()
    assert goal.target == 750 and goal.population is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"deadline": "2025-12-01"}, "deadline", "The deadline comes after the start."),
        ({"baseline_end": "2026-03-31"}, "baseline_end", "The baseline period ends before the goal starts."),
        (
            {"baseline_value": "0"},
            "target_value",
            "A percentage increase needs a baseline above 0: give the target as a number instead.",
        ),
        ({"target_value": "0"}, "target_value", "The target is above 0."),
        ({"target_value": "lots"}, "target_value", "Enter a number."),
        ({"name": ""}, "name", "This field is required."),
        ({"starts_on": "2026-13-01"}, "starts_on", "Enter a valid date."),
        ({"target_kind": "double"}, "target_kind", "Select a valid choice."),
        ({"population": "total"}, "population", "Select a valid choice."),
    ],
)
def test_goal_form_errors(world, client_for, overrides, field, message):
    if overrides.get("population") == "total":
        overrides = {"population": Category.objects.get(breakdown__code="total").pk}
    client = client_for(world.backbone)
    response = client.post(reverse("goals:goal_create", args=["kansas"]), goal_data(**overrides))
    assert response.status_code == OK
    errors = response.context["form"].errors
    assert field in errors and any(error.startswith(message) for error in errors[field]), errors
    assert "The goal was not saved" in response.content.decode()
    assert not Goal.objects.exists()


def test_a_county_is_no_population_of_focus(world, client_for):
    county = Category.objects.filter(breakdown__code="county").exclude(code="unknown").first()
    response = client_for(world.backbone).post(
        reverse("goals:goal_create", args=["kansas"]), goal_data(population=county.pk)
    )
    assert "population" in response.context["form"].errors
    assert not Goal.objects.exists()


def test_commitment_errors(world, goal, client_for):
    url = reverse("goals:goal_commitments", args=["kansas", goal.pk])
    response = client_for(world.backbone).post(url, {f"partner_{world.supplier.pk}": "-5"})
    assert response.status_code == OK
    assert "Nothing was saved" in response.content.decode()
    assert Commitment.objects.get(goal=goal).amount == 40
    response = client_for(world.backbone).post(url, {f"partner_{world.supplier.pk}": "many"})
    assert response.status_code == OK and Commitment.objects.get(goal=goal).amount == 40


# The dashboards' figures equal a direct count of the approved reports


@pytest.fixture
def kansas(world):
    """Four suppliers in the Kansas network (one sharing with the state), one in a second Kansas
    network, and the Utah supplier."""
    second = NetworkFactory(slug="kc", state=state("KS"), report_lock_days=400)
    MembershipFactory(network=second, organization=second.backbone)
    pairs = [(world.network, world.supplier)]
    for n, network in enumerate([world.network, world.network, world.network, second]):
        supplier = SupplierFactory(name=f"Supplier {n}")
        sharing = DataSharing.BACKBONE_AND_STATE if n == 0 else DataSharing.BACKBONE_ONLY
        MembershipFactory(network=network, organization=supplier, reports_monthly=True, data_sharing=sharing)
        pairs.append((network, supplier))
    utah = world.other_network.memberships.get().organization
    pairs.append((world.other_network, utah))
    Network.objects.update(report_lock_days=400)
    return [(Network.objects.get(pk=network.pk), organization) for network, organization in pairs]


def table(response, slug: str):
    return next(t for t in response.context["board"].tables if t.slug == slug)


def by_month(table_, column: int = 1) -> dict[str, int]:
    return {row[0]: row[column] for row in table_.rows if row[0] != "All months"}


HIDDEN = "suppressed"


def published(count: int | None, known: int = 0, threshold: int = 11) -> int | str | None:
    """The rule, said apart from the code: an aggregate is hidden where it, or what is left of it once
    the figures the viewer may see identified are taken away, is from 1 to threshold - 1."""
    if count is None:
        return None
    return HIDDEN if 0 < count < threshold or 0 < count - known < threshold else count


def plain(value):
    """A table cell, or a mapping of them, with a suppressed cell as HIDDEN."""
    if isinstance(value, dict):
        return {key: plain(cell) for key, cell in value.items()}
    return HIDDEN if isinstance(value, Suppressed) else value


def goal_rows(response) -> dict[str, list]:
    return {row[0]: row for row in table(response, "goals").rows}


def month_total(counts, network_id: int, month: datetime.date) -> int | None:
    """The network's approved count of the month; None where no report of the month is approved."""
    found = [n for (net, _, m), n in counts.items() if (net, m) == (network_id, month)]
    return sum(found) if found else None


@pytest.mark.parametrize("seed", [1, 2])
def test_dashboard_figures_equal_a_direct_count(
    world, kansas, client_for, seed, django_capture_on_commit_callbacks
):
    months = recent_months(6)
    hispanic = Category.objects.get(breakdown__code="ethnicity", code="hispanic")
    everyone = GoalFactory(network=world.network)
    focus = GoalFactory(
        network=world.network, population=hispanic, target_kind=TargetKind.NUMBER, target_value=50
    )
    for _, organization in kansas[:4]:
        CommitmentFactory(goal=everyone, organization=organization, amount=25)
    with django_capture_on_commit_callbacks(execute=True):
        random_history(random.Random(seed), kansas, months, world.admin, steps=80)
    assert MonthlyReport.objects.filter(status=ReportStatus.APPROVED).count() >= 8

    def check() -> None:
        counts = direct_counts()
        hispanic_counts = direct_counts(breakdown="ethnicity", category="hispanic")
        query = {"start": f"{months[0]:%Y-%m}", "end": f"{months[-1]:%Y-%m}"}

        # Backbone staff: the trend, each goal, each partner.
        board = client_for(world.backbone).get(reverse("goals:dashboard_network", args=["kansas"]), query)
        kansas_id = world.network.pk
        expected = {f"{month:%B %Y}": month_total(counts, kansas_id, month) for month in months}
        assert by_month(table(board, "trend")) == expected
        reporting = complete_months(world.network, months)
        assert by_month(table(board, "trend"), 2) == {
            f"{month:%B %Y}": f"{received} of {expected_} reported"
            + ("" if received == expected_ else ", provisional")
            for month, (expected_, received) in reporting.items()
        }
        counted_to = counted_to_direct(world.network, months)
        counted = {f"{m:%B %Y}" for m in months if counted_to and m <= counted_to}
        goals = {row[0]: row for row in table(board, "goals").rows}
        assert goals[everyone.name][8] == sum(n for label, n in expected.items() if n and label in counted)
        assert goals[focus.name][8] == sum(
            n for (net, _, m), n in hispanic_counts.items() if net == kansas_id and f"{m:%B %Y}" in counted
        )
        partners = {row[0]: row for row in table(board, "partners").rows}
        for network, organization in kansas[:4]:
            own_to = counted_to_direct_for(network, organization, months)
            own = [
                (m, n) for (net, org, m), n in counts.items() if (net, org) == (network.pk, organization.pk)
            ]
            assert partners[organization.name][2] == sum(n for m, n in own if own_to and m <= own_to)
            assert partners[organization.name][3] == (f"{own_to:%B %Y}" if own_to else None)
            assert partners[organization.name][5] == sum(n for _, n in own)  # in the period
            assert partners[organization.name][1] == 25

        # A partner: its own trend beside the network's, which is suppressed where the rest is small.
        page = client_for(world.partner).get(
            reverse("goals:dashboard_partner", args=["kansas", world.supplier.pk]), query
        )
        own = {
            f"{month:%B %Y}": counts.get((kansas_id, world.supplier.pk, month))  # None: nothing approved
            for month in months
        }
        assert by_month(table(page, "trend"), 1) == own
        network_shown = plain(by_month(table(page, "trend"), 2))
        for month, (owed, received) in reporting.items():
            label = f"{month:%B %Y}"
            count, rest = expected[label], (expected[label] or 0) - (own[label] or 0)
            if count is None:
                assert network_shown[label] is None
            elif received < owed or 0 < rest < 11:  # provisional, or a small rest: never shown
                assert network_shown[label] == HIDDEN
            else:  # shown, or hidden so that another count cannot be worked out
                assert network_shown[label] in (count, HIDDEN)
        everyone_so_far = sum(n for label, n in expected.items() if n and label in counted)
        assert plain(goal_rows(page)[everyone.name][8]) == (
            HIDDEN if any(network_shown[label] == HIDDEN for label in counted) else everyone_so_far
        )
        own_to = counted_to_direct_for(world.network, world.supplier, months)
        assert table(page, "commitments").rows[0][7] == sum(
            n for m, n in zip(months, own.values(), strict=True) if n and own_to and m <= own_to
        )
        assert not any(organization.name in page.content.decode() for _, organization in kansas[1:])

        # The state: each network, suppressed where a month's rest (less the partner sharing with the
        # state) is small, and the state's total, suppressed where it could give such a month away.
        page = client_for(world.state_viewer).get(reverse("goals:dashboard_state", args=["KS"]), query)
        networks = {row[0]: row for row in table(page, "networks").rows}
        sharing = kansas[1][1]  # "Supplier 0" shares its figures with the state; no one else does
        for network in {network for network, _ in kansas if network.state.code == "KS"}:
            complete = [m for m, (owed, got) in complete_months(network, months).items() if got == owed]
            total = sum(month_total(counts, network.pk, month) or 0 for month in complete)
            small = [
                month
                for month in complete
                if published(
                    month_total(counts, network.pk, month),
                    known=counts.get((network.pk, sharing.pk, month), 0),
                )
                == HIDDEN
            ]
            in_period = plain(networks[network.name][4])
            assert (in_period == HIDDEN) if small else (in_period in (total or None, total, HIDDEN))
        statewide = sum(n for (net, _, _), n in counts.items() if net != world.other_network.pk)
        trend = table(page, "trend")
        state_total = plain(trend.rows[-1][list(trend.columns).index("All of Kansas")])
        assert state_total in (statewide, HIDDEN)
        reported = [n for (_, org, _), n in counts.items() if org == sharing.pk]
        expected_shared = [[sharing.name, world.network.name, sum(reported)]] if reported else []
        assert table(page, "partners-sharing").rows == expected_shared
        content = page.content.decode()
        for _, organization in kansas[2:]:
            assert organization.name not in content  # no identified figure of a partner not sharing

        # Site administrators: every state.
        page = client_for(world.admin).get(reverse("goals:dashboard_states"), query)
        states = {row[0]: plain(row[3]) for row in table(page, "states").rows}
        assert states["Kansas"] == plain(networks[world.network.name][4]) or states["Kansas"] == HIDDEN
        utah_complete = [
            m for m, (owed, got) in complete_months(world.other_network, months).items() if got == owed
        ]
        utah = [month_total(counts, world.other_network.pk, month) for month in utah_complete]
        assert states["Utah"] == (
            HIDDEN if HIDDEN in map(published, utah) else sum(n for n in utah if n)
        )  # one partner: the network's count is its own, suppressed where small

    check()  # after the incremental rollups
    for report in MonthlyReport.objects.all():
        rollups.rollup_report(report_id=report.pk)
    check()  # after the incremental rollups ran twice
    assert rollups.rollup_rebuild()
    check()  # after a rebuild


# CSV downloads match the tables


class Tables(HTMLParser):
    """The text of every body cell of each table, by the table's caption."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.caption: str | None = None
        self.rows: list[list[str]] = []
        self.in_caption = self.in_body = self.in_cell = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.caption, self.rows = "", []
        elif tag == "caption":
            self.in_caption = True
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self.in_body:
            self.in_cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self.in_caption = False
        elif tag == "tbody":
            self.in_body = False
        elif tag in ("td", "th"):
            self.in_cell = False
        elif tag == "table":
            self.tables[" ".join(self.caption.split())] = [
                [" ".join(c.split()) for c in r] for r in self.rows
            ]

    def handle_data(self, data: str) -> None:
        if self.in_caption:
            self.caption += data
        elif self.in_cell:
            self.rows[-1][-1] += data


def html_tables(response) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(response.content.decode())
    return parser.tables


def assert_downloads_match(client, url: str, query: dict[str, str]) -> int:
    page = client.get(url, query)
    shown = html_tables(page)
    checked = 0
    for table_ in page.context["board"].tables:
        download = client.get(url, {**query, "download": table_.slug})
        assert download["Content-Type"].startswith("text/csv")
        assert download["Content-Disposition"] == f'attachment; filename="{table_.slug}.csv"'
        header, *rows = csv.reader(io.StringIO(download.content.decode("utf-8-sig")))
        assert header == list(table_.columns)
        html = shown[table_.caption]
        if not rows:
            assert html == [["Nothing to show yet."]]
            continue
        assert len(rows) == len(html), table_.caption
        for csv_row, html_row in zip(rows, html, strict=True):
            assert [value or "—" for value in csv_row] == html_row, table_.caption
        checked += 1
    return checked


def test_csv_downloads_match_the_tables(world, kansas, client_for, django_capture_on_commit_callbacks):
    months = recent_months(4)
    goal = GoalFactory(network=world.network)
    CommitmentFactory(goal=goal, organization=world.supplier, amount=12)
    with django_capture_on_commit_callbacks(execute=True):
        for n, (network, organization) in enumerate(kansas):
            for month in months:
                report_approved(
                    network=network,
                    organization=organization,
                    month=month,
                    totals={"enrollments": 3 + n, "referrals": 9},
                    user=world.admin,
                )
    query = {"start": f"{months[0]:%Y-%m}", "end": f"{months[-1]:%Y-%m}"}
    pages = [
        (world.backbone, reverse("goals:dashboard_network", args=["kansas"])),
        (world.partner, reverse("goals:dashboard_partner", args=["kansas", world.supplier.pk])),
        (world.state_viewer, reverse("goals:dashboard_state", args=["KS"])),
        (world.admin, reverse("goals:dashboard_states")),
    ]
    for user, url in pages:
        assert assert_downloads_match(client_for(user), url, query) >= 3, url


# Filters


def test_the_period_filter_and_its_errors(world, goal, client_for):
    client = client_for(world.backbone)
    url = reverse("goals:dashboard_network", args=["kansas"])
    default = client.get(url).context["board"].filters
    assert len(default.period.months) == 12 and default.measure.code == "enrollments"
    assert default.goal == goal
    last = month_add(today().replace(day=1), -1)
    assert default.period.last == last

    chosen = client.get(url, {"start": "2025-01", "end": "2025-03", "measure": "referrals"})
    filters = chosen.context["board"].filters
    assert filters.period.months == [datetime.date(2025, m, 1) for m in (1, 2, 3)]
    assert filters.measure.code == "referrals"
    assert [row[0] for row in table(chosen, "trend").rows] == [
        "January 2025",
        "February 2025",
        "March 2025",
        "All months",
    ]

    for query, message in [
        ({"start": "2025-03", "end": "2025-01"}, "The period cannot end before it starts."),
        ({"start": "March", "end": "2025-01"}, "Give a month as YYYY-MM"),
        ({"start": "2001-01", "end": "2025-01"}, "Choose a period of at most ten years."),
        ({"measure": "steps"}, "Select a valid choice."),
    ]:
        response = client.get(url, query)
        assert response.status_code == OK
        assert message in response.content.decode(), query
        assert response.context["board"].filters.period == default.period


# Queries do not grow with the number of partners or months; a repeated page is read from the cache


def add_partners(world, goal: Goal, n: int, months: list[datetime.date], capture) -> None:
    with capture(execute=True):
        for _ in range(n):
            supplier = SupplierFactory()
            MembershipFactory(
                network=world.network,
                organization=supplier,
                reports_monthly=True,
                data_sharing=DataSharing.BACKBONE_AND_STATE,
            )
            CommitmentFactory(goal=goal, organization=supplier, amount=10)
            for month in months:
                report_approved(
                    network=world.network,
                    organization=supplier,
                    month=month,
                    totals={"enrollments": 4},
                    user=world.admin,
                )


QUERIED_PAGES = [
    ("dashboard_network", "backbone"),
    ("dashboard_partner", "partner"),
    ("dashboard_state", "state_viewer"),
    ("dashboard_states", "admin"),
    ("goal_list", "backbone"),
    ("goal_commitments", "backbone"),
]
CACHED_PAGES = {"dashboard_network", "dashboard_partner", "dashboard_state", "dashboard_states"}


def test_pages_make_the_same_number_of_queries_as_partners_and_months_grow_tenfold(
    world, goal, client_for, django_capture_on_commit_callbacks
):
    """Every page's queries, when its figures are made (the cache empty) and when they are read from
    the cache, are as many for 30 partners with 20 months reported as for 3 partners with 2."""

    def queries() -> dict[str, tuple[int, int]]:
        counted = {}
        for page, role in QUERIED_PAGES:
            client, url = client_for(getattr(world, role)), urls(world, goal)[page]
            client.get(url)  # warms what Django caches per process (content types), whichever test ran before
            cache.clear()
            with CaptureQueriesContext(connection) as made:
                assert client.get(url).status_code == OK
            with CaptureQueriesContext(connection) as read:
                assert client.get(url).status_code == OK
            counted[page] = (len(made.captured_queries), len(read.captured_queries))
        return counted

    add_partners(world, goal, 1, recent_months(2), django_capture_on_commit_callbacks)  # 3 with the backbone
    small = queries()
    add_partners(world, goal, 27, recent_months(20), django_capture_on_commit_callbacks)  # 30 partners
    assert queries() == small
    for page, (made, read) in small.items():
        assert made < 80, page  # the cross-state dashboard solves each state on its own: a few a state
        if page in CACHED_PAGES:
            assert read < made, page


# Empty cases


def test_dashboards_without_goals_or_reports(world, client_for):
    page = client_for(world.backbone).get(reverse("goals:dashboard_network", args=["kansas"]))
    assert page.status_code == OK
    assert "The network has no shared goal yet." in page.content.decode()
    assert "goal" not in page.context["form"].fields
    assert page.context["board"].selected is None
    assert "No figures brought up to date yet" in page.content.decode()
    assert all(row[1] is None for row in table(page, "trend").rows[:-1])  # no month approved yet
    partner = client_for(world.partner).get(
        reverse("goals:dashboard_partner", args=["kansas", world.supplier.pk])
    )
    assert partner.status_code == OK and "has not committed to a goal" in partner.content.decode()
    texas = client_for(world.admin).get(reverse("goals:dashboard_state", args=["TX"]))  # no network there
    assert texas.status_code == OK and table(texas, "networks").rows == []


def test_members_read_the_goals_backbone_staff_change_them(world, goal, client_for):
    edit = reverse("goals:goal_edit", args=["kansas", goal.pk])
    page = client_for(world.partner).get(reverse("goals:goal_list", args=["kansas"]))
    assert goal.name in page.content.decode() and edit not in page.content.decode()
    page = client_for(world.backbone).get(reverse("goals:goal_list", args=["kansas"]))
    assert edit in page.content.decode()
    goal_row, standing = page.context["rows"][0]
    assert goal_row.committed == 40 and standing.goal == goal


# The figures' cache: never served once what they were made from changed


def test_cached_figures_are_never_served_after_a_rollup_or_a_rebuild_changed_them(
    world, goal, client_for, django_capture_on_commit_callbacks
):
    month = recent_months(1)[0]
    client, url = client_for(world.backbone), urls(world, goal)["dashboard_network"]

    def shown() -> int | None:
        return by_month(table(client.get(url), "trend")).get(f"{month:%B %Y}")

    def approve(organization, total: int) -> None:
        report_approved(
            network=world.network, organization=organization, month=month, totals={"enrollments": total},
            user=world.admin,
        )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):  # the rollup task, after the commit
        approve(world.supplier, 5)
    assert shown() == shown() == 5  # the second from the cache

    with django_capture_on_commit_callbacks(execute=True):
        approve(world.supplier, 8)  # a correction, rolled up by its task
    assert shown() == 8

    other = SupplierFactory()
    MembershipFactory(network=world.network, organization=other, reports_monthly=True)
    with rollups_deferred():  # rolled up by the nightly rebuild (set-based SQL, no model saved)
        approve(other, 4)
    assert shown() == 8
    assert rollups.rollup_rebuild()
    assert shown() == 12


def test_cached_figures_follow_a_goal_changed_and_a_partner_sharing_with_the_state(
    world, goal, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report_approved(
            network=world.network, organization=world.supplier, month=recent_months(1)[0],
            totals={"enrollments": 3}, user=world.admin,
        )  # fmt: skip
    backbone = client_for(world.backbone)
    network_url, state_url = urls(world, goal)["dashboard_network"], urls(world, goal)["dashboard_state"]
    assert backbone.get(network_url).context["board"].standings[0].progress.target == goal.target
    with django_capture_on_commit_callbacks(execute=True):
        goal.target_value += 100
        goal.save()
    assert backbone.get(network_url).context["board"].standings[0].progress.target == goal.target

    viewer = client_for(world.state_viewer)

    def identified() -> set[str]:
        return {row[0] for row in table(viewer.get(state_url), "partners-sharing").rows}

    assert world.supplier.name not in identified()
    with django_capture_on_commit_callbacks(execute=True):
        network_services.membership_set_data_sharing(
            membership=world.membership, data_sharing=DataSharing.BACKBONE_AND_STATE, changed_by=world.partner
        )
    assert world.supplier.name in identified()
