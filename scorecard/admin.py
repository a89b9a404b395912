from django.contrib import admin

from scorecard.models import Scorecard


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    """Read here; switched on and written by the network's backbone staff on its scorecard page."""

    list_display = ["network", "published", "published_at", "updated_at"]
    list_filter = ["published"]
    readonly_fields = ["published", "published_at", "published_by", "updated_at", "updated_by"]
