"""Partnership health: engagement, touchpoints, contracting delays and the state summary.

Formulas against worked examples, the order of the engagement table, every page against the role
matrix, the writes, CSV downloads against the tables shown, and a fixed number of queries per page."""

import csv
import datetime
import io
from dataclasses import dataclass
from fractions import Fraction
from html.parser import HTMLParser

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
    Meeting,
    Network,
    Touchpoint,
    TouchpointKind,
)
from network.partnership import contracting, statewide
from network.partnership import engagement as engagement_reads
from network.partnership.engagement import MeetingCounts, Period, ReportsOnTime
from network.selectors import contract_pipeline
from network.tests.factories import MembershipFactory, NetworkFactory, WorkgroupFactory
from partners.models import Organization, Sector
from partners.tests.factories import OrganizationFactory, state

pytestmark = pytest.mark.django_db

OK, FOUND, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404
ROLES = ["backbone", "admin", "partner", "state_viewer", "other_backbone", "other_partner", "outsider"]
D = datetime.date


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour, minute))


def hold(network: Network, when: datetime.datetime, attendance: dict[Organization, bool | None]) -> Meeting:
    """A meeting of ``network`` at ``when``: the organizations invited, and whether each came."""
    meeting = Meeting.objects.create(network=network, title=f"Meeting {when:%Y-%m-%d %H:%M}", starts_at=when)
    for organization, attended in attendance.items():
        Attendance.objects.create(meeting=meeting, organization=organization, attended=attended)
    return meeting


def partner(network: Network, name: str, sector: str = Sector.COMMUNITY_BASED, **membership: object):
    organization = OrganizationFactory(name=name, sector=sector)
    MembershipFactory(network=network, organization=organization, **membership)
    return organization


# The period


def test_period_length_previous_period_and_default():
    period = Period(start=D(2024, 4, 1), end=D(2024, 6, 30))
    assert period.days == 91
    assert period.previous == Period(start=D(2024, 1, 1), end=D(2024, 3, 31))  # 2024 is a leap year
    assert period.previous.days == 91
    assert engagement_reads.period_default(today=D(2024, 7, 15)) == Period(
        start=D(2024, 1, 16), end=D(2024, 7, 15)
    )
    assert str(period) == "April 1, 2024 to June 30, 2024"


def test_meeting_counts_rate_leaves_out_unrecorded_attendance_and_rounds_halves_up():
    assert MeetingCounts(invited=5, recorded=4, attended=1).rate == Fraction(1, 4)
    assert MeetingCounts(invited=5, recorded=4, attended=1).not_recorded == 1
    assert MeetingCounts(invited=3, recorded=3, attended=2).percent == 67
    assert MeetingCounts(invited=8, recorded=8, attended=1).percent == 13  # 12.5 rounds up
    assert MeetingCounts(invited=2, recorded=0, attended=0).rate is None
    assert MeetingCounts(invited=2, recorded=0, attended=0).percent is None


# Engagement: a worked example


PERIOD = Period(start=D(2024, 4, 1), end=D(2024, 6, 30))  # previous period: January 1 to March 31, 2024
TODAY = D(2024, 7, 15)


@dataclass
class Engagement:
    ymca: Organization  # fell from 80% to 25%
    lawrence: Organization  # fell from 100% to 67%
    topeka: Organization  # 50%, joined in April: nothing before
    wichita: Organization  # steady at 67%
    sunflower: Organization  # rose from 50% to 100%
    emporia: Organization  # never invited
    former: Organization  # left the network: not listed


