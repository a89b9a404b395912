"""The API tokens page, and password reset with a limit on e-mails."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import limits, selectors, services
from accounts.clients import client_ip


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own tokens: make one (its secret shown on this answer only), revoke one."""
    new_secret = ""
    error = ""
    if request.method == "POST":
        if "revoke" in request.POST:
            token_id = request.POST["revoke"]
            if token_id.isdigit() and services.api_token_revoke(user=request.user, token_id=int(token_id)):
                messages.success(request, "The token is revoked: it no longer opens the API.")
            else:
                messages.error(request, "That token was already revoked or has ended.")
            return redirect("accounts:api_tokens")
        name = request.POST.get("name", "").strip()
        if not name:
            error = "Name the token after what will use it, e.g. 'nightly upload from our records system'."
        elif len(name) > 100:
            error = "Keep the name to 100 characters."
        else:
            _, new_secret = services.api_token_create(user=request.user, name=name)
    services.api_tokens_prune(user=request.user)
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "tokens": selectors.api_tokens_of(user=request.user),
            "new_secret": new_secret,
            "error": error,
            "name": request.POST.get("name", "") if error else "",
            "token_days": settings.API_TOKEN_DAYS,
        },
        status=400 if error else 200,
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, sending at most ``PASSWORD_RESET_LIMIT_PER_ADDRESS`` e-mails to an address and
    taking at most ``PASSWORD_RESET_LIMIT_PER_CLIENT`` requests from a client in a window."""

    def form_valid(self, form: Form) -> HttpResponse:
        wait = limits.password_reset_wait(email=form.cleaned_data["email"], client=client_ip(self.request))
        if wait:
            return limits.refused(
                self.request,
                template="accounts/too_many_resets.html",
                seconds=wait,
                detail="Too many password reset requests.",
            )
        return super().form_valid(form)


urlpatterns = [
    path("tokens/", api_tokens, name="api_tokens"),
]
# Django's names (reversed as "password_reset"), so they stay outside the app's namespace.
auth_overrides = [
    path("password_reset/", PasswordResetView.as_view(), name="password_reset"),
]
