"""Reads of the public scorecard: the network's scorecard (for its backbone staff and for the public)
and the partners it may name. The figures themselves are in `scorecard.board`."""

from dataclasses import dataclass

from django.http import Http404

from network.models import Membership, Network
from scorecard.models import Scorecard


def scorecard_of(*, network: Network) -> Scorecard:
    """The network's scorecard; an unsaved one (off, no story) where the backbone never wrote one. One
    query."""
    return Scorecard.objects.filter(network=network).first() or Scorecard(network=network)


def scorecard_published_get(*, slug: str) -> Scorecard:
    """The scorecard at a network's public address, with its network: 404 unless it is switched on, so
    a network without one (or one that does not exist) looks the same. One query."""
    scorecard = (
        Scorecard.objects.select_related("network", "network__state", "network__backbone")
        .filter(network__slug=slug, published=True)
        .first()
    )
    if scorecard is None:
        raise Http404("No public scorecard here.")
    return scorecard


@dataclass(frozen=True)
class NamedPartner:
    name: str
    sector: str


def partners_named(*, network: Network) -> list[NamedPartner]:
    """The current partners that chose to be named on the public scorecard, by name, with their sector:
    nothing else of them. One query, however many partners."""
    memberships = (
        Membership.objects.current()
        .filter(network=network, named_publicly=True)
        .select_related("organization")
        .order_by("organization__name", "organization_id")
    )
    return [NamedPartner(m.organization.name, m.organization.get_sector_display()) for m in memberships]
