"""Monthly reporting pages: every page and button against the role matrix, the month form (with and
without mistakes), the report page, the review queue, completeness and the state viewer's list."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.calendar import month_add
from metrics import services
from metrics.models import MonthlyReport, ReportEvent, ReportSource, ReportStatus, ReportValue, ReportVersion
from metrics.services import cells_of
from metrics.tests.factories import values_for
from network.models import DataSharing, Membership, Network
from network.tests.factories import MembershipFactory
from partners.models import County
from partners.tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

OK, FOUND, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404
ROLES = ["backbone", "admin", "partner", "state_viewer", "other_backbone", "other_partner", "outsider"]
TODAY = timezone.localdate()
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = month_add(THIS_MONTH, -1)
LOCKED_MONTH = datetime.date(2023, 3, 1)  # the supplier joined on 2023-01-01; long locked since


def label(month: datetime.date) -> str:
    return f"{month:%Y-%m}"


def save(world, totals, *, month=LAST_MONTH, submit=True, seed=0, organization=None, today=None):
    """A month saved as if on the second day of the following month (still open, whatever today is)."""
    today = today or month_add(month, 1) + datetime.timedelta(days=1)
    return services.report_save(
        network=world.network,
        organization=organization or world.supplier,
        month=month,
        values=values_for(world.network, totals, seed=seed),
        user=world.partner,
        source=ReportSource.FORM,
        submit=submit,
        today=today,
    )


def share_with_state(world) -> None:
    Membership.objects.filter(pk=world.membership.pk).update(data_sharing=DataSharing.BACKBONE_AND_STATE)


@pytest.fixture
def report(world) -> MonthlyReport:
    return save(world, {"enrollments": 4, "active_participants": 9})


def partner_pages(world) -> dict[str, str]:
    args = ["kansas", world.supplier.pk]
    return {
        "reporting_months": reverse("metrics:reporting_months", args=args),
        "report_form": reverse("metrics:report_form", args=[*args, label(THIS_MONTH)]),
    }


def backbone_pages() -> dict[str, str]:
    return {
        "review_queue": reverse("metrics:review_queue", args=["kansas"]),
        "completeness": reverse("metrics:completeness", args=["kansas"]),
    }


def form_data(cells: dict[str, object], action: str = "submit") -> dict[str, object]:
    """POST data of the month form: ``cells`` by field name, everything else blank."""
    return {"action": action, "note": "", **cells}


def everything_unknown(measure: str, total: int) -> dict[str, int]:
    """A measure whose total is all "unknown" in every breakdown: the shortest month that adds up."""
    cells = {f"{measure}__total__all": total}
    for breakdown in ("race", "ethnicity", "sex", "age_group", "payer", "delivery_mode", "county"):
        cells[f"{measure}__{breakdown}__unknown"] = total
    return cells


# The role matrix


def expected_partner_page(role: str) -> int:
    return {"partner": OK, "admin": OK, "backbone": FORBIDDEN, "state_viewer": FORBIDDEN}.get(role, NOT_FOUND)


def expected_backbone_page(role: str) -> int:
    return {"backbone": OK, "admin": OK, "partner": FORBIDDEN, "state_viewer": FORBIDDEN}.get(role, NOT_FOUND)


@pytest.mark.parametrize("role", ROLES)
def test_pages_role_matrix(world, report, client_for, role):
    client = client_for(getattr(world, role))
    for page, url in partner_pages(world).items():
        assert client.get(url).status_code == expected_partner_page(role), (role, page)
    for page, url in backbone_pages().items():
        assert client.get(url).status_code == expected_backbone_page(role), (role, page)
    list_status = OK if role in ("backbone", "admin", "partner", "state_viewer") else NOT_FOUND
    assert client.get(reverse("metrics:report_list", args=["kansas"])).status_code == list_status, role
    # The state viewer sees the report only once the partner shares it with the state.
    detail = reverse("metrics:report_detail", args=["kansas", report.pk])
    detail_status = OK if role in ("backbone", "admin", "partner") else NOT_FOUND
    assert client.get(detail).status_code == detail_status, role


@pytest.mark.parametrize("role", ROLES)
def test_a_shared_report_is_read_only_for_the_state_viewer(world, report, client_for, role):
    share_with_state(world)
    client = client_for(getattr(world, role))
    response = client.get(reverse("metrics:report_detail", args=["kansas", report.pk]))
    assert response.status_code == (
        OK if role in ("backbone", "admin", "partner", "state_viewer") else NOT_FOUND
    )
    if role == "state_viewer":
        page = response.content.decode()
        for button in ("Approve", "Return to", "Correct the month", "Reopen"):
            assert button not in page


def test_anonymous_visitors_are_sent_to_sign_in(world, report, client):
    args = ["kansas", world.supplier.pk, label(LAST_MONTH)]
    urls = [
        *partner_pages(world).values(),
        *backbone_pages().values(),
        reverse("metrics:report_list", args=["kansas"]),
        reverse("metrics:report_detail", args=["kansas", report.pk]),
        reverse("metrics:report_submit", args=["kansas", report.pk]),
        reverse("metrics:report_approve", args=["kansas", report.pk]),
        reverse("metrics:report_return", args=["kansas", report.pk]),
        reverse("metrics:report_nothing", args=args),
        reverse("metrics:report_reopen", args=args),
    ]
    for url in urls:
        for response in (client.get(url), client.post(url, {"comment": "x"})):
            assert response.status_code == FOUND, url
            assert response["Location"].startswith(reverse("login")), url
    assert MonthlyReport.objects.get().status == ReportStatus.SUBMITTED


def writes(world, report) -> dict[str, tuple[str, dict[str, object]]]:
    """Every POST of the reporting pages, with data that would change something."""
    org = ["kansas", world.supplier.pk]
    return {
        "report_form": (
            reverse("metrics:report_form", args=[*org, label(THIS_MONTH)]),
            form_data(everything_unknown("enrollments", 3)),
        ),
        "report_nothing": (reverse("metrics:report_nothing", args=[*org, label(THIS_MONTH)]), {}),
        "report_submit": (reverse("metrics:report_submit", args=["kansas", report.pk]), {}),
        "report_approve": (reverse("metrics:report_approve", args=["kansas", report.pk]), {"version": 1}),
        "report_return": (
            reverse("metrics:report_return", args=["kansas", report.pk]),
            {"version": 1, "comment": "No"},
        ),
        "report_reopen": (reverse("metrics:report_reopen", args=[*org, label(LOCKED_MONTH)]), {}),
    }


def expected_write(role: str, page: str, *, shared: bool) -> int:
    if role in ("other_backbone", "other_partner", "outsider"):
        return NOT_FOUND
    if page in ("report_form", "report_nothing"):
        return expected_partner_page(role)
    if page == "report_reopen":
        return expected_backbone_page(role)
    # A report: the state viewer does not even see it unless the partner shares with the state.
    if role == "state_viewer" and not shared:
        return NOT_FOUND
    return FORBIDDEN


def snapshot() -> tuple:
    return (
        list(
            MonthlyReport.objects.order_by("pk").values_list(
                "pk", "status", "reopened_until", "current_version"
            )
        ),
        ReportVersion.objects.count(),
        ReportValue.objects.count(),
        ReportEvent.objects.count(),
    )


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize(
    "role", ["partner", "backbone", "state_viewer", "other_backbone", "other_partner", "outsider"]
)
def test_writes_by_those_without_the_right_change_nothing(world, client_for, role, shared):
    report = save(world, {"enrollments": 4}, submit=False)
    if shared:
        share_with_state(world)
    client = client_for(getattr(world, role))
    before = snapshot()
    for page, (url, data) in writes(world, report).items():
        if role == "partner" and page in ("report_form", "report_nothing", "report_submit"):
            continue  # partner staff may: tested below
        if role == "backbone" and page in ("report_approve", "report_return", "report_reopen"):
            continue  # backbone staff may: tested below
        assert client.post(url, data).status_code == expected_write(role, page, shared=shared), (role, page)
    assert snapshot() == before


def test_post_only_pages_authorise_a_get_too(world, report, client_for):
    for role in ROLES:
        client = client_for(getattr(world, role))
        for page, (url, _) in writes(world, report).items():
            if page == "report_form":
                continue
            status = client.get(url).status_code
            allowed = (role in ("partner", "admin") and page in ("report_nothing", "report_submit")) or (
                role in ("backbone", "admin") and page in ("report_approve", "report_return", "report_reopen")
            )
            if allowed:
                assert status == FOUND, (role, page)  # back to the page with the button
            else:
                assert status in (FORBIDDEN, NOT_FOUND), (role, page)
    assert MonthlyReport.objects.get().status == ReportStatus.SUBMITTED


def test_another_networks_report_and_unknown_organizations_are_not_found(world, report, client_for):
    client = client_for(world.backbone)
    other = world.other_network.memberships.get().organization
    assert client.get(reverse("metrics:report_detail", args=["utah", report.pk])).status_code == NOT_FOUND
    for name in ("reporting_months", "report_reopen"):
        args = ["kansas", other.pk] + ([label(LOCKED_MONTH)] if name == "report_reopen" else [])
        assert client.post(reverse(f"metrics:{name}", args=args)).status_code in (NOT_FOUND,), name
    partner = client_for(world.partner)
    assert (
        partner.get(reverse("metrics:reporting_months", args=["kansas", other.pk])).status_code == NOT_FOUND
    )
    bad_month = reverse("metrics:report_form", args=["kansas", world.supplier.pk, "2024-13"])
    assert partner.get(bad_month).status_code == NOT_FOUND
    assert (
        partner.get(reverse("metrics:report_form", args=["kansas", world.supplier.pk, "soon"])).status_code
        == 404
    )


def test_partner_staff_of_another_member_get_403_for_this_one(world, client_for):
    neighbour = SupplierFactory(name="Flint Hills Clinic")
    MembershipFactory(network=world.network, organization=neighbour, reports_monthly=True)
    client = client_for(world.partner)
    for name in ("reporting_months", "report_form"):
        args = ["kansas", neighbour.pk] + ([label(LAST_MONTH)] if name == "report_form" else [])
        assert client.get(reverse(f"metrics:{name}", args=args)).status_code == FORBIDDEN
    url = reverse("metrics:report_form", args=["kansas", neighbour.pk, label(LAST_MONTH)])
    assert client.post(url, form_data(everything_unknown("enrollments", 2))).status_code == FORBIDDEN
    assert not MonthlyReport.objects.exists()


# A partner's months


def test_the_months_list_shows_status_due_date_and_actions(world, client_for):
    Network.objects.filter(pk=world.network.pk).update(report_lock_days=100)  # three months open
    world.network.refresh_from_db()
    returned = save(world, {"enrollments": 4}, month=month_add(LAST_MONTH, -1))
    services.report_return(
        report=returned,
        version=returned.current_version.number,
        user=world.backbone,
        comment="Payer does not add up",
    )
    save(world, {"enrollments": 2}, month=month_add(LAST_MONTH, -2), submit=False)
    client = client_for(world.partner)
    page = client.get(
        reverse("metrics:reporting_months", args=["kansas", world.supplier.pk])
    ).content.decode()
    # Newest first, from the last month that is over: the current month is reported once it ends.
    assert f"{THIS_MONTH:%B %Y}" not in page
    assert page.index(f"{LAST_MONTH:%B %Y}") < page.index(f"{month_add(LAST_MONTH, -1):%B %Y}")
    assert "Not started" in page and "Draft" in page and "Returned for correction" in page
    assert "Payer does not add up" in page
    assert "Locked" in page  # 2023 months are long locked
    assert "Fill in" in page and "Correct" in page
    assert "Nothing to report this month" in page
    assert f"/networks/kansas/organizations/{world.supplier.pk}/uploads/new/" in page
    # Two years by default, every month on request.
    rows = len(re.findall(r'<th scope="row">', page))
    assert rows == 24
    everything = client.get(
        reverse("metrics:reporting_months", args=["kansas", world.supplier.pk]) + "?all=1"
    )
    months_since_joining = (LAST_MONTH.year - 2023) * 12 + LAST_MONTH.month
    assert len(re.findall(r'<th scope="row">', everything.content.decode())) == months_since_joining


def test_nothing_to_report_is_one_click(world, client_for):
    client = client_for(world.partner)
    url = reverse("metrics:report_nothing", args=["kansas", world.supplier.pk, label(LAST_MONTH)])
    response = client.post(url)
    assert response.status_code == FOUND
    report = MonthlyReport.objects.get()
    assert report.status == ReportStatus.SUBMITTED and report.current_version.nothing_to_report
    page = client.get(response["Location"]).content.decode()
    assert "Nothing to report" in page


def test_nothing_to_report_for_a_locked_month_is_refused_with_the_reason(world, client_for):
    client = client_for(world.partner)
    url = reverse("metrics:report_nothing", args=["kansas", world.supplier.pk, label(LOCKED_MONTH)])
    response = client.post(url, follow=True)
    assert "was locked on" in response.content.decode()
    assert not MonthlyReport.objects.exists()


# The month form


def form_url(world, month=LAST_MONTH) -> str:
    return reverse("metrics:report_form", args=["kansas", world.supplier.pk, label(month)])


def test_a_month_that_adds_up_is_submitted_and_a_blank_measure_is_not_reported(world, client_for):
    client = client_for(world.partner)
    cells = {
        **everything_unknown("active_participants", 5),
        "enrollments__total__all": 3,
        "enrollments__race__black": 1,
        "enrollments__race__white": 2,
        "enrollments__ethnicity__not_hispanic": 3,
        "enrollments__sex__female": 3,
        "enrollments__age_group__45-64": 3,
        "enrollments__payer__medicare": 3,
        "enrollments__delivery_mode__in_person": 3,
        "enrollments__county__unknown": 3,
    }
    response = client.post(form_url(world), form_data(cells))
    report = MonthlyReport.objects.get()
    assert response.status_code == FOUND
    assert response["Location"] == reverse("metrics:report_detail", args=["kansas", report.pk])
    assert report.status == ReportStatus.SUBMITTED
    stored = cells_of(report.current_version)
    assert stored["enrollments", "race", "black"] == 1
    assert stored["active_participants", "total", "all"] == 5
    assert not any(measure == "referrals" for measure, _, _ in stored)  # every cell blank: not reported
    assert report.current_version.source == ReportSource.FORM


def test_save_a_draft_then_submit_it_from_the_report_page(world, client_for):
    client = client_for(world.partner)
    client.post(form_url(world), form_data(everything_unknown("referrals", 6), action="draft"))
    report = MonthlyReport.objects.get()
    assert report.status == ReportStatus.DRAFT
    page = client.get(reverse("metrics:report_detail", args=["kansas", report.pk])).content.decode()
    assert "Submit version 1" in page
    client.post(reverse("metrics:report_submit", args=["kansas", report.pk]))
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_a_month_that_does_not_add_up_lists_every_problem_keeps_the_input_and_stores_nothing(
    world, client_for
):
    client = client_for(world.partner)
    cells = {
        **everything_unknown("enrollments", 4),
        "enrollments__race__unknown": 3,
        "referrals__total__all": 2,
    }
    response = client.post(form_url(world), form_data(cells))
    page = response.content.decode()
    assert response.status_code == OK
    assert not MonthlyReport.objects.exists() and not ReportVersion.objects.exists()
    assert 'id="error-summary"' in page
    assert "Enrollments by race adds up to 3, but the total is 4" in page
    # The summary links to the breakdown's first input; each input of that column is marked and
    # described by the message shown above the breakdown.
    assert 'href="#id_enrollments__race__aian"' in page
    assert '<span class="usa-error-message" id="error-race-enrollments">' in page
    race_input = re.search(r'<input [^>]*name="enrollments__race__unknown"[^>]*>', page)[0]
    assert 'aria-invalid="true"' in race_input and 'aria-describedby="error-race-enrollments"' in race_input
    assert "usa-input--error" in race_input
    sex_input = re.search(r'<input [^>]*name="enrollments__sex__unknown"[^>]*>', page)[0]
    assert "aria-invalid" not in sex_input
    # Referrals: a total with every breakdown left blank is not a problem (not collected).
    assert "Referrals by " not in page
    # What was typed is still there, and the running total says it is short.
    assert re.search(r'name="enrollments__race__unknown" value="3"', page)
    assert "3 of 4: 1 to go" in page


def test_a_cell_that_is_not_a_count_is_named_in_the_error_summary(world, client_for):
    client = client_for(world.partner)
    cells = {
        **everything_unknown("enrollments", 4),
        "enrollments__sex__female": "two",
        "enrollments__payer__grant": -1,
    }
    page = client.post(form_url(world), form_data(cells)).content.decode()
    assert "2 problems: nothing was saved" in page
    assert "Enrollments, sex: Female: enter a whole number, 0 or more." in page
    assert "Enrollments, payer: Grant-funded: enter a whole number, 0 or more." in page
    assert 'href="#id_enrollments__sex__female"' in page
    assert 'value="two"' in page
    assert not MonthlyReport.objects.exists()
    # Beside the input: its message, which the input names as its description, in USWDS's error style.
    female = re.search(r'<input [^>]*name="enrollments__sex__female"[^>]*>', page)[0]
    assert 'aria-invalid="true"' in female
    assert 'aria-describedby="id_enrollments__sex__female-error"' in female
    assert 'class="usa-input usa-input--error"' in female
    assert (
        '<span class="usa-error-message tandem-cell-error" id="id_enrollments__sex__female-error">'
        "Enter a whole number, 0 or more.</span>"
    ) in page


def test_an_empty_form_is_refused(world, client_for):
    page = client_for(world.partner).post(form_url(world), form_data({})).content.decode()
    assert "no counts were given" in page
    assert not MonthlyReport.objects.exists()


def test_correcting_prefills_the_current_version_and_makes_a_new_one(world, client_for, report):
    client = client_for(world.partner)
    page = client.get(form_url(world)).content.decode()
    assert 'name="enrollments__total__all" value="4"' in page
    assert 'name="active_participants__total__all" value="9"' in page
    assert "You are correcting version 1" in page
    client.post(form_url(world), form_data({**everything_unknown("enrollments", 5), "note": "One more"}))
    report.refresh_from_db()
    assert report.versions.count() == 2
    assert cells_of(report.current_version)["enrollments", "total", "all"] == 5


def test_counties_served_come_first_the_others_collapsed_and_unknown_last(world, client_for):
    served = County.objects.filter(state=world.network.state).order_by("name")[5]
    world.supplier.counties_served.add(served)
    page = client_for(world.partner).get(form_url(world)).content.decode()
    county = page[page.index('id="breakdown-county"') :]
    details = county.index("<details")
    assert county.index(f"enrollments__county__{served.fips}") < details
    first_other = County.objects.filter(state=world.network.state).order_by("name").first()
    assert (
        details
        < county.index(f"enrollments__county__{first_other.fips}")
        < county.index("enrollments__county__unknown")
    )
    assert '<details class="tandem-details">' in county  # collapsed
    # Every input is named for assistive technology by its measure and category.
    assert f'aria-label="Enrollments, county: {served.name}"' in page
    assert 'aria-label="Active participants, race: Asian"' in page
    assert 'aria-label="Referrals, total"' in page


def test_a_locked_month_shows_why_and_refuses_figures(world, client_for):
    client = client_for(world.partner)
    page = client.get(form_url(world, LOCKED_MONTH)).content.decode()
    assert "This month takes no figures" in page and "was locked on" in page
    assert 'name="enrollments__total__all"' not in page
    response = client.post(form_url(world, LOCKED_MONTH), form_data(everything_unknown("enrollments", 2)))
    assert response.status_code == OK and "was locked on" in response.content.decode()
    assert not MonthlyReport.objects.exists()


def test_a_future_month_takes_no_figures(world, client_for):
    page = client_for(world.partner).get(form_url(world, month_add(THIS_MONTH, 1))).content.decode()
    assert "is in the future" in page


# The report page and review


def test_the_report_page_shows_figures_versions_what_changed_and_events(world, client_for, report):
    save(world, {"enrollments": 6, "active_participants": 9}, seed=0)
    client = client_for(world.backbone)
    page = client.get(reverse("metrics:report_detail", args=["kansas", report.pk])).content.decode()
    assert "Figures (version 2)" in page
    assert "Enrollments, total: 4 → 6" in page
    assert "The first version." in page
    assert page.count("Submitted (version") == 2
    assert "Approve" in page and "Return to Prairie YMCA" in page
    assert "Correct the month" not in page  # backbone staff review; partners correct


def test_changes_nobody_is_recorded_for_show_a_dash(world, client_for):
    report = services.report_save(
        network=world.network,
        organization=world.supplier,
        month=LAST_MONTH,
        values=values_for(world.network, {"enrollments": 2}),
        user=None,
        source=ReportSource.API,
        submit=True,
    )
    client = client_for(world.backbone)
    for url in (
        reverse("metrics:report_detail", args=["kansas", report.pk]),
        reverse("metrics:review_queue", args=["kansas"]),
    ):
        response = client.get(url)
        assert response.status_code == OK and "<td>—" in response.content.decode(), url


def version_shown(page: str) -> str:
    """The version a report page's review forms name (their hidden field), as the browser sends it."""
    shown = set(re.findall(r'<input type="hidden" name="version" value="(\d+)"', page))
    assert len(shown) == 1, shown
    return shown.pop()


