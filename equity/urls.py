from django.urls import path

from equity import views

app_name = "equity"

urlpatterns = [
    path("networks/<slug:slug>/equity/", views.network_equity, name="network"),
    path("networks/<slug:slug>/equity/coverage/", views.network_coverage, name="network_coverage"),
    path("states/<str:code>/equity/", views.state_equity, name="state"),
    path("states/<str:code>/equity/coverage/", views.state_coverage, name="state_coverage"),
    path("equity/estimates/", views.estimates, name="estimates"),
]
