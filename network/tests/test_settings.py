"""The network's settings page: backbone staff only, every setting within its bounds."""

import pytest
from django.urls import reverse

from network.models import Network

pytestmark = pytest.mark.django_db

OK, FORBIDDEN, NOT_FOUND = 200, 403, 404

SETTINGS = {
    "report_due_day": 10,
    "report_lock_days": 45,
    "completeness_threshold": 90,
    "suppression_threshold": 15,
    "contract_stage_alert_days": 30,
}


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("backbone", OK),
        ("admin", OK),
        ("partner", FORBIDDEN),
        ("state_viewer", FORBIDDEN),
        ("other_backbone", NOT_FOUND),
        ("outsider", NOT_FOUND),
    ],
)
def test_only_backbone_staff_change_the_settings(world, client_for, role, status):
    client = client_for(getattr(world, role))
    url = reverse("network:network_settings", args=["kansas"])
    assert client.get(url).status_code == status
    response = client.post(url, SETTINGS)
    world.network.refresh_from_db()
    if status == OK:
        assert response.status_code == 302
        assert world.network.completeness_threshold == 90 and world.network.report_due_day == 10
    else:
        assert response.status_code == status
        assert world.network.completeness_threshold == 100 and world.network.report_due_day == 15


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("completeness_threshold", 40),
        ("completeness_threshold", 101),
        ("suppression_threshold", 10),
        ("report_due_day", 31),
        ("report_lock_days", "²"),
    ],
)
def test_settings_out_of_bounds_are_refused_with_a_message(world, client_for, field, value):
    client = client_for(world.backbone)
    url = reverse("network:network_settings", args=["kansas"])
    response = client.post(url, {**SETTINGS, field: value})
    assert response.status_code == OK
    assert field in response.context["form"].errors
    assert "The settings were not saved" in response.content.decode()
    assert Network.objects.get(pk=world.network.pk).completeness_threshold == 100
