"""The demo's public scorecard: Kansas's, on, with its story and four partners named; built again, it
changes nothing; and each count it shows is the count the state viewer's dashboard shows for that month
where both show it."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from core.figures import Suppressed
from demo.goals import build_goals
from demo.network import build_demo
from demo.reports import build_reports
from demo.scorecard import NAMED, STORY, build_scorecard
from network.models import PartnerChoiceChange
from scorecard.models import Scorecard

pytestmark = pytest.mark.django_db


def trend(response, column: str) -> dict[str, object]:
    table = next(table for table in response.context["board"].tables if table.slug == "trend")
    index = list(table.columns).index(column)
    return {row[0]: row[index] for row in table.rows if row[0] != "All months"}


def test_kansas_publishes_its_scorecard_and_it_agrees_with_the_state_dashboard():
    build_demo()
    build_reports()
    build_goals()
    assert build_scorecard()
    scorecard = Scorecard.objects.select_related("network").get()
    assert scorecard.network.slug == "kansas" and scorecard.published
    assert scorecard.headline == STORY["headline"]

    changes, saved = PartnerChoiceChange.objects.count(), scorecard.updated_at
    assert build_scorecard()
    assert PartnerChoiceChange.objects.count() == changes
    assert Scorecard.objects.get().updated_at == saved

    page = Client().get(reverse("scorecard:public", args=["kansas"]))
    assert page.status_code == 200
    assert [partner.name for partner in page.context["named"]] == sorted(NAMED)
    assert "Cottonwood Bend Community Health Center" not in page.content.decode()

    viewer = Client()
    viewer.force_login(get_user_model().objects.get(username="state-kansas"))
    state = viewer.get(reverse("goals:dashboard_state", args=["KS"]))
    public = trend(page, scorecard.network.name)
    statewide = trend(state, scorecard.network.name)
    both = [
        month
        for month, value in statewide.items()
        if not isinstance(value, Suppressed) and not isinstance(public.get(month), Suppressed)
    ]
    assert both
    assert [public[month] for month in both] == [statewide[month] for month in both]
