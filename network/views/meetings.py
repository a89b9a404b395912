"""Meetings of the network and its workgroups: who is invited and who came."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from core.ids import id_or_none
from network import selectors, services
from network.forms import AttendanceForm, MeetingForm
from network.selectors import Access


def _context(network: object, access: Access, **extra: object) -> dict[str, object]:
    return {"network": network, "access": access, "can_manage": access == Access.MANAGE, **extra}


@login_required
def meeting_list(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    calendar = selectors.meeting_calendar(network=network)
    return render(request, "network/meeting_list.html", _context(network, access, calendar=calendar))


@login_required
def meeting_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    meeting = get_object_or_404(selectors.meetings_with_attendance(network=network), pk=pk)
    return render(
        request,
        "network/meeting_detail.html",
        _context(
            network,
            access,
            meeting=meeting,
            attendance=meeting.attendance.select_related("organization"),
            is_past=meeting.starts_at < timezone.now(),
        ),
    )


@login_required
def meeting_create(request: HttpRequest, slug: str) -> HttpResponse:
    return _meeting_form(request, slug, pk=None)


@login_required
def meeting_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _meeting_form(request, slug, pk=pk)


def _meeting_form(request: HttpRequest, slug: str, *, pk: int | None) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    meeting = get_object_or_404(network.meetings, pk=pk) if pk else None
    if meeting is not None:
        initial = {"invited": list(meeting.attendance.values_list("organization_id", flat=True))}
    else:
        # "Schedule a meeting" on a workgroup's page comes here with ?workgroup=<id>: invite its seats.
        workgroup_id = id_or_none(request.GET.get("workgroup"))
        workgroup = network.workgroups.filter(pk=workgroup_id).first() if workgroup_id is not None else None
        invited = selectors.meeting_default_invitations(network=network, workgroup=workgroup)
        initial = {"workgroup": workgroup, "invited": invited}
    form = MeetingForm(
        request.POST or None,
        instance=meeting,
        initial=initial,
        workgroups=network.workgroups.all(),
        invitable=selectors.meeting_invitable(meeting=meeting, network=network),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.meeting_save(
                network=network,
                meeting=meeting,
                title=data["title"],
                starts_at=data["starts_at"],
                location=data["location"],
                notes=data["notes"],
                workgroup=data["workgroup"],
                invited=list(data["invited"]),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"Saved the meeting {saved.title}, with {len(data['invited'])} invited."
            )
            return redirect("network:meeting_detail", slug=network.slug, pk=saved.pk)
    return render(request, "network/meeting_form.html", _context(network, access, form=form, meeting=meeting))


@login_required
def meeting_attendance(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Tick the invited organizations that came to the meeting."""
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    meeting = get_object_or_404(network.meetings.select_related("workgroup"), pk=pk)
    attendance = list(meeting.attendance.select_related("organization"))
    form = AttendanceForm(request.POST or None, attendance=attendance)
    if request.method == "POST" and form.is_valid():
        attended = set(form.cleaned_data["attended"])
        services.meeting_record_attendance(meeting=meeting, attended_ids=attended)
        messages.success(request, f"Recorded that {len(attended)} of {len(attendance)} invited came.")
        return redirect("network:meeting_detail", slug=network.slug, pk=meeting.pk)
    return render(
        request,
        "network/meeting_attendance.html",
        _context(
            network,
            access,
            meeting=meeting,
            form=form,
            invited=len(attendance),
            is_past=meeting.starts_at < timezone.now(),
        ),
    )
