"""Reads for the equity pages and the API: counts by category from the rollup tables (approved reports
only), the eligible population, and who sees what (the scope of a page and the viewer's identified
figures in it). A fixed number of queries whatever the number of partners."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import Http404

from core.disclosure import threshold_for
from equity.models import EligibleEstimate, EstimateSource
from goals.selectors import MonthPeriod, threshold_of_group
from metrics.catalogue import COUNTY_BREAKDOWN, TOTAL_BREAKDOWN
from metrics.models import (
    Breakdown,
    Category,
    Measure,
    PartnerFigure,
    RollupNetworkMonth,
    RollupStateMonth,
)
from network.models import Membership, Network
from network.selectors import Access, User, Viewer, state_get_for_viewer, viewer_for, viewer_for_states
from partners.models import NON_SUPPLIER_STATUSES, County, Organization, PopulationOfFocus, Sector, State

CategoryMonths = dict[tuple[datetime.date, int], int]  # (month, category id) -> count


@dataclass(frozen=True)
class Scope:
    """Whose counts a page shows (a network, a state, or one partner of a network), to which viewer
    (`network.selectors.Viewer`), and the threshold for what the viewer may not see identified."""

    state: State
    viewer: Viewer
    network: Network | None = None
    organization: Organization | None = None
    threshold: int = 11
    networks: tuple[Network, ...] = field(default_factory=tuple)

    @property
    def everything_identified(self) -> bool:
        """One partner's own figures are shown only to those who may see them: nothing to suppress."""
        return self.organization is not None or all(self.viewer.sees_all_of(n.pk) for n in self.networks)

    @property
    def name(self) -> str:
        if self.organization is not None:
            return self.organization.name
        return self.network.name if self.network is not None else self.state.name


def network_scope(*, user: User, network: Network, access: Access, organization_id: int | None) -> Scope:
    """A network's counts, or one partner's: 404 for an organization that never was a partner, 403
    where the viewer may not see that partner's identified figures."""
    viewer = viewer_for(user=user, network=network, access=access)
    organization = None
    if organization_id is not None:
        membership = (
            network.memberships.select_related("organization").filter(organization_id=organization_id).first()
        )
        if membership is None:
            raise Http404("That organization is not a partner in this network.")
        if not viewer.knows(network.pk, organization_id):
            raise PermissionDenied("This partner's own figures are for its staff and the backbone staff.")
        organization = membership.organization
    return Scope(
        state=network.state,
        viewer=viewer,
        network=network,
        organization=organization,
        threshold=threshold_for(network.suppression_threshold),
        networks=(network,),
    )


def state_scope(*, user: User, code: str) -> Scope:
    """A state's counts, for its state viewers (and site administrators): 404 for anyone else, 403 for
    staff of a network in the state. Identified: each partner sharing its figures with the state, in the
    network it shares them in."""
    state = state_get_for_viewer(user=user, code=code)
    networks = tuple(Network.objects.filter(state=state).select_related("state").order_by("name"))
    return Scope(
        state=state,
        viewer=viewer_for_states(user=user, states=[state]),
        threshold=threshold_of_group(networks),
        networks=networks,
    )


def _in_period(period: MonthPeriod) -> Q:
    return Q(month__gte=period.first, month__lte=period.last)


def category_months(
    *, scope: Scope, measure: Measure, breakdown: Breakdown, period: MonthPeriod
) -> CategoryMonths:
    """Approved counts by month and category for the scope, for a viewer who sees every count of it
    (others read `metrics.publication`): one query."""
    where = Q(measure=measure, breakdown=breakdown) & _in_period(period)
    if scope.organization is not None:
        rows = PartnerFigure.objects.filter(where, network=scope.network, organization=scope.organization)
    elif scope.network is not None:
        rows = RollupNetworkMonth.objects.filter(where, network=scope.network)
    else:
        rows = RollupStateMonth.objects.filter(where, state=scope.state)
    return _by_month_and_category(rows)


