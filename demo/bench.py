"""The benchmark behind `manage.py bench`: a national-scale data set built with set-based SQL, and the
measurements the issue asks of it (rollups, pages, queries). PostgreSQL only.

The 12 million values, their reports and versions are made by `generate_series` and `INSERT ... SELECT`;
the few thousand rows around them (networks, organizations, memberships, goals) by `bulk_create`, a few
statements in all. Building empties the report and rollup tables, so the command runs only on a
database made for it.
"""

import contextlib
import datetime
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import Resolver404, resolve
from django.utils import timezone

from core.calendar import month_add
from metrics import rollups
from metrics.catalogue import COUNTY_BREAKDOWN, TOTAL_BREAKDOWN
from metrics.models import (
    Category,
    Measure,
    MonthlyReport,
    ParticipantSession,
    ReopenRequest,
    ReportEvent,
    ReportSource,
    ReportStatus,
    ReportValue,
    ReportVersion,
    RollupNetworkMonth,
    RollupPending,
    RollupStateMonth,
)
from network import services as network_services
from network.models import BackboneModel, DataSharing, Membership, Network, RoleKind
from partners.models import Organization, RecognitionStatus, Sector, State

SLUG_PREFIX = "bench-"
NAME_PREFIX = "Bench "

Say = Callable[[str], None]


@dataclass(frozen=True)
class Size:
    networks: int
    partners: int
    months: int
    values: int

    def scaled(self, scale: float) -> "Size":
        """``scale`` times the values in networks of the same size: fewer networks, and fewer months
        once one network is left. One report's rollup sums its network's month, so that stays the same
        and only the size of the database changes."""
        networks = max(1, round(self.networks * scale))
        partners = networks * max(1, round(self.partners / self.networks))
        months = max(1, min(self.months, round(self.months * scale * self.partners / partners)))
        return Size(networks, partners, months, self.values)

    @property
    def reports(self) -> int:
        return self.partners * self.months

    def __str__(self) -> str:
        return (
            f"{self.networks} networks, {self.partners:,} partners, {self.months} months, "
            f"{self.values} values a report"
        )


def _q(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value at or above ``share`` of them."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * share)) - 1]


def machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024**2:.0f} GiB"
    return f"PostgreSQL {version}, {os.cpu_count()} cores{memory}"


# Building


def _wipe() -> None:
    """Empty the report and rollup tables (all of them, at once), and take away what an earlier run
    built around them."""
    tables = (
        ReportValue,
        ReportEvent,
        ReopenRequest,
        ReportVersion,
        MonthlyReport,
        RollupPending,
        RollupNetworkMonth,
        RollupStateMonth,
    )
    with connection.cursor() as cursor:
        if connection.in_atomic_block:  # a test's: TRUNCATE refuses rows with foreign keys still to check
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE " + ", ".join(_q(model) for model in tables))
        if connection.in_atomic_block:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    Network.objects.filter(slug__startswith=SLUG_PREFIX).delete()
    Organization.objects.filter(name__startswith=NAME_PREFIX).delete()


def months_before(today: datetime.date, count: int) -> list[datetime.date]:
    """The last ``count`` complete months, oldest first."""
    last = month_add(today.replace(day=1), -1)
    return [month_add(last, -n) for n in range(count - 1, -1, -1)]


