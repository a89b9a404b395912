"""The API's people and networks endpoints (me, networks, a network's partners) against the role
matrix."""

import datetime
import json

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core import api as core_api
from network import services
from network.models import DataSharing, Role, RoleKind
from network.tests.factories import MembershipFactory, NetworkFactory
from partners.tests.factories import OrganizationFactory, SupplierFactory

pytestmark = pytest.mark.django_db

OK, BAD, UNAUTHORIZED, NOT_FOUND = 200, 400, 401, 404
ME = reverse("api:me")
NETWORKS = reverse("api:networks")
ORGANIZATIONS = reverse("api:organizations")


def test_me_for_partner_staff(world, api_for):
    world.partner.first_name, world.partner.last_name = "Pat", "Rivera"
    world.partner.save()
    me = api_for(world.partner).get(ME).json()
    assert me["user"] == {"username": "partner", "name": "Pat Rivera"}
    assert me["roles"] == [
        {
            "kind": RoleKind.PARTNER_STAFF,
            "network": None,
            "organization": {"id": world.supplier.pk, "name": "Prairie YMCA"},
            "state": None,
        }
    ]
    assert me["organizations"] == [
        {
            "id": world.supplier.pk,
            "name": "Prairie YMCA",
            "dprp_org_code": world.supplier.dprp_org_code,
            "networks": ["kansas"],
        }
    ]
    assert [network["slug"] for network in me["networks"]] == ["kansas"]
    assert me["networks"][0]["state"] == "KS"


def test_me_for_backbone_staff_and_state_viewers(world, api_for):
    backbone = api_for(world.backbone).get(ME).json()
    assert backbone["user"]["name"] == "backbone"  # no full name: the username
    assert [(role["kind"], role["network"]) for role in backbone["roles"]] == [
        (RoleKind.BACKBONE_STAFF, "kansas")
    ]
    assert backbone["organizations"] == []
    assert [network["slug"] for network in backbone["networks"]] == ["kansas"]

    viewer = api_for(world.state_viewer).get(ME).json()
    assert [(role["kind"], role["state"]) for role in viewer["roles"]] == [(RoleKind.STATE_VIEWER, "KS")]
    assert [network["slug"] for network in viewer["networks"]] == ["kansas"]


def test_me_leaves_out_ended_roles(world, api_for):
    services.role_end(role=Role.objects.get(user=world.partner))
    me = api_for(world.partner).get(ME).json()
    assert me["roles"] == [] and me["organizations"] == [] and me["networks"] == []


def test_outsiders_have_nothing_and_anonymous_callers_are_asked_to_sign_in(world, api_for):
    me = api_for(world.outsider).get(ME).json()
    assert (me["roles"], me["organizations"], me["networks"]) == ([], [], [])
    client = api_for(None)
    for url in (ME, NETWORKS, f"{ORGANIZATIONS}?network=kansas"):
        response = client.get(url)
        assert response.status_code == UNAUTHORIZED, url
        assert response["WWW-Authenticate"] == "Token"


NETWORKS_SEEN = {
    "backbone": ["kansas"],
    "partner": ["kansas"],
    "state_viewer": ["kansas"],
    "other_backbone": ["utah"],
    "other_partner": ["utah"],
    "outsider": [],
    "admin": ["kansas", "utah"],
}


@pytest.mark.parametrize("role", NETWORKS_SEEN)
def test_networks_role_matrix(world, api_for, role):
    response = api_for(getattr(world, role)).get(NETWORKS)
    assert response.status_code == OK
    assert sorted(network["slug"] for network in response.json()["results"]) == NETWORKS_SEEN[role]


def test_networks_list_what_a_supplier_system_needs(world, api_for):
    [network] = api_for(world.partner).get(NETWORKS).json()["results"]
    assert network == {
        "slug": "kansas",
        "name": world.network.name,
        "state": "KS",
        "backbone": world.network.backbone.name,
        "report_due_day": 15,
        "report_lock_days": 30,
    }


PARTNER_FIELDS = {"id", "name", "sector", "dprp_org_code"}
BACKBONE_FIELDS = PARTNER_FIELDS | {
    "recognition_status",
    "joined_on",
    "reports_monthly",
    "data_sharing",
    "outcomes_shared",
    "named_publicly",
}
# The fields each role gets of the kansas network's partners; None: not found.
ORGANIZATIONS_FIELDS = {
    "backbone": BACKBONE_FIELDS,
    "admin": BACKBONE_FIELDS,
    "partner": PARTNER_FIELDS,
    "state_viewer": PARTNER_FIELDS,
    "other_backbone": None,
    "other_partner": None,
    "outsider": None,
}


