"""The demo built once per test module: each module's tests share one build, inside a transaction that
is rolled back when the module is done; each test runs in a savepoint of its own, so what a test
changes is gone before the next one."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.test import override_settings


@contextmanager
def built_once(django_db_blocker: Any, build: Callable[[], Any]) -> Iterator[Any]:
    """What ``build`` returns, its rows kept until the block ends, then rolled back. Built with the fast
    password hash the tests use (conftest.py), which a module's fixtures are set up before."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
