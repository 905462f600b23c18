"""API clients for the cast: each signs in with its own token, as an integration would."""

from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import Permission, User
from pytest_django.fixtures import Settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

ApiAs = Callable[[User], APIClient]


@pytest.fixture(autouse=True)
def _throttle_budget(settings: Settings) -> Iterator[None]:
    """Throttling keeps its history in the cache, keyed by user id: each test starts with an
    empty cache (tests/conftest.py) and a budget no functional test reaches (tests/api/test_auth.py
    tests the real one)."""
    settings.API_THROTTLE_RATES = {"user": "100000/minute", "anon": "100000/minute"}
    yield


@pytest.fixture
def api_as() -> ApiAs:
    def client_for(user: User) -> APIClient:
        token, _created = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def gateway(db: None) -> User:
    """A mail gateway's integration account, allowed to deliver inbound messages."""
    user = UserFactory(username="mail-gateway")
    user.user_permissions.add(Permission.objects.get(codename="deliver_inbound"))
    return User.objects.get(pk=user.pk)
