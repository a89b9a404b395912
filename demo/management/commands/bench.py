"""`manage.py bench`: build a national-scale data set on PostgreSQL and measure it against Tandem's
targets (the table of the README's "Benchmark").

It empties every report and rollup table of its database, so it runs only on a database made for it:

    createdb -h 127.0.0.1 -U postgres tandem_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tandem_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py bench > bench.md    # the table on stdout, progress on stderr
    dropdb -h 127.0.0.1 -U postgres tandem_bench
"""

import datetime
import random
import statistics
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from demo import bench
from metrics import rollups

# The targets.
REBUILD_FLOOR_RATIO = 1.5  # the nightly rebuild, to a bare GROUP BY of the same values
FIRST_REBUILD_FLOOR_RATIO = 3.0  # the first rebuild, into empty rollup tables
REPORT_ROLLUP_MS = 50.0  # p95 of one report's rollup through a worker
REPORT_ROLLUP_SPREAD = 0.20  # ... the same within this at 1 % and 100 % scale
PAGE_P95_MS = 100.0  # requests at once, server p95
PAGE_ALONE_MS = 50.0  # the backbone's and the cross-state dashboards alone
ALONE_PAGES = ("Backbone dashboard", "Cross-state dashboard")
DPRP_READ_SECONDS = 2.0
DPRP_SAVE_SECONDS = 2.0
DPRP_MEGABYTES = 200.0
WORKERS, THREADS = 2, 1  # gunicorn, as the README's production command runs it (sync workers)


