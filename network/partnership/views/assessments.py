"""Self-assessments: the backbone opens rounds and follows who answered; partners answer by the secret
link in their e-mail, without signing in; results per item and over rounds.

Answers of one partner about another are seen only by backbone staff; partner staff and the state viewer
see the network-level results (response rate, item means, phases).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from core import figures
from network import selectors
from network.models import (
    AssessmentInvitation,
    AssessmentRound,
    Instrument,
    InstrumentItem,
    InstrumentKind,
    Network,
)
from network.partnership import assessment_figures, assessments
from network.partnership.forms import PhaseCheckForm, RelationshipSurveyForm, RoundOpenForm, closeness_levels
from network.selectors import Access
from partners.models import Organization


def _context(network: Network, access: Access, **extra: object) -> dict[str, object]:
    return {"network": network, "access": access, "can_manage": access == Access.MANAGE, **extra}


def _base_url(request: HttpRequest) -> str:
    """Where this Tandem is reached, for the links in e-mails sent later by a worker."""
    return request.build_absolute_uri("/").rstrip("/")


@login_required
def assessment_list(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    rounds = list(assessments.assessment_rounds(network=network))
    today = timezone.localdate()
    for assessment_round in rounds:
        assessment_round.is_open = assessments.assessment_round_is_open(
            assessment_round=assessment_round, today=today
        )
    return render(request, "network/assessment_list.html", _context(network, access, rounds=rounds))


@login_required
def assessment_round_open(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    form = RoundOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            assessment_round = assessments.assessment_round_open(
                network=network, opened_by=request.user, base_url=_base_url(request), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            invited = assessment_round.invitations.count()
            messages.success(
                request,
                f"Opened “{assessment_round.title}”. Invitations are on their way to {invited} "
                f"partner{'s' if invited != 1 else ''}.",
            )
            return redirect("network:assessment_round_detail", slug=network.slug, pk=assessment_round.pk)
    without_email = assessments.assessment_partners_without_email(network=network)
    return render(
        request,
        "network/assessment_round_form.html",
        _context(network, access, form=form, without_email=without_email),
    )


@login_required
def assessment_round_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    assessment_round = assessments.assessment_round_get(network=network, pk=pk)
    return render(
        request,
        "network/assessment_round_detail.html",
        _context(
            network,
            access,
            round=assessment_round,
            is_open=assessments.assessment_round_is_open(assessment_round=assessment_round),
            status=assessments.assessment_round_status(assessment_round=assessment_round),
            reminder_days=assessments.REMINDER_INTERVAL.days,
        ),
    )


def _round_for_post(request: HttpRequest, slug: str, pk: int) -> tuple[Network, AssessmentRound]:
    network, _ = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    return network, assessments.assessment_round_get(network=network, pk=pk)


def _back_to_round(network: Network, assessment_round: AssessmentRound) -> HttpResponse:
    return redirect("network:assessment_round_detail", slug=network.slug, pk=assessment_round.pk)


@login_required
def assessment_round_remind(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Send reminders now, under the same once-a-week rule as the daily job."""
    network, assessment_round = _round_for_post(request, slug, pk)
    if request.method != "POST":
        return _back_to_round(network, assessment_round)
    if not assessments.assessment_round_is_open(assessment_round=assessment_round):
        messages.error(request, "The round has closed; no reminders are sent any more.")
    else:
        sent = assessments.assessment_reminders_send(
            assessment_round=assessment_round, base_url=_base_url(request)
        )
        days = assessments.REMINDER_INTERVAL.days
        if sent:
            messages.success(request, f"Sent {sent} reminder{'s' if sent != 1 else ''}.")
        else:
            messages.warning(
                request,
                f"No reminders sent: every partner that has not answered was e-mailed "
                f"in the last {days} days.",
            )
    return _back_to_round(network, assessment_round)


