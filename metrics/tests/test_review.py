"""Review with context: the rule that flags unusual counts (worked examples and properties), the
context of a report beside the partner's recent months and the network's median (hand-computed),
"Approve and next", approving several reports at once, who acts next in the queue, the permissions,
and queries that do not grow with partners."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from core.calendar import month_add
from metrics import review, services
from metrics.catalogue import Catalogue
from metrics.models import MonthlyReport, ReportEvent, ReportSource, ReportStatus, RollupPending
from metrics.review import report_review_context, unusual
from metrics.tests.factories import values_for
from metrics.validation import ValueIn
from network.models import DataSharing, Membership
from network.tests.factories import MembershipFactory
from partners.tests.factories import SupplierFactory

OK, FOUND, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404
MONTH = datetime.date(2024, 7, 1)  # the month reviewed; the partners joined on 2023-01-01
HISTORY = [month_add(MONTH, -n) for n in range(6, 0, -1)]  # January to June 2024


# The rule: worked examples


def test_a_count_far_outside_the_partners_own_range_is_unusual():
    # Range 8-12, margin max(5, half of 12) = 6: from 2 to 18 is usual.
    history = [8, 9, 10, 11, 12, 10]
    assert unusual(42, history, None) == "Unusual: 42 against 8–12 in the last six approved months"
    assert unusual(0, history, None) == "Unusual: 0 against 8–12 in the last six approved months"
    assert unusual(14, history, None) is None  # 4 from the median of 10: a small change


def test_a_count_more_than_3_median_absolute_deviations_from_the_median_is_unusual():
    # Median 10; deviations 0, 0, 1, 2, 1, 0, so their median is 0.5: 16 is 6 away, more than 1.5,
    # though inside the range's margin (3 to 18).
    history = [10, 10, 11, 12, 9, 10]
    assert unusual(16, history, None) == (
        "Unusual: 16, more than 3 median absolute deviations (0.5) from the median of 10 "
        "in the last six approved months"
    )


def test_a_count_the_partner_has_reported_before_is_not_an_outlier():
    # Median 4 and deviations' median 1.5, so 10 is more than 3 deviations away; but 2 to 12 were
    # reported already.
    assert unusual(10, [9, 2, 12, 5, 3, 3], None) is None
    assert unusual(13, [9, 2, 12, 5, 3, 3], None) is not None


def test_small_counts_and_short_histories_are_not_flagged_by_the_partners_months():
    assert unusual(4, [0, 0, 1, 0], None) is None  # 3 to 4 people more: the noise of a small program
    assert unusual(42, [10, 11], None) is None  # two months are too few to judge by


def test_several_times_the_network_median_is_unusual():
    assert unusual(42, [10, 11], 8) == "Unusual: 42, 5 times the network's median of 8"
    assert unusual(23, [], 8) is None  # under 3 times
    assert unusual(3, [], 0.5) is None  # 3 times, but less than 5 more
    assert unusual(6, [], 0) == "Unusual: 6 against the network's median of 0"
    assert unusual(42, [10, 11], None) is None  # too few partners for a median
    assert (
        unusual(5_000_000, [], 1_250_000.5)
        == "Unusual: 5,000,000, 4 times the network's median of 1,250,000.5"
    )


@given(
    st.integers(min_value=0, max_value=10_000),
    st.lists(st.integers(min_value=-4, max_value=4), min_size=0, max_size=6),
)
def test_a_change_smaller_than_the_minimum_against_every_month_is_never_flagged(count, offsets):
    history = [max(0, count + offset) for offset in offsets]
    assert unusual(count, history, None) is None


@given(
    st.lists(st.integers(min_value=0, max_value=10_000), min_size=3, max_size=6),
    st.integers(min_value=0, max_value=1000),
)
def test_a_count_far_above_every_month_is_always_flagged(history, extra):
    count = 2 * max(history) + 10 + extra
    flag = unusual(count, history, None)
    assert flag is not None and flag.startswith(f"Unusual: {count:,} against ")


# The context of a report


def save(world, organization, month, totals, *, seed=0, unknown_payer=(), submit=True):
    """A month saved as if early in the following month; ``unknown_payer`` measures put their whole
    total under payer unknown (the breakdown not given)."""
    values = [
        value
        for value in values_for(world.network, totals, seed=seed)
        if not (value.breakdown == "payer" and value.measure in unknown_payer)
    ]
    values += [ValueIn(measure, "payer", "unknown", totals[measure]) for measure in unknown_payer]
    return services.report_save(
        network=world.network,
        organization=organization,
        month=month,
        values=values,
        user=world.partner,
        source=ReportSource.API,
        submit=submit,
        today=month_add(month, 1) + datetime.timedelta(days=2),
    )


def approved(world, organization, month, totals, **kwargs) -> MonthlyReport:
    report = save(world, organization, month, totals, **kwargs)
    return services.report_approve(report=report, version=report.current_version.number, user=world.backbone)


def partner(world, name: str):
    organization = SupplierFactory(name=name)
    MembershipFactory(network=world.network, organization=organization, reports_monthly=True)
    return organization


@pytest.fixture
def reviewed(world) -> MonthlyReport:
    """Prairie YMCA's July 2024, submitted: 42 enrollments after 8 to 12 a month, referrals left out
    after 15 in June, payer all unknown after June gave it; three other partners approved July with
    6, 8 and 20 enrollments (median 8), and one more left July as a draft (not counted)."""
    for month, enrollments in zip(HISTORY, [8, 9, 10, 11, 12, 10], strict=True):
        totals = {"enrollments": enrollments}
        if month == HISTORY[-1]:
            totals["referrals"] = 15
        approved(world, world.supplier, month, totals, seed=month.month)
    for name, enrollments in (("Flint Hills Clinic", 6), ("Sunflower Clinic", 8), ("Big Bend YMCA", 20)):
        approved(world, partner(world, name), MONTH, {"enrollments": enrollments})
    save(world, partner(world, "Draft Clinic"), MONTH, {"enrollments": 900}, submit=False)
    return save(world, world.supplier, MONTH, {"enrollments": 42}, unknown_payer=("enrollments",))


def test_the_context_beside_recent_months_and_the_network_median(world, reviewed):
    context = report_review_context(report=reviewed, catalogue=Catalogue.for_state(world.network.state_id))
    assert context.months == HISTORY
    assert [measure.code for measure in context.measures] == ["enrollments"]
    total = context.measures[0].rows[0]
    assert total.label == "Total" and total.count == 42
    assert total.history == [8, 9, 10, 11, 12, 10]
    assert total.network_median == 8 and total.network_partners == 3
    assert total.flag == "Unusual: 42 against 8–12 in the last six approved months"
    payer_unknown = next(
        row for row in context.measures[0].rows if row.label == "Payer: Unknown or not reported"
    )
    assert payer_unknown.count == 42
    assert context.left_out == [
        "Left out: Referrals, 15 in June 2024, none in this report",
        "Left out: Enrollments by payer, all 42 counted as unknown",
    ]
    # The total's jump moves its categories too: flagged once, on the total.
    assert context.flags == [
        "Enrollments, total: Unusual: 42 against 8–12 in the last six approved months",
        *context.left_out,
    ]
    assert payer_unknown.flag is None


def test_months_not_approved_show_as_gaps_and_too_few_partners_give_no_median(world):
    approved(world, world.supplier, HISTORY[0], {"enrollments": 10})
    save(world, world.supplier, HISTORY[1], {"enrollments": 10})  # submitted, not approved: not history
    approved(world, partner(world, "Flint Hills Clinic"), MONTH, {"enrollments": 1})
    report = save(world, world.supplier, MONTH, {"enrollments": 42})
    context = report_review_context(report=report, catalogue=Catalogue.for_state(world.network.state_id))
    total = context.measures[0].rows[0]
    assert total.history == [10, None, None, None, None, None]
    assert total.network_median is None and total.network_partners == 1
    assert total.flag is None  # one month and one partner are too little to judge by
    assert context.left_out == []  # January gave every breakdown, and so does July


def test_the_report_page_shows_the_context_to_backbone_staff_only(world, client_for, reviewed):
    url = reverse("metrics:report_detail", args=["kansas", reviewed.pk])
    page = client_for(world.backbone).get(url).content.decode()
    assert "Against recent months and the network" in page
    assert "3 things to check before approving" in page
    assert "Unusual: 42 against 8–12 in the last six approved months" in page
    assert "Left out: Referrals, 15 in June 2024, none in this report" in page
    assert escape(review.RULE_TEXT) in page
    Membership.objects.filter(organization=world.supplier).update(data_sharing=DataSharing.BACKBONE_AND_STATE)
    for user in (world.partner, world.state_viewer):
        page = client_for(user).get(url).content.decode()
        assert "Network median" not in page and "Against recent months" not in page


def test_an_approved_report_shows_no_review_context(world, client_for, reviewed):
    services.report_approve(report=reviewed, version=1, user=world.backbone)
    page = client_for(world.backbone).get(reverse("metrics:report_detail", args=["kansas", reviewed.pk]))
    assert "Against recent months" not in page.content.decode()


# Approve and next


def approve_and_next(client, report: MonthlyReport):
    url = reverse("metrics:report_approve", args=["kansas", report.pk])
    return client.post(url, {"version": report.current_version.number, "then": "next"})


def test_approve_and_next_opens_the_next_report_in_queue_order_then_the_queue(world, client_for):
    flint = partner(world, "Flint Hills Clinic")
    first = save(world, world.supplier, HISTORY[0], {"enrollments": 1})
    second = save(world, flint, HISTORY[0], {"enrollments": 2})
    third = save(world, world.supplier, HISTORY[1], {"enrollments": 3})
    elsewhere = world.other_network.memberships.get().organization  # another network's queue
    client = client_for(world.backbone)
    # The reviewer starts with the second; the next after it is the third, then the first skipped.
    response = approve_and_next(client, second)
    assert response["Location"] == reverse("metrics:report_detail", args=["kansas", third.pk])
    response = approve_and_next(client, third)
    assert response["Location"] == reverse("metrics:report_detail", args=["kansas", first.pk])
    response = approve_and_next(client, first)
    assert response["Location"] == reverse("metrics:review_queue", args=["kansas"])
    page = client.get(response["Location"]).content.decode()
    assert "No other report is waiting for review." in page and "Approved Prairie YMCA" in page
    assert set(MonthlyReport.objects.filter(network=world.network).values_list("status", flat=True)) == {
        ReportStatus.APPROVED
    }
    assert elsewhere.name not in page


def test_approve_and_next_refused_stays_on_the_report(world, client_for):
    report = save(world, world.supplier, HISTORY[0], {"enrollments": 1})
    save(world, world.supplier, HISTORY[1], {"enrollments": 2})
    url = reverse("metrics:report_approve", args=["kansas", report.pk])
    response = client_for(world.backbone).post(url, {"version": 7, "then": "next"})
    assert response["Location"] == reverse("metrics:report_detail", args=["kansas", report.pk])
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_the_report_page_offers_approve_and_next(world, client_for, reviewed):
    page = client_for(world.backbone).get(reverse("metrics:report_detail", args=["kansas", reviewed.pk]))
    assert 'name="then" value="next">Approve and next</button>' in page.content.decode()


# Approving several at once


def test_approve_selected_approves_each_and_lists_the_refused_by_name(
    world, client_for, django_capture_on_commit_callbacks
):
    flint = partner(world, "Flint Hills Clinic")
    fine = save(world, world.supplier, HISTORY[0], {"enrollments": 1})
    newer = save(world, flint, HISTORY[0], {"enrollments": 2})
    save(world, flint, HISTORY[0], {"enrollments": 3})  # version 2 arrives after the queue showed 1
    also_fine = save(world, flint, HISTORY[1], {"enrollments": 4})
    draft = save(world, world.supplier, HISTORY[1], {"enrollments": 5}, submit=False)
    RollupPending.objects.all().delete()
    client = client_for(world.backbone)
    data = {"report": [f"{r.pk}:1" for r in (fine, newer, also_fine, draft)] + ["junk", "999999:1"]}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("metrics:reports_approve", args=["kansas"]), data, follow=True)
    page = response.content.decode()
    statuses = dict(MonthlyReport.objects.values_list("pk", "status"))
    assert statuses[fine.pk] == statuses[also_fine.pk] == ReportStatus.APPROVED
    assert statuses[newer.pk] == ReportStatus.SUBMITTED and statuses[draft.pk] == ReportStatus.DRAFT
    assert "Approved 2 reports: Prairie YMCA, January 2024; Flint Hills Clinic, February 2024." in page
    assert (
        "Not approved: Flint Hills Clinic, January 2024. Version 2 of this report arrived after you "
        "looked at version 1, so nothing was approved." in page
    )
    assert "Not approved: Prairie YMCA, February 2024. Only a submitted report can be approved." in page
    # Each approval as a single one: its event, its pending rollup, its queued rollup.
    assert ReportEvent.objects.filter(action="approved").count() == 2
    assert sorted(RollupPending.objects.values_list("report_id", flat=True)) == sorted(
        [fine.pk, also_fine.pk]
    )
    assert sum("send_on_commit" in callback.__qualname__ for callback in callbacks) == 2


def test_approve_selected_with_nothing_selected_says_so(world, client_for):
    save(world, world.supplier, HISTORY[0], {"enrollments": 1})
    response = client_for(world.backbone).post(
        reverse("metrics:reports_approve", args=["kansas"]), follow=True
    )
    assert "Nothing was approved: select at least one report." in response.content.decode()
    assert MonthlyReport.objects.get().status == ReportStatus.SUBMITTED


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("outsider", NOT_FOUND),
        ("other_backbone", NOT_FOUND),
        ("other_partner", NOT_FOUND),
        ("partner", FORBIDDEN),
        ("state_viewer", FORBIDDEN),
    ],
)
def test_approving_is_for_the_networks_backbone_staff(world, client_for, role, status):
    """Approve selected, and Approve and next; the report page shows the partner no network median."""
    report = save(world, world.supplier, HISTORY[0], {"enrollments": 1})
    url = reverse("metrics:reports_approve", args=["kansas"])
    client = client_for(getattr(world, role))
    assert client.post(url, {"report": [f"{report.pk}:1"]}).status_code == status
    assert client.get(url).status_code == status
    one = reverse("metrics:report_approve", args=["kansas", report.pk])
    expected = NOT_FOUND if role == "state_viewer" else status  # not shared with the state
    assert client.post(one, {"version": 1, "then": "next"}).status_code == expected
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_another_networks_report_is_not_approved_through_this_networks_queue(world, client_for):
    other_org = world.other_network.memberships.get().organization
    report = services.report_save(
        network=world.other_network,
        organization=other_org,
        month=HISTORY[0],
        values=values_for(world.other_network, {"enrollments": 1}),
        user=None,
        source=ReportSource.API,
        submit=True,
        today=month_add(HISTORY[0], 1) + datetime.timedelta(days=2),
    )
    response = client_for(world.backbone).post(
        reverse("metrics:reports_approve", args=["kansas"]), {"report": [f"{report.pk}:1"]}, follow=True
    )
    assert other_org.name not in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


# The queue: who acts next, and flags


def test_the_queue_shows_whose_turn_it_is_and_the_flags(world, client_for, reviewed):
    flint = Membership.objects.get(organization__name="Flint Hills Clinic").organization
    returned = save(world, flint, HISTORY[0], {"enrollments": 3})
    services.report_return(report=returned, version=1, user=world.backbone, comment="Check the county")
    page = client_for(world.backbone).get(reverse("metrics:review_queue", args=["kansas"])).content.decode()
    assert "Your turn: 1 submitted report waits for your review." in page
    assert "The partners' turn: 1 report returned for correction waits" in page
    assert "3 to check" in page
    assert "Flint Hills Clinic corrects and submits again" in page and "a correction saved" not in page
    assert f'value="{reviewed.pk}:1"' in page and 'id="select-all"' in page
    assert (
        f'<label class="usa-sr-only" for="select-{reviewed.pk}">Select Prairie YMCA, July 2024</label>'
        in page
    )
    assert "js/review_queue.js" in page and "<script>" not in page
    save(world, flint, HISTORY[0], {"enrollments": 4}, submit=False)  # a correction begun
    page = client_for(world.backbone).get(reverse("metrics:review_queue", args=["kansas"])).content.decode()
    assert "Flint Hills Clinic corrects and submits again; a correction saved as a draft" in page


# Queries do not grow with partners


def add_partners(world, count: int, start: int) -> None:
    for n in range(start, start + count):
        organization = partner(world, f"Partner {n}")
        for month in HISTORY[-3:]:
            approved(world, organization, month, {"enrollments": 5 + n % 4, "referrals": 9})
        (approved if n % 2 else save)(world, organization, MONTH, {"enrollments": 7})


def test_the_report_page_and_queue_make_the_same_queries_for_3_and_15_partners(
    world, client_for, django_assert_num_queries
):
    add_partners(world, 2, 0)
    report = save(world, world.supplier, MONTH, {"enrollments": 40})
    client = client_for(world.backbone)
    urls = [
        reverse("metrics:report_detail", args=["kansas", report.pk]),
        reverse("metrics:review_queue", args=["kansas"]),
    ]
    for url in urls:
        client.get(url)  # warms what Django caches per process
    with CaptureQueriesContext(connection) as few:
        for url in urls:
            assert client.get(url).status_code == OK
    add_partners(world, 12, 2)
    with django_assert_num_queries(len(few.captured_queries)):
        for url in urls:
            assert client.get(url).status_code == OK
    assert "8 submitted reports waiting for review" in client.get(urls[1]).content.decode()


def test_nothing_to_report_after_a_month_with_figures_flags_what_was_left_out(world, client_for):
    approved(world, world.supplier, HISTORY[-1], {"enrollments": 12, "active_participants": 30})
    report = services.report_nothing_to_report(
        network=world.network,
        organization=world.supplier,
        month=MONTH,
        user=world.partner,
        today=month_add(MONTH, 1) + datetime.timedelta(days=2),
    )
    page = client_for(world.backbone).get(reverse("metrics:report_detail", args=["kansas", report.pk]))
    text = page.content.decode()
    assert "2 things to check before approving" in text
    assert "Left out: Enrollments, 12 in June 2024, none in this report" in text
    assert "Left out: Active participants, 30 in June 2024, none in this report" in text
