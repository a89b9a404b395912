"""Self-assessments: opening rounds, e-mailed invitations and reminders, answering by the secret link,
the results formulas against worked examples, every page against the role matrix, and fixed queries."""

import datetime
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from network import tasks
from network.models import (
    AssessmentInvitation,
    AssessmentRound,
    Instrument,
    ItemScore,
    Network,
    Phase,
    SurveyRelationship,
)
from network.partnership import assessments
from network.partnership.assessments import RelationshipAnswer
from network.tests.factories import MembershipFactory
from partners.models import Organization, Sector
from partners.tests.factories import ContactFactory, OrganizationFactory, SupplierFactory

pytestmark = pytest.mark.django_db

OK, FOUND, FORBIDDEN, NOT_FOUND, GONE = 200, 302, 403, 404, 410
ROLES = ["backbone", "admin", "partner", "state_viewer", "other_backbone", "other_partner", "outsider"]
BASE_URL = "https://tandem.example.org"
PHASE_ITEMS = ["shared_vision", "leadership", "financing", "engagement", "data", "learning"]
TRUST, VALUE = ["reliability", "shared_mission", "openness"], ["power_influence", "resources", "involvement"]


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run in the test's process, whatever broker the environment names."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def phase_check(db) -> Instrument:
    return Instrument.objects.get(code="phase-check")


@pytest.fixture
def survey(db) -> Instrument:
    return Instrument.objects.get(code="relationship-survey")


@dataclass
class Partners:
    backbone_org: Organization
    supplier: Organization
    plan: Organization
    employers: Organization
    no_email: Organization  # a current partner whose only contact has a phone number


@pytest.fixture
def partners(world) -> Partners:
    """Kansas: four partners with a contact e-mail, one without."""
    network = world.network
    ContactFactory(organization=network.backbone, email="lead@backbone.example.org", is_primary=True)
    ContactFactory(organization=world.supplier, name="Aaron Abel", email="aaron@ymca.example.org")
    ContactFactory(
        organization=world.supplier, name="Pat Zeller", email="pat@ymca.example.org", is_primary=True
    )
    plan = OrganizationFactory(name="Sunflower Health Plan", sector=Sector.PAYER)
    employers = OrganizationFactory(name="Wichita Employers", sector=Sector.EMPLOYER)
    no_email = OrganizationFactory(name="Flint Hills Church", sector=Sector.FAITH_BASED)
    for organization in (plan, employers, no_email):
        MembershipFactory(network=network, organization=organization)
    ContactFactory(organization=plan, email="care@plan.example.org")
    ContactFactory(organization=employers, email="hr@employers.example.org")
    ContactFactory(organization=no_email, email="", phone="785-555-0100")
    # A former partner with an e-mail is not invited.
    former = OrganizationFactory(name="Gone Clinic")
    MembershipFactory(
        network=network,
        organization=former,
        joined_on=datetime.date(2022, 1, 1),
        left_on=datetime.date(2023, 6, 30),
    )
    ContactFactory(organization=former, email="old@gone.example.org")
    return Partners(network.backbone, world.supplier, plan, employers, no_email)


def open_round(
    network: Network,
    instrument: Instrument,
    capture,
    *,
    title: str = "Spring check",
    now: datetime.datetime | None = None,
    days: int = 30,
) -> AssessmentRound:
    """Open a round as of ``now``; its invitations go out (and are dated) then too."""
    now = now or timezone.now()
    with capture(execute=True):
        assessment_round = assessments.assessment_round_open(
            network=network,
            instrument=instrument,
            title=title,
            closes_on=timezone.localdate(now) + datetime.timedelta(days=days),
            base_url=BASE_URL,
            now=now,
        )
    assessment_round.invitations.filter(sent_at__isnull=False).update(sent_at=now)
    return assessment_round


def invitation(assessment_round: AssessmentRound, organization: Organization) -> AssessmentInvitation:
    return AssessmentInvitation.objects.get(round=assessment_round, organization=organization)


def phase_scores(*values: int) -> dict[str, int]:
    return dict(zip(PHASE_ITEMS, values, strict=True))


def rating(partner: Organization, closeness: str, trust: tuple, value: tuple) -> RelationshipAnswer:
    return RelationshipAnswer(partner.pk, closeness, dict(zip(TRUST + VALUE, trust + value, strict=True)))


# Opening a round and the e-mails


def test_open_invites_every_current_partner_with_an_email(
    world, partners, phase_check, mailoutbox, django_capture_on_commit_callbacks
):
    assessment_round = open_round(world.network, phase_check, django_capture_on_commit_callbacks)

    invitations = {
        i.organization.name: i for i in assessment_round.invitations.select_related("organization")
    }
    assert set(invitations) == {
        "Prairie YMCA",
        "Sunflower Health Plan",
        "Wichita Employers",
        world.network.backbone.name,
    }
    assert invitations["Prairie YMCA"].email == "pat@ymca.example.org"  # the primary contact first
    assert len({i.token for i in invitations.values()}) == 4
    assert all(len(i.token) >= 40 and i.sent_at is not None for i in invitations.values())

    assert len(mailoutbox) == 4
    by_address = {message.to[0]: message for message in mailoutbox}
    message = by_address["pat@ymca.example.org"]
    link = f"{BASE_URL}/assessments/{invitations['Prairie YMCA'].token}/"
    assert link in message.body
    assert "Spring check" in message.subject and "Prairie YMCA" in message.body
    assert "&amp;" not in message.body


