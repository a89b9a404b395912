"""The Bright Spot Initiative demo: idempotent, signs every demo user in, and shows what the pages need."""

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core import mail
from django.db.models import Count
from django.test import RequestFactory
from guardian.models import UserObjectPermission

from demo.network import ANCHOR, PASSWORD, STATES, build_demo
from demo.tests.conftest import built_once
from network.models import (
    AssessmentInvitation,
    AssessmentRound,
    Attendance,
    BackboneModel,
    Contract,
    ContractStage,
    ContractStageChange,
    DataSharing,
    Instrument,
    InstrumentItem,
    InstrumentKind,
    ItemScore,
    Meeting,
    Membership,
    Network,
    NetworkUserObjectPermission,
    PartnerTie,
    Phase,
    Role,
    RoleKind,
    SurveyRelationship,
    TieKind,
    Touchpoint,
    TouchpointKind,
    Workgroup,
    WorkgroupSeat,
)
from network.partnership import engagement
from network.partnership.assessments import assessment_reminders_send, assessment_results, assessment_trend
from network.selectors import who_is_missing
from partners.models import (
    Contact,
    Organization,
    OrganizationUserObjectPermission,
    RecognitionStatus,
    StateUserObjectPermission,
)

pytestmark = pytest.mark.django_db

SLUGS = ["kansas", "michigan", "missouri", "utah", "wisconsin"]
USERNAMES = [
    "admin",
    *(f"{kind}-{slug}" for slug in SLUGS for kind in ("backbone", "state")),
    *(f"partner-{slug}-{number}" for slug in SLUGS for number in (1, 2)),
]

