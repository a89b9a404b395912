"""Self-assessments: the backbone opens rounds and follows who answered; partners answer by the secret
link in their e-mail, without signing in; results per item and over rounds.

Answers of one partner about another are seen only by backbone staff; partner staff and the state viewer
see the network-level results (response rate, item means, phases).
"""

import plotly.graph_objects as go
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
    Closeness,
    Instrument,
    InstrumentItem,
    InstrumentKind,
    Network,
)
from network.partnership import assessments
from network.partnership.assessments import RatingsByOrganization, RoundResults, Trend
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
        _items_table(results),
        _phase_table(results),
        _closeness_table(results),
        _trend_table(trend),
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
            items_chart=_items_chart(results),
            phase_table=phase_table,
            phase_chart=_counts_chart(results.phases, "phase-chart", "Partners placing the network in"),
            closeness_table=closeness_table,
            closeness_chart=_counts_chart(results.closeness, "closeness-chart", "Ties named as"),
            trend_table=trend_table,
            trend_chart=_trend_chart(trend),
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
        tables = [_ratings_table(ratings), _organization_closeness_table(ratings)]
    else:
        tables = [_answers_table(assessment_round)]
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

# Plotly's mode bar puts buttons inside the chart, which the shared chart template marks role="img" (a
# role whose content must not be interactive), and one of them ("Share chart...") would send the
# figure's data to Plotly's cloud. These small charts need none of them: the table has the numbers.
MODE_BAR_BUTTONS = [
    "toImage",
    "sendChartToCloud",
    "zoom2d",
    "pan2d",
    "select2d",
    "lasso2d",
    "zoomIn2d",
    "zoomOut2d",
    "autoScale2d",
    "resetScale2d",
    "toggleHover",
    "toggleSpikelines",
    "hoverClosestCartesian",
    "hoverCompareCartesian",
]


def _chart(figure: go.Figure, *, summary: str, element_id: str) -> figures.Chart:
    figure.update_layout(modebar_remove=MODE_BAR_BUTTONS)
    return figures.chart(figure, summary=summary, element_id=element_id)


def _mean(value: float | None) -> str | None:
    """Means with two decimals everywhere (3.00, not 3.0), in the table and its CSV alike."""
    return None if value is None else f"{value:.2f}"


def _items_table(results: RoundResults) -> figures.Table:
    labels = results.assessment_round.instrument.scale_labels or {}
    return figures.Table(
        caption=f"Scores per item in {results.assessment_round.title}",
        columns=[
            "Item",
            "Answers",
            "Mean score",
            *(f"{s}: {labels[str(s)]}" if str(s) in labels else str(s) for s in results.scale),
        ],
        rows=[[row.name, row.answers, _mean(row.mean), *row.distribution.values()] for row in results.items],
        slug="scores-per-item",
    )


# From the lowest score to the highest: the U.S. Web Design System's blues, light to dark.
SCALE_COLOURS = ["#d9e8f6", "#97d4ea", "#28a0cb", "#0050d8", "#162e51"]


def _scale_colours(scale: list[int]) -> list[str]:
    if len(scale) <= 1:
        return SCALE_COLOURS[-1:]
    last = len(SCALE_COLOURS) - 1
    return [SCALE_COLOURS[round(i * last / (len(scale) - 1))] for i in range(len(scale))]


def _items_chart(results: RoundResults) -> figures.Chart:
    labels = results.assessment_round.instrument.scale_labels or {}
    names = [row.name for row in results.items][::-1]  # plotly draws the first category at the bottom
    figure = go.Figure(
        [
            go.Bar(
                name=f"{score}: {labels.get(str(score), '')}".rstrip(": "),
                y=names,
                x=[row.distribution[score] for row in results.items][::-1],
                orientation="h",
                marker_color=colour,
            )
            for score, colour in zip(results.scale, _scale_colours(results.scale), strict=True)
        ]
    )
    figure.update_layout(barmode="stack", xaxis_title="Answers", legend_title="Score", yaxis_automargin=True)
    means = "; ".join(
        f"{row.name} {row.mean:.1f}" if row.mean is not None else f"{row.name} no answers"
        for row in results.items
    )
    return _chart(
        figure,
        summary=f"How many answers gave each score, per item. Mean scores: {means}.",
        element_id="items-chart",
    )