def test_partners_without_an_email_are_listed_and_can_be_invited_later(
    world, partners, phase_check, mailoutbox, django_capture_on_commit_callbacks, client_for
):
    assessment_round = open_round(world.network, phase_check, django_capture_on_commit_callbacks)
    client = client_for(world.backbone)
    html = client.get(
        reverse("network:assessment_round_detail", args=["kansas", assessment_round.pk])
    ).content
    assert "Flint Hills Church" in html.decode() and "not invited: no e-mail" in html.decode()
    form_html = client.get(reverse("network:assessment_round_open", args=["kansas"])).content.decode()
    assert "Flint Hills Church" in form_html and "will not be invited: no e-mail" in form_html

    ContactFactory(organization=partners.no_email, email="pastor@church.example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("network:assessment_round_invite", args=["kansas", assessment_round.pk])
        )
    assert response.status_code == FOUND
    assert invitation(assessment_round, partners.no_email).sent_at is not None
    assert mailoutbox[-1].to == ["pastor@church.example.org"]
    assert len(mailoutbox) == 5


def test_open_refuses_a_past_closing_date_and_a_second_open_round_of_the_instrument(
    world, partners, phase_check, survey, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError):
        assessments.assessment_round_open(
            network=world.network,
            instrument=phase_check,
            title="Too late",
            closes_on=timezone.localdate() - datetime.timedelta(days=1),
            base_url=BASE_URL,
        )
    first = open_round(world.network, phase_check, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="still open"):
        open_round(world.network, phase_check, django_capture_on_commit_callbacks, title="Again")
    open_round(world.network, survey, django_capture_on_commit_callbacks)  # another instrument is fine
    assessments.assessment_round_close(assessment_round=first)
    open_round(world.network, phase_check, django_capture_on_commit_callbacks, title="Again")
    assert AssessmentRound.objects.filter(network=world.network).count() == 3


# Reminders and closing


def test_reminders_at_most_once_every_seven_days_and_never_after_the_round_closes(
    world, partners, phase_check, mailoutbox, django_capture_on_commit_callbacks
):
    t0 = timezone.now()
    assessment_round = open_round(
        world.network, phase_check, django_capture_on_commit_callbacks, now=t0, days=20
    )
    assessments.assessment_response_submit(
        invitation=invitation(assessment_round, partners.plan),
        scores=phase_scores(3, 3, 3, 3, 3, 3),
        phase="earlier",
    )
    mailoutbox.clear()

    def remind(days: float) -> int:
        return assessments.assessment_reminders_send(
            base_url=BASE_URL, now=t0 + datetime.timedelta(days=days)
        )

    assert remind(1) == 0  # the invitation went out yesterday
    assert remind(6.9) == 0
    assert remind(7) == 3  # everyone but the partner that answered
    assert {m.to[0] for m in mailoutbox} == {
        "lead@backbone.example.org",
        "pat@ymca.example.org",
        "hr@employers.example.org",
    }
    assert all("Reminder" in m.subject for m in mailoutbox)
    assert remind(8) == 0  # once in seven days
    assert remind(13.9) == 0
    assert remind(14) == 3
    supplier_invitation = invitation(assessment_round, partners.supplier)
    assert supplier_invitation.reminders_sent == 2
    assert supplier_invitation.last_reminded_at == t0 + datetime.timedelta(days=14)
    assert remind(21) == 0  # the round closed after its 20th day
    assert remind(28) == 0
    assert len(mailoutbox) == 6


def test_no_reminders_for_a_round_closed_early(
    world, partners, phase_check, mailoutbox, django_capture_on_commit_callbacks
):
    t0 = timezone.now() - datetime.timedelta(days=8)
    assessment_round = open_round(world.network, phase_check, django_capture_on_commit_callbacks, now=t0)
    assessments.assessment_round_close(assessment_round=assessment_round)
    mailoutbox.clear()
    assert assessments.assessment_reminders_send(base_url=BASE_URL) == 0
    assert mailoutbox == []


