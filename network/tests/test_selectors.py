import pytest

from network.models import WorkgroupSeat
from network.selectors import (
    DirectoryFilters,
    network_summary,
    partner_directory,
    partners_current,
    who_is_missing,
)
from network.tests.factories import MembershipFactory, NetworkFactory, WorkgroupFactory
from partners.models import County, PopulationOfFocus, Sector
from partners.tests.factories import OrganizationFactory, SupplierFactory, counties

pytestmark = pytest.mark.django_db


def test_who_is_missing_from_the_registry():
    network = NetworkFactory()
    served = counties("KS", 3)
    supplier = SupplierFactory(sector=Sector.HEALTH_CARE)
    supplier.counties_served.set(served)
    supplier.populations_of_focus.set(PopulationOfFocus.objects.filter(code="hispanic"))
    MembershipFactory(network=network, organization=supplier)
    # A referral source serving a county does not make the county served by a supplier.
    clinic = OrganizationFactory(sector=Sector.FAITH_BASED)
    clinic.counties_served.set(counties("KS", 5)[3:])
    MembershipFactory(network=network, organization=clinic)
    # A former partner's sector no longer counts.
    MembershipFactory(
        network=network, organization=OrganizationFactory(sector=Sector.HOUSING), left_on="2024-01-31"
    )

    def co_lead(workgroup, sector, left_on=None):
        organization = OrganizationFactory(sector=sector)
        MembershipFactory(network=network, organization=organization, left_on=left_on)
        WorkgroupSeat.objects.create(workgroup=workgroup, organization=organization, is_co_leader=True)

    workgroup = WorkgroupFactory(network=network)
    for sector in (Sector.HEALTH_CARE, Sector.HEALTH_CARE, Sector.EMPLOYER):
        co_lead(workgroup, sector)
    co_lead(workgroup, Sector.EDUCATION, left_on="2024-01-31")  # a former partner no longer counts
    balanced = WorkgroupFactory(network=network)
    for sector in (Sector.HEALTH_CARE, Sector.EMPLOYER, Sector.EDUCATION):
        co_lead(balanced, sector)

    missing = who_is_missing(network=network)

    missing_sectors = {value for value, _ in missing.sectors_missing}
    # Only current members count (here the backbone is not one): the supplier, the clinic, co-leaders.
    assert missing_sectors == set(Sector.values) - {"health_care", "faith_based", "employer", "education"}
    assert "housing" in missing_sectors
    assert {p.code for p in missing.populations_unserved} == set(
        PopulationOfFocus.objects.exclude(code="hispanic").values_list("code", flat=True)
    )
    kansas_counties = County.objects.filter(state__code="KS").count()
    assert missing.counties_total == kansas_counties
    assert len(missing.counties_unserved) == kansas_counties - 3
    assert not set(missing.counties_unserved) & set(served)
    assert [(s.workgroup, s.co_leaders, s.co_leader_sectors, s.needed) for s in missing.workgroups_short] == [
        (workgroup, 3, 2, 1)
    ]


def test_partner_directory_filters():
    network = NetworkFactory()
    a = SupplierFactory(name="Alpha Health", dprp_org_code="12345")
    a.counties_served.set(counties("KS", 1))
    b = OrganizationFactory(name="Beta Church", sector=Sector.FAITH_BASED)
    b.populations_of_focus.set(PopulationOfFocus.objects.filter(code="black"))
    for org in (a, b):
        MembershipFactory(network=network, organization=org)

    def names(**filters):
        return {
            m.organization.name
            for m in partner_directory(network=network, filters=DirectoryFilters(**filters))
        }

    assert names(sector="faith_based") == {"Beta Church"}
    assert names(population="black") == {"Beta Church"}
    assert names(county=counties("KS", 1)[0].fips) == {"Alpha Health"}
    assert names(q="12345") == {"Alpha Health"}
    assert names(q="beta") == {"Beta Church"}
    assert "Alpha Health" in names() and "Beta Church" in names()


def test_the_network_summary_counts_every_partner_of_a_sector():
    """Three partners in health care are three partners, whatever their names (the count is grouped by
    sector alone), and the sectors add up to the partners the directory lists."""
    network = NetworkFactory()
    for name in ("Alpha Clinic", "Beta Clinic", "Gamma Clinic"):
        MembershipFactory(
            network=network, organization=OrganizationFactory(name=name, sector=Sector.HEALTH_CARE)
        )
    MembershipFactory(
        network=network, organization=OrganizationFactory(name="Delta Church", sector=Sector.FAITH_BASED)
    )
    summary = network_summary(network=network)
    assert summary.partners == 4 == partners_current(network=network).count()
    assert dict(summary.by_sector)[Sector.HEALTH_CARE.label] == 3
    assert summary.sectors == 2