def test_backbone_staff_approve_a_report(world, client_for, report):
    client = client_for(world.backbone)
    page = client.get(reverse("metrics:report_detail", args=["kansas", report.pk])).content.decode()
    assert "Approve version 1</button>" in page
    url = reverse("metrics:report_approve", args=["kansas", report.pk])
    response = client.post(url, {"version": version_shown(page)}, follow=True)
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED and report.reviewed_by == world.backbone
    assert "Approved Prairie YMCA, " in response.content.decode()
    # Approving twice is refused with a message, not an error page.
    again = client.post(url, {"version": 1}, follow=True)
    assert again.status_code == OK and "Only a submitted report can be approved." in again.content.decode()


def test_approving_or_returning_a_version_older_than_the_current_one_is_refused(world, client_for, report):
    """The reviewer opened version 1; the partner then sent version 2 with 999 everywhere. The buttons
    of the page still open in the reviewer's browser change nothing and say why."""
    client = client_for(world.backbone)
    detail = reverse("metrics:report_detail", args=["kansas", report.pk])
    opened = version_shown(client.get(detail).content.decode())
    save(world, {"enrollments": 999, "active_participants": 999}, seed=1)
    before = snapshot()

    approve = client.post(reverse("metrics:report_approve", args=["kansas", report.pk]), {"version": opened})
    assert approve.status_code == FOUND and approve["Location"] == detail
    page = client.get(detail).content.decode()
    assert "Version 2 of this report arrived after you looked at version 1, so nothing was approved." in page
    assert "Figures (version 2)" in page and "999" in page and version_shown(page) == "2"
    returned = client.post(
        reverse("metrics:report_return", args=["kansas", report.pk]),
        {"version": opened, "comment": "Check the county counts"},
        follow=True,
    )
    assert "so the report was not returned" in returned.content.decode()
    assert snapshot() == before
    assert MonthlyReport.objects.get().status == ReportStatus.SUBMITTED