def build_engagement(world) -> Engagement:
    network = world.network
    ymca = world.supplier
    sunflower = partner(network, "Sunflower Health Plan", Sector.PAYER)
    wichita = partner(network, "Wichita Employers", Sector.EMPLOYER)
    lawrence = partner(network, "Lawrence Clinic", Sector.HEALTH_CARE)
    topeka = partner(network, "Topeka Faith Alliance", Sector.FAITH_BASED, joined_on=D(2024, 4, 1))
    emporia = partner(network, "Emporia Library", Sector.EDUCATION)
    former = partner(network, "Former Partner", left_on=D(2024, 5, 1))
    backbone = network.backbone
    # The previous period: YMCA 4 of 5, Sunflower 2 of 4, Wichita 2 of 3, Lawrence 3 of 3.
    hold(
        network,
        at(D(2024, 1, 10)),
        {ymca: True, sunflower: True, wichita: True, lawrence: True, backbone: True},
    )
    hold(network, at(D(2024, 2, 10)), {ymca: True, sunflower: False, wichita: True, lawrence: True})
    hold(network, at(D(2024, 3, 10)), {ymca: True, sunflower: True, wichita: False, lawrence: True})
    hold(network, at(D(2024, 3, 20)), {ymca: False})
    hold(network, at(D(2024, 3, 31), 23, 0), {ymca: True, sunflower: False})  # the period's last evening
    # This period: YMCA 1 of 4 (and one not recorded), Sunflower 3 of 3, Wichita 2 of 3, Lawrence 2 of 3,
    # Topeka 1 of 2; the backbone's own absences and a former partner's attendance count for nobody.
    hold(
        network,
        at(D(2024, 4, 10)),
        {ymca: False, sunflower: True, wichita: True, lawrence: True, topeka: True, former: True},
    )
    hold(
        network,
        at(D(2024, 5, 10)),
        {ymca: False, sunflower: True, wichita: False, lawrence: False, topeka: False, backbone: False},
    )
    hold(network, at(D(2024, 6, 10)), {ymca: True, sunflower: True, wichita: True, lawrence: True})
    hold(network, at(D(2024, 6, 20)), {ymca: False, backbone: False})
    hold(network, at(D(2024, 6, 30), 23, 30), {ymca: None})  # attendance not recorded yet
    hold(network, at(D(2024, 7, 1), 9, 0), {ymca: True})  # after the period: only the last contact
    # Another network's meetings and touchpoints count for nothing here.
    utah_org = world.other_network.memberships.get().organization
    hold(world.other_network, at(D(2024, 5, 1)), {utah_org: True})
    # Touchpoints.
    Touchpoint.objects.create(network=network, organization=ymca, happened_on=D(2024, 6, 5))
    Touchpoint.objects.create(network=network, organization=sunflower, happened_on=D(2024, 7, 3))
    Touchpoint.objects.create(
        network=network, organization=wichita, happened_on=D(2024, 7, 20)
    )  # after today
    Touchpoint.objects.create(network=world.other_network, organization=emporia, happened_on=D(2024, 7, 1))
    # Workgroup seats: YMCA in two workgroups, co-leader of one.
    data = WorkgroupFactory(network=network, name="Data Collection and Outcome Evaluation")
    referrals = WorkgroupFactory(network=network, name="Sustainability through Referrals")
    services.workgroup_seat_set(workgroup=data, organization=ymca, is_co_leader=True)
    services.workgroup_seat_set(workgroup=referrals, organization=ymca)
    services.workgroup_seat_set(workgroup=referrals, organization=sunflower)
    return Engagement(ymca, lawrence, topeka, wichita, sunflower, emporia, former)


@pytest.fixture
def engagement(world) -> Engagement:
    return build_engagement(world)


def rows_by_name(network: Network) -> dict[str, engagement_reads.PartnerEngagement]:
    rows = engagement_reads.engagement_by_partner(network=network, period=PERIOD, today=TODAY)
    return {row.organization.name: row for row in rows}


def test_engagement_attendance_rates_and_their_change(world, engagement):
    rows = rows_by_name(world.network)

    ymca = rows["Prairie YMCA"]
    assert (ymca.current.invited, ymca.current.recorded, ymca.current.attended) == (5, 4, 1)
    assert (ymca.previous.invited, ymca.previous.attended) == (5, 4)
    assert (ymca.current.percent, ymca.previous.percent, ymca.change) == (25, 80, -55)
    assert ymca.fell and ymca.trend == "Fell from 80% to 25%"

    lawrence = rows["Lawrence Clinic"]
    assert (lawrence.current.percent, lawrence.previous.percent, lawrence.change) == (67, 100, -33)
    assert lawrence.trend == "Fell from 100% to 67%"

    assert rows["Sunflower Health Plan"].trend == "Rose from 50% to 100%"
    assert rows["Sunflower Health Plan"].change == 50
    assert rows["Wichita Employers"].trend == "Steady at 67%" and rows["Wichita Employers"].change == 0
    topeka = rows["Topeka Faith Alliance"]
    assert topeka.current.percent == 50 and topeka.previous.percent is None and topeka.change is None
    assert topeka.trend == "No attendance recorded in the previous period" and not topeka.fell
    emporia = rows["Emporia Library"]
    assert (emporia.current.invited, emporia.current.percent) == (0, None)
    assert emporia.trend == "No attendance recorded in either period"


def test_engagement_lists_current_partners_only_without_the_backbone(world, engagement):
    names = set(rows_by_name(world.network))
    assert world.network.backbone.name not in names
    assert "Former Partner" not in names
    assert len(names) == 6


def test_engagement_puts_partners_whose_rate_fell_first_then_lowest_rate(world, engagement):
    rows = engagement_reads.engagement_by_partner(network=world.network, period=PERIOD, today=TODAY)
    assert [row.organization.name for row in rows] == [
        "Prairie YMCA",  # fell, 25%
        "Lawrence Clinic",  # fell, 67%
        "Topeka Faith Alliance",  # 50%
        "Wichita Employers",  # 67%
        "Sunflower Health Plan",  # 100%
        "Emporia Library",  # no rate
    ]