def _by_month_and_category(rows) -> CategoryMonths:
    return {
        (row["month"], row["category_id"]): row["count"]
        for row in rows.values("month", "category_id").annotate(count=Sum("count")).order_by()
    }


def in_period(counts: CategoryMonths, months: list[datetime.date] | None = None) -> dict[int, int]:
    """Counts by category over the given months (every month if none are given)."""
    wanted = set(months) if months is not None else None
    totals: dict[int, int] = defaultdict(int)
    for (month, category_id), count in counts.items():
        if wanted is None or month in wanted:
            totals[category_id] += count
    return dict(totals)


def categories_of(*, breakdown: Breakdown, state: State) -> list[Category]:
    """A breakdown's categories in order; a county breakdown's are the state's counties, and unknown."""
    categories = Category.objects.filter(breakdown=breakdown).select_related("county")
    if breakdown.by_county:
        categories = categories.filter(Q(county__isnull=True) | Q(county__state=state)).order_by(
            "order", "name"
        )
    return list(categories.order_by("order", "name"))


def eligible(*, state: State, breakdown: Breakdown) -> tuple[dict[int, int], list[EstimateSource]]:
    """The state's eligible population by category id, and the sources of those estimates."""
    rows = list(
        EligibleEstimate.objects.filter(state=state, category__breakdown=breakdown).values_list(
            "category_id", "estimate", "source_id"
        )
    )
    sources = list(EstimateSource.objects.filter(pk__in={source for _, _, source in rows}).order_by("-year"))
    return {category_id: estimate for category_id, estimate, _ in rows}, sources


def breakdowns() -> list[Breakdown]:
    """The breakdowns an equity page can show: all but the total."""
    return list(Breakdown.objects.exclude(code=TOTAL_BREAKDOWN).order_by("order", "code"))


def county_breakdown() -> Breakdown:
    return Breakdown.objects.get(code=COUNTY_BREAKDOWN)


# Coverage


@dataclass(frozen=True)
class Coverage:
    """Who serves whom: the suppliers serving each county, the partners serving each population of
    focus, the sectors with no partner."""

    suppliers_by_county: dict[int, list[str]]  # county id -> supplier names
    counties: list[County]
    partners_by_population: dict[PopulationOfFocus, list[str]]
    sectors_missing: list[str]


def coverage(*, scope: Scope) -> Coverage:
    """Current partners of the scope's networks: five queries."""
    members = Organization.objects.filter(
        memberships__in=Membership.objects.current().filter(network__in=scope.networks)
    ).distinct()
    suppliers = members.exclude(recognition_status__in=NON_SUPPLIER_STATUSES)
    by_county: dict[int, list[str]] = defaultdict(list)
    for county_id, name in (
        suppliers.filter(counties_served__state=scope.state).values_list("counties_served", "name").distinct()
    ):
        by_county[county_id].append(name)
    by_population: dict[PopulationOfFocus, list[str]] = {
        population: [] for population in PopulationOfFocus.objects.order_by("name")
    }
    names = {population.pk: population for population in by_population}
    for population_id, name in (
        members.filter(populations_of_focus__isnull=False)
        .values_list("populations_of_focus", "name")
        .distinct()
    ):
        by_population[names[population_id]].append(name)
    present = set(members.values_list("sector", flat=True))
    return Coverage(
        suppliers_by_county={county: sorted(set(names_)) for county, names_ in by_county.items()},
        counties=list(County.objects.filter(state=scope.state).order_by("name")),
        partners_by_population={
            population: sorted(set(found)) for population, found in by_population.items()
        },
        sectors_missing=[label for value, label in Sector.choices if value not in present],
    )


def sources_in_use(sources) -> list[tuple[EstimateSource, int]]:
    """Each source with how many current estimates come from it: two queries."""
    counts = dict(EligibleEstimate.objects.values_list("source_id").annotate(n=Count("pk")).order_by())
    return [(source, counts.get(source.pk, 0)) for source in sources]
