"""The API under /api/: each app's endpoints under v1/, the OpenAPI schema and its docs. Every name is
in the one namespace "api" (`reverse("api:reports")`)."""

import json
from typing import Any

from django.urls import include, path
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.request import Request
from rest_framework.response import Response


class ApiDocs(SpectacularSwaggerView):
    """Swagger UI, its assets served by Tandem (drf-spectacular-sidecar)."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        # Swagger UI would load a badge from validator.swagger.io: nothing the page needs leaves the site.
        ui_settings = spectacular_settings.SWAGGER_UI_SETTINGS
        if isinstance(ui_settings, dict):
            response.data["settings"] = json.dumps({**ui_settings, "validatorUrl": None})
        return response


app_name = "api"

urlpatterns = [
    path("v1/", include("accounts.api_urls")),
    path("v1/", include("network.api_urls")),
    path("v1/", include("metrics.api_urls")),
    path("v1/", include("goals.api_urls")),
    path("v1/", include("equity.api_urls")),
    # OpenAPI 3, and Swagger UI with its assets from drf-spectacular-sidecar: no CDN.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocs.as_view(url_name="api:schema"), name="docs"),
]