@pytest.mark.parametrize("role", ORGANIZATIONS_FIELDS)
def test_organizations_role_matrix(world, api_for, role):
    response = api_for(getattr(world, role)).get(ORGANIZATIONS, {"network": "kansas"})
    fields = ORGANIZATIONS_FIELDS[role]
    if fields is None:
        assert response.status_code == NOT_FOUND
        return
    assert response.status_code == OK
    partners = response.json()["results"]
    assert {partner["name"] for partner in partners} == {"Prairie YMCA", world.network.backbone.name}
    assert all(set(partner) == fields for partner in partners)


def test_state_viewers_see_the_partner_list_whatever_partners_share(world, api_for):
    """The list holds no figures: sharing with the state changes nothing here."""
    before = api_for(world.state_viewer).get(ORGANIZATIONS, {"network": "kansas"}).json()
    world.membership.data_sharing = DataSharing.BACKBONE_AND_STATE
    world.membership.save()
    after = api_for(world.state_viewer).get(ORGANIZATIONS, {"network": "kansas"}).json()
    assert before == after


def test_backbone_staff_see_how_each_partner_takes_part(world, api_for):
    world.membership.outcomes_shared = True
    world.membership.save()
    partners = api_for(world.backbone).get(ORGANIZATIONS, {"network": "kansas"}).json()["results"]
    supplier = next(partner for partner in partners if partner["id"] == world.supplier.pk)
    assert supplier == {
        "id": world.supplier.pk,
        "name": "Prairie YMCA",
        "sector": "health_care",
        "dprp_org_code": world.supplier.dprp_org_code,
        "recognition_status": world.supplier.recognition_status,
        "joined_on": "2023-01-01",
        "reports_monthly": True,
        "data_sharing": DataSharing.BACKBONE_ONLY,
        "outcomes_shared": True,
        "named_publicly": False,
    }


def test_organizations_lists_current_partners_only(world, api_for):
    MembershipFactory(
        network=world.network, organization=OrganizationFactory(name="Gone Clinic"), left_on="2024-01-31"
    )
    names = [
        p["name"] for p in api_for(world.backbone).get(ORGANIZATIONS, {"network": "kansas"}).json()["results"]
    ]
    assert "Gone Clinic" not in names
    assert "Prairie YMCA" in names


def test_organizations_needs_a_network_it_may_see(world, api_for):
    client = api_for(world.backbone)
    missing = client.get(ORGANIZATIONS)
    assert missing.status_code == BAD
    assert missing.json()["problems"] == [
        {"column": "network", "message": "This parameter is required.", "expected": "a network slug"}
    ]
    assert client.get(ORGANIZATIONS, {"network": "atlantis"}).status_code == NOT_FOUND
    assert client.get(ORGANIZATIONS, {"network": "utah"}).status_code == NOT_FOUND


def test_lists_make_the_same_number_of_queries_for_more_partners_and_networks(world, api_for):
    client = api_for(world.admin)
    client.get(NETWORKS)  # warm the content type cache

    def count(url: str, params: dict | None = None) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == OK
        return len(queries)

    few = {
        "me": count(ME),
        "networks": count(NETWORKS),
        "organizations": count(ORGANIZATIONS, {"network": "kansas"}),
    }
    for _ in range(6):
        MembershipFactory(network=world.network, organization=SupplierFactory())
        network = NetworkFactory()
        MembershipFactory(network=network, organization=network.backbone, joined_on=datetime.date(2024, 1, 1))
    more = {
        "me": count(ME),
        "networks": count(NETWORKS),
        "organizations": count(ORGANIZATIONS, {"network": "kansas"}),
    }
    assert more == few


def test_the_browsable_api_renders_for_a_signed_in_user(world, client_for):
    client = client_for(world.backbone)
    for url in (NETWORKS, f"{ORGANIZATIONS}?network=kansas"):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == OK, url
        assert response["Content-Type"].startswith("text/html")


# Every refusal in the problem format

REPORTS = reverse("api:reports")
TOKEN = reverse("api:token")