def _cells(states: list[State], values: int) -> list[tuple[int, int, int, int]]:
    """(state, measure, category, largest count) of the ``values`` cells each report of a network in the
    state fills: every measure's total and its breakdowns, then counties if more are asked for.
    Counts are plausible (a total up to 120, a category its share of that), not added up."""
    measures = list(Measure.objects.order_by("order", "code"))
    categories = list(
        Category.objects.select_related("breakdown", "county").order_by("breakdown__order", "order", "code")
    )
    sizes: dict[int, int] = {}
    for category in categories:
        sizes[category.breakdown_id] = sizes.get(category.breakdown_id, 0) + 1
    general = [c for c in categories if c.breakdown.code != COUNTY_BREAKDOWN]
    cells = []
    for state in states:
        counties = [
            c
            for c in categories
            if c.breakdown.code == COUNTY_BREAKDOWN and (c.county is None or c.county.state_id == state.pk)
        ]
        ordered = [(m, c) for m in measures for c in general] + [(m, c) for c in counties for m in measures]
        for measure, category in ordered[:values]:
            if category.breakdown.code == TOTAL_BREAKDOWN:
                largest = 120
            elif category.breakdown.code == COUNTY_BREAKDOWN:
                largest = 40  # a partner serves a few counties
            else:
                largest = max(1, 240 // sizes[category.breakdown_id])
            cells.append((state.pk, measure.pk, category.pk, largest))
    return cells


def build(size: Size, *, today: datetime.date, say: Say) -> int:
    """Empty the tables and build the data set: ``size.partners`` partners spread evenly over
    ``size.networks`` networks (each in its own state while there are states), each with an approved
    report of one version for each of the last ``size.months`` months. Returns the values made."""
    _wipe()
    months = months_before(today, size.months)
    states = list(State.objects.order_by("pk"))
    network_states = [states[n % len(states)] for n in range(size.networks)]
    backbones = Organization.objects.bulk_create(
        Organization(
            name=f"{NAME_PREFIX}backbone {n + 1:02d}",
            state=network_states[n],
            sector=Sector.PUBLIC_HEALTH,
            recognition_status=RecognitionStatus.NOT_APPLICABLE,
        )
        for n in range(size.networks)
    )
    networks = Network.objects.bulk_create(
        Network(
            name=f"{NAME_PREFIX}network {n + 1:02d}",
            slug=f"{SLUG_PREFIX}{n + 1:02d}",
            state=network_states[n],
            backbone=backbones[n],
            backbone_model=BackboneModel.EXTERNAL,
        )
        for n in range(size.networks)
    )
    network_of = [networks[p % size.networks] for p in range(size.partners)]
    partners = Organization.objects.bulk_create(
        (
            Organization(
                name=f"{NAME_PREFIX}partner {p + 1:04d}",
                state=network_of[p].state,
                sector=Sector.HEALTH_CARE if p % 3 else Sector.COMMUNITY_BASED,
                recognition_status=RecognitionStatus.FULL,
            )
            for p in range(size.partners)
        ),
        batch_size=1000,
    )
    Membership.objects.bulk_create(
        [Membership(network=n, organization=n.backbone, joined_on=months[0]) for n in networks]
        + [
            Membership(
                network=network_of[p],
                organization=partner,
                joined_on=months[0],
                reports_monthly=True,
                data_sharing=DataSharing.BACKBONE_AND_STATE if p % 2 else DataSharing.BACKBONE_ONLY,
            )
            for p, partner in enumerate(partners)
        ],
        batch_size=1000,
    )
    say(f"  {size.networks} networks and {size.partners:,} partners")

    report, version, value = _q(MonthlyReport), _q(ReportVersion), _q(ReportValue)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        # Every partner's every month: submitted five days after the month, approved the day after.
        cursor.execute(
            f"""INSERT INTO {report} (organization_id, network_id, month, status, first_submitted_at,
                    submitted_at, reviewed_at, review_comment, created_at, updated_at)
                SELECT m.organization_id, m.network_id, month::date, %s,
                    month + interval '1 month 5 days', month + interval '1 month 5 days',
                    month + interval '1 month 6 days', '', %s, %s
                FROM {_q(Membership)} m
                JOIN {_q(Network)} n ON n.id = m.network_id
                CROSS JOIN generate_series(%s::date, %s::date, interval '1 month') AS month
                WHERE n.slug LIKE %s AND m.reports_monthly""",
            [ReportStatus.APPROVED, now, now, months[0], months[-1], f"{SLUG_PREFIX}%"],
        )
        cursor.execute(
            f"""INSERT INTO {version} (report_id, number, source, nothing_to_report, note, created_at)
                SELECT id, 1, %s, false, '', %s FROM {report}""",
            [ReportSource.DEMO, now],
        )
        cursor.execute(
            f"UPDATE {report} r SET current_version_id = v.id FROM {version} v WHERE v.report_id = r.id"
        )
    say(f"  {size.reports:,} reports, each approved with one version")

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_cell")
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_cell (state_id bigint, measure_id bigint, category_id bigint, "
            "largest integer)"
        )
        states_used = list({state.pk: state for state in network_states}.values())
        cursor.executemany("INSERT INTO bench_cell VALUES (%s, %s, %s, %s)", _cells(states_used, size.values))
        cursor.execute("SELECT setseed(0.5)")
    # A statement a network: bounded transactions, and progress to show.
    for number, network in enumerate(networks, 1):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute(
                f"""INSERT INTO {value} (version_id, measure_id, category_id, count)
                    SELECT r.current_version_id, c.measure_id, c.category_id,
                        floor(random() * (c.largest + 1))::integer
                    FROM {report} r JOIN bench_cell c ON c.state_id = %s
                    WHERE r.network_id = %s
                    ORDER BY r.current_version_id, c.measure_id, c.category_id""",
                [network.state_id, network.pk],
            )
        if number % 10 == 0 or number == len(networks):
            say(f"  values of {number} of {len(networks)} networks")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_cell")
        cursor.execute(f"SELECT count(*) FROM {value}")
        values = cursor.fetchone()[0]
        # Statistics and visibility maps as autovacuum would leave them. VACUUM needs autocommit, which
        # a test's transaction is not.
        verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        for model in (Organization, Network, Membership, MonthlyReport, ReportVersion, ReportValue):
            cursor.execute(f"{verb} {_q(model)}")
    _goals(networks, months, today)
    return values


def analyze_rollups() -> None:
    """Statistics and visibility maps of the rollup tables, once a rebuild has filled them."""
    verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in (RollupNetworkMonth, RollupStateMonth):
            cursor.execute(f"{verb} {_q(model)}")


def _goals(networks: list[Network], months: list[datetime.date], today: datetime.date) -> None:
    """Two goals a network (enrollments, and enrollments of Hispanic participants), with every partner
    committed to both, when the goals app is installed: looked up by name, as metrics never imports it."""
    if not apps.is_installed("goals"):
        return
    Goal = apps.get_model("goals", "Goal")
    Commitment = apps.get_model("goals", "Commitment")
    enrollments = Measure.objects.get(code="enrollments")
    hispanic = Category.objects.get(breakdown__code="ethnicity", code="hispanic")
    baseline = months[: max(1, min(12, len(months) // 2))]
    partners: dict[int, list[int]] = {}
    for network_id, organization_id in Membership.objects.filter(
        network__in=networks, reports_monthly=True
    ).values_list("network_id", "organization_id"):
        partners.setdefault(network_id, []).append(organization_id)
    goals = Goal.objects.bulk_create(
        Goal(
            network=network,
            name=name,
            measure=enrollments,
            population=population,
            baseline_start=baseline[0],
            baseline_end=month_add(baseline[-1], 1) - datetime.timedelta(days=1),
            baseline_value=len(partners.get(network.pk, [])) * len(baseline) * monthly,
            target_kind="percent_increase",
            target_value=20,
            starts_on=months[min(len(baseline), len(months) - 1)],
            deadline=datetime.date(today.year + 1, 12, 31),
        )
        for network in networks
        for name, population, monthly in [
            ("Enrollments up 20 %", None, 55),
            ("Hispanic enrollments up 20 %", hispanic, 35),
        ]
    )
    rng = random.Random(7)
    Commitment.objects.bulk_create(
        (
            Commitment(goal=goal, organization_id=organization_id, amount=rng.randint(20, 400))
            for goal in goals
            for organization_id in partners.get(goal.network_id, [])
        ),
        batch_size=2000,
    )


@dataclass
class Viewers:
    """A user in each role that has a dashboard, over the first bench network and its first partner."""

    network: Network
    organization: Organization
    users: dict[str, AbstractBaseUser]


def viewers() -> Viewers:
    User = get_user_model()
    network = Network.objects.select_related("state").get(slug=f"{SLUG_PREFIX}01")
    organization = Organization.objects.filter(
        memberships__network=network, memberships__reports_monthly=True
    ).earliest("pk")
    users = {}
    for role in ("backbone", "partner", "state", "admin"):
        admin = role == "admin"
        users[role], _ = User.objects.update_or_create(
            username=f"bench-{role}",
            defaults={"email": f"bench-{role}@example.org", "is_staff": admin, "is_superuser": admin},
        )
        users[role].set_unusable_password()  # signed in by session only
        users[role].save(update_fields=["password"])
    network_services.role_grant(user=users["backbone"], kind=RoleKind.BACKBONE_STAFF, scope=network)
    network_services.role_grant(user=users["partner"], kind=RoleKind.PARTNER_STAFF, scope=organization)
    network_services.role_grant(user=users["state"], kind=RoleKind.STATE_VIEWER, scope=network.state)
    return Viewers(network=network, organization=organization, users=users)


# Measuring the rollups


def floor_seconds() -> tuple[float, tuple]:
    """The bare GROUP BY a rebuild cannot beat: the network cells summed straight from the approved
    reports' values, with the rebuild's session settings. Its time and (cells, sum, rows)."""
    report, value = _q(MonthlyReport), _q(ReportValue)
    with transaction.atomic(), connection.cursor() as cursor:
        for name, setting in rollups.REBUILD_SETTINGS.items():
            cursor.execute(f"SET LOCAL {name} = '{setting}'")
        started = time.perf_counter()
        cursor.execute(
            f"""SELECT count(*), sum(count), sum(partners) FROM (
                    SELECT r.network_id, r.month, v.measure_id, v.category_id,
                        SUM(v.count) AS count, COUNT(*) AS partners
                    FROM {report} r JOIN {value} v ON v.version_id = r.current_version_id
                    WHERE r.status = %s
                    GROUP BY r.network_id, r.month, v.measure_id, v.category_id
                ) AS network_cell""",
            [ReportStatus.APPROVED],
        )
        row = cursor.fetchone()
        return time.perf_counter() - started, tuple(int(x or 0) for x in row)


def network_rollup_totals() -> tuple:
    """What the network rollups hold, in the floor's terms: (cells, sum, rows summed)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), sum(count), sum(partners) FROM {_q(RollupNetworkMonth)}")
        return tuple(int(x or 0) for x in cursor.fetchone())


def rollup_differences() -> dict[str, int]:
    """Rows of each rollup table that differ from a direct count of the approved reports: 0s when right.
    Row by row (EXCEPT ALL), so for small data sets."""
    direct = f"""SELECT r.network_id, n.state_id, r.organization_id, r.month, v.measure_id,
            c.breakdown_id, v.category_id, v.count
        FROM {_q(MonthlyReport)} r
        JOIN {_q(ReportValue)} v ON v.version_id = r.current_version_id
        JOIN {_q(Category)} c ON c.id = v.category_id
        JOIN {_q(Network)} n ON n.id = r.network_id
        WHERE r.status = '{ReportStatus.APPROVED.value}'"""
    cell = "month, measure_id, breakdown_id, category_id"
    checks = {
        "network": (
            f"SELECT network_id, {cell}, SUM(count), COUNT(*) FROM ({direct}) d GROUP BY network_id, {cell}",
            f"SELECT network_id, {cell}, count, partners FROM {_q(RollupNetworkMonth)}",
        ),
        "state": (
            f"SELECT state_id, {cell}, SUM(count) FROM ({direct}) d GROUP BY state_id, {cell}",
            f"SELECT state_id, {cell}, count FROM {_q(RollupStateMonth)}",
        ),
    }
    differences = {}
    with connection.cursor() as cursor:
        for table, (expected, actual) in checks.items():
            cursor.execute(
                f"SELECT (SELECT count(*) FROM ({expected} EXCEPT ALL {actual}) AS missing) "
                f"+ (SELECT count(*) FROM ({actual} EXCEPT ALL {expected}) AS extra)"
            )
            differences[table] = cursor.fetchone()[0]
    return differences


def change_behind_rollups(share: float, rng: random.Random) -> int:
    """Change ``share`` of the reports without their rollups, as lost messages would: new counts for
    half of them, the other half approved or taken back from approval. Returns how many."""
    ids = list(MonthlyReport.objects.values_list("pk", flat=True))
    chosen = rng.sample(ids, max(1, round(len(ids) * share)))
    half = len(chosen) // 2
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {_q(ReportValue)} v SET count = v.count + 1 FROM {_q(MonthlyReport)} r
                WHERE r.current_version_id = v.version_id AND r.id = ANY(%s)""",
            [chosen[:half]],
        )
        cursor.execute(
            f"UPDATE {_q(MonthlyReport)} SET status = CASE status WHEN %s THEN %s ELSE %s END "
            "WHERE id = ANY(%s)",
            [ReportStatus.APPROVED, ReportStatus.SUBMITTED, ReportStatus.APPROVED, chosen[half:]],
        )
    return len(chosen)


def report_rollup_seconds(runs: int, rng: random.Random) -> list[float]:
    """Seconds of `rollup_report` on ``runs`` random approved reports, after two to warm up. Each of
    another network month while there are enough, so that no run reads the dead rows of an earlier one,
    which a busy month's rollups would leave only until autovacuum passes."""
    analyze_rollups()
    by_month: dict[tuple, list[int]] = {}
    approved = MonthlyReport.objects.filter(status=ReportStatus.APPROVED)
    for pk, network_id, month in approved.values_list("pk", "network_id", "month").order_by("pk"):
        by_month.setdefault((network_id, month), []).append(pk)
    months = sorted(by_month)
    if len(months) >= runs + 2:
        months = rng.sample(months, runs + 2)
    else:
        months = [rng.choice(months) for _ in range(runs + 2)]
    times = [
        timed(lambda report_id=report_id: rollups.rollup_report(report_id=report_id))
        for report_id in (rng.choice(by_month[month]) for month in months)
    ]
    return times[2:]


# Measuring the pages


@dataclass
class Page:
    name: str
    path: str
    viewer: str
    status: int | None = None
    server_ms: list[float] = field(default_factory=list)  # requests sent at once, figures cached
    client_ms: list[float] = field(default_factory=list)
    made_ms: list[float] = field(default_factory=list)  # alone, the first request after a change
    cached_ms: list[float] = field(default_factory=list)  # alone, figures cached


def pages(who: Viewers) -> list[Page]:
    """The dashboards that exist (they may not yet), the API's figures, and report pages read at scale."""
    slug, state = who.network.slug, who.network.state.code.lower()
    candidates = [
        Page("Backbone dashboard", f"/networks/{slug}/dashboard/", "backbone"),
        Page(
            "Partner dashboard", f"/networks/{slug}/organizations/{who.organization.pk}/dashboard/", "partner"
        ),
        Page("State dashboard", f"/states/{state}/dashboard/", "state"),
        Page("Cross-state dashboard", "/dashboard/states/", "admin"),
        Page("API: progress", f"/api/v1/networks/{slug}/progress/?measure=enrollments", "backbone"),
        Page("Equity, partner staff", f"/networks/{slug}/equity/", "partner"),
        Page("Equity, state", f"/states/{state}/equity/", "state"),
        Page("Coverage gaps, state", f"/states/{state}/equity/coverage/", "state"),
        Page("API: breakdown", f"/api/v1/networks/{slug}/breakdown/?breakdown=race", "partner"),
        Page("Reporting completeness", f"/networks/{slug}/reports/completeness/", "backbone"),
        Page("Monthly reports", f"/networks/{slug}/reports/", "backbone"),
    ]
    found = []
    for page in candidates:
        try:
            resolve(page.path.split("?")[0])
        except Resolver404:
            continue
        found.append(page)
    return found


def queries_per_page(found: list[Page], who: Viewers) -> dict[str, int]:
    """The queries each page makes, through the test client, after a first request has warmed up."""
    counts = {}
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        for page in found:
            client = Client()
            client.force_login(who.users[page.viewer])
            client.get(page.path)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(page.path)
            page.status = response.status_code
            counts[page.name] = len(queries)
    return counts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    """This process's database, for the web server to use the same."""
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# Tandem's settings as deployed (DEBUG off), but with plain static file storage: the pages only name
# their static files, and the hashed names of a deployment need `collectstatic` into the project folder.
SERVER_SETTINGS = """from config.settings import *  # noqa: F403

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
"""


@contextlib.contextmanager
def _gunicorn(folder: Path, workers: int, threads: int) -> Iterator[tuple[str, Path]]:
    """Gunicorn serving Tandem with DEBUG off on a free local port, as the README's production command
    does (``workers`` processes of ``threads`` threads); its access log records the time of each
    request (microseconds)."""
    (folder / "bench_server_settings.py").write_text(SERVER_SETTINGS)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_server_settings",
        "PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]),
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,  # the bench's sessions are signed with it
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": _database_url(),
        "CACHE_URL": settings.CACHE_URL,  # the bench's own cache: it marks figures changed in it
    }
    base = Path(settings.BASE_DIR)
    port, log = _free_port(), folder / "access.log"
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi",
        "--workers", str(workers), "--worker-class", "gthread" if threads > 1 else "sync",
        "--threads", str(threads),
        "--bind", f"127.0.0.1:{port}",
        "--access-logfile", str(log), "--access-logformat", "%(U)s %(s)s %(D)s",
        "--error-logfile", str(folder / "error.log"),
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=base, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: {(folder / 'error.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", log
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def serve(
    found: list[Page], who: Viewers, requests: int, say: Say, *, workers: int = 2, threads: int = 4
) -> None:
    """Each page, on gunicorn as deployed, signed in as its viewer: alone, the first request after a
    change in the viewer's network (as after one report's rollup: `metrics.figure_cache.changed`, so
    the page's figures are made again) and then with its figures cached,
    three times each; then ``requests`` at once. Server time is gunicorn's own for each request (its
    access log); the client's adds the wait for a free thread."""
    from metrics import figure_cache

    cookies = {}
    for viewer in {page.viewer for page in found}:
        client = Client()
        client.force_login(who.users[viewer])
        cookies[viewer] = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    folder = Path(tempfile.mkdtemp(prefix="tandem-bench-"))
    try:
        with _gunicorn(folder, workers, threads) as (base, log):

            def fetch(page: Page) -> tuple[int, float]:
                request = urllib.request.Request(base + page.path, headers={"Cookie": cookies[page.viewer]})
                started = time.perf_counter()
                try:
                    with urllib.request.urlopen(request, timeout=120) as response:
                        response.read()
                        status = response.status
                except urllib.error.HTTPError as error:
                    status = error.code
                return status, (time.perf_counter() - started) * 1000

            def server_times(page: Page, send: Callable[[], list[tuple[int, float]]]) -> tuple[list, list]:
                """What ``send`` sent: the server's time of each request, and the results."""
                time.sleep(0.1)
                start = log.stat().st_size
                results = send()
                path = page.path.split("?")[0]
                for _ in range(50):  # gunicorn writes the access log after each response
                    with log.open() as lines:
                        lines.seek(start)
                        entries = [line.split() for line in lines]
                    times = [int(e[2]) / 1000 for e in entries if e[0] == path]
                    if len(times) >= len(results):
                        return times, results
                    time.sleep(0.1)
                return times, results

            for page in found:
                for _ in range(4):  # every worker warm: connections, per-process caches
                    fetch(page)
                for _ in range(3):
                    figure_cache.changed([who.network.pk])
                    page.made_ms += server_times(page, lambda page=page: [fetch(page)])[0]
                    page.cached_ms += server_times(page, lambda page=page: [fetch(page)])[0]
                with ThreadPoolExecutor(max_workers=requests) as pool:
                    page.server_ms, results = server_times(
                        page, lambda page=page: list(pool.map(fetch, [page] * requests))
                    )
                page.client_ms = [ms for _, ms in results]
                page.status = max(status for status, _ in results)
                say(
                    f"  {page.name}: made {statistics.median(page.made_ms):.0f} ms, cached "
                    f"{statistics.median(page.cached_ms):.0f} ms, {requests} at once p95 "
                    f"{percentile(page.server_ms, 0.95):.0f} ms (status {page.status})"
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# One report's rollup through a real Celery worker


@contextlib.contextmanager
def celery_worker(folder: Path, broker_url: str) -> Iterator[Path]:
    """`celery -A config worker` (solo pool) on this database and ``broker_url``, started from its own
    working directory as on a machine of its own; yields its log, where each task's time is written."""
    log = folder / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker_url,
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
        "--without-gossip", "--without-mingle", "--hostname", f"bench-{os.getpid()}@%h",
        "--logfile", str(log),
    ]  # fmt: skip
    # Its banner would land in the bench's table on stdout; the log file has the rest.
    worker = subprocess.Popen(command, cwd=folder, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while "ready" not in (log.read_text() if log.exists() else ""):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start")
            time.sleep(0.2)
        yield log
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def worker_rollup_ms(runs: int, rng: random.Random, broker_url: str, say: Say) -> list[float]:
    """Milliseconds of ``runs`` reports' rollups as a Celery worker ran them (its own time of each
    task, from its log), sent one at a time through the broker; two more first to warm it up."""
    from config.celery import app as celery_app

    analyze_rollups()
    approved = list(MonthlyReport.objects.filter(status=ReportStatus.APPROVED).values_list("pk", flat=True))
    chosen = rng.sample(approved, min(len(approved), runs + 2))
    folder = Path(tempfile.mkdtemp(prefix="tandem-bench-worker-"))
    try:
        with celery_app.connection_for_write(broker_url) as broker, celery_worker(folder, broker_url) as log:
            broker.ensure_connection(max_retries=1)
            celery_app.control.purge(connection=broker)
            for n, report_id in enumerate(chosen, start=1):
                celery_app.send_task("metrics.tasks.rollup_report", args=[report_id], connection=broker)
                deadline = time.monotonic() + 60
                while log.read_text().count("succeeded in") < n:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the worker did not finish a rollup: {log.read_text()[-2000:]}")
                    time.sleep(0.01)
            times = [float(seconds) * 1000 for seconds in _SUCCEEDED.findall(log.read_text())]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    say(f"  worker: median {statistics.median(times[2:]):.1f} ms")
    return times[2:]


_SUCCEEDED = re.compile(r"rollup_report\[[^\]]+\] succeeded in ([0-9.]+)s")


# A DPRP file


def dprp_file(rows: int, *, org_code: str, today: datetime.date, seed: int = 4) -> bytes:
    """A DPRP participant file (2021 Standards) of ``rows`` sessions: participants who started on a
    random day of the last two years and came weekly for up to 20 weeks."""
    rng = random.Random(seed)
    columns = [
        "ORGCODE", "PARTICIP", "STATE", "GLUCTEST", "GDM", "RISKTEST", "AGE", "ETHNIC", "AIAN", "ASIAN",
        "BLACK", "NHOPI", "WHITE", "SEX", "HEIGHT", "EDU", "DMODE", "SESSTYPE", "DATE", "WEIGHT", "PA",
        "ENROLLMOT", "ENROLLHC", "PAYERSOURCE", "SESSID", "A1C",
    ]  # fmt: skip
    lines, written, participant = [",".join(columns)], 0, 0
    while written < rows:
        participant += 1
        start = today - datetime.timedelta(days=rng.randint(30, 700))
        person = {
            "AGE": str(rng.randint(20, 80)), "ETHNIC": rng.choice("129"), "AIAN": "2",
            "ASIAN": rng.choice("12"), "BLACK": rng.choice("12"), "NHOPI": "2", "WHITE": rng.choice("12"),
            "SEX": rng.choice("12"), "PAYERSOURCE": rng.choice("123456789"), "DMODE": rng.choice("123"),
        }  # fmt: skip
        for week in range(20):
            day = start + datetime.timedelta(days=7 * week)
            if written >= rows or day >= today:
                break
            row = {
                **person, "ORGCODE": org_code, "PARTICIP": f"P{participant:06d}", "STATE": "KS",
                "GLUCTEST": "1", "GDM": "2", "RISKTEST": "2", "HEIGHT": "64", "EDU": "3", "SESSTYPE": "C",
                "DATE": f"{day:%m/%d/%Y}", "WEIGHT": str(rng.randint(150, 250)),
                "PA": str(rng.randint(0, 300)),
                "ENROLLMOT": "1", "ENROLLHC": "1", "SESSID": str(week + 1), "A1C": "5.9",
            }  # fmt: skip
            lines.append(",".join(row[column] for column in columns))
            written += 1
    return ("\r\n".join(lines) + "\r\n").encode()


DPRP_CHILD = """
import json, sys
import django
django.setup()
from demo.bench import dprp_measure, peak_megabytes
print(json.dumps(dprp_measure(sys.argv[1], peak_megabytes())))
"""


def peak_megabytes() -> float:
    """This process's peak resident memory: its own (VmHWM), not the high-water mark getrusage also
    counts of the process it was forked from."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def dprp_seconds(rows: int, broker_url: str) -> dict[str, float]:
    """A DPRP file of ``rows`` sessions checked and counted, then saved, in a process of its own (so
    that its peak memory is the upload's): seconds of each, and megabytes of memory at the peak above
    the process's size before the file. The rollups its months queue go to ``broker_url`` (and are
    purged): a worker runs them, as deployed, not the web process."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "PYTHONPATH": str(settings.BASE_DIR),
        "CELERY_BROKER_URL": broker_url,
    }
    organization = dprp_supplier(viewers())
    with tempfile.NamedTemporaryFile(suffix=".csv") as file:
        file.write(dprp_file(rows, org_code=organization.dprp_org_code, today=timezone.localdate()))
        file.flush()
        done = subprocess.run(
            [sys.executable, "-c", DPRP_CHILD, file.name],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode:
        raise RuntimeError(f"the DPRP measurement failed: {done.stderr[-3000:]}")
    from config.celery import app as celery_app

    with celery_app.connection_for_write(broker_url) as broker:
        celery_app.control.purge(connection=broker)
    return json.loads(done.stdout.strip().splitlines()[-1])


def dprp_supplier(who: Viewers) -> Organization:
    """A supplier of the first bench network that has sent nothing yet, its partner staff the bench's
    partner user; the network's months stay open, so a file's whole history is saved (not refused as
    locked)."""
    network = who.network
    organization, _ = Organization.objects.update_or_create(
        name=f"{NAME_PREFIX}DPRP supplier",
        defaults={
            "state": network.state,
            "sector": Sector.HEALTH_CARE,
            "recognition_status": RecognitionStatus.FULL,
            "dprp_org_code": "99001",
        },
    )
    MonthlyReport.objects.filter(organization=organization).delete()
    ParticipantSession.objects.filter(organization=organization).delete()
    Membership.objects.get_or_create(
        network=network,
        organization=organization,
        defaults={"joined_on": datetime.date(2012, 1, 1), "reports_monthly": True},
    )
    network_services.role_grant(user=who.users["partner"], kind=RoleKind.PARTNER_STAFF, scope=organization)
    Network.objects.filter(pk=network.pk).update(report_lock_days=32_000)
    return organization


def dprp_measure(path: str, loaded: float) -> dict[str, float]:
    """In the child process: the file at ``path`` read (every row checked, the months counted: what
    the partner waits for before the preview) and saved, as `metrics.uploads` does for a partner's
    upload. Memory is the process's peak above ``loaded``, its size once Django was set up."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from metrics import uploads

    who = viewers()
    organization = Organization.objects.get(name=f"{NAME_PREFIX}DPRP supplier")
    data = Path(path).read_bytes()
    today = timezone.localdate()
    with override_settings(REPORT_UPLOAD_BACKGROUND_ROWS=10**9, REPORT_UPLOAD_BACKGROUND_BYTES=10**12):
        started = time.perf_counter()
        upload = uploads.upload_read(
            network=who.network,
            organization=organization,
            user=who.users["partner"],
            file=SimpleUploadedFile("dprp.csv", data, "text/csv"),
            format="dprp",
            submit=True,
            today=today,
        )
        read = time.perf_counter() - started
        if upload.status != "ready":
            raise RuntimeError(f"the DPRP file was not read: {upload.status} {upload.problems[:3]}")
        started = time.perf_counter()
        uploads.upload_save(upload=upload, user=who.users["partner"], today=today)
        saved = time.perf_counter() - started
    peak = peak_megabytes()
    return {"read": read, "save": saved, "megabytes": peak - loaded, "peak": peak, "bytes": len(data)}
