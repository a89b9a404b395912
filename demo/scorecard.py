"""The demo's public scorecard: the Kansas network's, switched on, with a short story behind the curve and
four partners that chose to be named (the others, Cottonwood Bend Community Health Center among them,
did not). Run again, it changes only what differs."""

from typing import TextIO

from django.contrib.auth import get_user_model
from django.db import transaction

from network import services as network_services
from network.models import Membership, Network
from scorecard import selectors, services

SLUG = "kansas"
BACKBONE_USER = "backbone-kansas"
NAMED = (
    "Kansas Department of Health and Environment",
    "Tallgrass Valley YMCA",
    "Cimarron Promotoras de Salud",
    "Wheat State Community College",
)
STORY = {
    "headline": "Enrollment in the National Diabetes Prevention Program is growing across Kansas, but not "
    "yet fast enough in rural counties to reach our goal.",
    "what_works": "Referrals straight from clinics: when a doctor's office sends a patient with prediabetes "
    "to a program near home, most of them start.\n\n"
    "Classes in Spanish with community health workers in southwest Kansas, and online classes for people "
    "who live far from a program.",
    "partners_with_a_role": "Employers and health plans, who can cover the program for their workers and "
    "members.\n\nLocal health departments and faith communities, who reach people that clinics do not.",
    "what_we_will_do": "Add evening and Saturday classes in three rural counties this year.\n\n"
    "Agree with health plans on covering the program for Medicaid members.",
}


def build_scorecard(stdout: TextIO | None = None) -> bool:
    """Switch the Kansas network's scorecard on with its story, and name the partners of ``NAMED``
    (as if each had chosen so: the demo loader is recorded as the one who set it). Returns whether the
    scorecard is on."""
    network = Network.objects.filter(slug=SLUG).first()
    backbone = get_user_model().objects.filter(username=BACKBONE_USER).first()
    if network is None or backbone is None:
        return False
    with transaction.atomic():
        scorecard = selectors.scorecard_of(network=network)
        if any(getattr(scorecard, name) != value for name, value in STORY.items()):
            services.scorecard_story_update(network=network, user=backbone, **STORY)
        services.scorecard_publish(network=network, user=backbone)
        for membership in Membership.objects.current().filter(network=network).select_related("organization"):
            network_services.membership_set_choices(
                membership=membership,
                outcomes_shared=membership.outcomes_shared,
                named_publicly=membership.organization.name in NAMED,
                changed_by=None,
            )
    if stdout is not None:
        stdout.write(f"Public scorecard: the {network.name}'s is on, naming {len(NAMED)} partners.\n")
    return True
