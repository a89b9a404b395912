"""The demo's eligible-population estimates: derived as documented, imported through the CSV import,
and safe to import again."""

import pytest

from demo.eligible import ADULTS, COUNTY_SOURCE, STATE_SOURCE, build_eligible, prevalence
from equity.models import EligibleEstimate, EstimateSource
from partners.models import County

pytestmark = pytest.mark.django_db


def estimate(state: str, breakdown: str, category: str) -> int:
    return EligibleEstimate.objects.get(
        state__code=state, category__breakdown__code=breakdown, category__code=category
    ).estimate


def test_adults_by_group_times_the_prevalence_of_their_group():
    build_eligible()
    # Kansas: 127,000 Black adults × 37.9 %; 240,000 Hispanic adults × 36.5 %; American Indian or Alaska
    # Native adults take the all-adult rate, 38.0 %.
    assert estimate("KS", "race", "black") == round(ADULTS["KS"]["race"]["black"] * 1000 * 0.379)
    assert estimate("KS", "ethnicity", "hispanic") == round(240_000 * 0.365)
    assert estimate("KS", "race", "aian") == round(ADULTS["KS"]["race"]["aian"] * 1000 * 0.38)
    assert prevalence("age_group", "65-plus") == 48.8 and prevalence("race", "multiracial") == 38.0


def test_counties_share_out_the_state_estimate():
    build_eligible()
    state_total = sum(
        EligibleEstimate.objects.filter(state__code="UT", category__breakdown__code="age_group").values_list(
            "estimate", flat=True
        )
    )
    by_county = EligibleEstimate.objects.filter(state__code="UT", category__breakdown__code="county")
    assert by_county.count() == County.objects.filter(state__code="UT").count()
    assert abs(sum(by_county.values_list("estimate", flat=True)) - state_total) <= by_county.count()
    assert {row.source.name for row in by_county.select_related("source")} == {COUNTY_SOURCE}


def test_building_again_replaces_the_demo_estimates():
    build_eligible()
    first = EligibleEstimate.objects.count()
    build_eligible()
    assert EligibleEstimate.objects.count() == first
    assert set(EstimateSource.objects.values_list("name", flat=True)) == {STATE_SOURCE, COUNTY_SOURCE}
