"""DPRP files through upload and save to the organization's cohort counts: one file per edition of the
DPRP Standards (`metrics.tests.outcome_files`, derived by hand there), files that overlap, and the
rebuild itself (after a save, nightly, idempotent, one organization at a time)."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics import outcomes, tasks
from metrics.models import Category, CohortCount, ParticipantSession
from metrics.selectors import last_session_days
from metrics.tests.outcome_files import (
    EDITIONS,
    FEBRUARY,
    JANUARY,
    TODAY,
    expected_totals,
    outcome_rows,
    outcome_upload,
)
from metrics.tests.test_importers import dprp_file, session
from metrics.tests.test_uploads import read, save
from partners.tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db


def stored_totals(organization) -> dict[tuple[datetime.date, str], int]:
    rows = CohortCount.objects.filter(organization=organization, category__breakdown__code="total")
    return {(row.cohort_month, row.measure): row.count for row in rows}


def stored(organization, breakdown: str) -> dict[tuple[datetime.date, str, str], int]:
    rows = CohortCount.objects.filter(organization=organization, category__breakdown__code=breakdown)
    return {(r.cohort_month, r.measure, r.category.code): r.count for r in rows.select_related("category")}


@pytest.mark.parametrize("edition", EDITIONS)
def test_a_dprp_file_of_each_edition_gives_the_cohorts_worked_out_by_hand(
    world, edition, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outcome_upload(
            network=world.network, organization=world.supplier, user=world.partner, edition=edition
        )
    assert [getattr(c, "task", "") for c in callbacks].count("metrics.tasks.cohorts_rebuild") == 1
    assert stored_totals(world.supplier) == expected_totals(edition)
    # By sex, from each participant's first session: D is male, A, B and C female.
    by_sex = stored(world.supplier, "sex")
    assert (by_sex[JANUARY, "started", "female"], by_sex[JANUARY, "started", "male"]) == (3, 1)
    assert (JANUARY, "evaluated", "male") not in by_sex  # D was not evaluated
    assert by_sex[FEBRUARY, "started", "female"] == 1
    assert set(ParticipantSession.objects.values_list("edition", flat=True)) == {edition}
    assert ParticipantSession.objects.count() == len(outcome_rows())
    # A's last session (month 12) is the latest: January's cohort is still running then, since its
    # last starters (January 31) would be in their year until January 30, 2024.
    (last,) = last_session_days(organization_ids=[world.supplier.pk]).values()
    assert last == datetime.date(2023, 12, 10)
    assert not outcomes.cohort_is_complete(JANUARY, last)


def test_a_later_file_fills_a_weight_an_earlier_one_lacked_and_counts_nobody_twice(
    world, django_capture_on_commit_callbacks
):
    first, last = "01/09/2023", "10/10/2023"  # program months 1 and 10
    middle = ["02/09/2023", "03/13/2023"]  # months 2 and 3
    days = [first, *middle, last]
    # The first file has the first weight only; the second has the last weight only (999 elsewhere).
    early = [session("P", day, WEIGHT="200" if day == first else "999") for day in days]
    late = [session("P", day, WEIGHT="190" if day == last else "999") for day in days]
    for rows in (early, late):
        with django_capture_on_commit_callbacks(execute=True):
            save(
                world,
                read(
                    world, dprp_file(rows, org_code=world.supplier.dprp_org_code), format="dprp", today=TODAY
                ),
                today=TODAY,
            )
    weights = dict(ParticipantSession.objects.values_list("session_date", "weight"))
    assert weights[datetime.date(2023, 1, 9)] == Decimal("200.0")  # kept: the later file did not record it
    assert weights[datetime.date(2023, 10, 10)] == Decimal("190.0")  # filled by the later file
    totals = stored_totals(world.supplier)
    assert (totals[JANUARY, "started"], totals[JANUARY, "evaluated"]) == (1, 1)
    assert totals[JANUARY, "weight_loss_5"] == 1  # 200 -> 190: 5 %, known only from both files
    assert ParticipantSession.objects.count() == 4


def test_the_rebuild_is_idempotent_and_touches_one_organization(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outcome_upload(network=world.network, organization=world.supplier, user=world.partner, edition="2021")
    other = SupplierFactory(name="Flint Hills Clinic")
    CohortCount.objects.create(
        organization=other,
        cohort_month=JANUARY,
        measure="started",
        category=CohortCount.objects.first().category,
        count=7,
    )
    before = sorted(
        CohortCount.objects.filter(organization=world.supplier).values_list(
            "cohort_month", "measure", "category", "count"
        )
    )
    assert outcomes.cohorts_rebuild(organization=world.supplier) == len(before)
    after = sorted(
        CohortCount.objects.filter(organization=world.supplier).values_list(
            "cohort_month", "measure", "category", "count"
        )
    )
    assert after == before
    assert CohortCount.objects.get(organization=other).count == 7
    # Sessions gone: their cohorts go with them.
    ParticipantSession.objects.filter(organization=world.supplier).delete()
    assert outcomes.cohorts_rebuild(organization=world.supplier) == 0
    assert not CohortCount.objects.filter(organization=world.supplier).exists()


def test_the_nightly_rebuild_queues_every_organization_with_sessions_or_cohorts(world):
    ParticipantSession.objects.create(  # as a file saved while the broker was down leaves it
        organization=world.supplier,
        participant="p1",
        session_date=datetime.date(2024, 1, 8),
        race="white",
        ethnicity="hispanic",
        sex="female",
        age_group="45-64",
        payer="private",
        delivery_mode="online",
        edition="2024",
    )
    other = SupplierFactory(name="Flint Hills Clinic")  # cohorts left, its sessions deleted since
    total = Category.objects.get(breakdown__code="total")
    CohortCount.objects.create(
        organization=other, cohort_month=JANUARY, measure="started", category=total, count=3
    )
    assert tasks.rollup_rebuild.apply().get() is True  # eager: each queued rebuild runs at once
    assert stored_totals(world.supplier)[datetime.date(2024, 1, 1), "started"] == 1
    assert stored(world.supplier, "ethnicity")[datetime.date(2024, 1, 1), "started", "hispanic"] == 1
    assert not CohortCount.objects.filter(organization=other).exists()


def page_csv(client, url: str, slug: str) -> dict[str, list[str]]:
    """A page's table as its CSV download gives it: the first cell of each row -> the row."""
    response = client.get(url, {"download": slug})
    assert response.status_code == 200, response.status_code
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return {row[0]: row for row in rows[1:]}


