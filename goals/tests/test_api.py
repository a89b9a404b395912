"""GET /api/v1/networks/<slug>/progress/: the role matrix, what each role sees of the partners'
commitments, the figures against a direct count, bad filters, and queries that do not grow."""

import datetime
import random

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

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
)
from metrics.models import Category
from network.models import DataSharing, Network
from network.tests.factories import MembershipFactory
from partners.tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

ROLES = ["backbone", "admin", "partner", "state_viewer", "other_backbone", "other_partner", "outsider"]
URL = reverse("api:progress", args=["kansas"])


@pytest.fixture(autouse=True)
def months_stay_open(world) -> None:
    Network.objects.update(report_lock_days=400)
    world.network.refresh_from_db()


@pytest.fixture
def sharing(world):
    """A second supplier, sharing its figures with the state."""
    supplier = SupplierFactory(name="Sunflower Clinic")
    MembershipFactory(
        network=world.network,
        organization=supplier,
        reports_monthly=True,
        data_sharing=DataSharing.BACKBONE_AND_STATE,
    )
    return supplier


@pytest.fixture
def goal(world, sharing):
    goal = GoalFactory(network=world.network)
    CommitmentFactory(goal=goal, organization=world.supplier, amount=40)
    CommitmentFactory(goal=goal, organization=sharing, amount=25)
    return goal


def test_the_path_is_under_the_api():
    assert URL == "/api/v1/networks/kansas/progress/"


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(world, goal, api_for, role):
    response = api_for(getattr(world, role)).get(URL, {"measure": "enrollments"})
    expected = 200 if role in ("backbone", "admin", "partner", "state_viewer") else 404
    assert response.status_code == expected, response.content


def test_anonymous_gets_401(world, goal, api_for):
    response = api_for(None).get(URL)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Token")


def test_unknown_network_is_404(world, api_for):
    assert api_for(world.backbone).get("/api/v1/networks/nowhere/progress/").status_code == 404


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("backbone", {"Prairie YMCA", "Sunflower Clinic"}),
        ("admin", {"Prairie YMCA", "Sunflower Clinic"}),
        ("partner", {"Prairie YMCA"}),  # its own organization
        ("state_viewer", {"Sunflower Clinic"}),  # the partner sharing with the state
    ],
)
def test_commitments_are_identified_only_where_the_viewer_may_see_them(world, goal, api_for, role, shown):
    body = api_for(getattr(world, role)).get(URL).json()
    [found] = body["goals"]
    assert {c["organization"]["name"] for c in found["commitments"]} == shown
    hidden = {"Prairie YMCA": 40, "Sunflower Clinic": 25}
    # One partner's commitment summed alone would be that partner's own figure: withheld.
    one_unseen = len(shown) == 1
    assert found["commitments_summed"] == {
        "partners": 2 - len(shown),
        "amount": None if one_unseen else sum(a for name, a in hidden.items() if name not in shown),
    }
    assert found["committed"] == (None if one_unseen else 65)  # the goal's total is everyone's
    assert ("committed" in found["suppressed"]) == one_unseen


