"""The catalogue of measures and breakdowns Tandem starts with (an administrator may add more), and
the one place that reads it for validation: `Catalogue`.

Race and ethnicity follow the federal (OMB) categories; every breakdown has an "unknown" category.
County categories are the Census Bureau's county FIPS codes already loaded in `partners.County`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

MEASURES: list[tuple[str, str, str]] = [
    ("referrals", "Referrals", "People referred to the program."),
    ("enrollments", "Enrollments", "New participants, counted in the month of their first session."),
    ("active_participants", "Active participants", "People who attended at least one session in the month."),
]

UNKNOWN = ("unknown", "Unknown or not reported")
TOTAL_BREAKDOWN = "total"
TOTAL_CATEGORY = "all"
COUNTY_BREAKDOWN = "county"

BREAKDOWNS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("total", "Total", [("all", "All")]),
    (
        "race",
        "Race",
        [
            ("aian", "American Indian or Alaska Native"),
            ("asian", "Asian"),
            ("black", "Black or African American"),
            ("nhopi", "Native Hawaiian or Other Pacific Islander"),
            ("white", "White"),
            ("multiracial", "More than one race"),
            UNKNOWN,
        ],
    ),
    (
        "ethnicity",
        "Ethnicity",
        [("hispanic", "Hispanic or Latino"), ("not_hispanic", "Not Hispanic or Latino"), UNKNOWN],
    ),
    ("sex", "Sex", [("female", "Female"), ("male", "Male"), UNKNOWN]),
    (
        "age_group",
        "Age group",
        [("18-44", "18 to 44"), ("45-64", "45 to 64"), ("65-plus", "65 and older"), UNKNOWN],
    ),
    (
        "payer",
        "Payer",
        [
            ("medicare", "Medicare"),
            ("medicaid", "Medicaid"),
            ("private", "Private insurance"),
            ("employer", "Employer"),
            ("dual", "Medicare and Medicaid (dual eligible)"),
            ("self_pay", "Self-pay"),
            ("grant", "Grant-funded"),
            ("free", "Free of charge"),
            ("other", "Other"),
            UNKNOWN,
        ],
    ),
    (
        "delivery_mode",
        "Delivery mode",
        [
            ("in_person", "In person"),
            ("online", "Online"),
            ("distance", "Distance learning"),
            ("combination", "Combination"),
            UNKNOWN,
        ],
    ),
    ("county", "County", [UNKNOWN]),  # and one category per county, from partners.County
]


def load(get_model: Callable) -> None:
    """Create or update the starting catalogue; rows an administrator added are left alone.
    Takes `apps.get_model` so that a migration can call it with its historical models."""
    Measure = get_model("metrics", "Measure")
    Breakdown = get_model("metrics", "Breakdown")
    Category = get_model("metrics", "Category")
    County = get_model("partners", "County")
    for order, (code, name, description) in enumerate(MEASURES):
        Measure.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "order": order}
        )
    for order, (code, name, categories) in enumerate(BREAKDOWNS):
        breakdown, _ = Breakdown.objects.update_or_create(
            code=code, defaults={"name": name, "order": order, "by_county": code == COUNTY_BREAKDOWN}
        )
        for position, (category_code, category_name) in enumerate(categories):
            # "unknown" goes last, after every county.
            position = 9999 if category_code == UNKNOWN[0] and code == COUNTY_BREAKDOWN else position
            Category.objects.update_or_create(
                breakdown=breakdown, code=category_code, defaults={"name": category_name, "order": position}
            )
        if code == COUNTY_BREAKDOWN:
            existing = set(Category.objects.filter(breakdown=breakdown).values_list("code", flat=True))
            Category.objects.bulk_create(
                [
                    Category(breakdown=breakdown, code=county.fips, name=county.name, county=county, order=0)
                    for county in County.objects.exclude(fips__in=existing)
                ],
                batch_size=1000,
            )


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    code: str
    name: str
    breakdown: str


@dataclass
class Catalogue:
    """The measures, breakdowns and categories a network's reports may use, read in three queries.

    County categories are those of the network's state (``state_id``), and unknown.
    """

    state_id: int
    measures: dict[str, tuple[int, str]] = field(default_factory=dict)  # code -> (id, name)
    breakdowns: dict[str, str] = field(default_factory=dict)  # code -> name, in order
    categories: dict[str, dict[str, CategoryInfo]] = field(default_factory=dict)  # breakdown -> code -> info

    @classmethod
    def for_state(cls, state_id: int) -> "Catalogue":
        from django.db.models import Q

        from metrics.models import Breakdown, Category, Measure

        catalogue = cls(state_id=state_id)
        catalogue.measures = {m.code: (m.id, m.name) for m in Measure.objects.all()}
        catalogue.breakdowns = {b.code: b.name for b in Breakdown.objects.all()}
        catalogue.categories = {code: {} for code in catalogue.breakdowns}
        rows = (
            Category.objects.filter(Q(county__isnull=True) | Q(county__state_id=state_id))
            .select_related("breakdown")
            .order_by("breakdown__order", "order", "name")
        )
        for row in rows:
            catalogue.categories[row.breakdown.code][row.code] = CategoryInfo(
                row.id, row.code, row.name, row.breakdown.code
            )
        return catalogue

    @cached_property
    def category_by_id(self) -> dict[int, CategoryInfo]:
        return {info.id: info for codes in self.categories.values() for info in codes.values()}

    def measure_id(self, code: str) -> int:
        return self.measures[code][0]
