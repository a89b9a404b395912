"""Monthly reporting pages: a partner's months and the month form, a report with its versions and
history, the backbone's review queue and completeness, and the reports a state viewer may see."""

import datetime
import re
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from core.calendar import month_add, month_iso, month_name, report_due_on
from core.figures import download_or_none
from core.problems import Problem, ReportRefused
from metrics import completeness as completeness_reads
from metrics import review, selectors, services
from metrics.catalogue import Catalogue
from metrics.forms import MonthForm, PeriodEndForm, ReturnForm, ReviewForm
from metrics.models import MonthlyReport, ReportSource, ReportStatus, Upload
from metrics.services import TransitionRefused, VersionOutdated, cells_of
from metrics.validation import parse_month
from network.models import Membership, Network
from network.selectors import Access, network_get_for_user
from partners.models import Organization

SUMMARY_SHOWN = 8  # problems listed on top of the form; every one is marked beside its input
MONTHS_SHOWN = 24  # a partner's list shows two years unless asked for every month
REPORTS_PER_PAGE = 50


# Fetching and authorising


def _month(text: str) -> datetime.date:
    """The month in a URL, as YYYY-MM (ASCII digits, within `parse_month`'s years); anything else is
    not a page."""
    month = parse_month(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}", text) else None
    if month is None:
        raise Http404("No such month.")
    return month


def _report(request: HttpRequest, network: Network, pk: int) -> MonthlyReport:
    """A report of this network that the user may see; 404 otherwise."""
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    if report.network_id != network.pk:
        raise Http404("No such report in this network.")
    return report


def _back(request: HttpRequest, default: str) -> str:
    """Where a button sends the user back to: the page it was on, if that page is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _refused_message(problems: list[Problem]) -> str:
    return "Nothing was saved: " + "; ".join(str(problem) for problem in problems)


# A partner's months and the month form


@login_required
def reporting_months(request: HttpRequest, slug: str, organization_id: int) -> HttpResponse:
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    organization = selectors.reporting_organization_get(
        user=request.user, network=network, organization_id=organization_id
    )
    months = completeness_reads.reporting_months(network=network, organization=organization)
    show_all = request.GET.get("all") == "1"
    return render(
        request,
        "metrics/reporting_months.html",
        {
            "network": network,
            "access": access,
            "organization": organization,
            "months": months if show_all else months[:MONTHS_SHOWN],
            "month_count": len(months),
            "show_all": show_all or len(months) <= MONTHS_SHOWN,
            "upload_url": _upload_url(network, organization),
        },
    )


def _upload_url(network: Network, organization: Organization) -> str:
    # The uploads pages live in metrics/views/uploads.py.
    return reverse("metrics:upload_create", args=[network.slug, organization.pk])


@login_required
def report_form(request: HttpRequest, slug: str, organization_id: int, month: str) -> HttpResponse:
    """The month form: shows the current version to correct; saves a draft or submits."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    organization = selectors.reporting_organization_get(
        user=request.user, network=network, organization_id=organization_id
    )
    day = _month(month)
    report = (
        MonthlyReport.objects.filter(network=network, organization=organization, month=day)
        .select_related("current_version")
        .first()
    )
    catalogue = Catalogue.for_state(network.state_id)
    served = set(organization.counties_served.values_list("fips", flat=True))
    cells = cells_of(report.current_version) if report else {}
    form = MonthForm(request.POST or None, catalogue=catalogue, served_fips=served, cells=cells)
    problems: list[Problem] = []
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("action") == "submit"
        try:
            report = services.report_save(
                network=network,
                organization=organization,
                month=day,
                values=form.values(),
                user=request.user,
                source=ReportSource.FORM,
                submit=submit,
                note=form.cleaned_data["note"],
                catalogue=catalogue,
            )
        except ReportRefused as refused:
            problems = refused.problems
        except services.NothingChanged as unchanged:
            messages.info(request, f"{unchanged}.")
            return redirect("metrics:report_detail", slug=network.slug, pk=unchanged.report.pk)
        else:
            done = "submitted" if submit else "saved as a draft"
            messages.success(request, f"{day:%B %Y} is {done}.")
            return redirect("metrics:report_detail", slug=network.slug, pk=report.pk)
    if problems:
        form.place_problems(problems)
    summary = form.summary() if form.is_bound else []
    month_problems = completeness_reads.report_month_problems(
        network=network,
        organization=organization,
        month=day,
        reopened_until=report.reopened_until if report else None,
        returned=report is not None and report.status == ReportStatus.RETURNED,
    )
    return render(
        request,
        "metrics/report_form.html",
        {
            "network": network,
            "access": access,
            "organization": organization,
            "month": day,
            "month_text": month_iso(day),
            "due_on": report_due_on(network, day),
            "report": report,
            "form": form,
            "blocks": form.blocks(),
            "summary": summary,
            "summary_shown": summary[:SUMMARY_SHOWN],
            "summary_more": max(0, len(summary) - SUMMARY_SHOWN),
            "month_problems": month_problems,
            "upload_url": _upload_url(network, organization),
        },
    )


