"""Reminder settings: a user stops or restarts the reporting reminders sent to their own account."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from metrics import reminders

CHOICES = {"on": False, "off": True}  # the form's value -> opted out


@login_required
@require_http_methods(["GET", "POST"])
def reminder_settings(request: HttpRequest) -> HttpResponse:
    # About the signed-in user's own account only, so every signed-in user may see and change it.
    error = ""
    if request.method == "POST":
        choice = request.POST.get("reminders", "")
        if choice in CHOICES:
            reminders.reminder_opt_out_set(user=request.user, opted_out=CHOICES[choice])
            messages.success(
                request,
                "You will get reporting reminders again."
                if choice == "on"
                else "You will get no more reporting reminders.",
            )
            return redirect("metrics:reminder_settings")
        error = "Choose whether to get reporting reminders: on or off."
    return render(
        request,
        "metrics/reminder_settings.html",
        {
            "wanted": reminders.reminders_wanted(user=request.user),
            "subscriptions": reminders.reminder_subscriptions(user=request.user),
            "due_soon_days": reminders.DUE_SOON_DAYS,
            "error": error,
        },
        status=400 if error else 200,
    )


urlpatterns = [
    path("reminders/", reminder_settings, name="reminder_settings"),
]
