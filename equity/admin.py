from django.contrib import admin

from equity.models import EligibleEstimate, EstimateSource


@admin.register(EstimateSource)
class EstimateSourceAdmin(admin.ModelAdmin):
    """Estimates arrive by CSV import (`/equity/estimates/`), which replaces what a file covers whole."""

    list_display = ["name", "year", "imported_at", "imported_by"]
    readonly_fields = ["imported_at", "imported_by"]
    search_fields = ["name"]


@admin.register(EligibleEstimate)
class EligibleEstimateAdmin(admin.ModelAdmin):
    list_display = ["state", "category", "estimate", "source"]
    list_filter = ["state", "category__breakdown", "source"]
    list_select_related = ["state", "category", "category__breakdown", "source"]
    search_fields = ["category__name", "category__code"]
    raw_id_fields = ["category"]
