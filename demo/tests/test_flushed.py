"""The demo brings back what a flushed database lost (run without the demo of the other modules)."""

import pytest

from demo.network import build_demo
from network.models import AssessmentRound, Instrument, InstrumentItem
from partners.models import County, State

pytestmark = pytest.mark.django_db


def test_the_demo_brings_back_reference_data_a_flushed_database_lost():
    County.objects.all().delete()
    State.objects.all().delete()
    build_demo()
    assert State.objects.count() == 51 and County.objects.filter(state__code="UT").count() == 29


def test_the_demo_brings_back_the_instruments_a_flushed_database_lost():
    Instrument.objects.all().delete()
    build_demo()
    assert set(Instrument.objects.values_list("code", flat=True)) == {"phase-check", "relationship-survey"}
    assert InstrumentItem.objects.count() == 12
    assert AssessmentRound.objects.count() == 4 * 5  # two phase checks and two surveys in each network
