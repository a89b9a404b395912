"""Workgroups: who holds a seat, who co-leads (and from how many sectors), and the workgroup's meetings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render

from network import selectors, services
from network.forms import SeatRoleForm, WorkgroupForm, WorkgroupSeatForm
from network.selectors import CO_LEADER_SECTORS_NEEDED, Access


def _context(network: object, access: Access, **extra: object) -> dict[str, object]:
    return {
        "network": network,
        "access": access,
        "can_manage": access == Access.MANAGE,
        "co_leader_sectors_needed": CO_LEADER_SECTORS_NEEDED,
        **extra,
    }


@login_required
def workgroup_list(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    workgroups = selectors.workgroups_with_seats(network=network)
    return render(request, "network/workgroup_list.html", _context(network, access, workgroups=workgroups))


@login_required
def workgroup_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.VIEW)
    workgroup = get_object_or_404(network.workgroups, pk=pk)
    detail = selectors.workgroup_detail(workgroup=workgroup)
    return render(
        request,
        "network/workgroup_detail.html",
        _context(network, access, workgroup=workgroup, detail=detail),
    )


@login_required
def workgroup_create(request: HttpRequest, slug: str) -> HttpResponse:
    return _workgroup_form(request, slug, pk=None)


@login_required
def workgroup_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _workgroup_form(request, slug, pk=pk)


def _workgroup_form(request: HttpRequest, slug: str, *, pk: int | None) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    workgroup = get_object_or_404(network.workgroups, pk=pk) if pk else None
    initial = {"name": workgroup.name, "purpose": workgroup.purpose} if workgroup else None
    form = WorkgroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.workgroup_save(network=network, workgroup=workgroup, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved the workgroup {saved.name}.")
            return redirect("network:workgroup_detail", slug=network.slug, pk=saved.pk)
    return render(
        request, "network/workgroup_form.html", _context(network, access, form=form, workgroup=workgroup)
    )


@login_required
def workgroup_seats(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The seats of a workgroup, with a form to give a partner a seat or change the one it holds."""
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    workgroup = get_object_or_404(network.workgroups, pk=pk)
    form = WorkgroupSeatForm(request.POST or None, partners=selectors.partners_current(network=network))
    if request.method == "POST" and form.is_valid():
        organization = form.cleaned_data["organization"]
        had_seat = workgroup.seats.filter(organization=organization).exists()
        try:
            services.workgroup_seat_set(workgroup=workgroup, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            done = "Changed the seat of" if had_seat else "Gave a seat to"
            messages.success(request, f"{done} {organization} in {workgroup}.")
            return redirect("network:workgroup_seats", slug=network.slug, pk=workgroup.pk)
    return render(
        request,
        "network/workgroup_seats.html",
        _context(
            network,
            access,
            workgroup=workgroup,
            form=form,
            detail=selectors.workgroup_detail(workgroup=workgroup),
        ),
    )


@login_required
def workgroup_seat_role(request: HttpRequest, slug: str, pk: int, seat_id: int) -> HttpResponse:
    """Make a seat's holder co-leader, or a member again (POST only)."""
    network, _ = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    workgroup = get_object_or_404(network.workgroups, pk=pk)
    seat = get_object_or_404(workgroup.seats.select_related("organization", "person"), pk=seat_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = SeatRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose co-leader or member.")
    else:
        try:
            services.workgroup_seat_set(
                workgroup=workgroup,
                organization=seat.organization,
                person=seat.person,
                is_co_leader=form.cleaned_data["is_co_leader"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            role = "a co-leader" if form.cleaned_data["is_co_leader"] else "a member"
            messages.success(request, f"{seat.organization} is now {role} of {workgroup}.")
    return redirect("network:workgroup_seats", slug=network.slug, pk=workgroup.pk)


@login_required
def workgroup_seat_remove(request: HttpRequest, slug: str, pk: int, seat_id: int) -> HttpResponse:
    """Take a seat away (POST only)."""
    network, _ = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    workgroup = get_object_or_404(network.workgroups, pk=pk)
    seat = get_object_or_404(workgroup.seats.select_related("organization"), pk=seat_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.workgroup_seat_remove(seat=seat)
    messages.success(request, f"{seat.organization} no longer has a seat in {workgroup}.")
    return redirect("network:workgroup_seats", slug=network.slug, pk=workgroup.pk)