def _phase_table(results: RoundResults) -> figures.Table:
    return figures.Table(
        caption="The phase partners place the network in",
        columns=["Phase", "Partners"],
        rows=[[label, n] for _, label, n in results.phases],
        slug="phases",
    )


def _closeness_table(results: RoundResults) -> figures.Table:
    return figures.Table(
        caption="How closely partners say they work together",
        columns=["Closeness", "Ties named"],
        rows=[[label, n] for _, label, n in results.closeness],
        slug="closeness",
    )


def _counts_chart(counts: list[tuple[str, str, int]], element_id: str, what: str) -> figures.Chart:
    figure = go.Figure(go.Bar(x=[label for _, label, _ in counts], y=[n for _, _, n in counts]))
    figure.update_layout(yaxis_title="Count", yaxis_rangemode="tozero", yaxis_dtick=1)
    summary = "; ".join(f"{label}: {n}" for _, label, n in counts)
    return _chart(figure, summary=f"{what}: {summary}.", element_id=element_id)


def _round_label(assessment_round: AssessmentRound) -> str:
    return f"{assessment_round.title} ({assessment_round.opened_at:%b %Y})"


def _trend_table(trend: Trend) -> figures.Table:
    return figures.Table(
        caption="Mean score per item, round by round",
        columns=["Round", "Opened on", "Partners answering", *(name for _, name in trend.items)],
        rows=[
            [
                row.assessment_round.title,
                timezone.localdate(row.assessment_round.opened_at).isoformat(),
                f"{row.assessment_round.answered_count} of {row.assessment_round.invited_count}",
                *(_mean(row.means[item.pk]) for item, _ in trend.items),
            ]
            for row in trend.rounds
        ],
        slug="trend",
    )


def _trend_chart(trend: Trend) -> figures.Chart:
    x = [_round_label(row.assessment_round) for row in trend.rounds]
    figure = go.Figure(
        [
            go.Scatter(name=name, x=x, y=[row.means[item.pk] for row in trend.rounds], mode="lines+markers")
            for item, name in trend.items
        ]
    )
    if trend.rounds:
        instrument = trend.rounds[0].assessment_round.instrument
        figure.update_layout(yaxis_range=[instrument.scale_min - 0.2, instrument.scale_max + 0.2])
    figure.update_layout(yaxis_title="Mean score", legend_title="Item")
    return _chart(
        figure,
        summary=f"Mean score of each item, round by round ({len(trend.rounds)} so far).",
        element_id="trend-chart",
    )


def _ratings_table(ratings: RatingsByOrganization) -> figures.Table:
    return figures.Table(
        caption="How the other partners rate each organization",
        columns=["Organization", "Partners naming it", *(f"Mean {domain}" for domain in ratings.domains)],
        rows=[
            [row.organization.name, row.named_by, *(_mean(row.domain_means[d]) for d in ratings.domains)]
            for row in ratings.rows
        ],
        slug="ratings-by-organization",
    )


def _organization_closeness_table(ratings: RatingsByOrganization) -> figures.Table:
    return figures.Table(
        caption="How closely the other partners say they work with each organization",
        columns=["Organization", *Closeness.labels],
        rows=[[row.organization.name, *row.closeness.values()] for row in ratings.rows],
        slug="closeness-by-organization",
    )


def _answers_table(assessment_round: AssessmentRound) -> figures.Table:
    answers = assessments.assessment_answers_by_partner(assessment_round=assessment_round)
    items = list(assessment_round.instrument.items.all())
    return figures.Table(
        caption="Each partner's answers",
        columns=[
            "Organization",
            "Answered on",
            "Phase",
            *(assessments.item_name(item, items) for item in items),
        ],
        rows=[
            [
                row.invitation.organization.name,
                timezone.localdate(row.invitation.submitted_at).isoformat(),
                row.invitation.get_phase_display() or None,
                *(row.scores.get(item.pk) for item in items),
            ]
            for row in answers
        ],
        slug="answers-by-partner",
    )
