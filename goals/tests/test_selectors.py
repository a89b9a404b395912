"""The selectors read the rollups only, in one grouped query each however many partners, and give what a
direct count of the approved reports gives; progress, the filters, who sees identified figures, and the
services that write goals and commitments."""

import datetime
import random
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404, QueryDict
from django.test.utils import CaptureQueriesContext

from core.calendar import month_add
from goals import selectors, services
from goals.forms import dashboard_filters
from goals.models import Commitment, TargetKind
from goals.progress import Outlook
from goals.selectors import MonthPeriod, period_default
from goals.tests.factories import (
    CommitmentFactory,
    GoalFactory,
    complete_months,
    counted_to_direct,
    direct_counts,
    random_history,
    recent_months,
    report_approved,
    today,
)
from metrics import completeness
from metrics.models import Category, Measure, MonthlyReport, ReportStatus
from network import selectors as network_selectors
from network.models import DataSharing, Network
from network.selectors import Access, viewer_for
from network.tests.factories import MembershipFactory, NetworkFactory
from partners.tests.factories import SupplierFactory, state

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def months_stay_open(world) -> None:
    Network.objects.update(report_lock_days=400)
    world.network.refresh_from_db()


@pytest.fixture
def enrollments() -> Measure:
    return Measure.objects.get(code="enrollments")


@pytest.fixture
def hispanic() -> Category:
    return Category.objects.get(breakdown__code="ethnicity", code="hispanic")


@pytest.fixture
def pairs(world):
    """Three Kansas suppliers (the second shares with the state), one in a second Kansas network, and
    the Utah supplier."""
    second = NetworkFactory(slug="kc", state=state("KS"))
    found = [(world.network, world.supplier)]
    for n, network in enumerate([world.network, world.network, second]):
        supplier = SupplierFactory(name=f"Supplier {n}")
        sharing = DataSharing.BACKBONE_AND_STATE if n == 0 else DataSharing.BACKBONE_ONLY
        MembershipFactory(network=network, organization=supplier, reports_monthly=True, data_sharing=sharing)
        found.append((network, supplier))
    found.append((world.other_network, world.other_network.memberships.get().organization))
    Network.objects.update(report_lock_days=400)
    return [(Network.objects.get(pk=network.pk), organization) for network, organization in found]


@pytest.fixture
def history(world, pairs, django_capture_on_commit_callbacks):
    months = recent_months(8)
    with django_capture_on_commit_callbacks(execute=True):
        random_history(random.Random(7), pairs, months, world.admin, steps=90)
    assert MonthlyReport.objects.filter(status=ReportStatus.APPROVED).count() > 10
    return months


def no_reports_read(queries) -> None:
    for query in queries:
        sql = query["sql"].lower()
        assert "metrics_monthlyreport" not in sql and "metrics_reportvalue" not in sql, sql


# Periods


def test_month_periods():
    period = MonthPeriod(first=D(2025, 11, 1), last=D(2026, 2, 1))
    assert period.months == [D(2025, 11, 1), D(2025, 12, 1), D(2026, 1, 1), D(2026, 2, 1)]
    assert str(period) == "November 2025 to February 2026"
    assert str(MonthPeriod(first=D(2026, 2, 1), last=D(2026, 2, 1))) == "February 2026"
    assert period_default(today=D(2026, 11, 23)) == MonthPeriod(first=D(2025, 11, 1), last=D(2026, 10, 1))


# The rollups against a direct count


def test_network_state_and_partner_series_equal_a_direct_count(world, pairs, history, enrollments, hispanic):
    period = MonthPeriod(first=history[0], last=history[-1])
    counts = direct_counts()
    network_ids = sorted({network.pk for network, _ in pairs})
    kansas_state, utah_state = state("KS"), state("UT")
    with CaptureQueriesContext(connection) as queries:
        networks = selectors.network_series(network_ids=network_ids, measure_id=enrollments.pk, period=period)
        states = selectors.state_series(
            state_ids=[kansas_state.pk, utah_state.pk], measure_id=enrollments.pk, period=period
        )
        own = selectors.partner_series(
            network=world.network, organization_id=world.supplier.pk, measure_id=enrollments.pk, period=period
        )
    assert len(queries.captured_queries) == 3
    no_reports_read(queries.captured_queries)
    for network_id in network_ids:
        expected = {
            month: sum(n for (net, _, m), n in counts.items() if (net, m) == (network_id, month))
            for month in history
        }
        assert {m: networks[network_id].get(m, 0) for m in history} == expected
    kansas = {
        m: sum(n for (net, _, mm), n in counts.items() if mm == m and net != world.other_network.pk)
        for m in history
    }
    assert {m: states[kansas_state.pk].get(m, 0) for m in history} == kansas
    assert {m: own.get(m, 0) for m in history} == {
        m: counts[world.network.pk, world.supplier.pk, m] for m in history
    }

    by_ethnicity = direct_counts(breakdown="ethnicity", category="hispanic")
    focus = selectors.network_series(
        network_ids=[world.network.pk], measure_id=enrollments.pk, category_id=hispanic.pk, period=period
    )
    assert sum(focus[world.network.pk].values()) == sum(
        n for (net, _, _), n in by_ethnicity.items() if net == world.network.pk
    )