@login_required
def report_nothing(request: HttpRequest, slug: str, organization_id: int, month: str) -> HttpResponse:
    """Submit "nothing to report this month": one click."""
    network, _ = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    organization = selectors.reporting_organization_get(
        user=request.user, network=network, organization_id=organization_id
    )
    day = _month(month)
    months_page = reverse("metrics:reporting_months", args=[network.slug, organization.pk])
    if request.method != "POST":
        return redirect(months_page)
    try:
        services.report_nothing_to_report(
            network=network, organization=organization, month=day, user=request.user
        )
    except ReportRefused as refused:
        messages.error(request, _refused_message(refused.problems))
    except services.NothingChanged as unchanged:
        messages.info(request, f"{month_name(day)}: {unchanged}.")
    else:
        messages.success(request, f"{month_name(day)}: nothing to report, submitted.")
    return redirect(_back(request, months_page))


@login_required
def reopen_request(request: HttpRequest, slug: str, organization_id: int, month: str) -> HttpResponse:
    """A partner asks the backbone staff to reopen a locked month: one click (a POST)."""
    network, _ = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    organization = selectors.reporting_organization_get(
        user=request.user, network=network, organization_id=organization_id
    )
    day = _month(month)
    back = _back(request, reverse("metrics:reporting_months", args=[network.slug, organization.pk]))
    if request.method != "POST":
        return redirect(back)
    upload = (
        Upload.objects.filter(
            network=network, organization=organization, pk=request.POST.get("upload") or None
        ).first()
        if (request.POST.get("upload") or "").isdigit()
        else None
    )
    try:
        _, created = services.reopen_request_create(
            network=network, organization=organization, month=day, user=request.user, upload=upload
        )
    except TransitionRefused as refused:
        messages.info(request, str(refused))
    else:
        messages.success(
            request,
            f"The backbone staff are asked to reopen {month_name(day)}."
            if created
            else f"You asked already: the backbone staff have not reopened {month_name(day)} yet.",
        )
    return redirect(back)


# A report: figures, versions, history, and what each role may do with it


@login_required
def report_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    report = _report(request, network, pk)
    version = report.current_version
    return _detail_page(
        request, network, access, report, ReturnForm(initial={"version": version and version.number})
    )


def _detail_page(
    request: HttpRequest,
    network: Network,
    access: Access,
    report: MonthlyReport,
    return_form: ReturnForm,
) -> HttpResponse:
    catalogue = Catalogue.for_state(network.state_id)
    today = timezone.localdate()
    actions = selectors.report_actions(user=request.user, report=report, today=today)
    first_submitted = report.first_submitted_at
    # Only backbone staff reviewing a submitted report: the medians are of their network's partners.
    context = (
        review.report_review_context(report=report, catalogue=catalogue) if actions.can_approve else None
    )
    cells = cells_of(report.current_version)
    return render(
        request,
        "metrics/report_detail.html",
        {
            "network": network,
            "access": access,
            "report": report,
            "version": report.current_version,
            "figures": selectors.report_figures(catalogue=catalogue, cells=cells),
            "not_collected": selectors.report_not_collected(catalogue=catalogue, cells=cells),
            "versions": selectors.report_versions(report=report, catalogue=catalogue),
            "events": selectors.report_events(report=report),
            "due_on": report_due_on(network, report.month),
            "on_time": None
            if first_submitted is None
            else completeness_reads.submitted_on_time(network, report.month, first_submitted),
            **vars(actions),
            "next_actor": selectors.next_actor(report=report),
            "return_form": return_form,
            "month_text": month_iso(report.month),
            "review": context,
            "review_rule": review.RULE_TEXT,
        },
    )


def _transition(
    request: HttpRequest, slug: str, pk: int, *, review: bool, action: Callable[[MonthlyReport], str]
) -> HttpResponse:
    """The buttons on a report page: fetch, authorise (backbone staff review, partner staff submit),
    call the service, and go back to the report."""
    network, _ = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    if review:
        report = selectors.report_get_for_review(user=request.user, pk=pk)
        if report.network_id != network.pk:
            raise Http404("No such report in this network.")
    else:
        report = _report(request, network, pk)
        if not selectors.report_may_edit(user=request.user, report=report):
            raise PermissionDenied("Only the organization's own staff submit its months.")
    if request.method == "POST":
        try:
            message = action(report)
        except TransitionRefused as refused:
            messages.error(request, _refused_text(refused))
        else:
            messages.success(request, message)
    return redirect("metrics:report_detail", slug=network.slug, pk=report.pk)


