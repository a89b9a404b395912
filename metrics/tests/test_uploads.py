"""The upload service and pages: read, preview, save, discard; bad files refused whole with nothing
stored; DPRP files that count nobody twice; the background job; who may get in."""

import datetime
import json
import socket
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from metrics import services, tasks, uploads
from metrics.importers import encoding
from metrics.models import (
    MonthlyReport,
    ParticipantSession,
    ReportSource,
    ReportStatus,
    ReportVersion,
    StoredFile,
    Upload,
    UploadSession,
    UploadStatus,
)
from metrics.services import cells_of
from metrics.tests.factories import values_for
from metrics.tests.test_importers import dprp_file, session
from metrics.uploads import Change, UploadNotReady
from metrics.validation import ValueIn
from network.models import Network

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2024, 3, 1)
TODAY = datetime.date(2024, 4, 2)  # March is open; January is locked (due February 15, + 30 days)
HEADER = "org_code,month,measure,breakdown,category,count"


def stored_files() -> list[str]:
    """The uploaded files waiting to be read: in the database (`metrics.storage`), where a worker on
    any machine finds them."""
    return list(StoredFile.objects.values_list("name", flat=True))


# --- helpers ---------------------------------------------------------------------------------------


def last_month() -> datetime.date:
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def recent() -> str:
    """A session day the background job (which reads with today's date) accepts: last month's 5th."""
    return f"{last_month().replace(day=5):%m/%d/%Y}"


def tandem_csv(org_code: str, months: dict[str, list[ValueIn]], extra_rows: list[str] = ()) -> bytes:
    lines = [HEADER]
    for month, values in months.items():
        lines += [f"{org_code},{month},{v.measure},{v.breakdown},{v.category},{v.count}" for v in values]
    return ("\n".join([*lines, *extra_rows]) + "\n").encode()


def read(world, data: bytes, *, format="tandem", submit=True, today=TODAY, name="counts.csv") -> Upload:
    return uploads.upload_read(
        network=world.network,
        organization=world.supplier,
        user=world.partner,
        file=SimpleUploadedFile(name, data, content_type="text/csv"),
        format=format,
        submit=submit,
        today=today,
    )


def save(world, upload: Upload, today=TODAY) -> list[MonthlyReport]:
    return uploads.upload_save(upload=upload, user=world.partner, today=today)


def current(world, month: datetime.date) -> dict:
    report = MonthlyReport.objects.get(network=world.network, organization=world.supplier, month=month)
    return cells_of(report.current_version)


def nothing_stored() -> bool:
    return not (
        MonthlyReport.objects.exists()
        or ReportVersion.objects.exists()
        or ParticipantSession.objects.exists()
    )


def code(world) -> str:
    return world.supplier.dprp_org_code


# --- Tandem's CSV template -------------------------------------------------------------------------


def test_a_tandem_file_is_previewed_then_saved_as_submitted_months(world):
    march = values_for(world.network, {"referrals": 20, "enrollments": 12, "active_participants": 30})
    february = values_for(world.network, {"enrollments": 5}, seed=3)
    upload = read(world, tandem_csv(code(world), {"2024-03": march, "2024-02": february}))
    assert upload.status == UploadStatus.READY, upload.problems
    assert [(m["month"], m["totals"], m["change"]) for m in upload.result["months"]] == [
        ("2024-02", {"enrollments": 5}, Change.NEW),
        ("2024-03", {"referrals": 20, "enrollments": 12, "active_participants": 30}, Change.NEW),
    ]
    assert nothing_stored()  # the preview stores nothing

    saved = save(world, upload)
    assert [r.month for r in saved] == [datetime.date(2024, 2, 1), MARCH]
    assert current(world, MARCH) == {(v.measure, v.breakdown, v.category): v.count for v in march}
    report = saved[1]
    assert report.status == ReportStatus.SUBMITTED
    assert report.current_version.source == ReportSource.TANDEM_CSV
    assert report.current_version.upload == upload
    upload.refresh_from_db()
    assert upload.status == UploadStatus.SAVED and upload.result["saved"] == ["2024-02", "2024-03"]


def test_a_draft_upload_keeps_the_months_as_drafts(world):
    upload = read(
        world,
        tandem_csv(code(world), {"2024-03": values_for(world.network, {"enrollments": 3})}),
        submit=False,
    )
    (report,) = save(world, upload)
    assert report.status == ReportStatus.DRAFT


def test_a_correction_shows_what_changes_and_becomes_a_new_version(world):
    save(
        world,
        read(world, tandem_csv(code(world), {"2024-03": values_for(world.network, {"enrollments": 12})})),
    )
    upload = read(world, tandem_csv(code(world), {"2024-03": values_for(world.network, {"enrollments": 14})}))
    (month,) = upload.result["months"]
    assert (month["change"], month["totals"], month["stored_totals"]) == (
        Change.CHANGED,
        {"enrollments": 14},
        {"enrollments": 12},
    )
    (report,) = save(world, upload)
    assert list(report.versions.values_list("number", flat=True)) == [2, 1]


def test_a_measure_left_blank_keeps_what_is_stored(world):
    services.report_save(
        network=world.network,
        organization=world.supplier,
        month=MARCH,
        values=values_for(world.network, {"enrollments": 7}),
        user=world.partner,
        source=ReportSource.DPRP_FILE,
        submit=True,
        today=TODAY,
    )
    referrals = values_for(world.network, {"referrals": 9})
    blank_enrollments = [
        f"{code(world)},2024-03,enrollments,total,all,",
        f"{code(world)},2024-03,enrollments,sex,male,",
    ]
    upload = read(world, tandem_csv(code(world), {"2024-03": referrals}, blank_enrollments))
    assert upload.result["months"][0]["kept"] == ["enrollments"]
    save(world, upload)
    cells = current(world, MARCH)
    assert cells["referrals", "total", "all"] == 9 and cells["enrollments", "total", "all"] == 7


def test_blank_counts_of_a_template_row_are_zero(world):
    rows = [
        f"{code(world)},2024-03,enrollments,total,all,2",
        *[
            f"{code(world)},2024-03,enrollments,{b},unknown,2"
            for b in ("race", "ethnicity", "sex", "age_group", "payer", "delivery_mode", "county")
        ],
        f"{code(world)},2024-03,enrollments,race,black,",
    ]
    upload = read(world, tandem_csv(code(world), {}, rows))
    assert upload.status == UploadStatus.READY, upload.problems
    save(world, upload)
    assert current(world, MARCH)["enrollments", "race", "black"] == 0


