"""The demo's eligible-population estimates, imported through the same CSV import a site administrator
uses. How they are derived is in docs/eligible-population.md:

- by age group, sex, race and ethnicity: each demo state's adult population in the group (Census
  Bureau, American Community Survey, rounded to the thousand) times CDC's published prevalence of
  prediabetes among US adults in that group (National Diabetes Statistics Report, 2017 to March 2020);
  groups the report does not give separately take the all-adult prevalence;
- by county: illustrative only. Tandem ships no county populations, so the state's estimate is split
  across its counties by fixed pseudo-random weights; the source says so wherever it is shown. A real
  deployment imports county estimates (for example CDC PLACES county prediabetes prevalence times the
  county's adult population).
"""

import io
import random

from django.db.models import QuerySet

from core.figures import csv_write
from equity import services
from equity.models import EligibleEstimate, EstimateSource
from partners.models import County, State

YEAR = 2023

# Prediabetes among US adults, 2017 to March 2020 (CDC National Diabetes Statistics Report), in %.
PREVALENCE = {
    "all": 38.0,
    "age_group": {"18-44": 28.0, "45-64": 44.0, "65-plus": 48.8},
    "sex": {"male": 41.5, "female": 34.5},
    "race": {"asian": 36.3, "black": 37.9, "white": 38.1},  # the others: the all-adult rate
    "ethnicity": {"hispanic": 36.5},  # not Hispanic: the all-adult rate
}

# Adults (18 and older) by group in the demo states, in thousands (ACS 1-year, rounded).
ADULTS: dict[str, dict[str, dict[str, int]]] = {
    "KS": {
        "age_group": {"18-44": 1_010, "45-64": 680, "65-plus": 500},
        "sex": {"female": 1_100, "male": 1_090},
        "race": {"white": 1_790, "black": 127, "asian": 68, "aian": 20, "nhopi": 2, "multiracial": 183},
        "ethnicity": {"hispanic": 240, "not_hispanic": 1_950},
    },
    "MI": {
        "age_group": {"18-44": 3_450, "45-64": 2_600, "65-plus": 1_850},
        "sex": {"female": 4_030, "male": 3_870},
        "race": {"white": 6_000, "black": 1_070, "asian": 270, "aian": 40, "nhopi": 3, "multiracial": 517},
        "ethnicity": {"hispanic": 430, "not_hispanic": 7_470},
    },
    "MO": {
        "age_group": {"18-44": 2_110, "45-64": 1_550, "65-plus": 1_150},
        "sex": {"female": 2_460, "male": 2_350},
        "race": {"white": 3_850, "black": 530, "asian": 100, "aian": 19, "nhopi": 7, "multiracial": 304},
        "ethnicity": {"hispanic": 215, "not_hispanic": 4_595},
    },
    "UT": {
        "age_group": {"18-44": 1_300, "45-64": 680, "65-plus": 420},
        "sex": {"female": 1_190, "male": 1_210},
        "race": {"white": 2_020, "black": 29, "asian": 60, "aian": 24, "nhopi": 24, "multiracial": 243},
        "ethnicity": {"hispanic": 335, "not_hispanic": 2_065},
    },
    "WI": {
        "age_group": {"18-44": 1_950, "45-64": 1_550, "65-plus": 1_150},
        "sex": {"female": 2_330, "male": 2_320},
        "race": {"white": 3_900, "black": 280, "asian": 140, "aian": 42, "nhopi": 2, "multiracial": 286},
        "ethnicity": {"hispanic": 330, "not_hispanic": 4_320},
    },
}

STATE_SOURCE = "Tandem demo: Census ACS adults by group × CDC prediabetes prevalence (approximate)"
COUNTY_SOURCE = "Tandem demo: illustrative county split of the state estimate (not Census figures)"


def prevalence(breakdown: str, category: str) -> float:
    by_group = PREVALENCE.get(breakdown, {})
    return (by_group.get(category) if isinstance(by_group, dict) else None) or PREVALENCE["all"]


def state_rows(code: str) -> list[tuple[str, str, str, int]]:
    """(state, breakdown, category, estimate) for a demo state's groups."""
    return [
        (code, breakdown, category, round(thousands * 1000 * prevalence(breakdown, category) / 100))
        for breakdown, groups in ADULTS[code].items()
        for category, thousands in groups.items()
    ]


def county_rows(state: State, counties: QuerySet[County]) -> list[tuple[str, str, str, int]]:
    """The state's estimate split across its counties by fixed weights: a few populous counties and
    many small ones, as in most states."""
    total = sum(estimate for _, breakdown, _, estimate in state_rows(state.code) if breakdown == "age_group")
    fips = sorted(counties.values_list("fips", flat=True))
    rng = random.Random(f"tandem-demo-counties-{state.code}")
    weights = [rng.lognormvariate(0, 0.9) for _ in fips]
    scale = total / sum(weights)
    return [
        (state.code, "county", code, round(weight * scale))
        for code, weight in zip(fips, weights, strict=True)
    ]


def _csv(rows: list[tuple[str, str, str, int]]) -> bytes:
    buffer = io.StringIO()
    csv_write(buffer, [["state", "breakdown", "category", "estimate"], *rows])
    return buffer.getvalue().encode()


def build_eligible() -> list[EstimateSource]:
    """Import the demo states' estimates, replacing the demo's earlier ones (so it is safe to run again)."""
    EligibleEstimate.objects.filter(source__name__in=[STATE_SOURCE, COUNTY_SOURCE]).delete()
    EstimateSource.objects.filter(name__in=[STATE_SOURCE, COUNTY_SOURCE]).delete()
    states = list(State.objects.filter(code__in=ADULTS))
    by_group = [row for state in states for row in state_rows(state.code)]
    by_county = [row for state in states for row in county_rows(state, County.objects.filter(state=state))]
    return [
        services.estimates_import(
            data=_csv(by_group),
            name=STATE_SOURCE,
            year=YEAR,
            url="https://www.cdc.gov/diabetes/php/data-research/",
            notes="Adults 18 and older in each group (American Community Survey 1-year estimates, rounded "
            "to the thousand) times the prevalence of prediabetes among US adults in that group (CDC, "
            "National Diabetes Statistics Report, 2017 to March 2020). See docs/eligible-population.md.",
        ),
        services.estimates_import(
            data=_csv(by_county),
            name=COUNTY_SOURCE,
            year=YEAR,
            notes="For the demo only: each state's estimate split across its counties by fixed "
            "pseudo-random weights. Import county estimates before relying on county figures.",
        ),
    ]
