"""The home page's to-do lists (`network.todo` with the providers of metrics and goals): what each role
has to do, in words, each with its link, and the count in the navigation."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics import services
from metrics.models import MonthlyReport, ReportStatus
from metrics.tests.factories import submit
from network import todo
from network.models import RoleKind
from network.services import role_grant
from network.tests.factories import MembershipFactory, UserFactory
from partners.tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

# Months are due on the 15th of the next month and lock 30 days later: on 10 July 2024, June is due in
# five days, May is late but open (it locks on 15 July), April and earlier are locked.
TODAY = datetime.date(2024, 7, 10)


def d(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, 1)


def texts(tasks: list[todo.Task]) -> list[str]:
    return [task.text for task in tasks]


@pytest.fixture
def partner_months(world):
    """Prairie YMCA, a partner since February 2024: February returned, March never reported, April
    approved, May a draft, June not started."""
    network, supplier = world.network, world.supplier
    world.membership.joined_on = datetime.date(2024, 2, 1)
    world.membership.save()
    returned = submit(
        network=network,
        organization=supplier,
        month=d(2024, 2),
        totals={"enrollments": 4},
        user=world.partner,
    )
    services.report_return(
        report=returned, version=1, user=world.backbone, comment="Age groups do not add up."
    )
    approved = submit(
        network=network,
        organization=supplier,
        month=d(2024, 4),
        totals={"enrollments": 6},
        user=world.partner,
    )
    services.report_approve(report=approved, version=1, user=world.backbone)
    submit(
        network=network,
        organization=supplier,
        month=d(2024, 5),
        totals={"enrollments": 5},
        user=world.partner,
    )
    MonthlyReport.objects.filter(month=d(2024, 5)).update(status=ReportStatus.DRAFT, first_submitted_at=None)
    return returned


def test_a_partner_is_told_what_is_late_returned_due_and_locked(world, partner_months):
    work = todo.work_of(user=world.partner, today=TODAY)
    tasks = todo.tasks_for(work)[todo.partner_place(world.membership.pk)]
    assert texts(tasks) == [
        "May 2024 is a draft, not yet submitted: it was due on June 15, 2024",
        "February 2024 was returned for correction: correct it and submit it again",
        "June 2024 is due in 5 days (July 15, 2024)",
        "1 month was never reported and is now locked (the latest March 2024): "
        "ask the backbone staff to reopen them",
    ]
    slug, org = world.network.slug, world.supplier.pk
    assert tasks[0].url == reverse("metrics:report_form", args=[slug, org, "2024-05"])
    assert tasks[1].url == reverse("metrics:report_detail", args=[slug, partner_months.pk])
    assert tasks[3].tone == todo.Tone.WARNING
    # The navigation counts what the partner has to do: the draft, the correction and the month due.
    assert todo.actions_waiting(work) == 3


def test_backbone_staff_see_reviews_waiting_returned_reports_and_who_is_missing(world, partner_months):
    second = SupplierFactory(name="Flint Hills Clinic")
    MembershipFactory(
        network=world.network, organization=second, joined_on=datetime.date(2024, 1, 1), reports_monthly=True
    )
    submit(
        network=world.network,
        organization=second,
        month=d(2024, 5),
        totals={"enrollments": 3},
        user=world.backbone,
    )
    work = todo.work_of(user=world.backbone, today=TODAY)
    tasks = todo.tasks_for(work)[todo.network_place(world.network.pk)]
    assert texts(tasks) == [
        "1 report waits for your review",
        # Prairie YMCA's May is a draft: not in.
        "1 partner has not sent May 2024 (1 of 2 in)",
        "1 report was returned for correction: the partner's turn",
    ]
    assert tasks[0].url == reverse("metrics:review_queue", args=[world.network.slug])
    assert todo.actions_waiting(work) == 1
    # The partner asks to reopen March, never reported and locked: one more thing to do.
    services.reopen_request_create(
        network=world.network, organization=world.supplier, month=d(2024, 3), user=world.partner, today=TODAY
    )
    tasks = todo.tasks_for(work)[todo.network_place(world.network.pk)]
    assert tasks[1].text == "1 partner asks you to reopen a locked month"
    assert tasks[1].url.endswith("#reopen-requests")
    assert todo.actions_waiting(work) == 2
    # Backbone staff of another network see none of it.
    other = todo.tasks_for(todo.work_of(user=world.other_backbone, today=TODAY))
    assert todo.network_place(world.network.pk) not in other


def test_a_state_viewer_sees_each_network_of_the_state_and_nothing_to_do(world, partner_months):
    work = todo.work_of(user=world.state_viewer, today=TODAY)
    tasks = todo.tasks_for(work)
    assert set(tasks) == {todo.state_network_place(world.network.pk)}
    assert texts(tasks[todo.state_network_place(world.network.pk)]) == [
        "May 2024: 0 of 1 partner has reported; the month is not complete yet: its figures are provisional",
        "No goal running",
    ]
    assert todo.actions_waiting(work) == 0


def test_someone_without_a_role_has_an_empty_list(world):
    work = todo.work_of(user=world.outsider, today=TODAY)
    assert work.empty and not todo.tasks_for(work) and todo.actions_waiting(work) == 0


def test_the_home_page_links_every_line_and_the_navigation_counts(world, client_for, partner_months):
    page = client_for(world.partner).get(reverse("network:home")).content.decode()
    assert "was returned for correction" in page
    assert reverse("metrics:report_detail", args=[world.network.slug, partner_months.pk]) in page
    assert 'class="tandem-nav-count"' in page
    # The state viewer's navigation reaches the state's pages and each network from any page.
    page = client_for(world.state_viewer).get(reverse("network:home")).content.decode()
    for url in (
        reverse("goals:dashboard_state", args=[world.network.state.code]),
        reverse("equity:state_coverage", args=[world.network.state.code]),
        reverse("network:state_health", args=[world.network.state.code]),
        reverse("network:network_detail", args=[world.network.slug]),
    ):
        assert url in page


def test_the_home_page_makes_as_many_queries_for_many_partners_as_for_few(world, client_for):
    def home_queries() -> int:
        client = client_for(world.backbone)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("network:home")).status_code == 200
        return len(queries.captured_queries)

    def add_partners(count: int) -> None:
        for number in range(count):
            organization = SupplierFactory(name=f"Partner {number} {MonthlyReport.objects.count()}")
            MembershipFactory(network=world.network, organization=organization, reports_monthly=True)
            submit(
                network=world.network,
                organization=organization,
                month=d(2024, 5),
                totals={"enrollments": 2},
                user=world.backbone,
            )

    add_partners(2)
    few = home_queries()
    add_partners(10)
    assert home_queries() == few


def test_a_role_given_later_shows_up_on_the_list(world):
    person = UserFactory(username="newcomer")
    assert todo.work_of(user=person, today=TODAY).empty
    role_grant(user=person, kind=RoleKind.BACKBONE_STAFF, scope=world.network)
    assert [n.pk for n in todo.work_of(user=person, today=TODAY).managed] == [world.network.pk]


def test_only_the_last_year_of_locked_gaps_is_on_the_list(world, partner_months):
    world.membership.joined_on = datetime.date(2021, 1, 1)
    world.membership.save()
    tasks = todo.tasks_for(todo.work_of(user=world.partner, today=TODAY))[
        todo.partner_place(world.membership.pk)
    ]
    # July 2023 to April 2024 with February (returned) and April (approved) left out: eight months.
    assert tasks[-1].text.startswith(
        "8 months were never reported and are now locked (the latest March 2024)"
    )
    assert tasks[-1].count == 8
