"""Uploads: a partner's file of monthly counts (Tandem's CSV template or the DPRP participant file),
its progress while a large one is read, the preview, then save or discard; and the template download.

Only partner staff of the organization get in: an outsider gets 404, anyone else who may see the
network (backbone staff, a state viewer, another partner) 403.
"""

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.calendar import month_name
from core.figures import XLSX_TYPE
from core.problems import ReportRefused
from metrics import selectors, uploads
from metrics.catalogue import Catalogue
from metrics.importers.tandem import template_csv, template_xlsx
from metrics.models import Upload, UploadFormat, UploadStatus
from metrics.uploads import Change, UploadNotReady
from metrics.validation import parse_month
from network.models import Network
from network.selectors import Access, network_get_for_user
from partners.models import Organization

TEMPLATE_MONTHS = 24  # how far back the template's month list goes


class UploadForm(forms.Form):
    format = forms.ChoiceField(
        label="What kind of file is it?",
        choices=[
            (UploadFormat.TANDEM, "Tandem's template, CSV or Excel: one row per count, one or more months"),
            (UploadFormat.DPRP, "DPRP participant file (CSV): the file you send CDC, one row per session"),
        ],
        widget=forms.RadioSelect,
        initial=UploadFormat.TANDEM,
    )
    file = forms.FileField(
        label="File",
        help_text="A CSV file (UTF-8 or Latin-1) or an Excel workbook (.xlsx, its first sheet), up to the "
        "size shown above.",
        widget=forms.ClearableFileInput(
            attrs={"class": "usa-file-input", "accept": f".csv,text/csv,.xlsx,{XLSX_TYPE}"}
        ),
    )
    submit = forms.TypedChoiceField(
        label="When you save the months",
        choices=[
            ("1", "Submit them to the backbone organization"),
            ("0", "Keep them as drafts: I will check and submit them later"),
        ],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="1",
    )


def _organization_for_upload(request: HttpRequest, slug: str, organization_id: int) -> tuple:
    """The network and the organization the user uploads for: 404 for outsiders, 403 for a user who
    may see the network but does not submit the organization's reports."""
    network, access = network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    organization = selectors.reporting_organization_get(
        user=request.user, network=network, organization_id=organization_id
    )
    return network, access, organization


def _upload_get(network: Network, organization: Organization, pk: int) -> Upload:
    return get_object_or_404(Upload.objects.filter(network=network, organization=organization), pk=pk)


def _to_detail(upload: Upload) -> HttpResponse:
    return redirect(
        "metrics:upload_detail",
        slug=upload.network.slug,
        organization_id=upload.organization_id,
        pk=upload.pk,
    )


def _context(network: Network, access: Access, organization: Organization, **extra: Any) -> dict[str, Any]:
    return {"network": network, "access": access, "organization": organization, **extra}


def _template_months(today: datetime.date) -> list[datetime.date]:
    month = today.replace(day=1)
    months = []
    for _ in range(TEMPLATE_MONTHS):
        months.append(month)
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return months