def test_engagement_last_contact_is_the_latest_touchpoint_or_meeting_attended(world, engagement):
    rows = rows_by_name(world.network)
    ymca = rows["Prairie YMCA"]
    assert (ymca.last_touchpoint_on, ymca.last_meeting_on, ymca.last_contact_on) == (
        D(2024, 6, 5),
        D(2024, 7, 1),
        D(2024, 7, 1),
    )
    assert rows["Sunflower Health Plan"].last_contact_on == D(2024, 7, 3)  # touchpoint after June 10
    assert rows["Wichita Employers"].last_contact_on == D(2024, 6, 10)  # a touchpoint after today ignored
    assert rows["Topeka Faith Alliance"].last_contact_on == D(2024, 4, 10)
    assert rows["Emporia Library"].last_contact_on is None  # its touchpoint was in another network


def test_engagement_seats(world, engagement):
    rows = rows_by_name(world.network)
    assert (rows["Prairie YMCA"].seats, rows["Prairie YMCA"].co_leader_seats) == (2, 1)
    assert (rows["Sunflower Health Plan"].seats, rows["Sunflower Health Plan"].co_leader_seats) == (1, 0)
    assert rows["Emporia Library"].seats == 0


@pytest.fixture
def reports_source():
    registered = engagement_reads._reports_on_time_source
    yield
    engagement_reads.reports_on_time_source_set(source=registered)


def test_engagement_takes_reports_on_time_from_the_registered_source(world, engagement, reports_source):
    seen = {}

    def source(*, network: Network, period: Period, today: datetime.date) -> dict[int, ReportsOnTime]:
        seen.update(network=network, period=period, today=today)
        return {engagement.ymca.pk: ReportsOnTime(due=6, on_time=5)}

    engagement_reads.reports_on_time_source_set(source=source)
    rows = rows_by_name(world.network)
    assert rows["Prairie YMCA"].reports_text == "5 of 6"
    assert rows["Emporia Library"].reports_text == "Does not report monthly"  # none due
    assert seen == {"network": world.network, "period": PERIOD, "today": TODAY}
    engagement_reads.reports_on_time_source_set(source=None)
    assert rows_by_name(world.network)["Prairie YMCA"].reports_text == "Not available"


def engagement_row(current: tuple[int, int], previous: tuple[int, int]) -> engagement_reads.PartnerEngagement:
    return engagement_reads.PartnerEngagement(
        organization=Organization(name="Partner"),
        reports_monthly=False,
        current=MeetingCounts(invited=current[1], recorded=current[1], attended=current[0]),
        previous=MeetingCounts(invited=previous[1], recorded=previous[1], attended=previous[0]),
        seats=0,
        co_leader_seats=0,
        last_touchpoint_on=None,
        last_meeting_on=None,
    )


def test_engagement_flags_a_fall_of_the_threshold_or_more_only():
    assert engagement_reads.ATTENDANCE_CHANGE_POINTS == 10
    one_point = engagement_row((49, 100), (50, 100))
    assert (one_point.change, one_point.fell) == (-1, False)
    assert one_point.trend == "About the same: 49%, was 50%"
    nine_points = engagement_row((41, 100), (50, 100))
    assert (nine_points.change, nine_points.fell, nine_points.rose) == (-9, False, False)
    ten_points = engagement_row((40, 100), (50, 100))
    assert (ten_points.change, ten_points.fell) == (-10, True)
    assert ten_points.trend == "Fell from 50% to 40%"
    rose = engagement_row((60, 100), (50, 100))
    assert (rose.rose, rose.trend) == (True, "Rose from 50% to 60%")
    assert engagement_row((55, 100), (50, 100)).trend == "About the same: 55%, was 50%"
    # Those not flagged sort with the rest, by rate.
    ordered = engagement_reads.engagement_order([one_point, ten_points])
    assert ordered == [ten_points, one_point]


# Touchpoints


def test_touchpoint_record_checks_partner_and_date(world):
    network = world.network
    touchpoint = engagement_reads.touchpoint_record(
        network=network,
        organization=world.supplier,
        happened_on=D(2024, 7, 1),
        kind=TouchpointKind.VISIT,
        note=" Talked about missed meetings ",
        recorded_by=world.backbone,
        today=TODAY,
    )
    assert (touchpoint.note, touchpoint.recorded_by) == ("Talked about missed meetings", world.backbone)
    stranger = OrganizationFactory(name="Not A Partner")
    for organization, day, message in [
        (stranger, D(2024, 7, 1), "not a current partner"),
        (network.backbone, D(2024, 7, 1), "backbone organization"),
        (world.supplier, D(2024, 7, 16), "once it has happened"),
    ]:
        with pytest.raises(ValidationError, match=message):
            engagement_reads.touchpoint_record(
                network=network, organization=organization, happened_on=day, today=TODAY
            )
    assert Touchpoint.objects.count() == 1


