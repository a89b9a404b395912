"""`manage.py load_demo`: build the Bright Spot Initiative demo (networks, monthly reports, their rollups
the networks' goals and the eligible-population estimates), or bring it back to how it was. It lives in
demo, above every app: the demo uses them all, and no app imports it."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from demo.eligible import build_eligible
from demo.goals import build_goals
from demo.network import build_demo
from demo.outcomes import build_outcomes
from demo.reports import build_reports
from demo.scorecard import build_scorecard


class Command(BaseCommand):
    help = (
        "Build the Bright Spot Initiative demo: five state networks with partners, workgroups, meetings, "
        "contracts, demo users (password tandem-demo), 24 months of monthly reports, the dashboards' "
        "rollups, program outcomes of three Kansas suppliers, each network's goal with its suppliers' "
        "commitments, Kansas's public scorecard, and eligible-population estimates. "
        "Safe to run again: it changes only what differs, and adds only the months that have no report."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        build_demo(stdout=self.stdout)
        build_reports(stdout=self.stdout)  # with the dashboards' rollups, rebuilt once
        self.stdout.write("Rollups rebuilt for the dashboards.\n")
        build_outcomes(stdout=self.stdout)
        build_goals(stdout=self.stdout)
        build_scorecard(stdout=self.stdout)
        sources = build_eligible()
        self.stdout.write(f"Eligible-population estimates imported: {', '.join(str(s) for s in sources)}.\n")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.perf_counter() - started:.1f} s."))
