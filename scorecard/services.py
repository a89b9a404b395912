"""Writes of the public scorecard: its story, and switching it on or off. Backbone staff of the network
only (site administrators hold every permission, so they may too)."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from network.models import Network
from network.selectors import Access, network_access
from scorecard.models import HEADLINE_LENGTH, STORY_LENGTH, Scorecard

STORY_FIELDS = ("headline", "what_works", "partners_with_a_role", "what_we_will_do")


def _refuse_unless_backbone(*, network: Network, user: AbstractBaseUser) -> None:
    if network_access(user=user, network=network) < Access.MANAGE:
        raise PermissionDenied("Only the network's backbone staff may change its public scorecard.")


def _scorecard_locked(*, network: Network) -> Scorecard:
    """The network's scorecard under a row lock, made (off, with no story) the first time."""
    Scorecard.objects.get_or_create(network=network)
    return Scorecard.objects.select_for_update().get(network=network)


def _plain(text: str) -> str:
    """Text as typed, without trailing spaces or Windows line ends; paragraphs kept."""
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))


@transaction.atomic
def scorecard_story_update(
    *,
    network: Network,
    user: AbstractBaseUser,
    headline: str,
    what_works: str,
    partners_with_a_role: str,
    what_we_will_do: str,
) -> Scorecard:
    """Save the story behind the curve the backbone staff wrote: plain text, paragraphs split by a blank
    line, each part within its length. Saving does not switch the scorecard on or off."""
    _refuse_unless_backbone(network=network, user=user)
    story = {
        "headline": " ".join(headline.split()),
        "what_works": _plain(what_works),
        "partners_with_a_role": _plain(partners_with_a_role),
        "what_we_will_do": _plain(what_we_will_do),
    }
    too_long = {
        name: f"At most {limit:,} characters: this has {len(story[name]):,}."
        for name, limit in [("headline", HEADLINE_LENGTH)]
        + [(name, STORY_LENGTH) for name in STORY_FIELDS[1:]]
        if len(story[name]) > limit
    }
    if too_long:
        raise ValidationError(too_long)
    scorecard = _scorecard_locked(network=network)
    for name, value in story.items():
        setattr(scorecard, name, value)
    scorecard.updated_by = user
    scorecard.save()
    return scorecard


@transaction.atomic
def scorecard_publish(*, network: Network, user: AbstractBaseUser) -> Scorecard:
    """Switch the scorecard on: from now anyone may open it (and embed it). Switching on what is on
    changes nothing, not even when it was switched on."""
    _refuse_unless_backbone(network=network, user=user)
    scorecard = _scorecard_locked(network=network)
    if not scorecard.published:
        scorecard.published = True
        scorecard.published_at = timezone.now()
        scorecard.published_by = user
        scorecard.save(update_fields=["published", "published_at", "published_by"])
    return scorecard


@transaction.atomic
def scorecard_unpublish(*, network: Network, user: AbstractBaseUser) -> Scorecard:
    """Switch the scorecard off: its public address answers "not found" again. The story is kept."""
    _refuse_unless_backbone(network=network, user=user)
    scorecard = _scorecard_locked(network=network)
    if scorecard.published:
        scorecard.published = False
        scorecard.save(update_fields=["published"])
    return scorecard
