"""Who works with whom: the ties the backbone records between partners, the partner relationship
survey's answers, and the network map and network-level figures built from them.

The map treats the network as undirected: two partners are connected if either records a tie with,
or names, the other. On N partners with E connections:

- density = 2E / (N(N - 1)), the share of possible connections that exist (0 when N < 2);
- Freeman degree centralization = sum(max degree - degree_i) / ((N - 1)(N - 2)), 1 for a star where
  one partner holds every connection, 0 when all hold the same number (0 when N < 3).

A partner's trust is the mean of the trust-domain scores (reliability, shared mission, openness) the
other partners gave it in a relationship survey, its value the mean of the value-domain scores (power
and influence, resources contributed, involvement). Only submitted answers count, and nobody rates
itself. What one partner said about another is for the backbone's eyes only: the state viewer and
partner staff see network-level figures (`graph_trend`), never `partner_ratings` or the map.

Every read here costs a fixed number of queries whatever the number of partners: edges, members and
scores come in a few flat queries and the graph is computed in Python.
"""

import datetime
import html
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Avg, Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core import figures
from core.calendar import long_date
from core.figures import Chart, Table, chart
from network.models import (
    AssessmentInvitation,
    AssessmentRound,
    Closeness,
    InstrumentItem,
    InstrumentKind,
    ItemScore,
    Membership,
    Network,
    PartnerTie,
    SurveyRelationship,
    TieKind,
)
from partners.models import Organization, Sector

TRUST, VALUE = "trust", "value"
CLOSENESS_RANK: dict[str, int] = {value: rank for rank, value in enumerate(Closeness.values)}
DEFAULT_MIN_CLOSENESS = Closeness.COOPERATION


class MapSource(models.TextChoices):
    """Where the map's connections come from."""

    TIES = "ties", "Ties the backbone recorded"
    SURVEY = "survey", "The latest closed partner relationship survey"


# Services: recording and ending ties.


@transaction.atomic
def tie_record(
    *,
    network: Network,
    source: Organization,
    target: Organization,
    kind: str,
    started_on: datetime.date | None = None,
    note: str = "",
) -> PartnerTie:
    """Record that ``source`` works with ``target``: refers people to it, shares data with it, funds it
    or delivers the program with it. Both must be current partners of ``network``.

    A tie that ended stays as history; working together again is a new tie. There is one current tie
    per kind and direction.
    """
    if source.pk == target.pk:
        raise ValidationError("A tie links two different partners: choose another organization.")
    if kind not in TieKind.values:
        raise ValidationError(f"Unknown kind of tie {kind!r}.")
    current = set(
        Membership.objects.current()
        .filter(network=network, organization__in=[source, target])
        .values_list("organization_id", flat=True)
    )
    for organization in (source, target):
        if organization.pk not in current:
            raise ValidationError(f"{organization} is not a current partner of {network}.")
    existing = PartnerTie.objects.filter(
        network=network, source=source, target=target, kind=kind, ended_on__isnull=True
    ).first()
    if existing is not None:
        since = f" since {long_date(existing.started_on)}" if existing.started_on else ""
        raise ValidationError(
            f"{source} already has a current {TieKind(kind).label.lower()} tie with {target}{since}."
        )
    return PartnerTie.objects.create(
        network=network, source=source, target=target, kind=kind, started_on=started_on, note=note
    )


def tie_end(*, tie: PartnerTie, ended_on: datetime.date) -> PartnerTie:
    """Record the date a tie ended; from that day on it is no longer on the map."""
    if tie.ended_on is not None:
        raise ValidationError(f"This tie already ended on {long_date(tie.ended_on)}.")
    if tie.started_on and ended_on < tie.started_on:
        raise ValidationError(
            f"The tie cannot end before it started, on {long_date(tie.started_on)}: choose a later date."
        )
    tie.ended_on = ended_on
    tie.save(update_fields=["ended_on"])
    return tie


# Selectors: the recorded ties.


def tie_is_current(
    *, started_on: datetime.date | None, ended_on: datetime.date | None, on: datetime.date
) -> bool:
    """Whether a tie holds on ``on``: started by then (or undated) and not yet ended that day."""
    return (started_on is None or started_on <= on) and (ended_on is None or ended_on > on)


@dataclass
class TieRow:
    tie: PartnerTie
    current: bool  # the tie holds today
    partners_current: bool  # both organizations are still partners; if not, the map leaves it out


def ties_for_network(*, network: Network, today: datetime.date | None = None) -> list[TieRow]:
    """The network's recorded ties, current ones first; two queries."""
    today = today or timezone.localdate()
    current = set(
        Membership.objects.current().filter(network=network).values_list("organization_id", flat=True)
    )
    rows = [
        TieRow(
            tie=tie,
            current=tie_is_current(started_on=tie.started_on, ended_on=tie.ended_on, on=today),
            partners_current=tie.source_id in current and tie.target_id in current,
        )
        for tie in network.ties.select_related("source", "target")
    ]
    rows.sort(key=lambda row: not (row.current and row.partners_current))
    return rows


