from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path

admin.site.site_header = "Tandem administration"
admin.site.site_title = "Tandem"

# Paths under /api/ get Django's refusals in the API's problem format; pages keep the HTML ones.
handler400 = "core.api.bad_request"
handler403 = "core.api.permission_denied"
handler404 = "core.api.page_not_found"
handler500 = "core.api.server_error"


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever a page links to: send them to Tandem's SVG icon, by its
    current static name (hashed in production, so not a permanent redirect)."""
    return HttpResponseRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("", include("metrics.urls")),
    path("", include("goals.urls")),
    path("", include("equity.urls")),
    path("", include("scorecard.urls")),
    path("", include("network.urls")),
]
