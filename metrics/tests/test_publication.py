"""The publication layer (`metrics.publication`) through the real models: which of a network's counts a
viewer is published, and that nothing hidden can be worked out from everything published.

The worked data: in one Kansas network the viewer's own organization and two other partners, all
reporting monthly, report January to July 2025 through the reporting services (each breakdown split at
random); the third partner has not reported June, so June is provisional. The rest (the network's
count less the viewer's own) of each month:

    January 5 (small), February 0, March 35, April 11, May 10 (small), June provisional, July 23.

The first quarter is complete; the second is not (June); only July of the third is over.
"""

import datetime
from collections.abc import Sequence

import numpy as np
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.calendar import quarter_months
from core.disclosure import Reason
from metrics.catalogue import TOTAL_BREAKDOWN, TOTAL_CATEGORY
from metrics.models import (
    Breakdown,
    Category,
    Measure,
    MonthlyReport,
    PartnerFigure,
    ReportSource,
    ReportStatus,
    ReportValue,
    ReportVersion,
    RollupNetworkMonth,
)
from metrics.publication import NO_DATA, Baseline, Figure, publications
from metrics.tests.factories import report_approved
from network.selectors import Viewer
from network.tests.factories import MembershipFactory, NetworkFactory, UserFactory
from partners.tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

MONTHS = [datetime.date(2025, month, 1) for month in range(1, 8)]
JAN, FEB, MAR, APR, MAY, JUN, JUL = MONTHS
Q1, Q2, Q3 = datetime.date(2025, 1, 1), datetime.date(2025, 4, 1), datetime.date(2025, 7, 1)
TODAY = datetime.date(2025, 8, 20)  # July is the last month over
OWN = [30, 10, 5, 0, 12, 8, 3]
SECOND = [3, 0, 20, 7, 10, 25, 14]
THIRD = [2, 0, 15, 4, 0, None, 9]  # June not reported
REST = [5, 0, 35, 11, 10, 25, 23]  # June's from the reports in so far
NETWORK = [35, 10, 40, 11, 22, 33, 26]


def enrollments() -> Measure:
    return Measure.objects.get(code="enrollments")


