"""Workgroups, meetings and contracts: every page against the role matrix, the writes, and list queries."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from network import services
from network.models import (
    Attendance,
    Contract,
    ContractStage,
    Meeting,
    Network,
    Workgroup,
    WorkgroupSeat,
)
from network.tests.factories import MembershipFactory, WorkgroupFactory
from partners.models import Organization, Sector
from partners.tests.factories import ContactFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

OK, FOUND, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404
ROLES = ["backbone", "admin", "partner", "state_viewer", "other_backbone", "other_partner", "outsider"]


def aware(*args: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


@dataclass
class Work:
    workgroup: Workgroup
    seat: WorkgroupSeat
    meeting: Meeting
    contract: Contract


def make_work(network: Network, organization: Organization) -> Work:
    workgroup = WorkgroupFactory(network=network, name="Data Collection and Outcome Evaluation")
    seat = services.workgroup_seat_set(workgroup=workgroup, organization=organization, is_co_leader=True)
    meeting = services.meeting_save(
        network=network,
        workgroup=workgroup,
        title="Quarterly data review",
        starts_at=aware(2024, 3, 5, 10, 0),
        invited=[organization],
    )
    contract = services.contract_create(
        network=network,
        organization=organization,
        title="Lifestyle coach training",
        planned_on=datetime.date(2024, 1, 10),
        amount=Decimal("25000.00"),
    )
    return Work(workgroup=workgroup, seat=seat, meeting=meeting, contract=contract)


@pytest.fixture
def work(world) -> Work:
    return make_work(world.network, world.supplier)


@pytest.fixture
def foreign_work(world) -> Work:
    """The same things in the other state's network."""
    organization = world.other_network.memberships.get().organization
    return make_work(world.other_network, organization)


def view_pages(slug: str, work: Work) -> dict[str, str]:
    return {
        "workgroup_list": reverse("network:workgroup_list", args=[slug]),
        "workgroup_detail": reverse("network:workgroup_detail", args=[slug, work.workgroup.pk]),
        "meeting_list": reverse("network:meeting_list", args=[slug]),
        "meeting_detail": reverse("network:meeting_detail", args=[slug, work.meeting.pk]),
    }


def manage_pages(slug: str, work: Work) -> dict[str, str]:
    """Pages that show a form or the contracts: backbone staff only."""
    wg, meeting, contract = work.workgroup.pk, work.meeting.pk, work.contract.pk
    return {
        "workgroup_create": reverse("network:workgroup_create", args=[slug]),
        "workgroup_edit": reverse("network:workgroup_edit", args=[slug, wg]),
        "workgroup_seats": reverse("network:workgroup_seats", args=[slug, wg]),
        "meeting_create": reverse("network:meeting_create", args=[slug]),
        "meeting_edit": reverse("network:meeting_edit", args=[slug, meeting]),
        "meeting_attendance": reverse("network:meeting_attendance", args=[slug, meeting]),
        "contract_list": reverse("network:contract_list", args=[slug]),
        "contract_detail": reverse("network:contract_detail", args=[slug, contract]),
        "contract_create": reverse("network:contract_create", args=[slug]),
        "contract_edit": reverse("network:contract_edit", args=[slug, contract]),
    }


def post_only_pages(slug: str, work: Work) -> dict[str, str]:
    wg, seat = work.workgroup.pk, work.seat.pk
    return {
        "workgroup_seat_role": reverse("network:workgroup_seat_role", args=[slug, wg, seat]),
        "workgroup_seat_remove": reverse("network:workgroup_seat_remove", args=[slug, wg, seat]),
        "contract_advance": reverse("network:contract_advance", args=[slug, work.contract.pk]),
    }


def expected(role: str, *, manage: bool) -> int:
    if role in ("backbone", "admin"):
        return OK
    if role in ("partner", "state_viewer"):
        return FORBIDDEN if manage else OK
    return NOT_FOUND


# The role matrix


@pytest.mark.parametrize("role", ROLES)
def test_pages_role_matrix(world, work, client_for, role):
    client = client_for(getattr(world, role))
    for page, url in view_pages("kansas", work).items():
        assert client.get(url).status_code == expected(role, manage=False), (role, page)
    for page, url in manage_pages("kansas", work).items():
        assert client.get(url).status_code == expected(role, manage=True), (role, page)