@pytest.mark.parametrize("version", [None, "", "two"])
def test_a_review_that_does_not_name_a_version_changes_nothing(world, client_for, report, version):
    client = client_for(world.backbone)
    data = {} if version is None else {"version": version}
    before = snapshot()
    for url, extra in (
        (reverse("metrics:report_approve", args=["kansas", report.pk]), {}),
        (reverse("metrics:report_return", args=["kansas", report.pk]), {"comment": "Check the counts"}),
    ):
        response = client.post(url, {**data, **extra}, follow=True)
        assert response.status_code == OK
        assert "The page did not say which version of the report you looked at" in response.content.decode()
    assert snapshot() == before


def test_returning_needs_a_comment_that_the_partner_then_sees(world, client_for, report):
    client = client_for(world.backbone)
    url = reverse("metrics:report_return", args=["kansas", report.pk])
    response = client.post(url, {"version": 1, "comment": "  "})
    assert response.status_code == OK
    assert "Say what needs correcting" in response.content.decode()
    assert version_shown(response.content.decode()) == "1"  # the page again, still naming version 1
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    client.post(url, {"version": 1, "comment": "The payer breakdown looks swapped"})
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    partner = client_for(world.partner)
    months = partner.get(
        reverse("metrics:reporting_months", args=["kansas", world.supplier.pk])
    ).content.decode()
    assert "The payer breakdown looks swapped" in months
    page = partner.get(form_url(world)).content.decode()
    assert "Returned for correction:" in page and "The payer breakdown looks swapped" in page


