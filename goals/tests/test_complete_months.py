"""Progress counts complete months only: worked examples of a network of five partners where one reports
ahead of the others, the completeness threshold, partners joining and leaving, "nothing to report", and
partners that do not report monthly."""

import datetime
from decimal import Decimal

import pytest

from core.calendar import month_add
from goals import selectors
from goals.models import TargetKind
from goals.progress import Outlook
from goals.tests.factories import GoalFactory, recent_months, report_approved, submit, today
from metrics import services
from network.models import Network
from network.tests.factories import MembershipFactory
from partners.tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

MONTHS = recent_months(6)  # the six months over before this one, oldest first


@pytest.fixture
def five(world) -> list:
    """The Kansas network's five suppliers that report monthly: the world's and four more."""
    Network.objects.filter(pk=world.network.pk).update(report_lock_days=400)
    world.network.refresh_from_db()
    partners = [world.supplier]
    for n in range(4):
        supplier = SupplierFactory(name=f"Supplier {n}")
        MembershipFactory(network=world.network, organization=supplier, reports_monthly=True)
        partners.append(supplier)
    return partners


@pytest.fixture
def goal(world):
    """300 enrollments over the twelve months from six months ago."""
    return GoalFactory(
        network=world.network,
        starts_on=MONTHS[0],
        deadline=month_add(MONTHS[0], 12) - datetime.timedelta(days=1),
        target_kind=TargetKind.NUMBER,
        target_value=Decimal(300),
    )


def approve(world, organization, month, count) -> None:
    report_approved(
        network=world.network,
        organization=organization,
        month=month,
        totals={"enrollments": count},
        user=world.admin,
    )


def standing_of(world) -> selectors.GoalStanding:
    [standing] = selectors.goal_standings(
        goals=list(selectors.goals_of(network_ids=[world.network.pk])), today=today()
    )
    return standing


def figures(standing: selectors.GoalStanding) -> tuple:
    p = standing.progress
    return (standing.counted_to, p.actual, p.pace, p.run_rate, p.projected, p.outlook, p.needed_per_month)