@pytest.mark.parametrize("edition", EDITIONS)
def test_a_dprp_file_of_each_edition_reaches_the_outcome_pages(
    world, edition, client_for, django_capture_on_commit_callbacks
):
    """Upload, save, the rebuild on commit, and the pages: the partner's own cohorts, and once it shares
    them, the backbone's view of the network, show the counts worked out by hand."""
    with django_capture_on_commit_callbacks(execute=True):
        outcome_upload(
            network=world.network, organization=world.supplier, user=world.partner, edition=edition
        )
    totals = expected_totals(edition)
    partner_page = reverse("metrics:outcomes_partner", args=[world.network.slug, world.supplier.pk])
    backbone_page = reverse("metrics:outcomes_network", args=[world.network.slug])
    assert client_for(world.backbone).get(partner_page).status_code == 403  # not shared yet

    for user, url, slug in [(world.partner, partner_page, "own"), (world.backbone, backbone_page, "network")]:
        if user == world.backbone:
            world.membership.outcomes_shared = True
            world.membership.save()
        client = client_for(user)
        page = client.get(url)
        assert page.status_code == 200
        assert "January 2023" in page.content.decode()
        retention = page_csv(client, url, f"{slug}-retention")["January 2023"]
        assert retention[2] == str(totals[JANUARY, "started"])
        results = page_csv(client, url, f"{slug}-outcomes")["January 2023"]
        evaluated, met = totals[JANUARY, "evaluated"], totals[JANUARY, "met_outcome"]
        assert results[2] == str(evaluated) and results[-2] == str(met)
        assert results[-1].rstrip(" %") == str(round(100 * met / evaluated))
