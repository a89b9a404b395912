"""Schemathesis over the API's own OpenAPI schema (/api/schema/), in-process through Django's WSGI handler.

For every operation and two callers (partner staff, who submit their organization's reports, and the
network's backbone staff), requests generated within what the schema allows must never get a 500, and
every answer must have a status, content type and body the schema lists for the operation. Some of the
generated requests are pointed at things that exist (the network, the partner, a report, an upload), so
that more than the 404s are exercised. A fixed seed, derandomized generation and a budget of examples
per operation keep the run repeatable and near a minute (about 400 requests); it runs in the test's
transaction, so what the requests create is rolled back.
"""

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from accounts.services import api_token_create
from equity.tests.factories import estimates_stored, report_approved
from goals.tests.factories import CommitmentFactory, GoalFactory, recent_months
from metrics import rollups, services, uploads
from metrics.models import ReportSource
from metrics.tests.factories import values_for
from network.models import DataSharing
from network.tests.factories import MembershipFactory
from partners.tests.factories import SupplierFactory, state

SEED = 20261124
PASSWORD = "a-test-password-1"  # every factory-made user's (network.tests.factories.UserFactory)
# A month's enrollments of a Tandem CSV file that add up: the total, and each breakdown all unknown.
TOTAL_AND_UNKNOWNS = [
    ("total", "all"),
    *(
        (breakdown, "unknown")
        for breakdown in ("race", "ethnicity", "sex", "age_group", "payer", "delivery_mode", "county")
    ),
]
EXAMPLES_PER_OPERATION = 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "positive",
            "max-examples": EXAMPLES_PER_OPERATION,
            "deterministic": True,
            "database": "none",
        },
        # The schema's few examples are months, which `aimed` draws from the data instead; Schemathesis
        # cannot run them in a test that draws.
        "phases": {"examples": {"enabled": False}},
    }
)
# Served as clients see it. Loading it touches no database, so it can happen when the module is collected.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler(), config=CONFIG)


@pytest.fixture
def served(settings) -> Iterator[None]:
    """Django as the WSGI client reaches it. Django closes the database connection at the end of each
    request it handles (its test client stops that; a WSGI client does not), which would end the
    test's transaction mid-test. The token endpoint's throttle counts in the cache: emptied after."""
    settings.ALLOWED_HOSTS = ["localhost"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    cache.clear()


@pytest.fixture
def known(world) -> dict[str, Any]:
    """A demo-like network to ask about: approved months of two partners (one sharing with the state) in
    the rollups, a goal with commitments, the eligible population by race, a submitted month and a
    file read but not saved. Returns what requests are pointed at."""
    months = recent_months(3)
    sharing = SupplierFactory(name="Sunflower Clinic")
    MembershipFactory(
        network=world.network,
        organization=sharing,
        reports_monthly=True,
        data_sharing=DataSharing.BACKBONE_AND_STATE,
    )
    for month, (ours, theirs) in zip(months[:2], [(14, 6), (25, 3)], strict=True):
        for organization, white in ((world.supplier, ours), (sharing, theirs)):
            report_approved(
                network=world.network,
                organization=organization,
                month=month,
                user=world.admin,
                race={"white": white, "black": 4, "unknown": 2},
            )
    rollups.rollup_rebuild()
    goal = GoalFactory(network=world.network)
    CommitmentFactory(goal=goal, organization=world.supplier, amount=40)
    CommitmentFactory(goal=goal, organization=sharing, amount=25)
    estimates_stored(state=state("KS"), breakdown="race", estimates={"white": 300_000, "black": 40_000})
    report = services.report_save(
        network=world.network,
        organization=world.supplier,
        month=months[2],
        values=values_for(world.network, {"enrollments": 9}),
        user=world.partner,
        source=ReportSource.API,
        submit=True,
        today=months[2] + datetime.timedelta(days=40),
    )
    lines = [
        "org_code,month,measure,breakdown,category,count",
        f"{world.supplier.dprp_org_code},{months[2]:%Y-%m},enrollments,total,all,9",
    ]
    upload = uploads.upload_read(
        network=world.network,
        organization=world.supplier,
        user=world.partner,
        file=SimpleUploadedFile("counts.csv", "\n".join(lines).encode()),
        format="tandem",
        submit=False,
    )
    return {
        "network": world.network.slug,
        "organization": world.supplier.pk,
        "dprp_org_code": world.supplier.dprp_org_code,
        "report": report.pk,
        "upload": upload.pk,
        "months": [f"{month:%Y-%m}" for month in months],
    }


def aimed(case: Any, data: st.DataObject, known: dict[str, Any], user: Any) -> None:
    """Point some generated requests at things that exist: the network, the partner, the report or
    upload of the path, a recent month, a measure and a breakdown, the caller's own password, counts
    that add up. Each choice is
    Hypothesis', so the run stays reproducible."""

    def aim(values: Any, name: str, value: Any) -> None:
        # Three times in four: most requests then get past the first refusal, and some get through.
        if isinstance(values, dict) and name in values and data.draw(st.integers(0, 3), label=name):
            values[name] = value

    aim(case.path_parameters, "slug", known["network"])
    aim(case.path_parameters, "id", known["upload" if "/upload/" in case.path else "report"])
    month = data.draw(st.sampled_from(known["months"]), label="month")
    for values in (case.query, case.body):
        aim(values, "network", known["network"])
        aim(values, "organization", known["organization"])
        for name in ("month", "month_from", "month_to", "from", "to"):
            aim(values, name, month)
    aim(case.query, "measure", "enrollments")
    aim(case.query, "breakdown", "race")
    aim(case.body, "username", user.username)
    aim(case.body, "password", PASSWORD)
    count = data.draw(st.integers(min_value=0, max_value=50), label="count")
    aim(
        case.body,
        "values",
        [
            {"measure": "enrollments", "breakdown": breakdown, "category": category, "count": count}
            for breakdown, category in TOTAL_AND_UNKNOWNS
        ],
    )
    rows = [
        f"{known['dprp_org_code']},{month},enrollments,{breakdown},{category},{count}"
        for breakdown, category in TOTAL_AND_UNKNOWNS
    ]
    aim(case.body, "file", "\n".join(["org_code,month,measure,breakdown,category,count", *rows]).encode())
    aim(case.body, "format", "tandem")


@pytest.mark.parametrize("role", ["partner", "backbone"])
@schema.parametrize()
@schema.given(data=st.data())
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_the_api_answers_as_its_schema_says(case, data, role, world, known, served):
    user = getattr(world, role)
    _, secret = api_token_create(user=user, name="schema test")
    aimed(case, data, known, user)
    case.call_and_validate(headers={"Authorization": f"Token {secret}"}, checks=CHECKS)
