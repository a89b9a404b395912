"""Who reads the public scorecard: the public, who knows no partner, and those who see some of the
network's partners identified, short of all of them. The public is shown a count only where each of the
others is shown it too (`scorecard.board.public_publication`, `scorecard.outcomes.public_outcomes`), so
that none of them can subtract their own part from a public total."""

from collections.abc import Iterable

from network.models import DataSharing, Membership, Network
from network.selectors import Viewer

# The public's level: nobody identified.
PUBLIC = Viewer()


def viewers_identifying(*, network: Network, organization_ids: Iterable[int]) -> list[Viewer]:
    """Those who see some of the network's partners identified: the staff of each of ``organization_ids``
    (the partners whose counts enter the public's figures: their own organization), then the state's
    viewers (the partners sharing with the state, in every network of the state). One query."""
    shared = Membership.objects.current().filter(
        data_sharing=DataSharing.BACKBONE_AND_STATE, network__state_id=network.state_id
    )
    return [
        *(Viewer(organization_ids=frozenset({pk})) for pk in sorted(set(organization_ids))),
        Viewer(
            shared=frozenset(shared.values_list("network_id", "organization_id")),
            states=frozenset({network.state_id}),
        ),
    ]
