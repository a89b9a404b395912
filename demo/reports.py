"""Monthly reports for the Bright Spot Initiative demo: 24 months for every supplier that reports
monthly in the five demo networks, ending with the last month due before `demo.network.ANCHOR`.

What a backbone sees in a real network: most months approved, the latest ones submitted and awaiting
review, some sent late, a few returned for correction (most corrected since, one per network still
waiting), a small supplier's "nothing to report" months while it paused between cohorts, and gaps,
above all in the most recent months of a partner drifting away.

The figures are plausible for small suppliers: 0 to 15 enrollments a month (a little more online),
more people referred than enrolled, active participants accumulating over the year-long program as
people drop out. Breakdowns follow the state's population (Michigan's participants more often Black,
Kansas's and Utah's more often Hispanic), the supplier's populations of focus, its delivery modes,
its payers and the counties it serves.

Every report goes through `metrics.services`, so it passes the same validation as a partner's. Each
month is saved with ``today`` set to the day it was sent (so a late month is not yet locked), then its
timestamps are set to those days. Everything random comes from `random.Random` seeded per state and
supplier, and the whole plan is drawn before anything is written, so a run is the same on every
machine; a month that already has a report is skipped, so a second run changes nothing.
"""

import datetime
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from core.calendar import month_add, month_end, report_due_on, report_locks_after
from demo.network import ANCHOR, STATES, StatePlan
from metrics import catalogue as catalogue_module
from metrics import services
from metrics.catalogue import COUNTY_BREAKDOWN, TOTAL_BREAKDOWN, TOTAL_CATEGORY, Catalogue
from metrics.models import MonthlyReport, ReportEvent, ReportSource, ReportStatus, ReportVersion
from metrics.rollups import rollup_rebuild
from metrics.validation import Cells
from network.models import Membership, Network

MONTHS = 24
UNKNOWN = "unknown"
MEASURES = ("referrals", "enrollments", "active_participants")
MODE_ORDER = ("in_person", "combination", "distance", "online")  # a supplier's main mode first

# Of people enrolled in a month, the share still attending 1, 2, ... 11 months later.
RETENTION = (0.9, 0.84, 0.78, 0.72, 0.66, 0.6, 0.56, 0.52, 0.49, 0.46, 0.43)

# More people enrol after New Year and in the autumn, fewer in summer and over the holidays.
SEASON = {
    1: 1.35,
    2: 1.2,
    3: 1.1,
    4: 1.0,
    5: 0.95,
    6: 0.8,
    7: 0.7,
    8: 0.85,
    9: 1.15,
    10: 1.05,
    11: 0.9,
    12: 0.6,
}

# Adults reached in each state, roughly as its population: race, and the Hispanic share.
RACE: dict[str, dict[str, float]] = {
    "kansas": {"aian": 2, "asian": 3, "black": 7, "nhopi": 0.3, "white": 74, "multiracial": 4, UNKNOWN: 9.7},
    "michigan": {
        "aian": 1,
        "asian": 4,
        "black": 34,
        "nhopi": 0.2,
        "white": 50,
        "multiracial": 3,
        UNKNOWN: 7.8,
    },
    "missouri": {
        "aian": 1,
        "asian": 2,
        "black": 19,
        "nhopi": 0.3,
        "white": 69,
        "multiracial": 3,
        UNKNOWN: 5.7,
    },
    "utah": {"aian": 2, "asian": 3, "black": 1.5, "nhopi": 2, "white": 77, "multiracial": 4, UNKNOWN: 10.5},
    "wisconsin": {
        "aian": 2.5,
        "asian": 4,
        "black": 9,
        "nhopi": 0.2,
        "white": 76,
        "multiracial": 3,
        UNKNOWN: 5.3,
    },
}
HISPANIC = {"kansas": 19, "michigan": 7, "missouri": 5, "utah": 18, "wisconsin": 8}