def test_backbone_records_a_touchpoint_from_the_engagement_page(world, client_for):
    client = client_for(world.backbone)
    html = client.get(reverse("network:engagement", args=["kansas"])).content.decode()
    assert 'action="/networks/kansas/touchpoints/new/"' in html
    today = timezone.localdate()
    response = client.post(
        reverse("network:touchpoint_create", args=["kansas"]),
        {
            "organization": world.supplier.pk,
            "happened_on": today.isoformat(),
            "kind": "call",
            "note": "Check-in",
        },
    )
    assert response.status_code == FOUND and response["Location"] == reverse(
        "network:engagement", args=["kansas"]
    )
    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.organization, touchpoint.network, touchpoint.recorded_by) == (
        world.supplier,
        world.network,
        world.backbone,
    )
    html = client.get(reverse("network:touchpoint_list", args=["kansas", world.supplier.pk])).content.decode()
    assert "Check-in" in html and "Phone call" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"happened_on": "2999-01-01", "kind": "call"}, "once it has happened"),
        ({"kind": "call"}, "This field is required"),
        ({"happened_on": "2024-07-01", "kind": "telepathy"}, "Select a valid choice"),
    ],
)
def test_bad_touchpoints_are_form_errors(world, client_for, data, message):
    client = client_for(world.backbone)
    url = reverse("network:touchpoint_list", args=["kansas", world.supplier.pk])
    response = client.post(url, data)
    assert response.status_code == OK and message in response.content.decode()
    response = client.post(reverse("network:touchpoint_create", args=["kansas"]), data)
    assert response.status_code == OK and "This field is required" in response.content.decode()  # no partner
    stranger = OrganizationFactory()
    response = client.post(
        reverse("network:touchpoint_create", args=["kansas"]),
        {"organization": stranger.pk, "happened_on": "2024-07-01", "kind": "call"},
    )
    assert response.status_code == OK and "Select a valid choice" in response.content.decode()
    assert not Touchpoint.objects.exists()


def test_partner_touchpoints_list_newest_first_with_last_contact(world, client_for):
    for day, note in [(D(2024, 3, 1), "First call"), (D(2024, 6, 1), "Latest visit")]:
        engagement_reads.touchpoint_record(
            network=world.network, organization=world.supplier, happened_on=day, note=note
        )
    Touchpoint.objects.create(
        network=world.other_network, organization=world.supplier, happened_on=D(2024, 6, 2), note="Elsewhere"
    )
    response = client_for(world.backbone).get(
        reverse("network:touchpoint_list", args=["kansas", world.supplier.pk])
    )
    html = response.content.decode()
    assert html.index("Latest visit") < html.index("First call")
    assert "Elsewhere" not in html
    assert response.context["contact"].last_contact_on == D(2024, 6, 1)
    assert "June 1, 2024" in html


def test_a_former_partner_has_touchpoints_but_no_form(world, client_for):
    former = partner(world.network, "Former Partner", left_on=D(2024, 5, 1))
    client = client_for(world.backbone)
    url = reverse("network:touchpoint_list", args=["kansas", former.pk])
    response = client.get(url)
    assert response.status_code == OK and response.context["form"] is None
    assert "no more touchpoints can be recorded" in response.content.decode()
    assert client.post(url, {"happened_on": "2024-06-01", "kind": "call"}).status_code == FOUND
    assert not Touchpoint.objects.exists()
    stranger = OrganizationFactory()
    assert (
        client.get(reverse("network:touchpoint_list", args=["kansas", stranger.pk])).status_code == NOT_FOUND
    )


# Contracting: a worked example, with "today" fixed at June 30, 2024


CONTRACT_TODAY = D(2024, 6, 30)


def contract(
    network: Network, organization: Organization, title: str, stages: list[tuple[str, D]]
) -> Contract:
    (_, planned_on), *later = stages
    made = services.contract_create(
        network=network, organization=organization, title=title, planned_on=planned_on
    )
    for stage, day in later:
        made = services.contract_advance(contract=made, stage=stage, reached_on=day)
    return made


@pytest.fixture
def contracts(world) -> dict[str, Contract]:
    network, ymca = world.network, world.supplier
    return {
        "coach": contract(
            network,
            ymca,
            "Coach training",
            [
                ("planned", D(2024, 1, 10)),
                ("drafting", D(2024, 2, 1)),
                ("in_review", D(2024, 3, 15)),
                ("executed", D(2024, 3, 20)),
            ],
        ),
        "license": contract(
            network, ymca, "Data license", [("planned", D(2024, 3, 1)), ("drafting", D(2024, 4, 1))]
        ),
        "outreach": contract(network, ymca, "Outreach", [("planned", D(2024, 6, 1))]),
        "year_one": contract(
            network,
            ymca,
            "Year one",
            [
                ("planned", D(2023, 1, 2)),
                ("executed", D(2023, 2, 1)),  # straight from planned: drafting and review never recorded
                ("amended", D(2023, 3, 1)),
                ("amended", D(2023, 4, 1)),
                ("ended", D(2023, 5, 1)),
            ],
        ),
    }