def _with(values: list[ValueIn], breakdown: str, category: str, count: object) -> list[ValueIn]:
    return [
        ValueIn(v.measure, v.breakdown, v.category, count)
        if (v.breakdown, v.category) == (breakdown, category)
        else v
        for v in values
    ]


def _bad_files(world) -> dict[str, tuple[bytes, list[tuple[int | None, str, str]]]]:
    """Each kind of bad Tandem file: its bytes, and the (line, column, message start) of its problems."""
    org = code(world)
    good = values_for(world.network, {"enrollments": 4})
    first_line = {(v.breakdown, v.category): 2 + i for i, v in enumerate(good)}
    black = first_line["race", "black"]
    total = first_line["total", "all"]
    return {
        "unknown measure": (
            tandem_csv(org, {"2024-03": good}, [f"{org},2024-03,signups,total,all,3"]),
            [(2 + len(good), "measure", "unknown measure 'signups'")],
        ),
        "unknown category": (
            tandem_csv(org, {"2024-03": good}, [f"{org},2024-03,enrollments,race,martian,0"]),
            [(2 + len(good), "category", "unknown race category 'martian'")],
        ),
        "breakdown not adding up": (
            tandem_csv(org, {"2024-03": _with(good, "race", "black", 40)}),
            [(total, "count", "enrollments by race adds up to")],
        ),
        "negative count": (
            tandem_csv(org, {"2024-03": _with(good, "race", "black", -1)}),
            [(black, "count", "'-1' is not a count")],
        ),
        "non-integer count": (
            tandem_csv(org, {"2024-03": _with(good, "race", "black", "1.5")}),
            [(black, "count", "'1.5' is not a count")],
        ),
        "future month": (
            tandem_csv(org, {"2024-05": good}),
            [(2, "month", "May 2024 is in the future")],
        ),
        "month before joining": (
            tandem_csv(org, {"2022-12": good}),
            [(2, "month", "December 2022 is before the organization joined the network on January 1, 2023")],
        ),
        "wrong organization code": (
            tandem_csv("1234", {"2024-03": good}),
            [
                (line, "org_code", "the organization code '1234' is not this organization's")
                for line in range(2, 2 + len(good))
            ],
        ),
        "duplicate row": (
            tandem_csv(org, {"2024-03": good}, [f"{org},2024-03,enrollments,race,black,0"]),
            [
                (
                    2 + len(good),
                    "category",
                    f"enrollments by race, black, is given twice (also on line {black})",
                )
            ],
        ),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "unknown measure",
        "unknown category",
        "breakdown not adding up",
        "negative count",
        "non-integer count",
        "future month",
        "month before joining",
        "wrong organization code",
        "duplicate row",
    ],
)
def test_a_bad_tandem_file_is_refused_whole_with_every_problem_and_nothing_stored(world, kind):
    data, expected = _bad_files(world)[kind]
    upload = read(world, data)
    assert upload.status == UploadStatus.REFUSED
    found = [(p.get("line"), p.get("column"), p["message"]) for p in upload.problems]
    assert len(found) == len(expected), found
    for (line, column, message), (want_line, want_column, start) in zip(found, expected, strict=True):
        assert (line, column) == (want_line, want_column) and message.startswith(start), found
    assert all(p.get("expected") for p in upload.problems)
    assert upload.result == {}
    assert nothing_stored()
    with pytest.raises(UploadNotReady):
        save(world, upload)
    assert nothing_stored()


def test_every_problem_of_a_file_is_listed_not_only_the_first(world):
    org = code(world)
    good = values_for(world.network, {"enrollments": 4})
    data = tandem_csv(
        org, {"2024-03": _with(good, "race", "black", -1), "2024-05": good}, ["9999,2024-03,x,y,z,1"]
    )
    upload = read(world, data)
    messages = [p["message"] for p in upload.problems]
    assert any("is not a count" in m for m in messages)
    assert any("May 2024 is in the future" in m for m in messages)
    assert any("'9999' is not this organization's" in m for m in messages)
    assert any("unknown measure 'x'" in m for m in messages)
    assert [p["line"] for p in upload.problems] == sorted(p["line"] for p in upload.problems)


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8-sig", "cp1252"])
def test_latin1_and_bom_files_are_accepted(world, encoding):
    values = values_for(world.network, {"enrollments": 4})
    text = (
        HEADER
        + ",note\n"
        + "".join(
            f"{code(world)},2024-03,{v.measure},{v.breakdown},{v.category},{v.count},Peña Clinic\n"
            for v in values
        )
    )
    upload = read(world, text.encode(encoding))
    assert upload.status == UploadStatus.READY, upload.problems


def test_empty_and_oversized_files_are_refused_with_one_problem(world, settings):
    empty = read(world, b"")
    assert [p["message"] for p in empty.problems] == ["the file is empty"]
    header_only = read(world, (HEADER + "\n").encode())
    assert [p["message"] for p in header_only.problems] == ["the file has a header row but no counts"]
    settings.REPORT_UPLOAD_MAX_BYTES = 100
    big = read(world, tandem_csv(code(world), {"2024-03": values_for(world.network, {"enrollments": 4})}))
    assert big.status == UploadStatus.REFUSED
    assert len(big.problems) == 1 and "more than the 100 bytes Tandem takes" in big.problems[0]["message"]
    assert nothing_stored()


def test_a_file_that_is_not_csv_is_refused(world):
    upload = read(world, b"%PDF-1.7\n" + b"\x00" * 50, name="counts.csv")
    assert upload.problems[0]["message"] == "the file is not a CSV file: it looks like a PDF document"


# --- DPRP participant file -------------------------------------------------------------------------


def test_a_dprp_file_becomes_monthly_enrollments_and_active_participants(world):
    data = dprp_file(
        [
            session("A", "02/06/2024"),
            session("A", "03/05/2024"),
            session("B", "03/05/2024", AGE="67", SEX="1", WHITE="1", BLACK="2", PAYERSOURCE="1", DMODE="2"),
            session("B", "03/19/2024", AGE="67", SEX="1", WHITE="1", BLACK="2", PAYERSOURCE="1", DMODE="2"),
        ],
        org_code=code(world),
    )
    upload = read(world, data, format="dprp")
    assert upload.status == UploadStatus.READY, upload.problems
    assert upload.result["edition"] == "2021"
    assert (upload.result["participants"], upload.result["sessions_count"]) == (2, 4)
    assert [(m["month"], m["totals"]) for m in upload.result["months"]] == [
        ("2024-02", {"enrollments": 1, "active_participants": 1}),
        ("2024-03", {"enrollments": 1, "active_participants": 2}),
    ]
    assert nothing_stored()  # the preview stores nothing

    saved = save(world, upload)
    assert [r.month for r in saved] == [datetime.date(2024, 2, 1), MARCH]
    march = current(world, MARCH)
    assert march["active_participants", "race", "black"] == 1
    assert march["active_participants", "race", "white"] == 1
    assert march["enrollments", "age_group", "65-plus"] == 1
    assert march["enrollments", "payer", "medicare"] == 1
    assert march["enrollments", "delivery_mode", "online"] == 1
    assert march["active_participants", "county", "unknown"] == 2
    assert saved[1].current_version.source == ReportSource.DPRP_FILE
    assert ParticipantSession.objects.filter(organization=world.supplier).count() == 4
    assert not upload.sessions_read.exists()  # stored as the organization's sessions now, not kept twice