def test_the_review_queue_lists_submitted_reports_oldest_first(world, client_for):
    older = save(world, {"enrollments": 1}, month=month_add(LAST_MONTH, -1))
    newer = save(world, {"enrollments": 2})
    save(world, {"enrollments": 2}, month=month_add(LAST_MONTH, -2), submit=False)  # a draft waits for nobody
    page = client_for(world.backbone).get(reverse("metrics:review_queue", args=["kansas"])).content.decode()
    assert "2 submitted reports waiting for review" in page
    assert page.index(f"/reports/{older.pk}/") < page.index(f"/reports/{newer.pk}/")


def test_backbone_staff_reopen_a_locked_month_and_the_partner_can_send_it(world, client_for):
    client = client_for(world.backbone)
    url = reverse("metrics:report_reopen", args=["kansas", world.supplier.pk, label(LOCKED_MONTH)])
    client.post(url)
    report = MonthlyReport.objects.get()
    assert report.reopened_until == TODAY + datetime.timedelta(days=14)
    assert report.events.get().action == "reopened"
    response = client_for(world.partner).post(
        form_url(world, LOCKED_MONTH), form_data(everything_unknown("enrollments", 2))
    )
    assert response.status_code == FOUND
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_reopening_an_open_month_or_one_before_joining_changes_nothing(world, client_for):
    client = client_for(world.backbone)
    for month in (THIS_MONTH, datetime.date(2022, 6, 1)):  # the supplier joined on 2023-01-01
        url = reverse("metrics:report_reopen", args=["kansas", world.supplier.pk, label(month)])
        assert client.post(url).status_code == FOUND
    assert not MonthlyReport.objects.exists()