def tie_get(*, network: Network, pk: int) -> PartnerTie:
    """The tie ``pk`` of ``network``; 404 for a tie of any other network."""
    tie = network.ties.select_related("source", "target").filter(pk=pk).first()
    if tie is None:
        raise Http404("No such tie in this network.")
    return tie


# Graph measures: pure functions on counts and degrees.


def undirected_edges(*, nodes: Collection[int], pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Undirected connections among ``nodes`` from directed pairs: A→B and B→A become one (A, B) with
    A < B; pairs of a partner with itself or with anyone not in ``nodes`` are dropped."""
    return {(min(a, b), max(a, b)) for a, b in pairs if a != b and a in nodes and b in nodes}


def node_degrees(*, nodes: Iterable[int], edges: Iterable[tuple[int, int]]) -> dict[int, int]:
    """The number of connections of each node (0 for a node with none)."""
    degree = dict.fromkeys(nodes, 0)
    for a, b in edges:
        degree[a] += 1
        degree[b] += 1
    return degree


def graph_density(*, node_count: int, edge_count: int) -> float:
    """2E / (N(N - 1)): the share of all possible connections that exist; 0 with fewer than 2 nodes."""
    if node_count < 2:
        return 0.0
    return 2 * edge_count / (node_count * (node_count - 1))


def degree_centralization(*, degrees: Collection[int]) -> float:
    """Freeman degree centralization: sum(max degree - degree_i) / ((N - 1)(N - 2)). 1.0 for a star,
    0.0 when every node has the same degree, and 0.0 with fewer than 3 nodes."""
    n = len(degrees)
    if n < 3:
        return 0.0
    top = max(degrees)
    return sum(top - degree for degree in degrees) / ((n - 1) * (n - 2))


# Selectors: the graph on a date.


@dataclass(frozen=True)
class MapFilters:
    on: datetime.date
    sources: frozenset[str] = frozenset(MapSource.values)
    min_closeness: str = DEFAULT_MIN_CLOSENESS
    sector: str = ""
    kind: str = ""  # partners.OrganizationKind code

    @property
    def min_closeness_label(self) -> str:
        return Closeness(self.min_closeness).label.lower()


@dataclass(frozen=True)
class MapNode:
    organization_id: int
    name: str
    sector: str

    @property
    def sector_label(self) -> str:
        return Sector(self.sector).label if self.sector in Sector.values else self.sector


@dataclass
class MapEdge:
    a: int  # organization ids, a < b
    b: int
    tie_kinds: set[str] = field(default_factory=set)  # recorded ties, either direction
    closeness: str = ""  # the closer of the two partners' answers in the survey, at or above the minimum
    named_by: int = 0  # how many of the two named the other in the survey (2 = both)


@dataclass
class NetworkGraph:
    """The map on one date: partners (nodes, ordered by sector then name) and their connections."""

    filters: MapFilters
    nodes: list[MapNode]
    edges: list[MapEdge]
    survey_round: AssessmentRound | None
    degree: dict[int, int]

    @property
    def node_count(self) -> int:
        return len(self.nodes)

    @property
    def edge_count(self) -> int:
        return len(self.edges)

    @property
    def density(self) -> float:
        return graph_density(node_count=self.node_count, edge_count=self.edge_count)

    @property
    def centralization(self) -> float:
        return degree_centralization(degrees=list(self.degree.values()))


@dataclass(frozen=True)
class _MembershipRow:
    organization_id: int
    name: str
    sector: str
    joined_on: datetime.date
    left_on: datetime.date | None

    def member_on(self, day: datetime.date) -> bool:
        # A partner that left on a day is no longer a partner that day, as a tie that ended.
        return self.joined_on <= day and (self.left_on is None or self.left_on > day)


def _membership_rows(*, network: Network) -> list[_MembershipRow]:
    """Every membership of the network, past and present, with the organization's name and sector."""
    return [
        _MembershipRow(*row)
        for row in network.memberships.values_list(
            "organization_id", "organization__name", "organization__sector", "joined_on", "left_on"
        )
    ]


def _members_on(rows: Iterable[_MembershipRow], day: datetime.date) -> dict[int, _MembershipRow]:
    return {row.organization_id: row for row in rows if row.member_on(day)}


def _survey_rounds_closed(*, network: Network) -> QuerySet[AssessmentRound]:
    return AssessmentRound.objects.filter(
        network=network, instrument__kind=InstrumentKind.RELATIONSHIP_SURVEY, closed_at__isnull=False
    )


def _end_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))


def survey_round_latest(*, network: Network, on: datetime.date) -> AssessmentRound | None:
    """The relationship-survey round that closed last on or before ``on``."""
    return (
        _survey_rounds_closed(network=network)
        .select_related("instrument")
        .filter(closed_at__lt=_end_of(on))
        .order_by("-closed_at", "-pk")
        .first()
    )