@login_required
def assessment_round_invite(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Invite the current partners the round has not invited yet."""
    network, assessment_round = _round_for_post(request, slug, pk)
    if request.method != "POST":
        return _back_to_round(network, assessment_round)
    try:
        invited = assessments.assessment_invitations_add(
            assessment_round=assessment_round, base_url=_base_url(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if invited:
            messages.success(request, f"Invited {invited} more partner{'s' if invited != 1 else ''}.")
        else:
            messages.warning(request, "Nobody else to invite: add a contact e-mail to the partners listed.")
    return _back_to_round(network, assessment_round)


@login_required
def assessment_round_close(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network, assessment_round = _round_for_post(request, slug, pk)
    if request.method != "POST":
        return _back_to_round(network, assessment_round)
    assessments.assessment_round_close(assessment_round=assessment_round)
    messages.success(request, f"“{assessment_round.title}” is closed; partners can no longer answer.")
    return _back_to_round(network, assessment_round)


@login_required
def assessment_results(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Network-level results: for everyone who may view the network."""
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    assessment_round = assessments.assessment_round_get(network=network, pk=pk)
    results = assessments.assessment_results(assessment_round=assessment_round)
    trend = assessments.assessment_trend(network=network, instrument=assessment_round.instrument)
    items_table, phase_table, closeness_table, trend_table = (
        assessment_figures.items_table(results),
        assessment_figures.phase_table(results),
        assessment_figures.closeness_table(results),
        assessment_figures.trend_table(trend),
    )
    tables = [items_table, trend_table]
    tables += [phase_table] if results.phases else []
    tables += [closeness_table] if results.closeness else []
    download = figures.download_or_none(request, *tables)
    if download is not None:
        return download
    return render(
        request,
        "network/assessment_results.html",
        _context(
            network,
            access,
            round=assessment_round,
            results=results,
            is_open=assessments.assessment_round_is_open(assessment_round=assessment_round),
            items_table=items_table,
            items_chart=assessment_figures.items_chart(results),
            phase_table=phase_table,
            phase_chart=assessment_figures.counts_chart(
                results.phases, "phase-chart", "Partners placing the network in"
            ),
            closeness_table=closeness_table,
            closeness_chart=assessment_figures.counts_chart(
                results.closeness, "closeness-chart", "Ties named as"
            ),
            trend_table=trend_table,
            trend_chart=assessment_figures.trend_chart(trend),
            trend_rounds=len(trend.rounds),
        ),
    )


@login_required
def assessment_results_by_organization(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Backbone staff only: each partner's answers, and in a relationship survey how the others rated it."""
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    assessment_round = assessments.assessment_round_get(network=network, pk=pk)
    if assessment_round.instrument.kind == InstrumentKind.RELATIONSHIP_SURVEY:
        ratings = assessments.assessment_ratings_by_organization(assessment_round=assessment_round)
        tables = [
            assessment_figures.ratings_table(ratings),
            assessment_figures.organization_closeness_table(ratings),
        ]
    else:
        tables = [assessment_figures.answers_table(assessment_round)]
    items = list(assessment_round.instrument.items.all())
    domains: dict[str, list[str]] = {}
    for item in items:
        domains.setdefault(item.domain, []).append(assessments.item_name(item, items))
    download = figures.download_or_none(request, *tables)
    if download is not None:
        return download
    return render(
        request,
        "network/assessment_results_by_organization.html",
        _context(network, access, round=assessment_round, tables=tables, domains=list(domains.items())),
    )


# Answering, by the secret link: no sign-in.


@never_cache  # the page shows the organization's answers: no shared cache may keep it
def assessment_answer(request: HttpRequest, token: str) -> HttpResponse:
    """A partner answers by its secret link, without signing in; 404 for an unknown token, a polite 410
    once the round has closed."""
    invitation = assessments.assessment_invitation_get_by_token(token=token)
    assessment_round = invitation.round
    if not assessments.assessment_round_is_open(assessment_round=assessment_round):
        return render(
            request,
            "network/assessment_closed.html",
            {"invitation": invitation, "round": assessment_round},
            status=410,
        )
    items, partners, previous = assessments.assessment_answer_context(invitation=invitation)
    form = _answer_form(
        invitation, items, partners, previous, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            if isinstance(form, RelationshipSurveyForm):
                assessments.assessment_response_submit(
                    invitation=invitation, relationships=form.relationships()
                )
            else:
                assessments.assessment_response_submit(
                    invitation=invitation, scores=form.scores(), phase=form.phase()
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Thank you: the answers of {invitation.organization.name} are saved. You can change them "
                f"with the same link until {assessment_round.closes_on:%B} {assessment_round.closes_on.day}.",
            )
            return redirect("network:assessment_answer", token=token)
    return render(
        request,
        "network/assessment_answer.html",
        {
            "invitation": invitation,
            "round": assessment_round,
            "network": assessment_round.network,
            "instrument": assessment_round.instrument,
            "form": form,
            "is_survey": isinstance(form, RelationshipSurveyForm),
            "closeness_levels": closeness_levels(),
            "scale_words": _scale_words(assessment_round.instrument),
        },
    )


def _scale_words(instrument: Instrument) -> str:
    """The instrument's scale in words, e.g. 'from 1 (not yet) to 5 (fully)'."""
    labels = instrument.scale_labels or {}

    def word(score: int) -> str:
        label = labels.get(str(score))
        return f"{score} ({label.lower()})" if label else str(score)

    return f"from {word(instrument.scale_min)} to {word(instrument.scale_max)}"


def _answer_form(
    invitation: AssessmentInvitation,
    items: list[InstrumentItem],
    partners: list[Organization],
    previous: assessments.PreviousAnswers,
    data: QueryDict | None,
) -> PhaseCheckForm | RelationshipSurveyForm:
    instrument = invitation.round.instrument
    if instrument.kind == InstrumentKind.RELATIONSHIP_SURVEY:
        initial: dict[str, object] = {}
        for partner_id, answer in previous.relationships.items():
            initial[f"p{partner_id}-closeness"] = answer.closeness
            initial.update({f"p{partner_id}-{code}": score for code, score in answer.scores.items()})
        return RelationshipSurveyForm(
            data, instrument=instrument, items=items, partners=partners, initial=initial
        )
    initial = {f"item_{code}": score for code, score in previous.scores.items()}
    if previous.phase:
        initial["phase"] = previous.phase
    return PhaseCheckForm(
        data,
        instrument=instrument,
        items=items,
        with_phase=instrument.kind == InstrumentKind.PHASE_CHECK,
        initial=initial,
    )


# Figures: a chart and the same numbers as a table with its CSV.