def test_the_daily_task_closes_overdue_rounds_sends_missed_invitations_and_reminds(
    world, partners, phase_check, survey, mailoutbox, django_capture_on_commit_callbacks
):
    """The beat job, through Celery (eager in tests)."""
    t0 = timezone.now() - datetime.timedelta(days=10)
    overdue = open_round(
        world.network, phase_check, django_capture_on_commit_callbacks, title="Overdue", now=t0, days=5
    )
    running = open_round(world.network, survey, django_capture_on_commit_callbacks, now=t0, days=30)
    # A lost message: one invitation never went out.
    lost = invitation(running, partners.plan)
    AssessmentInvitation.objects.filter(pk=lost.pk).update(sent_at=None)
    mailoutbox.clear()

    reminded = tasks.send_assessment_reminders.delay(BASE_URL).get()

    overdue.refresh_from_db()
    assert overdue.closed_at is not None
    assert reminded == 3  # the survey's three other invitations, sent ten days ago
    assert invitation(running, partners.plan).sent_at is not None
    subjects = sorted(m.subject.split(" ")[0] for m in mailoutbox)
    assert subjects == sorted(["Reminder", "Reminder", "Reminder", world.network.name.split(" ")[0]])
    assert all(overdue.title not in m.subject for m in mailoutbox)


def test_opening_a_round_queues_the_invitation_task_after_commit(
    world, partners, phase_check, mailoutbox, django_capture_on_commit_callbacks, client_for
):
    client = client_for(world.backbone)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("network:assessment_round_open", args=["kansas"]),
            {
                "instrument": phase_check.pk,
                "title": "Phase check, spring",
                "closes_on": (timezone.localdate() + datetime.timedelta(days=14)).isoformat(),
            },
        )
    assessment_round = AssessmentRound.objects.get()
    assert response.status_code == FOUND
    assert response["Location"] == reverse(
        "network:assessment_round_detail", args=["kansas", assessment_round.pk]
    )
    assert len(callbacks) == 1 and mailoutbox == []  # nothing is sent before the round is committed
    callbacks[0]()  # the commit: the task runs (eagerly)
    assert len(mailoutbox) == 4
    token = invitation(assessment_round, partners.supplier).token
    assert f"http://testserver/assessments/{token}/" in next(m.body for m in mailoutbox if "pat@" in m.to[0])
    assert tasks.send_assessment_invitations.delay(assessment_round.pk, BASE_URL).get() == 0  # idempotent


def test_send_reminders_now_button_uses_the_weekly_rule(
    world, partners, phase_check, mailoutbox, django_capture_on_commit_callbacks, client_for
):
    t0 = timezone.now() - datetime.timedelta(days=7, minutes=1)
    assessment_round = open_round(world.network, phase_check, django_capture_on_commit_callbacks, now=t0)
    mailoutbox.clear()
    client = client_for(world.backbone)
    url = reverse("network:assessment_round_remind", args=["kansas", assessment_round.pk])
    assert client.post(url, follow=True).content.decode().count("Sent 4 reminders") == 1
    assert "No reminders sent" in client.post(url, follow=True).content.decode()
    assert len(mailoutbox) == 4


def test_backbone_closes_a_round_early(
    world, partners, phase_check, django_capture_on_commit_callbacks, client_for
):
    assessment_round = open_round(world.network, phase_check, django_capture_on_commit_callbacks)
    response = client_for(world.backbone).post(
        reverse("network:assessment_round_close", args=["kansas", assessment_round.pk])
    )
    assert response.status_code == FOUND
    assessment_round.refresh_from_db()
    assert assessment_round.closed_at is not None
    first = assessment_round.closed_at
    assessments.assessment_round_close(assessment_round=assessment_round)
    assert assessment_round.closed_at == first


# Answering


def test_answering_twice_replaces_the_earlier_answers(
    world, partners, phase_check, django_capture_on_commit_callbacks
):
    assessment_round = open_round(world.network, phase_check, django_capture_on_commit_callbacks)
    mine = invitation(assessment_round, partners.supplier)
    assessments.assessment_response_submit(
        invitation=mine, scores=phase_scores(1, 2, 3, 4, 5, 1), phase="earlier"
    )
    assessments.assessment_response_submit(
        invitation=mine, scores=phase_scores(5, 5, 5, 5, 5, 5), phase="later"
    )
    mine.refresh_from_db()
    assert mine.phase == Phase.LATER and mine.submitted_at is not None
    assert sorted(ItemScore.objects.filter(invitation=mine).values_list("score", flat=True)) == [5] * 6


def test_answering_a_survey_twice_replaces_relationships_and_ratings(
    world, partners, survey, django_capture_on_commit_callbacks
):
    assessment_round = open_round(world.network, survey, django_capture_on_commit_callbacks)
    mine = invitation(assessment_round, partners.supplier)
    assessments.assessment_response_submit(
        invitation=mine,
        relationships=[
            rating(partners.plan, "cooperation", (1, 1, 1), (1, 1, 1)),
            rating(partners.employers, "awareness", (2, 2, 2), (2, 2, 2)),
        ],
    )
    assessments.assessment_response_submit(
        invitation=mine, relationships=[rating(partners.plan, "integration", (4, 4, 4), (3, 3, 3))]
    )
    assert list(SurveyRelationship.objects.values_list("partner__name", "closeness")) == [
        ("Sunflower Health Plan", "integration")
    ]
    assert sorted(ItemScore.objects.values_list("score", flat=True)) == [3, 3, 3, 4, 4, 4]
    assert not ItemScore.objects.filter(relationship__isnull=True).exists()