def _refused_text(refused: TransitionRefused) -> str:
    if isinstance(refused, VersionOutdated):  # the report page the reviewer is sent back to shows it
        return f"{refused} It is shown below, and what changed is listed under Versions."
    return str(refused)


def _version_seen(request: HttpRequest, refused: str) -> int:
    """The number of the version the reviewer's page showed (a hidden field of the review forms)."""
    form = ReviewForm(request.POST)
    if not form.is_valid():
        raise _no_version(refused)
    return form.cleaned_data["version"]


def _no_version(refused: str) -> TransitionRefused:
    return TransitionRefused(
        f"The page did not say which version of the report you looked at, so {refused}. "
        "Look at the report below and try again."
    )


@login_required
def report_submit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    def submit(report: MonthlyReport) -> str:
        services.report_submit(report=report, user=request.user)
        return f"{report.month:%B %Y} is submitted."

    return _transition(request, slug, pk, review=False, action=submit)


@login_required
def report_approve(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Approve the version the reviewer saw; "Approve and next" then opens the next report waiting in
    the network's queue, or the queue itself when none is left."""
    approved: list[MonthlyReport] = []

    def approve(report: MonthlyReport) -> str:
        version = _version_seen(request, "nothing was approved")
        approved.append(services.report_approve(report=report, version=version, user=request.user))
        return f"Approved {report.organization.name}, {report.month:%B %Y} (version {version})."

    response = _transition(request, slug, pk, review=True, action=approve)
    if not approved or request.POST.get("then") != "next":
        return response
    report = approved[0]
    following = selectors.report_next_for_review(network=report.network, after=report)
    if following is None:
        messages.info(request, "No other report is waiting for review.")
        return redirect("metrics:review_queue", slug=slug)
    return redirect("metrics:report_detail", slug=slug, pk=following.pk)


@login_required
def reports_approve(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Approve selected" on the review queue: each checkbox names a report and the version the queue
    showed ("12:3"); the refused are listed by name with the reason, the others approved."""
    network, _ = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    queue = redirect("metrics:review_queue", slug=network.slug)
    if request.method != "POST":
        return queue
    versions: dict[int, int] = {}
    for value in request.POST.getlist("report"):
        pk, _, version = value.partition(":")
        if pk.isascii() and pk.isdigit() and version.isascii() and version.isdigit():
            versions[int(pk)] = int(version)
    if not versions:
        messages.error(request, "Nothing was approved: select at least one report.")
        return queue
    result = services.reports_approve(network=network, versions=versions, user=request.user)
    if result.approved:
        names = "; ".join(str(report) for report in result.approved)
        count = len(result.approved)
        messages.success(request, f"Approved {count} report{'s' if count != 1 else ''}: {names}.")
    for report, reason in result.refused:
        messages.error(request, f"Not approved: {report}. {reason}")
    return queue


@login_required
def report_return(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Send a report back for correction; the comment is required."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    report = selectors.report_get_for_review(user=request.user, pk=pk)
    if report.network_id != network.pk:
        raise Http404("No such report in this network.")
    if request.method != "POST":
        return redirect("metrics:report_detail", slug=network.slug, pk=report.pk)
    form = ReturnForm(request.POST)
    if "version" in form.errors:
        messages.error(request, str(_no_version("the report was not returned")))
        return redirect("metrics:report_detail", slug=network.slug, pk=report.pk)
    if not form.is_valid():
        return _detail_page(request, network, access, report, form)
    try:
        services.report_return(
            report=report,
            version=form.cleaned_data["version"],
            user=request.user,
            comment=form.cleaned_data["comment"],
        )
    except TransitionRefused as refused:
        messages.error(request, _refused_text(refused))
    else:
        messages.success(
            request, f"Returned {report.organization.name}, {report.month:%B %Y}, for correction."
        )
    return redirect("metrics:report_detail", slug=network.slug, pk=report.pk)


@login_required
def report_reopen(request: HttpRequest, slug: str, organization_id: int, month: str) -> HttpResponse:
    """Backbone staff reopen a locked month of a partner for two weeks."""
    network, _ = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    organization = get_object_or_404(
        Organization.objects.filter(memberships__network=network).distinct(), pk=organization_id
    )
    day = _month(month)
    back = _back(request, reverse("metrics:completeness", args=[network.slug]))
    if request.method != "POST":
        return redirect(back)
    try:
        report = services.report_reopen(
            network=network,
            organization=organization,
            month=day,
            user=request.user,
            today=timezone.localdate(),
        )
    except services.AlreadyOpen as refused:
        messages.info(request, str(refused))
        return redirect(back)
    except TransitionRefused as refused:
        messages.error(request, str(refused))
        return redirect(back)
    messages.success(
        request,
        f"Reopened {organization.name}, {day:%B %Y}, until {report.reopened_until:%B} "
        f"{report.reopened_until.day}.",
    )
    return redirect(back)


# The backbone's review queue and completeness; the reports a user may see


@login_required
def review_queue(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    waiting = list(selectors.reports_waiting_for_review(network=network))
    contexts = review.review_contexts(
        network=network, reports=waiting, catalogue=Catalogue.for_state(network.state_id)
    )
    now = timezone.now()
    for report in waiting:
        report.on_time = completeness_reads.submitted_on_time(
            network, report.month, report.first_submitted_at
        )
        report.flag_count = contexts[report.pk].flag_count
        report.days_waiting = (now - report.submitted_at).days if report.submitted_at else None
    returned = list(selectors.reports_returned(network=network))
    for report in returned:
        report.days_waiting = (now - report.reviewed_at).days if report.reviewed_at else None
        version = report.current_version
        # A correction the partner saved as a draft since the return, not submitted yet.
        report.draft_since = (
            version.created_at
            if version and report.reviewed_at and version.created_at > report.reviewed_at
            else None
        )
    return render(
        request,
        "metrics/review_queue.html",
        {"network": network, "access": access, "waiting": waiting, "returned": returned},
    )


@login_required
def completeness(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    period = PeriodEndForm(request.GET)
    end = period.cleaned_data["end"] if period.is_valid() else None
    today = timezone.localdate()
    data = completeness_reads.completeness(network=network, end=end, today=today)
    grid, by_month = completeness_reads.completeness_tables(data)
    if download := download_or_none(request, grid, by_month):
        return download
    latest = completeness_reads.last_due_month(network, today)
    later = month_add(data.last, 12)
    return render(
        request,
        "metrics/completeness.html",
        {
            "network": network,
            "access": access,
            "data": data,
            "grid": grid,
            "by_month": by_month,
            "rows": list(zip(data.partners, grid.rows, strict=False)),
            "total_row": grid.rows[-1],
            "earlier": month_iso(completeness_reads.month_add(data.last, -12)),
            "later": month_iso(min(later, latest)) if data.last < latest else "",
            "period_error": period.errors.get("end"),
            "reopen_requests": list(selectors.reopen_requests_open(network=network)),
        },
    )


@login_required
def report_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The network's reports the user may see: all for backbone staff, those of partners sharing
    with the state for a state viewer, their own organization's for partner staff."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    reports = (
        selectors.reports_visible_to(user=request.user)
        .filter(network=network)
        .order_by("-month", "organization__name", "pk")
    )
    status = request.GET.get("status", "")
    if status in ReportStatus.values:
        reports = reports.filter(status=status)
    else:
        status = ""
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    own = (
        selectors.organizations_reporting_for(user=request.user)
        .filter(memberships__in=Membership.objects.current().filter(network=network))
        .distinct()
        .order_by("name")
        if not request.user.is_superuser
        else []
    )
    return render(
        request,
        "metrics/report_list.html",
        {
            "network": network,
            "access": access,
            "page": page,
            "status": status,
            "statuses": ReportStatus.choices,
            "own_organizations": own,
        },
    )


urlpatterns = [
    path("networks/<slug:slug>/reports/", report_list, name="report_list"),
    path("networks/<slug:slug>/reports/review/", review_queue, name="review_queue"),
    path("networks/<slug:slug>/reports/review/approve/", reports_approve, name="reports_approve"),
    path("networks/<slug:slug>/reports/completeness/", completeness, name="completeness"),
    path("networks/<slug:slug>/reports/<int:pk>/", report_detail, name="report_detail"),
    path("networks/<slug:slug>/reports/<int:pk>/submit/", report_submit, name="report_submit"),
    path("networks/<slug:slug>/reports/<int:pk>/approve/", report_approve, name="report_approve"),
    path("networks/<slug:slug>/reports/<int:pk>/return/", report_return, name="report_return"),
    path(
        "networks/<slug:slug>/organizations/<int:organization_id>/reports/",
        reporting_months,
        name="reporting_months",
    ),
    path(
        "networks/<slug:slug>/organizations/<int:organization_id>/reports/<str:month>/",
        report_form,
        name="report_form",
    ),
    path(
        "networks/<slug:slug>/organizations/<int:organization_id>/reports/<str:month>/nothing/",
        report_nothing,
        name="report_nothing",
    ),
    path(
        "networks/<slug:slug>/organizations/<int:organization_id>/reports/<str:month>/reopen/",
        report_reopen,
        name="report_reopen",
    ),
    path(
        "networks/<slug:slug>/organizations/<int:organization_id>/reports/<str:month>/reopen-request/",
        reopen_request,
        name="reopen_request",
    ),
]