@pytest.mark.parametrize("role", ["partner", "state_viewer", "other_backbone", "other_partner", "outsider"])
def test_posts_need_backbone_staff_and_change_nothing(world, work, client_for, role):
    client = client_for(getattr(world, role))
    status = expected(role, manage=True)
    data = {
        "name": "Taken over",
        "title": "Taken over",
        "is_co_leader": "0",
        "stage": ContractStage.DRAFTING,
        "reached_on": "2024-02-01",
        "starts_at": "2024-05-01T10:00",
        "organization": world.supplier.pk,
        "planned_on": "2024-02-01",
    }
    pages = {**manage_pages("kansas", work), **post_only_pages("kansas", work)}
    for page, url in pages.items():
        assert client.post(url, data).status_code == status, (role, page)
    work.seat.refresh_from_db()
    work.contract.refresh_from_db()
    work.workgroup.refresh_from_db()
    assert work.seat.is_co_leader
    assert work.contract.stage == ContractStage.PLANNED
    assert work.workgroup.name == "Data Collection and Outcome Evaluation"
    assert Workgroup.objects.count() == Meeting.objects.count() == Contract.objects.count() == 1


def test_post_only_pages_need_backbone_staff_on_get_too(world, work, client_for):
    for role in ROLES:
        client = client_for(getattr(world, role))
        for page, url in post_only_pages("kansas", work).items():
            status = client.get(url).status_code
            if role in ("backbone", "admin"):
                assert status in (FOUND, 405), (role, page)  # advance redirects to the contract; seats 405
            else:
                assert status == expected(role, manage=True), (role, page)


def test_anonymous_visitors_are_sent_to_sign_in(world, work, client):
    pages = {**view_pages("kansas", work), **manage_pages("kansas", work), **post_only_pages("kansas", work)}
    for url in pages.values():
        for response in (client.get(url), client.post(url, {"name": "x"})):
            assert response.status_code == FOUND
            assert response["Location"].startswith(reverse("login"))


def test_objects_of_another_network_are_not_found(world, work, foreign_work, client_for):
    client = client_for(world.backbone)
    pages = {
        **view_pages("kansas", foreign_work),
        **manage_pages("kansas", foreign_work),
        **post_only_pages("kansas", foreign_work),
    }
    for name in ("workgroup_list", "meeting_list", "contract_list"):  # lists and new-object forms take no id
        del pages[name], pages[name.replace("_list", "_create")]
    for page, url in pages.items():
        assert client.get(url).status_code == NOT_FOUND, page
        assert client.post(url, {}).status_code == NOT_FOUND, page
    # A seat of another workgroup of the same network is not found under this one either.
    other_workgroup = WorkgroupFactory(network=world.network)
    url = reverse("network:workgroup_seat_remove", args=["kansas", other_workgroup.pk, work.seat.pk])
    assert client.post(url).status_code == NOT_FOUND
    assert WorkgroupSeat.objects.filter(pk=work.seat.pk).exists()


def test_unknown_network_is_not_found(world, client_for):
    client = client_for(world.backbone)
    for name in ("workgroup_list", "meeting_list", "contract_list"):
        assert client.get(reverse(f"network:{name}", args=["atlantis"])).status_code == NOT_FOUND


def test_read_only_users_see_no_edit_buttons(world, work, client_for):
    client = client_for(world.partner)
    pages = view_pages("kansas", work)
    hidden = ["Add a workgroup", "Manage seats", "Schedule a meeting", "Record who came", ">Edit<"]
    for url in pages.values():
        html = client.get(url).content.decode()
        for text in hidden:
            assert text not in html, (url, text)
    backbone_html = client_for(world.backbone).get(pages["workgroup_detail"]).content.decode()
    assert "Manage seats" in backbone_html and "Schedule a meeting" in backbone_html


# Workgroups


