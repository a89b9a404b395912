"""Partnership health: partners' engagement and the backbone's touchpoints, contracting delays, and the
network-level summary the state health department sees."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format

from core import figures
from network import selectors
from network.models import Network
from network.partnership import contracting, engagement, statewide
from network.partnership.forms import AlertDaysForm, PeriodForm, TouchpointForm, period_from_query
from network.selectors import Access
from partners.models import Organization


def _context(network: Network, access: Access, **extra: object) -> dict[str, object]:
    # Every page here but the state summary needs MANAGE, so can_manage is always true.
    return {"network": network, "access": access, "can_manage": True, **extra}


# Engagement and touchpoints


@login_required
def engagement_page(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    today = timezone.localdate()
    period_form, period = period_from_query(request.GET, today=today)
    rows = engagement.engagement_by_partner(network=network, period=period, today=today)
    table = engagement.engagement_table(rows=rows, period=period)
    if download := figures.download_or_none(request, table):
        return download
    return _engagement_page(request, network, access, period_form, period, rows, table)


def _engagement_page(
    request: HttpRequest,
    network: Network,
    access: Access,
    period_form: PeriodForm,
    period: engagement.Period,
    rows: list[engagement.PartnerEngagement],
    table: figures.Table,
    touchpoint_form: TouchpointForm | None = None,
) -> HttpResponse:
    partners = [row.organization for row in rows]
    touchpoint_form = touchpoint_form or TouchpointForm(
        partners=_touchpoint_partners(network), initial={"happened_on": timezone.localdate()}
    )
    return render(
        request,
        "network/engagement.html",
        _context(
            network,
            access,
            period_form=period_form,
            period=period,
            table=table,
            rows=rows,
            change_points=engagement.ATTENDANCE_CHANGE_POINTS,
            chart=engagement.engagement_chart(rows=rows) if rows else None,
            fell=sum(row.fell for row in rows),
            partner_count=len(partners),
            touchpoint_form=touchpoint_form,
        ),
    )


def _touchpoint_partners(network: Network) -> QuerySet[Organization]:
    return selectors.partners_current(network=network).exclude(pk=network.backbone_id)


@login_required
def touchpoint_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Record a touchpoint with any current partner (the form on the engagement page)."""
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    form = TouchpointForm(
        request.POST or None,
        partners=_touchpoint_partners(network),
        initial={"happened_on": timezone.localdate(), "organization": request.GET.get("organization")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            touchpoint = engagement.touchpoint_record(
                network=network, recorded_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Recorded the {touchpoint.get_kind_display().lower()} with {touchpoint.organization}.",
            )
            return redirect("network:engagement", slug=network.slug)
    return render(request, "network/touchpoint_form.html", _context(network, access, form=form))


@login_required
def touchpoint_list(request: HttpRequest, slug: str, organization_id: int) -> HttpResponse:
    """A partner's recent touchpoints, and a form to record one more."""
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    membership = selectors.membership_get(network=network, organization_id=organization_id)
    organization = membership.organization
    can_record = membership.is_current and organization.pk != network.backbone_id
    form = None
    if can_record:
        form = TouchpointForm(request.POST or None, initial={"happened_on": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            try:
                touchpoint = engagement.touchpoint_record(
                    network=network, organization=organization, recorded_by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                day = date_format(touchpoint.happened_on, "F j, Y")
                messages.success(request, f"Recorded the {touchpoint.get_kind_display().lower()} on {day}.")
                return redirect("network:touchpoint_list", slug=network.slug, organization_id=organization.pk)
    elif request.method == "POST":
        return redirect("network:touchpoint_list", slug=network.slug, organization_id=organization.pk)
    return render(
        request,
        "network/touchpoint_list.html",
        _context(
            network,
            access,
            membership=membership,
            organization=organization,
            contact=engagement.touchpoints_recent(network=network, organization=organization),
            form=form,
        ),
    )


# Contracting


@login_required
def contracting_page(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    summary = contracting.contracting_summary(network=network)
    table = contracting.contracting_table(summary=summary)
    if download := figures.download_or_none(request, table):
        return download
    form = AlertDaysForm(initial={"days": network.contract_stage_alert_days})
    return _contracting_page(request, network, access, summary, table, form)


def _contracting_page(
    request: HttpRequest,
    network: Network,
    access: Access,
    summary: contracting.ContractingSummary,
    table: figures.Table,
    form: AlertDaysForm,
) -> HttpResponse:
    return render(
        request,
        "network/contracting.html",
        _context(
            network,
            access,
            summary=summary,
            table=table,
            lines=list(zip(summary.contracts, table.rows, strict=True)),
            median=contracting.days_shown(summary.median_planned_to_executed),
            chart=contracting.contracting_chart(summary=summary) if summary.contracts else None,
            form=form,
        ),
    )


@login_required
def contracting_alert_days(request: HttpRequest, slug: str) -> HttpResponse:
    """Change the network's alert days; a bad number is shown as a form error on the contracting page."""
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    if request.method != "POST":
        return redirect("network:contracting", slug=network.slug)
    form = AlertDaysForm(request.POST)
    if form.is_valid():
        try:
            contracting.contract_alert_days_set(network=network, days=form.cleaned_data["days"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Contracts are now flagged after {network.contract_stage_alert_days} days in one stage.",
            )
            return redirect("network:contracting", slug=network.slug)
    summary = contracting.contracting_summary(network=network)
    return _contracting_page(
        request, network, access, summary, contracting.contracting_table(summary=summary), form
    )


# The state summary


@login_required
def state_health(request: HttpRequest, code: str) -> HttpResponse:
    """Network-level figures for every network of the state the user may see; no partner's own figures."""
    state, networks = statewide.state_networks_for_user(user=request.user, code=code)
    today = timezone.localdate()
    period_form, period = period_from_query(request.GET, today=today)
    rows = statewide.state_health_summary(networks=networks, period=period, today=today)
    table = statewide.state_table(rows=rows, state=state, period=period)
    if download := figures.download_or_none(request, table):
        return download
    return render(
        request,
        "network/state_health.html",
        {
            "state": state,
            "period_form": period_form,
            "period": period,
            "rows": rows,
            "table": table,
            "chart": statewide.state_chart(rows=rows) if rows else None,
        },
    )
