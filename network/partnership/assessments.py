"""Self-assessments: rounds of an instrument, invitations e-mailed to partners, their answers, and the
results. Services (writes) first, then selectors (reads that pages share).

A round is open from ``opened_at`` until it is closed (early by the backbone, or by the daily job once
``closes_on`` has passed); answers are accepted only while it is open, through the invitation's secret
link. One response per partner and round: answering again replaces the earlier answers.
"""

import datetime
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core import jobs
from core.calendar import long_date
from network.models import (
    AssessmentInvitation,
    AssessmentRound,
    Closeness,
    Instrument,
    InstrumentItem,
    InstrumentKind,
    ItemScore,
    Membership,
    Network,
    Phase,
    SurveyRelationship,
)
from network.selectors import partners_current
from partners.models import Contact, Organization

# A partner that has not answered is reminded at most once in this many days.
REMINDER_INTERVAL = datetime.timedelta(days=7)

# What each phase looks like, in the words of ReThink Health's Pulse Check of 237 partnerships.
PHASE_DESCRIPTIONS: dict[str, str] = {
    Phase.EARLIER: (
        "Efforts concentrate on improving elements within the existing health system. The partnership "
        "is articulating a region-wide vision based on shared values, establishing its authority, "
        "expanding engagement and strengthening its infrastructure."
    ),
    Phase.MIDDLE: (
        "The partnership is building enough trust and transparency for more ambitious action and harder "
        "negotiations: engaging policymakers to create conditions for regional action, and moving beyond "
        "a reliance on short-term grants."
    ),
    Phase.LATER: (
        "The focus is on transforming the structure of the health system itself: negotiating tough "
        "topics and vested interests, a learning practice that shows results and adaptation, and "
        "leadership distributed broadly rather than held by a few key players."
    ),
}

CLOSENESS_DESCRIPTIONS: dict[str, str] = {
    Closeness.AWARENESS: "We know what they do and keep each other informed.",
    Closeness.COOPERATION: "We help each other now and then: share information, refer, attend events.",
    Closeness.COORDINATION: "We plan and do some work together toward shared goals.",
    Closeness.INTEGRATION: "We work as one on a shared program, with joint decisions and resources.",
}


def assessment_round_is_open(
    *, assessment_round: AssessmentRound, today: datetime.date | None = None
) -> bool:
    """Whether partners may still answer: not closed, and not past its last day."""
    today = today or timezone.localdate()
    return assessment_round.closed_at is None and assessment_round.closes_on >= today


def _open_rounds(today: datetime.date) -> Q:
    """Invitations (joined to their round) of rounds that still take answers."""
    return Q(round__closed_at__isnull=True, round__closes_on__gte=today)


# Services


def _invitation_emails(*, network: Network, exclude: Iterable[int] = ()) -> dict[int, str]:
    """The address to invite for each current partner: the primary contact's e-mail, else the first
    contact with one (by name). Partners without any contact e-mail are missing from the result."""
    current = Membership.objects.current().filter(network=network).values("organization_id")
    contacts = (
        Contact.objects.filter(organization_id__in=current)
        .exclude(email="")
        .exclude(organization_id__in=list(exclude))
        .order_by("organization_id", "-is_primary", "name", "pk")
        .values_list("organization_id", "email")
    )
    emails: dict[int, str] = {}
    for organization_id, email in contacts:
        emails.setdefault(organization_id, email)
    return emails


def _invitations_create(*, assessment_round: AssessmentRound) -> list[AssessmentInvitation]:
    invited = assessment_round.invitations.values_list("organization_id", flat=True)
    emails = _invitation_emails(network=assessment_round.network, exclude=invited)
    return AssessmentInvitation.objects.bulk_create(
        AssessmentInvitation(
            round=assessment_round,
            organization_id=organization_id,
            email=email,
            token=secrets.token_urlsafe(32),
        )
        for organization_id, email in emails.items()
    )


