"""Monthly reports and uploads, under /api/v1/ (config/api_urls.py)."""

from django.urls import path

from metrics import api

urlpatterns = [
    path("reports/", api.ReportList.as_view(), name="reports"),
    path("reports/<int:pk>/", api.ReportDetail.as_view(), name="report"),
    path("reports/upload/", api.UploadCreate.as_view(), name="upload_create"),
    path("reports/upload/<int:pk>/", api.UploadDetail.as_view(), name="upload"),
    path("reports/upload/<int:pk>/save/", api.UploadSave.as_view(), name="upload_save"),
]