SEX = {"female": 70, "male": 27, UNKNOWN: 3}  # the program enrols far more women than men
AGE = {"18-44": 19, "45-64": 47, "65-plus": 31, UNKNOWN: 3}
PAYERS: dict[str, dict[str, float]] = {  # by the supplier's sector
    "health_care": {
        "medicare": 22, "medicaid": 28, "private": 25, "employer": 5, "dual": 6,
        "self_pay": 2, "grant": 4, "free": 3, "other": 1, UNKNOWN: 4,
    },
    "community_based": {
        "medicare": 30, "medicaid": 8, "private": 22, "employer": 12, "dual": 3,
        "self_pay": 8, "grant": 8, "free": 4, "other": 2, UNKNOWN: 3,
    },
    "business": {
        "medicare": 8, "medicaid": 4, "private": 30, "employer": 40, "dual": 1,
        "self_pay": 10, "grant": 1, "free": 1, "other": 2, UNKNOWN: 3,
    },
    "faith_based": {
        "medicare": 14, "medicaid": 10, "private": 6, "employer": 2, "dual": 3,
        "self_pay": 2, "grant": 30, "free": 28, "other": 1, UNKNOWN: 4,
    },
}  # fmt: skip

# Backbone comments on a month returned for correction, and the slip each one is about.
RETURNS: tuple[tuple[str, str], ...] = (
    (
        "double_counted",
        "Enrollments are higher than your referrals and last month's numbers suggest. Were participants "
        "who came to a make-up session counted again? Please count each person once, in the month of "
        "their first session.",
    ),
    (
        "race_unknown",
        "Almost everyone is under race and ethnicity unknown, but your intake form asks both. Please move "
        "the people you know to their groups.",
    ),
    (
        "one_county",
        "Every participant is in one county. Please split them by the county they live in, or put them "
        "under unknown if you do not know it.",
    ),
    (
        "active_low",
        "Active participants dropped by more than the usual drop-outs. Were your online sessions left "
        "out? Please count everyone who attended any session this month.",
    ),
)


def last_month_due(network: Network) -> datetime.date:
    """The last month due before the demo's "today" (`ANCHOR`)."""
    month = month_add(ANCHOR.replace(day=1), -1)
    while report_due_on(network, month) >= ANCHOR:
        month = month_add(month, -1)
    return month


def first_month(network: Network) -> datetime.date:
    """The first of the demo's 24 months."""
    return month_add(last_month_due(network), 1 - MONTHS)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


@dataclass
class _Supplier:
    """What shapes one supplier's figures, read from the registry the network demo built."""

    membership: Membership
    sector: str
    modes: list[str]
    populations: set[str]
    counties: list[str]  # FIPS codes it serves, the home county first
    base: float  # mean monthly enrollments before season and growth
    conversion: float  # share of referred people who enrol
    late_chance: float
    gap_chance: float
    weights: dict[str, dict[str, float]] = field(default_factory=dict)  # breakdown -> category -> weight

    @property
    def organization_id(self) -> int:
        return self.membership.organization_id


@dataclass
class _MonthPlan:
    """What happens to one month of one supplier."""

    month: datetime.date
    totals: dict[str, int]
    outcome: str  # missing, draft, nothing, on_time, late
    sent_on: datetime.date | None = None
    reviewed_on: datetime.date | None = None  # None: awaiting review
    returned: str = ""  # the slip the backbone returned it for
    corrected_on: datetime.date | None = None  # None with `returned`: still to be corrected
    approved_on: datetime.date | None = None  # of the correction


