from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Tandem administration"
admin.site.site_title = "Tandem"

urlpatterns = [
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("metrics.api_urls")),
    path("", include("metrics.urls")),
    path("", include("goals.urls")),
    path("", include("equity.urls")),
    path("", include("network.urls")),
]