def durations(network: Network, today: D = CONTRACT_TODAY) -> dict[str, contracting.ContractDurations]:
    return {
        row.contract.title: row for row in contracting.contract_stage_durations(network=network, today=today)
    }


def test_days_in_each_stage_with_the_current_stage_counted_to_today(world, contracts):
    rows = durations(world.network)
    coach = rows["Coach training"]
    assert coach.days_by_stage == {"planned": 22, "drafting": 43, "in_review": 5, "executed": 102}
    assert (coach.days_in_current_stage, coach.planned_to_executed) == (102, 70)

    license_ = rows["Data license"]
    assert license_.days_by_stage == {"planned": 31, "drafting": 90}  # April 1 to June 30, still drafting
    assert license_.days_in_current_stage == 90 and license_.planned_to_executed is None
    assert durations(world.network, today=D(2024, 7, 10))["Data license"].days_by_stage["drafting"] == 100

    # Amendments add up; the time stops when the contract ended.
    year_one = rows["Year one"]
    assert year_one.days_by_stage == {"planned": 30, "executed": 28, "amended": 61}
    assert (year_one.days_in_current_stage, year_one.planned_to_executed) == (None, 30)
    assert rows["Outreach"].days_by_stage == {"planned": 29}


def test_contracts_past_the_network_alert_days_in_one_stage_before_execution(world, contracts):
    assert world.network.contract_stage_alert_days == 60
    rows = durations(world.network)
    assert [title for title, row in rows.items() if row.past_alert] == ["Data license"]  # 90 days drafting
    assert not rows["Coach training"].past_alert  # executed: 102 days, but the wait is over
    contracting.contract_alert_days_set(network=world.network, days=90)
    assert not durations(world.network)["Data license"].past_alert  # more than 90 days, not exactly 90
    contracting.contract_alert_days_set(network=world.network, days=89)
    assert durations(world.network)["Data license"].past_alert
    contracting.contract_alert_days_set(network=world.network, days=28)
    assert [t for t, row in durations(world.network).items() if row.past_alert] == [
        "Data license",
        "Outreach",
    ]
    summary = contracting.contracting_summary(network=world.network, today=CONTRACT_TODAY)
    assert [row.contract.title for row in summary.contracts][:2] == [
        "Data license",
        "Outreach",
    ]  # flagged first


def test_alert_days_must_be_sensible(world):
    for days in (0, 366):
        with pytest.raises(ValidationError, match="from 1 to 365"):
            contracting.contract_alert_days_set(network=world.network, days=days)
    world.network.refresh_from_db()
    assert world.network.contract_stage_alert_days == 60


def test_median_days_from_planned_to_executed_even_and_odd(world, contracts):
    summary = contracting.contracting_summary(network=world.network, today=CONTRACT_TODAY)
    assert sorted(row.planned_to_executed for row in summary.executed) == [30, 70]
    assert summary.median_planned_to_executed == 50  # even: the mean of the middle two
    contract(
        world.network, world.supplier, "Quick one", [("planned", D(2024, 1, 1)), ("executed", D(2024, 1, 11))]
    )
    summary = contracting.contracting_summary(network=world.network, today=CONTRACT_TODAY)
    assert summary.median_planned_to_executed == 30  # odd: 10, 30, 70
    assert (
        contracting.median_days([10, 31]) == 20.5
        and contracting.days_shown(20.5) == 20.5
        and contracting.days_shown(50.0) == 50
    )
    assert contracting.median_days([None]) is None
    assert len(summary.not_executed) == 2


def test_contract_list_follows_the_network_alert_days(world, contracts, client_for):
    url = reverse("network:contract_list", args=["kansas"])
    pipeline = contract_pipeline(network=world.network, today=CONTRACT_TODAY)
    assert pipeline.delayed == 1 and pipeline.alert_days == 60
    world.network.contract_stage_alert_days = 120
    world.network.save()
    assert contract_pipeline(network=world.network, today=CONTRACT_TODAY).delayed == 0
    assert client_for(world.backbone).get(url).status_code == OK


def test_backbone_changes_the_alert_days(world, contracts, client_for):
    client = client_for(world.backbone)
    url = reverse("network:contracting_alert_days", args=["kansas"])
    response = client.post(url, {"days": "30"})
    assert response.status_code == FOUND and response["Location"] == reverse(
        "network:contracting", args=["kansas"]
    )
    world.network.refresh_from_db()
    assert world.network.contract_stage_alert_days == 30
    for bad in ("0", "1000", "soon", ""):
        response = client.post(url, {"days": bad})
        assert response.status_code == OK
        assert 'class="usa-error-message"' in response.content.decode()
    world.network.refresh_from_db()
    assert world.network.contract_stage_alert_days == 30
    assert client.get(url).status_code == FOUND