def test_workgroup_list_shows_seats_co_leaders_and_power_sharing(world, work, client_for):
    others = [
        OrganizationFactory(name="Sunflower Health Plan", sector=Sector.PAYER),
        OrganizationFactory(name="Wichita Employers", sector=Sector.EMPLOYER),
    ]
    for organization in others:
        MembershipFactory(network=world.network, organization=organization)
    shared = WorkgroupFactory(network=world.network, name="Infrastructure and Awareness")
    for organization in [world.supplier, *others]:
        services.workgroup_seat_set(workgroup=shared, organization=organization, is_co_leader=True)

    html = client_for(world.partner).get(reverse("network:workgroup_list", args=["kansas"])).content.decode()

    assert "Sunflower Health Plan" in html and "Prairie YMCA" in html
    assert "3 co-leaders from 3 sectors" in html
    assert "1 co-leader from 1 sector" in html
    assert html.count("Short of co-leaders") == 1  # only the workgroup with one co-leader


def test_workgroup_detail_shows_seats_and_meetings(world, work, client_for):
    contact = ContactFactory(organization=world.supplier, name="Dana Reyes")
    services.workgroup_seat_set(
        workgroup=work.workgroup, organization=world.supplier, is_co_leader=True, person=contact
    )
    html = (
        client_for(world.state_viewer)
        .get(reverse("network:workgroup_detail", args=["kansas", work.workgroup.pk]))
        .content.decode()
    )
    assert "Dana Reyes" in html and "Co-leader" in html and "Health care" in html
    assert "Quarterly data review" in html
    assert "Short of co-leaders" in html


def test_backbone_creates_and_renames_a_workgroup(world, client_for):
    client = client_for(world.backbone)
    response = client.post(
        reverse("network:workgroup_create", args=["kansas"]),
        {"name": " Sustainability through Referrals ", "purpose": "Referrals, retention and coverage."},
    )
    workgroup = Workgroup.objects.get(network=world.network)
    assert response.status_code == FOUND
    assert response["Location"] == reverse("network:workgroup_detail", args=["kansas", workgroup.pk])
    assert workgroup.name == "Sustainability through Referrals"

    response = client.post(
        reverse("network:workgroup_edit", args=["kansas", workgroup.pk]),
        {"name": "Sustainability", "purpose": ""},
    )
    assert response.status_code == FOUND
    workgroup.refresh_from_db()
    assert (workgroup.name, workgroup.purpose) == ("Sustainability", "")


def test_workgroup_name_taken_in_the_network_is_a_form_error(world, work, client_for):
    WorkgroupFactory(network=world.other_network, name="Infrastructure")  # other networks don't count
    client = client_for(world.backbone)
    response = client.post(
        reverse("network:workgroup_create", args=["kansas"]),
        {"name": "data collection and outcome evaluation"},
    )
    assert response.status_code == OK
    assert "already has a workgroup called" in response.content.decode()
    assert (
        client.post(
            reverse("network:workgroup_create", args=["kansas"]), {"name": "Infrastructure"}
        ).status_code
        == FOUND
    )
    assert client.post(reverse("network:workgroup_create", args=["kansas"]), {"name": ""}).status_code == OK


def test_backbone_gives_changes_and_removes_seats(world, work, client_for):
    client = client_for(world.backbone)
    seats_url = reverse("network:workgroup_seats", args=["kansas", work.workgroup.pk])
    payer = OrganizationFactory(name="Sunflower Health Plan", sector=Sector.PAYER)
    MembershipFactory(network=world.network, organization=payer)
    contact = ContactFactory(organization=payer, name="Lee Park")

    response = client.post(seats_url, {"organization": payer.pk, "person": contact.pk, "is_co_leader": "on"})
    assert response.status_code == FOUND
    seat = WorkgroupSeat.objects.get(workgroup=work.workgroup, organization=payer)
    assert seat.is_co_leader and seat.person == contact

    # The same organization again changes its seat rather than adding one.
    assert client.post(seats_url, {"organization": payer.pk, "person": ""}).status_code == FOUND
    seat.refresh_from_db()
    assert not seat.is_co_leader and seat.person is None

    role_url = reverse("network:workgroup_seat_role", args=["kansas", work.workgroup.pk, seat.pk])
    assert client.post(role_url, {"is_co_leader": "1"}).status_code == FOUND
    seat.refresh_from_db()
    assert seat.is_co_leader
    assert client.post(role_url, {"is_co_leader": "0"}).status_code == FOUND
    seat.refresh_from_db()
    assert not seat.is_co_leader

    remove_url = reverse("network:workgroup_seat_remove", args=["kansas", work.workgroup.pk, seat.pk])
    assert client.post(remove_url).status_code == FOUND
    assert not WorkgroupSeat.objects.filter(pk=seat.pk).exists()
    assert "Prairie YMCA" in client.get(seats_url).content.decode()