@pytest.fixture
def reported(django_capture_on_commit_callbacks):
    """The network, its three partners (the viewer's own first) and their approved reports."""
    network = NetworkFactory()
    partners = [SupplierFactory(name=name) for name in ("Own Clinic", "Second YMCA", "Third Health")]
    for partner in partners:
        MembershipFactory(network=network, organization=partner, reports_monthly=True)
    user = UserFactory(is_superuser=True, is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        for n, (partner, counts) in enumerate(zip(partners, (OWN, SECOND, THIRD), strict=True)):
            for month, count in zip(MONTHS, counts, strict=True):
                if count is not None:
                    report_approved(
                        network=network,
                        organization=partner,
                        month=month,
                        totals={"enrollments": count},
                        user=user,
                        seed=100 * n + month.month,
                    )
    return network, partners


def published(network, viewer: Viewer, today: datetime.date = TODAY):
    return publications(networks=[network], measure=enrollments(), viewer=viewer, today=today).network(
        network.pk
    )


def own_viewer(partners) -> Viewer:
    return Viewer(organization_ids=frozenset({partners[0].pk}))


def category_counts(network, organization=None) -> dict[tuple[int, datetime.date], int]:
    """(category, quarter) -> the count of every breakdown but the total, straight from the rollups."""
    rows = (
        PartnerFigure.objects.filter(network=network, organization=organization)
        if organization
        else RollupNetworkMonth.objects.filter(network=network)
    )
    found: dict[tuple[int, datetime.date], int] = {}
    for row in rows.filter(measure=enrollments()).exclude(breakdown__code=TOTAL_BREAKDOWN):
        key = row.category_id, datetime.date(row.month.year, (row.month.month - 1) // 3 * 3 + 1, 1)
        found[key] = found.get(key, 0) + row.count
    return found


def test_the_data_is_as_described(reported):
    network, _ = reported
    totals = dict(
        RollupNetworkMonth.objects.filter(
            network=network, measure=enrollments(), breakdown__code=TOTAL_BREAKDOWN
        ).values_list("month", "count")
    )
    assert [totals[m] for m in MONTHS] == NETWORK
    assert [n - own for n, own in zip(NETWORK, OWN, strict=True)] == REST


# Months


def test_a_complete_month_with_a_small_rest_is_hidden_and_others_are_shown(reported):
    network, partners = reported
    publication = published(network, own_viewer(partners))
    assert not publication.identified
    assert publication.month(JAN) == Figure(None, Reason.SMALL)  # rest 5
    assert publication.month(MAY) == Figure(None, Reason.SMALL)  # rest 10
    assert publication.month(FEB) == Figure(10)  # rest 0: the viewer's own 10
    assert publication.month(MAR) == Figure(40)  # rest 35
    assert publication.month(APR) == Figure(11)  # rest 11
    assert publication.month(JUL) == Figure(26)  # rest 23
    assert publication.series(MONTHS) == {
        JAN: None,
        FEB: 10,
        MAR: 40,
        APR: 11,
        MAY: None,
        JUN: None,
        JUL: 26,
    }


def test_a_month_not_all_reports_are_in_for_is_provisional(reported):
    network, partners = reported
    publication = published(network, own_viewer(partners))
    assert publication.month(JUN) == Figure(None, Reason.PROVISIONAL)  # rest 25, but the third is missing
    assert publication.complete_months == set(MONTHS) - {JUN}
    assert publication.reasons(MONTHS) == {JAN: Reason.SMALL, MAY: Reason.SMALL, JUN: Reason.PROVISIONAL}
    assert publication.month(datetime.date(2025, 8, 1)) is NO_DATA  # not over yet


def test_a_viewer_with_no_organization_has_the_whole_count_as_rest(reported):
    network, _ = reported
    publication = published(network, Viewer())
    assert publication.month(FEB) == Figure(None, Reason.SMALL)  # 10 in all
    assert publication.month(APR) == Figure(11)
    assert publication.month(MAY) == Figure(22)
    assert publication.month(JUN).reason == Reason.PROVISIONAL


# Quarters and periods


def test_category_cells_exist_for_complete_calendar_quarters_only(reported):
    network, partners = reported
    publication = published(network, own_viewer(partners))
    assert publication.complete_quarters == {Q1}
    assert {quarter for (_, quarter) in publication.quarter_figures} == {Q1}
    assert publication.quarters_in(MONTHS) == [Q1]
    assert publication.months_of_quarters(MONTHS) == [JAN, FEB, MAR]
    network_counts, own_counts = category_counts(network), category_counts(network, partners[0])
    categories = sorted({category for (category, quarter) in network_counts if quarter == Q1})
    assert len(categories) > 20  # every breakdown's
    for category in categories:
        figure = publication.quarter(category, Q1)
        rest = network_counts[category, Q1] - own_counts.get((category, Q1), 0)
        if 0 < rest < 11:
            assert figure == Figure(None, Reason.SMALL)
        elif figure.hidden:
            assert figure.reason == Reason.COMPLEMENT
        else:
            assert figure.value == network_counts[category, Q1]
        assert publication.quarter(category, Q2) == Figure(None, Reason.PROVISIONAL)
        assert publication.quarter(category, Q3) == Figure(None, Reason.PROVISIONAL)
    # January is hidden, and each breakdown's categories add up to the quarter's months: in every
    # breakdown a category is hidden too (small, or a complement), or January could be worked out.
    breakdown_of = dict(Category.objects.filter(pk__in=categories).values_list("pk", "breakdown_id"))
    assert len(set(breakdown_of.values())) == 7
    hidden_in = {breakdown_of[c] for (c, _), figure in publication.quarter_figures.items() if figure.hidden}
    assert hidden_in == set(breakdown_of.values())


def test_a_category_over_a_period_is_counted_by_whole_quarters_only(reported):
    network, partners = reported
    publication = published(network, own_viewer(partners))
    categories = sorted({category for (category, _) in publication.quarter_figures})
    whole = publication.group_over(categories, MONTHS)
    for category in categories:
        quarter = publication.quarter(category, Q1)
        # Over one whole quarter, the period's count is that quarter's cell, with its own reason.
        assert whole[category] == quarter
    assert publication.group_over(categories, MONTHS[1:]) == dict.fromkeys(categories, NO_DATA)
    # A quarter whose reports are not all in is no whole quarter: nothing by category (each of its
    # cells, asked for alone, is provisional).
    assert publication.group_over(categories, [APR, MAY, JUN]) == dict.fromkeys(categories, NO_DATA)
    assert publication.months_of_quarters(MONTHS[1:]) == []


def test_a_total_over_months_including_a_hidden_one_is_hidden(reported):
    network, partners = reported
    publication = published(network, own_viewer(partners))
    assert publication.total_over([JAN, FEB, MAR]) == Figure(None, Reason.INCLUDES)
    assert publication.total_over([FEB, MAR]) == Figure(50)
    assert publication.total_over([JUN]) == Figure(None, Reason.PROVISIONAL)
    assert publication.total_over([MAY, JUN]) == Figure(None, Reason.INCLUDES)
    assert publication.total_over([APR, JUL]) == Figure(37)
    # Over the complete months only, June is left out, May (small) is not.
    assert publication.complete_total([JUN, JUL]) == Figure(26)
    assert publication.complete_total([APR, MAY, JUN]) == Figure(None, Reason.INCLUDES)


def test_backbone_staff_see_every_raw_count(reported):
    network, partners = reported
    publication = published(network, Viewer(every_partner_of=frozenset({network.pk})))
    assert publication.identified
    assert publication.series(MONTHS) == dict(zip(MONTHS, NETWORK, strict=True))
    assert publication.reasons(MONTHS) == {}
    network_counts = category_counts(network)
    categories = sorted({category for (category, _) in network_counts})
    for quarter in (Q1, Q2):
        for category in categories:
            assert publication.quarter(category, quarter) == Figure(
                network_counts.get((category, quarter), 0)
            )
    # Any period at all, month by month.
    over = publication.group_over(categories, [FEB, MAR, APR])
    by_month = {
        (row.category_id, row.month): row.count
        for row in RollupNetworkMonth.objects.filter(network=network, measure=enrollments())
    }
    for category in categories:
        assert over[category] == Figure(sum(by_month.get((category, m), 0) for m in (FEB, MAR, APR)))
    assert publication.total_over(MONTHS) == Figure(sum(NETWORK))


def windows(months):
    return [months[a : b + 1] for a in range(len(months)) for b in range(a, len(months))]


@pytest.mark.parametrize("who", ["own", "second", "third", "nobody"])
def test_periods_that_differ_by_one_month_never_give_a_hidden_month_away(reported, who):
    """The attack: the count over A..B less the count over A+1..B is month A's. Where both are shown,
    month A is shown too; a category's count over two periods differs by whole quarters shown."""
    network, partners = reported
    organization = {"own": partners[0], "second": partners[1], "third": partners[2]}.get(who)
    viewer = Viewer(organization_ids=frozenset({organization.pk})) if organization else Viewer()
    publication = published(network, viewer)
    categories = sorted({category for (category, _) in publication.quarter_figures})
    checked = 0
    for period in windows(MONTHS):
        if len(period) < 2:
            continue
        first, rest = period[0], period[1:]
        for over in (publication.total_over, publication.complete_total):
            longer, shorter = over(period), over(rest)
            if longer.value is not None and shorter.value is not None:
                # Month A is shown, or left out of both (a provisional month, over complete months).
                month = over([first])
                assert not month.hidden, (who, period)
                assert longer.value - shorter.value == (month.value or 0)
                checked += 1
        longer, shorter = publication.group_over(categories, period), publication.group_over(categories, rest)
        between = [q for q in publication.quarters_in(period) if q not in publication.quarters_in(rest)]
        for category in categories:
            if longer[category].value is not None and shorter[category].value is not None:
                for quarter in between:
                    assert publication.quarter(category, quarter).value is not None
                difference = sum(publication.quarter(category, q).value for q in between)
                assert longer[category].value - shorter[category].value == difference
    assert checked


# Everything published, audited as linear functionals


def rests(networks, viewer: Viewer) -> dict[tuple, int]:
    """(network, month, category or None for the total) -> the count less what the viewer sees
    identified, straight from the rollups."""
    found: dict[tuple, int] = {}
    rows = RollupNetworkMonth.objects.filter(network__in=networks, measure=enrollments())
    for row in rows.select_related("breakdown"):
        category = None if row.breakdown.code == TOTAL_BREAKDOWN else row.category_id
        if not viewer.sees_all_of(row.network_id):
            found[row.network_id, row.month, category] = row.count
    known = PartnerFigure.objects.filter(network__in=networks, measure=enrollments())
    for row in known.filter(viewer.known_partners()).select_related("breakdown"):
        category = None if row.breakdown.code == TOTAL_BREAKDOWN else row.category_id
        if (row.network_id, row.month, category) in found:
            found[row.network_id, row.month, category] -= row.count
    return found


def audit(
    result,
    networks,
    viewer: Viewer,
    states: dict[int, list[int]] | None = None,
    baselines: Sequence[Baseline] = (),
) -> int:
    """Check that no hidden cell whose rest is small can be worked out from every cell published (the
    networks' and the states', and the baselines not withheld), knowing that each month's categories of
    a breakdown add up to its total. The unknowns are the rests of each network's months, t[n, m], and
    of its months by category, r[n, m, c]. Returns how many hidden small cells were checked."""
    rest = rests(networks, viewer)
    breakdown_of = dict(Category.objects.values_list("pk", "breakdown_id"))
    variables = {key: index for index, key in enumerate(sorted(rest, key=repr))}

    def row(keys) -> list[int]:
        found = [0] * len(variables)
        for key in keys:
            found[variables[key]] += 1
        return found

    def month(n, m) -> list[tuple]:
        return [(n, m, None)] if (n, m, None) in rest else []

    def quarter(n, c, q) -> list[tuple]:
        return [(n, m, c) for m in quarter_months(q) if (n, m, c) in rest]

    known = []
    for n, m, c in rest:  # each breakdown's categories add up to the month's total
        if c is None:
            by_breakdown: dict[int, list[tuple]] = {}
            for key in rest:
                if key[:2] == (n, m) and key[2] is not None:
                    by_breakdown.setdefault(breakdown_of[key[2]], []).append(key)
            for keys in by_breakdown.values():
                equation = row(keys)
                equation[variables[n, m, None]] -= 1
                known.append(equation)
    for baseline in baselines:
        n, c = baseline.network_id, baseline.category_id
        if baseline.key not in result.network(n).withheld_baselines:
            known.append(row([(n, m, c) for m in baseline.months if (n, m, c) in rest]))
    secret = []
    publications_ = [(result.network(network.pk), [network.pk]) for network in networks]
    publications_ += [(result.state(state), members) for state, members in (states or {}).items()]
    for publication, members in publications_:
        if publication.identified:
            continue
        cells = [
            ([key for n in members for key in month(n, m)], figure)
            for m, figure in publication.month_figures.items()
        ]
        cells += [
            ([key for n in members for key in quarter(n, c, q)], figure)
            for (c, q), figure in publication.quarter_figures.items()
        ]
        for keys, figure in cells:
            if figure.value is not None:
                known.append(row(keys))
            elif 0 < sum(rest[key] for key in keys) < publication.threshold:
                secret.append((keys, figure))
    matrix = np.array(known, dtype=float).reshape(-1, len(variables))
    for keys, figure in secret:
        assert not spanned(matrix, row(keys)), (keys, figure)
    return len(secret)


@pytest.mark.parametrize("who", ["own", "second", "third", "nobody"])
def test_no_hidden_small_cell_can_be_worked_out_by_any_viewer(reported, who):
    network, partners = reported
    organization = {"own": partners[0], "second": partners[1], "third": partners[2]}.get(who)
    viewer = Viewer(organization_ids=frozenset({organization.pk})) if organization else Viewer()
    result = publications(networks=[network], measure=enrollments(), viewer=viewer, today=TODAY)
    assert audit(result, [network], viewer) > 0


def test_a_baseline_shown_to_everyone_is_solved_with_the_cells(reported):
    """A goal's baseline is shown to every viewer of the goal: January (small) may not be its months
    less the others; a category's baseline over part of a quarter is withheld."""
    network, partners = reported
    viewer = own_viewer(partners)
    female = Category.objects.get(breakdown__code="sex", code="female")
    baselines = [
        Baseline("months", network.pk, (JAN, FEB, MAR), None, sum(NETWORK[:3])),
        Baseline("quarter", network.pk, (JAN, FEB, MAR), female.pk, 0),
        Baseline("part", network.pk, (JAN, FEB), female.pk, 0),
    ]
    result = publications(
        networks=[network], measure=enrollments(), viewer=viewer, today=TODAY, baselines=baselines
    )
    publication = result.network(network.pk)
    assert publication.withheld_baselines == {"part"}
    assert publication.month(JAN) == Figure(None, Reason.SMALL)
    assert publication.month(FEB).hidden or publication.month(MAR).hidden
    assert audit(result, [network], viewer, baselines=baselines) > 0
    # Without the baselines February and March are both shown: the baseline is what costs one of them.
    plain = published(network, viewer)
    assert not plain.month(FEB).hidden and not plain.month(MAR).hidden


# A state's cells, solved with its networks'


@pytest.fixture
def statewide(django_capture_on_commit_callbacks):
    """Two Kansas networks of two partners each, reporting the first quarter of 2025: the first network's
    January (4) and the second's February (3) are small; the state's are not."""
    networks = [NetworkFactory(), NetworkFactory()]
    user = UserFactory(is_superuser=True, is_staff=True)
    counts = [[[2, 15, 10], [2, 15, 15]], [[20, 1, 25], [20, 2, 25]]]
    with django_capture_on_commit_callbacks(execute=True):
        for n, (network, partners) in enumerate(zip(networks, counts, strict=True)):
            for p, partner_counts in enumerate(partners):
                partner = SupplierFactory()
                MembershipFactory(network=network, organization=partner, reports_monthly=True)
                for month, count in zip(MONTHS[:3], partner_counts, strict=True):
                    report_approved(
                        network=network,
                        organization=partner,
                        month=month,
                        totals={"enrollments": count},
                        user=user,
                        seed=10 * n + p + month.month,
                    )
    return networks


def test_a_state_viewer_cannot_take_one_network_from_the_state(statewide):
    first, second = statewide
    kansas = first.state_id
    viewer = Viewer(states=frozenset({kansas}))
    result = publications(
        networks=statewide,
        measure=enrollments(),
        viewer=viewer,
        today=datetime.date(2025, 4, 20),
        with_states=True,
    )
    state, a, b = result.state(kansas), result.network(first.pk), result.network(second.pk)
    assert a.month(JAN) == Figure(None, Reason.SMALL)
    assert b.month(FEB) == Figure(None, Reason.SMALL)
    assert state.complete_quarters == {Q1}
    for m in MONTHS[:3]:
        # The state's month less one network's is the other's: never exactly one of the three hidden.
        assert [state.month(m).hidden, a.month(m).hidden, b.month(m).hidden].count(True) != 1, m
    for category, quarter in state.quarter_figures:
        hidden = [p.quarter(category, quarter).hidden for p in (state, a, b)]
        assert hidden.count(True) != 1, category
    assert audit(result, statewide, viewer, {kansas: [first.pk, second.pk]}) > 0


# What a small month costs


def test_a_small_month_does_not_hide_a_large_months_total(django_capture_on_commit_callbacks):
    """Larger counts: no quarter category is small, January's rest (5) is. Hiding one category of each
    breakdown would protect it; the months with rests of 110 are shown."""
    network = NetworkFactory()
    partners = [SupplierFactory() for _ in range(3)]
    for partner in partners:
        MembershipFactory(network=network, organization=partner, reports_monthly=True)
    user = UserFactory(is_superuser=True, is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        for n, (partner, counts) in enumerate(
            zip(partners, [[20, 20, 20], [3, 60, 70], [2, 50, 40]], strict=True)
        ):
            for month, count in zip(MONTHS[:3], counts, strict=True):
                report_approved(
                    network=network,
                    organization=partner,
                    month=month,
                    totals={"enrollments": count},
                    user=user,
                    seed=10 * n + month.month,
                )
    viewer = own_viewer(partners)
    result = publications(
        networks=[network], measure=enrollments(), viewer=viewer, today=datetime.date(2025, 4, 20)
    )
    assert audit(result, [network], viewer) > 0
    publication = result.network(network.pk)
    assert publication.month(JAN) == Figure(None, Reason.SMALL)
    assert all(figure.reason != Reason.SMALL for figure in publication.quarter_figures.values())
    # Actual: February (rest 110) hidden as a complement, every category shown.
    assert publication.month(FEB) == Figure(130)
    assert publication.month(MAR) == Figure(130)


def rollup(network, organization, month, measure, counts: dict[Category, int], total: Category) -> None:
    """A partner's approved counts of a month: its report, approved, with one version of them."""
    report, _ = MonthlyReport.objects.get_or_create(
        network=network, organization=organization, month=month, defaults={"status": ReportStatus.APPROVED}
    )
    version = ReportVersion.objects.create(report=report, number=1, source=ReportSource.DEMO)
    ReportValue.objects.bulk_create(
        ReportValue(version=version, measure=measure, category=category, count=count)
        for category, count in [(total, sum(counts.values())), *counts.items()]
    )
    MonthlyReport.objects.filter(pk=report.pk).update(current_version=version, status=ReportStatus.APPROVED)


def network_rollups(network, measure) -> None:
    """The network's rows: its partners' added up."""
    sums: dict[tuple, list[int]] = {}
    for row in PartnerFigure.objects.filter(network=network, measure=measure):
        sums.setdefault((row.month, row.breakdown_id, row.category_id), []).append(row.count)
    for (month, breakdown_id, category_id), counts in sums.items():
        RollupNetworkMonth.objects.create(
            network=network,
            month=month,
            measure=measure,
            breakdown_id=breakdown_id,
            category_id=category_id,
            count=sum(counts),
            partners=len(counts),
        )


def spanned(rows: list[list[int]], functional: list[int]) -> bool:
    """Whether ``functional`` is a linear combination of ``rows``: what they pin down, it is pinned down."""
    matrix = np.array(rows, dtype=float).reshape(-1, len(functional))
    return np.linalg.matrix_rank(np.vstack([matrix, functional])) == np.linalg.matrix_rank(matrix)


QUARTER = [datetime.date(2025, 1, 1), datetime.date(2025, 2, 1), datetime.date(2025, 3, 1)]
count = st.sampled_from([0, 0, 0, 1, 2, 3, 5, 8])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    counts=st.lists(
        st.lists(st.lists(count, min_size=3, max_size=3), min_size=3, max_size=3), min_size=3, max_size=3
    ),
    provisional=st.sampled_from([None, None, None, 0, 1, 2]),
)
def test_nothing_hidden_can_be_worked_out_from_everything_published(counts, provisional):
    """Three partners (the viewer's own first) over one calendar quarter, one breakdown of three
    categories (sex). The unknowns are the rest of each month and category, r[m, k], and of each
    month, t[m]; what the viewer knows is every value published (each a sum of these, less what they
    know of their own) and that a month's categories add up to its total. No hidden small rest may be
    in the span of that."""
    with transaction.atomic():
        measure = enrollments()
        total = Category.objects.get(breakdown__code=TOTAL_BREAKDOWN, code=TOTAL_CATEGORY)
        sex = list(Category.objects.filter(breakdown=Breakdown.objects.get(code="sex")).order_by("order"))
        assert len(sex) == 3
        network = NetworkFactory()
        partners = [SupplierFactory() for _ in range(3)]
        for n, partner in enumerate(partners):
            # The second partner owes a report each month; a month it has not sent is provisional.
            MembershipFactory(network=network, organization=partner, reports_monthly=n == 1)
        for m, month in enumerate(QUARTER):
            if m != provisional:
                MonthlyReport.objects.create(
                    network=network, organization=partners[1], month=month, status=ReportStatus.APPROVED
                )
        rest = [[0] * 3 for _ in QUARTER]  # rest[m][k]: the second's and the third's
        for n, partner in enumerate(partners):
            for m, month in enumerate(QUARTER):
                if n == 1 and m == provisional:
                    continue
                rollup(network, partner, month, measure, dict(zip(sex, counts[n][m], strict=True)), total)
                if n:
                    for k in range(3):
                        rest[m][k] += counts[n][m][k]
        network_rollups(network, measure)

        publication = published(network, own_viewer(partners), today=datetime.date(2025, 4, 10))

        # Unknowns: r[m, k] at 3 * m + k, t[m] at 9 + m.
        def r(m: int, k: int) -> int:
            return 3 * m + k

        def t(m: int) -> int:
            return 9 + m

        def functional(*indexes: int) -> list[int]:
            row = [0] * 12
            for index in indexes:
                row[index] += 1
            return row

        known = []
        for m in range(3):  # a month's categories add up to its total
            row = functional(*(r(m, k) for k in range(3)))
            row[t(m)] = -1
            known.append(row)
        month_total = {m: sum(rest[m]) + sum(counts[0][m]) for m in range(3)}
        for m, month in enumerate(QUARTER):
            figure = publication.month(month)
            if figure.value is not None:
                assert figure.value == month_total[m]
                known.append(functional(t(m)))
        for period in windows(list(range(3))):
            figure = publication.total_over([QUARTER[m] for m in period])
            if figure.value is not None:
                known.append(functional(*(t(m) for m in period)))
        categories = publication.group_over([c.pk for c in sex], QUARTER)
        for k, category in enumerate(sex):
            figure = publication.quarter(category.pk, QUARTER[0])
            if figure.value is not None:
                assert figure.value == sum(rest[m][k] + counts[0][m][k] for m in range(3))
                known.append(functional(*(r(m, k) for m in range(3))))
            if provisional is None:
                assert categories[category.pk].value == figure.value
                assert categories[category.pk].hidden == figure.hidden
            else:
                assert categories[category.pk] == NO_DATA

        for m, month in enumerate(QUARTER):
            small = 0 < sum(rest[m]) < 11
            if m == provisional:
                assert publication.month(month).reason == Reason.PROVISIONAL
            elif small:
                assert publication.month(month) == Figure(None, Reason.SMALL)
            if small or m == provisional:
                assert not spanned(known, functional(t(m))), (m, rest, publication)
        for k, category in enumerate(sex):
            quarter_rest = sum(rest[m][k] for m in range(3))
            figure = publication.quarter(category.pk, QUARTER[0])
            if provisional is not None:
                assert figure == Figure(None, Reason.PROVISIONAL)
            elif 0 < quarter_rest < 11:
                assert figure == Figure(None, Reason.SMALL)
            if figure.hidden and 0 < quarter_rest < 11:
                assert not spanned(known, functional(*(r(m, k) for m in range(3)))), (k, rest, publication)
        transaction.set_rollback(True)