def _counts(world) -> dict:
    return {
        report.month: {k: v for k, v in cells_of(report.current_version).items() if k[0] != "referrals"}
        for report in MonthlyReport.objects.filter(organization=world.supplier)
    }


def test_a_dprp_file_uploaded_twice_gives_the_same_counts_as_once(world):
    rows = [session("A", "02/06/2024"), session("A", "03/05/2024"), session("B", "03/05/2024")]
    save(world, read(world, dprp_file(rows, org_code=code(world)), format="dprp"))
    once = _counts(world)
    versions = ReportVersion.objects.count()

    again = read(world, dprp_file(rows, org_code=code(world)), format="dprp")
    assert {m["change"] for m in again.result["months"]} == {Change.UNCHANGED}
    assert save(world, again) == []
    assert _counts(world) == once
    assert ReportVersion.objects.count() == versions
    assert ParticipantSession.objects.count() == 3


def test_overlapping_dprp_files_count_nobody_twice(world):
    first = [session("A", "01/09/2024"), session("A", "02/06/2024"), session("B", "02/13/2024")]
    second = [  # overlaps February; A and B come back; C is new in March
        session("A", "02/06/2024"),
        session("B", "02/13/2024"),
        session("A", "03/05/2024"),
        session("B", "03/12/2024"),
        session("C", "03/12/2024"),
    ]
    Network.objects.update(report_lock_days=400)  # January still open in April
    world.network.refresh_from_db()
    today = datetime.date(2024, 4, 2)  # March is over: it can be reported
    for rows in (first, second):
        upload = read(world, dprp_file(rows, org_code=code(world)), format="dprp", today=today)
        assert upload.status == UploadStatus.READY, upload.problems
        save(world, upload, today=today)
    counts = _counts(world)
    total = {
        month: (c["enrollments", "total", "all"], c["active_participants", "total", "all"])
        for month, c in counts.items()
    }
    assert total == {
        datetime.date(2024, 1, 1): (1, 1),
        datetime.date(2024, 2, 1): (1, 2),
        datetime.date(2024, 3, 1): (1, 3),
    }
    # Exactly what one file of every session gives.
    assert ParticipantSession.objects.count() == 6


def test_an_earlier_session_in_a_later_file_moves_the_enrollment_back(world):
    today = datetime.date(2024, 3, 15)
    save(
        world,
        read(
            world, dprp_file([session("A", "02/06/2024")], org_code=code(world)), format="dprp", today=today
        ),
        today=today,
    )
    assert _counts(world)[datetime.date(2024, 2, 1)]["enrollments", "total", "all"] == 1
    upload = read(
        world, dprp_file([session("A", "01/09/2024")], org_code=code(world)), format="dprp", today=today
    )
    assert [(m["month"], m["change"]) for m in upload.result["months"]] == [
        ("2024-01", Change.NEW),
        ("2024-02", Change.CHANGED),
    ]
    save(world, upload, today=today)
    counts = _counts(world)
    assert counts[datetime.date(2024, 1, 1)]["enrollments", "total", "all"] == 1
    assert counts[datetime.date(2024, 2, 1)]["enrollments", "total", "all"] == 0
    assert counts[datetime.date(2024, 2, 1)]["active_participants", "total", "all"] == 1


def test_a_dprp_recount_keeps_the_months_referrals(world):
    services.report_save(
        network=world.network,
        organization=world.supplier,
        month=MARCH,
        values=values_for(world.network, {"referrals": 25, "enrollments": 9}),
        user=world.partner,
        source=ReportSource.FORM,
        submit=True,
        today=TODAY,
    )
    upload = read(world, dprp_file([session("A", "03/05/2024")], org_code=code(world)), format="dprp")
    (month,) = upload.result["months"]
    assert month["change"] == Change.CHANGED
    assert month["stored_totals"] == {"referrals": 25, "enrollments": 9}
    save(world, upload)
    cells = current(world, MARCH)
    assert cells["referrals", "total", "all"] == 25
    assert cells["enrollments", "total", "all"] == 1


def test_weights_heights_and_participant_ids_are_not_stored(world):
    """The participant ID and height are never stored; weight, activity and A1C are, for the outcome
    measures, only on the hashed session rows, never in the upload's preview or result."""
    rows = [session("SECRET-ID-4411", "03/05/2024", WEIGHT="287.5", HEIGHT="71.25", A1C="6.35", PA="143")]
    upload = read(world, dprp_file(rows, org_code=code(world)), format="dprp")
    preview = json.dumps(upload.result)
    for private in ("SECRET-ID-4411", "287.5", "71.25", "6.35", "6.4", "143"):
        assert private not in preview
    (waiting,) = UploadSession.objects.filter(upload=upload).values("weight", "activity_minutes", "a1c")
    assert waiting == {"weight": Decimal("287.5"), "activity_minutes": 143, "a1c": Decimal("6.4")}
    save(world, upload)
    upload.refresh_from_db()
    stored = json.dumps([list(row) for row in ParticipantSession.objects.values_list()], default=str)
    for private in ("SECRET-ID-4411", "71.25"):
        assert private not in stored
    for private in ("SECRET-ID-4411", "287.5", "71.25", "6.35", "6.4", "143"):
        assert private not in json.dumps(upload.result)
    (kept,) = ParticipantSession.objects.values("weight", "activity_minutes", "a1c", "edition")
    assert kept == {
        "weight": Decimal("287.5"),
        "activity_minutes": 143,
        "a1c": Decimal("6.4"),
        "edition": "2021",
    }
    assert {f.name for f in ParticipantSession._meta.get_fields()} == {
        "id", "organization", "participant", "session_date", "race", "ethnicity", "sex", "age_group",
        "payer", "delivery_mode", "upload", "weight", "activity_minutes", "a1c", "edition",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ({"PAYERSOURCE": "14"}, "PAYERSOURCE", "PAYERSOURCE '14' is not a code of the DPRP Standards"),
        ({"AGE": "17"}, "AGE", "the participant is 17"),
        ({"ORGCODE": "0000"}, "ORGCODE", "the organization code '0000' is not this organization's"),
        ({"DATE": "05/01/2024"}, "DATE", "05/01/2024 is in the future"),
        (
            {"DATE": "01/05/1926"},
            "DATE",
            "01/05/1926 is before 2012, when CDC began recognizing lifestyle change programs",
        ),
        ({"WEIGHT": "9000"}, "WEIGHT", "WEIGHT '9000' is not plausible"),
    ],
)
def test_a_bad_dprp_file_is_refused_whole_and_nothing_is_kept(world, row, column, message):
    rows = [session("A", "03/05/2024"), session("B", "03/05/2024", **row)]
    upload = read(world, dprp_file(rows, org_code=code(world)), format="dprp")
    assert upload.status == UploadStatus.REFUSED
    assert upload.problems == [
        {**upload.problems[0], "line": 3, "column": column, "message": message},
    ]
    assert upload.result == {}
    assert nothing_stored()