def test_seat_for_a_non_member_or_someone_elses_contact_is_a_form_error(world, work, client_for):
    client = client_for(world.backbone)
    seats_url = reverse("network:workgroup_seats", args=["kansas", work.workgroup.pk])
    stranger = OrganizationFactory(name="Not A Partner")
    response = client.post(seats_url, {"organization": stranger.pk})
    assert response.status_code == OK
    assert "Select a valid choice" in response.content.decode()

    other_contact = ContactFactory(organization=world.network.backbone, name="Someone Else")
    response = client.post(seats_url, {"organization": world.supplier.pk, "person": other_contact.pk})
    assert response.status_code == OK
    assert "is a contact of another organization" in response.content.decode()
    assert WorkgroupSeat.objects.get(pk=work.seat.pk).person is None


def test_former_partner_cannot_take_a_seat(world, work):
    services.membership_end(membership=world.membership, left_on=datetime.date(2024, 6, 30))
    with pytest.raises(ValidationError, match="not a current partner"):
        services.workgroup_seat_set(workgroup=work.workgroup, organization=world.supplier)


# Meetings


def test_meeting_list_splits_upcoming_and_past_with_counts(world, work, client_for):
    services.meeting_record_attendance(meeting=work.meeting, attended_ids={world.supplier.pk})
    services.meeting_save(
        network=world.network,
        title="Annual partner summit",
        starts_at=timezone.now() + datetime.timedelta(days=30),
        invited=[world.supplier, world.network.backbone],
    )
    response = client_for(world.partner).get(reverse("network:meeting_list", args=["kansas"]))
    html = response.content.decode()
    upcoming, past = html.split("Upcoming meetings, soonest first")[1].split("Past meetings, latest first")
    assert "Annual partner summit" in upcoming and "Quarterly data review" not in upcoming
    assert "Quarterly data review" in past
    assert [(m.invited_count, m.attended_count) for m in response.context["calendar"].past] == [(1, 1)]
    assert [m.invited_count for m in response.context["calendar"].upcoming] == [2]


def test_new_meeting_invites_every_partner_or_the_workgroups_seats(world, work, client_for):
    client = client_for(world.backbone)
    url = reverse("network:meeting_create", args=["kansas"])
    everyone = client.get(url).context["form"]["invited"].value()
    assert set(everyone) == {world.supplier.pk, world.network.backbone.pk}
    seats_only = client.get(url, {"workgroup": work.workgroup.pk}).context["form"]
    assert seats_only["invited"].value() == [world.supplier.pk]
    assert seats_only["workgroup"].value() == work.workgroup.pk


def test_backbone_schedules_and_edits_a_meeting(world, work, client_for):
    client = client_for(world.backbone)
    response = client.post(
        reverse("network:meeting_create", args=["kansas"]),
        {
            "title": "Network kick-off",
            "starts_at": "2024-09-12T14:30",
            "location": "Topeka",
            "workgroup": "",
            "notes": "",
            "invited": [world.supplier.pk, world.network.backbone.pk],
        },
    )
    assert response.status_code == FOUND
    meeting = Meeting.objects.get(title="Network kick-off")
    assert meeting.network == world.network and meeting.workgroup is None
    assert timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M") == "2024-09-12 14:30"
    assert set(meeting.attendance.values_list("organization_id", flat=True)) == {
        world.supplier.pk,
        world.network.backbone.pk,
    }

    edit_url = reverse("network:meeting_edit", args=["kansas", meeting.pk])
    assert 'value="2024-09-12T14:30"' in client.get(edit_url).content.decode()  # local time, not UTC
    services.meeting_record_attendance(meeting=meeting, attended_ids={world.supplier.pk})
    response = client.post(
        edit_url,
        {
            "title": "Network kick-off",
            "starts_at": "2024-09-12T15:00",
            "workgroup": work.workgroup.pk,
            "invited": [world.supplier.pk],
        },
    )
    assert response.status_code == FOUND
    meeting.refresh_from_db()
    assert meeting.workgroup == work.workgroup
    assert list(meeting.attendance.values_list("organization_id", "attended")) == [(world.supplier.pk, True)]


