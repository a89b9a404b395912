import datetime

import factory
from django.contrib.auth import get_user_model

from network.models import BackboneModel, Membership, Network, Workgroup
from partners.tests.factories import OrganizationFactory, state


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "a-test-password-1")

    @factory.post_generation
    def saved(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network

    name = factory.Sequence(lambda n: f"Network {n}")
    slug = factory.Sequence(lambda n: f"network-{n}")
    state = factory.LazyFunction(state)
    backbone = factory.SubFactory(OrganizationFactory, sector="public_health")
    backbone_model = BackboneModel.SHD_SELF


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    network = factory.SubFactory(NetworkFactory)
    organization = factory.SubFactory(OrganizationFactory)
    joined_on = datetime.date(2023, 1, 1)


class WorkgroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workgroup

    network = factory.SubFactory(NetworkFactory)
    name = factory.Sequence(lambda n: f"Workgroup {n}")