def _survey_answers(*, round_ids: Collection[int]) -> list[tuple[int, int, int, str]]:
    """(round id, respondent id, partner named, closeness) from submitted answers of the rounds."""
    if not round_ids:
        return []
    return list(
        SurveyRelationship.objects.filter(
            invitation__round_id__in=round_ids, invitation__submitted_at__isnull=False
        ).values_list("invitation__round_id", "invitation__organization_id", "partner_id", "closeness")
    )


def _edges(
    *,
    nodes: Collection[int],
    ties: Iterable[tuple[int, int, str]],
    answers: Iterable[tuple[int, int, str]],
    min_closeness: str,
) -> dict[tuple[int, int], MapEdge]:
    """Merge recorded ties (source, target, kind) and survey answers (respondent, partner, closeness)
    into undirected edges among ``nodes``; answers below ``min_closeness`` do not count."""
    edges: dict[tuple[int, int], MapEdge] = {}

    def edge(a: int, b: int) -> MapEdge | None:
        if a == b or a not in nodes or b not in nodes:
            return None
        key = (min(a, b), max(a, b))
        if key not in edges:
            edges[key] = MapEdge(*key)
        return edges[key]

    for source, target, kind in ties:
        if (found := edge(source, target)) is not None:
            found.tie_kinds.add(kind)
    threshold = CLOSENESS_RANK[min_closeness]
    for respondent, partner, closeness in answers:
        if CLOSENESS_RANK.get(closeness, -1) < threshold:
            continue
        if (found := edge(respondent, partner)) is not None:
            found.named_by += 1
            if CLOSENESS_RANK[closeness] > CLOSENESS_RANK.get(found.closeness, -1):
                found.closeness = closeness
    return edges


SECTOR_ORDER: dict[str, int] = {value: rank for rank, value in enumerate(Sector.values)}


def network_graph(*, network: Network, filters: MapFilters) -> NetworkGraph:
    """The network as a graph on ``filters.on``: its partners on that day (of the chosen sector and
    kind) and the connections among them, from the ties current that day and/or the latest
    relationship survey closed by then. Four or five queries whatever the network's size."""
    members = _members_on(_membership_rows(network=network), filters.on)
    if filters.sector:
        members = {pk: row for pk, row in members.items() if row.sector == filters.sector}
    if filters.kind:
        of_kind = set(
            Organization.objects.filter(memberships__network=network, kinds__code=filters.kind).values_list(
                "pk", flat=True
            )
        )
        members = {pk: row for pk, row in members.items() if pk in of_kind}
    nodes = sorted(
        (MapNode(row.organization_id, row.name, row.sector) for row in members.values()),
        key=lambda node: (
            SECTOR_ORDER.get(node.sector, len(SECTOR_ORDER)),
            node.name.lower(),
            node.organization_id,
        ),
    )
    ties: list[tuple[int, int, str]] = []
    if MapSource.TIES in filters.sources:
        ties = [
            (source, target, kind)
            for source, target, kind, started_on, ended_on in network.ties.values_list(
                "source_id", "target_id", "kind", "started_on", "ended_on"
            )
            if tie_is_current(started_on=started_on, ended_on=ended_on, on=filters.on)
        ]
    survey_round = survey_round_latest(network=network, on=filters.on)
    answers: list[tuple[int, int, str]] = []
    if MapSource.SURVEY in filters.sources and survey_round is not None:
        answers = [row[1:] for row in _survey_answers(round_ids=[survey_round.pk])]
    edges = _edges(nodes=members, ties=ties, answers=answers, min_closeness=filters.min_closeness)
    return NetworkGraph(
        filters=filters,
        nodes=nodes,
        edges=[edges[key] for key in sorted(edges)],
        survey_round=survey_round,
        degree=node_degrees(nodes=members, edges=edges),
    )


# Selectors: ratings from the relationship survey (backbone staff only).


@dataclass(frozen=True)
class PartnerRating:
    trust: float | None  # mean of the trust-domain scores others gave the partner, 1 to 4
    value: float | None  # mean of the value-domain scores others gave the partner, 1 to 4
    raters: int  # partners that rated it


def _ratings_given(*, survey_round: AssessmentRound) -> QuerySet[ItemScore]:
    """Scores about named partners in submitted answers of the round, leaving out self-ratings."""
    return ItemScore.objects.filter(
        relationship__invitation__round=survey_round,
        relationship__invitation__submitted_at__isnull=False,
    ).exclude(relationship__partner_id=F("relationship__invitation__organization_id"))


def partner_ratings(*, survey_round: AssessmentRound | None) -> dict[int, PartnerRating]:
    """Trust, value and the number of raters of every partner rated in ``survey_round``, by
    organization id; one aggregate query. Answers are about individual partners: backbone staff only."""
    if survey_round is None:
        return {}
    rows = (
        _ratings_given(survey_round=survey_round)
        .values("relationship__partner_id")
        .annotate(
            trust=Avg("score", filter=Q(item__domain=TRUST)),
            value=Avg("score", filter=Q(item__domain=VALUE)),
            raters=Count("relationship__invitation__organization", distinct=True),
        )
        .order_by()
    )
    return {
        row["relationship__partner_id"]: PartnerRating(
            trust=row["trust"], value=row["value"], raters=row["raters"]
        )
        for row in rows
    }


