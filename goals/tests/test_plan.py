"""The work plan's services and selectors: who may own an action, overdue and closed actions, the plan
grouped and counted, whose actions are whose, and what the public scorecard may say of an owner."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from goals import selectors as goals_selectors
from goals.models import Action, ActionStatus, Goal, Strategy
from goals.plan import selectors, services
from goals.plan.selectors import PlanFilters
from goals.tests.factories import GoalFactory
from network import services as network_services
from network.models import Meeting, RoleKind, Workgroup
from network.tests.factories import MembershipFactory, UserFactory, WorkgroupFactory
from partners.models import Sector
from partners.tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 10)


@pytest.fixture
def goal(world) -> Goal:
    return GoalFactory(network=world.network, name="Enroll 20 % more")


@pytest.fixture
def workgroup(world) -> Workgroup:
    return WorkgroupFactory(network=world.network, name="Referrals and Retention")


@pytest.fixture
def strategy(world, goal) -> Strategy:
    return services.strategy_create(network=world.network, title="Grow referrals from clinics", goal=goal)


def act(world, owner, due_on=TODAY, **kw) -> Action:
    return services.action_create(
        network=world.network, title=kw.pop("title", "Call the clinics"), owner=owner, due_on=due_on,
        user=world.backbone, **kw,
    )  # fmt: skip


def owner_error(call) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return " ".join(caught.value.message_dict["owner"])


# Owners


def test_an_action_is_owned_by_a_current_partner_a_workgroup_or_backbone_staff(world, workgroup):
    assert act(world, world.supplier).owner == world.supplier
    assert act(world, workgroup).owner == workgroup
    assert act(world, world.backbone).owner == world.backbone


def test_an_owner_from_outside_the_network_is_refused_in_words(world):
    former = SupplierFactory(name="Sunflower Clinic")
    MembershipFactory(network=world.network, organization=former, left_on=datetime.date(2024, 6, 30))
    assert "Sunflower Clinic is not a current partner" in owner_error(lambda: act(world, former))
    stranger = world.other_network.memberships.get().organization
    assert "not a current partner" in owner_error(lambda: act(world, stranger))
    elsewhere = WorkgroupFactory(network=world.other_network, name="Utah data")
    assert "Utah data is not a workgroup of" in owner_error(lambda: act(world, elsewhere))
    # Partner staff and another network's backbone staff are not this network's backbone staff.
    assert "is not backbone staff" in owner_error(lambda: act(world, world.partner))
    assert "is not backbone staff" in owner_error(lambda: act(world, world.other_backbone))
    assert "Choose who owns the action" in owner_error(lambda: act(world, None))
    assert not Action.objects.exists()


def test_backbone_staff_whose_role_ended_no_longer_own_new_actions(world):
    role = world.backbone.roles.get(kind=RoleKind.BACKBONE_STAFF)
    network_services.role_end(role=role)
    assert "is not backbone staff" in owner_error(lambda: act(world, world.backbone))


def test_the_database_holds_exactly_one_owner(world, workgroup):
    action = act(world, world.supplier)
    for owners in [{"owner_workgroup": workgroup}, {"owner_organization": None}]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Action.objects.filter(pk=action.pk).update(**owners)


def test_every_problem_of_an_action_is_said_at_once(world):
    other = services.strategy_create(
        network=world.other_network, title="Elsewhere", goal=GoalFactory(network=world.other_network)
    )
    with pytest.raises(ValidationError) as caught:
        services.action_create(
            network=world.network, title="  ", owner=None, due_on=None, user=world.backbone, strategy=other
        )
    assert set(caught.value.message_dict) == {"title", "owner", "due_on", "strategy"}


# Strategies


def test_a_strategy_belongs_under_a_goal_or_a_workgroup_of_its_network(world, goal, workgroup):
    with pytest.raises(ValidationError, match="under a goal, a workgroup, or both"):
        services.strategy_create(network=world.network, title="Adrift")
    with pytest.raises(ValidationError, match="Choose a goal of this network"):
        services.strategy_create(
            network=world.network, title="Theirs", goal=GoalFactory(network=world.other_network)
        )
    both = services.strategy_create(network=world.network, title=" Both ", goal=goal, workgroup=workgroup)
    assert both.title == "Both"
    services.strategy_update(strategy=both, goal=None)
    assert Strategy.objects.get(pk=both.pk).goal is None
    with pytest.raises(ValidationError):
        services.strategy_update(strategy=both, workgroup=None)


def test_taking_a_strategy_out_keeps_its_actions_under_no_strategy(world, strategy):
    action = act(world, world.supplier, strategy=strategy)
    assert services.strategy_delete(strategy=strategy) == 1
    action.refresh_from_db()
    assert action.strategy is None


# Status, overdue, closing


def test_closing_records_who_and_when_and_opening_again_clears_it(world):
    action = act(world, world.supplier, due_on=TODAY - datetime.timedelta(days=1))
    assert list(Action.objects.overdue(TODAY)) == [action]
    assert not Action.objects.overdue(TODAY - datetime.timedelta(days=1)).exists()  # due that day: not late
    moment = timezone.now()
    done = services.action_set_status(action=action, status=ActionStatus.DONE, user=world.partner, now=moment)
    assert (done.status, done.closed_at, done.closed_by) == (ActionStatus.DONE, moment, world.partner)
    assert not Action.objects.overdue(TODAY).exists() and not Action.objects.open().exists()
    again = services.action_set_status(action=done, status=ActionStatus.IN_PROGRESS, user=world.backbone)
    assert (again.closed_at, again.closed_by) == (None, None)
    assert Action.objects.overdue(TODAY).get() == action
    with pytest.raises(ValidationError):
        services.action_set_status(action=action, status="finished", user=world.backbone)


def test_a_closed_action_always_says_when(world):
    action = act(world, world.supplier)
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.filter(pk=action.pk).update(status=ActionStatus.DROPPED)


# The plan


def test_the_plan_groups_by_goal_then_workgroup_and_counts(world, goal, workgroup, strategy):
    by_workgroup = services.strategy_create(
        network=world.network, title="Coach training", workgroup=workgroup
    )
    late = act(world, world.supplier, strategy=strategy, due_on=TODAY - datetime.timedelta(days=3))
    act(world, workgroup, strategy=strategy, due_on=TODAY + datetime.timedelta(days=3), title="Map clinics")
    closed = act(world, world.backbone, strategy=by_workgroup)
    services.action_set_status(action=closed, status=ActionStatus.DONE, user=world.backbone)
    loose = act(world, world.backbone, title="Book the room")

    plan = selectors.work_plan(network=world.network, today=TODAY)
    assert [section.title for section in plan.sections] == [
        goal.name,
        workgroup.name,
        "Actions under no strategy",
    ]
    assert (plan.tally.open, plan.tally.overdue, plan.tally.done) == (3, 1, 1)
    first = plan.sections[0].strategies[0]
    assert first.strategy == strategy
    assert [a.title for a in first.actions] == ["Call the clinics", "Map clinics"]
    assert (first.tally.open, first.tally.overdue, first.tally.done) == (2, 1, 0)
    assert first.actions[0].overdue and not first.actions[1].overdue
    assert first.actions[1].owner_name == "Referrals and Retention (workgroup)"
    assert plan.sections[2].strategies[0].actions == [loose]

    overdue = selectors.work_plan(network=world.network, today=TODAY, filters=PlanFilters(overdue=True))
    assert [a for s in overdue.sections for p in s.strategies for a in p.actions] == [late]
    assert overdue.shown == 1 and overdue.tally.open == 3  # the counts stay those of the whole plan
    mine = PlanFilters(owner=selectors.owner_key(world.backbone), status="open")
    assert selectors.work_plan(network=world.network, today=TODAY, filters=mine).shown == 1
    done = selectors.work_plan(network=world.network, today=TODAY, filters=PlanFilters(status="done"))
    assert [s.title for s in done.sections] == [workgroup.name]


def test_owner_keys_name_only_owners_of_the_network(world, workgroup):
    for owner in (world.supplier, workgroup, world.backbone):
        assert selectors.owner_from_key(network=world.network, key=selectors.owner_key(owner)) == owner
    stranger = world.other_network.memberships.get().organization
    odd = ["user:x", "nobody:1", "", "organization:²", f"workgroup:{'9' * 30}", "user:\x00", "user:"]
    for key in [selectors.owner_key(stranger), selectors.owner_key(world.partner), *odd]:
        assert selectors.owner_from_key(network=world.network, key=key) is None
    groups = dict(selectors.owner_choices(network=world.network))
    assert [label for _, label in groups["Partners"]] == sorted(
        [world.supplier.name, world.network.backbone.name]
    )


def test_a_partners_staff_have_their_organizations_and_seated_workgroups_actions(world, workgroup):
    network_services.workgroup_seat_set(workgroup=workgroup, organization=world.supplier)
    own = act(world, world.supplier)
    seated = act(world, workgroup, title="Map clinics")
    unseated = WorkgroupFactory(network=world.network, name="Awareness")
    act(world, unseated, title="Posters")
    act(world, world.backbone, title="Book the room")
    assert set(selectors.actions_of_user(user=world.partner)) == {own, seated}
    assert list(selectors.actions_of_organization(organization=world.supplier)) == [own]
    assert {a.title for a in selectors.actions_of_user(user=world.backbone)} == {"Book the room"}
    assert not selectors.actions_of_user(user=world.partner, network_ids=[world.other_network.pk]).exists()


def test_the_public_plan_names_a_partner_only_if_it_chose_so(world, strategy, workgroup):
    world.supplier.sector = Sector.HEALTH_CARE
    world.supplier.save()
    act(world, world.supplier, strategy=strategy, title="Refer patients")
    act(world, workgroup, strategy=strategy, title="Map clinics")
    act(world, world.backbone, strategy=strategy, title="Book the room")
    dropped = act(world, world.backbone, strategy=strategy, title="Dropped idea")
    services.action_set_status(action=dropped, status=ActionStatus.DROPPED, user=world.backbone)
    old = act(world, world.backbone, strategy=strategy, title="Done long ago")
    long_ago = timezone.now() - datetime.timedelta(days=200)
    services.action_set_status(action=old, status=ActionStatus.DONE, user=world.backbone, now=long_ago)
    recent = act(world, world.backbone, strategy=strategy, title="Done lately")
    services.action_set_status(action=recent, status=ActionStatus.DONE, user=world.backbone)
    act(world, world.supplier, title="Under no strategy")

    [shown] = goals_selectors.work_plan_public(network=world.network)  # where the scorecard asks
    assert shown.title == strategy.title and shown.goal == strategy.goal.name
    owners = {a.title: a.owner for a in shown.open}
    assert owners == {
        "Refer patients": "A partner (health care)",
        "Map clinics": "Referrals and Retention (workgroup)",
        "Book the room": "Backbone staff",
    }
    assert [a.title for a in shown.done] == ["Done lately"]
    world.membership.named_publicly = True
    world.membership.save()
    [shown] = selectors.work_plan_public(network=world.network)
    assert {a.title: a.owner for a in shown.open}["Refer patients"] == "Prairie YMCA"


def test_a_meetings_action_items_are_recorded_at_it(world):
    meeting = network_services.meeting_save(
        network=world.network, title="All partners", starts_at=timezone.now(), invited=[world.supplier]
    )
    action = services.action_record_at_meeting(
        meeting=meeting, title="Send the slides", owner=world.supplier, due_on=TODAY, user=world.backbone
    )
    assert (action.network, action.meeting, action.created_by) == (world.network, meeting, world.backbone)
    assert selectors.actions_at_meeting(meeting=meeting, today=TODAY) == [action]
    assert Meeting.objects.get(pk=meeting.pk).actions.get() == action


def test_a_user_not_partner_staff_has_no_partner_actions(world):
    act(world, world.supplier)
    assert not selectors.actions_of_user(user=UserFactory()).exists()
