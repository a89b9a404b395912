from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from goals.models import Action, ActionStatus, Strategy
from goals.plan import services


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    list_display = ["title", "network", "goal", "workgroup", "order"]
    list_filter = ["network"]
    search_fields = ["title"]


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    """Actions of the work plans. The status moves only through `goals.plan.services.action_set_status`
    (the actions below), which records who closed an action and when."""

    list_display = ["title", "network", "strategy", "due_on", "status", "meeting"]
    list_filter = ["network", "status"]
    search_fields = ["title", "owner_organization__name"]
    autocomplete_fields = ["owner_organization", "owner_user"]
    readonly_fields = ["status", "created_by", "created_at", "closed_at", "closed_by"]
    actions = ["mark_done", "mark_dropped", "mark_planned"]

    def _set(self, request: HttpRequest, queryset: QuerySet[Action], status: str) -> None:
        for action in queryset:
            services.action_set_status(action=action, status=status, user=request.user)
        label = ActionStatus(status).label.lower()
        messages.success(request, f"The selected actions are now {label}.")

    @admin.action(description="Mark the selected actions done")
    def mark_done(self, request: HttpRequest, queryset: QuerySet[Action]) -> None:
        self._set(request, queryset, ActionStatus.DONE)

    @admin.action(description="Mark the selected actions dropped")
    def mark_dropped(self, request: HttpRequest, queryset: QuerySet[Action]) -> None:
        self._set(request, queryset, ActionStatus.DROPPED)

    @admin.action(description="Open the selected actions again (planned)")
    def mark_planned(self, request: HttpRequest, queryset: QuerySet[Action]) -> None:
        self._set(request, queryset, ActionStatus.PLANNED)
