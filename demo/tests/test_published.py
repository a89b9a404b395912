"""On the demo, the state viewer of Kansas sees the network's total and its goal's progress over the
dashboard's default period, and the state's equity page gives the same total for the same period: one
publication, read by both pages."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from core.figures import Suppressed
from demo.eligible import build_eligible
from demo.goals import build_goals
from demo.network import build_demo
from demo.reports import build_reports
from goals.selectors import period_default

pytestmark = pytest.mark.django_db

COMPLETE_TOTAL = "All participants in the complete months of the period"


@pytest.fixture
def demo() -> None:
    build_demo()
    build_reports()
    build_goals()
    build_eligible()


def board_table(response, slug: str):
    return next(table for table in response.context["board"].tables if table.slug == slug)


def test_the_state_dashboard_and_the_equity_page_agree_figure_for_figure(demo, client):
    client.force_login(get_user_model().objects.get(username="state-kansas"))
    period = period_default(today=timezone.localdate())
    query = {"from": f"{period.first:%Y-%m}", "to": f"{period.last:%Y-%m}"}

    dashboard = client.get(reverse("goals:dashboard_state", args=["KS"]))
    [network] = board_table(dashboard, "networks").rows
    total = network[4]  # in the complete months of the period
    assert isinstance(total, int) and total > 0, total
    everyone = [row for row in board_table(dashboard, "goals").rows if row[3] == "Everyone"]
    assert everyone and all(isinstance(row[9], int) for row in everyone)  # each goal's count so far
    assert all(not isinstance(row[15], Suppressed) for row in everyone)  # and its outlook

    for breakdown in ("race", "ethnicity", "sex", "age_group"):
        equity = client.get(reverse("equity:state", args=["KS"]), {**query, "breakdown": breakdown})
        rows = {row[0]: row for row in equity.context["board"].table.rows}
        assert rows[COMPLETE_TOTAL][1] == total, breakdown
        # Most groups are shown; a hidden one says why in words.
        counts = [row[1] for name, row in rows.items() if not name.startswith("All participants")]
        assert any(isinstance(count, int) and count >= 11 for count in counts), breakdown
        assert all(
            str(count).startswith(("Suppressed", "Shown", "Provisional"))
            for count in counts
            if isinstance(count, Suppressed)
        ), breakdown
