from django.urls import path

from goals import views

app_name = "goals"

urlpatterns = [
    # Goals and commitments (backbone staff set them; every member of the network sees the list)
    path("networks/<slug:slug>/goals/", views.goal_list, name="goal_list"),
    path("networks/<slug:slug>/goals/new/", views.goal_create, name="goal_create"),
    path("networks/<slug:slug>/goals/<int:pk>/edit/", views.goal_edit, name="goal_edit"),
    path("networks/<slug:slug>/goals/<int:pk>/commitments/", views.goal_commitments, name="goal_commitments"),
    # Dashboards
    path("networks/<slug:slug>/dashboard/", views.dashboard_network, name="dashboard_network"),
    path(
        "networks/<slug:slug>/organizations/<int:organization_id>/dashboard/",
        views.dashboard_partner,
        name="dashboard_partner",
    ),
    path("states/<str:code>/dashboard/", views.dashboard_state, name="dashboard_state"),
    path("dashboard/states/", views.dashboard_states, name="dashboard_states"),
]