def test_sessions_before_the_organization_joined_are_kept_but_not_reported(world):
    today = datetime.date(2023, 2, 10)
    rows = [session("A", "12/06/2022"), session("A", "01/10/2023"), session("B", "01/10/2023")]
    upload = read(world, dprp_file(rows, org_code=code(world)), format="dprp", today=today)
    assert upload.status == UploadStatus.READY, upload.problems
    assert [(m["month"], m["change"]) for m in upload.result["months"]] == [
        ("2022-12", Change.NOT_REPORTED),
        ("2023-01", Change.NEW),
    ]
    save(world, upload, today=today)
    (january,) = MonthlyReport.objects.all()
    counts = cells_of(january.current_version)
    # A enrolled in December, before joining: active in January, but not a January enrollment.
    assert counts["enrollments", "total", "all"] == 1
    assert counts["active_participants", "total", "all"] == 2
    assert ParticipantSession.objects.count() == 3


def test_a_dprp_file_that_would_change_a_locked_month_leaves_it_and_keeps_its_sessions(world):
    rows = [session("A", "01/09/2024"), session("B", "03/05/2024")]
    upload = read(world, dprp_file(rows, org_code=code(world)), format="dprp")
    assert upload.status == UploadStatus.READY, upload.problems
    assert [(m["month"], m["change"]) for m in upload.result["months"]] == [
        ("2024-01", Change.LOCKED),
        ("2024-03", Change.NEW),
    ]
    (march,) = save(world, upload)
    assert march.month == MARCH
    upload.refresh_from_db()
    assert upload.result["locked"] == ["2024-01"]
    assert not MonthlyReport.objects.filter(month=datetime.date(2024, 1, 1)).exists()
    # January's session is kept: once the month is reopened, the same file counts it, and nobody twice.
    assert ParticipantSession.objects.count() == 2
    services.report_reopen(
        network=world.network,
        organization=world.supplier,
        month=datetime.date(2024, 1, 1),
        user=world.backbone,
        today=TODAY,
    )
    again = read(world, dprp_file(rows, org_code=code(world)), format="dprp")
    assert [(m["month"], m["change"]) for m in again.result["months"]] == [
        ("2024-01", Change.NEW),
        ("2024-03", Change.UNCHANGED),
    ]
    (january,) = save(world, again)
    assert cells_of(january.current_version)["enrollments", "total", "all"] == 1
    assert current(world, MARCH)["enrollments", "total", "all"] == 1
    assert ParticipantSession.objects.count() == 2


@pytest.mark.parametrize("edition", ["2018", "2024"])
def test_other_editions_are_saved_alike(world, edition):
    rows = [session("A", "03/05/2024", PAYER="7", PAYERSOURCE="7")]
    upload = read(world, dprp_file(rows, edition=edition, org_code=code(world)), format="dprp")
    assert upload.result["edition"] == edition
    save(world, upload)
    assert current(world, MARCH)["enrollments", "payer", "employer"] == 1


# --- saving, discarding, the background job --------------------------------------------------------


def test_a_month_locked_between_preview_and_save_is_left_as_it_was_and_the_others_saved(world):
    data = tandem_csv(code(world), {
        "2024-03": values_for(world.network, {"enrollments": 4}),
        "2024-02": values_for(world.network, {"enrollments": 2}),
    })  # fmt: skip
    upload = read(world, data)
    (march,) = save(world, upload, today=datetime.date(2024, 4, 20))  # February locked after April 14
    assert march.month == MARCH
    upload.refresh_from_db()
    assert upload.status == UploadStatus.SAVED
    assert upload.result["saved"] == ["2024-03"] and upload.result["locked"] == ["2024-02"]
    assert not MonthlyReport.objects.filter(month=datetime.date(2024, 2, 1)).exists()


def test_a_tandem_file_saves_its_open_months_and_lists_the_locked_ones(world):
    january = values_for(world.network, {"enrollments": 2})
    march = values_for(world.network, {"enrollments": 4})
    upload = read(world, tandem_csv(code(world), {"2024-01": january, "2024-03": march}))
    assert upload.status == UploadStatus.READY, upload.problems
    assert [(m["month"], m["change"]) for m in upload.result["months"]] == [
        ("2024-01", Change.LOCKED),
        ("2024-03", Change.NEW),
    ]
    saved = save(world, upload)
    assert [report.month for report in saved] == [MARCH]
    upload.refresh_from_db()
    assert upload.result["locked"] == ["2024-01"]
    assert MonthlyReport.objects.count() == 1


def test_bad_data_in_a_locked_month_still_refuses_the_whole_file_with_every_problem(world):
    good = values_for(world.network, {"enrollments": 4})
    upload = read(
        world,
        tandem_csv(
            code(world),
            {"2024-01": _with(good, "race", "black", -1), "2024-03": good},
            [f"{code(world)},2024-03,enrollments,race,martian,0"],
        ),
    )
    assert upload.status == UploadStatus.REFUSED
    messages = [p["message"] for p in upload.problems]
    assert any("'-1' is not a count" in m for m in messages)
    assert any("unknown race category 'martian'" in m for m in messages)
    assert not any("locked" in m for m in messages)
    assert nothing_stored()


def test_an_upload_is_saved_once(world):
    upload = read(world, tandem_csv(code(world), {"2024-03": values_for(world.network, {"enrollments": 4})}))
    save(world, upload)
    with pytest.raises(UploadNotReady):
        save(world, upload)
    assert ReportVersion.objects.count() == 1


