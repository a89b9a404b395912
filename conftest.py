"""Fixtures shared by every app's tests: a network with one user in each role, and outsiders."""

import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS, connection, transaction
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


@pytest.fixture(scope="session", autouse=True)
def broker_of_this_process() -> None:
    """Each test process of pytest-xdist on a Redis database of its own (15 is the first's, 14 the
    second's, ...), so a real Celery worker started by one never takes another's messages."""
    url = celery_app.conf.broker_url or ""
    process = os.environ.get("PYTEST_XDIST_WORKER", "")
    base, _, database = url.rpartition("/")
    if url.startswith("redis://") and process.startswith("gw") and database.isdigit():
        own = f"{base}/{int(database) - int(process[2:])}"
        # Celery reads CELERY_BROKER_URL from the environment before its own setting; workers started
        # by a test inherit it.
        os.environ["CELERY_BROKER_URL"] = celery_app.conf.broker_url = own
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


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
def demo_snapshots() -> dict[tuple[str, ...], object]:
    """The demo databases built so far in this test process, by the steps that built them: an
    in-memory SQLite database, or the name of a PostgreSQL schema holding a copy of every table."""
    return {}


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def _snapshot_take(count: int) -> object:
    if connection.vendor == "sqlite":
        snapshot = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(snapshot)
        return snapshot
    schema = f"demo_snapshot_{os.getpid()}_{count}"
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
        for table in _tables():
            cursor.execute(f"CREATE TABLE {schema}.{quote(table)} AS TABLE {quote(table)}")
    return schema


def _snapshot_restore(snapshot: object) -> None:
    if isinstance(snapshot, sqlite3.Connection):
        snapshot.backup(connection.connection)
    else:
        quote = connection.ops.quote_name
        tables = _tables()
        with transaction.atomic(), connection.cursor() as cursor:
            # Django's foreign keys on PostgreSQL are deferrable: checked once, at commit.
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(f"TRUNCATE {', '.join(quote(table) for table in tables)}")
            for table in tables:
                cursor.execute(f"INSERT INTO {quote(table)} SELECT * FROM {snapshot}.{quote(table)}")
            for sql in connection.ops.sequence_reset_sql(
                no_style(), apps.get_models(include_auto_created=True)
            ):
                cursor.execute(sql)
    # The copy's content types are the build's: forget those cached since.
    ContentType.objects.clear_cache()


@pytest.fixture
def built_demo(transactional_db, demo_snapshots) -> Callable[..., None]:
    """Build the demo with ``steps`` (`build_demo`, `build_reports`, ...) for a test on real
    transactions. The first build in a test process is kept and copied back for every later test that
    asks for the same steps: with SQLite's backup API, or on PostgreSQL from a schema holding a copy of
    every table; a fraction of the time a build takes."""

    def build(*steps: Callable[[], object]) -> None:
        key = tuple(f"{step.__module__}.{step.__qualname__}" for step in steps)
        connection.ensure_connection()
        snapshot = demo_snapshots.get(key)
        if snapshot is None:
            reference_load()  # a copy brings its own
            for step in steps:
                step()
            demo_snapshots[key] = _snapshot_take(len(demo_snapshots))
        else:
            _snapshot_restore(snapshot)

    return build


@pytest.fixture
def reference_data(transactional_db) -> None:
    """What migrations load (states and counties, instruments, the catalogue, permissions), loaded again
    for a test on real transactions. Django puts back the data it serialized before such a test only on
    the connection it serialized from, and once Playwright runs its event loop in the test thread the
    ORM hands out another connection, so a later test would find the tables empty."""
    reference_load()


def reference_load() -> None:
    emit_post_migrate_signal(verbosity=0, interactive=False, db=DEFAULT_DB_ALIAS)
    reference.load(apps.get_model)
    instruments.load(apps.get_model)
    catalogue.load(apps.get_model)
