"""Reference lists the registry starts with. Administrators may add to the lookup lists later.

States and counties come from the Census Bureau's 2020 FIPS codes as shipped by the `addfips`
package, so no download is needed at run time.
"""

import csv
from collections.abc import Callable, Iterator
from importlib.resources import files

ORGANIZATION_KINDS: list[tuple[str, str, str]] = [
    ("supplier", "Program supplier", "Delivers the National DPP lifestyle change program."),
    (
        "referral_source",
        "Referral source",
        "Refers people at risk to the program (clinics, pharmacies, ...).",
    ),
    ("payer", "Payer", "Covers the program for its members (Medicaid, Medicare Advantage, insurers)."),
    ("funder", "Funder", "Funds the network or its partners."),
    ("employer", "Employer", "Offers the program to employees as a benefit."),
    ("community_partner", "Community partner", "Reaches people where they live, work, learn and pray."),
    ("data_partner", "Data partner", "Shares or analyses data for the network."),
    ("technical_assistance", "Technical assistance", "Trains or supports other partners."),
    ("advocacy", "Policy and advocacy", "Works on policy, coverage and awareness."),
]

# DPRP delivery modes (DMODE 1-3) plus the combination Tandem's reports use.
DELIVERY_MODES: list[tuple[str, str, str]] = [
    ("in_person", "In person", "DPRP DMODE 1."),
    ("online", "Online", "DPRP DMODE 2."),
    ("distance", "Distance learning", "DPRP DMODE 3: live, remote sessions."),
    ("combination", "Combination", "In person with an online or distance-learning component."),
]

POPULATIONS_OF_FOCUS: list[tuple[str, str, str]] = [
    ("black", "Black or African American adults", ""),
    ("hispanic", "Hispanic or Latino adults", ""),
    ("aian", "American Indian and Alaska Native adults", ""),
    ("asian", "Asian American adults", ""),
    ("nhopi", "Native Hawaiian and Pacific Islander adults", ""),
    ("rural", "Rural residents", ""),
    ("medicaid", "Medicaid members", ""),
    ("medicare", "Medicare beneficiaries (65 and older)", ""),
    ("low_income", "People with low incomes", ""),
    ("men", "Men", "Men enrol in the program far less often than women."),
    ("limited_english", "People with limited English proficiency", ""),
    ("disability", "People with disabilities", ""),
    ("veterans", "Veterans", ""),
]

_DATA = files("addfips") / "data"


# The file lists some counties under old names too; these are the current ones.
_CURRENT_COUNTY_NAMES = {"46102": "Oglala Lakota County"}


def states() -> Iterator[tuple[str, str, str]]:
    """(postal code, FIPS, name) for the 50 states and D.C., each once."""
    seen: set[str] = set()
    with (_DATA / "states.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if int(row["fips"]) <= 56 and row["fips"] not in seen:  # leave out the territories
                seen.add(row["fips"])
                yield row["postal"], row["fips"], row["name"]


def counties() -> Iterator[tuple[str, str, str]]:
    """(state FIPS, five-digit county FIPS, name) for every county of the 2020 census, each once."""
    seen: set[str] = set()
    with (_DATA / "counties_2020.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            fips = row["statefp"] + row["countyfp"]
            if int(row["statefp"]) <= 56 and fips not in seen:
                seen.add(fips)
                yield row["statefp"], fips, _CURRENT_COUNTY_NAMES.get(fips, row["name"])


def load(get_model: Callable[[str, str], type]) -> None:
    """Load every list above; idempotent. ``get_model`` is ``apps.get_model``: a migration's
    historical models, or the current ones when a flushed database needs the lists again."""
    State = get_model("partners", "State")
    County = get_model("partners", "County")
    by_fips = {}
    for code, fips, name in states():
        by_fips[fips], _ = State.objects.get_or_create(code=code, defaults={"fips": fips, "name": name})
    existing = set(County.objects.values_list("fips", flat=True))
    County.objects.bulk_create(
        County(fips=fips, state=by_fips[state_fips], name=name)
        for state_fips, fips, name in counties()
        if fips not in existing and state_fips in by_fips
    )
    for model_name, rows in [
        ("OrganizationKind", ORGANIZATION_KINDS),
        ("DeliveryMode", DELIVERY_MODES),
        ("PopulationOfFocus", POPULATIONS_OF_FOCUS),
    ]:
        model = get_model("partners", model_name)
        for code, name, description in rows:
            model.objects.get_or_create(code=code, defaults={"name": name, "description": description})
