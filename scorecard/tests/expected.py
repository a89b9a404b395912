"""What the public may be shown of a network's monthly counts, worked out in the tests straight from the
publication layer: what it publishes to the viewer who knows no partner, less what it hides from any
partner's staff (their own figures known) or from the state's viewers (the partners sharing with it)."""

import datetime

from goals import selectors
from metrics.models import Measure, PartnerFigure
from metrics.outcome_publication import Key, OutcomePublication, outcome_publications
from metrics.publication import Figure
from network.models import DataSharing, Membership, Network
from network.selectors import Viewer


def others(network: Network) -> list[Viewer]:
    partners = set(PartnerFigure.objects.filter(network=network).values_list("organization_id", flat=True))
    shared = Membership.objects.current().filter(
        data_sharing=DataSharing.BACKBONE_AND_STATE, network__state=network.state
    )
    state = Viewer(
        shared=frozenset(shared.values_list("network_id", "organization_id")),
        states=frozenset({network.state_id}),
    )
    return [Viewer(organization_ids=frozenset({pk})) for pk in partners] + [state]


def public_months(
    network: Network, today: datetime.date
) -> tuple[dict[datetime.date, Figure], set[datetime.date]]:
    """The enrollments of each month as the publication layer publishes them to the public (`Viewer()`),
    and the months of those it shows that it hides from one of the others."""
    measure = Measure.objects.get(code="enrollments")

    def publication(viewer: Viewer):
        return selectors.published(
            networks=[network], measure_id=measure.pk, viewer=viewer, today=today
        ).network(network.pk)

    public = publication(Viewer())
    months = dict(public.month_figures)
    from_others = {
        month
        for viewer in others(network)
        for month, figure in publication(viewer).month_figures.items()
        if figure.hidden and months.get(month, Figure(None)).value is not None
    }
    return months, from_others


def public_outcome_cells(network: Network, today: datetime.date) -> tuple[OutcomePublication, set[Key]]:
    """The network's outcomes as the outcome publication publishes them to the public, and the cells of
    those it shows that it hides from the staff of a partner sharing its outcomes (their network's page)
    or from the state's viewers (the state's page, solved with the state's cells)."""
    public = outcome_publications(networks=[network], viewer=Viewer(), today=today).networks[network.pk]
    sharing = set(
        Membership.objects.filter(network=network, outcomes_shared=True).values_list(
            "organization_id", flat=True
        )
    )
    state = others(network)[-1]
    hidden_from_others: set[Key] = set()
    for viewer in [*(Viewer(organization_ids=frozenset({pk})) for pk in sharing), state]:
        statewide = viewer is state
        networks = list(Network.objects.filter(state=network.state)) if statewide else [network]
        theirs = outcome_publications(networks=networks, viewer=viewer, today=today, with_states=statewide)
        hidden_from_others |= {
            key for key in theirs.networks[network.pk].hidden if public.figure(*key).value is not None
        }
    return public, hidden_from_others