def test_a_discarded_upload_forgets_its_sessions_and_stores_nothing(world):
    upload = read(world, dprp_file([session("A", "03/05/2024")], org_code=code(world)), format="dprp")
    uploads.upload_discard(upload=upload, user=world.partner)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.DISCARDED and not upload.sessions_read.exists()
    assert nothing_stored()
    with pytest.raises(UploadNotReady):
        save(world, upload)


def test_a_large_file_is_read_in_the_background_with_progress(
    world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.REPORT_UPLOAD_BACKGROUND_ROWS = 5
    monkeypatch.setattr(encoding, "PROGRESS_EVERY", 2)
    seen: list[tuple[int, int]] = []
    writer = uploads._progress_writer

    def spy(upload):
        write = writer(upload)

        def record(rows_done):
            write(rows_done)
            row = Upload.objects.get(pk=upload.pk)
            seen.append((row.rows_done, row.rows_total))

        return record

    monkeypatch.setattr(uploads, "_progress_writer", spy)
    rows = [session(f"P{i}", recent()) for i in range(9)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload = read(world, dprp_file(rows, org_code=code(world)), format="dprp")
    assert upload.status == UploadStatus.QUEUED
    assert upload.file and stored_files()  # stored for the worker
    assert nothing_stored()

    for callback in callbacks:
        callback()  # the task, run eagerly as a worker would
    upload.refresh_from_db()
    assert upload.status == UploadStatus.READY, upload.problems
    assert seen == [(2, 9), (4, 9), (6, 9), (8, 9)]
    assert (upload.rows_done, upload.rows_total, upload.percent_done) == (9, 9, 100)
    assert not upload.file and not stored_files()  # the DPRP file is gone once read
    assert upload.result["months"][0]["totals"] == {"enrollments": 9, "active_participants": 9}


def test_the_background_job_reads_an_upload_once(world, settings, django_capture_on_commit_callbacks):
    settings.REPORT_UPLOAD_BACKGROUND_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        upload = read(
            world,
            dprp_file([session("A", recent()), session("B", recent())], org_code=code(world)),
            format="dprp",
        )
    upload.refresh_from_db()
    assert upload.status == UploadStatus.READY
    assert uploads.upload_read_queued(upload_id=upload.pk) is None  # already claimed: nothing happens
    tasks.upload_read(upload.pk)  # a redelivered message does nothing either


def test_a_job_out_of_time_refuses_the_upload_and_deletes_the_file(world, settings):
    settings.REPORT_UPLOAD_BACKGROUND_ROWS = 1
    upload = read(
        world,
        dprp_file([session("A", recent()), session("B", recent())], org_code=code(world)),
        format="dprp",
    )
    assert upload.status == UploadStatus.QUEUED  # no on_commit in this test's transaction
    uploads.upload_fail(upload_id=upload.pk, message="the file took too long to read")
    upload.refresh_from_db()
    assert (
        upload.status == UploadStatus.REFUSED
        and upload.problems[0]["message"] == "the file took too long to read"
    )
    assert not stored_files()


# --- pages -----------------------------------------------------------------------------------------


def url(world, name: str, **kwargs) -> str:
    return reverse(
        f"metrics:{name}", kwargs={"slug": "kansas", "organization_id": world.supplier.pk, **kwargs}
    )


def page_upload(client, world, data: bytes, format="tandem", submit="1"):
    return client.post(
        url(world, "upload_create"),
        {
            "format": format,
            "submit": submit,
            "file": SimpleUploadedFile("counts.csv", data, content_type="text/csv"),
        },
    )


ROLES = [
    ("partner", 200),
    ("backbone", 403),
    ("state_viewer", 403),
    ("other_partner", 404),
    ("other_backbone", 404),
    ("outsider", 404),
]


@pytest.mark.parametrize(("role", "status"), ROLES)
def test_only_partner_staff_of_the_organization_get_the_upload_pages(world, client_for, role, status):
    upload = read(world, tandem_csv(code(world), {"2024-03": values_for(world.network, {"enrollments": 4})}))
    client = client_for(getattr(world, role))
    gets = [
        url(world, "upload_create"),
        url(world, "upload_list"),
        url(world, "upload_template"),
        url(world, "upload_detail", pk=upload.pk),
        url(world, "upload_progress", pk=upload.pk),
    ]
    for address in gets:
        assert client.get(address).status_code == status, address
    posts = [url(world, "upload_save", pk=upload.pk), url(world, "upload_discard", pk=upload.pk)]
    for address in posts:
        assert client.post(address).status_code == (302 if status == 200 else status), address
    if status != 200:
        assert nothing_stored()
        upload.refresh_from_db()
        assert upload.status == UploadStatus.READY


def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    response = client.get(url(world, "upload_create"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_organizations_upload_is_not_found(world, client_for):
    other = uploads.upload_read(
        network=world.other_network,
        organization=world.other_network.memberships.get().organization,
        user=world.other_partner,
        file=SimpleUploadedFile("x.csv", b""),
        format="tandem",
        submit=True,
    )
    response = client_for(world.partner).get(url(world, "upload_detail", pk=other.pk))
    assert response.status_code == 404


def test_the_upload_form_page(world, client_for):
    response = client_for(world.partner).get(url(world, "upload_create"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html and '<label class="usa-label" for="id_file">' in html
    assert "<caption>" in html and "Download the template" in html


def test_a_form_without_a_file_is_a_form_error_not_a_500(world, client_for):
    response = client_for(world.partner).post(
        url(world, "upload_create"), {"format": "tandem", "submit": "1"}
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_the_template_download_is_prefilled_with_the_organizations_codes(world, client_for):
    client = client_for(world.partner)
    response = client.get(url(world, "upload_template"), {"month": "2024-03"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[1] == f"{code(world)},2024-03,referrals,total,all,,All"
    assert client.get(url(world, "upload_template"), {"month": "March"}).status_code == 400


def test_upload_preview_save_through_the_pages(world, client_for):
    client = client_for(world.partner)
    month = f"{last_month():%Y-%m}"
    data = tandem_csv(code(world), {month: values_for(world.network, {"enrollments": 12, "referrals": 30})})
    response = page_upload(client, world, data)
    upload = Upload.objects.get()
    assert response.status_code == 302 and response["Location"] == url(world, "upload_detail", pk=upload.pk)

    html = client.get(response["Location"]).content.decode()
    assert "Preview: nothing is saved yet" in html and "<caption>Months in counts.csv" in html
    assert f"{last_month():%B %Y}" in html and "New month: saved as its first version" in html
    assert "Save and submit" in html and "Discard" in html
    assert nothing_stored()

    response = client.post(url(world, "upload_save", pk=upload.pk), follow=True)
    assert "1 month submitted" in response.content.decode()
    report = MonthlyReport.objects.get()
    assert (
        report.status == ReportStatus.SUBMITTED
        and cells_of(report.current_version)["referrals", "total", "all"] == 30
    )


def test_a_refused_file_lists_every_problem_in_a_table(world, client_for):
    client = client_for(world.partner)
    month = f"{last_month():%Y-%m}"
    data = tandem_csv("wrong", {month: values_for(world.network, {"enrollments": 2})[:1]})
    response = page_upload(client, world, data)
    html = client.get(response["Location"]).content.decode()
    assert "The file was refused: nothing was saved" in html
    assert "<caption>Problems in counts.csv, by line of the file (the header is line 1)</caption>" in html
    for heading in ("Line", "Column", "Problem", "Expected"):
        assert f'<th scope="col">{heading}</th>' in html
    assert "The organization code &#x27;wrong&#x27; is not this organization&#x27;s" in html
    assert nothing_stored()


def test_a_dprp_file_through_the_pages_then_discarded(world, client_for):
    client = client_for(world.partner)
    day = last_month().replace(day=5)
    data = dprp_file([session("A", f"{day:%m/%d/%Y}"), session("B", f"{day:%m/%d/%Y}")], org_code=code(world))
    response = page_upload(client, world, data, format="dprp", submit="0")
    html = client.get(response["Location"]).content.decode()
    assert "2 sessions of 2 participants" in html and "Save as drafts" in html
    assert "2021 DPRP Standards" in html
    upload = Upload.objects.get()
    response = client.post(url(world, "upload_discard", pk=upload.pk))
    assert response.status_code == 302
    upload.refresh_from_db()
    assert upload.status == UploadStatus.DISCARDED and nothing_stored()


def test_the_progress_page_refreshes_itself_and_works_without_javascript(world, client_for, settings):
    settings.REPORT_UPLOAD_BACKGROUND_ROWS = 1
    client = client_for(world.partner)
    day = last_month().replace(day=5)
    data = dprp_file([session(f"P{i}", f"{day:%m/%d/%Y}") for i in range(4)], org_code=code(world))
    response = page_upload(client, world, data, format="dprp")  # queued: the test's transaction never commits
    upload = Upload.objects.get()
    assert upload.status == UploadStatus.QUEUED
    Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.READING, rows_done=2, rows_total=4)
    html = client.get(response["Location"]).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert '<progress id="upload-progress-bar" class="width-full" max="100" value="50"' in html
    assert "50 % read: 2 of about 4 rows." in html and "js/upload_progress.js" in html
    progress = client.get(url(world, "upload_progress", pk=upload.pk)).json()
    assert progress == {
        "status": "reading", "status_display": "Being read", "rows_done": 2, "rows_total": 4,
        "percent": 50, "done": False,
    }  # fmt: skip

    Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.QUEUED)
    uploads.upload_read_queued(upload_id=upload.pk)
    html = client.get(response["Location"]).content.decode()
    assert "http-equiv" not in html and "Preview: nothing is saved yet" in html
    assert client.get(url(world, "upload_progress", pk=upload.pk)).json()["done"] is True


def test_a_job_that_runs_out_of_time_says_so(world, settings, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    def too_slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    settings.REPORT_UPLOAD_BACKGROUND_ROWS = 1
    upload = read(
        world,
        dprp_file([session("A", recent()), session("B", recent())], org_code=code(world)),
        format="dprp",
    )
    monkeypatch.setattr(uploads, "_read", too_slow)
    tasks.upload_read(upload.pk)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.REFUSED
    assert upload.problems[0]["message"] == "the file took too long to read"
    assert not upload.file


def test_a_bug_while_reading_in_the_background_refuses_the_upload_instead_of_spinning(
    world, settings, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    settings.REPORT_UPLOAD_BACKGROUND_ROWS = 1
    upload = read(
        world,
        dprp_file([session("A", recent()), session("B", recent())], org_code=code(world)),
        format="dprp",
    )
    monkeypatch.setattr(uploads, "_read", broken)
    tasks.upload_read(upload.pk)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.REFUSED
    assert upload.problems == [uploads.NOT_READ.as_dict()]
    assert not upload.file


def test_a_locked_draft_month_the_file_does_not_change_does_not_refuse_the_file(world):
    january = [session("A", "01/09/2024")]
    early = datetime.date(2024, 2, 1)  # January is over and open
    save(
        world,
        read(world, dprp_file(january, org_code=code(world)), format="dprp", submit=False, today=early),
        today=early,
    )
    upload = read(
        world, dprp_file([*january, session("B", "03/05/2024")], org_code=code(world)), format="dprp"
    )
    assert upload.status == UploadStatus.READY, upload.problems
    assert [(m["month"], m["change"]) for m in upload.result["months"]] == [
        ("2024-01", Change.LOCKED),  # would only be submitted, but January is locked: left as it is
        ("2024-03", Change.NEW),
    ]
    (march,) = save(world, upload)
    assert march.month == MARCH
    assert MonthlyReport.objects.get(month=datetime.date(2024, 1, 1)).status == ReportStatus.DRAFT


# --- files read strictly ---------------------------------------------------------------------------


def template_lines(world, months: dict[str, list[ValueIn]]) -> list[str]:
    """Tandem's template as a partner fills it in: the ignored category_name column included."""
    lines = [f"{HEADER},category_name"]
    for month, values in months.items():
        lines += [
            f"{code(world)},{month},{v.measure},{v.breakdown},{v.category},{v.count},{v.category} people"
            for v in values
        ]
    return lines


def test_an_unclosed_quote_in_an_ignored_cell_refuses_the_whole_file_at_its_line(world):
    february = values_for(world.network, {"enrollments": 4})
    march = values_for(world.network, {"enrollments": 6}, seed=2)
    lines = template_lines(world, {"2024-02": february, "2024-03": march})
    last_of_february = len(february) + 1  # the header is line 1
    unclosed = lines[last_of_february - 1].rsplit(",", 1)[0] + ',"Black or African American'
    lines[last_of_february - 1] = unclosed
    upload = read(world, ("\n".join(lines) + "\n").encode())
    assert upload.status == UploadStatus.REFUSED, upload.result.get("months")
    assert [(p["line"], p["column"]) for p in upload.problems] == [(last_of_february, "category_name")]
    assert "quote" in upload.problems[0]["message"]
    assert upload.result == {} and nothing_stored()


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ('"4', 'the quote (") that opens this cell is not closed on its line'),
        ('"4"4', 'a quote (") stands inside a cell'),
    ],
)
def test_a_quote_in_a_count_is_refused_at_its_line_not_taken_for_blank_counts(world, cell, message):
    march = values_for(world.network, {"enrollments": 4})
    lines = template_lines(world, {"2024-03": march})
    lines[1] = lines[1].replace(f",{march[0].count},", f",{cell},")
    upload = read(world, ("\n".join(lines) + "\n").encode())
    assert upload.status == UploadStatus.REFUSED
    assert [p["line"] for p in upload.problems] == [2]
    assert upload.problems[0]["message"].startswith(message)
    assert not any("blank" in p["message"] for p in upload.problems)


def test_a_row_with_a_cell_too_many_or_too_few_refuses_the_file(world):
    march = values_for(world.network, {"enrollments": 4})
    lines = template_lines(world, {"2024-03": march})
    lines[2] += ",Prairie, Kansas"
    lines[4] = lines[4].rsplit(",", 2)[0]
    upload = read(world, ("\n".join(lines) + "\n").encode())
    assert upload.status == UploadStatus.REFUSED
    assert [(p["line"], p["message"]) for p in upload.problems] == [
        (3, "the line has 9 cells, but the header has 7 columns"),
        (5, "the line has 5 cells, but the header has 7 columns"),
    ]
    assert nothing_stored()


def test_a_file_mixing_two_encodings_is_refused_at_its_line(world):
    march = values_for(world.network, {"enrollments": 4})
    lines = template_lines(world, {"2024-03": march})
    lines[1] += " Peña"
    latin1 = "\n".join(lines[3:]).replace("people", "Peña").encode("latin-1")
    upload = read(world, "\n".join(lines[:3]).encode() + b"\n" + latin1 + b"\n")
    assert upload.status == UploadStatus.REFUSED
    assert [(p["line"], p["message"].split(":")[0]) for p in upload.problems] == [
        (4, "the line is not UTF-8 text, but line 2 is")
    ]


def test_a_dprp_session_dated_1926_is_a_problem_not_an_enrollment_moved_to_1926(world):
    rows = [session("A", "03/05/2024"), session("A", "01/05/1926"), session("B", "03/12/2024")]
    upload = read(world, dprp_file(rows, org_code=code(world)), format="dprp")
    assert upload.status == UploadStatus.REFUSED
    assert [(p["line"], p["column"]) for p in upload.problems] == [(3, "DATE")]
    assert upload.problems[0]["expected"].startswith("a session date from 01/01/2012 to today")
    assert nothing_stored()


# --- limits ----------------------------------------------------------------------------------------


def test_a_file_over_the_row_limit_is_refused_at_once_without_being_read_or_kept(
    world, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_UPLOAD_MAX_ROWS = 10
    settings.REPORT_UPLOAD_BACKGROUND_ROWS = 5
    data = tandem_csv(code(world), {"2024-03": values_for(world.network, {"enrollments": 4})})
    rows = data.count(b"\n") - 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload = read(world, data)
    assert callbacks == []  # nothing queued
    assert upload.status == UploadStatus.REFUSED
    assert upload.problems == [
        {
            "message": f"the file has {rows} rows; Tandem reads files of up to 10 rows",
            "expected": "a smaller file: split it by months and upload each part",
        }
    ]
    assert not upload.file and not stored_files() and nothing_stored()


def test_a_file_of_few_but_long_rows_is_read_in_the_background(
    world, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_UPLOAD_BACKGROUND_BYTES = 200
    data = dprp_file([session("A", recent()), session("B", recent())], org_code=code(world))
    assert len(data) > 200
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload = read(world, data, format="dprp")
    assert upload.status == UploadStatus.QUEUED and upload.rows_total == 2 and len(callbacks) == 1


def test_a_large_file_is_kept_as_uploaded_where_every_worker_can_read_it(world, settings):
    settings.REPORT_UPLOAD_BACKGROUND_ROWS = 1
    data = dprp_file([session(f"P{i}", recent()) for i in range(3)], org_code=code(world))
    upload = read(world, data, format="dprp")
    assert stored_files() == [upload.file.name]
    with upload.file.open("rb") as stored:
        assert stored.read() == data
    assert upload.sha256 == __import__("hashlib").sha256(data).hexdigest()


# --- unexpected errors -----------------------------------------------------------------------------


def test_a_superscript_digit_in_a_count_ends_the_upload_refused_not_stuck(world):
    march = values_for(world.network, {"enrollments": 4})
    data = tandem_csv(code(world), {"2024-03": _with(march, "race", "black", "\u00b2")})
    upload = read(world, data)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.REFUSED and upload.problems
    assert nothing_stored()


def test_a_bug_while_reading_in_the_request_refuses_the_upload_instead_of_leaving_it_reading(
    world, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(uploads, "_tandem_preview", broken)
    upload = read(world, tandem_csv(code(world), {"2024-03": values_for(world.network, {"enrollments": 4})}))
    upload.refresh_from_db()
    assert upload.status == UploadStatus.REFUSED
    assert upload.problems == [
        {
            "message": "Tandem could not read this file: the fault is Tandem's, not the file's",
            "expected": "the file again later; if it happens again, tell the backbone organization",
        }
    ]
    assert nothing_stored()


# --- a broker outage, a killed worker, and what is left behind -------------------------------------


def closed_port() -> int:
    """A port on this machine with nothing listening: connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _broker_at(url: str, *, eager: bool) -> None:
    conf = celery_app.conf
    conf.broker_url, conf.task_always_eager = url, eager
    # Drop the pooled connections, as Celery does after a fork, so the next message goes to ``url``.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """The broker configured but not running: a Redis address on a port that refuses connections."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    _broker_at(f"redis://127.0.0.1:{closed_port()}/0", eager=False)
    yield
    _broker_at(saved[0], eager=saved[1])


def age(upload: Upload, **delta) -> None:
    """Make the upload's last sign of life (and its creation) ``delta`` older."""
    Upload.objects.filter(pk=upload.pk).update(
        heartbeat_at=timezone.now() - datetime.timedelta(**delta),
        created_at=timezone.now() - datetime.timedelta(**delta),
    )


def test_with_the_broker_down_a_large_upload_waits_queued_and_is_read_once_it_is_back(
    world, client_for, api_for, settings, broker_down, django_capture_on_commit_callbacks
):
    settings.REPORT_UPLOAD_BACKGROUND_ROWS = 1
    data = dprp_file([session("A", recent()), session("B", recent())], org_code=code(world))
    with django_capture_on_commit_callbacks(execute=True):
        response = page_upload(client_for(world.partner), world, data, format="dprp")
        answer = api_for(world.partner).post(
            reverse("api:upload_create"),
            {"file": SimpleUploadedFile("api.csv", data), "organization": world.supplier.pk,
             "network": "kansas", "format": "dprp"},
            format="multipart",
        )  # fmt: skip
    assert response.status_code == 302 and answer.status_code == 202, answer.content
    page, api = Upload.objects.order_by("pk")
    assert page.status == api.status == UploadStatus.QUEUED
    assert len(stored_files()) == 2  # kept until read, not lost
    html = client_for(world.partner).get(response["Location"]).content.decode()
    assert "Waiting to be read" in html

    uploads.upload_sweep()  # too soon: the broker is still down, and nothing is lost either
    assert Upload.objects.filter(status=UploadStatus.QUEUED).count() == 2

    age(page, minutes=10)
    age(api, minutes=10)
    html = client_for(world.partner).get(response["Location"]).content.decode()
    assert "This file has not been read for a while" in html and "Tandem tries again by itself" in html
    assert url(world, "upload_discard", pk=page.pk) in html

    _broker_at(celery_app.conf.broker_url, eager=True)  # the broker is back (eager, as embedded)
    with django_capture_on_commit_callbacks(execute=True):
        assert uploads.upload_sweep()["requeued"] == 2
    for upload in (page, api):
        upload.refresh_from_db()
        assert upload.status == UploadStatus.READY, upload.problems
        assert upload.result["months"][0]["totals"] == {"enrollments": 2, "active_participants": 2}
    assert not stored_files()


def queued(world, *, rows: int = 2) -> Upload:
    """A large upload stored and queued, its message not sent (the test's transaction never commits)."""
    with override_settings(REPORT_UPLOAD_BACKGROUND_ROWS=1):
        upload = read(
            world,
            dprp_file([session(f"P{i}", recent()) for i in range(rows)], org_code=code(world)),
            format="dprp",
        )
    assert upload.status == UploadStatus.QUEUED and upload.file
    return upload


def test_a_queued_upload_unread_for_a_day_is_refused_and_its_file_removed(world):
    upload = queued(world)
    age(upload, hours=25)
    assert uploads.upload_sweep()["failed"] == 1
    upload.refresh_from_db()
    assert upload.status == UploadStatus.REFUSED and not upload.file
    assert upload.problems[0]["message"].startswith("Tandem could not read the file within a day")
    assert not stored_files()


def test_a_reading_stopped_by_a_dead_worker_is_read_again(world, django_capture_on_commit_callbacks):
    upload = queued(world)
    Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.READING, read_attempts=1, rows_done=1)
    age(upload, minutes=2)
    assert uploads.upload_sweep() == {"requeued": 0, "failed": 0, "discarded": 0, "files_removed": 0}
    age(upload, minutes=4)  # no sign of life for longer than REPORT_UPLOAD_STALLED_SECONDS
    with django_capture_on_commit_callbacks(execute=True):
        assert uploads.upload_sweep()["requeued"] == 1
    upload.refresh_from_db()
    assert upload.status == UploadStatus.READY and upload.read_attempts == 2 and not upload.file


def test_a_file_whose_reading_stops_twice_is_refused_with_a_message(world):
    upload = queued(world)
    Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.READING, read_attempts=2)
    age(upload, minutes=10)
    assert uploads.upload_sweep()["failed"] == 1
    upload.refresh_from_db()
    assert upload.status == UploadStatus.REFUSED and not stored_files()
    assert upload.problems[0]["message"] == "Tandem stopped reading this file twice before it was done"


def test_a_reading_in_the_request_that_died_is_refused_with_a_message(world):
    upload = read(world, tandem_csv(code(world), {"2024-03": values_for(world.network, {"enrollments": 4})}))
    Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.READING, result={})
    age(upload, minutes=10)
    assert uploads.upload_sweep()["failed"] == 1
    upload.refresh_from_db()
    assert upload.status == UploadStatus.REFUSED
    assert upload.problems[0]["message"] == "Tandem stopped reading this file before it was done"


def test_a_reader_taken_over_by_the_sweep_changes_nothing_when_it_wakes_up(world):
    upload = queued(world)
    claimed = uploads._claim(upload_id=upload.pk)
    assert claimed is not None
    age(upload, minutes=10)
    uploads.upload_sweep()  # re-queued: the message is sent once the test's transaction commits (never)
    uploads._finish(claimed, {"months": []}, [], rows=2)  # the first reader finishes late
    upload.refresh_from_db()
    assert upload.status == UploadStatus.QUEUED and upload.file and stored_files()
    with pytest.raises(uploads.ReadingTakenOver):
        uploads._progress_writer(claimed)(1)


@pytest.mark.parametrize("status", [UploadStatus.QUEUED, UploadStatus.READING])
def test_an_upload_waiting_or_being_read_can_always_be_discarded(world, status):
    upload = queued(world)
    Upload.objects.filter(pk=upload.pk).update(status=status)
    uploads.upload_discard(upload=upload, user=world.partner)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.DISCARDED and not stored_files()
    assert uploads.upload_read_queued(upload_id=upload.pk) is None  # a late message reads nothing


def test_an_unsaved_preview_is_discarded_after_a_week_with_the_sessions_it_read(world):
    upload = read(world, dprp_file([session("A", "03/05/2024")], org_code=code(world)), format="dprp")
    assert upload.status == UploadStatus.READY and upload.sessions_read.count() == 1
    assert UploadSession.objects.count() == 1
    age(upload, days=6)
    assert uploads.upload_sweep()["discarded"] == 0
    age(upload, days=8)
    assert uploads.upload_sweep()["discarded"] == 1
    upload.refresh_from_db()
    assert upload.status == UploadStatus.DISCARDED and not UploadSession.objects.exists()
    assert nothing_stored()


def test_files_no_upload_points_to_are_removed_after_a_day(world):
    kept = queued(world)
    stray = Upload._meta.get_field("file").storage.save(
        "uploads/2024/03/999.csv", ContentFile(b"PARTICIP\nP1\n")
    )
    assert uploads.upload_sweep()["files_removed"] == 0  # too recent: its upload may be being saved
    StoredFile.objects.update(stored_at=timezone.now() - datetime.timedelta(hours=25))
    assert uploads.upload_sweep()["files_removed"] == 1
    assert stored_files() == [kept.file.name] and stray != kept.file.name


def test_the_sweep_runs_every_minute_with_time_limits(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["upload-sweep"]
    assert entry["task"] == tasks.upload_sweep.name and entry["schedule"] == 60
    assert tasks.upload_sweep.soft_time_limit and tasks.upload_sweep.time_limit
    assert tasks.upload_sweep() == {"requeued": 0, "failed": 0, "discarded": 0, "files_removed": 0}
