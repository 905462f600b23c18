"""Clients for the rule tests: a page client signed in as one person, and an API client
with that person's token, as tests/api and the page suites build them."""

from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _throttle_budget(settings) -> Iterator[None]:
    """The API throttles by user id with its history in the cache; each test starts with an
    empty cache (tests/conftest.py) and a budget no rule test reaches."""
    settings.API_THROTTLE_RATES = {"user": "100000/minute", "anon": "100000/minute"}
    yield


@pytest.fixture
def api_as() -> Callable[[User], APIClient]:
    def client_for(user: User) -> APIClient:
        token, _created = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def page_as() -> Callable[[User], Client]:
    def client_for(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return client_for
