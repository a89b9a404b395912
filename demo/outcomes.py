"""Program outcomes for the demo: the sessions a few Kansas suppliers' DPRP files would have given
Tandem, and the retention and outcome cohorts counted from them (`metrics.outcomes.cohorts_rebuild`).

Cottonwood Bend Community Health Center (partner-kansas-2's) and Prairie Lantern Online Coaching share
their outcomes with the network; Tallgrass Valley YMCA (partner-kansas-1's) has not chosen to, so its
staff see the page that says only they see them. Each supplier starts a cohort every month for the 20
months before the demo's "today" (`ANCHOR`): the older cohorts have had their year, the latest are
still running. Participants attend weekly for four months, then monthly, and drop out as people do
(Medicaid participants a little sooner, so the equity view has something to show); most lose some
weight, some report enough activity, and files of the 2021 and 2024 Standards carry A1C results.

The sessions are written directly, as a saved file leaves them (hashed participants, one row a day),
rather than through uploads: the demo's monthly reports are written on their own (`demo.reports`), and a
file would recount them. Everything random is seeded, so a run is the same on every machine; a supplier
that already has sessions keeps them, so a second run only counts the cohorts again.
"""

import datetime
import math
import random
from decimal import Decimal
from typing import TextIO

from django.conf import settings
from django.db import transaction

from core.calendar import month_add, month_end
from demo.network import ANCHOR, KANSAS
from demo.reports import last_month_due, suppliers_of
from metrics.importers.dprp import BREAKDOWN_FIELDS, participant_hash
from metrics.models import CohortCount, ParticipantSession
from metrics.outcomes import cohorts_rebuild
from network.models import Network
from network.services import membership_set_choices

# Supplier name -> whether it shares its outcomes.
SUPPLIERS = {
    "Cottonwood Bend Community Health Center": True,
    "Prairie Lantern Online Coaching": True,
    "Tallgrass Valley YMCA": False,
}
COHORTS = 20  # months of cohorts, ending with the last month due
STARTERS = (6, 12)  # participants starting a month, at least and at most
STAY = 0.93  # the chance of coming back each program month (Medicaid: 0.87)
EDITION_2024 = datetime.date(2024, 6, 1)  # files of sessions from then on follow the 2024 Standards


def build_outcomes(stdout: TextIO | None = None) -> int:
    """Sessions and cohorts for the Kansas suppliers above; returns how many cohort counts they have."""
    network = Network.objects.filter(slug=KANSAS.slug).first()
    if network is None:
        return 0
    suppliers = {s.membership.organization.name: s for s in suppliers_of(KANSAS, network)}
    written = 0
    with transaction.atomic():
        for name, shared in SUPPLIERS.items():
            supplier = suppliers[name]
            organization = supplier.membership.organization
            # Through the service, so the partner's page shows the choice in its history.
            membership = supplier.membership
            membership.refresh_from_db(fields=["outcomes_shared", "named_publicly"])
            membership_set_choices(
                membership=membership,
                outcomes_shared=shared,
                named_publicly=membership.named_publicly,
                changed_by=None,
            )
            if not ParticipantSession.objects.filter(organization=organization).exists():
                rng = random.Random(f"tandem-demo:{KANSAS.slug}:outcomes:{name}")
                ParticipantSession.objects.bulk_create(
                    _sessions(organization.pk, supplier.weights, last_month_due(network), rng),
                    batch_size=2000,
                )
            cohorts_rebuild(organization=organization)
        written = CohortCount.objects.filter(organization__name__in=SUPPLIERS).count()
    if stdout is not None:
        stdout.write(f"Program outcomes: {written} cohort counts for {len(SUPPLIERS)} Kansas suppliers.\n")
    return written


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _sessions(
    organization_id: int, weights: dict[str, dict[str, float]], last: datetime.date, rng: random.Random
) -> list[ParticipantSession]:
    rows = []
    for ago in range(COHORTS - 1, -1, -1):
        cohort = month_add(last, -ago)
        for number in range(rng.randint(*STARTERS)):
            first = cohort + datetime.timedelta(days=rng.randrange(month_end(cohort).day))
            categories = {field: _pick(rng, weights[field]) for field in BREAKDOWN_FIELDS}
            if categories["delivery_mode"] == "combination":  # not a DPRP code: each session has one mode
                categories["delivery_mode"] = "in_person"
            participant = participant_hash(
                settings.PARTICIPANT_HASH_KEY, organization_id, f"DEMO-{cohort:%Y%m}-{number}"
            )
            rows += [
                ParticipantSession(
                    organization_id=organization_id, participant=participant, **categories, **kept
                )
                for kept in _attended(first, categories["payer"] == "medicaid", rng)
            ]
    return rows


def _attended(first: datetime.date, medicaid: bool, rng: random.Random) -> list[dict]:
    """One participant's sessions: weekly in program months 1 to 4, then one a month, until they stop
    coming (or their year ends); none after the demo's today."""
    stay = STAY - (0.06 if medicaid else 0)
    last_month = 1
    while last_month < 12 and rng.random() < stay:
        last_month += 1
    days = [7 * week for week in range(18) if week == 0 or rng.random() < 0.85]
    days = [day for day in days if day * 12 // 365 + 1 <= min(last_month, 4)]
    days += [math.ceil((month - 1) * 365 / 12) + rng.randrange(20) for month in range(5, last_month + 1)]
    start = rng.gauss(215, 35)
    loss = max(-0.02, rng.gauss(0.05, 0.035))  # share of weight lost by month 6, then kept off
    activity = rng.gauss(140, 45)
    a1c = rng.gauss(5.9, 0.25) if rng.random() < 0.6 else None
    a1c_drop = rng.gauss(0.15, 0.15)
    sessions = []
    for index, offset in enumerate(sorted(set(days))):
        day = first + datetime.timedelta(days=offset)
        if day >= ANCHOR:
            break
        progress = min(offset / 182.5, 1)
        weight = start * (1 - loss * progress) + rng.gauss(0, 1)
        edition = "2024" if first >= EDITION_2024 else "2021"
        # A1C at the first session and at a session past month 9, as programs test it.
        tested = a1c is not None and (index == 0 or (offset >= 274 and rng.random() < 0.5))
        sessions.append(
            {
                "session_date": day,
                "weight": Decimal(f"{min(max(weight, 100), 450):.1f}") if rng.random() < 0.9 else None,
                "activity_minutes": round(min(max(rng.gauss(activity, 30), 0), 600))
                if rng.random() < 0.8
                else None,
                "a1c": Decimal(f"{a1c - (a1c_drop if index else 0):.1f}") if tested else None,
                "edition": edition,
            }
        )
    return sessions