def test_inviting_a_non_member_is_a_form_error(world, work, client_for):
    stranger = OrganizationFactory(name="Not A Partner")
    response = client_for(world.backbone).post(
        reverse("network:meeting_create", args=["kansas"]),
        {"title": "Kick-off", "starts_at": "2024-09-12T14:30", "invited": [stranger.pk]},
    )
    assert response.status_code == OK
    assert "Select a valid choice" in response.content.decode()
    assert not Meeting.objects.filter(title="Kick-off").exists()
    with pytest.raises(ValidationError, match="Only current partners can be invited"):
        services.meeting_save(
            network=world.network, title="Kick-off", starts_at=aware(2024, 9, 12), invited=[stranger]
        )


def test_foreign_workgroup_is_a_form_error(world, work, foreign_work, client_for):
    response = client_for(world.backbone).post(
        reverse("network:meeting_edit", args=["kansas", work.meeting.pk]),
        {"title": "Moved", "starts_at": "2024-09-12T14:30", "workgroup": foreign_work.workgroup.pk},
    )
    assert response.status_code == OK
    work.meeting.refresh_from_db()
    assert work.meeting.title == "Quarterly data review"


def test_former_partner_stays_invited_when_a_meeting_is_edited(world, work, client_for):
    services.meeting_record_attendance(meeting=work.meeting, attended_ids={world.supplier.pk})
    services.membership_end(membership=world.membership, left_on=datetime.date(2024, 6, 30))
    response = client_for(world.backbone).post(
        reverse("network:meeting_edit", args=["kansas", work.meeting.pk]),
        {"title": "Quarterly data review", "starts_at": "2024-03-05T10:00", "invited": [world.supplier.pk]},
    )
    assert response.status_code == FOUND
    assert Attendance.objects.get(meeting=work.meeting, organization=world.supplier).attended is True


def test_backbone_records_who_came(world, work, client_for):
    services.meeting_set_invitations(
        meeting=work.meeting, organizations=[world.supplier, world.network.backbone]
    )
    client = client_for(world.backbone)
    url = reverse("network:meeting_attendance", args=["kansas", work.meeting.pk])
    assert client.post(url, {"attended": [world.supplier.pk]}).status_code == FOUND
    came = dict(work.meeting.attendance.values_list("organization_id", "attended"))
    assert came == {world.supplier.pk: True, world.network.backbone.pk: False}
    html = client.get(reverse("network:meeting_detail", args=["kansas", work.meeting.pk])).content.decode()
    assert "1 of 2 invited organizations came" in html


def test_attendance_of_an_organization_not_invited_is_a_form_error(world, work, client_for):
    response = client_for(world.backbone).post(
        reverse("network:meeting_attendance", args=["kansas", work.meeting.pk]),
        {"attended": [world.network.backbone.pk]},
    )
    assert response.status_code == OK
    assert "Select a valid choice" in response.content.decode()
    assert Attendance.objects.get(meeting=work.meeting).attended is None


# Contracts


def test_backbone_adds_a_contract(world, client_for):
    response = client_for(world.backbone).post(
        reverse("network:contract_create", args=["kansas"]),
        {
            "organization": world.supplier.pk,
            "title": "Program delivery 2024",
            "purpose": "Deliver two cohorts.",
            "amount": "40000",
            "starts_on": "2024-07-01",
            "ends_on": "2025-06-30",
            "planned_on": "2024-03-01",
        },
    )
    contract = Contract.objects.get(title="Program delivery 2024")
    assert response.status_code == FOUND
    assert response["Location"] == reverse("network:contract_detail", args=["kansas", contract.pk])
    assert (contract.network, contract.organization, contract.amount) == (
        world.network,
        world.supplier,
        Decimal("40000"),
    )
    change = contract.stage_changes.get()
    assert (change.stage, change.reached_on, change.recorded_by) == (
        ContractStage.PLANNED,
        datetime.date(2024, 3, 1),
        world.backbone,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"organization": "stranger"}, "Select a valid choice"),
        ({"ends_on": "2024-01-01"}, "The work cannot end before it starts."),
        ({"amount": "-5"}, "greater than or equal to 0"),
        ({"planned_on": ""}, "This field is required."),
    ],
)
def test_bad_contract_input_reshows_the_form(world, client_for, change, message):
    data = {
        "organization": world.supplier.pk,
        "title": "Program delivery 2024",
        "starts_on": "2024-07-01",
        "planned_on": "2024-03-01",
        **change,
    }
    if data["organization"] == "stranger":
        data["organization"] = OrganizationFactory().pk
    response = client_for(world.backbone).post(reverse("network:contract_create", args=["kansas"]), data)
    assert response.status_code == OK
    assert message in response.content.decode()
    assert not Contract.objects.exists()