MODELS = [
    get_user_model(),
    Organization,
    Organization.kinds.through,
    Organization.delivery_modes.through,
    Organization.counties_served.through,
    Organization.populations_of_focus.through,
    Contact,
    Network,
    Membership,
    Role,
    Workgroup,
    WorkgroupSeat,
    Meeting,
    Attendance,
    Contract,
    ContractStageChange,
    PartnerTie,
    Touchpoint,
    Instrument,
    InstrumentItem,
    AssessmentRound,
    AssessmentInvitation,
    SurveyRelationship,
    ItemScore,
    NetworkUserObjectPermission,
    OrganizationUserObjectPermission,
    StateUserObjectPermission,
    UserObjectPermission,
]


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every model the demo writes, timestamps and password hashes included."""
    return {model._meta.label: list(model.objects.order_by("pk").values_list()) for model in MODELS}


@pytest.fixture(scope="module")
def demo_built(django_db_setup, django_db_blocker) -> dict[str, int]:
    with built_once(django_db_blocker, build_demo) as counts:
        yield counts


@pytest.fixture
def demo(demo_built: dict[str, int]) -> dict[str, int]:
    return demo_built


def test_a_second_run_changes_nothing(demo):
    before = snapshot()
    out = StringIO()
    assert build_demo(stdout=out) == demo
    after = snapshot()
    assert {label: len(rows) for label, rows in after.items()} == {
        label: len(rows) for label, rows in before.items()
    }
    assert after == before
    assert "0 new rows" in out.getvalue()


# `manage.py load_demo` builds this demo, its monthly reports and goals: goals/tests/test_demo.py tests it.


def sign_in(username: str, password: str):
    """Authenticate as the sign-in page does: with its request, which the sign-in limits count by."""
    return authenticate(RequestFactory().post("/accounts/login/"), username=username, password=password)


def test_every_demo_user_signs_in_with_the_demo_password(demo):
    assert get_user_model().objects.filter(username__in=USERNAMES).count() == 21
    for username in USERNAMES:
        assert sign_in(username, PASSWORD) is not None, username
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.email == "admin@example.org"


def test_a_run_resets_a_changed_password(demo):
    user = get_user_model().objects.get(username="backbone-utah")
    user.set_password("something-else-1")
    user.save()
    build_demo()
    assert sign_in("backbone-utah", PASSWORD) == user


def test_each_state_has_its_roles(demo):
    for slug in SLUGS:
        network = Network.objects.get(slug=slug)
        assert (
            Role.objects.get(user__username=f"backbone-{slug}", kind=RoleKind.BACKBONE_STAFF).network
            == network
        )
        viewer = Role.objects.get(user__username=f"state-{slug}", kind=RoleKind.STATE_VIEWER)
        assert viewer.state == network.state


def test_partner_users_work_for_suppliers_that_share_as_specified(demo):
    expected = {1: DataSharing.BACKBONE_AND_STATE, 2: DataSharing.BACKBONE_ONLY}
    for slug in SLUGS:
        network = Network.objects.get(slug=slug)
        organizations = set()
        for number, sharing in expected.items():
            role = Role.objects.get(user__username=f"partner-{slug}-{number}", kind=RoleKind.PARTNER_STAFF)
            organization = role.organization
            organizations.add(organization.pk)
            assert organization.is_supplier
            assert organization.kinds.filter(code="supplier").exists()
            assert organization.dprp_org_code
            membership = network.memberships.get(organization=organization, left_on__isnull=True)
            assert membership.data_sharing == sharing
            assert membership.reports_monthly
        assert len(organizations) == 2


def test_dprp_organization_codes_are_unique_and_every_supplier_has_one(demo):
    suppliers = Organization.objects.filter(kinds__code="supplier")
    codes = list(suppliers.values_list("dprp_org_code", flat=True))
    assert all(code and code.isdigit() and 4 <= len(code) <= 6 for code in codes)
    assert len(set(codes)) == len(codes) >= 15
    assert not suppliers.filter(recognition_status=RecognitionStatus.NOT_APPLICABLE).exists()


def test_each_network_has_its_backbone_and_12_to_25_current_partners(demo):
    assert sorted(Network.objects.values_list("slug", flat=True)) == SLUGS
    for network in Network.objects.select_related("backbone", "state_health_department"):
        current = network.memberships.filter(left_on__isnull=True)
        assert current.filter(organization=network.backbone).exists()
        assert 12 <= current.exclude(organization=network.backbone).count() <= 25
        assert network.state_health_department is not None
        assert all(
            org.state_id == network.state_id
            for org in Organization.objects.filter(memberships__network=network)
        )
    kansas = Network.objects.get(slug="kansas")
    assert kansas.backbone.name == "Kansas Department of Health and Environment"
    assert (
        kansas.backbone_model == BackboneModel.SHD_SELF and kansas.state_health_department == kansas.backbone
    )
    michigan = Network.objects.get(slug="michigan")
    assert michigan.backbone_model == BackboneModel.EXTERNAL
    assert michigan.state_health_department.name == "Michigan Department of Health and Human Services"
    assert michigan.memberships.filter(
        organization__name="Southeast Michigan Hospital Collaborative"
    ).exists()
    assert Membership.objects.filter(left_on__isnull=False).count() >= 2


def test_utah_has_the_three_workgroups_of_the_domain(demo):
    assert set(Network.objects.get(slug="utah").workgroups.values_list("name", flat=True)) == {
        "Infrastructure and Awareness",
        "Sustainability through Referrals, Retention, and Coverage",
        "Data Collection and Outcome Evaluation",
    }


def test_who_is_missing_has_something_to_show(demo):
    answers = {network.slug: who_is_missing(network=network) for network in Network.objects.all()}
    assert all(len(answer.sectors_missing) <= 2 for answer in answers.values())
    assert sum(bool(answer.sectors_missing) for answer in answers.values()) >= 3
    assert all(answer.counties_unserved for answer in answers.values())
    assert sum(len(answer.workgroups_short) for answer in answers.values()) >= 3
    # ... while other workgroups do have co-leaders from three sectors.
    assert sum(len(answer.workgroups_short) for answer in answers.values()) < Workgroup.objects.count()
    assert Workgroup.objects.count() == sum(len(plan.workgroups) for plan in STATES)


def test_meetings_cover_the_past_year_and_show_fading_engagement(demo):
    meetings = Meeting.objects.filter(network__slug="kansas")
    assert meetings.filter(starts_at__date__lt=datetime.date(2026, 11, 1)).count() >= 12
    assert meetings.filter(starts_at__date__gt=datetime.date(2026, 11, 1)).exists()
    assert not Attendance.objects.filter(
        meeting__starts_at__date__lt=datetime.date(2026, 11, 1), attended__isnull=True
    ).exists()
    rates = [
        attendance.filter(attended=True).count() / attendance.count()
        for organization in Organization.objects.filter(memberships__network__slug="kansas")
        if (attendance := organization.attendance.all()).exists()
    ]
    assert min(rates) < 0.3 < 0.8 < max(rates)


def test_contracts_move_through_the_pipeline_with_delays(demo):
    stages = set(Contract.objects.values_list("stage", flat=True))
    assert {ContractStage.DRAFTING, ContractStage.IN_REVIEW, ContractStage.EXECUTED} <= stages
    assert {ContractStage.AMENDED, ContractStage.ENDED} <= stages
    for contract in Contract.objects.filter(stage=ContractStage.EXECUTED):
        reached = dict(contract.stage_changes.values_list("stage", "reached_on"))
        assert 30 <= (reached[ContractStage.EXECUTED] - reached[ContractStage.IN_REVIEW]).days <= 200


def test_the_demo_sends_no_email(demo):
    assert mail.outbox == []


def current_partner_ids(network: Network) -> set[int]:
    return set(network.memberships.filter(left_on__isnull=True).values_list("organization_id", flat=True))


def test_each_network_has_ties_of_every_kind_among_current_partners_and_one_or_two_isolated(demo):
    for network in Network.objects.all():
        ties = network.ties.all()
        assert 15 <= ties.count() <= 35, network.slug
        assert set(ties.values_list("kind", flat=True)) == set(TieKind.values), network.slug
        assert 1 <= ties.filter(ended_on__isnull=False).count() <= 4, network.slug
        current = current_partner_ids(network)
        tied = {id for tie in ties for id in (tie.source_id, tie.target_id)}
        assert tied <= current
        assert 1 <= len(current - tied) <= 2, network.slug
        for tie in ties.filter(ended_on__isnull=False):
            assert tie.started_on < tie.ended_on < ANCHOR
    referrals = PartnerTie.objects.filter(kind=TieKind.REFERRALS)
    assert all(tie.target.is_supplier for tie in referrals.select_related("target"))


def test_most_partners_had_touchpoints_lately_and_fading_partners_none(demo):
    period = engagement.period_default(today=ANCHOR)
    for network in Network.objects.all():
        rows = engagement.engagement_by_partner(network=network, period=period, today=ANCHOR)
        recent = [row for row in rows if row.last_touchpoint_on and row.last_touchpoint_on >= period.start]
        assert len(recent) >= 0.6 * len(rows), network.slug
        # Partners drifting away: attendance fell, and the backbone has not been in touch for six months.
        quiet = [
            row for row in rows if not (row.last_touchpoint_on and row.last_touchpoint_on >= period.start)
        ]
        assert any(row.fell for row in quiet), network.slug
        assert all(row in quiet for row in rows if row.change is not None and row.change <= -50), network.slug
    kinds = set(Touchpoint.objects.values_list("kind", flat=True))
    assert {TouchpointKind.CALL, TouchpointKind.EMAIL, TouchpointKind.VISIT} <= kinds
    assert not Touchpoint.objects.filter(happened_on__gt=ANCHOR).exists()


def test_each_network_ran_two_phase_checks_with_rising_scores(demo):
    for network in Network.objects.all():
        rounds = network.assessment_rounds.filter(
            instrument__kind=InstrumentKind.PHASE_CHECK, closed_at__isnull=False
        ).order_by("opened_at")
        assert [r.opened_at.date() for r in rounds] == [datetime.date(2025, 11, 3), datetime.date(2026, 5, 4)]
        phases: Counter[str] = Counter()
        for assessment_round in rounds:
            assert 21 <= (assessment_round.closed_at - assessment_round.opened_at).days <= 22
            results = assessment_results(assessment_round=assessment_round)
            assert results.response_rate >= 0.6, network.slug
            phases.update({value: n for value, _label, n in results.phases})
        assert phases[Phase.EARLIER] > phases[Phase.MIDDLE] > 0, network.slug
        trend = assessment_trend(network=network, instrument=rounds[0].instrument)
        means = [sum(r.means.values()) / len(r.means) for r in trend.rounds]
        assert means[0] < means[1] < means[0] + 0.6, network.slug


def test_each_network_ran_a_relationship_survey_naming_the_backbone_most(demo):
    for network in Network.objects.all():
        survey = network.assessment_rounds.get(
            instrument__kind=InstrumentKind.RELATIONSHIP_SURVEY, closed_at__isnull=False
        )
        assert survey.opened_at.date() == datetime.date(2026, 6, 1)
        results = assessment_results(assessment_round=survey)
        assert results.response_rate >= 0.6
        named = Counter(
            SurveyRelationship.objects.filter(invitation__round=survey).values_list(
                "invitation_id", flat=True
            )
        )
        assert len(named) == results.answered and all(3 <= n <= 8 for n in named.values())
        scores = ItemScore.objects.filter(invitation__round=survey)
        assert scores.count() == 6 * sum(named.values())
        assert not scores.filter(relationship__isnull=True).exists()
        assert set(scores.values_list("score", flat=True)) <= {1, 2, 3, 4}
        most_named = list(
            SurveyRelationship.objects.filter(invitation__round=survey)
            .values("partner_id")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .values_list("partner_id", flat=True)[:3]
        )
        assert network.backbone_id in most_named, network.slug


def test_each_network_has_an_open_phase_check_with_reminders_to_send(demo):
    for network in Network.objects.all():
        assessment_round = network.assessment_rounds.get(closed_at__isnull=True)
        assert assessment_round.instrument.kind == InstrumentKind.PHASE_CHECK
        assert assessment_round.opened_at.date() == datetime.date(2026, 11, 2)
        assert assessment_round.closes_on == datetime.date(2026, 12, 15)
        invitations = assessment_round.invitations.all()
        answered = invitations.filter(submitted_at__isnull=False).count()
        assert 0 < answered < invitations.count()
        assert not invitations.filter(sent_at__isnull=True).exists()
        now = datetime.datetime(2026, 11, 20, 14, tzinfo=datetime.UTC)
        sent = assessment_reminders_send(
            base_url="https://tandem.example.org", assessment_round=assessment_round, now=now
        )
        assert sent == invitations.count() - answered


def test_a_run_brings_back_answers_and_rounds_changed_since(demo):
    survey = AssessmentRound.objects.get(
        network__slug="utah", instrument__kind=InstrumentKind.RELATIONSHIP_SURVEY
    )
    results = assessment_results(assessment_round=survey)
    invitation = survey.invitations.filter(submitted_at__isnull=False).first()
    invitation.relationships.all().delete()
    open_round = AssessmentRound.objects.get(network__slug="utah", closed_at__isnull=True)
    open_round.closed_at = datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)
    open_round.save()
    PartnerTie.objects.filter(network__slug="utah", ended_on__isnull=True).first().delete()

    out = StringIO()
    assert build_demo(stdout=out) == demo
    assert "0 new rows" not in out.getvalue()
    assert assessment_results(assessment_round=survey) == results
    survey.refresh_from_db()
    assert survey.closed_at.date() == datetime.date(2026, 6, 23)
    open_round.refresh_from_db()
    assert open_round.closed_at is None
