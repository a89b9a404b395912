"""A network's figures by population group, under /api/v1/ (config/api_urls.py)."""

from django.urls import path

from equity import api

urlpatterns = [
    path("networks/<slug:slug>/breakdown/", api.NetworkBreakdown.as_view(), name="breakdown"),
]