# Completeness and lists


def test_completeness_page_and_its_csv(world, client_for):
    save(world, {"enrollments": 2}, month=month_add(LAST_MONTH, -1))
    client = client_for(world.backbone)
    url = reverse("metrics:completeness", args=["kansas"])
    page = client.get(url).content.decode()
    assert "Prairie YMCA" in page and "All partners" in page
    response = client.get(url + "?download=completeness-by-partner")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Partner,")
    assert "Prairie YMCA" in text and "All partners" in text
    by_month = client.get(url + "?download=completeness-by-month").content.decode("utf-8-sig")
    assert by_month.splitlines()[0].startswith("Month,Expected,Received")
    assert client.get(url + "?end=nonsense").status_code == OK
    assert client.get(url + "?end=2024-06").status_code == OK


def test_the_state_viewer_lists_only_the_reports_of_partners_sharing_with_the_state(world, client_for):
    sharing = SupplierFactory(name="Sunflower Clinic")
    MembershipFactory(
        network=world.network, organization=sharing, data_sharing=DataSharing.BACKBONE_AND_STATE
    )
    shared = save(world, {"enrollments": 1}, organization=sharing)
    hidden = save(world, {"enrollments": 1})
    client = client_for(world.state_viewer)
    page = client.get(reverse("metrics:report_list", args=["kansas"])).content.decode()
    assert "Sunflower Clinic" in page and "Prairie YMCA" not in page
    assert client.get(reverse("metrics:report_detail", args=["kansas", shared.pk])).status_code == OK
    assert client.get(reverse("metrics:report_detail", args=["kansas", hidden.pk])).status_code == NOT_FOUND


