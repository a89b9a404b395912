"""Fixtures shared by every app's tests: a network with one user in each role, and outsiders."""

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS, connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as accounts_services
from config.celery import app as celery_app
from metrics import catalogue
from network import services
from network.models import Membership, Network, RoleKind
from network.partnership import instruments
from network.tests.factories import MembershipFactory, NetworkFactory, UserFactory
from partners import reference
from partners.models import Organization
from partners.tests.factories import SupplierFactory, state


@dataclass
class World:
    """One network in Kansas with a user in every role, a second network elsewhere, and outsiders."""

    network: Network
    supplier: Organization
    membership: Membership
    backbone: AbstractBaseUser
    partner: AbstractBaseUser
    state_viewer: AbstractBaseUser
    other_backbone: AbstractBaseUser  # backbone staff of a network in another state
    other_partner: AbstractBaseUser  # partner staff of an organization outside the network
    outsider: AbstractBaseUser  # signed in, no role at all
    admin: AbstractBaseUser
    other_network: Network


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run tests that truncate the database (live server, `transaction=True`) after all the others.

    pytest-django orders them last, but pytest then regroups items by parametrized session fixtures
    (Playwright's browser name); a truncation in the middle would wipe the reference data that
    migrations load (states, counties, the catalogue) for every test after it."""

    def truncates(item: pytest.Item) -> bool:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", ())
        return bool(marker and marker.kwargs.get("transaction")) or bool(
            {"live_server", "transactional_db"} & set(fixtures)
        )

    items.sort(key=truncates)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Tests sign in many users; a deliberately slow hash would make that minutes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def celery_eager() -> Iterator[None]:
    """Tasks run in the test's own process (and see its transaction) even when CI configures a broker;
    a test about the queue itself starts a real worker instead."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager = conf.task_eager_propagates = True
    yield
    conf.task_always_eager, conf.task_eager_propagates = saved


@pytest.fixture
def world(db) -> World:
    network = NetworkFactory(slug="kansas")
    MembershipFactory(network=network, organization=network.backbone)
    supplier = SupplierFactory(name="Prairie YMCA")
    membership = MembershipFactory(network=network, organization=supplier, reports_monthly=True)
    other_network = NetworkFactory(slug="utah", state=state("UT"), backbone__state=state("UT"))
    other_org = SupplierFactory(name="Wasatch Clinic", state=state("UT"))
    MembershipFactory(network=other_network, organization=other_org)

    def user(username: str, kind: str | None = None, scope: object = None) -> AbstractBaseUser:
        person = UserFactory(username=username)
        if kind:
            services.role_grant(user=person, kind=kind, scope=scope)
        return person

    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    return World(
        network=network,
        supplier=supplier,
        membership=membership,
        backbone=user("backbone", RoleKind.BACKBONE_STAFF, network),
        partner=user("partner", RoleKind.PARTNER_STAFF, supplier),
        state_viewer=user("state", RoleKind.STATE_VIEWER, network.state),
        other_backbone=user("other-backbone", RoleKind.BACKBONE_STAFF, other_network),
        other_partner=user("other-partner", RoleKind.PARTNER_STAFF, other_org),
        outsider=user("outsider"),
        admin=admin,
        other_network=other_network,
    )


@pytest.fixture
def client_for(client: Client):
    """A test client signed in as the given user."""

    def sign_in(user: AbstractBaseUser) -> Client:
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def api_for():
    """An API client that sends the user's token, or none for ``None``."""

    def for_user(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, secret = accounts_services.api_token_create(user=user, name="test")
            # As if just used: the first request of a test then writes no "last used" that the next
            # one skips (tests compare query counts).
            token.last_used_at = timezone.now()
            token.save(update_fields=["last_used_at"])
            client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        return client

    return for_user


@pytest.fixture(scope="session")
def demo_snapshots() -> dict[tuple[str, ...], sqlite3.Connection]:
    """The demo databases built so far in this test process, by the steps that built them."""
    return {}


@pytest.fixture
def built_demo(reference_data, demo_snapshots) -> Callable[..., None]:
    """Build the demo with ``steps`` (`build_demo`, `build_reports`, ...) for a test on real
    transactions. On SQLite the first build is kept in memory and copied back for every later test
    that asks for the same steps (SQLite's backup API: a fraction of a second instead of a build);
    on PostgreSQL every test builds it."""

    def build(*steps: Callable[[], object]) -> None:
        if connection.vendor != "sqlite":
            for step in steps:
                step()
            return
        key = tuple(f"{step.__module__}.{step.__qualname__}" for step in steps)
        connection.ensure_connection()
        snapshot = demo_snapshots.get(key)
        if snapshot is None:
            for step in steps:
                step()
            snapshot = sqlite3.connect(":memory:", check_same_thread=False)
            connection.connection.backup(snapshot)
            demo_snapshots[key] = snapshot
        else:
            snapshot.backup(connection.connection)

    return build


@pytest.fixture
def reference_data(transactional_db) -> None:
    """What migrations load (states and counties, instruments, the catalogue, permissions), loaded again
    for a test on real transactions. Django puts back the data it serialized before such a test only on
    the connection it serialized from, and once Playwright runs its event loop in the test thread the
    ORM hands out another connection, so a later test would find the tables empty."""
    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)
    reference.load(apps.get_model)
    instruments.load(apps.get_model)
    catalogue.load(apps.get_model)