@login_required
@require_http_methods(["GET", "POST"])
def upload_create(request: HttpRequest, slug: str, organization_id: int) -> HttpResponse:
    network, access, organization = _organization_for_upload(request, slug, organization_id)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = uploads.upload_read(
            network=network,
            organization=organization,
            user=request.user,
            file=form.cleaned_data["file"],
            format=form.cleaned_data["format"],
            submit=form.cleaned_data["submit"],
        )
        return _to_detail(upload)
    today = timezone.localdate()
    months = _template_months(today)
    return render(
        request,
        "metrics/upload_form.html",
        _context(
            network,
            access,
            organization,
            form=form,
            template_months=months,
            template_month=months[1] if today.day <= 20 else months[0],
            recent=Upload.objects.filter(network=network, organization=organization)[:10],
            max_megabytes=uploads.max_megabytes(),
        ),
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def upload_template(request: HttpRequest, slug: str, organization_id: int) -> HttpResponse:
    """Tandem's template for one month, pre-filled with the organization's codes: a CSV file, or an
    Excel workbook with ``?as=xlsx``."""
    network, _, organization = _organization_for_upload(request, slug, organization_id)
    text = request.GET.get("month", "").strip()
    month = parse_month(text) if text else _template_months(timezone.localdate())[1]
    if month is None:
        return HttpResponseBadRequest(
            "The month must be written YYYY-MM, such as 2024-03.", content_type="text/plain; charset=utf-8"
        )
    catalogue = Catalogue.for_state(network.state_id)
    org_code = organization.dprp_org_code or ""
    name = f"tandem-{org_code or organization.pk}-{month:%Y-%m}"
    if request.GET.get("as") == "xlsx":
        response = HttpResponse(
            template_xlsx(catalogue, org_code=org_code, month=month), content_type=XLSX_TYPE
        )
        name += ".xlsx"
    else:
        response = HttpResponse(
            template_csv(catalogue, org_code=org_code, month=month), content_type="text/csv; charset=utf-8"
        )
        name += ".csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def upload_detail(request: HttpRequest, slug: str, organization_id: int, pk: int) -> HttpResponse:
    """Progress while the file is read, then its problems or its preview, then what was saved."""
    network, access, organization = _organization_for_upload(request, slug, organization_id)
    upload = _upload_get(network, organization, pk)
    return render(
        request,
        "metrics/upload_detail.html",
        _context(
            network,
            access,
            organization,
            upload=upload,
            reading=upload.status in (UploadStatus.QUEUED, UploadStatus.READING),
            stalled=uploads.upload_is_stalled(upload),
            preview=_preview(upload, network) if upload.result.get("months") else None,
            locked_months=_locked_months(upload, network, organization),
            problems=[
                {**problem, "month_name": _month_name(problem.get("month", ""))}
                for problem in upload.problems
            ],
            saved_months=[
                f"{datetime.date.fromisoformat(label + '-01'):%B %Y}"
                for label in upload.result.get("saved", [])
            ],
        ),
    )


@login_required
@require_GET
def upload_progress(request: HttpRequest, slug: str, organization_id: int, pk: int) -> JsonResponse:
    """The progress of a file being read, for the page's script (the page refreshes itself without)."""
    network, _, organization = _organization_for_upload(request, slug, organization_id)
    upload = _upload_get(network, organization, pk)
    return JsonResponse(
        {
            "status": upload.status,
            "status_display": upload.get_status_display(),
            "rows_done": upload.rows_done,
            "rows_total": upload.rows_total,
            "percent": upload.percent_done,
            "done": upload.status not in (UploadStatus.QUEUED, UploadStatus.READING),
        }
    )


@login_required
@require_POST
def upload_save(request: HttpRequest, slug: str, organization_id: int, pk: int) -> HttpResponse:
    network, _, organization = _organization_for_upload(request, slug, organization_id)
    upload = _upload_get(network, organization, pk)
    try:
        saved = uploads.upload_save(upload=upload, user=request.user)
    except ReportRefused:
        messages.error(request, "The file could not be saved: nothing was changed. The problems are below.")
    except UploadNotReady as error:
        messages.error(request, str(error))
    else:
        locked = upload.result.get("locked", [])
        if saved:
            months = ", ".join(f"{report.month:%B %Y}" for report in saved)
            verb = "submitted" if upload.submit else "saved as drafts"
            messages.success(request, f"{len(saved)} month{'s' if len(saved) != 1 else ''} {verb}: {months}.")
        elif not locked:
            messages.success(request, "Nothing changed: every month already had these counts.")
        if locked:
            messages.warning(
                request,
                f"{len(locked)} locked month{'s were' if len(locked) != 1 else ' was'} left as "
                f"{'they were' if len(locked) != 1 else 'it was'}: see below.",
            )
    return _to_detail(upload)


@login_required
@require_POST
def upload_discard(request: HttpRequest, slug: str, organization_id: int, pk: int) -> HttpResponse:
    network, _, organization = _organization_for_upload(request, slug, organization_id)
    upload = _upload_get(network, organization, pk)
    try:
        uploads.upload_discard(upload=upload, user=request.user)
    except UploadNotReady as error:
        messages.error(request, str(error))
        return _to_detail(upload)
    messages.success(request, f"Discarded {upload.filename}: nothing was saved from it.")
    return redirect("metrics:upload_create", slug=network.slug, organization_id=organization.pk)


# --- the preview, for the page ---------------------------------------------------------------------

CHANGE_TEXT = {
    Change.NEW: "New month: saved as its first version",
    Change.CHANGED: "Saved as a new version",
    Change.SUBMIT: "Same counts: submitted as they are",
    Change.UNCHANGED: "No change: not saved again",
    Change.NOT_REPORTED: (
        "Not reported: the organization was not a partner in the network that month "
        "(its sessions are kept to tell new participants from returning ones)"
    ),
    Change.LOCKED: "Locked: left as it was (ask the backbone staff to reopen it, then send the file again)",
    Change.NOT_OVER: (
        "Not reported yet: the month is not over (its sessions are kept; send a file again once the "
        "month has ended to report it)"
    ),
}


def _preview(upload: Upload, network: Network) -> dict[str, Any]:
    """The months of an upload as the page shows them: totals by measure beside what is stored, and
    each measure's breakdowns, in the catalogue's order."""
    catalogue = Catalogue.for_state(network.state_id)
    measures = {code: name for code, (_, name) in catalogue.measures.items()}
    shown = [code for code in measures if any(code in month["totals"] for month in upload.result["months"])]
    rows = []
    for month in upload.result["months"]:
        stored = month.get("stored_totals")
        cells = []
        for code in shown:
            new, before = month["totals"].get(code), (stored or {}).get(code)
            cells.append({"new": new, "stored": before, "differs": stored is not None and new != before})
        counts = {(m, b, c): n for m, b, c, n in month["cells"]}
        breakdowns = []
        for measure, measure_name in measures.items():
            for breakdown, breakdown_name in catalogue.breakdowns.items():
                categories = [
                    (info.name, counts[measure, breakdown, code])
                    for code, info in catalogue.categories[breakdown].items()
                    if breakdown != "total" and counts.get((measure, breakdown, code))
                ]
                if categories:
                    breakdowns.append(
                        {"measure": measure_name, "breakdown": breakdown_name, "categories": categories}
                    )
        rows.append(
            {
                "label": f"{datetime.date.fromisoformat(month['month'] + '-01'):%B %Y}",
                "month": month["month"],
                "cells": cells,
                "change": month["change"],
                "change_text": CHANGE_TEXT.get(month["change"], month["change"]),
                "kept": [measures.get(code, code) for code in month.get("kept", [])],
                "breakdowns": breakdowns,
            }
        )
    saving = [row for row in rows if row["change"] in uploads.SAVED_CHANGES]
    return {"measures": [measures[code] for code in shown], "rows": rows, "saving": len(saving)}


def _month_name(label: str) -> str:
    """A problem's month ("2026-11") as pages write it, "November 2026"."""
    month = parse_month(label) if label else None
    return month_name(month) if month else ""


def _locked_months(upload: Upload, network: Network, organization: Organization) -> list[dict[str, Any]]:
    """The locked months the file left as they were (once saved; at the preview, those it would),
    each with whether a request to reopen it is open already. One query."""
    if upload.status == UploadStatus.SAVED:
        labels = upload.result.get("locked", [])
    else:
        labels = [m["month"] for m in upload.result.get("months", []) if m["change"] == Change.LOCKED]
    months = [datetime.date.fromisoformat(f"{label}-01") for label in labels]
    asked = (
        set(
            selectors.reopen_requests_open(network=network)
            .filter(organization=organization, month__in=months)
            .values_list("month", flat=True)
        )
        if months
        else set()
    )
    return [
        {"month": month, "label": f"{month:%B %Y}", "iso": f"{month:%Y-%m}", "asked": month in asked}
        for month in months
    ]


prefix = "networks/<slug:slug>/organizations/<int:organization_id>/uploads/"
urlpatterns: list = [
    path(prefix, upload_create, name="upload_list"),  # the form lists the recent uploads too
    path(f"{prefix}new/", upload_create, name="upload_create"),
    path(f"{prefix}template.csv", upload_template, name="upload_template"),
    path(f"{prefix}<int:pk>/", upload_detail, name="upload_detail"),
    path(f"{prefix}<int:pk>/progress/", upload_progress, name="upload_progress"),
    path(f"{prefix}<int:pk>/save/", upload_save, name="upload_save"),
    path(f"{prefix}<int:pk>/discard/", upload_discard, name="upload_discard"),
]