# Short names of the relationship survey's items, for table headings.
ITEM_LABELS = {"power_influence": "Power and influence", "resources": "Resources contributed"}


def item_label(code: str) -> str:
    return ITEM_LABELS.get(code) or code.replace("_", " ").capitalize()


@dataclass
class RaterAnswer:
    """One partner's answer about another: how closely they work together and its scores by item."""

    rater: str
    closeness: str
    scores: dict[str, int]  # item code -> score


@dataclass
class PartnerRelationships:
    """What the backbone sees about one partner: its recorded ties, who named it in the survey and
    how they rated it, and whom it named."""

    survey_round: AssessmentRound | None
    items: list[InstrumentItem]
    rated_by: list[RaterAnswer]
    named: list[tuple[str, str]]  # (partner named, closeness)
    ties: list[PartnerTie]
    item_means: dict[str, float]

    @property
    def columns(self) -> list[tuple[str, str, str]]:
        """(short label, domain, question) of each item, in order."""
        return [(item_label(item.code), item.domain, item.text) for item in self.items]

    @property
    def score_rows(self) -> list[tuple[str, str, list[int | None]]]:
        """(rater, closeness, scores in the order of ``items``), for a table."""
        return [
            (answer.rater, answer.closeness, [answer.scores.get(item.code) for item in self.items])
            for answer in self.rated_by
        ]

    def _domain_mean(self, domain: str) -> str | None:
        codes = {item.code for item in self.items if item.domain == domain}
        scores = [score for answer in self.rated_by for code, score in answer.scores.items() if code in codes]
        return _fixed(sum(scores) / len(scores), 2) if scores else None

    @property
    def trust(self) -> str | None:
        """As on the map: the mean of every trust-domain score its partners gave it."""
        return self._domain_mean(TRUST)

    @property
    def value(self) -> str | None:
        return self._domain_mean(VALUE)

    @property
    def mean_row(self) -> list[str | None]:
        return [_fixed(self.item_means.get(item.code), 2) for item in self.items]


def partner_relationships(
    *, network: Network, organization: Organization, on: datetime.date
) -> PartnerRelationships:
    """One partner's ties and survey answers about it (in the latest round closed by ``on``); a fixed
    number of queries. Answers of one partner about another: backbone staff only."""
    survey_round = survey_round_latest(network=network, on=on)
    ties = list(
        network.ties.filter(Q(source=organization) | Q(target=organization)).select_related(
            "source", "target"
        )
    )
    if survey_round is None:
        return PartnerRelationships(None, [], [], [], ties, {})
    items = list(survey_round.instrument.items.all())
    relationships = SurveyRelationship.objects.filter(
        invitation__round=survey_round, invitation__submitted_at__isnull=False
    )
    about = relationships.filter(partner=organization).exclude(invitation__organization=organization)
    answers: dict[int, RaterAnswer] = {
        pk: RaterAnswer(rater=name, closeness=Closeness(closeness).label, scores={})
        for pk, name, closeness in about.order_by("invitation__organization__name").values_list(
            "pk", "invitation__organization__name", "closeness"
        )
    }
    scores = _ratings_given(survey_round=survey_round).filter(relationship__partner=organization)
    for relationship_id, code, score in scores.values_list("relationship_id", "item__code", "score"):
        if relationship_id in answers:
            answers[relationship_id].scores[code] = score
    by_item: dict[str, list[int]] = defaultdict(list)
    for answer in answers.values():
        for code, score in answer.scores.items():
            by_item[code].append(score)
    named = [
        (name, Closeness(closeness).label)
        for name, closeness in relationships.filter(invitation__organization=organization)
        .exclude(partner=organization)
        .order_by("partner__name")
        .values_list("partner__name", "closeness")
    ]
    return PartnerRelationships(
        survey_round=survey_round,
        items=items,
        rated_by=list(answers.values()),
        named=named,
        ties=ties,
        item_means={code: sum(values) / len(values) for code, values in by_item.items()},
    )


# Selectors: network-level figures over rounds (for everyone who may view the network).


@dataclass(frozen=True)
class TrendPoint:
    """The network on one date: from a survey round (closed that day) and from the ties recorded then."""

    label: str
    on: datetime.date
    partners: int
    respondents: int | None  # partners that answered the round; None for a date without a round
    survey_ties: int | None
    survey_density: float | None
    survey_centralization: float | None
    recorded_ties: int
    recorded_density: float
    recorded_centralization: float


def _measures(nodes: Collection[int], edges: Collection[tuple[int, int]]) -> tuple[int, float, float]:
    degrees = node_degrees(nodes=nodes, edges=edges)
    return (
        len(edges),
        graph_density(node_count=len(nodes), edge_count=len(edges)),
        degree_centralization(degrees=list(degrees.values())),
    )