def test_answers_to_a_closed_round_are_refused(
    world, partners, phase_check, django_capture_on_commit_callbacks
):
    t0 = timezone.now() - datetime.timedelta(days=10)
    past = open_round(world.network, phase_check, django_capture_on_commit_callbacks, now=t0, days=3)
    with pytest.raises(ValidationError, match="closed"):  # past its last day, before the job closed it
        assessments.assessment_response_submit(
            invitation=invitation(past, partners.supplier),
            scores=phase_scores(3, 3, 3, 3, 3, 3),
            phase="earlier",
        )
    assessments.assessment_round_close(assessment_round=past)
    early = open_round(world.network, phase_check, django_capture_on_commit_callbacks, title="Closed early")
    assessments.assessment_round_close(assessment_round=early)
    with pytest.raises(ValidationError, match="closed"):
        assessments.assessment_response_submit(
            invitation=invitation(early, partners.supplier),
            scores=phase_scores(3, 3, 3, 3, 3, 3),
            phase="earlier",
        )
    assert not ItemScore.objects.exists()


def test_a_survey_rates_only_other_current_partners_on_every_item(
    world, partners, survey, django_capture_on_commit_callbacks
):
    assessment_round = open_round(world.network, survey, django_capture_on_commit_callbacks)
    mine = invitation(assessment_round, partners.supplier)
    outsider = SupplierFactory(name="Utah Clinic")
    former = Organization.objects.get(name="Gone Clinic")
    cases = {
        "itself": [rating(partners.supplier, "integration", (4, 4, 4), (4, 4, 4))],
        "a non-member": [rating(outsider, "awareness", (1, 1, 1), (1, 1, 1))],
        "a former partner": [rating(former, "awareness", (1, 1, 1), (1, 1, 1))],
        "twice": [
            rating(partners.plan, "awareness", (1, 1, 1), (1, 1, 1)),
            rating(partners.plan, "cooperation", (1, 1, 1), (1, 1, 1)),
        ],
        "missing an item": [RelationshipAnswer(partners.plan.pk, "awareness", {"reliability": 2})],
        "off the scale": [rating(partners.plan, "awareness", (5, 1, 1), (1, 1, 1))],
        "unknown closeness": [rating(partners.plan, "best friends", (1, 1, 1), (1, 1, 1))],
    }
    for case, relationships in cases.items():
        with pytest.raises(ValidationError):
            assessments.assessment_response_submit(invitation=mine, relationships=relationships)
            pytest.fail(case)
    with pytest.raises(ValidationError):  # a survey has no network-level scores
        assessments.assessment_response_submit(invitation=mine, scores={"reliability": 3})
    assert not SurveyRelationship.objects.exists() and not ItemScore.objects.exists()
    mine.refresh_from_db()
    assert mine.submitted_at is None


def test_a_phase_check_needs_every_item_on_the_scale_and_the_phase(
    world, partners, phase_check, django_capture_on_commit_callbacks
):
    assessment_round = open_round(world.network, phase_check, django_capture_on_commit_callbacks)
    mine = invitation(assessment_round, partners.supplier)
    for scores, phase in [
        ({"shared_vision": 3}, "earlier"),
        (phase_scores(3, 3, 3, 3, 3, 6), "earlier"),
        (phase_scores(0, 3, 3, 3, 3, 3), "earlier"),
        (phase_scores(3, 3, 3, 3, 3, 3), ""),
        ({**phase_scores(3, 3, 3, 3, 3, 3), "reliability": 3}, "middle"),
    ]:
        with pytest.raises(ValidationError):
            assessments.assessment_response_submit(invitation=mine, scores=scores, phase=phase)
    assert not ItemScore.objects.exists()


# The results formulas, against worked examples


def test_phase_check_results_worked_example(world, partners, phase_check, django_capture_on_commit_callbacks):
    assessment_round = open_round(world.network, phase_check, django_capture_on_commit_callbacks)
    answers = {
        partners.backbone_org: (phase_scores(4, 3, 1, 5, 2, 3), "earlier"),
        partners.supplier: (phase_scores(5, 3, 2, 4, 2, 4), "middle"),
        partners.plan: (phase_scores(3, 3, 1, 4, 5, 2), "earlier"),
    }  # Wichita Employers does not answer
    for organization, (scores, phase) in answers.items():
        assessments.assessment_response_submit(
            invitation=invitation(assessment_round, organization), scores=scores, phase=phase
        )

    results = assessments.assessment_results(assessment_round=assessment_round)

    assert (results.invited, results.answered, results.response_rate) == (4, 3, 0.75)
    by_code = {row.item.code: row for row in results.items}
    # Means by hand: (4+5+3)/3, (3+3+3)/3, (1+2+1)/3, (5+4+4)/3, (2+2+5)/3, (3+4+2)/3
    expected = {
        "shared_vision": 4.0,
        "leadership": 3.0,
        "financing": 4 / 3,
        "engagement": 13 / 3,
        "data": 3.0,
        "learning": 3.0,
    }
    for code, mean in expected.items():
        assert by_code[code].mean == pytest.approx(mean), code
        assert by_code[code].answers == 3
    assert by_code["shared_vision"].distribution == {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}
    assert by_code["financing"].distribution == {1: 2, 2: 1, 3: 0, 4: 0, 5: 0}
    assert by_code["shared_vision"].name == "Shared vision"
    assert [(value, n) for value, _, n in results.phases] == [("earlier", 2), ("middle", 1), ("later", 0)]
    assert results.closeness == []