def test_contracting_page_shows_durations_flags_and_median(world, contracts, client_for):
    html = client_for(world.backbone).get(reverse("network:contracting", args=["kansas"])).content.decode()
    assert "Data license" in html and "past 60 days in one stage" in html
    assert "median days from planned to executed" in html
    assert 'id="contracting-chart"' in html and "plotly.min.js" in html


# The state summary


def test_state_summary_network_level_figures(world, engagement, contracts):
    city = NetworkFactory(name="Kansas City Region", slug="kc", state=state("KS"))
    MembershipFactory(network=city, organization=city.backbone)
    clinic = partner(city, "KC Clinic")
    hold(city, at(D(2024, 5, 1)), {clinic: True, city.backbone: False})
    contract(city, clinic, "KC contract", [("planned", D(2024, 1, 1)), ("executed", D(2024, 1, 16))])

    _, networks = statewide.state_networks_for_user(user=world.state_viewer, code="ks")
    assert [network.slug for network in networks] == ["kc", "kansas"]  # by name; Utah is not in Kansas
    summary = {
        row.network.slug: row
        for row in statewide.state_health_summary(networks=networks, period=PERIOD, today=CONTRACT_TODAY)
    }

    kansas = summary["kansas"]
    assert kansas.partners == 6  # current partners, not the backbone, not the former partner
    assert kansas.partners_with_attendance == 5
    # The mean of the partners' own rates, as on the engagement page: (1/4 + 1 + 2/3 + 2/3 + 1/2) / 5.
    assert kansas.mean_attendance == Fraction(37, 60) and kansas.mean_attendance_percent == 62
    engagement_rates = [
        row.current.rate
        for row in engagement_reads.engagement_by_partner(network=world.network, period=PERIOD, today=TODAY)
        if row.current.rate is not None
    ]
    assert sum(engagement_rates) / len(engagement_rates) == kansas.mean_attendance
    assert (len(kansas.contracts.not_executed), len(kansas.contracts.past_alert)) == (2, 1)
    assert kansas.contracts.median_planned_to_executed == 50

    kc = summary["kc"]
    assert (kc.partners, kc.partners_with_attendance, kc.mean_attendance_percent) == (1, 1, 100)
    assert kc.contracts.median_planned_to_executed == 15 and not kc.contracts.not_executed


def test_backbone_staff_see_only_their_own_network_in_the_state_summary(world, client_for):
    NetworkFactory(name="Kansas City Region", slug="kc", state=state("KS"))
    url = reverse("network:state_health", args=["KS"])
    backbone = client_for(world.backbone).get(url)
    assert [row.network.slug for row in backbone.context["rows"]] == ["kansas"]
    viewer = client_for(world.state_viewer).get(url)
    assert [row.network.slug for row in viewer.context["rows"]] == ["kc", "kansas"]


def test_state_summary_shows_no_partner_figures(world, engagement, contracts, client_for):
    response = client_for(world.state_viewer).get(reverse("network:state_health", args=["KS"]))
    html = response.content.decode()
    assert world.network.name in html
    for name in ("Prairie YMCA", "Sunflower Health Plan", "Data license", "Coach training"):
        assert name not in html
    assert 'id="state-chart"' in html


# The role matrix


def backbone_pages(world) -> dict[str, str]:
    return {
        "engagement": reverse("network:engagement", args=["kansas"]),
        "touchpoint_create": reverse("network:touchpoint_create", args=["kansas"]),
        "touchpoint_list": reverse("network:touchpoint_list", args=["kansas", world.supplier.pk]),
        "contracting": reverse("network:contracting", args=["kansas"]),
    }


def expected(role: str) -> int:
    if role in ("backbone", "admin"):
        return OK
    if role in ("partner", "state_viewer"):
        return FORBIDDEN
    return NOT_FOUND


STATE_EXPECTED = {
    "KS": {
        "backbone": OK,
        "admin": OK,
        "state_viewer": OK,
        "partner": FORBIDDEN,
        "other_backbone": NOT_FOUND,
        "other_partner": NOT_FOUND,
        "outsider": NOT_FOUND,
    },
    "UT": {
        "backbone": NOT_FOUND,
        "admin": OK,
        "state_viewer": NOT_FOUND,
        "partner": NOT_FOUND,
        "other_backbone": OK,
        "other_partner": FORBIDDEN,
        "outsider": NOT_FOUND,
    },
    "ZZ": dict.fromkeys(ROLES, NOT_FOUND),
}