def test_partner_sums_and_counts_toward_goals_in_one_group_by_each(
    world, pairs, history, enrollments, hispanic, django_assert_num_queries
):
    everyone = GoalFactory(network=world.network, starts_on=history[2], deadline=month_add(history[2], 12))
    focus = GoalFactory(network=world.network, population=hispanic, starts_on=history[0])
    period = MonthPeriod(first=history[-3], last=history[-1])
    with django_assert_num_queries(1):
        sums = selectors.partner_sums(
            network_ids=[world.network.pk], measure_id=enrollments.pk, period=period
        )
    kansas_partners = [organization.pk for network, organization in pairs if network == world.network]
    with django_assert_num_queries(1):
        toward = selectors.goal_series_by_partner(goals=[everyone, focus], organization_ids=kansas_partners)
    counts = direct_counts()
    by_ethnicity = direct_counts(breakdown="ethnicity", category="hispanic")
    assert {row.organization_id for row in sums} <= set(kansas_partners)
    for row in sums:
        own = {
            m: n
            for (net, org, m), n in counts.items()
            if (net, org) == (world.network.pk, row.organization_id)
        }
        assert row.in_period == sum(n for m, n in own.items() if m >= history[-3])
    for pk in kansas_partners:
        own = {m: n for (net, org, m), n in counts.items() if (net, org) == (world.network.pk, pk) and n}
        assert {m: n for m, n in toward.get((everyone.pk, pk), {}).items() if n} == {
            m: n for m, n in own.items() if m >= history[2]
        }
        assert sum(toward.get((focus.pk, pk), {}).values()) == sum(
            n for (net, org, _), n in by_ethnicity.items() if (net, org) == (world.network.pk, pk)
        )

    shared = selectors.partner_sums(
        network_ids=[n.pk for n, _ in pairs],
        measure_id=enrollments.pk,
        period=period,
        shared_with_state_only=True,
    )
    assert {row.organization_id for row in shared} <= {pairs[1][1].pk}


def test_goal_series_and_standings(world, history, enrollments, hispanic, django_assert_num_queries):
    everyone = GoalFactory(network=world.network, starts_on=history[0])
    focus = GoalFactory(network=world.network, population=hispanic, starts_on=history[4])
    elsewhere = GoalFactory(network=world.other_network, starts_on=history[0])
    CommitmentFactory(goal=everyone, organization=world.supplier, amount=30)
    goals = list(selectors.goals_of(network_ids=[world.network.pk, world.other_network.pk]))
    with django_assert_num_queries(3):  # the goals' counts, then the reports expected and in
        standings = selectors.goal_standings(goals=goals, today=today())
    counts, by_ethnicity = direct_counts(), direct_counts(breakdown="ethnicity", category="hispanic")
    found = {standing.goal.pk: standing for standing in standings}
    kansas_to = counted_to_direct(world.network, history)
    utah_to = counted_to_direct(world.other_network, history)
    assert found[everyone.pk].counted_to == kansas_to
    assert found[everyone.pk].progress.actual == sum(
        n for (net, _, m), n in counts.items() if net == world.network.pk and kansas_to and m <= kansas_to
    )
    focus_to = counted_to_direct(world.network, history[4:])
    assert found[focus.pk].counted_to == focus_to
    assert found[focus.pk].progress.actual == sum(
        n
        for (net, _, m), n in by_ethnicity.items()
        if net == world.network.pk and focus_to and history[4] <= m <= focus_to
    )
    assert found[elsewhere.pk].counted_to == utah_to
    assert found[elsewhere.pk].progress.actual == sum(
        n for (net, _, m), n in counts.items() if net == world.other_network.pk and utah_to and m <= utah_to
    )
    assert found[everyone.pk].committed == 30 and found[focus.pk].committed == 0
    assert found[everyone.pk].coverage == 30 / everyone.target
    # Every month after the last counted is provisional, with its reports expected and in said.
    direct = complete_months(world.network, history)
    for reporting in found[everyone.pk].counting.provisional:
        assert (reporting.expected, reporting.received) == direct[reporting.month]


