"""DPRP files for the retention and outcome measures, one per edition of the DPRP Standards, and the
cohort counts each gives once uploaded and saved: for the upload tests here and for the outcome pages'.

Five participants, the same in every edition (sessions on the day program month k starts, k = 1..12,
counted from the first session: day ceil((k - 1) * 365 / 12); "999" is "not recorded"):

| who | first session | program months   | weight (lb)           | PA (min) | A1C        | sex    |
|-----|---------------|------------------|-----------------------|----------|------------|--------|
| A   | 01/09/2023    | 1 to 12          | 220 ... 209 (5.0 %)   | 999      | none       | female |
| B   | 01/09/2023    | 1, 2, 3, 10      | 200 ... 192 (4.0 %)   | 160      | 6.1 -> 6.0 | female |
| C   | 01/16/2023    | 1, 2, 3, 10      | 999                   | 999      | 6.2 -> 6.0 | female |
| D   | 01/23/2023    | 1, 2             | 230, 228              | 30       | none       | male   |
| E   | 02/06/2023    | 1                | 999                   | 999      | none       | female |

January 2023's cohort is A, B, C, D: started 4; still in at month 1: 4, 2: 4 (D's last month is 2),
3 to 10: 3 (A, B, C), 11 and 12: 1 (A). Sessions: A 12 (9 to 15), B and C 4 (4 to 8), D 2 (1 to 3).
Evaluated (3 in months 1 to 6, the last at least 9 months after the first): A, B, C. 9 sessions in
months 1 to 6: nobody (A has 6); 3 in months 7 to 12: A. 5 % weight loss: A. 4 % and 150 minutes: B,
where the edition has that outcome (2021, 2024). A1C down 0.2: C, where the file has A1C (2021, 2024).
Met the outcome: A (2018); A, B, C (2021, 2024). February 2023's cohort is E: started 1, still in at
month 1, 1 to 3 sessions; the rest 0.
"""

import datetime
import math

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import SimpleUploadedFile

from metrics import uploads
from metrics.models import Upload, UploadStatus
from metrics.outcomes import MEASURES
from metrics.tests.test_importers import dprp_file, session
from network.models import Network
from partners.models import Organization

EDITIONS = ("2018", "2021", "2024")
TODAY = datetime.date(2024, 4, 2)  # every session of the files is over by then
JANUARY = datetime.date(2023, 1, 1)
FEBRUARY = datetime.date(2023, 2, 1)


def _day(first: datetime.date, month: int) -> str:
    return f"{first + datetime.timedelta(days=math.ceil((month - 1) * 365 / 12)):%m/%d/%Y}"


def _participant(
    name: str,
    first: datetime.date,
    months: list[int],
    weights: list[str],
    pa: str,
    a1c: list[str],
    **row: str,
) -> list[dict[str, str]]:
    """Rows of one participant: the first weight and A1C at the first session, the last at the last,
    999 (weight, PA) or nothing (A1C) between them; A1C is dropped by `dprp_file` from a 2018 file."""
    rows = []
    for index, month in enumerate(months):
        edge = 0 if index == 0 else (-1 if index == len(months) - 1 else None)
        weight = weights[edge] if edge is not None and weights else "999"
        result = a1c[edge] if edge is not None and a1c else ""
        rows.append(session(name, _day(first, month), WEIGHT=weight, PA=pa, A1C=result, **row))
    return rows


def outcome_rows() -> list[dict[str, str]]:
    """The rows of the table above, in the file's order."""
    return [
        *_participant("A", datetime.date(2023, 1, 9), list(range(1, 13)), ["220", "209"], "999", []),
        *_participant("B", datetime.date(2023, 1, 9), [1, 2, 3, 10], ["200", "192"], "160", ["6.1", "6.0"]),
        *_participant("C", datetime.date(2023, 1, 16), [1, 2, 3, 10], [], "999", ["6.2", "6.0"]),
        *_participant("D", datetime.date(2023, 1, 23), [1, 2], ["230", "228"], "30", [], SEX="1"),
        *_participant("E", datetime.date(2023, 2, 6), [1], [], "999", []),
    ]


def outcome_file(edition: str, *, org_code: str) -> bytes:
    """The DPRP file of the table above in ``edition``'s columns."""
    return dprp_file(outcome_rows(), edition=edition, org_code=org_code)


def expected_totals(edition: str) -> dict[tuple[datetime.date, str], int]:
    """(cohort month, measure code) -> the total count the file gives, as derived above."""
    newer = edition != "2018"
    january = {
        "started": 4,
        **{f"retained_m{k}": 4 if k <= 2 else (3 if k <= 10 else 1) for k in range(1, 13)},
        "sessions_1_3": 1,
        "sessions_4_8": 2,
        "sessions_9_15": 1,
        "sessions_16_plus": 0,
        "evaluated": 3,
        "attended_9_in_1_6": 0,
        "attended_3_in_7_12": 1,
        "weight_loss_5": 1,
        "weight_loss_4_activity_150": 1 if newer else 0,
        "a1c_drop_0_2": 1 if newer else 0,
        "met_outcome": 3 if newer else 1,
    }
    february = {measure.code: 0 for measure in MEASURES} | {
        "started": 1,
        "retained_m1": 1,
        "sessions_1_3": 1,
    }
    return {
        **{(JANUARY, code): count for code, count in january.items()},
        **{(FEBRUARY, code): count for code, count in february.items()},
    }


def outcome_upload(
    *,
    network: Network,
    organization: Organization,
    user: AbstractBaseUser,
    edition: str,
    today: datetime.date = TODAY,
) -> Upload:
    """Upload the file of ``edition`` for ``organization`` (which needs a DPRP organization code) and
    save it. The cohorts are rebuilt when the save commits: in a test, call this inside
    ``django_capture_on_commit_callbacks(execute=True)``."""
    upload = uploads.upload_read(
        network=network,
        organization=organization,
        user=user,
        file=SimpleUploadedFile(
            f"dprp-{edition}.csv", outcome_file(edition, org_code=organization.dprp_org_code)
        ),
        format="dprp",
        submit=True,
        today=today,
    )
    assert upload.status == UploadStatus.READY, upload.problems
    uploads.upload_save(upload=upload, user=user, today=today)
    return upload