def _queue_invitations(*, assessment_round: AssessmentRound, base_url: str) -> None:
    # Robust: if the broker (or, with eager tasks, the mail server) fails, the round stays open and the
    # daily job sends the invitations still unsent.
    jobs.send_on_commit("network.tasks.send_assessment_invitations", assessment_round.pk, base_url)


@transaction.atomic
def assessment_round_open(
    *,
    network: Network,
    instrument: Instrument,
    title: str,
    closes_on: datetime.date,
    base_url: str,
    opened_by: AbstractBaseUser | None = None,
    now: datetime.datetime | None = None,
) -> AssessmentRound:
    """Open a round of ``instrument`` and invite every current partner with a contact e-mail.

    The e-mails go out from a Celery task once the round is committed; ``base_url`` (e.g.
    ``https://tandem.example.org``) makes the links in them absolute. One open round per instrument
    and network at a time, so partners are never asked the same questions twice at once.
    """
    now = now or timezone.now()
    if closes_on < timezone.localdate(now):
        raise ValidationError({"closes_on": "The last day to answer cannot be in the past."})
    already = (
        network.assessment_rounds.filter(instrument=instrument, closed_at__isnull=True)
        .filter(closes_on__gte=timezone.localdate(now))
        .first()
    )
    if already is not None:
        raise ValidationError(
            f"“{already.title}” ({instrument.name}) is still open until {long_date(already.closes_on)}. "
            "Close it before opening another round of the same instrument."
        )
    assessment_round = AssessmentRound.objects.create(
        network=network,
        instrument=instrument,
        title=title.strip(),
        opened_at=now,
        closes_on=closes_on,
        opened_by=opened_by,
    )
    _invitations_create(assessment_round=assessment_round)
    _queue_invitations(assessment_round=assessment_round, base_url=base_url)
    return assessment_round


@transaction.atomic
def assessment_invitations_add(*, assessment_round: AssessmentRound, base_url: str) -> int:
    """Invite the current partners that the round has not invited yet (they joined since, or the backbone
    has since added a contact e-mail), and e-mail them. Returns how many were invited."""
    if not assessment_round_is_open(assessment_round=assessment_round):
        raise ValidationError("The round has closed; no one else can be invited.")
    created = _invitations_create(assessment_round=assessment_round)
    if created:
        _queue_invitations(assessment_round=assessment_round, base_url=base_url)
    return len(created)


def _answer_link(*, base_url: str, token: str) -> str:
    return base_url.rstrip("/") + reverse("network:assessment_answer", args=[token])


def _email(*, invitation: AssessmentInvitation, template: str, base_url: str) -> None:
    assessment_round = invitation.round
    context = {
        "invitation": invitation,
        "round": assessment_round,
        "network": assessment_round.network,
        "instrument": assessment_round.instrument,
        "organization": invitation.organization,
        "link": _answer_link(base_url=base_url, token=invitation.token),
        "closes_on": long_date(assessment_round.closes_on),
    }
    subject = render_to_string(f"network/email/{template}_subject.txt", context)
    body = render_to_string(f"network/email/{template}.txt", context)
    send_mail(" ".join(subject.split()), body, None, [invitation.email])


def _with_email_context(invitations: QuerySet[AssessmentInvitation]) -> QuerySet[AssessmentInvitation]:
    return invitations.select_related(
        "organization", "round", "round__instrument", "round__network", "round__network__backbone"
    )


def assessment_invitation_send(
    *, invitation: AssessmentInvitation, base_url: str, now: datetime.datetime | None = None
) -> bool:
    """E-mail one invitation that has not been sent. The row is claimed with a conditional UPDATE first,
    so two workers never send it twice; if the e-mail fails, the claim is given back. Returns whether an
    e-mail went out."""
    now = now or timezone.now()
    claimed = AssessmentInvitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(sent_at=now)
    if not claimed:
        return False
    try:
        _email(invitation=invitation, template="assessment_invitation", base_url=base_url)
    except Exception:
        AssessmentInvitation.objects.filter(pk=invitation.pk, sent_at=now).update(sent_at=None)
        raise
    invitation.sent_at = now
    return True


