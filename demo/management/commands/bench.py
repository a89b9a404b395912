"""`manage.py bench`: build a national-scale data set on PostgreSQL and measure what issue 4 asks of it.

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

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from demo import bench
from metrics import rollups

# The targets.
REBUILD_FLOOR_RATIO = 2.0
REPORT_ROLLUP_MS = 50.0
REPORT_ROLLUP_SPREAD = 0.20
PAGE_P95_MS = 150.0


def _time(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"


def _percent(share: float) -> str:
    return f"{share * 100:g} %"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


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
            small["rollup"] = bench.report_rollup_seconds(options["runs"], rng)
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
        report_rollup = bench.report_rollup_seconds(options["runs"], rng)
        who = bench.viewers()
        found = bench.pages(who)
        queries = bench.queries_per_page(found, who)
        if found and not options["no_http"]:
            self.say(f"  {options['requests']} requests at once to each page, gunicorn with 2 workers")
            bench.serve(found, who, options["requests"], self.say)

        out = self.stdout.write
        built = f"built in {build_seconds:.0f} s"
        if small:
            built += (
                f" (the {_percent(scale)} data set: {small['values']:,} values, in {small['seconds']:.1f} s)"
            )
        out(f"Data set: {full}: {full.reports:,} reports, {values:,} values, {built}.")
        out(f"Machine: {bench.machine()}. Run on {today:%Y-%m-%d}.")
        out("")
        out("| measure | result | target | |")
        out("| --- | --- | --- | --- |")
        for row in self._rollup_rows(floor, clean, repair, stale, first, report_rollup, small, scale):
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
    ) -> list[tuple[str, str, str, str]]:
        allowed = f"≤ {REBUILD_FLOOR_RATIO:g} × floor = {_time(REBUILD_FLOOR_RATIO * floor)}"
        rows = [
            (
                "Floor: bare GROUP BY of the approved values by network cell (median of 3)",
                _time(floor),
                "",
                "",
            ),
            (
                "Full rebuild, nothing to repair (median of 3)",
                _time(clean),
                allowed,
                f"{_met(clean <= REBUILD_FLOOR_RATIO * floor)} ({clean / floor:.1f} ×)",
            ),
            (
                f"Full rebuild after {stale:,} report(s) changed without their rollup (median of 3)",
                _time(repair),
                allowed,
                f"{_met(repair <= REBUILD_FLOOR_RATIO * floor)} ({repair / floor:.1f} ×)",
            ),
            ("First rebuild, into empty rollup tables", _time(first), "", f"{first / floor:.0f} × floor"),
        ]
        full_median = statistics.median(report_rollup)
        target = f"< {REPORT_ROLLUP_MS:g} ms"
        if small:
            small_median = statistics.median(small["rollup"])
            change = full_median / small_median - 1
            rows.append(
                (
                    f"One report's rollup at {_percent(scale)} scale (median of {len(small['rollup'])})",
                    _time(small_median),
                    target,
                    _met(small_median < REPORT_ROLLUP_MS),
                )
            )
            rows.append(
                (
                    f"One report's rollup at 100 % scale (median of {len(report_rollup)})",
                    _time(full_median),
                    f"{target}, within {_percent(REPORT_ROLLUP_SPREAD)} of {_percent(scale)} scale",
                    f"{_met(full_median < REPORT_ROLLUP_MS and abs(change) <= REPORT_ROLLUP_SPREAD)} "
                    f"({change * 100:+.0f} %)",
                )
            )
        else:
            rows.append(
                (
                    f"One report's rollup (median of {len(report_rollup)})",
                    _time(full_median),
                    target,
                    _met(full_median < REPORT_ROLLUP_MS),
                )
            )
        return rows

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
        out(f"| page | viewer | status | {label} | server median | server p95 | client p95 | p95 < 150 ms |")
        out("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for page in found:
            count = str(queries[page.name])
            if small_queries:
                same = "" if small_queries.get(page.name) == queries[page.name] else " **grows**"
                count = f"{small_queries.get(page.name, '—')} / {queries[page.name]}{same}"
            if page.server_ms:
                p95 = bench.percentile(page.server_ms, 0.95)
                timing = (
                    f"{statistics.median(page.server_ms):.0f} ms | {p95:.0f} ms | "
                    f"{bench.percentile(page.client_ms, 0.95):.0f} ms | {_met(p95 < PAGE_P95_MS)}"
                )
            else:
                timing = "— | — | — | not measured"
            out(f"| {page.name} | {page.viewer} | {page.status} | {count} | {timing} |")
        if not options["no_http"]:
            out("")
            out(
                f"Server time: gunicorn's own time for each of {options['requests']} requests sent at once "
                "(2 sync workers, DEBUG off); the client's time adds the wait for a free worker."
            )