def assert_problem_format(response, status: int) -> dict:
    """JSON ``{"detail": ..., "problems": [...]}`` with the status, as the README says, never HTML."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json", response.content[:300]
    body = json.loads(response.content)
    assert set(body) == {"detail", "problems"}, body
    assert isinstance(body["detail"], str) and body["detail"], body
    assert isinstance(body["problems"], list), body
    for problem in body["problems"]:
        assert set(problem) <= {"line", "column", "message", "expected", "month"}, problem
        assert problem["message"], problem
    return body


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def report_with_count(world, count: str) -> str:
    """A month's report whose only count is the JSON given, so that it reaches the shared validation."""
    value = f'{{"measure": "enrollments", "breakdown": "total", "category": "all", "count": {count}}}'
    fields = f'"organization": {world.supplier.pk}, "network": "kansas", "month": "2025-01"'
    return f'{{{fields}, "values": [{value}]}}'


@pytest.mark.parametrize(
    ("request_of", "status"),
    [
        pytest.param(lambda c, w: c.get("/api/v1/nothing/"), 404, id="unknown API path"),
        pytest.param(lambda c, w: c.get("/api/v1/reports/0/"), 404, id="unknown report"),
        pytest.param(lambda c, w: c.get(ORGANIZATIONS, {"network": "atlantis"}), 404, id="unknown network"),
        pytest.param(lambda c, w: c.put(ME, {}), 405, id="method not allowed"),
        pytest.param(lambda c, w: c.get(ME, HTTP_ACCEPT="text/csv"), 406, id="not acceptable"),
        pytest.param(
            lambda c, w: c.post(REPORTS, "x", content_type="text/plain"), 415, id="unsupported media"
        ),
        pytest.param(
            lambda c, w: c.post(REPORTS, nested(50_000), content_type="application/json"),
            400,
            id="JSON nested 50,000 deep",
        ),
        pytest.param(
            lambda c, w: c.post(REPORTS, report_with_count(w, nested(950)), content_type="application/json"),
            400,
            id="a count nested 950 deep",
        ),
        pytest.param(
            lambda c, w: c.post(
                reverse("api:upload_create"), "--x\r\nbroken", content_type="multipart/form-data; boundary=x"
            ),
            400,
            id="malformed multipart",
        ),
        pytest.param(lambda c, w: c.get(NETWORKS, {"limit": "1" * 23}), 400, id="limit out of range"),
        pytest.param(
            lambda c, w: c.get(ORGANIZATIONS, {"network": "kansas\x00"}), 400, id="network not a slug"
        ),
    ],
)
def test_every_refusal_is_json_in_the_problem_format(world, api_for, request_of, status):
    assert_problem_format(request_of(api_for(world.partner), world), status)