def test_relationship_survey_results_worked_example(
    world, partners, survey, django_capture_on_commit_callbacks
):
    assessment_round = open_round(world.network, survey, django_capture_on_commit_callbacks)
    a, b, c, d = partners.backbone_org, partners.supplier, partners.plan, partners.employers
    submit = assessments.assessment_response_submit
    submit(
        invitation=invitation(assessment_round, a),
        relationships=[
            rating(b, "cooperation", (4, 3, 2), (1, 2, 3)),
            rating(c, "awareness", (2, 2, 2), (1, 1, 1)),
        ],
    )
    submit(
        invitation=invitation(assessment_round, c),
        relationships=[
            rating(b, "integration", (4, 4, 4), (2, 2, 2)),
            rating(a, "coordination", (3, 3, 3), (4, 4, 4)),
        ],
    )
    submit(invitation=invitation(assessment_round, b), relationships=[])  # works with nobody
    # D (Wichita Employers) does not answer.

    ratings = assessments.assessment_ratings_by_organization(assessment_round=assessment_round)

    assert ratings.domains == ["trust", "value"]
    rows = {row.organization: row for row in ratings.rows}
    assert set(rows) == {a, b, c, d}
    # B: trust (4+3+2 + 4+4+4)/6 = 3.5, value (1+2+3 + 2+2+2)/6 = 2.0, named by A and C.
    assert rows[b].named_by == 2
    assert rows[b].domain_means == {"trust": pytest.approx(3.5), "value": pytest.approx(2.0)}
    assert rows[b].closeness == {"awareness": 0, "cooperation": 1, "coordination": 0, "integration": 1}
    # A: rated by C only: trust 3, value 4. C: rated by A only: trust 2, value 1.
    assert (rows[a].named_by, rows[a].domain_means) == (1, {"trust": 3.0, "value": 4.0})
    assert (rows[c].named_by, rows[c].domain_means) == (1, {"trust": 2.0, "value": 1.0})
    assert rows[c].closeness["awareness"] == 1
    # D: nobody named it.
    assert (rows[d].named_by, rows[d].domain_means) == (0, {"trust": None, "value": None})

    results = assessments.assessment_results(assessment_round=assessment_round)
    assert (results.invited, results.answered) == (4, 3)
    by_code = {row.item.code: row for row in results.items}
    # Reliability ratings: A->B 4, A->C 2, C->B 4, C->A 3.
    assert by_code["reliability"].mean == pytest.approx(13 / 4)
    assert by_code["reliability"].answers == 4
    assert by_code["reliability"].distribution == {1: 0, 2: 1, 3: 1, 4: 2}
    assert [(value, n) for value, _, n in results.closeness] == [
        ("awareness", 1),
        ("cooperation", 1),
        ("coordination", 1),
        ("integration", 1),
    ]
    assert results.phases == []


def test_trend_of_item_means_over_rounds(world, partners, phase_check, django_capture_on_commit_callbacks):
    first = open_round(
        world.network, phase_check, django_capture_on_commit_callbacks, title="Year one", now=timezone.now()
    )
    for organization, value in [(partners.supplier, 2), (partners.plan, 3)]:
        assessments.assessment_response_submit(
            invitation=invitation(first, organization), scores=phase_scores(*[value] * 6), phase="earlier"
        )
    assessments.assessment_round_close(assessment_round=first)
    second = open_round(world.network, phase_check, django_capture_on_commit_callbacks, title="Year two")
    assessments.assessment_response_submit(
        invitation=invitation(second, partners.supplier),
        scores=phase_scores(5, 4, 4, 4, 4, 4),
        phase="middle",
    )

    trend = assessments.assessment_trend(network=world.network, instrument=phase_check)

    assert [row.assessment_round.title for row in trend.rounds] == ["Year one", "Year two"]
    shared_vision = trend.items[0][0]
    assert [row.means[shared_vision.pk] for row in trend.rounds] == [2.5, 5.0]
    assert [
        (row.assessment_round.answered_count, row.assessment_round.invited_count) for row in trend.rounds
    ] == [
        (2, 4),
        (1, 4),
    ]


