from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from network import services
from network.models import (
    Attendance,
    Contract,
    ContractStageChange,
    DataSharingChange,
    Meeting,
    Membership,
    Network,
    PartnerChoiceChange,
    Role,
    RoleInvitation,
    Workgroup,
    WorkgroupSeat,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organization"]
    # The partner decides how far its identified figures travel, on its own page; a new member
    # starts with the backbone only.
    readonly_fields = ["data_sharing", "outcomes_shared", "named_publicly"]


class ChoiceHistoryAdmin(admin.ModelAdmin):
    """A history of a partner's choices: to read, never to write."""

    search_fields = ["membership__organization__name", "changed_by__username"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DataSharingChange)
class DataSharingChangeAdmin(ChoiceHistoryAdmin):
    """The history of partners' data-sharing choices."""

    list_display = ["membership", "changed_at", "changed_by", "from_sharing", "to_sharing"]
    list_filter = ["membership__network", "to_sharing"]


@admin.register(PartnerChoiceChange)
class PartnerChoiceChangeAdmin(ChoiceHistoryAdmin):
    """The history of partners' outcomes-sharing and public-naming choices."""

    list_display = ["membership", "changed_at", "changed_by", "choice", "to_value"]
    list_filter = ["membership__network", "choice", "to_value"]


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "state", "backbone", "backbone_model"]
    list_filter = ["state", "backbone_model"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["backbone", "state_health_department"]
    inlines = [MembershipInline]


@admin.register(RoleInvitation)
class RoleInvitationAdmin(admin.ModelAdmin):
    """Invitations are sent, sent again and withdrawn by backbone staff on their network's People page:
    here to read."""

    list_display = ["email", "network", "kind", "organization", "sent_at", "accepted_at", "withdrawn_at"]
    list_filter = ["network", "kind"]
    search_fields = ["email", "organization__name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RoleInvitation | None = None) -> bool:
        return False


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    """Roles are granted and ended through `network.services`, which keeps permissions in step."""

    list_display = ["user", "kind", "network", "organization", "state", "started_at", "ended_at"]
    list_filter = ["kind", "ended_at"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user", "network", "organization", "state"]
    fields = ["user", "kind", "network", "organization", "state"]
    actions = ["end_roles"]

    def has_change_permission(self, request: HttpRequest, obj: Role | None = None) -> bool:
        # A role is granted or ended, never edited: that would leave its permissions behind.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Role | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Role, form: object, change: bool) -> None:
        role = services.role_grant(user=obj.user, kind=obj.kind, scope=obj.scope, granted_by=request.user)
        obj.pk = role.pk

    @admin.action(description="End the selected roles (takes their access away at once)")
    def end_roles(self, request: HttpRequest, queryset: QuerySet[Role]) -> None:
        for role in queryset.filter(ended_at__isnull=True):
            services.role_end(role=role)
        messages.success(request, "The selected roles are ended.")


class WorkgroupSeatInline(admin.TabularInline):
    model = WorkgroupSeat
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(Workgroup)
class WorkgroupAdmin(admin.ModelAdmin):
    list_display = ["name", "network"]
    list_filter = ["network"]
    inlines = [WorkgroupSeatInline]


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "network", "workgroup", "starts_at"]
    list_filter = ["network"]
    inlines = [AttendanceInline]


class ContractStageChangeInline(admin.TabularInline):
    model = ContractStageChange
    extra = 0
    readonly_fields = ["stage", "reached_on", "recorded_by", "note"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "network", "stage"]
    list_filter = ["network", "stage"]
    readonly_fields = ["stage"]
    inlines = [ContractStageChangeInline]