def test_not_signed_in_and_forbidden_are_in_the_problem_format(world, api_for):
    body = assert_problem_format(api_for(None).get(ME), 401)
    assert body["problems"][0]["expected"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert_problem_format(client.get(ME), 401)
    # Backbone staff see the supplier but do not report for it.
    response = api_for(world.backbone).post(
        REPORTS, {"organization": world.supplier.pk, "network": "kansas", "month": "2026-01"}, format="json"
    )
    body = assert_problem_format(response, 403)
    assert "partner staff" in body["detail"]


def test_a_body_over_the_upload_limit_is_a_413_in_the_problem_format(world, api_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    response = api_for(world.partner).post(REPORTS, {"note": "x" * 2_000}, format="json")
    body = assert_problem_format(response, 413)
    assert "1,000 bytes" in body["problems"][0]["expected"]
    assert_problem_format(APIClient().post(TOKEN, {"username": "x" * 2_000}, format="json"), 413)


def test_the_token_endpoints_refusals_are_in_the_problem_format(world):
    cache.clear()  # the token endpoint is throttled
    client = APIClient()
    body = assert_problem_format(client.post(TOKEN, {"username": "partner"}, format="json"), 400)
    assert [problem["column"] for problem in body["problems"]] == ["password"]
    body = assert_problem_format(client.post(TOKEN, {"username": "partner", "password": "guess"}), 400)
    assert "Unable to log in" in body["problems"][0]["message"]
    assert_problem_format(client.post(TOKEN, nested(50_000), content_type="application/json"), 400)
    assert_problem_format(client.post(TOKEN, "{", content_type="application/json"), 400)
    # Sign-in failures are counted by django-axes, across processes: the limit pauses the account.
    for _ in range(10):
        response = client.post(TOKEN, {"username": "partner", "password": "guess"})
    assert_problem_format(response, 429)
    assert int(response["Retry-After"]) > 0
    cache.clear()


def test_a_session_without_a_csrf_token_is_refused_in_the_problem_format(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.partner)
    response = client.post(REPORTS, {"organization": world.supplier.pk}, content_type="application/json")
    body = assert_problem_format(response, 403)
    assert "CSRF" in body["detail"]


def test_djangos_own_refusals_under_the_api_are_json_and_pages_stay_html(rf):
    for path, is_api in (("/api/v1/reports/", True), ("/networks/", False)):
        request = rf.post(path)
        answers = [
            (core_api.csrf_failure(request, reason="CSRF cookie not set."), 403),
            (core_api.bad_request(request, SuspiciousOperation("odd")), 400),
            (core_api.bad_request(request, RequestDataTooBig("big")), 413 if is_api else 400),
            (core_api.permission_denied(request, PermissionDenied()), 403),
            (core_api.page_not_found(request, Http404()), 404),
            (core_api.server_error(request), 500),
        ]
        for response, status in answers:
            if is_api:
                assert_problem_format(response, status)
            else:
                assert response.status_code == status and response["Content-Type"].startswith("text/html")


def test_pages_unknown_to_tandem_stay_html(world, client_for):
    response = client_for(world.partner).get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


# Paging

PAGE_PROBLEMS = {
    "limit": ["0", "1001", "1" * 23, "²", "ten", "-5", "1_000"],
    "offset": ["-1", "1" * 23, "²", "x"],
}


@pytest.mark.parametrize(
    ("name", "text"), [(name, text) for name, texts in PAGE_PROBLEMS.items() for text in texts]
)
def test_a_page_out_of_range_is_refused_with_the_bounds(world, api_for, name, text):
    body = assert_problem_format(api_for(world.admin).get(NETWORKS, {name: text}), 400)
    [problem] = body["problems"]
    assert problem["column"] == name and repr(text) in problem["message"] and problem["expected"]


def test_pages_within_the_bounds(world, api_for):
    client = api_for(world.admin)
    first = client.get(NETWORKS, {"limit": "1"}).json()
    assert first["count"] == 2 and len(first["results"]) == 1 and first["next"]
    assert len(client.get(NETWORKS, {"limit": "1000", "offset": "0"}).json()["results"]) == 2
    assert client.get(NETWORKS, {"offset": str(2**63 - 1)}).json()["results"] == []


# The schema says what the server enforces


def test_the_schema_lists_every_refusal_in_the_problem_format(db):
    schema = json.loads(APIClient().get(reverse("api:schema"), {"format": "json"}).content)
    problem = {"$ref": "#/components/schemas/RefusedOut"}
    operations = {
        f"{method.upper()} {path}": operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    for name, operation in operations.items():
        responses = operation["responses"]
        assert "401" in responses, name
        if not name.startswith("GET") and "/auth/token/" not in name:
            # A browser session without its CSRF token; the token endpoint takes no session.
            assert "403" in responses, name
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(responses), name
        for status, response in responses.items():
            if status >= "400":
                assert response["content"]["application/json"]["schema"] == problem, (name, status)
    assert "429" in operations["POST /api/v1/auth/token/"]["responses"]
    assert "400" in operations["GET /api/v1/networks/"]["responses"]

    def parameters(name: str) -> dict[str, dict]:
        return {
            parameter["name"]: parameter["schema"] for parameter in operations[name].get("parameters", [])
        }

    listing = parameters("GET /api/v1/reports/")
    assert (listing["limit"]["minimum"], listing["limit"]["maximum"]) == (1, 1000)
    assert listing["offset"]["minimum"] == 0
    assert listing["month_from"]["pattern"] == r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"
    assert listing["network"]["pattern"] == r"^[-a-zA-Z0-9_]+$"
    assert parameters("GET /api/v1/reports/{id}/")["id"]["minimum"] == 1
    breakdown = parameters("GET /api/v1/networks/{slug}/breakdown/")
    assert breakdown["slug"]["pattern"] == r"^[-a-zA-Z0-9_]+$"
    assert (breakdown["organization"]["minimum"], breakdown["organization"]["maximum"]) == (1, 2**63 - 1)
    assert breakdown["from"]["pattern"] == listing["month_from"]["pattern"]
    count = schema["components"]["schemas"]["ReportValueIn"]["properties"]["count"]
    assert (count["minimum"], count["maximum"]) == (0, 2_147_483_647)
