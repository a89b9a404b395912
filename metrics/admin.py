"""Site administrators extend the catalogue here and look into reports; reports themselves change
only through Tandem's pages, files and API, so every version is kept."""

from django.contrib import admin

from metrics.models import (
    Breakdown,
    Category,
    Measure,
    MonthlyReport,
    ReopenRequest,
    ReportEvent,
    ReportVersion,
    Upload,
)


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "order"]
    search_fields = ["code", "name"]


class CategoryInline(admin.TabularInline):
    model = Category
    fields = ["code", "name", "order"]
    extra = 0

    def get_queryset(self, request):
        # The county breakdown has a category per U.S. county: too many to edit inline.
        return super().get_queryset(request).filter(county__isnull=True)


@admin.register(Breakdown)
class BreakdownAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "order", "by_county"]
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["breakdown", "code", "name", "order"]
    list_filter = ["breakdown"]
    search_fields = ["code", "name"]
    raw_id_fields = ["county"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class VersionInline(admin.TabularInline):
    model = ReportVersion
    fields = ["number", "source", "nothing_to_report", "created_by", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class EventInline(admin.TabularInline):
    model = ReportEvent
    fields = ["at", "action", "actor", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(MonthlyReport)
class MonthlyReportAdmin(ReadOnlyAdmin):
    list_display = ["organization", "network", "month", "status", "first_submitted_at"]
    list_filter = ["status", "network"]
    search_fields = ["organization__name", "organization__dprp_org_code"]
    date_hierarchy = "month"
    list_select_related = ["organization", "network"]
    inlines = [VersionInline, EventInline]


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdmin):
    list_display = ["filename", "organization", "network", "format", "status", "created_at"]
    list_filter = ["format", "status"]
    list_select_related = ["organization", "network"]
    exclude = ["result"]  # the participant sessions read from a DPRP file: hashes, no need to show


@admin.register(ReopenRequest)
class ReopenRequestAdmin(admin.ModelAdmin):
    list_display = ["organization", "network", "month", "requested_by", "requested_at", "resolved_at"]
    list_filter = ["network"]
    raw_id_fields = ["organization", "network", "report", "upload", "requested_by"]