def graph_trend(
    *,
    network: Network,
    min_closeness: str = DEFAULT_MIN_CLOSENESS,
    today: datetime.date | None = None,
) -> list[TrendPoint]:
    """Partners, connections, density and degree centralization at the close of each relationship
    survey round, from the survey (answers at or above ``min_closeness``) and from the ties recorded
    that day, oldest first, then today from the recorded ties. Network-level numbers only; five queries
    however many rounds and partners there are."""
    today = today or timezone.localdate()
    memberships = _membership_rows(network=network)
    ties = list(network.ties.values_list("source_id", "target_id", "started_on", "ended_on"))
    rounds = list(_survey_rounds_closed(network=network).order_by("closed_at", "pk"))
    answers: dict[int, list[tuple[int, int]]] = defaultdict(list)
    threshold = CLOSENESS_RANK[min_closeness]
    for round_id, respondent, partner, closeness in _survey_answers(round_ids=[r.pk for r in rounds]):
        if CLOSENESS_RANK.get(closeness, -1) >= threshold:
            answers[round_id].append((respondent, partner))
    respondents = dict(
        AssessmentInvitation.objects.filter(round__in=rounds, submitted_at__isnull=False)
        .values("round_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("round_id", "n")
    )

    def recorded(nodes: Collection[int], day: datetime.date) -> tuple[int, float, float]:
        pairs = (
            (s, t) for s, t, start, end in ties if tie_is_current(started_on=start, ended_on=end, on=day)
        )
        return _measures(nodes, undirected_edges(nodes=nodes, pairs=pairs))

    points = []
    for survey_round in rounds:
        day = timezone.localdate(survey_round.closed_at)
        nodes = _members_on(memberships, day)
        survey = _measures(nodes, undirected_edges(nodes=nodes, pairs=answers[survey_round.pk]))
        answered = respondents.get(survey_round.pk, 0)
        points.append(
            TrendPoint(survey_round.title, day, len(nodes), answered, *survey, *recorded(nodes, day))
        )
    if not points or points[-1].on != today:
        nodes = _members_on(memberships, today)
        points.append(TrendPoint("Today", today, len(nodes), None, None, None, None, *recorded(nodes, today)))
    return points


def trend_latest_survey(*, trend: Sequence[TrendPoint]) -> TrendPoint | None:
    """The latest point with figures from a survey round, if any."""
    return next((point for point in reversed(trend) if point.survey_density is not None), None)


# Figures: the map and the trend as plotly charts with their tables.


def sector_marker(sector: str) -> dict[str, str]:
    """A sector's colour and shape on the map: more sectors than colour-blind-safe colours, so the
    shape changes once the palette has gone round (the legend and hover text name the sector too)."""
    index = list(Sector.values).index(sector) if sector in Sector.values else len(Sector.values)
    colours = figures.COLOURS
    return {
        "color": colours[index % len(colours)],
        "symbol": figures.SYMBOLS[(index // len(colours)) % len(figures.SYMBOLS)],
    }


# Pulls every partner towards the centre, so that partners with few connections stay near the rest.
GRAVITY = 1.0

# Above this many partners the force-directed layout costs too much memory; partners go on a circle.
FORCE_LAYOUT_MAX_NODES = 400


def graph_layout(
    *, nodes: Sequence[int], edges: Iterable[tuple[int, int]], iterations: int = 80
) -> dict[int, tuple[float, float]]:
    """Positions for drawing: connected partners in [-1, 1] by a Fruchterman-Reingold force-directed
    layout started from a circle in the order of ``nodes`` (by sector, so sectors start together);
    partners without connections in a row below, where they neither crowd the others nor fly off.
    No randomness: the same graph is always drawn the same."""
    edges = list(edges)
    linked = {node for edge in edges for node in edge}
    connected = [node for node in nodes if node in linked]
    alone = [node for node in nodes if node not in linked]
    placed = _force_layout(connected, edges, iterations)
    for i, node in enumerate(alone):
        x = 0.0 if len(alone) == 1 else -1 + 2 * i / (len(alone) - 1)
        placed[node] = (x, -1.3)
    return placed


def _force_layout(
    nodes: Sequence[int], edges: Sequence[tuple[int, int]], iterations: int
) -> dict[int, tuple[float, float]]:
    n = len(nodes)
    if n == 0:
        return {}
    if n == 1:
        return {nodes[0]: (0.0, 0.0)}
    angles = np.linspace(0, 2 * math.pi, n, endpoint=False)
    position = np.column_stack([np.cos(angles), np.sin(angles)])
    if n <= FORCE_LAYOUT_MAX_NODES:
        index = {node: i for i, node in enumerate(nodes)}
        adjacent = np.zeros((n, n))
        for a, b in edges:
            adjacent[index[a], index[b]] = adjacent[index[b], index[a]] = 1.0
        k = math.sqrt(4.0 / n)  # the ideal distance between partners in a 2 x 2 square
        temperature = 0.2
        for step in range(iterations):
            delta = position[:, None, :] - position[None, :, :]
            distance = np.maximum(np.hypot(delta[..., 0], delta[..., 1]), 1e-3)
            # Along each unit vector: repulsion k²/d between all pairs, attraction d²/k along edges.
            strength = k * k / distance**2 - adjacent * distance / k
            np.fill_diagonal(strength, 0.0)
            displacement = (delta * strength[..., None]).sum(axis=1) - GRAVITY * k * position
            length = np.maximum(np.hypot(displacement[:, 0], displacement[:, 1]), 1e-9)
            cooled = temperature * (1 - step / iterations)
            position += displacement * (np.minimum(length, cooled) / length)[:, None]
        position -= position.mean(axis=0)
    scale = float(np.abs(position).max()) or 1.0
    return {node: (float(x / scale), float(y / scale)) for node, (x, y) in zip(nodes, position, strict=True)}


def _fixed(number: float | None, places: int) -> str | None:
    """A number as a table and its CSV show it: a fixed number of decimals (2.50, not 2.5)."""
    return None if number is None else f"{number:.{places}f}"


def _rounded(number: float | None, places: int) -> float | None:
    return None if number is None else round(number, places)


def _hover(node: MapNode, degree: int, rating: PartnerRating | None) -> str:
    trust = f"{rating.trust:.2f}" if rating and rating.trust is not None else "not rated"
    value = f"{rating.value:.2f}" if rating and rating.value is not None else "not rated"
    raters = f" ({rating.raters} partner{'s' if rating.raters != 1 else ''} rating it)" if rating else ""
    return (
        f"<b>{html.escape(node.name)}</b><br>{html.escape(node.sector_label)}<br>"
        f"Connections: {degree}<br>Trust: {trust}<br>Value: {value}{raters}"
    )


def map_positions(*, graph: NetworkGraph) -> dict[int, tuple[float, float]]:
    """Where each partner is drawn on the map (and found by the map's search)."""
    return graph_layout(
        nodes=[node.organization_id for node in graph.nodes], edges=[(e.a, e.b) for e in graph.edges]
    )


# A label on the map: a name cut to this many characters (the hover text, the search and the tables
# have it whole), in the map's units: about 260 pixels to one unit on a laptop screen.
LABEL_CHARS = 24
LABEL_CHAR_WIDTH = 6.5 / 260
LABEL_HEIGHT = 14 / 260
# A label that would cover more than this share of its area with other labels and dots is left off.
LABEL_MOST_COVERED = 0.25


def map_label(name: str) -> str:
    """A partner's name as its label on the map: whole when short, else cut at a word and marked."""
    if len(name) <= LABEL_CHARS:
        return name
    cut = name[: LABEL_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,;:-(")
    return f"{cut}…"


Box = tuple[float, float, float, float]  # left, bottom, right, top


def _overlap(a: Box, b: Box) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return width * height if width > 0 and height > 0 else 0.0


def map_label_places(
    *, positions: dict[int, tuple[float, float]], labels: dict[int, str], sizes: dict[int, float]
) -> dict[int, str]:
    """Where each label goes beside its dot (plotly's textposition), or "" where it would cover others
    badly: partners with the most connections choose first, each the side (right, left, above, below)
    that covers the fewest labels and dots already there. No randomness: the same map, the same labels."""
    dots = {
        node: (x - r, y - r, x + r, y + r)
        for node, (x, y) in positions.items()
        for r in [sizes[node] / 2 / 260]
    }
    placed: list[Box] = []
    places: dict[int, str] = {}
    for node in sorted(positions, key=lambda n: (-sizes[n], labels[n])):
        x, y = positions[node]
        width, height = len(labels[node]) * LABEL_CHAR_WIDTH, LABEL_HEIGHT
        gap = sizes[node] / 2 / 260 + 0.01
        sides = {
            "middle right": (x + gap, y - height / 2, x + gap + width, y + height / 2),
            "middle left": (x - gap - width, y - height / 2, x - gap, y + height / 2),
            "top center": (x - width / 2, y + gap, x + width / 2, y + gap + height),
            "bottom center": (x - width / 2, y - gap - height, x + width / 2, y - gap),
        }
        covered = {
            side: sum(_overlap(box, other) for other in placed)
            + sum(_overlap(box, dot) for other, dot in dots.items() if other != node)
            for side, box in sides.items()
        }
        side = min(sides, key=lambda side: covered[side])  # dicts keep order: right wins a tie
        if covered[side] > LABEL_MOST_COVERED * width * height:
            places[node] = ""
            continue
        places[node] = side
        placed.append(sides[side])
    return places


def map_search_data(*, graph: NetworkGraph, positions: dict[int, tuple[float, float]]) -> dict[str, Any]:
    """What the map's search needs: each partner's name, place and connections (the same figures as the
    tables below the map)."""
    neighbours: dict[int, list[int]] = defaultdict(list)
    for edge in graph.edges:
        neighbours[edge.a].append(edge.b)
        neighbours[edge.b].append(edge.a)
    return {
        "nodes": [
            {
                "id": node.organization_id,
                "name": node.name,
                "sector": node.sector_label,
                "x": positions[node.organization_id][0],
                "y": positions[node.organization_id][1],
                "neighbours": sorted(neighbours[node.organization_id]),
            }
            for node in graph.nodes
        ]
    }


def map_figure(
    *,
    graph: NetworkGraph,
    ratings: dict[int, PartnerRating],
    positions: dict[int, tuple[float, float]] | None = None,
) -> Chart:
    """The network map: partners coloured by sector, sized by connections and labelled with their
    names where a label fits, lines for connections, and two empty traces that the search fills."""
    positions = positions if positions is not None else map_positions(graph=graph)
    sizes = {
        node.organization_id: 10 + 5 * math.sqrt(graph.degree[node.organization_id]) for node in graph.nodes
    }
    labels = {node.organization_id: map_label(node.name) for node in graph.nodes}
    places = map_label_places(positions=positions, labels=labels, sizes=sizes)
    figure = go.Figure()
    styles = {
        "both": ("Recorded tie and named in the survey", figures.INK, "solid", 2.0),
        "ties": ("Recorded tie", figures.MUTED, "solid", 1.2),
        "survey": ("Named in the survey", figures.MUTED, "dot", 1.2),
    }
    for style, (label, colour, dash, width) in styles.items():
        xs: list[float | None] = []
        ys: list[float | None] = []
        for edge in graph.edges:
            kind = "both" if edge.tie_kinds and edge.named_by else ("ties" if edge.tie_kinds else "survey")
            if kind == style:
                (xa, ya), (xb, yb) = positions[edge.a], positions[edge.b]
                xs += [xa, xb, None]
                ys += [ya, yb, None]
        if xs:
            figure.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    name=label,
                    line={"color": colour, "width": width, "dash": dash},
                    hoverinfo="skip",
                    legendgroup="connections",
                    legendgrouptitle_text="Connections",
                )
            )
    by_sector: dict[str, list[MapNode]] = defaultdict(list)
    for node in graph.nodes:
        by_sector[node.sector].append(node)
    for sector, nodes in by_sector.items():
        degrees = [graph.degree[node.organization_id] for node in nodes]
        figure.add_trace(
            go.Scatter(
                x=[positions[node.organization_id][0] for node in nodes],
                y=[positions[node.organization_id][1] for node in nodes],
                mode="markers+text",
                name=nodes[0].sector_label,
                marker={
                    "size": [sizes[node.organization_id] for node in nodes],
                    "opacity": 1,  # plotly draws dots of many sizes see-through unless told
                    **sector_marker(sector),
                    "line": {"color": "white", "width": 1},
                },
                text=[  # plotly reads a label as its small HTML, as the hover text
                    html.escape(labels[node.organization_id]) if places[node.organization_id] else ""
                    for node in nodes
                ],
                textposition=[places[node.organization_id] or "middle right" for node in nodes],
                textfont={"size": 11, "color": figures.INK},
                customdata=[node.organization_id for node in nodes],
                meta="map-partners",
                hovertext=[
                    _hover(node, degree, ratings.get(node.organization_id))
                    for node, degree in zip(nodes, degrees, strict=True)
                ],
                hovertemplate="%{hovertext}<extra></extra>",
                legendgroup="sectors",
                legendgrouptitle_text="Sector",
            )
        )
    # Filled by the search (static/js/network_map.js): the connections of the partners found, and a ring
    # around each partner found.
    found_line = {"color": figures.VERMILLION, "width": 3}
    found_ring = {"symbol": "circle-open", "size": 30, "color": figures.VERMILLION, "line": {"width": 3}}
    for meta, name, mode, style in [
        ("map-search-ties", "Connections of the partners found", "lines", {"line": found_line}),
        ("map-search-found", "Partners found", "markers", {"marker": found_ring}),
    ]:
        figure.add_trace(
            go.Scatter(
                x=[], y=[], mode=mode, name=name, hoverinfo="skip", showlegend=False, meta=meta, **style
            )
        )
    axis = {"visible": False, "range": [-1.12, 1.12]}
    figure.update_layout(
        height=680,
        xaxis=axis,
        yaxis={**axis, "range": [-1.42, 1.12], "scaleanchor": "x"},  # room for the row of unconnected
        hovermode="closest",
        dragmode="pan",
    )
    summary = (
        f"Network map of {graph.node_count} partners and {graph.edge_count} connections; "
        f"density {graph.density:.3f}, degree centralization {graph.centralization:.3f}."
    )
    # No axes to label.
    return chart(
        figure, summary=summary, element_id="network-map", margin={"l": 10, "r": 10, "t": 10, "b": 10}
    )


def _by_connections(graph: NetworkGraph) -> list[MapNode]:
    """Partners with the most connections first, then by name."""
    return sorted(graph.nodes, key=lambda node: (-graph.degree[node.organization_id], node.name.lower()))


def map_partner_table(*, graph: NetworkGraph, ratings: dict[int, PartnerRating]) -> Table:
    """Per partner: connections on the map, trust, value and how many partners rated it."""
    rows = []
    for node in _by_connections(graph):
        rating = ratings.get(node.organization_id)
        rows.append(
            [
                node.name,
                node.sector_label,
                graph.degree[node.organization_id],
                _fixed(rating.trust, 2) if rating else None,
                _fixed(rating.value, 2) if rating else None,
                rating.raters if rating else 0,
            ]
        )
    return Table(
        caption="Partners on the map: connections, trust and value",
        columns=[
            "Organization",
            "Sector",
            "Connections",
            "Trust (1 to 4)",
            "Value (1 to 4)",
            "Partners rating it",
        ],
        rows=rows,
        slug="partners-on-the-map",
    )


def map_partner_ids(*, graph: NetworkGraph) -> list[int]:
    """Organization ids in the order of `map_partner_table`'s rows, for links to partners' pages."""
    return [node.organization_id for node in _by_connections(graph)]


def map_connection_table(*, graph: NetworkGraph) -> Table:
    """Every connection on the map: the two partners, recorded ties and the survey's closeness."""
    names = {node.organization_id: node.name for node in graph.nodes}
    rows = []
    for edge in graph.edges:
        first, second = sorted([names[edge.a], names[edge.b]])
        kinds = "; ".join(label for value, label in TieKind.choices if value in edge.tie_kinds)
        closeness = Closeness(edge.closeness).label if edge.closeness else ""
        rows.append([first, second, kinds, closeness, edge.named_by])
    rows.sort(key=lambda row: (row[0], row[1]))
    return Table(
        caption="Connections on the map",
        columns=["Partner", "Partner", "Recorded ties", "Closest in the survey", "Named by (of the two)"],
        rows=rows,
        slug="connections-on-the-map",
    )


def trend_table(*, trend: Sequence[TrendPoint]) -> Table:
    """The network-level figures over rounds, as plain numbers."""
    rows = [
        [
            point.label,
            point.on.isoformat(),
            point.partners,
            point.respondents,
            point.survey_ties,
            _fixed(point.survey_density, 3),
            _fixed(point.survey_centralization, 3),
            point.recorded_ties,
            _fixed(point.recorded_density, 3),
            _fixed(point.recorded_centralization, 3),
        ]
        for point in trend
    ]
    return Table(
        caption="Density and degree centralization over relationship survey rounds",
        columns=[
            "Round",
            "Date",
            "Partners",
            "Partners that answered",
            "Survey: connections",
            "Survey: density",
            "Survey: degree centralization",
            "Recorded ties: connections",
            "Recorded ties: density",
            "Recorded ties: degree centralization",
        ],
        rows=rows,
        slug="network-density-and-centralization",
    )


def trend_figure(*, trend: Sequence[TrendPoint]) -> Chart:
    """Density (blue) and degree centralization (orange) over time: solid from the survey, dashed from the
    recorded ties."""
    figure = go.Figure()
    surveyed = [point for point in trend if point.survey_density is not None]
    survey_dates = [point.on.isoformat() for point in surveyed]
    dates = [point.on.isoformat() for point in trend]
    density, centralization = figures.BLUE, figures.ORANGE
    survey_density = [p.survey_density for p in surveyed]
    survey_centralization = [p.survey_centralization for p in surveyed]
    lines = [
        ("Survey: density", survey_dates, survey_density, density, "solid"),
        ("Survey: degree centralization", survey_dates, survey_centralization, centralization, "solid"),
        ("Recorded ties: density", dates, [p.recorded_density for p in trend], density, "dash"),
        (
            "Recorded ties: degree centralization",
            dates,
            [p.recorded_centralization for p in trend],
            centralization,
            "dash",
        ),
    ]
    for name, xs, ys, colour, dash in lines:
        if xs:
            figure.add_trace(
                go.Scatter(
                    x=xs,
                    y=[_rounded(y, 3) for y in ys],
                    mode="lines+markers",
                    name=name,
                    line={"color": colour, "dash": dash},
                    marker={"symbol": "circle" if dash == "solid" else "square"},
                    hovertemplate="%{x}: %{y:.3f}<extra>" + name + "</extra>",
                )
            )
    figure.update_layout(
        yaxis={"title": {"text": "0 to 1"}, "range": [0, 1.05]},
        xaxis={"title": {"text": "Date"}, "type": "date"},
        legend={"orientation": "h", "y": -0.25},
        height=420,
    )
    summary = "Density and degree centralization of the network over time."
    if surveyed:
        last = surveyed[-1]
        summary += (
            f" At the close of {last.label} ({last.on:%B %Y}): density {last.survey_density:.3f}, "
            f"degree centralization {last.survey_centralization:.3f}."
        )
    if trend:
        today = trend[-1]
        summary += (
            f" From the ties recorded on {long_date(today.on)}: density {today.recorded_density:.3f}, "
            f"degree centralization {today.recorded_centralization:.3f}."
        )
    return chart(figure, summary=summary, element_id="network-trend")
