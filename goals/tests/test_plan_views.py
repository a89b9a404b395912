"""The work plan's pages against the role matrix, the action items of a meeting, an action's status
moved by its owner's staff, and the home pages' lines of the work plan."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from goals.models import Action, ActionStatus, Strategy
from goals.plan import services
from goals.tests.factories import GoalFactory
from network import services as network_services
from network import todo
from network.models import Meeting, RoleKind
from network.tests.factories import MembershipFactory, WorkgroupFactory
from partners.tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

OK, FOUND, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404
ROLES = ["backbone", "admin", "partner", "state_viewer", "other_backbone", "other_partner", "outsider"]


@pytest.fixture
def plan(world):
    """A strategy under a goal, a meeting, and an action of Prairie YMCA due in a week."""
    goal = GoalFactory(network=world.network, name="Enroll 20 % more")
    strategy = services.strategy_create(network=world.network, title="Grow referrals", goal=goal)
    meeting = network_services.meeting_save(
        network=world.network, title="All partners", starts_at=timezone.now(), invited=[world.supplier]
    )
    action = services.action_create(
        network=world.network,
        title="Call the clinics",
        owner=world.supplier,
        due_on=timezone.localdate() + datetime.timedelta(days=7),
        user=world.backbone,
        strategy=strategy,
    )
    return strategy, meeting, action


def pages(strategy: Strategy, meeting: Meeting, action: Action) -> dict[str, str]:
    return {
        "work_plan": reverse("goals:work_plan", args=["kansas"]),
        "strategy_create": reverse("goals:strategy_create", args=["kansas"]),
        "strategy_edit": reverse("goals:strategy_edit", args=["kansas", strategy.pk]),
        "action_create": reverse("goals:action_create", args=["kansas"]),
        "action_edit": reverse("goals:action_edit", args=["kansas", action.pk]),
        "meeting_action_create": reverse("goals:meeting_action_create", args=["kansas", meeting.pk]),
    }


MATRIX = {
    #                       backbone admin partner state other_b other_p outsider
    "work_plan": (OK, OK, OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "strategy_create": (OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "strategy_edit": (OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "action_create": (OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "action_edit": (OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    "meeting_action_create": (OK, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND),
}


@pytest.mark.parametrize("role", ROLES)
def test_pages_role_matrix(world, plan, client_for, role):
    client = client_for(getattr(world, role))
    for page, url in pages(*plan).items():
        expected = MATRIX[page][ROLES.index(role)]
        assert client.get(url).status_code == expected, (role, page)
        if expected != OK:  # a refused write changes nothing
            assert client.post(url, {"title": "Sneaky"}).status_code == expected, (role, page)
    assert not Strategy.objects.filter(title="Sneaky").exists()
    assert not Action.objects.filter(title="Sneaky").exists()


def test_anonymous_users_are_sent_to_sign_in(world, plan, client):
    for page, url in pages(*plan).items():
        response = client.get(url)
        assert response.status_code == FOUND and "/accounts/login/" in response["Location"], page


def test_objects_of_another_network_are_not_found(world, plan, client_for):
    theirs = services.strategy_create(
        network=world.other_network, title="Theirs", goal=GoalFactory(network=world.other_network)
    )
    client = client_for(world.backbone)
    for name in ("strategy_edit", "strategy_delete"):
        assert client.post(reverse(f"goals:{name}", args=["kansas", theirs.pk])).status_code == NOT_FOUND
    assert Strategy.objects.filter(pk=theirs.pk).exists()


def status_url(action: Action) -> str:
    return reverse("goals:action_status", args=["kansas", action.pk])


def test_the_owners_staff_move_their_action_along_and_close_it(world, plan, client_for):
    _, _, action = plan
    workgroup = WorkgroupFactory(network=world.network, name="Referrals")
    network_services.workgroup_seat_set(workgroup=workgroup, organization=world.supplier)
    theirs = services.action_create(
        network=world.network, title="Map", owner=workgroup, due_on=action.due_on, user=world.backbone
    )
    for user, expected in [
        (world.state_viewer, FORBIDDEN),
        (world.other_partner, NOT_FOUND),
        (world.outsider, NOT_FOUND),
    ]:
        assert client_for(user).post(status_url(action), {"status": "done"}).status_code == expected
    client = client_for(world.partner)
    # A workgroup's action is the backbone's to move, even for a seated partner.
    assert client.post(status_url(theirs), {"status": "done"}).status_code == FORBIDDEN
    assert client.get(status_url(action)).status_code == 405
    response = client.post(status_url(action), {"status": "done", "next": "https://evil.example/"})
    assert response["Location"] == f"{reverse('goals:work_plan', args=['kansas'])}#action-{action.pk}"
    action.refresh_from_db()
    assert (action.status, action.closed_by) == (ActionStatus.DONE, world.partner)
    theirs.refresh_from_db()
    assert theirs.status == ActionStatus.PLANNED
    response = client_for(world.backbone).post(
        status_url(theirs), {"status": "in_progress", "next": "/networks/kansas/plan/?status=open"}
    )
    assert response["Location"] == f"/networks/kansas/plan/?status=open#action-{theirs.pk}"
    assert Action.objects.get(pk=theirs.pk).status == ActionStatus.IN_PROGRESS


def test_the_plan_page_shows_status_forms_only_where_the_user_may_use_them(world, plan, client_for):
    _, _, action = plan
    services.action_create(
        network=world.network, title="Book the room", owner=world.backbone, due_on=action.due_on,
        user=world.backbone,
    )  # fmt: skip
    url = reverse("goals:work_plan", args=["kansas"])
    html = client_for(world.partner).get(url).content.decode()
    assert html.count('id="status-') == 1 and f'id="status-{action.pk}"' in html
    assert "Add a strategy" not in html and ">Edit<" not in html
    html = client_for(world.state_viewer).get(url).content.decode()
    assert 'id="status-' not in html and "Call the clinics" in html
    html = client_for(world.backbone).get(url).content.decode()
    assert html.count('id="status-') == 2 and "Add a strategy" in html


def test_the_plan_filters_and_downloads(world, plan, client_for):
    strategy, _, action = plan
    late = services.action_create(
        network=world.network, title="Send the flyers", owner=world.backbone, user=world.backbone,
        due_on=timezone.localdate() - datetime.timedelta(days=2), strategy=strategy,
    )  # fmt: skip
    client = client_for(world.backbone)
    url = reverse("goals:work_plan", args=["kansas"])
    html = client.get(url, {"overdue": "on"}).content.decode()
    assert "Send the flyers" in html and "Call the clinics" not in html
    assert "1 action matching the filters" in html
    html = client.get(url, {"owner": f"organization:{world.supplier.pk}"}).content.decode()
    assert "Call the clinics" in html and "Send the flyers" not in html
    # An unknown owner is said and dropped, never a 500.
    response = client.get(url, {"owner": "organization:999999", "status": "nonsense"})
    assert response.status_code == OK and "That filter is not applied" in response.content.decode()
    download = client.get(url, {"overdue": "on", "download": "work-plan"})
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Action", "Strategy", "Goal or workgroup", "Owner"]
    assert [row[0] for row in rows[1:]] == [late.title]
    assert rows[1][6] == "yes"
    # The same rows as an Excel workbook, offered beside the CSV.
    assert "download=work-plan.xlsx" in html.replace("&amp;", "&")
    workbook = client.get(url, {"overdue": "on", "download": "work-plan.xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Action" and [row[0] for row in rows[1:]] == [late.title]


def test_backbone_staff_add_and_edit_strategies_and_actions(world, plan, client_for):
    strategy, _, action = plan
    client = client_for(world.backbone)
    response = client.post(
        reverse("goals:strategy_create", args=["kansas"]), {"title": "Adrift", "order": "0"}
    )
    assert response.status_code == OK and "under a goal, a workgroup, or both" in response.content.decode()
    response = client.post(
        reverse("goals:action_create", args=["kansas"]),
        {"title": "Print flyers", "owner": f"user:{world.backbone.pk}", "due_on": "2030-01-31"},
    )
    created = Action.objects.get(title="Print flyers")
    assert response["Location"].endswith(f"#action-{created.pk}")
    assert (created.owner, created.strategy, created.created_by) == (world.backbone, None, world.backbone)
    # The partner staff user is no choice of owner: the form says so, nothing is saved.
    response = client.post(
        reverse("goals:action_edit", args=["kansas", action.pk]),
        {"title": "Call the clinics", "owner": f"user:{world.partner.pk}", "due_on": "2030-01-31"},
    )
    assert response.status_code == OK and "Select a valid choice" in response.content.decode()
    assert Action.objects.get(pk=action.pk).owner == world.supplier
    response = client.post(reverse("goals:strategy_delete", args=["kansas", strategy.pk]))
    assert response.status_code == FOUND and not Strategy.objects.filter(pk=strategy.pk).exists()
    assert Action.objects.get(pk=action.pk).strategy is None


def test_a_meeting_page_lists_its_action_items_and_backbone_staff_record_one(world, plan, client_for):
    strategy, meeting, _ = plan
    meeting_url = reverse("network:meeting_detail", args=["kansas", meeting.pk])
    html = client_for(world.partner).get(meeting_url).content.decode()
    assert (
        "Action items" in html and "No action item recorded" in html and "Record an action item" not in html
    )
    client = client_for(world.backbone)
    assert "Record an action item" in client.get(meeting_url).content.decode()
    record = reverse("goals:meeting_action_create", args=["kansas", meeting.pk])
    response = client.post(record, {"title": "", "owner": "", "due_on": ""})
    assert response.status_code == OK and "This field is required" in response.content.decode()
    response = client.post(
        record,
        {
            "title": "Send the slides",
            "owner": f"organization:{world.supplier.pk}",
            "due_on": "2030-02-01",
            "strategy": strategy.pk,
        },
    )
    assert response["Location"] == f"{meeting_url}#action-items"
    recorded = Action.objects.get(title="Send the slides")
    assert (recorded.meeting, recorded.strategy, recorded.owner) == (meeting, strategy, world.supplier)
    html = client_for(world.partner).get(meeting_url).content.decode()
    assert "Send the slides" in html and world.supplier.name in html


def queries_stay_flat(client, url: str, add) -> None:
    """The page at ``url`` makes as many queries after ``add`` ran four more times as after once."""

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == OK
        return len(queries.captured_queries)

    client.get(url)  # the first request after signing in writes the session: not the page's own
    add(1)
    few = count()
    for n in range(2, 6):
        add(n)
    assert count() == few


# Home pages


def lines(user, place) -> list[todo.Task]:
    return todo.tasks_for(todo.work_of(user=user, today=TODAY))[place]


TODAY = datetime.date(2025, 6, 10)


def test_a_partners_home_lists_its_open_actions_by_when_they_are_due(world, client_for):
    def due(days: int, title: str, owner=None) -> Action:
        return services.action_create(
            network=world.network, title=title, owner=owner or world.supplier, user=world.backbone,
            due_on=TODAY + datetime.timedelta(days=days),
        )  # fmt: skip

    before = todo.actions_waiting(todo.work_of(user=world.partner, today=TODAY))  # its monthly reports
    late, soon, later = due(-1, "Send the flyers"), due(14, "Train coaches"), due(15, "Print posters")
    closed = due(3, "Closed already")
    services.action_set_status(action=closed, status=ActionStatus.DONE, user=world.partner)
    due(2, "Someone else's", owner=world.backbone)
    tasks = [
        task
        for task in lines(world.partner, todo.partner_place(world.membership.pk))
        if "Action" in task.text
    ]
    assert [(task.text, task.tone) for task in tasks] == [
        ("Action “Send the flyers” was due on June 9, 2025: overdue", todo.Tone.ACTION),
        ("Action “Train coaches” is due in 14 days (June 24, 2025)", todo.Tone.ACTION),
        ("Action “Print posters” is due on June 25, 2025", todo.Tone.INFO),
    ]
    plan_url = reverse("goals:work_plan", args=["kansas"])
    assert [task.url for task in tasks] == [f"{plan_url}#action-{a.pk}" for a in (late, soon, later)]
    # The overdue one and the one due soon are counted beside Home.
    assert todo.actions_waiting(todo.work_of(user=world.partner, today=TODAY)) == before + 2


def test_backbone_staff_see_the_overdue_count_and_their_own_actions(world):
    for days, owner in [(-1, world.supplier), (-5, world.backbone), (30, world.backbone)]:
        services.action_create(
            network=world.network, title=f"Due {days}", owner=owner, user=world.backbone,
            due_on=TODAY + datetime.timedelta(days=days),
        )  # fmt: skip
    tasks = [t for t in lines(world.backbone, todo.network_place(world.network.pk)) if "ction" in t.text]
    assert [(t.text, t.tone, t.count) for t in tasks] == [
        ("2 actions of the work plan are overdue", todo.Tone.WARNING, 2),
        ("Action “Due -5” was due on June 5, 2025: overdue", todo.Tone.ACTION, 1),
        ("Action “Due 30” is due on July 10, 2025", todo.Tone.INFO, 1),
    ]
    assert tasks[0].url == f"{reverse('goals:work_plan', args=['kansas'])}?overdue=on"
    assert not lines(world.other_backbone, todo.network_place(world.network.pk))


def test_the_home_page_reads_the_plan_in_as_many_queries_for_many_partners(world, client_for):
    def add_partner(n: int) -> None:
        organization = SupplierFactory(name=f"Clinic {n}")
        MembershipFactory(network=world.network, organization=organization)
        network_services.role_grant(user=world.partner, kind=RoleKind.PARTNER_STAFF, scope=organization)
        services.action_create(
            network=world.network, title=f"Task {n}", owner=organization, user=world.backbone,
            due_on=TODAY,
        )  # fmt: skip

    queries_stay_flat(client_for(world.partner), reverse("network:home"), add_partner)
    assert "Task 5" in client_for(world.partner).get(reverse("network:home")).content.decode()


def test_goal_and_workgroup_pages_lead_to_the_plan(world, plan, client_for):
    strategy, _, _ = plan
    client = client_for(world.partner)
    html = client.get(reverse("goals:goal_list", args=["kansas"])).content.decode()
    assert f'/networks/kansas/plan/#goal-{strategy.goal_id}">1 strategy on the work plan' in html
    plan_html = client.get(reverse("goals:work_plan", args=["kansas"])).content.decode()
    assert f'id="goal-{strategy.goal_id}"' in plan_html
    workgroup = WorkgroupFactory(network=world.network, name="Referrals")
    html = client.get(reverse("network:workgroup_detail", args=["kansas", workgroup.pk])).content.decode()
    assert f"/networks/kansas/plan/?owner=workgroup:{workgroup.pk}" in html


def test_the_plan_page_makes_as_many_queries_for_many_actions_and_partners(world, plan, client_for):
    strategy, meeting, _ = plan

    def add(n: int) -> None:
        organization = SupplierFactory(name=f"Clinic {n}")
        MembershipFactory(network=world.network, organization=organization)
        workgroup = WorkgroupFactory(network=world.network, name=f"Workgroup {n}")
        more = services.strategy_create(network=world.network, title=f"Strategy {n}", workgroup=workgroup)
        for owner in (organization, workgroup, world.backbone):
            services.action_create(
                network=world.network, title=f"Task {n}", owner=owner, user=world.backbone, due_on=TODAY,
                strategy=more if n % 2 else strategy, meeting=meeting,
            )  # fmt: skip

    queries_stay_flat(client_for(world.partner), reverse("goals:work_plan", args=["kansas"]), add)


def test_site_administrators_list_actions_and_close_them_through_the_service(world, plan, client_for):
    _, _, action = plan
    client = client_for(world.admin)
    assert client.get(reverse("admin:goals_action_changelist")).status_code == OK
    assert client.get(reverse("admin:goals_action_change", args=[action.pk])).status_code == OK
    assert client.get(reverse("admin:goals_strategy_changelist")).status_code == OK
    response = client.post(
        reverse("admin:goals_action_changelist"), {"action": "mark_done", "_selected_action": [action.pk]}
    )
    assert response.status_code == FOUND
    action.refresh_from_db()
    assert (action.status, action.closed_by) == (ActionStatus.DONE, world.admin)
    assert action.closed_at is not None