def _weights(plan: StatePlan, supplier: _Supplier, rng: random.Random) -> dict[str, dict[str, float]]:
    """Each breakdown's category weights for this supplier's participants."""
    race = dict(RACE[plan.slug])
    hispanic = HISPANIC[plan.slug]
    for group in ("black", "aian", "asian", "nhopi"):
        if group in supplier.populations:
            race[group] *= 2.5
    if "hispanic" in supplier.populations or "limited_english" in supplier.populations:
        hispanic *= 1.8
    sex = dict(SEX)
    if "men" in supplier.populations:
        sex["male"] *= 1.5
    age = dict(AGE)
    payer = dict(PAYERS.get(supplier.sector, PAYERS["community_based"]))
    if "medicare" in supplier.populations:
        age["65-plus"] *= 1.5
        payer["medicare"] *= 1.6
    if "medicaid" in supplier.populations or "low_income" in supplier.populations:
        payer["medicaid"] *= 1.8
    first, *others = supplier.modes or [UNKNOWN]
    modes = {first: 70.0 if others else 96.0, UNKNOWN: 3.0 if others else 4.0}
    for mode in others:
        modes[mode] = 27.0 / len(others)
    # Most participants live near the supplier's main site; online suppliers know fewer addresses.
    counties = {
        fips: rng.uniform(1, 4) * (4 if index == 0 else 1) for index, fips in enumerate(supplier.counties)
    }
    counties[UNKNOWN] = (0.2 if "online" in supplier.modes else 0.05) * sum(counties.values())
    return {
        "race": race,
        "ethnicity": {"hispanic": hispanic, "not_hispanic": 100 - hispanic - 4, UNKNOWN: 4},
        "sex": sex,
        "age_group": age,
        "payer": payer,
        "delivery_mode": modes,
        COUNTY_BREAKDOWN: counties,
    }


def _cells(supplier: _Supplier, catalogue: Catalogue, totals: dict[str, int], rng: random.Random) -> Cells:
    """Every breakdown of every measure, adding up to its total: each person falls in a category at
    random by the supplier's weights. Referrals come with less known about the person."""
    cells: Cells = {}
    for measure, total in totals.items():
        cells[measure, TOTAL_BREAKDOWN, TOTAL_CATEGORY] = total
        for breakdown, weights in supplier.weights.items():
            weights = dict(weights)
            if measure == "referrals" and breakdown != COUNTY_BREAKDOWN:
                weights[UNKNOWN] = weights.get(UNKNOWN, 0) * 5 + 5
            codes = [code for code in weights if code in catalogue.categories[breakdown]]
            drawn = Counter(rng.choices(codes, [weights[code] for code in codes], k=total))
            shown = codes if breakdown == COUNTY_BREAKDOWN else list(catalogue.categories[breakdown])
            for code in shown:
                cells[measure, breakdown, code] = drawn[code]
        # A breakdown an administrator added since: the demo knows nothing about it.
        for breakdown, categories in catalogue.categories.items():
            if breakdown not in supplier.weights and breakdown != TOTAL_BREAKDOWN and UNKNOWN in categories:
                cells[measure, breakdown, UNKNOWN] = total
    return cells


def _shift(cells: Cells, measure: str, delta: int) -> None:
    """Add (or take away) ``delta`` people of ``measure`` in every breakdown, one at a time at its
    largest category, so every breakdown still adds up to the new total."""
    for breakdown in {key[1] for key in cells if key[0] == measure}:
        keys = sorted(key for key in cells if key[:2] == (measure, breakdown))
        for _ in range(abs(delta)):
            top = max(keys, key=lambda key: cells[key])
            cells[top] += 1 if delta > 0 else -1


