import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from scorecard import selectors, services
from scorecard.models import STORY_LENGTH, Scorecard

pytestmark = pytest.mark.django_db

STORY = {
    "headline": "  Enrollment   is rising,\nslowly. ",
    "what_works": "Referrals from clinics.  \r\n\r\nEvening classes.",
    "partners_with_a_role": "",
    "what_we_will_do": "Reach rural counties.",
}


def test_a_scorecard_is_off_until_the_backbone_switches_it_on(world):
    assert not selectors.scorecard_of(network=world.network).published
    scorecard = services.scorecard_publish(network=world.network, user=world.backbone)
    assert scorecard.published and scorecard.published_by == world.backbone
    first = scorecard.published_at
    assert first is not None
    # Switching on what is on changes nothing, not even when it was switched on.
    assert services.scorecard_publish(network=world.network, user=world.backbone).published_at == first
    services.scorecard_unpublish(network=world.network, user=world.backbone)
    assert not Scorecard.objects.get(network=world.network).published


def test_the_story_is_saved_as_plain_paragraphs_and_keeps_the_switch(world):
    services.scorecard_publish(network=world.network, user=world.backbone)
    scorecard = services.scorecard_story_update(network=world.network, user=world.backbone, **STORY)
    scorecard.refresh_from_db()
    assert scorecard.headline == "Enrollment is rising, slowly."
    assert scorecard.what_works == "Referrals from clinics.\n\nEvening classes."
    assert scorecard.updated_by == world.backbone
    assert scorecard.published
    services.scorecard_unpublish(network=world.network, user=world.backbone)
    assert Scorecard.objects.get(network=world.network).what_we_will_do == "Reach rural counties."


def test_a_story_too_long_is_refused_by_part(world):
    with pytest.raises(ValidationError) as refused:
        services.scorecard_story_update(
            network=world.network, user=world.backbone, **{**STORY, "what_works": "x" * (STORY_LENGTH + 1)}
        )
    assert set(refused.value.message_dict) == {"what_works"}
    assert not Scorecard.objects.exists()


@pytest.mark.parametrize("who", ["partner", "state_viewer", "other_backbone", "outsider"])
def test_only_the_backbone_staff_change_the_scorecard(world, who):
    user = getattr(world, who)
    for write in (services.scorecard_publish, services.scorecard_unpublish):
        with pytest.raises(PermissionDenied):
            write(network=world.network, user=user)
    with pytest.raises(PermissionDenied):
        services.scorecard_story_update(network=world.network, user=user, **STORY)
    assert not Scorecard.objects.exists()


def test_site_administrators_may_switch_it_as_they_hold_every_permission(world):
    assert services.scorecard_publish(network=world.network, user=world.admin).published


def test_only_partners_that_chose_so_are_named(world, flint):
    assert selectors.partners_named(network=world.network) == []
    world.membership.named_publicly = True
    world.membership.save()
    named = selectors.partners_named(network=world.network)
    assert [(partner.name, partner.sector) for partner in named] == [
        (world.supplier.name, world.supplier.get_sector_display())
    ]
