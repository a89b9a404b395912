from django.urls import path

from network.partnership.views import assessments, health, ties
from network.views import (
    contracts,
    home,
    meetings,
    missing,
    organizations,
    partners,
    people,
    settings,
    workgroups,
)

app_name = "network"

urlpatterns = [
    path("", home.home, name="home"),
    path("networks/<slug:slug>/", partners.network_detail, name="network_detail"),
    path("networks/<slug:slug>/settings/", settings.network_settings, name="network_settings"),
    path("networks/<slug:slug>/partners/", partners.partner_directory, name="partner_directory"),
    path("networks/<slug:slug>/partners/new/", partners.partner_add, name="partner_add"),
    path(
        "networks/<slug:slug>/partners/<int:organization_id>/", partners.partner_detail, name="partner_detail"
    ),
    path(
        "networks/<slug:slug>/partners/<int:organization_id>/edit/",
        partners.partner_edit,
        name="partner_edit",
    ),
    path(
        "networks/<slug:slug>/partners/<int:organization_id>/contacts/new/",
        partners.contact_add,
        name="contact_add",
    ),
    path("networks/<slug:slug>/missing/", missing.who_is_missing, name="who_is_missing"),
    # People: who holds a role in the network, invitations to one
    path("networks/<slug:slug>/people/", people.people_list, name="people"),
    path("networks/<slug:slug>/people/invite/", people.person_invite, name="person_invite"),
    path("networks/<slug:slug>/people/roles/<int:role_id>/end/", people.role_end, name="role_end"),
    path(
        "networks/<slug:slug>/people/invitations/<int:pk>/resend/",
        people.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "networks/<slug:slug>/people/invitations/<int:pk>/withdraw/",
        people.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path("invitations/<str:token>/", people.invitation_accept, name="invitation_accept"),
    path(
        "organizations/<int:organization_id>/", organizations.organization_detail, name="organization_detail"
    ),
    path(
        "organizations/<int:organization_id>/edit/", organizations.organization_edit, name="organization_edit"
    ),
    path(
        "organizations/<int:organization_id>/contacts/new/",
        organizations.organization_contact_add,
        name="organization_contact_add",
    ),
    path(
        "organizations/<int:organization_id>/sharing/<int:membership_id>/",
        organizations.organization_data_sharing,
        name="organization_data_sharing",
    ),
    # Workgroups
    path("networks/<slug:slug>/workgroups/", workgroups.workgroup_list, name="workgroup_list"),
    path("networks/<slug:slug>/workgroups/new/", workgroups.workgroup_create, name="workgroup_create"),
    path("networks/<slug:slug>/workgroups/<int:pk>/", workgroups.workgroup_detail, name="workgroup_detail"),
    path("networks/<slug:slug>/workgroups/<int:pk>/edit/", workgroups.workgroup_edit, name="workgroup_edit"),
    path(
        "networks/<slug:slug>/workgroups/<int:pk>/seats/",
        workgroups.workgroup_seats,
        name="workgroup_seats",
    ),
    path(
        "networks/<slug:slug>/workgroups/<int:pk>/seats/<int:seat_id>/role/",
        workgroups.workgroup_seat_role,
        name="workgroup_seat_role",
    ),
    path(
        "networks/<slug:slug>/workgroups/<int:pk>/seats/<int:seat_id>/remove/",
        workgroups.workgroup_seat_remove,
        name="workgroup_seat_remove",
    ),
    # Meetings
    path("networks/<slug:slug>/meetings/", meetings.meeting_list, name="meeting_list"),
    path("networks/<slug:slug>/meetings/new/", meetings.meeting_create, name="meeting_create"),
    path("networks/<slug:slug>/meetings/<int:pk>/", meetings.meeting_detail, name="meeting_detail"),
    path("networks/<slug:slug>/meetings/<int:pk>/edit/", meetings.meeting_edit, name="meeting_edit"),
    path(
        "networks/<slug:slug>/meetings/<int:pk>/attendance/",
        meetings.meeting_attendance,
        name="meeting_attendance",
    ),
    # Contracts
    path("networks/<slug:slug>/contracts/", contracts.contract_list, name="contract_list"),
    path("networks/<slug:slug>/contracts/new/", contracts.contract_create, name="contract_create"),
    path("networks/<slug:slug>/contracts/<int:pk>/", contracts.contract_detail, name="contract_detail"),
    path("networks/<slug:slug>/contracts/<int:pk>/edit/", contracts.contract_edit, name="contract_edit"),
    path(
        "networks/<slug:slug>/contracts/<int:pk>/advance/",
        contracts.contract_advance,
        name="contract_advance",
    ),
    # Who works with whom: recorded ties, the map, and network-level figures over rounds
    path("networks/<slug:slug>/ties/", ties.tie_list, name="tie_list"),
    path("networks/<slug:slug>/ties/new/", ties.tie_create, name="tie_create"),
    path("networks/<slug:slug>/ties/<int:pk>/end/", ties.tie_end, name="tie_end"),
    path("networks/<slug:slug>/map/", ties.network_map, name="map"),
    path("networks/<slug:slug>/map/trend/", ties.map_trend, name="map_trend"),
    path(
        "networks/<slug:slug>/map/organizations/<int:organization_id>/",
        ties.map_organization,
        name="map_organization",
    ),
    # Self-assessments
    path("networks/<slug:slug>/assessments/", assessments.assessment_list, name="assessment_list"),
    path(
        "networks/<slug:slug>/assessments/new/",
        assessments.assessment_round_open,
        name="assessment_round_open",
    ),
    path(
        "networks/<slug:slug>/assessments/<int:pk>/",
        assessments.assessment_round_detail,
        name="assessment_round_detail",
    ),
    path(
        "networks/<slug:slug>/assessments/<int:pk>/remind/",
        assessments.assessment_round_remind,
        name="assessment_round_remind",
    ),
    path(
        "networks/<slug:slug>/assessments/<int:pk>/invite/",
        assessments.assessment_round_invite,
        name="assessment_round_invite",
    ),
    path(
        "networks/<slug:slug>/assessments/<int:pk>/close/",
        assessments.assessment_round_close,
        name="assessment_round_close",
    ),
    path(
        "networks/<slug:slug>/assessments/<int:pk>/results/",
        assessments.assessment_results,
        name="assessment_results",
    ),
    path(
        "networks/<slug:slug>/assessments/<int:pk>/results/by-organization/",
        assessments.assessment_results_by_organization,
        name="assessment_results_by_organization",
    ),
    path("assessments/<str:token>/", assessments.assessment_answer, name="assessment_answer"),
    # Partnership health: engagement and touchpoints, contracting delays, the state summary
    path("networks/<slug:slug>/engagement/", health.engagement_page, name="engagement"),
    path("networks/<slug:slug>/touchpoints/new/", health.touchpoint_create, name="touchpoint_create"),
    path(
        "networks/<slug:slug>/partners/<int:organization_id>/touchpoints/",
        health.touchpoint_list,
        name="touchpoint_list",
    ),
    path("networks/<slug:slug>/contracting/", health.contracting_page, name="contracting"),
    path(
        "networks/<slug:slug>/contracting/alert-days/",
        health.contracting_alert_days,
        name="contracting_alert_days",
    ),
    path("states/<str:code>/health/", health.state_health, name="state_health"),
]
