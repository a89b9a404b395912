"""`manage.py load_demo`: build the Bright Spot Initiative demo with its monthly reports, or bring it
back to how it was. It lives in metrics because it builds both: metrics may use network, never the
other way round."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from metrics.demo import build_reports
from network.demo import build_demo


class Command(BaseCommand):
    help = (
        "Build the Bright Spot Initiative demo: five state networks with partners, workgroups, meetings, "
        "contracts, demo users (password tandem-demo) and 24 months of monthly reports. Safe to run "
        "again: it changes only what differs, and adds only the months that have no report."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        build_demo(stdout=self.stdout)
        build_reports(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Done in {time.perf_counter() - started:.1f} s."))
