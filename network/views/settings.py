"""The network's settings, for its backbone staff."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from network import selectors, services
from network.forms import NetworkSettingsForm
from network.selectors import Access


@login_required
def network_settings(request: HttpRequest, slug: str) -> HttpResponse:
    network, access = selectors.network_get_for_user(user=request.user, slug=slug, need=Access.MANAGE)
    form = NetworkSettingsForm(request.POST or None, instance=network)
    if request.method == "POST" and form.is_valid():
        try:
            services.network_settings_update(
                network=network, **{name: form.cleaned_data[name] for name in services.SETTINGS_FIELDS}
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Saved the network's settings.")
            return redirect("network:network_settings", slug=slug)
    return render(
        request, "network/network_settings.html", {"network": network, "access": access, "form": form}
    )