def test_progress_from_the_rollups_worked_example(world, enrollments, django_capture_on_commit_callbacks):
    months = recent_months(3)
    goal = GoalFactory(
        network=world.network,
        starts_on=months[0],
        deadline=month_add(months[0], 6) - datetime.timedelta(days=1),
        target_kind=TargetKind.NUMBER,
        target_value=Decimal(60),
    )
    with django_capture_on_commit_callbacks(execute=True):
        for month, count in zip(months, (8, 10, 12), strict=True):
            report_approved(
                network=world.network,
                organization=world.supplier,
                month=month,
                totals={"enrollments": count},
                user=world.admin,
            )
    standing = selectors.goal_standings(
        goals=list(selectors.goals_of(network_ids=[world.network.pk])), today=today()
    )[0]
    progress = standing.progress
    assert (progress.actual, progress.months_elapsed, progress.months_total) == (30, 3, 6)
    assert progress.expected_by_now == 30 and progress.pace == 1.0
    assert progress.run_rate == 10 and progress.projected == 60 and progress.outlook == Outlook.ON_TRACK
    assert progress.needed_per_month == 10
    assert (
        selectors.commitment_standings(network=world.network, organization=world.supplier, today=today())
        == []
    )
    CommitmentFactory(goal=goal, organization=world.supplier, amount=40)
    [commitment] = selectors.commitment_standings(
        network=world.network, organization=world.supplier, today=today()
    )
    assert commitment.progress.target == 40 and commitment.progress.actual == 30
    assert commitment.progress.outlook == Outlook.ON_TRACK


def test_reporting_by_month_equals_a_direct_count_and_freshness(world, pairs, history):
    networks = list({network.pk: network for network, _ in pairs}.values())
    found = completeness.reporting_by_month(
        networks=networks, first=history[0], last=month_add(history[-1], 1), today=today()
    )
    for network in networks:
        assert list(found[network.pk]) == history  # the current month is not over: not there
        direct = complete_months(network, history)
        for month, reporting in found[network.pk].items():
            assert (reporting.expected, reporting.received) == direct[month]
            assert reporting.complete == (reporting.received == reporting.expected)
    fresh = selectors.freshness(network_ids=[world.network.pk, world.other_network.pk])
    assert fresh.earliest is not None and fresh.earliest <= fresh.latest


# Who sees identified figures


def test_identified_figures(world, pairs):
    network, sharing, not_sharing = world.network, pairs[1][1].pk, pairs[2][1].pk
    n = network.pk
    backbone = viewer_for(user=world.backbone, network=network, access=Access.MANAGE)
    assert all(backbone.knows(n, pk) for pk in (sharing, not_sharing, world.supplier.pk))
    partner = viewer_for(user=world.partner, network=network, access=Access.VIEW)
    assert partner.knows(n, world.supplier.pk) and not partner.knows(n, sharing)
    assert not partner.knows(n, not_sharing)
    viewer = viewer_for(user=world.state_viewer, network=network, access=Access.VIEW)
    assert viewer.knows(n, sharing) and not viewer.knows(n, not_sharing)
    assert not viewer.knows(n, world.supplier.pk)

    with pytest.raises(PermissionDenied):
        selectors.partner_get_for_dashboard(
            user=world.state_viewer, network=network, access=Access.VIEW, organization_id=not_sharing
        )
    organization, _ = selectors.partner_get_for_dashboard(
        user=world.state_viewer, network=network, access=Access.VIEW, organization_id=sharing
    )
    assert organization.pk == sharing
    with pytest.raises(Http404):
        selectors.partner_get_for_dashboard(
            user=world.backbone, network=network, access=Access.MANAGE, organization_id=pairs[-1][1].pk
        )