@pytest.mark.parametrize("role", ROLES)
def test_pages_role_matrix(world, client_for, role):
    client = client_for(getattr(world, role))
    for page, url in backbone_pages(world).items():
        assert client.get(url).status_code == expected(role), (role, page)
        assert client.get(url, {"download": "engagement"}).status_code == expected(role), (role, page)
    alert_days = reverse("network:contracting_alert_days", args=["kansas"])
    assert client.get(alert_days).status_code == (FOUND if expected(role) == OK else expected(role))
    for code, statuses in STATE_EXPECTED.items():
        url = reverse("network:state_health", args=[code])
        assert client.get(url).status_code == statuses[role], (role, code)
        assert client.get(url, {"download": "state-health"}).status_code == statuses[role], (role, code)


@pytest.mark.parametrize("role", ["partner", "state_viewer", "other_backbone", "other_partner", "outsider"])
def test_posts_need_backbone_staff_and_change_nothing(world, client_for, role):
    client = client_for(getattr(world, role))
    data = {"organization": world.supplier.pk, "happened_on": "2024-07-01", "kind": "call", "days": "5"}
    pages = {**backbone_pages(world), "alert": reverse("network:contracting_alert_days", args=["kansas"])}
    for page, url in pages.items():
        assert client.post(url, data).status_code == expected(role), (role, page)
    world.network.refresh_from_db()
    assert world.network.contract_stage_alert_days == 60
    assert not Touchpoint.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    pages = [
        *backbone_pages(world).values(),
        reverse("network:contracting_alert_days", args=["kansas"]),
        reverse("network:state_health", args=["KS"]),
    ]
    for url in pages:
        for response in (client.get(url), client.post(url, {"days": "5"})):
            assert response.status_code == FOUND
            assert response["Location"].startswith(reverse("login"))


def test_pages_of_an_unknown_network_are_not_found(world, client_for):
    client = client_for(world.backbone)
    for name in ("engagement", "touchpoint_create", "contracting", "contracting_alert_days"):
        assert client.get(reverse(f"network:{name}", args=["atlantis"])).status_code == NOT_FOUND
    other_org = world.other_network.memberships.get().organization
    url = reverse("network:touchpoint_list", args=["kansas", other_org.pk])  # a partner of another network
    assert client.get(url).status_code == NOT_FOUND


def test_the_period_form_rejects_nonsense_without_failing(world, client_for):
    client = client_for(world.backbone)
    url = reverse("network:engagement", args=["kansas"])
    for query, message in [
        ({"start": "2024-06-30", "end": "2024-04-01"}, "cannot end before it starts"),
        ({"start": "0001-01-01", "end": "2024-04-01"}, "Choose a day from January 1, 2000 on"),
        ({"start": "2000-01-01", "end": "2024-04-01"}, "at most ten years"),
        ({"start": "yesterday", "end": ""}, "Enter a valid date"),
    ]:
        response = client.get(url, query)
        assert response.status_code == OK and message in response.content.decode(), query
        assert response.context["period"] == engagement_reads.period_default(today=timezone.localdate())
    state_url = reverse("network:state_health", args=["KS"])
    assert client.get(state_url, {"start": "2024-06-30", "end": "2024-04-01"}).status_code == OK


# CSV downloads give the numbers of the tables shown


