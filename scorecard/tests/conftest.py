"""A network with two suppliers and three months approved: a small month the public may not see, and a
goal whose count so far includes it. Prairie YMCA (the partner staff's own) is named on the scorecard;
Flint Hills Clinic did not choose to be."""

import datetime

import pytest

from goals.tests.factories import CommitmentFactory, GoalFactory, recent_months, report_approved
from network.models import Membership, Network
from network.tests.factories import MembershipFactory
from partners.tests.factories import SupplierFactory
from scorecard.models import Scorecard

PRAIRIE = [0, 31, 30]
FLINT = [4, 23, 4]
NETWORK = [p + f for p, f in zip(PRAIRIE, FLINT, strict=True)]  # 4 (small), 54, 34


@pytest.fixture
def months() -> list[datetime.date]:
    return recent_months(3)


@pytest.fixture
def flint(world):
    organization = SupplierFactory(name="Flint Hills Clinic")
    MembershipFactory(network=world.network, organization=organization, reports_monthly=True)
    return organization


@pytest.fixture
def reported(world, flint, months, django_capture_on_commit_callbacks):
    """The three months approved, a goal from the first of them, and Prairie YMCA named publicly."""
    Network.objects.update(report_lock_days=400)  # the months stay open to approval
    world.network.refresh_from_db()
    goal = GoalFactory(network=world.network, name="Enroll more", starts_on=months[0])
    CommitmentFactory(goal=goal, organization=world.supplier, amount=40)
    CommitmentFactory(goal=goal, organization=flint, amount=25)
    with django_capture_on_commit_callbacks(execute=True):
        for organization, counts in ((world.supplier, PRAIRIE), (flint, FLINT)):
            for month, count in zip(months, counts, strict=True):
                report_approved(
                    network=world.network,
                    organization=organization,
                    month=month,
                    totals={"enrollments": count},
                    user=world.admin,
                )
    Membership.objects.filter(network=world.network, organization=world.supplier).update(named_publicly=True)
    return goal


@pytest.fixture
def published(world) -> Scorecard:
    return Scorecard.objects.create(
        network=world.network,
        published=True,
        headline="Enrollment is rising.",
        what_works="Referrals from clinics.\n\nEvening classes.",
        what_we_will_do="Reach rural counties.",
    )
