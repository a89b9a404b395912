"""The API under /api/: tokens (accounts/api.py), schema and docs, and the v1 endpoints (network/api.py,
metrics/api.py)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from accounts import api as accounts_api
from metrics import api
from network import api as network_api

app_name = "api"

urlpatterns = [
    path("v1/auth/token/", accounts_api.TokenView.as_view(), name="token"),
    path("v1/auth/tokens/", accounts_api.TokenList.as_view(), name="tokens"),
    path("v1/auth/tokens/<int:pk>/", accounts_api.TokenDetail.as_view(), name="token_detail"),
    path("v1/me/", network_api.MeView.as_view(), name="me"),
    path("v1/networks/", network_api.NetworkList.as_view(), name="networks"),
    path("v1/organizations/", network_api.OrganizationList.as_view(), name="organizations"),
    path("v1/reports/", api.ReportList.as_view(), name="reports"),
    path("v1/reports/<int:pk>/", api.ReportDetail.as_view(), name="report"),
    path("v1/reports/upload/", api.UploadCreate.as_view(), name="upload_create"),
    path("v1/reports/upload/<int:pk>/", api.UploadDetail.as_view(), name="upload"),
    path("v1/reports/upload/<int:pk>/save/", api.UploadSave.as_view(), name="upload_save"),
    # OpenAPI 3, and Swagger UI with its assets from drf-spectacular-sidecar: no CDN.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", api.ApiDocs.as_view(url_name="api:schema"), name="docs"),
]
