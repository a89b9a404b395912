from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Tandem administration"
admin.site.site_title = "Tandem"

# Paths under /api/ get Django's refusals in the API's problem format; pages keep the HTML ones.
handler400 = "core.api.bad_request"
handler403 = "core.api.permission_denied"
handler404 = "core.api.page_not_found"
handler500 = "core.api.server_error"

urlpatterns = [
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("", include("metrics.urls")),
    path("", include("goals.urls")),
    path("", include("equity.urls")),
    path("", include("network.urls")),
]
