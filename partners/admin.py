from django.contrib import admin

from partners.models import (
    Contact,
    County,
    DeliveryMode,
    Organization,
    OrganizationKind,
    PopulationOfFocus,
    State,
)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "state", "sector", "recognition_status", "dprp_org_code"]
    list_filter = ["state", "sector", "recognition_status", "kinds"]
    search_fields = ["name", "dprp_org_code"]
    filter_horizontal = ["kinds", "delivery_modes", "populations_of_focus"]
    autocomplete_fields = ["counties_served"]
    inlines = [ContactInline]


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
    list_display = ["name", "fips", "state"]
    list_filter = ["state"]
    search_fields = ["name", "fips"]


@admin.register(State)
class StateAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "fips"]
    search_fields = ["name", "code"]


@admin.register(OrganizationKind, DeliveryMode, PopulationOfFocus)
class LookupAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "description"]
    search_fields = ["name", "code"]
