import datetime
from decimal import Decimal

import pytest

from goals.models import Goal, TargetKind


@pytest.mark.parametrize(
    ("kind", "value", "target"),
    [(TargetKind.NUMBER, Decimal("1500"), 1500), (TargetKind.PERCENT_INCREASE, Decimal("20"), 1200)],
)
def test_target_is_a_number_or_a_percentage_increase_over_the_baseline(kind, value, target):
    goal = Goal(
        baseline_value=1000,
        target_kind=kind,
        target_value=value,
        starts_on=datetime.date(2024, 1, 1),
        deadline=datetime.date(2024, 12, 31),
    )
    assert goal.target == target