def _time(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"


def _percent(share: float) -> str:
    return f"{share * 100:g} %"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _ratio(value: float, target: float) -> str:
    """The result over its target, and whether it is met (at or under it)."""
    return f"{value / target:.2f} × · {_met(value <= target)}"


class Command(BaseCommand):
    help = (
        "Build a national-scale data set (by default 50 networks, 2,000 partners, 60 months, 100 values a "
        "report: 12 million values) and measure the full rollup rebuild against a bare GROUP BY, one "
        "report's rollup at a small scale and at full scale, and the dashboards' server time and queries. "
        "PostgreSQL only. It EMPTIES every report and rollup table: point DATABASE_URL at a database made "
        "for it, e.g. postgres://postgres@127.0.0.1:5432/tandem_bench, and migrate it first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--networks", type=int, default=50)
        parser.add_argument("--partners", type=int, default=2000)
        parser.add_argument("--months", type=int, default=60)
        parser.add_argument("--values", type=int, default=100, help="Values a report (99 before counties).")
        parser.add_argument(
            "--scale",
            type=float,
            default=0.01,
            help="Scale of the data set one report's rollup is first timed on; 1 skips it.",
        )
        parser.add_argument("--runs", type=int, default=20, help="Random reports whose rollup is timed.")
        parser.add_argument(
            "--stale",
            type=float,
            default=0.001,
            help="Share of reports changed without their rollups before a timed rebuild (lost messages).",
        )
        parser.add_argument("--requests", type=int, default=20, help="Requests sent at once to each page.")
        parser.add_argument("--no-http", action="store_true", help="Leave out gunicorn and the page timings.")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Time one report's rollup in this process rather than through a Celery worker.",
        )
        parser.add_argument(
            "--broker",
            default=settings.CELERY_BROKER_URL or "redis://127.0.0.1:6379/11",
            help="The broker the worker reads (CELERY_BROKER_URL, else Redis database 11 on this machine).",
        )
        parser.add_argument(
            "--dprp-rows", type=int, default=100_000, help="Rows of the DPRP file timed; 0 leaves it out."
        )

    def say(self, message: str) -> None:
        self.stderr.write(message)

    def handle(self, *args: Any, **options: Any) -> None:
        self._require_bench_database()
        full = bench.Size(options["networks"], options["partners"], options["months"], options["values"])
        if min(full.networks, full.partners, full.months, full.values) < 1:
            raise CommandError("Every size is at least 1.")
        today = timezone.localdate()
        rng = random.Random(2026)
        scale = options["scale"]
        small: dict[str, Any] = {}
        if scale < 1:
            size = full.scaled(scale)
            self.say(f"The {_percent(scale)} data set: {size}")
            small["values"], small["seconds"] = self._build(size, today)
            rollups.rollup_rebuild()
            bench.analyze_rollups()
            small["differences"] = bench.rollup_differences()
            small["rollup"] = self._report_rollups(options, rng)
            who = bench.viewers()
            small["queries"] = bench.queries_per_page(bench.pages(who), who)

        self.say(f"The full data set: {full}")
        values, build_seconds = self._build(full, today)
        self.say("  first rebuild, into empty rollup tables")
        first = bench.timed(rollups.rollup_rebuild)
        bench.analyze_rollups()
        bench.floor_seconds()  # the cache warm for everyone
        floor = statistics.median(bench.floor_seconds()[0] for _ in range(3))
        self.say(f"  floor {floor:.2f} s; rebuilds with nothing to repair, then after lost messages")
        clean = statistics.median(bench.timed(rollups.rollup_rebuild) for _ in range(3))
        repairs = []
        for _ in range(3):
            stale = bench.change_behind_rollups(options["stale"], rng)
            repairs.append(bench.timed(rollups.rollup_rebuild))
        repair = statistics.median(repairs)
        agree = bench.network_rollup_totals() == bench.floor_seconds()[1]
        if full.reports * full.values <= 2_000_000:
            agree = agree and not any(bench.rollup_differences().values())
        self.say("  one report's rollup")
        report_rollup = self._report_rollups(options, rng)
        who = bench.viewers()
        found = bench.pages(who)
        queries = bench.queries_per_page(found, who)
        if found and not options["no_http"]:
            self.say(f"  each page alone, then {options['requests']} at once, gunicorn as deployed")
            bench.serve(found, who, options["requests"], self.say, workers=WORKERS, threads=THREADS)
        dprp = {}
        if options["dprp_rows"]:
            self.say(f"  a DPRP file of {options['dprp_rows']:,} rows")
            dprp = bench.dprp_seconds(options["dprp_rows"], options["broker"])

        out = self.stdout.write
        built = f"built in {build_seconds:.0f} s"
        if small:
            built += (
                f" (the {_percent(scale)} data set: {small['values']:,} values, in {small['seconds']:.1f} s)"
            )
        out(f"Data set: {full}: {full.reports:,} reports, {values:,} values, {built}.")
        out(f"Machine: {bench.machine()}. Run on {today:%Y-%m-%d}.")
        out("")
        out("| measure | result | target | result / target |")
        out("| --- | --- | --- | --- |")
        rows = self._rollup_rows(floor, clean, repair, stale, first, report_rollup, small, scale, options)
        for row in rows + self._dprp_rows(dprp, options["dprp_rows"]):
            out("| " + " | ".join(row) + " |")
        out("")
        checks = "yes" if agree else "**NO**"
        if small:
            checks += f"; at {_percent(scale)} scale every rollup row equals a direct count: " + (
                "yes" if not any(small["differences"].values()) else f"**NO** {small['differences']}"
            )
        out(f"Network rollups equal the floor's GROUP BY after the rebuilds: {checks}.")
        if found:
            out("")
            self._page_table(found, queries, small.get("queries"), scale, options)

    def _require_bench_database(self) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "The benchmark runs on PostgreSQL only. Point DATABASE_URL at a database made for it, e.g. "
                "postgres://postgres@127.0.0.1:5432/tandem_bench (createdb it, then manage.py migrate)."
            )
        name = connection.settings_dict["NAME"]
        if "bench" not in name and not name.startswith("test"):
            raise CommandError(
                f"The benchmark empties every report and rollup table, and {name!r} does not look like a "
                "database made for it. Point DATABASE_URL at one whose name says bench, e.g. "
                "postgres://postgres@127.0.0.1:5432/tandem_bench."
            )
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(f"{name!r} has migrations to apply: run manage.py migrate first.")

    def _build(self, size: bench.Size, today: datetime.date) -> tuple[int, float]:
        started = time.perf_counter()
        values = bench.build(size, today=today, say=self.say)
        seconds = time.perf_counter() - started
        self.say(f"  built in {seconds:.0f} s")
        return values, seconds

    def _report_rollups(self, options: dict[str, Any], rng: random.Random) -> list[float]:
        """Milliseconds of one report's rollup: through a Celery worker, or in this process."""
        if options["no_worker"]:
            return [seconds * 1000 for seconds in bench.report_rollup_seconds(options["runs"], rng)]
        return bench.worker_rollup_ms(options["runs"], rng, options["broker"], self.say)

    def _rollup_rows(
        self,
        floor: float,
        clean: float,
        repair: float,
        stale: int,
        first: float,
        report_rollup: list[float],
        small: dict[str, Any],
        scale: float,
        options: dict[str, Any],
    ) -> list[tuple[str, str, str, str]]:
        allowed = f"≤ {REBUILD_FLOOR_RATIO:g} × floor = {_time(REBUILD_FLOOR_RATIO * floor)}"
        first_allowed = (
            f"≤ {FIRST_REBUILD_FLOOR_RATIO:g} × floor = {_time(FIRST_REBUILD_FLOOR_RATIO * floor)}"
        )
        rows = [
            (
                "Floor: bare GROUP BY of the approved values by network cell (median of 3)",
                _time(floor),
                "",
                "",
            ),
            (
                "Nightly rebuild, nothing to repair (median of 3)",
                f"{_time(clean)} ({clean / floor:.2f} × floor)",
                allowed,
                _ratio(clean, REBUILD_FLOOR_RATIO * floor),
            ),
            (
                f"Nightly rebuild after {stale:,} report(s) changed without their rollup (median of 3)",
                f"{_time(repair)} ({repair / floor:.2f} × floor)",
                allowed,
                _ratio(repair, REBUILD_FLOOR_RATIO * floor),
            ),
            (
                "First rebuild, into empty rollup tables",
                f"{_time(first)} ({first / floor:.2f} × floor)",
                first_allowed,
                _ratio(first, FIRST_REBUILD_FLOOR_RATIO * floor),
            ),
        ]
        how = "in this process" if options["no_worker"] else "through a Celery worker on Redis"
        full_p95 = bench.percentile(report_rollup, 0.95)
        target = f"p95 < {REPORT_ROLLUP_MS:g} ms"
        if small:
            small_p95 = bench.percentile(small["rollup"], 0.95)
            rows.append(
                (
                    f"One report's rollup {how} at {_percent(scale)} scale ({len(small['rollup'])} reports)",
                    f"median {statistics.median(small['rollup']):.1f} ms, p95 {small_p95:.1f} ms",
                    target,
                    _ratio(small_p95, REPORT_ROLLUP_MS),
                )
            )
            change = statistics.median(report_rollup) / statistics.median(small["rollup"]) - 1
            flat = abs(change) <= REPORT_ROLLUP_SPREAD
            rows.append(
                (
                    f"One report's rollup {how} at 100 % scale ({len(report_rollup)} reports)",
                    f"median {statistics.median(report_rollup):.1f} ms ({change * 100:+.0f} %), "
                    f"p95 {full_p95:.1f} ms",
                    f"{target}, median within {_percent(REPORT_ROLLUP_SPREAD)} of {_percent(scale)} scale",
                    f"{_ratio(full_p95, REPORT_ROLLUP_MS)}; {'flat' if flat else '**not flat**'}",
                )
            )
        else:
            rows.append(
                (
                    f"One report's rollup {how} ({len(report_rollup)} reports)",
                    f"median {statistics.median(report_rollup):.1f} ms, p95 {full_p95:.1f} ms",
                    target,
                    _ratio(full_p95, REPORT_ROLLUP_MS),
                )
            )
        return rows

    def _dprp_rows(self, dprp: dict[str, float], rows: int) -> list[tuple[str, str, str, str]]:
        if not dprp:
            return []
        size = f"A {rows:,}-row DPRP file ({dprp['bytes'] / 1e6:.1f} MB)"
        return [
            (
                f"{size}: checked and counted (the preview)",
                _time(dprp["read"]),
                f"< {DPRP_READ_SECONDS:g} s",
                _ratio(dprp["read"], DPRP_READ_SECONDS),
            ),
            (
                f"{size}: saved",
                _time(dprp["save"]),
                f"< {DPRP_SAVE_SECONDS:g} s",
                _ratio(dprp["save"], DPRP_SAVE_SECONDS),
            ),
            (
                f"{size}: memory at the peak, above the process once Django is loaded",
                f"{dprp['megabytes']:.0f} MB (the process: {dprp['peak']:.0f} MB)",
                f"< {DPRP_MEGABYTES:g} MB",
                _ratio(dprp["megabytes"], DPRP_MEGABYTES),
            ),
        ]

    def _page_table(
        self,
        found: list[bench.Page],
        queries: dict[str, int],
        small_queries: dict[str, int] | None,
        scale: float,
        options: dict[str, Any],
    ) -> None:
        out = self.stdout.write
        label = f"queries ({_percent(scale)} / 100 %)" if small_queries else "queries"
        requests = options["requests"]
        out(
            f"| page | viewer | status | {label} | alone, figures made | alone, cached | "
            f"{requests} at once: server p95 | client p95 | target | result / target |"
        )
        out("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for page in found:
            count = str(queries[page.name])
            if small_queries:
                same = "" if small_queries.get(page.name) == queries[page.name] else " **grows**"
                count = f"{small_queries.get(page.name, '—')} / {queries[page.name]}{same}"
            if page.server_ms:
                p95 = bench.percentile(page.server_ms, 0.95)
                made = statistics.median(page.made_ms)
                target = f"p95 < {PAGE_P95_MS:g} ms"
                verdict = _ratio(p95, PAGE_P95_MS)
                if page.name in ALONE_PAGES:
                    target += f"; alone < {PAGE_ALONE_MS:g} ms"
                    verdict += f"; alone {_ratio(made, PAGE_ALONE_MS)}"
                timing = (
                    f"{made:.0f} ms | {statistics.median(page.cached_ms):.0f} ms | {p95:.0f} ms | "
                    f"{bench.percentile(page.client_ms, 0.95):.0f} ms | {target} | {verdict}"
                )
            else:
                timing = "— | — | — | — | | not measured"
            out(f"| {page.name} | {page.viewer} | {page.status} | {count} | {timing} |")
        if not options["no_http"]:
            out("")
            out(
                'Alone: one request at a time, median of 3; "figures made" is the first request after a '
                "change in the viewer's network (as after one report's rollup: its figures are made again, "
                'the other networks\' read back), "cached" the one after it. Then '
                f"{requests} requests sent at once. Server time is gunicorn's own for each request "
                f"({WORKERS} sync workers, DEBUG off); the client's time adds the wait for a free worker."
            )