# Pages: the role matrix


@pytest.fixture
def a_round(world, partners, phase_check, django_capture_on_commit_callbacks) -> AssessmentRound:
    assessment_round = open_round(world.network, phase_check, django_capture_on_commit_callbacks)
    assessments.assessment_response_submit(
        invitation=invitation(assessment_round, partners.supplier),
        scores=phase_scores(4, 3, 2, 4, 3, 3),
        phase="middle",
    )
    return assessment_round


def view_pages(slug: str, pk: int) -> dict[str, str]:
    """Network-level pages: everyone who may view the network."""
    return {
        "assessment_list": reverse("network:assessment_list", args=[slug]),
        "assessment_results": reverse("network:assessment_results", args=[slug, pk]),
    }


def manage_pages(slug: str, pk: int) -> dict[str, str]:
    """Who was invited and answered, and answers by organization: backbone staff only."""
    return {
        "assessment_round_open": reverse("network:assessment_round_open", args=[slug]),
        "assessment_round_detail": reverse("network:assessment_round_detail", args=[slug, pk]),
        "assessment_results_by_organization": reverse(
            "network:assessment_results_by_organization", args=[slug, pk]
        ),
    }


def post_only_pages(slug: str, pk: int) -> dict[str, str]:
    return {
        name: reverse(f"network:{name}", args=[slug, pk])
        for name in ("assessment_round_remind", "assessment_round_invite", "assessment_round_close")
    }


def expected(role: str, *, manage: bool) -> int:
    if role in ("backbone", "admin"):
        return OK
    if role in ("partner", "state_viewer"):
        return FORBIDDEN if manage else OK
    return NOT_FOUND


@pytest.mark.parametrize("role", ROLES)
def test_pages_role_matrix(world, a_round, client_for, role):
    client = client_for(getattr(world, role))
    for page, url in view_pages("kansas", a_round.pk).items():
        assert client.get(url).status_code == expected(role, manage=False), (role, page)
    for page, url in manage_pages("kansas", a_round.pk).items():
        assert client.get(url).status_code == expected(role, manage=True), (role, page)


@pytest.mark.parametrize("role", ["partner", "state_viewer", "other_backbone", "other_partner", "outsider"])
def test_posts_need_backbone_staff_and_change_nothing(
    world, a_round, phase_check, client_for, mailoutbox, role
):
    client = client_for(getattr(world, role))
    status = expected(role, manage=True)
    data = {"instrument": phase_check.pk, "title": "Taken over", "closes_on": "2099-01-01"}
    mailoutbox.clear()
    pages = {**manage_pages("kansas", a_round.pk), **post_only_pages("kansas", a_round.pk)}
    for page, url in pages.items():
        assert client.post(url, data).status_code == status, (role, page)
    a_round.refresh_from_db()
    assert a_round.closed_at is None
    assert AssessmentRound.objects.count() == 1
    assert mailoutbox == []


def test_post_only_pages_redirect_or_refuse_a_get(world, a_round, client_for):
    for role in ROLES:
        client = client_for(getattr(world, role))
        for page, url in post_only_pages("kansas", a_round.pk).items():
            status = client.get(url).status_code
            if role in ("backbone", "admin"):
                assert status == FOUND, (role, page)  # back to the round's page
            else:
                assert status == expected(role, manage=True), (role, page)


def test_anonymous_visitors_are_sent_to_sign_in_except_on_the_answer_page(world, a_round, client, partners):
    pages = {
        **view_pages("kansas", a_round.pk),
        **manage_pages("kansas", a_round.pk),
        **post_only_pages("kansas", a_round.pk),
    }
    for url in pages.values():
        for response in (client.get(url), client.post(url, {})):
            assert response.status_code == FOUND
            assert response["Location"].startswith(reverse("login"))
    token = invitation(a_round, partners.plan).token
    assert client.get(reverse("network:assessment_answer", args=[token])).status_code == OK


def test_rounds_of_another_network_are_not_found(
    world, a_round, phase_check, django_capture_on_commit_callbacks, client_for
):
    utah = open_round(world.other_network, phase_check, django_capture_on_commit_callbacks)
    client = client_for(world.backbone)
    pages = {
        **view_pages("kansas", utah.pk),
        **manage_pages("kansas", utah.pk),
        **post_only_pages("kansas", utah.pk),
    }
    del pages["assessment_list"], pages["assessment_round_open"]
    for page, url in pages.items():
        assert client.get(url).status_code == NOT_FOUND, page
        assert client.post(url).status_code == NOT_FOUND, page
    utah.refresh_from_db()
    assert utah.closed_at is None