def _slipped(cells: Cells, slip: str, rng: random.Random) -> Cells:
    """The first version of a month the backbone returned: the same month with one slip in it, still
    adding up (validation would refuse anything else)."""
    slipped = dict(cells)
    if slip == "double_counted":
        _shift(slipped, "enrollments", rng.randint(2, 4))
    elif slip == "active_low":
        active = cells["active_participants", TOTAL_BREAKDOWN, TOTAL_CATEGORY]
        _shift(slipped, "active_participants", -min(rng.randint(3, 6), active // 2))
    else:
        breakdowns = ("race", "ethnicity") if slip == "race_unknown" else (COUNTY_BREAKDOWN,)
        for measure in MEASURES:
            for breakdown in breakdowns:
                keys = sorted(key for key in cells if key[:2] == (measure, breakdown))
                total = sum(cells[key] for key in keys)
                target = (
                    (measure, breakdown, UNKNOWN)
                    if slip == "race_unknown"
                    else max(keys, key=lambda key: cells[key])
                )
                for key in keys:
                    slipped[key] = total if key == target else 0
    return slipped


def _slip(totals: dict[str, int], rng: random.Random) -> str:
    """A slip that shows in this month's figures."""
    slips = [code for code, _ in RETURNS if code != "active_low" or totals["active_participants"] >= 6]
    return rng.choice(slips)


def _series(
    supplier: _Supplier, first: datetime.date, pauses: set[datetime.date], rng: random.Random
) -> list[dict[str, int]]:
    """The supplier's referrals, enrollments and active participants, month by month. Twelve months
    before the first are simulated too, so active participants have accumulated by then."""
    warm_up = len(RETENTION) + 1
    enrolled: list[int] = []
    totals = []
    for index in range(-warm_up, MONTHS):
        month = month_add(first, index)
        growth = 1 + 0.3 * max(index, 0) / (MONTHS - 1)  # the network's push to enrol more
        ceiling = 20 if "online" in supplier.modes else 15
        paused = month in pauses
        enrollments = (
            0 if paused else min(ceiling, _poisson(rng, supplier.base * SEASON[month.month] * growth))
        )
        active = sum(
            _binomial(rng, earlier, RETENTION[age - 1])
            for age, earlier in enumerate(reversed(enrolled[-len(RETENTION) :]), start=1)
        )
        enrolled.append(enrollments)
        if index < 0:
            continue
        referrals = enrollments + _poisson(rng, enrollments * (1 / supplier.conversion - 1) + 1.5)
        totals.append(
            {"referrals": 0, "enrollments": 0, "active_participants": 0}
            if paused
            else {
                "referrals": referrals,
                "enrollments": enrollments,
                "active_participants": active + enrollments,
            }
        )
    return totals


def _month_plans(
    network: Network,
    supplier: _Supplier,
    role: str,
    pauses: set[datetime.date],
    review_lag: int,
    rng: random.Random,
) -> list[_MonthPlan]:
    """What happens to each of the 24 months. ``role``: `sharing` (partner-S-1's organization: misses
    no month), `returned` (partner-S-2's: its last month came back for correction), `drifting` (the last
    two months missing), `behind` (the last month missing), `draft` (the last month saved, not sent),
    or `steady`."""
    first = first_month(network)
    series = _series(supplier, first, pauses, rng)
    reviews_until = ANCHOR - datetime.timedelta(days=review_lag)  # the backbone is behind on reviews
    plans = []
    for index, totals in enumerate(series):
        month = month_add(first, index)
        due = report_due_on(network, month)
        locks_after = report_locks_after(network, month)
        from_end = MONTHS - 1 - index  # 0 for the last month
        plan = _MonthPlan(month=month, totals=totals, outcome="on_time")
        draw = rng.random()
        if (role == "drifting" and from_end <= 1) or (role == "behind" and from_end == 0):
            plan.outcome = "missing"
        elif role == "draft" and from_end == 0:
            plan.outcome = "draft"
            plan.sent_on = due - datetime.timedelta(days=rng.randint(1, 6))
        elif month in pauses:
            plan.outcome = "nothing"
        elif from_end >= 2 and draw < supplier.gap_chance and role not in ("sharing", "returned"):
            plan.outcome = "missing"
        elif draw < supplier.gap_chance + supplier.late_chance and from_end >= 1:
            plan.outcome = "late"
        if plan.outcome == "on_time" or plan.outcome == "nothing":
            plan.sent_on = month_end(month) + datetime.timedelta(days=rng.randint(1, due.day))
        elif plan.outcome == "late":
            plan.sent_on = due + datetime.timedelta(days=rng.randint(1, 20))
        if plan.outcome in ("on_time", "late", "nothing"):
            review = max(due, plan.sent_on) + datetime.timedelta(days=rng.randint(4, 25))
            if role == "returned" and from_end == 0:
                plan.reviewed_on = max(
                    plan.sent_on + datetime.timedelta(days=3),
                    ANCHOR - datetime.timedelta(days=rng.randint(5, 9)),
                )
                plan.returned = _slip(totals, rng)
            elif review < reviews_until:
                plan.reviewed_on = review
                correction = review + datetime.timedelta(days=rng.randint(2, 9))
                if (
                    plan.outcome == "on_time"
                    and rng.random() < 0.07
                    and correction <= min(locks_after, ANCHOR - datetime.timedelta(days=1))
                ):
                    plan.returned = _slip(totals, rng)
                    plan.corrected_on = correction
                    approve = correction + datetime.timedelta(days=rng.randint(1, 6))
                    plan.approved_on = approve if approve < reviews_until else None
        plans.append(plan)
    return plans


@dataclass
class _Writer:
    network: Network
    catalogue: Catalogue
    zone: ZoneInfo
    backbone_user: Any
    users: dict[int, Any]  # organization id -> the demo partner staff user who sends its reports
    new: Counter = field(default_factory=Counter)

    def at(self, day: datetime.date, rng: random.Random) -> datetime.datetime:
        """A time in office hours on ``day``, in the network's time zone."""
        return datetime.datetime.combine(
            day, datetime.time(rng.randint(8, 16), rng.randint(0, 59)), tzinfo=self.zone
        )

    def write(self, supplier: _Supplier, plan: _MonthPlan, rng: random.Random) -> None:
        """Store one month through the services, then date what happened as the plan says."""
        organization = supplier.membership.organization
        user = self.users.get(organization.pk)
        cells = _cells(supplier, self.catalogue, plan.totals, rng)

        def save(values: Cells, day: datetime.date, submit: bool) -> MonthlyReport:
            return services.report_save(
                network=self.network,
                organization=organization,
                month=plan.month,
                values=services.values_from_cells(values),
                user=user,
                source=ReportSource.DEMO,
                submit=submit,
                catalogue=self.catalogue,
                today=day,
            )

        assert plan.sent_on is not None
        sent_at = self.at(plan.sent_on, rng)
        times = [sent_at]  # of each event, in order
        if plan.outcome == "nothing":
            report = services.report_nothing_to_report(
                network=self.network,
                organization=organization,
                month=plan.month,
                user=user,
                today=plan.sent_on,
            )
        else:
            first_values = _slipped(cells, plan.returned, rng) if plan.returned else cells
            report = save(first_values, plan.sent_on, submit=plan.outcome != "draft")
        submitted_at = sent_at
        reviewed_at = None
        if plan.reviewed_on:
            reviewed_at = self.at(plan.reviewed_on, rng)
            times.append(reviewed_at)
            if plan.returned:
                comment = dict(RETURNS)[plan.returned]
                report = services.report_return(
                    report=report,
                    version=report.current_version.number,
                    user=self.backbone_user,
                    comment=comment,
                )
                if plan.corrected_on:
                    submitted_at = self.at(plan.corrected_on, rng)
                    times.append(submitted_at)
                    report = save(cells, plan.corrected_on, submit=True)
                    if plan.approved_on:
                        reviewed_at = self.at(plan.approved_on, rng)
                        times.append(reviewed_at)
                        report = services.report_approve(
                            report=report, version=report.current_version.number, user=self.backbone_user
                        )
            else:
                report = services.report_approve(
                    report=report, version=report.current_version.number, user=self.backbone_user
                )
        # The services stamp "now"; the demo's dates are fixed relative to ANCHOR.
        saves = [t for t, kind in zip(times, self._kinds(plan), strict=True) if kind == "save"]
        for version, created_at in zip(report.versions.order_by("number"), saves, strict=True):
            ReportVersion.objects.filter(pk=version.pk).update(created_at=created_at)
        for event, event_at in zip(report.events.order_by("pk"), times, strict=True):
            ReportEvent.objects.filter(pk=event.pk).update(at=event_at)
        submitted = plan.outcome != "draft"
        MonthlyReport.objects.filter(pk=report.pk).update(
            created_at=sent_at,
            updated_at=times[-1],
            first_submitted_at=sent_at if submitted else None,
            submitted_at=submitted_at if submitted else None,
            reviewed_at=reviewed_at,
        )
        self.new["reports"] += 1

    @staticmethod
    def _kinds(plan: _MonthPlan) -> list[str]:
        kinds = ["save"]
        if plan.reviewed_on:
            kinds.append("review")
            if plan.returned and plan.corrected_on:
                kinds.append("save")
                if plan.approved_on:
                    kinds.append("review")
        return kinds


def suppliers_of(plan: StatePlan, network: Network) -> list[_Supplier]:
    memberships = (
        Membership.objects.filter(network=network, reports_monthly=True)
        .select_related("organization")
        .prefetch_related(
            "organization__delivery_modes",
            "organization__populations_of_focus",
            "organization__counties_served",
        )
        .order_by("organization__name", "joined_on")
    )
    found = []
    for membership in memberships:
        organization = membership.organization
        own = random.Random(f"tandem-demo:{plan.slug}:reports:{organization.name}")
        modes = sorted(
            (mode.code for mode in organization.delivery_modes.all()),
            key=lambda code: (MODE_ORDER.index(code) if code in MODE_ORDER else len(MODE_ORDER), code),
        )
        counties = sorted(county.fips for county in organization.counties_served.all())
        own.shuffle(counties)  # a home county at random, the same on every run
        sector = organization.sector
        low, high = {"business": (8, 13), "health_care": (5, 9), "faith_based": (1.5, 3.5)}.get(
            sector, (4, 8)
        )
        supplier = _Supplier(
            membership=membership,
            sector=sector,
            modes=modes,
            populations={population.code for population in organization.populations_of_focus.all()},
            counties=counties,
            base=own.uniform(low, high),
            conversion=own.uniform(0.3, 0.55),
            late_chance=own.uniform(0.04, 0.25),
            gap_chance=own.uniform(0.0, 0.05),
        )
        supplier.weights = _weights(plan, supplier, own)
        found.append(supplier)
    return found


def _build_network(plan: StatePlan, network: Network, catalogue: Catalogue) -> Counter:
    User = get_user_model()
    rng = random.Random(f"tandem-demo:{plan.slug}:reports")
    suppliers = suppliers_of(plan, network)
    names = {supplier.membership.organization.name: supplier for supplier in suppliers}
    sharing, returned = (names[name] for name in plan.partner_users)
    others = [supplier for supplier in suppliers if supplier not in (sharing, returned)]
    roles = {sharing.organization_id: "sharing", returned.organization_id: "returned"}
    # One partner drifting away, one with a draft not sent, and in a bigger network one more behind;
    # the rest keep up.
    recent = ("drifting", "draft", "behind") if len(others) > 3 else ("drifting", "draft")
    for supplier, role in zip(rng.sample(others, len(others)), recent, strict=False):
        roles[supplier.organization_id] = role
    # The smallest supplier pauses between cohorts in summer and over the holidays: nothing to report.
    smallest = min(others, key=lambda supplier: supplier.base)
    last = last_month_due(network)
    pause_months = {
        month for month in (month_add(last, -ago) for ago in range(6, 18)) if month.month in (7, 12)
    }
    usernames = {
        f"partner-{plan.slug}-{n}": supplier for n, supplier in enumerate((sharing, returned), start=1)
    }
    users = {
        usernames[user.username].organization_id: user for user in User.objects.filter(username__in=usernames)
    }
    writer = _Writer(
        network=network,
        catalogue=catalogue,
        zone=ZoneInfo(plan.time_zone),
        backbone_user=User.objects.get(username=f"backbone-{plan.slug}"),
        users=users,
    )
    review_lag = rng.randint(12, 20)
    existing = set(MonthlyReport.objects.filter(network=network).values_list("organization_id", "month"))
    for supplier in suppliers:
        name = supplier.membership.organization.name
        own = random.Random(f"tandem-demo:{plan.slug}:reports:{name}:months")
        pauses = pause_months if supplier is smallest else set()
        months = _month_plans(
            network, supplier, roles.get(supplier.organization_id, "steady"), pauses, review_lag, own
        )
        for month_plan in months:
            # Each month draws its own numbers, so skipping one that exists leaves the others the same.
            month_rng = random.Random(f"tandem-demo:{plan.slug}:{name}:{month_plan.month}")
            membership = supplier.membership
            member = membership.joined_on <= month_end(month_plan.month) and (
                membership.left_on is None or membership.left_on >= month_plan.month
            )
            if not member or month_plan.outcome == "missing":
                continue
            if (supplier.organization_id, month_plan.month) in existing:
                continue
            writer.write(supplier, month_plan, month_rng)
    return writer.new


def build_reports(stdout: TextIO | None = None) -> dict[str, int]:
    """Build (or complete) 24 months of monthly reports for every supplier that reports monthly in the
    demo networks, and return how many there are of each kind. Run `demo.network.build_demo` first.

    Idempotent: a month that already has a report is left alone, so a second run writes nothing. The
    rollups are rebuilt once at the end rather than a report at a time.
    """
    with services.rollups_deferred(), transaction.atomic():
        # A flushed database (`manage.py flush`, a transactional test) has lost the catalogue.
        catalogue_module.load(apps.get_model)
        plans = {plan.slug: plan for plan in STATES}
        networks = list(Network.objects.filter(slug__in=plans).select_related("state").order_by("slug"))
        new: Counter = Counter()
        for network in networks:
            new += _build_network(plans[network.slug], network, Catalogue.for_state(network.state_id))
        counts = report_counts(networks)
    rollup_rebuild()
    if stdout is not None:
        stdout.write(
            f"Monthly reports: {', '.join(f'{n} {what}' for what, n in counts.items())}.\n"
            f"{new['reports']} new reports this run.\n"
        )
    return counts


def report_counts(networks: list[Network]) -> dict[str, int]:
    """How many demo reports there are of each kind, and how many expected months have none."""
    reports = MonthlyReport.objects.filter(network__in=networks)
    by_status = dict(reports.values_list("status").annotate(n=Count("pk")).order_by())
    late = sum(
        timezone.localdate(report.first_submitted_at) > report_due_on(report.network, report.month)
        for report in reports.filter(first_submitted_at__isnull=False).select_related("network")
    )
    expected = 0
    for network in networks:
        months = [month_add(first_month(network), index) for index in range(MONTHS)]
        for membership in network.memberships.filter(reports_monthly=True):
            expected += sum(
                membership.joined_on <= month_end(month)
                and (membership.left_on is None or membership.left_on >= month)
                for month in months
            )
    in_window = sum(
        reports.filter(network=network, month__range=(first_month(network), last_month_due(network))).count()
        for network in networks
    )
    return {
        "monthly reports": reports.count(),
        "report versions": ReportVersion.objects.filter(report__network__in=networks).count(),
        "approved": by_status.get(ReportStatus.APPROVED, 0),
        "awaiting review": by_status.get(ReportStatus.SUBMITTED, 0),
        "returned": by_status.get(ReportStatus.RETURNED, 0),
        "drafts": by_status.get(ReportStatus.DRAFT, 0),
        "nothing to report": reports.filter(current_version__nothing_to_report=True).count(),
        "late": late,
        "months missing": expected - in_window,
    }
