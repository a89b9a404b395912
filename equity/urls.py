from django.urls import path

from equity import api, views

app_name = "equity"

urlpatterns = [
    path("networks/<slug:slug>/equity/", views.network_equity, name="network"),
    path("networks/<slug:slug>/equity/coverage/", views.network_coverage, name="network_coverage"),
    path("states/<str:code>/equity/", views.state_equity, name="state"),
    path("states/<str:code>/equity/coverage/", views.state_coverage, name="state_coverage"),
    path("equity/estimates/", views.estimates, name="estimates"),
    # Beside metrics' and goals' API under /api/v1/
    path("api/v1/networks/<slug:slug>/breakdown/", api.NetworkBreakdown.as_view(), name="api_breakdown"),
]
