from django.urls import path

from goals import views
from goals.plan import views as plan

app_name = "goals"

urlpatterns = [
    # Goals and commitments (backbone staff set them; every member of the network sees the list)
    path("networks/<slug:slug>/goals/", views.goal_list, name="goal_list"),
    path("networks/<slug:slug>/goals/new/", views.goal_create, name="goal_create"),
    path("networks/<slug:slug>/goals/<int:pk>/edit/", views.goal_edit, name="goal_edit"),
    path("networks/<slug:slug>/goals/<int:pk>/commitments/", views.goal_commitments, name="goal_commitments"),
    # The work plan (every member sees it; backbone staff manage it; partner staff move their own
    # organization's actions along) and the action items recorded at a meeting
    path("networks/<slug:slug>/plan/", plan.work_plan, name="work_plan"),
    path("networks/<slug:slug>/plan/strategies/new/", plan.strategy_create, name="strategy_create"),
    path("networks/<slug:slug>/plan/strategies/<int:pk>/edit/", plan.strategy_edit, name="strategy_edit"),
    path(
        "networks/<slug:slug>/plan/strategies/<int:pk>/delete/", plan.strategy_delete, name="strategy_delete"
    ),
    path("networks/<slug:slug>/plan/actions/new/", plan.action_create, name="action_create"),
    path("networks/<slug:slug>/plan/actions/<int:pk>/edit/", plan.action_edit, name="action_edit"),
    path("networks/<slug:slug>/plan/actions/<int:pk>/status/", plan.action_status, name="action_status"),
    path(
        "networks/<slug:slug>/meetings/<int:pk>/actions/new/",
        plan.meeting_action_create,
        name="meeting_action_create",
    ),
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