def assessment_invitations_send(
    *,
    base_url: str,
    assessment_round: AssessmentRound | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """E-mail the invitations not sent yet, of one round or of every open round (the daily job repairs
    what a lost message missed). Returns how many e-mails went out."""
    now = now or timezone.now()
    unsent = AssessmentInvitation.objects.filter(_open_rounds(timezone.localdate(now)), sent_at__isnull=True)
    if assessment_round is not None:
        unsent = unsent.filter(round=assessment_round)
    return sum(
        assessment_invitation_send(invitation=invitation, base_url=base_url, now=now)
        for invitation in _with_email_context(unsent)
    )


def _reminder_due(now: datetime.datetime) -> Q:
    """Unanswered invitations of open rounds whose last e-mail is at least REMINDER_INTERVAL old."""
    cutoff = now - REMINDER_INTERVAL
    return (
        _open_rounds(timezone.localdate(now))
        & Q(submitted_at__isnull=True, sent_at__isnull=False)
        & (Q(last_reminded_at__isnull=True, sent_at__lte=cutoff) | Q(last_reminded_at__lte=cutoff))
    )


def assessment_reminders_send(
    *,
    base_url: str,
    assessment_round: AssessmentRound | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """Remind partners that have not answered an open round, at most once every seven days after the
    invitation or the last reminder, never once the round has closed. For one round (the backbone's
    "send reminders now") or every open round (the daily job). Returns how many reminders went out."""
    now = now or timezone.now()
    due = _reminder_due(now)
    invitations = AssessmentInvitation.objects.filter(due)
    if assessment_round is not None:
        invitations = invitations.filter(round=assessment_round)
    sent = 0
    for invitation in _with_email_context(invitations):
        claimed = AssessmentInvitation.objects.filter(due, pk=invitation.pk).update(
            last_reminded_at=now, reminders_sent=F("reminders_sent") + 1
        )
        if not claimed:
            continue  # another worker reminded it, or the partner has just answered
        try:
            _email(invitation=invitation, template="assessment_reminder", base_url=base_url)
        except Exception:
            AssessmentInvitation.objects.filter(pk=invitation.pk, last_reminded_at=now).update(
                last_reminded_at=invitation.last_reminded_at, reminders_sent=F("reminders_sent") - 1
            )
            raise
        sent += 1
    return sent


def assessment_round_close(
    *, assessment_round: AssessmentRound, now: datetime.datetime | None = None
) -> AssessmentRound:
    """Close a round (early, or on the job's run after its last day); closing a closed round keeps the
    first closing time."""
    now = now or timezone.now()
    AssessmentRound.objects.filter(pk=assessment_round.pk, closed_at__isnull=True).update(closed_at=now)
    assessment_round.refresh_from_db(fields=["closed_at"])
    return assessment_round


def assessment_rounds_close_overdue(*, now: datetime.datetime | None = None) -> int:
    """Close every round whose last day to answer has passed. Returns how many were closed."""
    now = now or timezone.now()
    return AssessmentRound.objects.filter(
        closed_at__isnull=True, closes_on__lt=timezone.localdate(now)
    ).update(closed_at=now)


@dataclass
class RelationshipAnswer:
    """In a relationship survey: a partner the respondent works with, how closely, and its ratings."""

    partner_id: int
    closeness: str
    scores: dict[str, int]  # item code -> score


def _check_scores(
    scores: dict[str, int], items: list[InstrumentItem], instrument: Instrument, whom: str
) -> None:
    codes = {item.code for item in items}
    missing = [item.text for item in items if item.code not in scores]
    if missing:
        raise ValidationError(f"Give every item a score{whom}; missing: {'; '.join(missing)}")
    unknown = sorted(set(scores) - codes)
    if unknown:
        raise ValidationError(f"{instrument.name} has no item {', '.join(unknown)}.")
    for code, score in scores.items():
        if not instrument.scale_min <= score <= instrument.scale_max:
            raise ValidationError(
                f"Scores run from {instrument.scale_min} to {instrument.scale_max}; {code} was {score}."
            )


def _check_relationships(
    invitation: AssessmentInvitation, relationships: Sequence[RelationshipAnswer]
) -> None:
    network_id = invitation.round.network_id
    members = set(
        Membership.objects.current().filter(network_id=network_id).values_list("organization_id", flat=True)
    )
    seen: set[int] = set()
    for answer in relationships:
        if answer.partner_id == invitation.organization_id:
            raise ValidationError("A partner rates the others, not itself.")
        if answer.partner_id not in members:
            raise ValidationError("Only current partners of the network can be rated.")
        if answer.partner_id in seen:
            raise ValidationError("Each partner can be named once.")
        seen.add(answer.partner_id)
        if answer.closeness not in Closeness.values:
            raise ValidationError(f"Unknown closeness {answer.closeness!r}.")


@transaction.atomic
def assessment_response_submit(
    *,
    invitation: AssessmentInvitation,
    scores: dict[str, int] | None = None,
    phase: str = "",
    relationships: Sequence[RelationshipAnswer] = (),
    now: datetime.datetime | None = None,
) -> AssessmentInvitation:
    """Store a partner's answers to its invitation, replacing any it gave before, in one transaction.

    A phase check takes a score for every item and the phase; a relationship survey takes, for each
    current partner the respondent works with (never itself), the closeness and a score for every item.
    Refused once the round has closed.
    """
    now = now or timezone.now()
    invitation = (
        AssessmentInvitation.objects.select_for_update(of=("self",))
        .select_related("round", "round__instrument")
        .get(pk=invitation.pk)
    )
    assessment_round, instrument = invitation.round, invitation.round.instrument
    if not assessment_round_is_open(assessment_round=assessment_round, today=timezone.localdate(now)):
        raise ValidationError("This round has closed; answers are no longer accepted.")
    items = list(instrument.items.all())
    by_code = {item.code: item for item in items}
    scores = scores or {}
    if instrument.kind == InstrumentKind.RELATIONSHIP_SURVEY:
        if scores or phase:
            raise ValidationError("A relationship survey rates partners; it has no other scores.")
        _check_relationships(invitation, relationships)
        names = dict(
            Organization.objects.filter(pk__in=[a.partner_id for a in relationships]).values_list(
                "pk", "name"
            )
        )
        for answer in relationships:
            _check_scores(answer.scores, items, instrument, f" for {names[answer.partner_id]}")
    else:
        if relationships:
            raise ValidationError(f"{instrument.name} does not rate partners.")
        _check_scores(scores, items, instrument, "")
        if instrument.kind == InstrumentKind.PHASE_CHECK and phase not in Phase.values:
            raise ValidationError("Choose the phase the network is in: Earlier, Middle or Later.")
        if instrument.kind != InstrumentKind.PHASE_CHECK and phase:
            raise ValidationError(f"{instrument.name} does not ask for the phase.")

    # Replace: the earlier answers go (scores of named partners with their relationships).
    invitation.relationships.all().delete()
    invitation.scores.all().delete()
    named = SurveyRelationship.objects.bulk_create(
        SurveyRelationship(invitation=invitation, partner_id=answer.partner_id, closeness=answer.closeness)
        for answer in relationships
    )
    ItemScore.objects.bulk_create(
        [
            *(
                ItemScore(invitation=invitation, item=by_code[code], score=score)
                for code, score in scores.items()
            ),
            *(
                ItemScore(invitation=invitation, relationship=relationship, item=by_code[code], score=score)
                for relationship, answer in zip(named, relationships, strict=True)
                for code, score in answer.scores.items()
            ),
        ]
    )
    invitation.submitted_at = now
    invitation.phase = phase
    invitation.save(update_fields=["submitted_at", "phase"])
    return invitation


# Selectors


def assessment_rounds(*, network: Network) -> QuerySet[AssessmentRound]:
    """The network's rounds, latest first, with how many partners were invited and answered."""
    return (
        network.assessment_rounds.select_related("instrument")
        .annotate(
            invited_count=Count("invitations"),
            answered_count=Count("invitations", filter=Q(invitations__submitted_at__isnull=False)),
        )
        .order_by("-opened_at", "-pk")
    )


def assessment_round_get(*, network: Network, pk: int) -> AssessmentRound:
    """A round of the network with its counts; 404 if the network has no such round."""
    assessment_round = assessment_rounds(network=network).filter(pk=pk).first()
    if assessment_round is None:
        raise Http404("No such assessment round.")
    return assessment_round


def assessment_invitation_get_by_token(*, token: str) -> AssessmentInvitation:
    """The invitation behind a secret link; 404 for a token nobody was given."""
    invitation = (
        AssessmentInvitation.objects.select_related(
            "organization", "round", "round__instrument", "round__network", "round__network__backbone"
        )
        .filter(token=token)
        .first()
    )
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


@dataclass
class NotInvited:
    organization: Organization
    has_email: bool  # False: "not invited: no e-mail"; True: it joined, or got an e-mail, after opening


@dataclass
class RoundStatus:
    invitations: list[AssessmentInvitation]
    not_invited: list[NotInvited]

    @property
    def without_email(self) -> list[NotInvited]:
        return [row for row in self.not_invited if not row.has_email]

    @property
    def invitable(self) -> int:
        return sum(row.has_email for row in self.not_invited)


def assessment_partners_without_email(*, network: Network) -> QuerySet[Organization]:
    """Current partners with no contact e-mail: they cannot be invited until the backbone adds one."""
    with_email = Contact.objects.filter(organization=OuterRef("pk")).exclude(email="")
    return partners_current(network=network).exclude(Exists(with_email)).order_by("name")


def assessment_round_status(*, assessment_round: AssessmentRound) -> RoundStatus:
    """Each invitation (sent, reminded, answered) and the current partners not invited, with why.
    Two queries however many partners there are."""
    invitations = list(assessment_round.invitations.select_related("organization"))
    invited = [invitation.organization_id for invitation in invitations]
    with_email = Contact.objects.filter(organization=OuterRef("pk")).exclude(email="")
    others = (
        partners_current(network=assessment_round.network_id)
        .exclude(pk__in=invited)
        .annotate(has_email=Exists(with_email))
        .order_by("name")
    )
    return RoundStatus(
        invitations=invitations,
        not_invited=[NotInvited(organization, organization.has_email) for organization in others],
    )


@dataclass
class PreviousAnswers:
    """What a partner answered before, to fill the form when it answers again."""

    scores: dict[str, int] = field(default_factory=dict)
    phase: str = ""
    relationships: dict[int, RelationshipAnswer] = field(default_factory=dict)


def assessment_answer_context(
    *, invitation: AssessmentInvitation
) -> tuple[list[InstrumentItem], list[Organization], PreviousAnswers]:
    """The instrument's items, the partners the respondent may rate (every other current partner, by
    name) and its previous answers. Four queries however many partners there are."""
    assessment_round = invitation.round
    items = list(assessment_round.instrument.items.all())
    partners: list[Organization] = []
    if assessment_round.instrument.kind == InstrumentKind.RELATIONSHIP_SURVEY:
        partners = list(
            partners_current(network=assessment_round.network_id)
            .exclude(pk=invitation.organization_id)
            .order_by("name")
        )
    previous = PreviousAnswers(phase=invitation.phase)
    if invitation.submitted_at is not None:
        relationships = {
            relationship.pk: RelationshipAnswer(relationship.partner_id, relationship.closeness, {})
            for relationship in invitation.relationships.all()
        }
        for relationship_id, code, score in invitation.scores.values_list(
            "relationship_id", "item__code", "score"
        ):
            if relationship_id is None:
                previous.scores[code] = score
            else:
                relationships[relationship_id].scores[code] = score
        previous.relationships = {answer.partner_id: answer for answer in relationships.values()}
    return items, partners, previous


def item_name(item: InstrumentItem, items: Sequence[InstrumentItem]) -> str:
    """A short name for an item: its domain when the domain holds only this item (the phase check's
    "Shared vision"), otherwise its code in words (the relationship survey's "Shared mission")."""
    if sum(other.domain == item.domain for other in items) == 1:
        return item.domain
    return item.code.replace("_", " ").capitalize()


@dataclass
class ItemResult:
    item: InstrumentItem
    name: str
    distribution: dict[int, int]  # every score of the scale -> how many answers gave it

    @property
    def answers(self) -> int:
        return sum(self.distribution.values())

    @property
    def mean(self) -> float | None:
        if not self.answers:
            return None
        return sum(score * n for score, n in self.distribution.items()) / self.answers


@dataclass
class RoundResults:
    """Network-level results of a round: what the state viewer and partners may see too."""

    assessment_round: AssessmentRound
    invited: int
    answered: int
    items: list[ItemResult]
    scale: list[int]
    phases: list[tuple[str, str, int]]  # (value, label, partners placing the network there)
    closeness: list[tuple[str, str, int]]  # relationship survey: (value, label, ties named that closely)

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.invited if self.invited else None


def assessment_results(*, assessment_round: AssessmentRound) -> RoundResults:
    """Response rate, each item's distribution, mean and number of answers, and the phases partners
    chose. In a relationship survey each rating of a named partner is one answer. Five queries."""
    instrument = assessment_round.instrument
    items = list(instrument.items.all())
    scale = list(range(instrument.scale_min, instrument.scale_max + 1))
    counts = assessment_round.invitations.aggregate(
        invited=Count("pk"), answered=Count("pk", filter=Q(submitted_at__isnull=False))
    )
    distribution: dict[int, Counter[int]] = defaultdict(Counter)
    for item_id, score, n in (
        ItemScore.objects.filter(invitation__round=assessment_round)
        .values_list("item_id", "score")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        distribution[item_id][score] += n
    phases = Counter(
        dict(
            assessment_round.invitations.filter(submitted_at__isnull=False)
            .exclude(phase="")
            .values_list("phase")
            .annotate(n=Count("pk"))
            .order_by()
        )
    )
    closeness = Counter(
        dict(
            SurveyRelationship.objects.filter(invitation__round=assessment_round)
            .values_list("closeness")
            .annotate(n=Count("pk"))
            .order_by()
        )
    )
    is_phase_check = instrument.kind == InstrumentKind.PHASE_CHECK
    is_survey = instrument.kind == InstrumentKind.RELATIONSHIP_SURVEY
    return RoundResults(
        assessment_round=assessment_round,
        invited=counts["invited"],
        answered=counts["answered"],
        items=[
            ItemResult(item, item_name(item, items), {s: distribution[item.pk][s] for s in scale})
            for item in items
        ],
        scale=scale,
        phases=[(value, label, phases[value]) for value, label in Phase.choices] if is_phase_check else [],
        closeness=[(value, label, closeness[value]) for value, label in Closeness.choices]
        if is_survey
        else [],
    )


@dataclass
class TrendRound:
    assessment_round: AssessmentRound
    means: dict[int, float | None]  # item id -> mean score in that round


@dataclass
class Trend:
    items: list[tuple[InstrumentItem, str]]  # item and its short name
    rounds: list[TrendRound]  # oldest first


def assessment_trend(*, network: Network, instrument: Instrument) -> Trend:
    """Each item's mean score in every round of ``instrument`` in the network, oldest round first; the
    rounds carry their invited and answered counts. Three queries however many rounds."""
    items = list(instrument.items.all())
    rounds = list(
        assessment_rounds(network=network).filter(instrument=instrument).order_by("opened_at", "pk")
    )
    means: dict[tuple[int, int], float] = {}
    for round_id, item_id, total, n in (
        ItemScore.objects.filter(invitation__round__in=[r.pk for r in rounds])
        .values_list("invitation__round_id", "item_id")
        .annotate(total=Sum("score"), n=Count("pk"))
        .order_by()
    ):
        means[(round_id, item_id)] = total / n
    return Trend(
        items=[(item, item_name(item, items)) for item in items],
        rounds=[TrendRound(r, {item.pk: means.get((r.pk, item.pk)) for item in items}) for r in rounds],
    )


@dataclass
class OrganizationRating:
    """How the other partners rated one organization in a relationship survey."""

    organization: Organization
    named_by: int  # partners that said they work with it
    domain_means: dict[str, float | None]  # e.g. {"trust": 3.2, "value": 2.9}
    closeness: dict[str, int]  # closeness value -> partners that named it that closely


@dataclass
class RatingsByOrganization:
    domains: list[str]
    rows: list[OrganizationRating]


def assessment_ratings_by_organization(*, assessment_round: AssessmentRound) -> RatingsByOrganization:
    """For a relationship survey: each invited or named organization, how many partners named it, its
    mean score in each domain (trust: reliability, shared mission, openness; value: power and influence,
    resources, involvement) over every rating it received, and how closely partners said they work with
    it. Backbone staff only: these are answers of partners about each other. Four queries."""
    items = list(assessment_round.instrument.items.all())
    domains = list(dict.fromkeys(item.domain for item in items))
    named: dict[int, Counter[str]] = defaultdict(Counter)
    for partner_id, closeness, n in (
        SurveyRelationship.objects.filter(invitation__round=assessment_round)
        .values_list("partner_id", "closeness")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        named[partner_id][closeness] += n
    totals: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for partner_id, domain, total, n in (
        ItemScore.objects.filter(invitation__round=assessment_round, relationship__isnull=False)
        .values_list("relationship__partner_id", "item__domain")
        .annotate(total=Sum("score"), n=Count("pk"))
        .order_by()
    ):
        totals[(partner_id, domain)][0] += total
        totals[(partner_id, domain)][1] += n
    invited = assessment_round.invitations.values("organization_id")
    organizations = Organization.objects.filter(Q(pk__in=invited) | Q(pk__in=list(named))).order_by("name")
    rows = []
    for organization in organizations:
        closeness = named.get(organization.pk, Counter())
        means: dict[str, float | None] = {}
        for domain in domains:
            total, n = totals.get((organization.pk, domain), (0, 0))
            means[domain] = total / n if n else None
        rows.append(
            OrganizationRating(
                organization=organization,
                named_by=sum(closeness.values()),
                domain_means=means,
                closeness={value: closeness[value] for value in Closeness.values},
            )
        )
    return RatingsByOrganization(domains=domains, rows=rows)


@dataclass
class PartnerAnswers:
    invitation: AssessmentInvitation
    scores: dict[int, int]  # item id -> score


def assessment_answers_by_partner(*, assessment_round: AssessmentRound) -> list[PartnerAnswers]:
    """Each answering partner's own scores (not about other partners) and phase. Backbone staff only.
    Two queries."""
    invitations = list(
        assessment_round.invitations.filter(submitted_at__isnull=False).select_related("organization")
    )
    scores: dict[int, dict[int, int]] = defaultdict(dict)
    for invitation_id, item_id, score in ItemScore.objects.filter(
        invitation__round=assessment_round, relationship__isnull=True
    ).values_list("invitation_id", "item_id", "score"):
        scores[invitation_id][item_id] = score
    return [PartnerAnswers(invitation, scores[invitation.pk]) for invitation in invitations]