def test_read_only_users_see_network_level_results_only(
    world, partners, survey, django_capture_on_commit_callbacks, client_for
):
    assessment_round = open_round(world.network, survey, django_capture_on_commit_callbacks)
    assessments.assessment_response_submit(
        invitation=invitation(assessment_round, partners.plan),
        relationships=[rating(partners.employers, "coordination", (4, 4, 4), (4, 4, 4))],
    )
    results_url = reverse("network:assessment_results", args=["kansas", assessment_round.pk])
    for role in ("partner", "state_viewer"):
        client = client_for(getattr(world, role))
        html = client.get(results_url).content.decode()
        assert "response rate" in html and "Reliability" in html and "Coordination" in html
        assert "Wichita Employers" not in html and "Sunflower Health Plan" not in html
        assert "Answers by organization" not in html
        list_html = client.get(reverse("network:assessment_list", args=["kansas"])).content.decode()
        assert "Open a round" not in list_html and assessment_round.title in list_html
    by_organization = reverse(
        "network:assessment_results_by_organization", args=["kansas", assessment_round.pk]
    )
    html = client_for(world.backbone).get(by_organization).content.decode()
    assert "Wichita Employers" in html and "Mean trust" in html and "4.0" in html


# The answer page, by the secret link


def test_an_unknown_token_is_not_found(client, world):
    assert client.get(reverse("network:assessment_answer", args=["no-such-token"])).status_code == NOT_FOUND
    assert (
        client.post(reverse("network:assessment_answer", args=["no-such-token"]), {}).status_code == NOT_FOUND
    )


def test_a_token_of_a_closed_round_shows_a_polite_page(world, a_round, partners, client):
    assessments.assessment_round_close(assessment_round=a_round)
    url = reverse("network:assessment_answer", args=[invitation(a_round, partners.plan).token])
    for response in (client.get(url), client.post(url, phase_scores(3, 3, 3, 3, 3, 3))):
        assert response.status_code == GONE
        assert "This round has closed" in response.content.decode()
    assert not ItemScore.objects.filter(invitation__organization=partners.plan).exists()


def test_a_partner_answers_the_phase_check_without_signing_in(world, a_round, partners, client):
    mine = invitation(a_round, partners.plan)
    url = reverse("network:assessment_answer", args=[mine.token])
    html = client.get(url).content.decode()
    assert "Sunflower Health Plan" in html and "Earlier phase" in html and "1: Not yet" in html
    assert "region-wide vision" in html  # the Pulse Check's description of the Earlier phase

    data = {f"item_{code}": "4" for code in PHASE_ITEMS} | {"phase": "middle"}
    response = client.post(url, data)
    assert response.status_code == FOUND and response["Location"] == url
    mine.refresh_from_db()
    assert mine.phase == "middle" and mine.scores.count() == 6
    html = client.get(url).content.decode()
    assert "Thank you" in html and "Save the new answers" in html
    assert 'value="4" id="id_item_financing_3" checked' in html  # the form shows the answers given

    response = client.post(url, {**data, "item_financing": "1"})
    assert sorted(mine.scores.values_list("score", flat=True)) == [1, 4, 4, 4, 4, 4]


def test_phase_check_errors_are_listed_at_the_top_and_next_to_the_fields(world, a_round, partners, client):
    url = reverse("network:assessment_answer", args=[invitation(a_round, partners.plan).token])
    response = client.post(url, {"item_shared_vision": "3", "item_leadership": "9"})
    html = response.content.decode()
    assert response.status_code == OK
    assert "6 answers need attention" in html  # leadership off the scale, four items and the phase missing
    assert html.count("Choose a score for “Financing”.") == 2  # in the summary and by the field
    assert html.count("Choose the phase the network is in") == 2
    assert 'href="#id_item_financing"' in html
    assert not ItemScore.objects.filter(invitation__organization=partners.plan).exists()


def test_a_partner_answers_the_relationship_survey(
    world, partners, survey, django_capture_on_commit_callbacks, client
):
    assessment_round = open_round(world.network, survey, django_capture_on_commit_callbacks)
    mine = invitation(assessment_round, partners.plan)
    url = reverse("network:assessment_answer", args=[mine.token])
    html = client.get(url).content.decode()
    # Every other current partner, not itself, not a former partner.
    for name in ("Prairie YMCA", "Wichita Employers", "Flint Hills Church", world.network.backbone.name):
        assert name in html
    assert "How closely do you work with Sunflower Health Plan" not in html and "Gone Clinic" not in html

    supplier, employers, church = partners.supplier.pk, partners.employers.pk, partners.no_email.pk
    data = {f"p{supplier}-closeness": "coordination"} | {f"p{supplier}-{code}": "3" for code in TRUST + VALUE}
    data |= {f"p{employers}-closeness": "awareness", f"p{employers}-reliability": "2"}  # 5 ratings missing
    data |= {f"p{church}-openness": "4"}  # rated, but no closeness chosen
    html = client.post(url, data).content.decode()
    assert "6 answers need attention" in html
    assert html.count("Rate Wichita Employers on “This partner shares the network") == 2
    assert html.count("You rated Flint Hills Church: choose how closely you work with them") == 2
    assert not SurveyRelationship.objects.exists()

    data |= {f"p{employers}-{code}": "2" for code in TRUST + VALUE}
    data[f"p{church}-openness"] = ""
    assert client.post(url, data).status_code == FOUND
    assert sorted(mine.relationships.values_list("partner__name", "closeness")) == [
        ("Prairie YMCA", "coordination"),
        ("Wichita Employers", "awareness"),
    ]
    assert mine.scores.count() == 12
    assert "selected>Coordination</option>" in client.get(url).content.decode()