def test_partner_staff_list_only_their_own_reports(world, client_for):
    neighbour = SupplierFactory(name="Sunflower Clinic")
    MembershipFactory(network=world.network, organization=neighbour)
    save(world, {"enrollments": 1}, organization=neighbour)
    save(world, {"enrollments": 1})
    page = client_for(world.partner).get(reverse("metrics:report_list", args=["kansas"])).content.decode()
    assert "Prairie YMCA" in page and "Sunflower Clinic" not in page
    assert "Monthly reports of Prairie YMCA" in page


def test_home_page_links_to_reporting(world, client_for):
    page = client_for(world.partner).get(reverse("network:home")).content.decode()
    assert reverse("metrics:reporting_months", args=["kansas", world.supplier.pk]) in page
    page = client_for(world.backbone).get(reverse("network:home")).content.decode()
    assert reverse("metrics:review_queue", args=["kansas"]) in page
    assert reverse("metrics:completeness", args=["kansas"]) in page


# Queries do not grow with partners


def add_partners(world, n: int) -> None:
    for _ in range(n):
        organization = SupplierFactory()
        MembershipFactory(network=world.network, organization=organization, reports_monthly=True)
        for month in (LAST_MONTH, month_add(LAST_MONTH, -1)):
            save(world, {"enrollments": 2}, month=month, organization=organization)