class TableCells(HTMLParser):
    """The text of each body cell of the page's first table."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tables = 0
        self.in_body = self.in_cell = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables += 1
        elif tag == "tbody" and self.tables == 1:
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self.in_body:
            self.in_cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self.in_body = False
        elif tag in ("td", "th"):
            self.in_cell = False

    def handle_data(self, data: str) -> None:
        if self.in_cell:
            self.rows[-1][-1] += data


def html_rows(html: str) -> list[list[str]]:
    parser = TableCells()
    parser.feed(html)
    return [[" ".join(cell.split()) for cell in row] for row in parser.rows]


def csv_rows(response) -> tuple[list[str], list[list[str]]]:
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    return header, rows


def same_cell(csv_value: str, html_value: str) -> bool:
    if csv_value == "":
        return html_value in ("—", "None recorded")
    try:
        day = D.fromisoformat(csv_value)
    except ValueError:
        pass
    else:
        return html_value == f"{day:%b} {day.day}, {day.year}"
    if csv_value.lstrip("-").replace(".", "", 1).isdigit():
        return csv_value == html_value  # numbers exactly
    return csv_value in html_value  # text may carry a tag such as "Fell" before it


def assert_csv_matches_page(page, download, columns: list[str], trailing_cells: int = 0) -> list[list[str]]:
    header, rows = csv_rows(download)
    assert header == columns
    shown = [
        row[: len(row) - trailing_cells] if trailing_cells else row
        for row in html_rows(page.content.decode())
    ]
    assert len(shown) == len(rows) > 0
    for csv_row, html_row in zip(rows, shown, strict=True):
        assert len(csv_row) == len(html_row)
        for csv_value, html_value in zip(csv_row, html_row, strict=True):
            assert same_cell(csv_value, html_value), (csv_value, html_value)
    return rows


def test_engagement_csv_has_every_figure_and_the_page_fewer_columns(world, engagement, client_for):
    client = client_for(world.backbone)
    query = {"start": "2024-04-01", "end": "2024-06-30"}
    url = reverse("network:engagement", args=["kansas"])
    page = client.get(url, query)
    download = client.get(url, {**query, "download": "engagement"})
    assert download["Content-Disposition"] == 'attachment; filename="engagement.csv"'
    header, rows = csv_rows(download)
    assert header == engagement_reads.ENGAGEMENT_COLUMNS
    assert rows[0] == [
        "Prairie YMCA",
        "Health care",
        "5",
        "1",
        "1",
        "25",
        "80",
        "-55",
        "Fell from 80% to 25%",
        "2",
        "1",
        "0 of 3",  # March, April and May were due; none was submitted
        "2024-07-01",
    ]
    shown = html_rows(page.content.decode())
    assert [row[0] for row in shown] == [row[0] for row in rows]  # the same partners in the same order
    assert shown[0] == [
        "Prairie YMCA",
        "Health care",
        "1 of 5 (1 not recorded)",
        "25%",
        "Fell from 80% to 25%",
        "2 (1 as co-leader)",
        "0 of 3",
        "Jul 1, 2024",
        "Touchpoints with Prairie YMCA",
    ]
    html = page.content.decode()
    assert "usa-table--stacked-header" in html and 'data-label="Reports on time"' in html
    assert "10 percentage points or more" in html and "still to come" not in html
    assert 'id="engagement-chart"' in html and "plotly.min.js" in html


def test_contracting_csv_matches_the_table(world, contracts, client_for):
    client = client_for(world.backbone)
    url = reverse("network:contracting", args=["kansas"])
    rows = assert_csv_matches_page(
        client.get(url), client.get(url, {"download": "contracting"}), contracting.CONTRACTING_COLUMNS
    )
    by_title = {row[0]: row for row in rows}
    assert by_title["Year one"] == [
        "Year one",
        "Prairie YMCA",
        "Ended",
        "30",
        "",
        "",
        "28",
        "61",
        "",
        "No",
        "30",
    ]


def test_state_csv_matches_the_table(world, engagement, contracts, client_for):
    client = client_for(world.state_viewer)
    url = reverse("network:state_health", args=["KS"])
    query = {"start": "2024-04-01", "end": "2024-06-30"}
    rows = assert_csv_matches_page(
        client.get(url, query),
        client.get(url, {**query, "download": "state-health"}),
        statewide.STATE_COLUMNS,
    )
    assert rows[0][0] == world.network.name and rows[0][2:5] == ["6", "5", "62"]


# Each page makes the same number of queries for 3 partners as for 15


def add_partners(network: Network, n: int) -> None:
    today = timezone.localdate()
    workgroup = WorkgroupFactory(network=network)
    for i in range(n):
        organization = partner(network, f"Partner {network.slug} {Organization.objects.count()}")
        services.workgroup_seat_set(workgroup=workgroup, organization=organization, is_co_leader=i % 2 == 0)
        for days_ago in (10, 200):
            hold(
                network,
                at(today - datetime.timedelta(days=days_ago)),
                {organization: i % 3 == 0, network.backbone: True},
            )
        Touchpoint.objects.create(
            network=network, organization=organization, happened_on=today - datetime.timedelta(days=5)
        )
        made = contract(
            network, organization, f"Contract {i}", [("planned", today - datetime.timedelta(days=100))]
        )
        if i % 2:
            services.contract_advance(
                contract=made, stage="drafting", reached_on=today - datetime.timedelta(days=70)
            )
        if i % 3 == 0:
            services.contract_advance(
                contract=made, stage="executed", reached_on=today - datetime.timedelta(days=20)
            )


@pytest.mark.parametrize(
    ("page_name", "role"),
    [
        ("engagement", "backbone"),
        ("contracting", "backbone"),
        ("touchpoint_list", "backbone"),
        ("touchpoint_create", "backbone"),
        ("state_health", "backbone"),
        ("state_health", "state_viewer"),
    ],
)
def test_pages_make_the_same_number_of_queries_for_3_and_15_partners(
    world, client_for, django_assert_num_queries, page_name, role
):
    client = client_for(getattr(world, role))
    args = {
        "touchpoint_list": ["kansas", world.supplier.pk],
        "state_health": ["KS"],
    }.get(page_name, ["kansas"])
    url = reverse(f"network:{page_name}", args=args)
    add_partners(world.network, 1)  # 3 partners with the backbone and the supplier
    client.get(url)  # warms what Django caches per process (content types), whichever test ran before
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == OK
    add_partners(world.network, 12)  # 15 partners
    second = NetworkFactory(slug="kc", state=state("KS"))  # and one more network in the state
    MembershipFactory(network=second, organization=second.backbone)
    add_partners(second, 4)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == OK
