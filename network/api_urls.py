"""Who the caller is, their networks and a network's partners, under /api/v1/ (config/api_urls.py)."""

from django.urls import path

from network import api

urlpatterns = [
    path("me/", api.MeView.as_view(), name="me"),
    path("networks/", api.NetworkList.as_view(), name="networks"),
    path("organizations/", api.OrganizationList.as_view(), name="organizations"),
]