def test_an_early_report_changes_nothing_until_the_month_is_complete(
    world, five, goal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for month in MONTHS[:3]:
            for partner in five:
                approve(world, partner, month, 5)
    before = standing_of(world)
    # 75 from three complete months of twelve: on a straight line (75 expected), 25 a month.
    assert figures(before) == (MONTHS[2], 75, 1.0, 25.0, 300.0, Outlook.ON_TRACK, 25.0)
    assert before.counting.why == f"{MONTHS[3]:%B %Y}: 0 of 5 partners have reported"

    # One partner reports two months ahead of the others, with a small count: nothing moves.
    with django_capture_on_commit_callbacks(execute=True):
        approve(world, five[0], MONTHS[3], 1)
        approve(world, five[0], MONTHS[4], 1)
    after = standing_of(world)
    assert figures(after) == figures(before)
    provisional = after.counting.provisional
    assert [(r.month, r.expected, r.received, r.complete) for r in provisional[:2]] == [
        (MONTHS[3], 5, 1, False),
        (MONTHS[4], 5, 1, False),
    ]
    assert after.monthly[MONTHS[3]] == 1  # shown, as provisional
    assert after.counting.why == f"{MONTHS[3]:%B %Y}: 1 of 5 partners have reported"

    # The last expected report of the fourth month arrives: it is complete and counts.
    with django_capture_on_commit_callbacks(execute=True):
        for partner in five[1:4]:
            approve(world, partner, MONTHS[3], 5)
        submitted = submit(
            network=world.network,
            organization=five[4],
            month=MONTHS[3],
            totals={"enrollments": 5},
            user=world.admin,
        )
        assert standing_of(world).counted_to == MONTHS[2]  # submitted is not yet in
        services.report_approve(report=submitted, version=submitted.current_version.number, user=world.admin)
    done = standing_of(world)
    assert done.counted_to == MONTHS[3]
    assert done.progress.actual == 75 + 21 and done.progress.months_elapsed == 4
    assert done.progress.run_rate == pytest.approx((25 + 25 + 21) / 3)
    assert done.counting.why == f"{MONTHS[4]:%B %Y}: 1 of 5 partners have reported"


def test_the_threshold_completes_a_month_with_one_report_missing(
    world, five, goal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for partner in five[:4]:
            approve(world, partner, MONTHS[0], 10)
    assert standing_of(world).counted_to is None
    assert standing_of(world).progress.outlook == Outlook.WAITING
    Network.objects.filter(pk=world.network.pk).update(completeness_threshold=80)
    standing = standing_of(world)
    assert standing.counted_to == MONTHS[0] and standing.progress.actual == 40
    Network.objects.filter(pk=world.network.pk).update(completeness_threshold=90)
    assert standing_of(world).counted_to is None  # 4 of 5 is 80 %, under 90 %


def test_partners_joining_and_leaving_are_expected_only_while_members(
    world, goal, django_capture_on_commit_callbacks
):
    Network.objects.filter(pk=world.network.pk).update(report_lock_days=400)
    world.network.refresh_from_db()
    # One partner leaves during the second month, another joins during the fourth.
    leaving = SupplierFactory(name="Leaving Clinic")
    MembershipFactory(
        network=world.network,
        organization=leaving,
        reports_monthly=True,
        left_on=MONTHS[1] + datetime.timedelta(days=9),
    )
    joining = SupplierFactory(name="New YMCA")
    MembershipFactory(
        network=world.network,
        organization=joining,
        reports_monthly=True,
        joined_on=MONTHS[3] + datetime.timedelta(days=20),
    )
    with django_capture_on_commit_callbacks(execute=True):
        for month in MONTHS[:4]:
            approve(world, world.supplier, month, 4)
        for month in MONTHS[:2]:
            approve(world, leaving, month, 2)
    standing = standing_of(world)
    expected = {r.month: r.expected for r in standing.counting.reporting.values()}
    assert [expected[m] for m in MONTHS[:5]] == [2, 2, 1, 2, 2]
    assert standing.counted_to == MONTHS[2]  # the new partner's first month is not in
    with django_capture_on_commit_callbacks(execute=True):
        approve(world, joining, MONTHS[3], 3)
    standing = standing_of(world)
    assert standing.counted_to == MONTHS[3]
    assert standing.progress.actual == 4 * 4 + 2 * 2 + 3


def test_nothing_to_report_is_in_and_a_partner_not_reporting_monthly_holds_nothing_open(
    world, goal, django_capture_on_commit_callbacks
):
    Network.objects.filter(pk=world.network.pk).update(report_lock_days=400)
    world.network.refresh_from_db()
    quiet = SupplierFactory(name="Quiet Clinic")
    MembershipFactory(network=world.network, organization=quiet, reports_monthly=True)
    occasional = SupplierFactory(name="Occasional Church")
    MembershipFactory(network=world.network, organization=occasional, reports_monthly=False)
    with django_capture_on_commit_callbacks(execute=True):
        approve(world, world.supplier, MONTHS[0], 6)
        services.report_nothing_to_report(
            network=world.network,
            organization=quiet,
            month=MONTHS[0],
            user=None,
            today=MONTHS[1] + datetime.timedelta(days=2),
        )
    standing = standing_of(world)
    # Submitted "nothing to report" is in, not yet approved; the occasional partner owes nothing.
    assert standing.counted_to == MONTHS[0]
    assert standing.counting.reporting[MONTHS[0]].expected == 2
    assert standing.progress.actual == 6
    with django_capture_on_commit_callbacks(execute=True):
        approve(world, occasional, MONTHS[1], 9)  # welcome, but it completes nothing
    standing = standing_of(world)
    assert standing.counted_to == MONTHS[0]
    assert standing.counting.reporting[MONTHS[1]].received == 0


def test_a_partners_commitment_is_counted_over_its_own_months(
    world, five, goal, django_capture_on_commit_callbacks
):
    goal.commitments.create(organization=five[0], amount=60)
    with django_capture_on_commit_callbacks(execute=True):
        for month in MONTHS[:3]:
            approve(world, five[0], month, 5)
        approve(world, five[0], MONTHS[4], 50)  # the fourth month is not in
    [commitment] = selectors.commitment_standings(network=world.network, organization=five[0], today=today())
    assert commitment.counted_to == MONTHS[2] and commitment.progress.actual == 15
    so_far = selectors.partners_so_far(
        network=world.network, goals=[goal], organization_ids=[five[0].pk], today=today()
    )
    assert so_far[goal.pk, five[0].pk].so_far == 15
    assert so_far[goal.pk, five[0].pk].counting.counted_to == MONTHS[2]
    # The network counts nothing: the other four have not reported.
    assert standing_of(world).counted_to is None
