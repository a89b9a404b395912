"""Accounts sit below every other app, so their tests make plain users, not the network factories."""

import itertools

import pytest
from django.contrib.auth import get_user_model

PASSWORD = "a-test-password-1"
_numbers = itertools.count()


@pytest.fixture
def make_user(db):
    def make(username: str = "", email: str = ""):
        username = username or f"person-{next(_numbers)}"
        return get_user_model().objects.create_user(username=username, email=email, password=PASSWORD)

    return make


@pytest.fixture
def user(make_user):
    return make_user("rosalind", "rosalind@example.org")
