"""A network's progress toward its goals, under /api/v1/ (config/api_urls.py)."""

from django.urls import path

from goals import api

urlpatterns = [
    path("networks/<slug:slug>/progress/", api.NetworkProgress.as_view(), name="progress"),
]