def test_results_tables_download_as_csv(
    world, partners, survey, phase_check, django_capture_on_commit_callbacks, client_for
):
    assessment_round = open_round(world.network, phase_check, django_capture_on_commit_callbacks)
    assessments.assessment_response_submit(
        invitation=invitation(assessment_round, partners.plan),
        scores=phase_scores(4, 3, 2, 4, 3, 3),
        phase="later",
    )
    client = client_for(world.state_viewer)
    url = reverse("network:assessment_results", args=["kansas", assessment_round.pk])
    for slug, text in [
        ("scores-per-item", "Shared vision,1,4.00,0,0,0,1,0"),
        ("phases", "Later phase,1"),
        ("trend", "Spring check"),
    ]:
        response = client.get(url, {"download": slug})
        assert response["Content-Type"].startswith("text/csv"), slug
        assert text in response.content.decode("utf-8-sig"), slug

    by_organization = reverse(
        "network:assessment_results_by_organization", args=["kansas", assessment_round.pk]
    )
    csv = client_for(world.backbone).get(by_organization, {"download": "answers-by-partner"}).content
    assert "Sunflower Health Plan" in csv.decode("utf-8-sig") and "Later phase" in csv.decode("utf-8-sig")

    survey_round = open_round(world.network, survey, django_capture_on_commit_callbacks)
    assessments.assessment_response_submit(
        invitation=invitation(survey_round, partners.plan),
        relationships=[rating(partners.supplier, "integration", (4, 3, 2), (1, 1, 1))],
    )
    url = reverse("network:assessment_results_by_organization", args=["kansas", survey_round.pk])
    ratings = (
        client_for(world.backbone)
        .get(url, {"download": "ratings-by-organization"})
        .content.decode("utf-8-sig")
    )
    assert "Prairie YMCA,1,3.00,1.00" in ratings
    closeness = (
        client_for(world.backbone)
        .get(url, {"download": "closeness-by-organization"})
        .content.decode("utf-8-sig")
    )
    assert "Prairie YMCA,0,0,0,1" in closeness


# Queries do not grow with the number of partners


def add_answering_partners(assessment_round: AssessmentRound, n: int) -> None:
    network = assessment_round.network
    for i in range(n):
        organization = OrganizationFactory(name=f"Partner {assessment_round.pk}-{i}")
        MembershipFactory(network=network, organization=organization)
        ContactFactory(organization=organization)
    assessments.assessment_invitations_add(assessment_round=assessment_round, base_url=BASE_URL)
    others = list(network.memberships.filter(left_on__isnull=True).values_list("organization_id", flat=True))
    for mine in assessment_round.invitations.filter(submitted_at__isnull=True)[: n // 2 + 1]:
        if assessment_round.instrument.code == "phase-check":
            assessments.assessment_response_submit(
                invitation=mine, scores=phase_scores(*[3] * 6), phase="middle"
            )
        else:
            targets = [pk for pk in others if pk != mine.organization_id][:3]
            assessments.assessment_response_submit(
                invitation=mine,
                relationships=[
                    RelationshipAnswer(pk, "cooperation", dict.fromkeys(TRUST + VALUE, 3)) for pk in targets
                ],
            )


@pytest.mark.parametrize("code", ["phase-check", "relationship-survey"])
def test_pages_make_the_same_number_of_queries_for_few_and_many_partners(
    world, partners, code, client_for, client, django_capture_on_commit_callbacks, django_assert_num_queries
):
    instrument = Instrument.objects.get(code=code)
    assessment_round = open_round(world.network, instrument, django_capture_on_commit_callbacks)
    answerer = invitation(assessment_round, partners.plan)
    backbone = client_for(world.backbone)
    urls = [
        *view_pages("kansas", assessment_round.pk).values(),
        *manage_pages("kansas", assessment_round.pk).values(),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        add_answering_partners(assessment_round, 1)
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert backbone.get(url).status_code == OK
        counts[url] = len(queries.captured_queries)
    backbone.logout()
    answer_url = reverse("network:assessment_answer", args=[answerer.token])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(answer_url).status_code == OK
    counts[answer_url] = len(queries.captured_queries)

    with django_capture_on_commit_callbacks(execute=True):
        add_answering_partners(assessment_round, 12)
    backbone = client_for(world.backbone)
    for url in urls:
        with django_assert_num_queries(counts[url]):
            assert backbone.get(url).status_code == OK
    backbone.logout()
    with django_assert_num_queries(counts[answer_url]):
        assert client.get(answer_url).status_code == OK