@pytest.mark.parametrize("page_name", ["completeness", "review_queue", "report_list"])
def test_pages_make_the_same_number_of_queries_for_3_and_15_partners(
    world, client_for, django_assert_num_queries, page_name
):
    client = client_for(world.backbone)
    url = reverse(f"metrics:{page_name}", args=["kansas"])
    add_partners(world, 1)  # 3 partners with the backbone and the supplier
    client.get(url)  # warms what Django caches per process (content types), whichever test ran before
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == OK
    add_partners(world, 12)  # 15 partners
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == OK


def test_the_months_list_and_form_make_a_fixed_number_of_queries(
    world, client_for, django_assert_num_queries
):
    client = client_for(world.partner)
    months = reverse("metrics:reporting_months", args=["kansas", world.supplier.pk])
    client.get(months)  # warms what Django caches per process (content types), whichever test ran before
    client.get(form_url(world))
    with CaptureQueriesContext(connection) as few:
        client.get(months)
        client.get(form_url(world))
    for month in range(2, 12):
        save(world, {"enrollments": 1}, month=month_add(THIS_MONTH, -month))
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(months)
        client.get(form_url(world))


def test_network_is_unchanged_by_views(world):
    # The fixture network keeps the default reporting days the tests above rely on.
    network = Network.objects.get(slug="kansas")
    assert (network.report_due_day, network.report_lock_days) == (15, 30)