def test_the_state_dashboard_is_the_state_viewers(world):
    assert network_selectors.state_get_for_viewer(user=world.state_viewer, code="ks") == state("KS")
    assert network_selectors.state_get_for_viewer(user=world.admin, code="UT") == state("UT")
    for user in (world.backbone, world.partner):
        with pytest.raises(PermissionDenied):
            network_selectors.state_get_for_viewer(user=user, code="KS")
    for user, code in ((world.other_backbone, "KS"), (world.outsider, "KS"), (world.state_viewer, "ZZ")):
        with pytest.raises(Http404):
            network_selectors.state_get_for_viewer(user=user, code=code)


# The dashboards' filters


def test_dashboard_filters(world):
    measures = selectors.measures()
    now = D(2026, 11, 23)
    ended = GoalFactory(network=world.network, starts_on=D(2025, 1, 1), deadline=D(2025, 12, 31))
    running = GoalFactory(network=world.network, starts_on=D(2026, 1, 1), deadline=D(2026, 12, 31))
    form, filters = dashboard_filters(QueryDict(""), today=now, measures=measures, goals=[ended, running])
    assert not form.is_bound
    assert filters.period == MonthPeriod(first=D(2025, 11, 1), last=D(2026, 10, 1))
    assert filters.measure.code == "enrollments" and filters.goal == running

    form, filters = dashboard_filters(
        QueryDict(f"start=2026-01&end=2026-06&measure=referrals&goal={ended.pk}"),
        today=now,
        measures=measures,
        goals=[ended, running],
    )
    assert form.is_valid()
    assert filters.period.months[0] == D(2026, 1, 1) and len(filters.period.months) == 6
    assert filters.measure.code == "referrals" and filters.goal == ended

    form, filters = dashboard_filters(QueryDict("goal=999999"), today=now, measures=measures, goals=[running])
    assert "goal" in form.errors and filters.goal == running
    form, filters = dashboard_filters(QueryDict("end=2026-06"), today=now, measures=measures)
    assert form.is_valid() and filters.period == MonthPeriod(first=D(2025, 11, 1), last=D(2026, 6, 1))


# Services


def goal_fields(world, **overrides):
    return {
        "network": world.network,
        "name": " Enrollment up 20 % ",
        "measure": Measure.objects.get(code="enrollments"),
        "population": None,
        "baseline_start": D(2024, 10, 1),
        "baseline_end": D(2025, 9, 30),
        "baseline_value": 400,
        "target_kind": TargetKind.PERCENT_INCREASE,
        "target_value": Decimal(20),
        "starts_on": D(2026, 1, 1),
        "deadline": D(2026, 12, 31),
    } | overrides


def test_goal_services(world, hispanic):
    goal = services.goal_create(**goal_fields(world))
    assert goal.name == "Enrollment up 20 %" and goal.target == 480
    goal = services.goal_update(
        goal=goal, population=hispanic, target_kind=TargetKind.NUMBER, target_value=Decimal(90)
    )
    assert goal.target == 90 and goal.population == hispanic
    with pytest.raises(TypeError):
        services.goal_update(goal=goal, network=world.other_network)
    total = Category.objects.get(breakdown__code="total")
    with pytest.raises(ValidationError) as refused:
        services.goal_create(
            **goal_fields(
                world,
                population=total,
                deadline=D(2025, 12, 1),
                target_value=Decimal(-1),
                baseline_end=D(2026, 2, 1),
            )
        )
    assert set(refused.value.message_dict) == {"population", "deadline", "target_value", "baseline_end"}


def test_commitment_services(world, pairs):
    goal = GoalFactory(network=world.network)
    assert services.commitment_set(goal=goal, organization=world.supplier, amount=25).amount == 25
    assert services.commitment_set(goal=goal, organization=world.supplier, amount=30).amount == 30
    assert Commitment.objects.get(goal=goal).amount == 30
    assert services.commitment_set(goal=goal, organization=world.supplier, amount=0) is None
    assert not Commitment.objects.exists()
    for organization in (world.network.backbone, pairs[-1][1], pairs[3][1]):  # backbone, Utah, other network
        with pytest.raises(ValidationError):
            services.commitment_set(goal=goal, organization=organization, amount=5)
    with pytest.raises(ValidationError):
        services.commitment_set(goal=goal, organization=world.supplier, amount=-1)
    with pytest.raises(ValidationError):
        services.commitments_set(goal=goal, amounts={world.supplier: 5, world.network.backbone: 5})
    assert not Commitment.objects.exists()  # all or none
