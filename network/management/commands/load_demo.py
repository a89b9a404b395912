"""`manage.py load_demo`: build the Bright Spot Initiative demo, or bring it back to how it was."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from network.demo import build_demo


class Command(BaseCommand):
    help = (
        "Build the Bright Spot Initiative demo: five state networks with partners, workgroups, meetings, "
        "contracts and demo users (password tandem-demo). Safe to run again: it changes only what differs."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        build_demo(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Done in {time.perf_counter() - started:.1f} s."))
