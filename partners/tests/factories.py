import factory

from partners.models import Contact, County, Organization, RecognitionStatus, Sector, State


def state(code: str = "KS") -> State:
    """States and counties are reference data, loaded by a migration."""
    return State.objects.get(code=code)


def counties(code: str = "KS", n: int = 3) -> list[County]:
    return list(County.objects.filter(state__code=code).order_by("fips")[:n])


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    state = factory.LazyFunction(state)
    sector = Sector.COMMUNITY_BASED
    recognition_status = RecognitionStatus.NOT_APPLICABLE


class SupplierFactory(OrganizationFactory):
    sector = Sector.HEALTH_CARE
    recognition_status = RecognitionStatus.FULL
    dprp_org_code = factory.Sequence(lambda n: f"{9000 + n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.org")