def test_backbone_edits_a_contracts_terms(world, work, client_for):
    client = client_for(world.backbone)
    url = reverse("network:contract_edit", args=["kansas", work.contract.pk])
    data = {
        "title": "Coach training",
        "amount": "30000.50",
        "starts_on": "2024-02-01",
        "ends_on": "2024-12-31",
    }
    assert client.post(url, data).status_code == FOUND
    work.contract.refresh_from_db()
    assert (work.contract.title, work.contract.amount) == ("Coach training", Decimal("30000.50"))
    assert work.contract.organization == world.supplier and work.contract.stage == ContractStage.PLANNED
    response = client.post(url, {**data, "ends_on": "2024-01-01"})
    assert response.status_code == OK
    assert "The work cannot end before it starts." in response.content.decode()


def test_backbone_advances_a_contract_through_the_pipeline(world, work, client_for):
    client = client_for(world.backbone)
    url = reverse("network:contract_advance", args=["kansas", work.contract.pk])
    for stage, day in [("drafting", "2024-02-01"), ("in_review", "2024-03-15"), ("executed", "2024-03-15")]:
        response = client.post(url, {"stage": stage, "reached_on": day, "note": f"{stage} note"})
        assert response.status_code == FOUND, response.content.decode()
    work.contract.refresh_from_db()
    assert work.contract.stage == ContractStage.EXECUTED
    assert list(work.contract.stage_changes.values_list("stage", flat=True)) == [
        "planned",
        "drafting",
        "in_review",
        "executed",
    ]
    html = client.get(reverse("network:contract_detail", args=["kansas", work.contract.pk])).content.decode()
    assert "in_review note" in html and "Jan 10, 2024" in html
    assert ">22<" in html  # days in drafting, Feb 1 to Mar 15 is 43; in planned, Jan 10 to Feb 1 is 22


@pytest.mark.parametrize(
    ("start", "data", "message"),
    [
        ("drafting", {"stage": "planned", "reached_on": "2024-03-01"}, "already drafting; choose a later"),
        ("drafting", {"stage": "drafting", "reached_on": "2024-03-01"}, "already drafting; choose a later"),
        (
            "drafting",
            {"stage": "in_review", "reached_on": "2024-01-15"},
            "must be on or after February 1, 2024",
        ),
        ("drafting", {"stage": "amended", "reached_on": "2024-03-01"}, "only after it has been executed"),
        ("drafting", {"stage": "signed", "reached_on": "2024-03-01"}, "Select a valid choice"),
        ("drafting", {"stage": "in_review", "reached_on": "not a date"}, "Enter a valid date"),
    ],
)
def test_advancing_wrongly_shows_the_reason_on_the_form(world, work, client_for, start, data, message):
    services.contract_advance(contract=work.contract, stage=start, reached_on=datetime.date(2024, 2, 1))
    response = client_for(world.backbone).post(
        reverse("network:contract_advance", args=["kansas", work.contract.pk]), data
    )
    assert response.status_code == OK
    assert message in response.content.decode()
    work.contract.refresh_from_db()
    assert work.contract.stage == start
    assert work.contract.stage_changes.count() == 2


def test_ended_contract_offers_no_further_stage(world, work, client_for):
    for stage, day in [("executed", 2), ("ended", 3)]:
        services.contract_advance(contract=work.contract, stage=stage, reached_on=datetime.date(2024, day, 1))
    html = (
        client_for(world.backbone)
        .get(reverse("network:contract_detail", args=["kansas", work.contract.pk]))
        .content.decode()
    )
    assert "The contract has ended" in html and "Record the stage" not in html


