"""The contract pipeline: contracts with partners, the dated stages they reach, and where they wait."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from network import selectors, services
from network.forms import ContractAdvanceForm, ContractCreateForm, ContractForm
from network.models import CONTRACT_STAGE_ORDER, Contract, ContractStage, Network
from network.selectors import Access


def _context(network: Network, access: Access, **extra: object) -> dict[str, object]:
    # Every contract page needs MANAGE, so can_manage is always true here.
    return {
        "network": network,
        "access": access,
        "can_manage": True,
        "delay_days": network.contract_stage_alert_days,
        **extra,
    }


@login_required
def contract_list(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    pipeline = selectors.contract_pipeline(network=network)
    stage = request.GET.get("stage", "")
    stage = stage if stage in ContractStage.values else ""
    shown = [row for row in pipeline.stages if not stage or row.value == stage]
    return render(
        request,
        "network/contract_list.html",
        _context(network, access, pipeline=pipeline, shown=shown, stage=stage),
    )


@login_required
def contract_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    contract = get_object_or_404(network.contracts.select_related("organization"), pk=pk)
    return _detail_page(request, network, access, contract, _advance_form(contract))


@login_required
def contract_advance(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Move the contract to a later stage; the service's objections are shown as form errors."""
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    contract = get_object_or_404(network.contracts.select_related("organization"), pk=pk)
    if request.method != "POST":
        return redirect("network:contract_detail", slug=network.slug, pk=contract.pk)
    form = ContractAdvanceForm(request.POST)
    if form.is_valid():
        try:
            contract = services.contract_advance(
                contract=contract, recorded_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{contract.title} is now {contract.get_stage_display().lower()}.")
            return redirect("network:contract_detail", slug=network.slug, pk=contract.pk)
    return _detail_page(request, network, access, contract, form)


def _advance_form(contract: Contract) -> ContractAdvanceForm | None:
    position = CONTRACT_STAGE_ORDER.index(contract.stage)
    if position + 1 == len(CONTRACT_STAGE_ORDER):
        return None  # an ended contract goes no further
    next_stage = (
        ContractStage.ENDED if contract.stage == ContractStage.AMENDED else CONTRACT_STAGE_ORDER[position + 1]
    )
    return ContractAdvanceForm(initial={"stage": next_stage, "reached_on": timezone.localdate()})


def _detail_page(
    request: HttpRequest,
    network: Network,
    access: Access,
    contract: Contract,
    form: ContractAdvanceForm | None,
) -> HttpResponse:
    return render(
        request,
        "network/contract_detail.html",
        _context(
            network,
            access,
            contract=contract,
            history=selectors.contract_history(contract=contract),
            form=form,
        ),
    )


@login_required
def contract_create(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    form = ContractCreateForm(
        request.POST or None,
        partners=selectors.partners_current(network=network),
        initial={"planned_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(
                network=network, recorded_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Added the contract {contract.title} with {contract.organization}.")
            return redirect("network:contract_detail", slug=network.slug, pk=contract.pk)
    return render(request, "network/contract_form.html", _context(network, access, form=form, contract=None))


@login_required
def contract_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    contract = get_object_or_404(network.contracts.select_related("organization"), pk=pk)
    form = ContractForm(request.POST or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(contract=contract, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved the changes to {contract.title}.")
            return redirect("network:contract_detail", slug=network.slug, pk=contract.pk)
    return render(
        request, "network/contract_form.html", _context(network, access, form=form, contract=contract)
    )