def test_progress_equals_a_direct_count(world, goal, sharing, api_for, django_capture_on_commit_callbacks):
    months = recent_months(6)
    hispanic = Category.objects.get(breakdown__code="ethnicity", code="hispanic")
    focus = GoalFactory(network=world.network, population=hispanic)
    with django_capture_on_commit_callbacks(execute=True):
        random_history(
            random.Random(3),
            [(world.network, world.supplier), (world.network, sharing)],
            months,
            world.admin,
            steps=50,
        )
    counts = direct_counts()
    by_ethnicity = direct_counts(breakdown="ethnicity", category="hispanic")
    body = api_for(world.backbone).get(URL, {"measure": "enrollments"}).json()
    assert body["network"] == "kansas" and body["measure"] == "enrollments"
    goals = {g["id"]: g for g in body["goals"]}
    counted_to = counted_to_direct(world.network, months)
    counted = [m for m in months if counted_to and m <= counted_to]
    so_far = sum(n for (_, _, m), n in counts.items() if m in counted)
    found = goals[goal.pk]
    assert found["counted_to"] == (f"{counted_to:%Y-%m}" if counted_to else None)
    assert found["actual"] == so_far
    assert found["target"] == goal.target == 120
    assert found["months_elapsed"] == len(counted) and found["months_total"] == 12
    assert found["outlook"] in ("on track", "at risk", "off track", "reached", "waiting for reports")
    # Every month over is listed: the counted ones add up, the provisional ones do not.
    assert [m["month"] for m in found["monthly"]] == [f"{m:%Y-%m}" for m in months]
    reporting = complete_months(world.network, months)
    for month, row in zip(months, found["monthly"], strict=True):
        assert (row["expected"], row["received"]) == reporting[month]
        assert row["complete"] == (reporting[month][0] == reporting[month][1])
        assert (row["so_far"] is None) == (month not in counted)
    if counted:
        assert found["monthly"][len(counted) - 1]["so_far"] == so_far
    if len(counted) < len(months):
        waiting = months[len(counted)]
        expected, received = reporting[waiting]
        assert (
            found["not_counted_because"]
            == f"{waiting:%B %Y}: {received} of {expected} partners have reported"
        )
    focus_counted = [m for m in counted if m >= focus.starts_on]
    assert goals[focus.pk]["actual"] == sum(n for (_, _, m), n in by_ethnicity.items() if m in focus_counted)
    assert goals[focus.pk]["population"] == {
        "breakdown": "ethnicity",
        "category": "hispanic",
        "name": "Hispanic or Latino",
    }
    commitments = {c["organization"]["id"]: c for c in found["commitments"]}
    for organization in (world.supplier, sharing):
        own = counted_to_direct_for(world.network, organization, months)
        assert commitments[organization.pk]["counted_to"] == (f"{own:%Y-%m}" if own else None)
        assert commitments[organization.pk]["actual"] == sum(
            n for (_, org, m), n in counts.items() if org == organization.pk and own and m <= own
        )
    series = {row["month"]: row["count"] for row in body["series"]}
    assert len(series) == 24 and body["series_to"] == f"{months[-1]:%Y-%m}"
    for month in months:
        assert series[f"{month:%Y-%m}"] == sum(n for (_, _, m), n in counts.items() if m == month)
    for row in body["series"]:
        month = datetime.date.fromisoformat(f"{row['month']}-01")
        if month in reporting:
            assert (row["expected"], row["received"]) == reporting[month]

    # Another measure: no goal counts referrals.
    body = api_for(world.backbone).get(URL, {"measure": "referrals", "month_from": "2026-01"}).json()
    assert body["goals"] == [] and body["series_from"] == "2026-01"


@pytest.mark.parametrize(
    ("query", "column"),
    [
        ({"measure": "steps"}, "measure"),
        ({"month_from": "January"}, "month_from"),
        ({"month_from": "2026-05", "month_to": "2026-01"}, "month_to"),
    ],
)
def test_bad_filters_get_a_400_that_says_why(world, goal, api_for, query, column):
    response = api_for(world.backbone).get(URL, query)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The filters were refused."
    assert [problem["column"] for problem in body["problems"]] == [column]
    assert all(problem["expected"] for problem in body["problems"])


def test_the_same_number_of_queries_for_3_and_15_partners(
    world, goal, api_for, django_assert_num_queries, django_capture_on_commit_callbacks
):
    months = recent_months(2)

    def add(n: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(n):
                supplier = SupplierFactory()
                MembershipFactory(network=world.network, organization=supplier, reports_monthly=True)
                CommitmentFactory(goal=goal, organization=supplier, amount=9)
                for month in months:
                    report_approved(
                        network=world.network,
                        organization=supplier,
                        month=month,
                        totals={"enrollments": 2},
                        user=world.admin,
                    )

    clients = {role: api_for(getattr(world, role)) for role in ("backbone", "partner", "state_viewer")}
    add(0)  # 3 partners with the backbone and the two suppliers
    for client in clients.values():  # Django caches content types on a first request
        assert client.get(URL).status_code == 200
    small = {}
    for role, client in clients.items():
        cache.clear()  # the figures made, then read from the cache
        with CaptureQueriesContext(connection) as made:
            assert client.get(URL).status_code == 200
        with CaptureQueriesContext(connection) as read:
            assert client.get(URL).status_code == 200
        small[role] = len(made.captured_queries), len(read.captured_queries)
        assert small[role][1] < small[role][0]
    add(12)  # 15 partners
    for role, client in clients.items():
        cache.clear()
        with django_assert_num_queries(small[role][0]):
            assert client.get(URL).status_code == 200
        with django_assert_num_queries(small[role][1]):
            assert client.get(URL).status_code == 200