def test_contract_list_shows_days_in_stage_and_flags_delays(world, work, client_for):
    today = timezone.localdate()
    recent = services.contract_create(
        network=world.network,
        organization=world.network.backbone,
        title="Data system license",
        planned_on=today - datetime.timedelta(days=90),
    )
    services.contract_advance(
        contract=recent, stage="drafting", reached_on=today - datetime.timedelta(days=5)
    )
    executed_long_ago = services.contract_create(
        network=world.network,
        organization=world.supplier,
        title="Year one",
        planned_on=datetime.date(2023, 1, 2),
    )
    services.contract_advance(
        contract=executed_long_ago, stage="executed", reached_on=datetime.date(2023, 2, 1)
    )
    client = client_for(world.backbone)

    response = client.get(reverse("network:contract_list", args=["kansas"]))
    html = response.content.decode()
    rows = {
        row.contract.title: row for stage in response.context["pipeline"].stages for row in stage.contracts
    }
    assert rows["Data system license"].days_in_stage == 5 and not rows["Data system license"].delayed
    assert rows["Lifestyle coach training"].delayed  # planned since January 2024
    assert rows["Lifestyle coach training"].reached_on == datetime.date(2024, 1, 10)
    assert not rows["Year one"].delayed  # executed: waiting is over
    assert html.count(">Delayed<") == 1 and "1 contract delayed" in html
    assert "$25,000" in html

    filtered = client.get(reverse("network:contract_list", args=["kansas"]), {"stage": "drafting"})
    assert [stage.value for stage in filtered.context["shown"]] == ["drafting"]
    assert "Data system license" in filtered.content.decode()
    assert "Lifestyle coach training" not in filtered.content.decode()
    unknown = client.get(reverse("network:contract_list", args=["kansas"]), {"stage": "bogus"})
    assert len(unknown.context["shown"]) == len(ContractStage.choices)


# List pages make a fixed number of queries


def add_partners(network: Network, workgroup: Workgroup, meeting: Meeting, n: int) -> None:
    sectors = [Sector.PAYER, Sector.EMPLOYER, Sector.EDUCATION, Sector.FAITH_BASED]
    for i in range(n):
        organization = OrganizationFactory(sector=sectors[i % len(sectors)])
        MembershipFactory(network=network, organization=organization)
        contact = ContactFactory(organization=organization)
        services.workgroup_seat_set(
            workgroup=workgroup, organization=organization, person=contact, is_co_leader=i % 2 == 0
        )
        other = WorkgroupFactory(network=network)
        services.workgroup_seat_set(workgroup=other, organization=organization, is_co_leader=True)
        Attendance.objects.create(meeting=meeting, organization=organization, attended=i % 3 == 0)
        extra = Meeting.objects.create(
            network=network, workgroup=other, title=f"Meeting {i}", starts_at=aware(2024, 4, 1 + i, 9, 0)
        )
        Attendance.objects.create(meeting=extra, organization=organization)
        contract = services.contract_create(
            network=network,
            organization=organization,
            title=f"Contract {i}",
            planned_on=datetime.date(2024, 1, 1),
        )
        if i % 2:
            services.contract_advance(
                contract=contract, stage="drafting", reached_on=datetime.date(2024, 2, 1)
            )


@pytest.mark.parametrize(
    "page_name",
    [
        "workgroup_list",
        "workgroup_detail",
        "meeting_list",
        "contract_list",
        "workgroup_seats",
        "meeting_create",
    ],
)
def test_list_pages_make_the_same_number_of_queries_for_3_and_15_partners(
    world, work, client_for, django_assert_num_queries, page_name
):
    client = client_for(world.backbone)
    args = (
        ["kansas", work.workgroup.pk] if page_name in ("workgroup_detail", "workgroup_seats") else ["kansas"]
    )
    url = reverse(f"network:{page_name}", args=args)
    add_partners(world.network, work.workgroup, work.meeting, 1)  # 3 partners with the backbone and supplier
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == OK
    add_partners(world.network, work.workgroup, work.meeting, 12)  # 15 partners
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == OK
